"""Grading writes."""

from __future__ import annotations

import uuid
from decimal import Decimal

from django.db import transaction

from examhall.core import clock
from examhall.delivery import services as delivery_services
from examhall.delivery.models import Answer, Attempt, AttemptState
from examhall.grading.models import AttemptResult, QuestionMark
from examhall.grading.scoring import score_objective
from examhall.itembank.models import Question


@transaction.atomic
def attempt_grade(*, attempt_id: uuid.UUID) -> AttemptResult:
    """Mark every objective question of a submitted attempt, then move it to graded."""
    attempt = Attempt.objects.select_for_update().get(pk=attempt_id)
    questions = Question.objects.in_bulk([uuid.UUID(qid) for qid in attempt.question_ids])
    given = {answer.question_id: answer.value for answer in Answer.objects.filter(attempt=attempt)}
    total = Decimal("0")
    maximum = Decimal("0")
    QuestionMark.objects.filter(attempt=attempt).delete()
    marks = []
    for question in questions.values():
        awarded, is_correct = score_objective(
            kind=question.kind,
            correct=question.answer,
            given=given.get(question.pk, []),
            points=question.score,
        )
        marks.append(QuestionMark(attempt=attempt, question=question, awarded=awarded,
                                  maximum=question.score, is_correct=is_correct))
        total += awarded
        maximum += question.score
    QuestionMark.objects.bulk_create(marks)
    result, _created = AttemptResult.objects.update_or_create(
        attempt=attempt,
        defaults={"score": total, "max_score": maximum, "graded_at": clock.now()},
    )
    if attempt.state == AttemptState.SUBMITTED:
        delivery_services.attempt_mark_graded(attempt_id=attempt.pk)
    return result
