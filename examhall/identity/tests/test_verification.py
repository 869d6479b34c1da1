"""Identity verification through the candidate API: the server judges the frames
against the reference photo, counts tries, hands over to a proctor's review, and
the attempt's check-stage state follows."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import numpy as np
import pytest
from django.contrib.auth.models import Permission
from django.core.files.uploadedfile import SimpleUploadedFile

from examhall.candidates.models import Registration
from examhall.delivery.models import Attempt
from examhall.delivery.tests.helpers import CandidateClient
from examhall.devtools import factories
from examhall.identity import services
from examhall.identity.models import EnrolmentPhoto, IdentityCapture, IdentityCheck, IdentityPolicy
from examhall.identity.selectors import current_reference
from examhall.identity.tests.frames import frame, frame_array, jpeg, photo_bytes
from examhall.identity.tests.helpers import identity_try
from examhall.vision.faces import detect_faces
from examhall.vision.synthetic import turning_frames

pytestmark = pytest.mark.django_db


def _sitting(*, liveness: bool = False, mode: str = "enrolled", tries: int = 2,
             enrol: str | None = "obama", candidates: int = 1):
    exam, _subject, _se, _r, people = factories.make_sitting(
        questions=1, candidates=candidates, required_checks=["identity"])
    IdentityPolicy.objects.create(exam=exam, liveness=liveness, mode=mode, max_tries=tries,
                                  threshold=Decimal("0.5"))
    if enrol:
        for registration, _id in people:
            services.enrolment_photo_add(candidate_id=registration.candidate_id,
                                         data=photo_bytes(enrol))
    clients = []
    for person in people:
        client = CandidateClient(*person)
        assert client.login().status_code == 200
        clients.append(client)
    return exam, clients


_try = identity_try


def _upload(name: str, data: bytes) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, data, content_type="image/jpeg")


def _checks(client: CandidateClient) -> dict:
    body = client.post("/checks").json()
    return {"state": body["state"], **{c["name"]: c for c in body["checks"]}}


def test_the_registered_person_passes_and_the_attempt_is_ready():
    _exam, [client] = _sitting()
    before = _checks(client)
    assert before["state"] == "identity_check"
    assert before["identity"]["action_url"] == "/attempt/identity/"

    response = _try(client, [frame("obama2")])

    assert response.status_code == 200, response.content
    body = response.json()
    assert body["passed"] is True and body["status"] == "passed"
    after = _checks(client)
    assert after["state"] == "ready" and after["identity"]["passed"] is True
    check = IdentityCheck.objects.get()
    assert check.distance is not None and check.distance < 0.5
    capture = check.captures.get()
    assert capture.status == "passed" and capture.frames  # evidence kept
    assert client.post("/start").status_code == 200


def test_another_person_fails_each_try_then_waits_for_review_and_a_proctor_admits():
    _exam, [client] = _sitting(tries=2)
    first = _try(client, [frame("biden")]).json()
    assert (first["passed"], first["reason"], first["tries_left"]) == (False, "no_match", 1)
    assert first["message"]  # the localised sentence for no_match
    assert _checks(client)["state"] == "identity_check"

    second = _try(client, [frame("biden")]).json()
    assert second["status"] == "review" and second["tries_left"] == 0
    assert _checks(client)["state"] == "identity_review"
    refused = client.post("/start")
    assert refused.status_code == 409 and refused.json()["error"]["code"] == "checks_pending"
    again = client.post("/identity/captures")
    assert again.status_code == 409 and again.json()["error"]["code"] == "identity_in_review"


def test_a_proctor_approves_through_the_api(client, django_user_model):
    _exam, [candidate] = _sitting(tries=1)
    _try(candidate, [frame("biden")])
    proctor = django_user_model.objects.create_user("proctor1")
    client.force_login(proctor)
    assert client.get("/api/proctor/identity-reviews").status_code == 403
    proctor.user_permissions.add(Permission.objects.get(codename="review_identity"))
    proctor = django_user_model.objects.get(pk=proctor.pk)
    client.force_login(proctor)
    assert client.get("/api/proctor/identity-reviews").json() == []  # not their room yet
    candidate.registration.room.proctors.add(proctor)

    [waiting] = client.get("/api/proctor/identity-reviews").json()
    assert waiting["attempt_id"] == candidate.attempt_id
    assert waiting["reason"] == "no_match" and waiting["evidence"]
    assert waiting["reference_photo"]

    response = client.post(f"/api/proctor/attempts/{candidate.attempt_id}/identity-review",
                           {"decision": "approve", "note": "证件与本人一致"},
                           content_type="application/json")
    assert response.status_code == 200, response.content
    assert response.json()["status"] == "approved"
    assert _checks(candidate)["state"] == "ready"
    assert candidate.post("/start").status_code == 200
    check = IdentityCheck.objects.get()
    assert check.decided_by == proctor and check.note == "证件与本人一致"


def test_a_rejection_needs_a_reason_and_keeps_the_attempt_from_starting(client,
                                                                       django_user_model):
    _exam, [candidate] = _sitting(tries=1)
    _try(candidate, [frame("biden")])
    proctor = django_user_model.objects.create_user("proctor2")
    proctor.user_permissions.add(Permission.objects.get(codename="review_identity"))
    candidate.registration.room.proctors.add(proctor)
    client.force_login(proctor)
    url = f"/api/proctor/attempts/{candidate.attempt_id}/identity-review"
    no_reason = client.post(url, {"decision": "reject"}, content_type="application/json")
    assert no_reason.status_code == 422
    bad = client.post(url, {"decision": "maybe"}, content_type="application/json")
    assert bad.status_code == 422
    assert client.post(url, {"decision": "reject", "note": "非本人"},
                       content_type="application/json").status_code == 200
    checks = _checks(candidate)
    assert checks["state"] == "identity_review" and checks["identity"]["passed"] is False
    assert candidate.post("/start").status_code == 409
    assert candidate.get("/identity").json()["status"] == "rejected"
    twice = client.post(url, {"decision": "approve"}, content_type="application/json")
    assert twice.status_code == 409


def test_the_review_api_needs_a_signed_in_user(client):
    assert client.get("/api/proctor/identity-reviews").status_code == 401


def test_without_a_reference_photo_a_proctor_checks_at_once():
    _exam, [client] = _sitting(enrol=None)
    body = _try(client, [frame("obama")]).json()
    assert body["status"] == "review" and body["reason"] == "no_reference"
    assert _checks(client)["state"] == "identity_review"


def test_first_capture_becomes_the_reference_waiting_for_review():
    _exam, [client] = _sitting(enrol=None, mode="first_capture")
    body = _try(client, [frame("obama")]).json()
    assert body["passed"] is True
    photo = EnrolmentPhoto.objects.get()
    assert (photo.source, photo.review, photo.is_current) == ("first_capture", "pending", True)
    assert IdentityCheck.objects.get().reference == photo
    # The same person's next exam compares with that capture.
    exam2, subject2, session2, room2, _people = factories.make_sitting(
        questions=1, candidates=0, required_checks=["identity"])
    IdentityPolicy.objects.create(exam=exam2, liveness=False, mode="first_capture")
    registration = Registration.objects.create(
        candidate=photo.candidate, exam=exam2, subject=subject2, session=session2, room=room2,
        ticket_number="T-NEXT-1")
    again = CandidateClient(registration, client.id_number)
    assert again.login().status_code == 200
    assert _try(again, [frame("biden")]).json()["reason"] == "no_match"
    assert _try(again, [frame("obama2")]).json()["passed"] is True
    assert EnrolmentPhoto.objects.count() == 1


def test_a_face_check_without_matching_only_needs_one_face():
    exam, [client] = _sitting(enrol=None)
    IdentityPolicy.objects.filter(exam=exam).update(require_face_match=False)
    assert _try(client, [frame("biden")]).json()["passed"] is True


def test_two_people_in_the_picture_fail_with_their_own_reason():
    _exam, [client] = _sitting()
    left, right = frame_array("obama2", (320, 480)), frame_array("biden", (320, 480))
    body = _try(client, [jpeg(np.hstack([left, right]))]).json()
    assert (body["passed"], body["reason"]) == (False, "several_faces")


def test_no_face_and_a_dark_picture_say_what_to_do():
    _exam, [client] = _sitting(tries=5)
    grey = frame_array("obama2") * 0 + 128
    assert _try(client, [jpeg(grey)]).json()["reason"] == "no_face"
    dark = (frame_array("biden") * 0.12).astype("uint8")
    body = _try(client, [jpeg(dark)]).json()
    assert body["reason"] in {"too_dark", "no_face"} and body["passed"] is False


def test_liveness_a_still_photo_fails_and_a_real_turn_passes():
    _exam, [client] = _sitting(liveness=True, tries=3, enrol="astronaut")
    still = [frame("astronaut")] * 12
    body = _try(client, still, challenge="turn_left").json()
    assert (body["passed"], body["reason"]) == (False, "no_motion")

    array = frame_array("astronaut")
    face = detect_faces(array)[0].box
    box = (face.left, face.top, face.right, face.bottom)
    turning = [jpeg(f) for f in turning_frames(array, box, "turn_left", count=12)]
    wrong = _try(client, turning, challenge="turn_right").json()
    assert (wrong["passed"], wrong["reason"]) == (False, "wrong_direction")
    assert _try(client, turning, challenge="turn_left").json()["passed"] is True


def test_bad_uploads_are_refused_clearly():
    _exam, [client] = _sitting(tries=5)
    not_image = _try(client, [b"this is not a picture"])
    assert not_image.status_code == 422
    assert not_image.json()["error"]["code"] == "invalid_image"
    too_many = _try(client, [frame("obama2")] * 6)
    assert too_many.status_code == 422 and too_many.json()["error"]["code"] == "invalid_input"
    # A try is used once; an unknown one is not found.
    opened = client.post("/identity/captures").json()["capture_id"]
    IdentityCapture.objects.filter(pk=opened).update(
        expires_at=IdentityCapture.objects.get(pk=opened).expires_at - dt.timedelta(hours=1))
    expired = client.client.post(
        f"/api/attempts/{client.attempt_id}/identity/captures/{opened}",
        data={"frames": [_upload("f.jpg", frame("obama2"))]},
        HTTP_AUTHORIZATION=f"Bearer {client.token}")
    assert expired.status_code == 409 and expired.json()["error"]["code"] == "capture_expired"
    assert IdentityCheck.objects.get().failed_tries == 0  # refused uploads cost no try


def test_someone_elses_try_is_not_found():
    _exam, [first, second] = _sitting(candidates=2)
    capture_id = first.post("/identity/captures").json()["capture_id"]
    response = second.client.post(
        f"/api/attempts/{second.attempt_id}/identity/captures/{capture_id}",
        data={"frames": [_upload("f.jpg", frame("obama2"))]},
        HTTP_AUTHORIZATION=f"Bearer {second.token}")
    assert response.status_code == 404


def test_no_try_once_the_exam_has_started():
    _exam, [client] = _sitting()
    _try(client, [frame("obama2")])
    client.post("/start")
    assert Attempt.objects.get().state == "in_progress"
    response = client.post("/identity/captures")
    assert response.status_code == 409 and response.json()["error"]["code"] == "attempt_started"


def test_a_proctor_rejects_a_first_capture_and_the_next_try_takes_a_new_one(client,
                                                                         django_user_model):
    _exam, [candidate] = _sitting(enrol=None, mode="first_capture")
    assert _try(candidate, [frame("biden")]).json()["passed"] is True
    photo = EnrolmentPhoto.objects.get()
    proctor = django_user_model.objects.create_user("proctor3")
    proctor.user_permissions.add(Permission.objects.get(codename="review_identity"))
    candidate.registration.room.proctors.add(proctor)
    client.force_login(proctor)
    url = f"/api/proctor/enrolment-photos/{photo.pk}/review"
    response = client.post(url, {"decision": "reject"}, content_type="application/json")
    assert response.status_code == 200
    assert response.json() == {"photo_id": str(photo.pk), "review": "rejected",
                               "is_current": False}
    assert client.post(url, {"decision": "approve"},
                       content_type="application/json").status_code == 409
    assert current_reference(candidate_id=photo.candidate_id, mode="first_capture") is None


def test_a_proctor_sees_and_decides_only_for_their_own_rooms(client, django_user_model):
    _exam, [mine, theirs] = _sitting(tries=1, candidates=2)
    other_room = factories.make_room(session=theirs.registration.session, name="B")
    Registration.objects.filter(pk=theirs.registration.pk).update(room=other_room)
    for candidate in (mine, theirs):
        _try(candidate, [frame("biden")])
    review = Permission.objects.get(codename="review_identity")
    proctor = django_user_model.objects.create_user("proctor-a")
    proctor.user_permissions.add(review)
    mine.registration.room.proctors.add(proctor)
    client.force_login(proctor)

    waiting = client.get("/api/proctor/identity-reviews").json()
    assert [row["attempt_id"] for row in waiting] == [mine.attempt_id]
    other = client.post(f"/api/proctor/attempts/{theirs.attempt_id}/identity-review",
                        {"decision": "approve"}, content_type="application/json")
    assert other.status_code == 404
    assert _checks(theirs)["state"] == "identity_review"  # untouched
    # The admin's list of checks is scoped the same way.
    proctor.is_staff = True
    proctor.save()
    proctor.user_permissions.add(Permission.objects.get(codename="view_identitycheck"))
    client.force_login(proctor)
    listing = client.get("/admin/identity/identitycheck/").content.decode()
    assert mine.registration.ticket_number in listing
    assert theirs.registration.ticket_number not in listing

    office = django_user_model.objects.create_user("office-a")
    office.user_permissions.add(review, Permission.objects.get(codename="oversee_all_rooms"))
    client.force_login(office)
    assert {row["attempt_id"] for row in client.get("/api/proctor/identity-reviews").json()
            } == {mine.attempt_id, theirs.attempt_id}
