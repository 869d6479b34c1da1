"""The exam client against the real server (uvicorn on the test database): a formal exam
that requires the client is taken in it (signed requests accepted, environment reported
and judged, a forbidden program started during the exam flagged and shown), the camera
works inside it, and the same pages without the client are refused — while a mock exam
that allows browsers is not."""

from __future__ import annotations

import json
import shutil
import subprocess
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import httpx
import pytest

from examhall.delivery.models import Attempt
from examhall.devicecheck.models import DeviceCheckReport
from examhall.devtools import factories
from examhall.exams.models import Exam
from examhall.identity import services as identity_services
from examhall.identity.models import IdentityCheck, IdentityPolicy
from examhall.identity.tests.frames import photo_bytes
from examhall.lockdown.models import ClientEnvironmentReport, ClientPolicy
from examhall.proctoring.models import Flag, Snapshot
from tests.browser.media import live_face_y4m, tone_wav
from tests.browser.steps import wait_until
from tests.client.conftest import Cdp, keep_screenshot

pytestmark = pytest.mark.django_db(transaction=True)

MEDIA_FIXTURES = Path(__file__).resolve().parents[2] / "var" / "media-fixtures"
FAKE_PROGRAM = "examhall-fake-qq"
FAKE_QQ = {"id": "fake-qq", "name": "QQ（测试）", "category": "chat",
           "advice": "请退出 QQ（包括托盘图标）", "match": {"linux": [FAKE_PROGRAM]}}


def formal_exam(required_checks: list[str]) -> tuple[Exam, Any, Any, str]:
    """A formal exam that requires the client; this machine (a container, maybe a VM)
    is allowed; the only forbidden program is the test's dummy."""
    exam, subject, _session, _room, [(registration, id_number)] = factories.make_sitting(
        questions=3, required_checks=required_checks)
    exam.kind = Exam.Kind.FORMAL
    exam.save(update_fields=["kind"])
    ClientPolicy.objects.create(
        exam=exam, requires_client=True, virtual_machine="allow", remote_session="allow",
        battery_min_percent=0, recheck_interval_seconds=10, forbidden_processes=[FAKE_QQ])
    return exam, subject, registration, id_number


def sign_in(cdp: Cdp, server_url: str, registration: Any, id_number: str) -> None:
    """From the exam's entry page (where the client starts) to the check page."""
    cdp.wait_for("document.readyState === 'complete' && location.pathname.startsWith('/exam/')")
    cdp.evaluate(f"location.href = {json.dumps(login_url(server_url, registration))}; true")
    cdp.wait_for("document.readyState === 'complete' && "
                 "document.getElementById('login-button') !== null")
    cdp.evaluate(f"""(() => {{
        for (const [id, value] of [['ticket_number', {json.dumps(registration.ticket_number)}],
                                   ['id_number', {json.dumps(id_number)}]]) {{
            const input = document.getElementById(id);
            input.value = value;
            input.dispatchEvent(new Event('input', {{bubbles: true}}));
        }}
        document.getElementById('login-button').click();
        return true;
    }})()""")
    try:
        cdp.wait_for("location.pathname.endsWith('/attempt/check/')")
    except AssertionError as exc:
        page = cdp.evaluate("location.href + '\\n' + document.body.innerText")
        raise AssertionError(f"not signed in; the page: {page}") from exc


def login_url(server_url: str, registration: Any) -> str:
    return (f"{server_url}/exam/{registration.exam.code}/login/"
            f"?subject={registration.subject.code}")


def check_passed(cdp: Cdp, name: str, timeout: float = 40) -> None:
    cdp.wait_for(f"document.querySelector('[data-check-name=\"{name}\"]')"
                 f"?.getAttribute('data-passed') === 'true'", timeout=timeout)


@pytest.fixture
def fake_program(tmp_path: Path) -> Iterator[Any]:
    """Starts (on demand) a harmless process named like a forbidden program."""
    binary = tmp_path / FAKE_PROGRAM
    shutil.copyfile("/bin/sleep", binary)
    binary.chmod(0o755)
    started: list[subprocess.Popen[bytes]] = []

    def start() -> None:
        started.append(subprocess.Popen([str(binary), "300"]))

    yield start
    for process in started:
        process.kill()
        process.wait()


def test_a_formal_exam_in_the_client_checks_the_machine_and_flags_a_program_started_later(
    server_url: str, start_client: Any, fake_program: Any
) -> None:
    exam, _subject, registration, id_number = formal_exam(["environment"])
    with start_client(server_url, exam.code, name="client-formal-exam") as client:
        cdp = client.cdp
        sign_in(cdp, server_url, registration, id_number)

        # The server accepted the signed requests (this is the check page, not the
        # refusal), stored the client's report, and the environment check passed.
        check_passed(cdp, "environment")
        assert cdp.evaluate("document.getElementById('client-required-title') === null")
        report = ClientEnvironmentReport.objects.filter(
            attempt__registration=registration).first()
        assert report is not None
        assert report.passed is True
        assert report.client_version == "0.1.0"
        keep_screenshot(client.screenshots / "client-check.png", "client-1-environment-check")
        cdp.screenshot("client-2-check-page")

        cdp.wait_for("!document.getElementById('start-button').disabled")
        cdp.evaluate("document.getElementById('start-button').click(); true")
        cdp.wait_for("location.pathname.endsWith('/attempt/')")
        attempt = Attempt.objects.get(registration=registration)
        cdp.screenshot("client-3-exam-page")

        # During the exam a forbidden program starts: within a re-check interval (10 s)
        # the server raises a flag, and the exam page tells the candidate.
        fake_program()
        flag = wait_until(lambda: Flag.objects.filter(attempt=attempt,
                                                      type="forbidden_software").first())
        assert FAKE_QQ["id"] in json.dumps(flag.details, ensure_ascii=False)
        banner = cdp.wait_for("document.getElementById('client-environment-banner')"
                              "?.innerText || ''")
        assert "QQ" in banner
        cdp.screenshot("client-4-exam-page-forbidden-program")
        latest = ClientEnvironmentReport.objects.filter(attempt=attempt).first()
        assert latest.passed is False


def test_the_camera_and_microphone_work_inside_the_client(
    server_url: str, start_client: Any
) -> None:
    """The device check and the face verification pass inside the client, and once the
    exam runs the PC camera's pictures reach the server through the snapshot fast path,
    signed like the rest."""
    exam, _subject, registration, id_number = formal_exam(["environment", "device",
                                                           "identity"])
    IdentityPolicy.objects.create(exam=exam, liveness=False, max_tries=2,
                                  threshold=Decimal("0.5"))
    identity_services.enrolment_photo_add(candidate_id=registration.candidate_id,
                                          data=photo_bytes("astronaut"))  # the fake camera's
    video = live_face_y4m(MEDIA_FIXTURES / "face-live.y4m")
    audio = tone_wav(MEDIA_FIXTURES / "tone-440.wav")
    # No --use-fake-ui-for-media-stream: the client itself grants the exam's origin.
    flags = (f"--use-fake-device-for-media-stream --use-file-for-fake-video-capture={video} "
             f"--use-file-for-fake-audio-capture={audio}")
    with start_client(server_url, exam.code, chromium_flags=flags,
                      name="client-device-check") as client:
        cdp = client.cdp
        sign_in(cdp, server_url, registration, id_number)
        link = "document.querySelector('[data-check-name=\"device\"] a.eh-check-action')"
        cdp.wait_for(f"{link} !== null")
        cdp.evaluate(f"{link}.click(); true")
        cdp.wait_for("location.pathname.endsWith('/attempt/device/')")
        cdp.wait_for("document.getElementById('preview').videoWidth > 0")
        cdp.wait_for("document.getElementById('device-app').hasAttribute('data-passed')",
                     timeout=60)
        cdp.screenshot("client-5-device-check")
        problems = cdp.evaluate("[...document.querySelectorAll('#device-checks [data-code]')]"
                                ".map(e => e.innerText)")
        assert cdp.evaluate(
            "document.getElementById('device-app').getAttribute('data-passed')") == "true", \
            problems
        report = DeviceCheckReport.objects.get(attempt__registration=registration)
        assert report.passed is True
        assert report.measurements["permissions"] == {"camera": "granted",
                                                      "microphone": "granted"}
        assert report.measurements["camera"]["width"] >= 640

        # Face verification against the enrolled photo, in the client's web view.
        cdp.evaluate(f"location.href = {json.dumps(server_url + '/attempt/identity/')}; true")
        cdp.wait_for("!!document.getElementById('verify-button') "
                     "&& !document.getElementById('verify-button').disabled", timeout=30)
        cdp.evaluate("document.getElementById('verify-button').click(); true")
        cdp.wait_for("document.getElementById('result')?.classList.contains('alert-success')",
                     timeout=60)
        cdp.screenshot("client-6-identity-passed")
        check = IdentityCheck.objects.get(attempt__registration=registration)
        assert check.status == "passed" and check.distance < 0.5

        # Monitoring runs unchanged inside the client.
        cdp.evaluate(f"location.href = {json.dumps(server_url + '/attempt/check/')}; true")
        cdp.wait_for("!!document.getElementById('start-button') "
                     "&& !document.getElementById('start-button').disabled")
        cdp.evaluate("document.getElementById('start-button').click(); true")
        cdp.wait_for("location.pathname.endsWith('/attempt/')")
        attempt = Attempt.objects.get(registration=registration)
        snapshot = wait_until(lambda: Snapshot.objects.filter(attempt=attempt,
                                                              camera="pc").first())
        assert snapshot.size_bytes > 0 and snapshot.width > 0


def test_without_the_client_a_formal_exam_is_refused_and_a_mock_exam_is_not(
    server_url: str,
) -> None:
    _exam, _subject, formal_registration, _id = formal_exam(["environment"])
    mock, _s, _se, _r, [(mock_registration, _mock_id)] = factories.make_sitting()
    ClientPolicy.objects.create(exam=mock, requires_client=False)

    with httpx.Client(headers={"Accept-Language": "zh-hans"}) as browser:
        refused = browser.get(login_url(server_url, formal_registration))
        allowed = browser.get(login_url(server_url, mock_registration))
        forged = browser.get(login_url(server_url, formal_registration),
                             headers={"X-ExamHall-Client": "v=0.1.0; sig=" + "0" * 64})

    assert refused.status_code == 403
    assert 'id="client-required-title"' in refused.text
    assert "/help/client/" in refused.text
    assert forged.status_code == 403
    assert allowed.status_code == 200
    assert 'id="ticket_number"' in allowed.text
