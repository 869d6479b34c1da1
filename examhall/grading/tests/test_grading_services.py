"""Grading attempts: on submit, and again in a batch (a re-mark) with the same result."""

import pytest

from examhall.delivery import services as delivery
from examhall.delivery.models import Answer, Attempt
from examhall.devtools import factories
from examhall.grading.models import AttemptResult, QuestionMark
from examhall.grading.services import attempts_grade
from examhall.itembank.models import Question

pytestmark = pytest.mark.django_db


def test_paper_policy_partial_credit_applies_on_submit():
    _e, _s, _se, _r, [(registration, _id)] = factories.make_sitting(questions=3)
    paper = registration.subject.papers.get()
    paper.multiple_choice_policy = "partial_subset"
    paper.save()
    attempt = delivery.attempt_start(
        attempt_id=Attempt.objects.create(registration=registration).pk
    )
    multiple = attempt.question_ids[1]  # factories: question 2 is multiple choice, key A+C
    Answer.objects.create(attempt=attempt, question_id=multiple, value=["A"], seq=1,
                          saved_at=attempt.started_at)

    delivery.attempt_submit(attempt_id=attempt.pk)

    assert AttemptResult.objects.get(attempt=attempt).score == 1
    assert QuestionMark.objects.get(attempt=attempt, question_id=multiple).awarded == 1


def test_batch_regrade_after_a_key_correction_replaces_marks():
    _e, _s, _se, _r, people = factories.make_sitting(questions=3, candidates=2)
    attempt_ids = []
    for registration, _id in people:
        attempt = delivery.attempt_start(
            attempt_id=Attempt.objects.create(registration=registration).pk)
        first = attempt.question_ids[0]
        Answer.objects.create(attempt=attempt, question_id=first, value=["B"], seq=1,
                              saved_at=attempt.started_at)
        delivery.attempt_submit(attempt_id=attempt.pk)
        attempt_ids.append(attempt.pk)
    assert {r.score for r in AttemptResult.objects.all()} == {0}

    # The key of question 1 was wrong: B is right. Correct it and re-mark everyone.
    question = Question.objects.get(pk=first)
    question.answer = ["B"]
    question.save()
    assert attempts_grade(attempt_ids=attempt_ids) == 2

    assert {r.score for r in AttemptResult.objects.all()} == {2}
    assert QuestionMark.objects.count() == 6
    assert set(Attempt.objects.values_list("state", flat=True)) == {"graded"}
