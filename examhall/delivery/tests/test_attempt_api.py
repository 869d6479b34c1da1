"""The attempt through the candidate API: start, save, resume, submit, expiry, access."""

from __future__ import annotations

import datetime as dt

import pytest

from examhall.core import clock
from examhall.delivery import services
from examhall.delivery.models import Answer, Attempt, AttemptState
from examhall.delivery.tests.helpers import CandidateClient
from examhall.devtools import factories

pytestmark = pytest.mark.django_db


@pytest.fixture
def candidate() -> CandidateClient:
    _exam, _subject, _session, _room, [(registration, id_number)] = factories.make_sitting()
    client = CandidateClient(registration, id_number)
    assert client.login().status_code == 200
    return client


def test_given_no_required_checks_when_checks_refreshed_then_ready(candidate):
    body = candidate.post("/checks").json()
    assert body["state"] == "ready"
    assert body["can_start"] is True
    assert body["questions"] == []  # nothing of the paper before the start


def test_given_required_check_pending_when_start_then_refused():
    _e, _s, _se, _r, [(registration, id_number)] = factories.make_sitting(
        required_checks=["device"]
    )
    candidate = CandidateClient(registration, id_number)
    candidate.login()

    response = candidate.post("/start")

    assert response.status_code == 409
    error = response.json()["error"]
    assert error["code"] == "checks_pending"
    assert error["details"]["pending"] == ["device"]
    assert candidate.get().json()["state"] == "device_check"  # the check it waits for


def test_given_start_then_deadline_is_start_plus_duration_plus_accommodation():
    exam, subject, session, room, _ = factories.make_sitting(candidates=0)
    id_number = factories.resident_id_number()
    registration = factories.make_registration(exam=exam, subject=subject, session=session,
                                               room=room, id_number=id_number, extra_minutes=15)
    candidate = CandidateClient(registration, id_number)
    candidate.login()

    body = candidate.start()

    started = dt.datetime.fromisoformat(body["started_at"])
    deadline = dt.datetime.fromisoformat(body["deadline"])
    assert deadline - started == dt.timedelta(minutes=60 + 15)
    assert body["state"] == "in_progress"
    assert len(body["questions"]) == 5
    assert "answer" not in body["questions"][0]  # the key never leaves the server


def test_given_saves_when_reloaded_then_every_answer_and_same_deadline(candidate):
    first = candidate.start()
    questions = [q["id"] for q in first["questions"]]
    assert candidate.save(questions[0], ["B"]).status_code == 200
    assert candidate.save(questions[1], ["A", "C"], marked=True).status_code == 200
    assert candidate.save(questions[0], ["A"]).status_code == 200

    # "another browser": sign in again from scratch
    again = CandidateClient(candidate.registration, candidate.id_number)
    assert again.login().status_code == 200
    body = again.get().json()

    assert body["deadline"] == first["deadline"]
    assert body["answers"][questions[0]]["value"] == ["A"]
    assert body["answers"][questions[1]] == {"value": ["A", "C"], "marked": True, "seq": 2}
    assert body["last_seq"] == 3


def test_given_same_seq_twice_then_one_write(candidate):
    question = candidate.start()["questions"][0]["id"]
    candidate.save(question, ["B"], seq=7)
    candidate.save(question, ["B"], seq=7)
    assert Answer.objects.filter(question_id=question).count() == 1
    assert Answer.objects.get(question_id=question).seq == 7


def test_given_older_seq_after_newer_then_newer_kept(candidate):
    question = candidate.start()["questions"][0]["id"]
    candidate.save(question, ["C"], seq=10)

    response = candidate.save(question, ["B"], seq=9)  # delayed retry arriving late

    assert response.status_code == 200
    assert response.json()["acknowledged_seq"] == 9
    assert Answer.objects.get(question_id=question).value == ["C"]


def test_given_batch_out_of_order_then_applied_in_seq_order(candidate):
    question = candidate.start()["questions"][0]["id"]
    saves = [
        {"question_id": question, "value": ["D"], "seq": 3},
        {"question_id": question, "value": ["B"], "seq": 2},
    ]
    response = candidate.post("/answers", {"saves": saves})
    assert response.json()["acknowledged_seq"] == 3
    assert Answer.objects.get(question_id=question).value == ["D"]


def test_given_question_not_in_paper_when_save_then_refused(candidate):
    candidate.start()
    other = factories.make_paper(subject=candidate.registration.subject, count=1)
    stranger = other.entries.get().question_id
    response = candidate.save(str(stranger), ["A"])
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "unknown_question"


def test_given_not_started_when_save_then_refused(candidate):
    response = candidate.post("/answers", {"saves": [
        {"question_id": "00000000-0000-0000-0000-000000000001", "value": ["A"], "seq": 1}
    ]})
    assert response.status_code == 409
    assert response.json()["error"]["code"] == "attempt_not_in_progress"


def test_given_submitted_when_save_then_refused_and_answer_kept(candidate):
    question = candidate.start()["questions"][0]["id"]
    candidate.save(question, ["A"])
    assert candidate.post("/submit").status_code == 200

    response = candidate.save(question, ["B"])

    assert response.status_code == 409
    assert response.json()["error"]["code"] == "attempt_not_in_progress"
    assert Answer.objects.get(question_id=question).value == ["A"]


def test_given_deadline_passed_when_save_then_refused(candidate):
    question = candidate.start()["questions"][0]["id"]
    clock.shift(dt.timedelta(minutes=61))

    response = candidate.save(question, ["A"], client_saved_at=clock.now().isoformat())

    assert response.status_code == 409
    assert response.json()["error"]["code"] == "deadline_passed"


def test_given_save_stamped_before_deadline_arriving_in_grace_then_accepted(candidate):
    body = candidate.start()
    question = body["questions"][0]["id"]
    deadline = dt.datetime.fromisoformat(body["deadline"])
    clock.shift(dt.timedelta(minutes=61))  # one minute after the deadline, inside the grace

    stamped = (deadline - dt.timedelta(seconds=30)).isoformat()
    response = candidate.save(question, ["A"], client_saved_at=stamped)

    assert response.status_code == 200
    clock.shift(dt.timedelta(minutes=5))  # past the grace: refused even if stamped in time
    late = candidate.save(question, ["B"], client_saved_at=stamped)
    assert late.json()["error"]["code"] == "deadline_passed"


def test_given_submit_then_score_shown_when_policy_says_so(candidate):
    questions = [q["id"] for q in candidate.start()["questions"]]
    candidate.save(questions[0], ["A"])        # single, right
    candidate.save(questions[1], ["A", "C"])   # multiple, right
    candidate.save(questions[2], ["F"])        # true/false, wrong

    body = candidate.post("/submit").json()

    assert body["state"] == "graded"
    assert body["result"] == {"show_score": True, "score": "4.00", "max_score": "10.00"}


def test_given_policy_hides_score_when_submitted_then_no_score():
    _e, _s, _se, _r, [(registration, id_number)] = factories.make_sitting(show_score=False)
    candidate = CandidateClient(registration, id_number)
    candidate.login()
    candidate.start()
    body = candidate.post("/submit").json()
    assert body["result"] == {"show_score": False, "score": None, "max_score": None}


def test_given_submit_twice_then_second_refused_clearly(candidate):
    candidate.start()
    candidate.post("/submit")
    response = candidate.post("/submit")
    assert response.status_code == 409
    assert response.json()["error"]["code"] == "transition_not_allowed"


def test_given_time_up_when_page_submits_then_recorded_as_time_up(candidate):
    candidate.start()
    clock.shift(dt.timedelta(minutes=60, seconds=1))
    assert candidate.post("/submit").status_code == 200
    attempt = Attempt.objects.get(pk=candidate.attempt_id)
    assert attempt.submit_reason == "time_up"


def test_given_full_width_ticket_when_login_then_accepted(candidate):
    full_width = "".join(
        chr(ord(c) + 0xFEE0) if c.isalnum() else c for c in candidate.registration.ticket_number
    )
    assert candidate.login(ticket_number=full_width).status_code == 200


def test_given_expired_attempts_when_job_runs_then_submitted_with_saved_answers(candidate):
    question = candidate.start()["questions"][0]["id"]
    candidate.save(question, ["A"])
    clock.shift(dt.timedelta(minutes=60, seconds=30))
    assert services.submit_expired_attempts() == []  # still inside the save grace

    clock.shift(dt.timedelta(minutes=5))
    submitted = services.submit_expired_attempts()

    assert [str(a) for a in submitted] == [candidate.attempt_id]
    body = candidate.get().json()
    assert body["state"] == "graded"
    assert body["result"]["score"] == "2.00"
    assert services.submit_expired_attempts() == []  # idempotent


def test_given_expiry_command_then_same_as_job(candidate):
    from django.core.management import call_command

    candidate.start()
    clock.shift(dt.timedelta(hours=2))
    call_command("delivery_submit_expired")
    assert candidate.get().json()["state"] == "graded"


def test_given_two_candidates_when_one_uses_others_attempt_then_404_without_data():
    _e, _s, _se, _r, people = factories.make_sitting(candidates=2)
    alice = CandidateClient(*people[0])
    bob = CandidateClient(*people[1])
    alice.login()
    bob.login()
    alice.start()
    bob_body = bob.start()
    bob.save(bob_body["questions"][0]["id"], ["A"])

    for response in (
        alice.get(attempt_id=bob.attempt_id),
        alice.get("/status", attempt_id=bob.attempt_id),
        alice.post("/answers", {"saves": [
            {"question_id": bob_body["questions"][0]["id"], "value": ["B"], "seq": 99}
        ]}, attempt_id=bob.attempt_id),
        alice.post("/submit", attempt_id=bob.attempt_id),
    ):
        assert response.status_code == 404
        assert bob.registration.candidate.name not in response.content.decode()
        assert bob.registration.ticket_number not in response.content.decode()
    assert Answer.objects.get(attempt_id=bob.attempt_id).value == ["A"]
    assert bob.get().json()["state"] == "in_progress"


def test_status_is_state_deadline_and_pause_only(candidate):
    body = candidate.start()
    status = candidate.get("/status").json()
    assert set(status) == {"attempt_id", "state", "server_now", "deadline", "paused_at"}
    assert status["paused_at"] is None
    assert status["state"] == "in_progress"
    assert dt.datetime.fromisoformat(status["deadline"]) == dt.datetime.fromisoformat(
        body["deadline"]
    )


def test_given_no_token_or_forged_token_then_401(candidate):
    response = candidate.client.get(f"/api/attempts/{candidate.attempt_id}")
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "not_authenticated"
    forged = candidate.client.get(f"/api/attempts/{candidate.attempt_id}",
                                  HTTP_AUTHORIZATION="Bearer " + candidate.token[:-2] + "xx")
    assert forged.status_code == 401


def test_given_pause_then_saves_refused_and_resume_extends_deadline(candidate):
    body = candidate.start()
    question = body["questions"][0]["id"]
    services.attempt_pause(attempt_id=candidate.attempt_id, actor=None, reason="test")
    assert candidate.save(question, ["A"]).json()["error"]["code"] == "attempt_paused"
    paused = candidate.get("/status").json()
    assert paused["state"] == AttemptState.PAUSED
    paused_for = (dt.datetime.fromisoformat(paused["server_now"])
                  - dt.datetime.fromisoformat(paused["paused_at"]))
    assert dt.timedelta(0) <= paused_for < dt.timedelta(seconds=5)

    clock.shift(dt.timedelta(minutes=10))
    services.attempt_resume(attempt_id=candidate.attempt_id, actor=None, reason="test")

    resumed = candidate.get().json()
    shift = (dt.datetime.fromisoformat(resumed["deadline"])
             - dt.datetime.fromisoformat(body["deadline"]))
    assert dt.timedelta(minutes=10) <= shift < dt.timedelta(minutes=10, seconds=1)
    assert resumed["state"] == AttemptState.IN_PROGRESS
    assert resumed["paused_at"] is None
