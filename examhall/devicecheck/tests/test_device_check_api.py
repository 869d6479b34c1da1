"""The device check through the candidate API: measurements in, the server's verdicts
out, the check page's "device" item following the latest report."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from examhall.delivery.models import Attempt
from examhall.delivery.tests.helpers import CandidateClient
from examhall.devicecheck.models import DeviceCheckPolicy, DeviceCheckReport
from examhall.devicecheck.schemas import NETWORK_TEST_MAX_BYTES
from examhall.devicecheck.tests.helpers import GOOD_REPORT
from examhall.devtools import factories

pytestmark = pytest.mark.django_db

GOOD = GOOD_REPORT


def _report(**changes: dict[str, Any]) -> dict[str, Any]:
    """GOOD with some sections changed: ``_report(camera={"width": 320})``."""
    body = copy.deepcopy(GOOD)
    for section, values in changes.items():
        if isinstance(values, dict):
            body[section].update(values)
        else:
            body[section] = values
    return body


def _verdict(body: dict[str, Any], check: str) -> dict[str, Any]:
    return next(v for v in body["verdicts"] if v["check"] == check)


def _codes(body: dict[str, Any], check: str) -> list[str]:
    return [problem["code"] for problem in _verdict(body, check)["problems"]]


def _candidate(required_checks: list[str] | None = None) -> CandidateClient:
    _e, _s, _se, _r, [(registration, id_number)] = factories.make_sitting(
        required_checks=["device"] if required_checks is None else required_checks
    )
    client = CandidateClient(registration, id_number)
    assert client.login().status_code == 200
    return client


@pytest.fixture
def candidate() -> CandidateClient:
    return _candidate()


def _device_item(candidate: CandidateClient) -> dict[str, Any]:
    body = candidate.post("/checks").json()
    return next(check for check in body["checks"] if check["name"] == "device")


def test_given_no_report_then_device_check_pending_with_a_link_to_the_page(candidate):
    item = _device_item(candidate)
    assert item["passed"] is False
    assert item["action_url"] == "/attempt/device/"
    assert item["action_label"]


def test_given_good_measurements_then_passed_and_check_page_shows_device_passed(candidate):
    response = candidate.post("/device-check", GOOD)

    assert response.status_code == 200, response.content
    body = response.json()
    assert body["passed"] is True
    assert Attempt.objects.get(pk=candidate.attempt_id).state == "ready"  # at once
    assert [v["check"] for v in body["verdicts"]] == [
        "compatibility", "permission", "devices", "availability", "display", "network"]
    assert {v["status"] for v in body["verdicts"]} == {"passed"}
    assert _device_item(candidate)["passed"] is True
    checks = candidate.post("/checks").json()
    assert checks["can_start"] is True
    report = DeviceCheckReport.objects.get()
    assert report.measurements["camera"]["width"] == 1280
    assert report.verdicts[0] == {"check": "compatibility", "status": "passed", "codes": []}


@pytest.mark.parametrize(("changes", "check", "code"), [
    ({"devices": {"camera_count": 0}}, "devices", "no_camera"),
    ({"devices": {"microphone_count": 0}}, "devices", "no_microphone"),
    # Nothing to allow without a camera: only "devices" fails, not "permission".
    ({"devices": {"camera_count": 0}, "permissions": {"camera": "unknown"}}, "devices",
     "no_camera"),
    ({"camera": {"brightness": 3.0}}, "availability", "camera_black"),
    ({"camera": {"frame_difference": 0.0}}, "availability", "camera_frozen"),
    ({"camera": {"width": 320, "height": 240}}, "availability", "camera_resolution_low"),
    ({"camera": {"width": None, "height": None, "brightness": None,
                 "frame_difference": None}}, "availability", "camera_no_frames"),
    ({"microphone": {"peak_level": 0.0}}, "availability", "microphone_silent"),
    ({"screen_extended": True}, "display", "screen_extended"),
    ({"permissions": {"camera": "denied"}}, "permission", "camera_denied"),
    ({"permissions": {"microphone": "prompt"}}, "permission", "microphone_not_granted"),
    ({"features": {"indexeddb": False}}, "compatibility", "no_indexeddb"),
    ({"features": {"getusermedia": False}}, "compatibility", "no_getusermedia"),
    ({"browser": {"name": "ie", "version": "11.0"}}, "compatibility", "browser_unsupported"),
    ({"browser": {"name": "firefox", "version": "60.0"}}, "compatibility",
     "browser_unsupported"),
])
def test_given_a_failure_then_not_passed_with_its_own_code_and_hint(candidate, changes,
                                                                     check, code):
    response = candidate.post("/device-check", _report(**changes))

    assert response.status_code == 200, response.content
    body = response.json()
    assert body["passed"] is False
    assert _verdict(body, check)["status"] == "failed"
    assert _codes(body, check) == [code]
    message = _verdict(body, check)["problems"][0]["message"]
    assert message and message != code
    others = [v for v in body["verdicts"] if v["check"] != check]
    assert {v["status"] for v in others} == {"passed"}
    assert _device_item(candidate)["passed"] is False


def _post_in_english(candidate: CandidateClient, body: dict[str, Any]) -> dict[str, Any]:
    response = candidate.client.post(
        f"/api/attempts/{candidate.attempt_id}/device-check", body,
        content_type="application/json", HTTP_AUTHORIZATION=f"Bearer {candidate.token}",
        HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 200, response.content
    return response.json()


def test_given_extended_screen_then_hint_asks_to_disconnect_the_extra_display(candidate):
    body = _post_in_english(candidate, _report(screen_extended=True))
    assert "extra display" in _verdict(body, "display")["problems"][0]["message"]


def test_given_denied_permission_then_hint_fits_the_browser(candidate):
    firefox = _post_in_english(candidate, _report(
        browser={"name": "firefox", "version": "128.0"}, permissions={"camera": "denied"}))
    qq = _post_in_english(candidate, _report(
        browser={"name": "qq", "version": "120.0"}, permissions={"camera": "denied"}))
    assert "crossed-out camera icon" in _verdict(firefox, "permission")["problems"][0]["message"]
    assert "QQ" in _verdict(qq, "permission")["problems"][0]["message"]
    assert "QQ" not in _verdict(firefox, "permission")["problems"][0]["message"]


def test_given_slow_network_then_only_a_warning_and_still_passed(candidate):
    body = candidate.post("/device-check", _report(network={"down_mbps": 3.5})).json()

    assert body["passed"] is True
    assert _verdict(body, "network")["status"] == "warning"
    assert _codes(body, "network") == ["network_slow"]
    assert body["min_network_mbps"] == 10.0
    assert _device_item(candidate)["passed"] is True


def test_given_a_later_failing_report_then_device_no_longer_passes(candidate):
    candidate.post("/device-check", GOOD)
    assert _device_item(candidate)["passed"] is True

    candidate.post("/device-check", _report(camera={"brightness": 0.0}))

    assert _device_item(candidate)["passed"] is False


def test_policy_is_created_on_demand_and_its_limits_apply():
    candidate = _candidate()
    exam = candidate.registration.exam
    assert not DeviceCheckPolicy.objects.filter(exam=exam).exists()
    candidate.post("/device-check", GOOD)
    policy = DeviceCheckPolicy.objects.get(exam=exam)
    assert (policy.min_width, policy.min_height, policy.require_microphone) == (640, 480, True)

    policy.min_width, policy.min_height, policy.require_microphone = 1920, 1080, False
    policy.save()
    body = candidate.post("/device-check", _report(
        microphone={"peak_level": 0.0}, devices={"microphone_count": 0})).json()

    assert _codes(body, "availability") == ["camera_resolution_low"]
    assert _codes(body, "devices") == []


@pytest.mark.parametrize("body", [
    {},
    _report(camera={"width": -1}),
    _report(camera={"brightness": 300}),
    _report(microphone={"peak_level": 1.5}),
    _report(permissions={"camera": "yes"}),
    _report(features={"websocket": "true"}),
    _report(browser={"name": "<script>", "version": "1"}),
    _report(devices={"camera_label": "x" * 201}),
    _report(network={"down_mbps": "fast"}),
    {**GOOD, "passed": True},  # the browser's own verdict is not accepted
    [1, 2, 3],
])
def test_bad_input_is_a_422_never_a_500(candidate, body):
    response = candidate.post("/device-check", body)

    assert response.status_code == 422, response.content
    assert response.json()["error"]["code"] == "invalid_input"
    assert response.json()["error"]["message"]
    assert not DeviceCheckReport.objects.exists()


def test_body_that_is_not_json_is_refused_cleanly(candidate):
    response = candidate.client.post(
        f"/api/attempts/{candidate.attempt_id}/device-check", "{not json",
        content_type="application/json", HTTP_AUTHORIZATION=f"Bearer {candidate.token}")
    assert response.status_code in (400, 422)
    assert response.json()["error"]["code"] == "invalid_input"


def test_after_start_the_report_is_refused_with_409(candidate):
    candidate.post("/device-check", GOOD)
    candidate.post("/checks")
    candidate.start()

    response = candidate.post("/device-check", GOOD)

    assert response.status_code == 409
    assert response.json()["error"]["code"] == "attempt_started"
    assert response.json()["error"]["message"]
    assert DeviceCheckReport.objects.count() == 1


def test_someone_elses_attempt_is_a_404(candidate):
    other = _candidate()

    for response in (
        candidate.post("/device-check", GOOD, attempt_id=other.attempt_id),
        candidate.get("/network-test?bytes=10", attempt_id=other.attempt_id),
        candidate.post("/network-test", attempt_id=other.attempt_id),
    ):
        assert response.status_code == 404
        assert response.json()["error"]["code"] == "attempt_not_found"
    assert not DeviceCheckReport.objects.exists()


def test_without_token_is_a_401(candidate):
    candidate.token = ""
    assert candidate.post("/device-check", GOOD).status_code == 401


def test_given_exam_without_device_check_then_the_page_is_a_practice_run():
    candidate = _candidate(required_checks=[])
    assert candidate.client.get("/attempt/device/").status_code == 200
    body = candidate.post("/device-check", _report(camera={"brightness": 0.0})).json()
    assert body["passed"] is False
    assert candidate.post("/checks").json()["can_start"] is True


def test_device_page_for_signed_in_candidate_only(candidate):
    page = candidate.client.get("/attempt/device/")
    assert page.status_code == 200
    assert str(candidate.attempt_id) in page.content.decode()
    from django.test import Client
    assert Client().get("/attempt/device/").url == "/"


def test_download_returns_the_asked_number_of_random_bytes_uncached(candidate):
    response = candidate.get("/network-test?bytes=1000")

    assert response.status_code == 200
    assert len(response.content) == 1000
    assert response["Cache-Control"] == "no-store"
    assert response.content != candidate.get("/network-test?bytes=1000").content


def test_download_size_is_capped(candidate):
    assert len(candidate.get(f"/network-test?bytes={NETWORK_TEST_MAX_BYTES}").content) == (
        NETWORK_TEST_MAX_BYTES)
    for size in (NETWORK_TEST_MAX_BYTES + 1, 0, -5, "lots"):
        response = candidate.get(f"/network-test?bytes={size}")
        assert response.status_code == 422, size
        assert response.json()["error"]["code"] == "invalid_input"


def _upload(candidate: CandidateClient, size: int) -> Any:
    return candidate.client.post(
        f"/api/attempts/{candidate.attempt_id}/network-test", b"x" * size,
        content_type="application/octet-stream",
        HTTP_AUTHORIZATION=f"Bearer {candidate.token}")


def test_upload_counts_the_bytes_up_to_the_cap(candidate):
    small = _upload(candidate, 12345)
    assert small.status_code == 200
    assert small.json() == {"received_bytes": 12345}
    assert _upload(candidate, NETWORK_TEST_MAX_BYTES).json()["received_bytes"] == (
        NETWORK_TEST_MAX_BYTES)

    too_big = _upload(candidate, NETWORK_TEST_MAX_BYTES + 1)

    assert too_big.status_code == 413
    assert too_big.json()["error"]["code"] == "payload_too_large"


def test_network_test_is_rate_limited_per_attempt(candidate, settings):
    from examhall.devicecheck import ratelimits
    limit = int(ratelimits.NETWORK_TEST_RATE.split("/")[0])
    for _ in range(limit):
        assert candidate.get("/network-test?bytes=1").status_code == 200

    refused = candidate.get("/network-test?bytes=1")

    assert refused.status_code == 429
    assert refused.json()["error"]["code"] == "too_many_requests"
    other = _candidate()
    assert other.get("/network-test?bytes=1").status_code == 200


def test_after_start_network_test_is_refused(candidate):
    candidate.post("/device-check", GOOD)
    candidate.post("/checks")
    candidate.start()
    assert candidate.get("/network-test?bytes=10").status_code == 409
