"""Candidate sign-in: each refusal has its own clear message; failures are rate-limited."""

from __future__ import annotations

import datetime as dt

import pytest

from examhall.core import clock
from examhall.delivery.tests.helpers import CandidateClient
from examhall.devtools import factories

pytestmark = pytest.mark.django_db


@pytest.fixture
def sitting():
    return factories.make_sitting()


def test_given_right_ticket_and_id_when_login_then_token_and_check_page(sitting):
    _exam, _subject, _session, _room, [(registration, id_number)] = sitting
    candidate = CandidateClient(registration, id_number)

    response = candidate.login()

    assert response.status_code == 200
    body = response.json()
    assert body["next_url"] == "/attempt/check/"
    assert body["token"]
    assert candidate.client.get("/attempt/check/").status_code == 200


def test_given_lowercase_x_and_spaces_when_login_then_accepted():
    exam, subject, session, room, _ = factories.make_sitting(candidates=0)
    id_number = "11010519491231002X"
    registration = factories.make_registration(exam=exam, subject=subject, session=session,
                                               room=room, id_number=id_number)
    response = CandidateClient(registration, " 11010519491231002x ").login()
    assert response.status_code == 200


@pytest.mark.parametrize("field,value", [("ticket_number", "NOPE0000"),
                                         ("id_number", factories.resident_id_number(999))])
def test_given_wrong_pair_when_login_then_one_message_for_both(sitting, field, value):
    _exam, _subject, _session, _room, [(registration, id_number)] = sitting

    response = CandidateClient(registration, id_number).login(**{field: value})

    assert response.status_code == 401
    error = response.json()["error"]
    assert error["code"] == "login_failed"
    assert "准考证号" in error["message"]  # Simplified Chinese by default


def test_given_other_subject_when_login_then_wrong_subject_names_both(sitting):
    exam, _subject, _session, _room, [(registration, id_number)] = sitting
    factories.make_subject(exam=exam, code="OTHER", specialty="碳资产管理", level="中级")

    response = CandidateClient(registration, id_number).login(subject_code="OTHER")

    assert response.status_code == 403
    error = response.json()["error"]
    assert error["code"] == "wrong_subject"
    assert "碳排放管理技术（高级）" in error["message"]
    assert "碳资产管理（中级）" in error["message"]


def test_given_session_not_open_when_login_then_says_when_it_opens(sitting):
    _exam, _subject, session, _room, [(registration, id_number)] = sitting
    session.opens_at = clock.now() + dt.timedelta(hours=2)
    session.closes_at = session.opens_at + dt.timedelta(hours=3)
    session.save()

    response = CandidateClient(registration, id_number).login()

    assert response.status_code == 403
    assert response.json()["error"]["code"] == "session_not_open"


def test_given_session_closed_when_login_then_closed(sitting):
    _exam, _subject, _session, _room, [(registration, id_number)] = sitting
    clock.shift(dt.timedelta(hours=5))

    response = CandidateClient(registration, id_number).login()

    assert response.json()["error"]["code"] == "session_closed"


def test_given_late_entry_passed_when_login_then_late_entry_message(sitting):
    _exam, _subject, session, _room, [(registration, id_number)] = sitting
    session.late_entry_minutes = 30
    session.save()

    response = CandidateClient(registration, id_number).login()

    assert response.status_code == 403
    assert response.json()["error"]["code"] == "late_entry_passed"


def test_given_started_attempt_when_late_entry_passed_then_may_still_resume(sitting):
    _exam, _subject, session, _room, [(registration, id_number)] = sitting
    candidate = CandidateClient(registration, id_number)
    candidate.login()
    candidate.start()
    session.late_entry_minutes = 30
    session.save()

    assert CandidateClient(registration, id_number).login().status_code == 200


def test_given_unknown_exam_when_login_then_404(sitting):
    _exam, _subject, _session, _room, [(registration, id_number)] = sitting
    response = CandidateClient(registration, id_number).client.post(
        "/api/exams/no-such-exam/login",
        {"subject_code": "SUBJ", "ticket_number": "x", "id_number": "y"},
        content_type="application/json",
    )
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "exam_not_found"


def test_given_missing_field_when_login_then_422_names_the_field(sitting):
    _exam, _subject, _session, _room, [(registration, id_number)] = sitting
    response = CandidateClient(registration, id_number).client.post(
        f"/api/exams/{registration.exam.code}/login", {"subject_code": "SUBJ"},
        content_type="application/json",
    )
    assert response.status_code == 422
    fields = {f["field"] for f in response.json()["error"]["details"]["fields"]}
    assert {"ticket_number", "id_number"} <= fields


def test_given_english_requested_when_error_then_message_in_english(sitting):
    _exam, _subject, _session, _room, [(registration, id_number)] = sitting
    candidate = CandidateClient(registration, id_number)
    zh = candidate.client.post(
        f"/api/exams/{registration.exam.code}/login",
        {"subject_code": "SUBJ", "ticket_number": "bad", "id_number": "bad"},
        content_type="application/json", HTTP_ACCEPT_LANGUAGE="zh-hans",
    ).json()["error"]["message"]
    en = candidate.client.post(
        f"/api/exams/{registration.exam.code}/login",
        {"subject_code": "SUBJ", "ticket_number": "bad", "id_number": "bad"},
        content_type="application/json", HTTP_ACCEPT_LANGUAGE="en",
    ).json()["error"]["message"]
    assert en.startswith("The admission ticket number")
    assert zh != en
    assert "准考证号" in zh


def test_given_five_failures_for_a_ticket_when_login_then_429_with_retry_time(sitting):
    _exam, _subject, _session, _room, [(registration, id_number)] = sitting
    candidate = CandidateClient(registration, id_number)
    wrong = factories.resident_id_number(998)
    for _ in range(5):
        assert candidate.login(id_number=wrong).status_code == 401

    response = candidate.login()  # even the right ID now waits

    assert response.status_code == 429
    error = response.json()["error"]
    assert error["code"] == "too_many_attempts"
    assert 0 < error["details"]["retry_after_seconds"] <= 15 * 60


def test_given_many_failures_from_one_address_when_login_then_429_for_any_ticket(sitting):
    *_catalogue, [(registration, id_number)] = sitting
    candidate = CandidateClient(registration, id_number)
    for n in range(30):
        candidate.login(ticket_number=f"GUESS{n:04d}")

    response = candidate.login()

    assert response.status_code == 429


def test_given_successful_logins_when_repeated_then_never_limited(sitting):
    _exam, _subject, _session, _room, [(registration, id_number)] = sitting
    candidate = CandidateClient(registration, id_number)
    for _ in range(8):
        assert candidate.login().status_code == 200


def test_given_existing_session_when_login_then_session_id_changes(sitting):
    _exam, _subject, _session, _room, [(registration, id_number)] = sitting
    candidate = CandidateClient(registration, id_number)
    candidate.login()
    first = candidate.client.cookies["sessionid"].value

    candidate.login()

    assert candidate.client.cookies["sessionid"].value != first
    assert candidate.client.get("/attempt/check/").status_code == 200
