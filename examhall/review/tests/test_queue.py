"""The review queue: which attempts queue, the most serious first, filters, and scoping
by the rooms a reviewer may watch (others get nothing, and 404 on an attempt)."""

from __future__ import annotations

import re

import pytest
from django.test import Client

from examhall.delivery import services as delivery
from examhall.devtools import factories
from examhall.review.tests import helpers

pytestmark = pytest.mark.django_db


def _queue_order(client: Client, query: str = "") -> list[str]:
    response = client.get(f"/review/{query}")
    assert response.status_code == 200
    return re.findall(r'<tr data-attempt="([0-9a-f-]+)"', response.content.decode())


@pytest.fixture
def room_with_evidence():
    """Six finished attempts in room 1, one in room 2 of the same session."""
    exam, subject, session, room, people = factories.make_sitting(questions=1, candidates=6)
    attempts = [helpers.finished_attempt(registration) for registration, _id in people]
    low, high, medium, dismissed, reported, clean = attempts
    proctor = helpers.staff("proctor-a", rooms=(room,), permissions=("proctor_rooms",))
    helpers.flag(low, "fullscreen_left", occurrences=5)
    helpers.flag(high, "several_faces", evidence=helpers.snapshot(high))
    helpers.flag(medium, "clipboard_used")
    helpers.flag(medium, "camera_lost")
    helpers.flag(dismissed, "identity_mismatch", status="dismissed")
    helpers.irregularity(reported, proctor)
    other_room = factories.make_room(session=session, name="Room 2")
    elsewhere = helpers.finished_attempt(factories.make_registration(
        exam=exam, subject=subject, session=session, room=other_room))
    helpers.flag(elsewhere, "several_faces")
    return {"exam": exam, "room": room, "other_room": other_room, "low": low, "high": high,
            "medium": medium, "dismissed": dismissed, "reported": reported, "clean": clean,
            "elsewhere": elsewhere}


def _client(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_the_most_serious_attempt_comes_first_and_dismissed_or_clean_ones_do_not_queue(
        room_with_evidence):
    given = room_with_evidence
    reviewer = helpers.staff("reviewer", rooms=(given["room"],))

    order = _queue_order(_client(reviewer))

    assert order == [str(given[name].pk) for name in ("high", "medium", "reported", "low")]


def test_a_terminated_attempt_queues_as_high(room_with_evidence):
    given = room_with_evidence
    delivery.attempt_void(attempt_id=given["clean"].pk, actor=None, reason="terminated")
    reviewer = helpers.staff("reviewer", rooms=(given["room"],))

    order = _queue_order(_client(reviewer))

    assert order[:2] == [str(given["high"].pk), str(given["clean"].pk)]
    assert len(order) == 5


def test_decided_attempts_move_below_those_waiting(room_with_evidence):
    given = room_with_evidence
    reviewer = helpers.staff("reviewer", rooms=(given["room"],))
    client = _client(reviewer)

    response = client.post(f"/review/attempts/{given['high'].pk}/decide",
                           {"status": "passed", "note": ""})

    assert response.status_code == 302
    assert _queue_order(client)[-1] == str(given["high"].pk)
    assert _queue_order(client, "?status=passed") == [str(given["high"].pk)]
    assert str(given["high"].pk) not in _queue_order(client, "?status=not_reviewed")


def test_the_room_filter_and_the_exam_office_sees_every_room(room_with_evidence):
    given = room_with_evidence
    office = helpers.staff("office", superuser=True)
    client = _client(office)

    assert len(_queue_order(client)) == 5
    assert _queue_order(client, f"?room={given['other_room'].pk}") == [
        str(given["elsewhere"].pk)]
    assert len(_queue_order(client, f"?exam={given['exam'].pk}")) == 5


def test_a_reviewer_of_another_room_sees_nothing_and_gets_404_on_the_attempt(
        room_with_evidence):
    given = room_with_evidence
    outsider = helpers.staff("outsider", rooms=(given["other_room"],))
    client = _client(outsider)
    attempt_id = given["high"].pk

    assert _queue_order(client) == [str(given["elsewhere"].pk)]
    for path in (f"/review/attempts/{attempt_id}/", f"/review/attempts/{attempt_id}/report/",
                 f"/review/attempts/{attempt_id}/report.pdf"):
        assert client.get(path).status_code == 404, path
    decide = client.post(f"/review/attempts/{attempt_id}/decide",
                         {"status": "violation", "note": "no"})
    assert decide.status_code == 404
    given["high"].refresh_from_db()
    assert given["high"].state != "voided"


def test_users_without_the_review_permission_are_refused(room_with_evidence):
    given = room_with_evidence
    proctor = helpers.staff("proctor-only", rooms=(given["room"],),
                            permissions=("proctor_rooms",))
    client = _client(proctor)
    attempt_id = given["high"].pk

    assert client.get("/review/").status_code == 403
    assert client.get(f"/review/attempts/{attempt_id}/").status_code == 403
    assert client.post(f"/review/attempts/{attempt_id}/decide",
                       {"status": "passed"}).status_code == 403
    anonymous = Client().get("/review/")
    assert anonymous.status_code == 302 and "/admin/login/" in anonymous["Location"]


def test_the_detail_page_shows_the_evidence(room_with_evidence):
    given = room_with_evidence
    reviewer = helpers.staff("reviewer", rooms=(given["room"],))
    high = given["high"]
    picture = high.flags.get().evidence.get()

    body = _client(reviewer).get(f"/review/attempts/{high.pk}/").content.decode()

    assert high.registration.ticket_number in body
    assert high.registration.candidate.id_number_masked in body
    assert f"/review/snapshots/{picture.pk}/" in body
    assert 'id="decision-form"' in body


def test_evidence_pictures_are_served_to_reviewers_of_the_room_only(room_with_evidence):
    given = room_with_evidence
    picture = given["high"].flags.get().evidence.get()
    reviewer = helpers.staff("reviewer", rooms=(given["room"],))
    outsider = helpers.staff("outsider", rooms=(given["other_room"],))

    served = _client(reviewer).get(f"/review/snapshots/{picture.pk}/")

    assert served.status_code == 200 and served["Content-Type"] == "image/jpeg"
    assert served.content[:2] == b"\xff\xd8"
    assert _client(outsider).get(f"/review/snapshots/{picture.pk}/").status_code == 404
