"""Pairing the phone as second camera, through the HTTP API and the phone page."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from examhall.delivery.tests.helpers import CandidateClient
from examhall.devtools import factories
from examhall.exams.models import Exam
from examhall.identity.tests.frames import frame
from examhall.proctoring.models import CameraPresence, PhonePairing, Snapshot
from examhall.proctoring.tests.pairing_helpers import (
    GOOD_PHONE_CHECKS,
    Phone,
    new_qr,
    paired_phone,
    token_of,
)

pytestmark = pytest.mark.django_db


def candidates(count: int = 1) -> list[CandidateClient]:
    _exam, _subject, _session, _room, people = factories.make_sitting(
        questions=1, candidates=count, required_checks=[Exam.Check.SECOND_CAMERA])
    clients = []
    for person in people:
        client = CandidateClient(*person)
        client.client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"  # messages read in English
        assert client.login().status_code == 200
        clients.append(client)
    return clients


def second_camera_check(pc: CandidateClient) -> dict:
    checks = pc.post("/checks").json()["checks"]
    return next(check for check in checks if check["name"] == "second_camera")


def test_qr_code_is_an_svg_of_a_phone_link_valid_ten_minutes() -> None:
    [pc] = candidates()
    qr = new_qr(pc)
    assert qr["state"] == "waiting"
    assert qr["url"].startswith("http://testserver/m/") and len(token_of(qr)) >= 20
    assert qr["qr_svg"].startswith("<svg") and "<path" in qr["qr_svg"]
    expires = dt.datetime.fromisoformat(qr["expires_at"])
    now = dt.datetime.fromisoformat(qr["server_now"])
    assert dt.timedelta(minutes=9, seconds=59) <= expires - now <= dt.timedelta(minutes=10)
    # The token is kept only as a digest.
    assert not PhonePairing.objects.filter(token_digest=token_of(qr)).exists()
    # Shown once: reading the state does not show the link again.
    detail = pc.get("/phone-pairing").json()
    assert detail["state"] == "waiting" and detail["url"] is None


def test_public_url_setting_names_the_host_phones_open(settings) -> None:
    settings.EXAMHALL_PUBLIC_URL = "https://exam.example.org"
    [pc] = candidates()
    assert new_qr(pc)["url"].startswith("https://exam.example.org/m/")


def test_phone_pairs_checks_confirms_and_the_pc_check_turns_green() -> None:
    [pc] = candidates()
    assert second_camera_check(pc)["passed"] is False
    qr = new_qr(pc)
    phone = Phone()
    response = phone.pair(token_of(qr), pc.registration.ticket_number, pc.id_number)
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["state"] == "connected" and body["attempt_state"] != "in_progress"
    assert body["exam"]["code"] == pc.registration.exam.code
    assert body["candidate_name"].endswith("*")
    assert body["candidate_name"] != pc.registration.candidate.name
    assert pc.get("/phone-pairing").json()["state"] == "connected"
    assert pc.get("/phone-pairing").json()["phone_browser"] == "Chrome · Android"

    assert phone.post("confirm").status_code == 409  # checks first
    checks = phone.post("checks", GOOD_PHONE_CHECKS).json()
    assert checks["passed"] is True and checks["state"] == "checked"
    assert [v["check"] for v in checks["verdicts"]] == ["compatibility", "permission",
                                                        "devices", "availability"]
    assert second_camera_check(pc)["passed"] is False
    assert phone.post("confirm").json()["state"] == "confirmed"
    assert second_camera_check(pc)["passed"] is True
    assert pc.get("").json()["can_start"] is True


@pytest.mark.parametrize(("change", "code"), [
    ({"camera": {"width": 0, "height": 0, "brightness": None, "frame_difference": None}},
     "camera_no_frames"),
    ({"permissions": {"camera": "denied"}}, "camera_denied"),
    ({"camera": {"width": 480, "height": 640, "brightness": 3.0, "frame_difference": 0.0}},
     "camera_black"),
    ({"camera": {"width": 240, "height": 320, "brightness": 120.0, "frame_difference": 2.0}},
     "camera_resolution_low"),
])
def test_phone_checks_fail_with_what_to_fix(change: dict, code: str) -> None:
    [pc] = candidates()
    phone = paired_phone(pc, confirm=False)
    result = phone.post("checks", {**GOOD_PHONE_CHECKS, **change}).json()
    assert result["passed"] is False
    problems = [p for v in result["verdicts"] for p in v["problems"]]
    assert code in [p["code"] for p in problems]
    assert all(p["message"] and p["message"] != p["code"] for p in problems)
    assert phone.post("confirm").status_code == 409


def test_phone_checks_refuse_malformed_measurements() -> None:
    [pc] = candidates()
    phone = paired_phone(pc, confirm=False)
    response = phone.post("checks", {**GOOD_PHONE_CHECKS, "camera": {"width": -1}})
    assert response.status_code == 422
    assert response.json()["error"]["code"] == "invalid_input"


def test_wrong_numbers_and_another_candidates_numbers_are_refused() -> None:
    pc, other = candidates(2)
    token = token_of(new_qr(pc))
    phone = Phone()
    assert phone.pair(token, pc.registration.ticket_number, other.id_number).status_code == 401
    response = phone.pair(token, other.registration.ticket_number, other.id_number)
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "login_failed"
    assert pc.get("/phone-pairing").json()["state"] == "waiting"


def test_unknown_used_and_expired_codes_are_refused_clearly() -> None:
    [pc] = candidates()
    numbers = (pc.registration.ticket_number, pc.id_number)
    unknown = Phone().pair("x" * 24, *numbers)
    assert (unknown.status_code, unknown.json()["error"]["code"]) == (404, "pairing_not_found")

    token = token_of(new_qr(pc))
    assert Phone().pair(token, *numbers).status_code == 200
    used = Phone().pair(token, *numbers)
    assert (used.status_code, used.json()["error"]["code"]) == (409, "pairing_used")

    token = token_of(new_qr(pc))
    PhonePairing.objects.filter(claimed_at__isnull=True).update(
        expires_at=timezone.now() - dt.timedelta(seconds=1))
    expired = Phone().pair(token, *numbers)
    assert (expired.status_code, expired.json()["error"]["code"]) == (410, "pairing_expired")
    assert "10" in expired.json()["error"]["message"]


def test_a_new_code_withdraws_the_unclaimed_one() -> None:
    [pc] = candidates()
    first = token_of(new_qr(pc))
    new_qr(pc)
    response = Phone().pair(first, pc.registration.ticket_number, pc.id_number)
    assert response.json()["error"]["code"] == "pairing_expired"


def test_one_phone_at_a_time_the_old_one_is_told() -> None:
    [pc] = candidates()
    old = paired_phone(pc)
    new = paired_phone(pc, confirm=False)
    gone = old.get("session")
    assert gone.status_code == 410
    assert gone.json()["error"]["details"]["reason"] == "replaced"
    assert "another phone" in gone.json()["error"]["message"]
    assert old.post("heartbeat").status_code == 410
    assert new.get("session").json()["state"] == "connected"
    # The new phone must pass its own checks: the second camera is not ready yet.
    assert second_camera_check(pc)["passed"] is False


def test_unpairing_from_the_pc_ends_the_phone() -> None:
    [pc] = candidates()
    phone = paired_phone(pc)
    assert pc.post("/phone-pairing/end").json()["state"] == "ended"
    assert phone.get("session").json()["error"]["details"]["reason"] == "unpaired"
    assert second_camera_check(pc)["passed"] is False


def test_heartbeats_before_the_start_show_the_phone_connected() -> None:
    [pc] = candidates()
    phone = paired_phone(pc)
    beat = phone.post("heartbeat").json()
    assert beat["monitoring"] is False and beat["next_snapshot_in_seconds"] == 20
    assert CameraPresence.objects.filter(attempt_id=pc.attempt_id, camera="phone").exists()
    assert pc.get("/phone-pairing").json()["phone_camera"] == "connected"
    # A phone silent for longer than the grace period: the check asks to wake it up.
    CameraPresence.objects.filter(attempt_id=pc.attempt_id).update(
        last_seen_at=timezone.now() - dt.timedelta(minutes=5))
    check = second_camera_check(pc)
    assert check["passed"] is False and "stopped responding" in check["detail"]


def test_phone_pictures_only_during_the_exam_and_only_as_the_phone() -> None:
    [pc] = candidates()
    phone = paired_phone(pc)
    phone.post("heartbeat")
    early = phone.snapshot(frame("obama"))
    assert (early.status_code, early.json()["error"]["code"]) == (409,
                                                                  "attempt_not_in_progress")
    pc.start()
    assert phone.post("heartbeat").json()["monitoring"] is True
    sent = phone.snapshot(frame("obama"))
    assert sent.status_code == 202, sent.content
    snapshot = Snapshot.objects.get(pk=sent.json()["snapshot_id"])
    assert (str(snapshot.attempt_id), snapshot.camera) == (pc.attempt_id, "phone")
    # The phone credential is not the attempt token: no answers, no paper.
    bearer = {"HTTP_AUTHORIZATION": f"Bearer {phone.credential}"}
    assert pc.client.get(f"/api/attempts/{pc.attempt_id}", **bearer).status_code == 401
    assert phone.client.post(f"/api/attempts/{pc.attempt_id}/snapshots",
                             **bearer).status_code == 401


def test_the_phone_is_told_when_the_exam_is_over() -> None:
    [pc] = candidates()
    phone = paired_phone(pc)
    pc.start()
    assert pc.post("/submit").status_code == 200
    gone = phone.get("session")
    assert gone.status_code == 410 and gone.json()["error"]["details"]["reason"] == "finished"
    assert pc.post("/phone-pairing").status_code == 409


def test_phone_page_states(client) -> None:
    [pc] = candidates()
    token = token_of(new_qr(pc))
    page = client.get(f"/m/{token}/")
    assert page.status_code == 200
    assert page["Referrer-Policy"] == "no-referrer"
    assert "no-store" in page["Cache-Control"] or "max-age=0" in page["Cache-Control"]
    assert pc.registration.exam.name in page.content.decode()
    assert client.get("/m/not-a-token-at-all-123456/").status_code == 404
    Phone().pair(token, pc.registration.ticket_number, pc.id_number)
    assert client.get(f"/m/{token}/").status_code == 200  # a reload resumes on that phone
    token = token_of(new_qr(pc))
    PhonePairing.objects.filter(claimed_at__isnull=True).update(
        expires_at=timezone.now() - dt.timedelta(seconds=1))
    assert client.get(f"/m/{token}/").status_code == 410
    assert client.get("/m/").status_code == 200


def test_the_pc_pairing_page_needs_the_candidates_sign_in(client) -> None:
    response = client.get("/attempt/phone/")
    assert response.status_code == 302
    [pc] = candidates()
    page = pc.client.get("/attempt/phone/")
    assert page.status_code == 200


def test_the_office_sees_pairings_in_the_admin_without_their_tokens(client,
                                                                     django_user_model) -> None:
    [pc] = candidates()
    paired_phone(pc)
    pairing = PhonePairing.objects.get()
    client.force_login(django_user_model.objects.create_superuser("office", "o@x.org", "pw"))
    listing = client.get("/admin/proctoring/phonepairing/")
    page = client.get(f"/admin/proctoring/phonepairing/{pairing.pk}/change/")
    assert listing.status_code == 200
    assert pc.registration.ticket_number in listing.content.decode()
    assert page.status_code == 200 and pairing.token_digest not in page.content.decode()
    assert client.get("/admin/proctoring/phonepairing/add/").status_code == 403


def test_the_pairing_page_stays_open_during_the_exam_to_replace_a_phone() -> None:
    [pc] = candidates()
    paired_phone(pc)
    pc.start()
    page = pc.client.get("/attempt/phone/")
    assert page.status_code == 200
    assert 'href="/attempt/"' in page.content.decode()  # back to the exam, not the checks
    assert pc.post("/submit").status_code == 200
    assert pc.client.get("/attempt/phone/")["Location"] == "/attempt/done/"


def test_a_blocked_camera_gets_phone_steps_and_wechat_its_own() -> None:
    [pc] = candidates()
    blocked = {**GOOD_PHONE_CHECKS, "permissions": {"camera": "denied"}}
    phone = paired_phone(pc, confirm=False)
    message = phone.post("checks", blocked).json()["verdicts"][1]["problems"][0]["message"]
    assert "Tap" in message and "address bar" in message

    wechat = Phone(user_agent="Mozilla/5.0 (Linux; Android 14) AppleWebKit/537.36 Chrome/116.0 "
                   "Mobile Safari/537.36 XWEB/1160117 MMWEBSDK/20240301 MicroMessenger/8.0.47")
    response = wechat.pair(token_of(new_qr(pc)), pc.registration.ticket_number, pc.id_number)
    assert response.status_code == 200
    message = wechat.post("checks", blocked).json()["verdicts"][1]["problems"][0]["message"]
    assert "WeChat" in message
