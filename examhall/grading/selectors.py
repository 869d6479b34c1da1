"""Grading reads."""

from __future__ import annotations

from examhall.delivery.models import Attempt, AttemptState
from examhall.grading.models import AttemptResult


def result_for_attempt(*, attempt: Attempt) -> AttemptResult | None:
    return AttemptResult.objects.filter(attempt=attempt).first()


def result_summary(attempt: Attempt) -> dict[str, object] | None:
    """What the candidate may see of the result, by the exam's policy."""
    result = result_for_attempt(attempt=attempt)
    exam = attempt.registration.exam
    show = (result is not None and attempt.state != AttemptState.VOIDED
            and (exam.show_score_on_submit or exam.results_published_at is not None))
    return {
        "show_score": show,
        "score": str(result.score) if show else None,
        "max_score": str(result.max_score) if show else None,
    }
