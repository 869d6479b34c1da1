"""Decisions: validation, the audit, a violation voiding the result at once or after a
different reviewer confirms it, and the candidate's result after the void."""

from __future__ import annotations

import io
from decimal import Decimal

import pytest
from django.core.management import call_command
from django.test import Client

from examhall.core.errors import ApplicationError
from examhall.delivery.models import AttemptEvent
from examhall.delivery.tests.helpers import CandidateClient
from examhall.devtools import factories
from examhall.exams.models import Exam
from examhall.review import services
from examhall.review.models import AttemptReview, ReviewDecision, ReviewPolicy
from examhall.review.tests import helpers

pytestmark = pytest.mark.django_db


def _sitting(kind: str = Exam.Kind.MOCK, **options):
    exam, _subject, _session, room, people = factories.make_sitting(questions=2, **options)
    exam.kind = kind
    exam.save()
    registration, id_number = people[0]
    attempt = helpers.finished_attempt(registration)
    helpers.flag(attempt, "several_faces")
    first = helpers.staff("reviewer-1", rooms=(room,))
    second = helpers.staff("reviewer-2", rooms=(room,))
    return exam, attempt, first, second, (registration, id_number)


def _refused(code: str, call) -> ApplicationError:
    with pytest.raises(ApplicationError) as caught:
        call()
    assert caught.value.code == code
    return caught.value


def test_a_note_is_required_for_suspicious_and_violation():
    _exam, attempt, reviewer, _second, _person = _sitting()

    for status in ("suspicious", "violation"):
        _refused("note_required", lambda s=status: services.review_decide(
            reviewer=reviewer, attempt_id=attempt.pk, status=s, note="   "))

    assert not AttemptReview.objects.filter(status__in=["suspicious", "violation"]).exists()
    review = services.review_decide(reviewer=reviewer, attempt_id=attempt.pk, status="passed")
    assert review.status == "passed" and review.note == ""


def test_an_unknown_decision_and_an_unfinished_attempt_are_refused():
    exam, attempt, reviewer, _second, _person = _sitting()
    _refused("invalid_decision", lambda: services.review_decide(
        reviewer=reviewer, attempt_id=attempt.pk, status="guilty", note="x"))
    running = helpers.started_attempt(factories.make_registration(
        exam=exam, subject=exam.subjects.get(), session=attempt.registration.session,
        room=attempt.registration.room))
    error = _refused("attempt_not_finished", lambda: services.review_decide(
        reviewer=reviewer, attempt_id=running.pk, status="passed"))
    assert error.status == 409


def test_the_page_shows_the_refusal_and_saves_nothing():
    _exam, attempt, reviewer, _second, _person = _sitting()
    client = Client()
    client.force_login(reviewer)

    response = client.post(f"/review/attempts/{attempt.pk}/decide",
                           {"status": "suspicious", "note": ""}, follow=True)

    assert 'id="review-message"' in response.content.decode()
    assert "alert-danger" in response.content.decode()
    assert not ReviewDecision.objects.exists()


def test_every_decision_is_audited_with_reviewer_time_status_and_note():
    _exam, attempt, reviewer, second, _person = _sitting()

    services.review_decide(reviewer=reviewer, attempt_id=attempt.pk, status="suspicious",
                           note="Looks away often.")
    services.review_decide(reviewer=second, attempt_id=attempt.pk, status="passed",
                           note="Reading aloud, allowed.")

    rows = list(ReviewDecision.objects.values_list("reviewer__username", "kind", "status",
                                                   "note", "voided"))
    assert rows == [("reviewer-1", "decide", "suspicious", "Looks away often.", False),
                    ("reviewer-2", "decide", "passed", "Reading aloud, allowed.", False)]
    review = AttemptReview.objects.get(attempt=attempt)
    assert review.status == "passed" and review.reviewer == second
    assert review.reviewed_at is not None


def test_without_a_second_reviewer_a_violation_voids_at_once_and_is_final():
    _exam, attempt, reviewer, second, _person = _sitting(Exam.Kind.MOCK)

    review = services.review_decide(reviewer=reviewer, attempt_id=attempt.pk,
                                    status="violation", note="Phone used.")

    attempt.refresh_from_db()
    assert attempt.state == "voided" and review.voided_at is not None
    event = AttemptEvent.objects.filter(attempt=attempt, to_state="voided").get()
    assert event.actor == reviewer and "Phone used." in event.reason
    assert ReviewDecision.objects.get().voided is True
    _refused("review_final", lambda: services.review_decide(
        reviewer=second, attempt_id=attempt.pk, status="passed"))


def test_a_formal_exam_needs_a_different_reviewer_to_confirm_the_violation():
    _exam, attempt, reviewer, second, _person = _sitting(Exam.Kind.FORMAL)

    review = services.review_decide(reviewer=reviewer, attempt_id=attempt.pk,
                                    status="violation", note="Second person in the room.")
    attempt.refresh_from_db()
    assert review.awaiting_confirmation and attempt.state == "graded"

    error = _refused("same_reviewer", lambda: services.review_confirm_violation(
        reviewer=reviewer, attempt_id=attempt.pk))
    assert error.status == 409
    attempt.refresh_from_db()
    assert attempt.state == "graded"

    review = services.review_confirm_violation(reviewer=second, attempt_id=attempt.pk,
                                               note="Agreed.")
    attempt.refresh_from_db()
    assert attempt.state == "voided"
    assert review.confirmed_by == second and not review.awaiting_confirmation
    assert list(ReviewDecision.objects.values_list("kind", "reviewer__username", "voided")) == [
        ("decide", "reviewer-1", False), ("confirm", "reviewer-2", True)]


def test_a_second_reviewer_choosing_violation_too_confirms_it_through_the_page():
    _exam, attempt, reviewer, second, _person = _sitting(Exam.Kind.FORMAL)
    services.review_decide(reviewer=reviewer, attempt_id=attempt.pk, status="violation",
                           note="Notes on the desk.")
    client = Client()
    client.force_login(second)

    page = client.get(f"/review/attempts/{attempt.pk}/").content.decode()
    assert 'id="confirm-form"' in page
    client.post(f"/review/attempts/{attempt.pk}/decide",
                {"status": "violation", "note": "Confirmed on the phone camera."})

    attempt.refresh_from_db()
    assert attempt.state == "voided"
    assert ReviewDecision.objects.filter(kind="confirm", reviewer=second).exists()


def test_nothing_to_confirm_without_a_waiting_violation():
    _exam, attempt, reviewer, second, _person = _sitting(Exam.Kind.FORMAL)
    services.review_decide(reviewer=reviewer, attempt_id=attempt.pk, status="passed")
    _refused("nothing_to_confirm", lambda: services.review_confirm_violation(
        reviewer=second, attempt_id=attempt.pk))


def test_the_exam_policy_overrides_the_default():
    exam, attempt, reviewer, _second, _person = _sitting(Exam.Kind.FORMAL)
    ReviewPolicy.objects.create(exam=exam, second_reviewer_for_violation=False)

    services.review_decide(reviewer=reviewer, attempt_id=attempt.pk, status="violation",
                           note="Impersonation.")

    attempt.refresh_from_db()
    assert attempt.state == "voided"


def test_after_a_void_the_candidate_sees_no_score():
    exam, attempt, reviewer, _second, person = _sitting(Exam.Kind.MOCK, show_score=True)
    exam.subjects.update(pass_mark=Decimal("0"))
    call_command("grading_publish_results", "--exam", exam.code, stdout=io.StringIO())
    registration, id_number = person
    lookup = {"ticket_number": registration.ticket_number, "id_number": id_number}
    before = Client().post(f"/results/{exam.code}/", lookup).content.decode()
    assert "/ 4.00" in before and 'id="result-outcome"' in before
    candidate = CandidateClient(registration, id_number)  # signed in before the void
    assert candidate.login().status_code == 200
    assert candidate.get().json()["result"]["score"] is not None

    services.review_decide(reviewer=reviewer, attempt_id=attempt.pk, status="violation",
                           note="Phone used.")

    after = Client().post(f"/results/{exam.code}/", lookup).content.decode()
    assert "/ 4.00" not in after and 'id="result-outcome"' not in after
    assert 'id="result-score"' in after
    shown = candidate.get().json()
    assert shown["state"] == "voided"
    assert not shown["result"] or shown["result"]["score"] is None


def test_the_page_refuses_a_confirmation_by_the_reviewer_who_decided():
    _exam, attempt, reviewer, _second, _person = _sitting(Exam.Kind.FORMAL)
    services.review_decide(reviewer=reviewer, attempt_id=attempt.pk, status="violation",
                           note="Notes on the desk.")
    client = Client()
    client.force_login(reviewer)

    page = client.get(f"/review/attempts/{attempt.pk}/").content.decode()
    assert 'id="confirm-form"' not in page and 'id="waiting-note"' in page
    response = client.post(f"/review/attempts/{attempt.pk}/confirm", {"note": ""}, follow=True)

    assert "alert-danger" in response.content.decode()
    attempt.refresh_from_db()
    assert attempt.state == "graded"
    assert ReviewDecision.objects.count() == 1
