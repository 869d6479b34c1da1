"""Delivery reads: what the candidate's pages and the API show."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.utils.translation import gettext as _

from examhall.core import clock
from examhall.core.errors import NotFound
from examhall.delivery import checks
from examhall.delivery.models import Answer, Attempt, AttemptState
from examhall.itembank.models import Question

# Filled by grading (which depends on delivery, not the other way round).
ResultProvider = Callable[[Attempt], dict[str, Any] | None]
_result_provider: ResultProvider | None = None


def register_result_provider(provider: ResultProvider) -> None:
    global _result_provider
    _result_provider = provider


@dataclass(frozen=True)
class ShownQuestion:
    """A question as this attempt shows it: its options in the candidate's order and
    the points its paper section gives it. The correct answer never leaves."""

    id: str
    kind: str
    stem: str
    options: list[dict[str, Any]]
    points: str
    blanks: list[str]  # fill in the blanks: the gap keys, marked {{key}} in the stem


def _shown(question: Question, spec: dict[str, Any]) -> ShownQuestion:
    by_key = {str(option["key"]): option for option in question.options}
    order = spec.get("options") or list(by_key)
    options = [{"key": key, "text": by_key[key]["text"]} for key in order if key in by_key]
    return ShownQuestion(id=str(question.pk), kind=question.kind, stem=question.stem,
                         options=options, points=str(spec.get("points") or question.score),
                         blanks=[str(blank["key"]) for blank in question.blanks])


@dataclass(frozen=True)
class AttemptView:
    attempt: Attempt
    checks: list[checks.CheckStatus]
    questions: list[ShownQuestion]
    answers: dict[str, dict[str, Any]]
    last_seq: int
    server_now: dt.datetime
    result: dict[str, Any] | None

    @property
    def can_start(self) -> bool:
        return self.attempt.state == AttemptState.READY


def attempt_for_candidate(*, attempt_id: uuid.UUID, registration_id: uuid.UUID) -> Attempt:
    """The attempt, only if it belongs to this registration (else a 404 with no data)."""
    attempt = (
        Attempt.objects.select_related(
            "registration__candidate", "registration__exam", "registration__subject",
            "registration__session", "registration__room",
        )
        .filter(pk=attempt_id, registration_id=registration_id)
        .first()
    )
    if attempt is None:
        raise NotFound("attempt_not_found", _("This attempt does not exist."))
    return attempt


def attempt_status(*, attempt_id: uuid.UUID, registration_id: uuid.UUID) -> dict[str, Any]:
    """State and deadline only: what the exam page polls (one small query)."""
    row = (
        Attempt.objects.filter(pk=attempt_id, registration_id=registration_id)
        .values("state", "deadline")
        .first()
    )
    if row is None:
        raise NotFound("attempt_not_found", _("This attempt does not exist."))
    return {"attempt_id": attempt_id, "server_now": clock.now(), **row}


def attempt_view(
    *, attempt: Attempt, statuses: list[checks.CheckStatus] | None = None
) -> AttemptView:
    started = attempt.state not in {
        AttemptState.REGISTERED, AttemptState.CHECKING, AttemptState.READY
    }
    questions: list[ShownQuestion] = []
    answers: dict[str, dict[str, Any]] = {}
    last_seq = 0
    if started and attempt.question_ids:
        by_id = Question.objects.in_bulk([uuid.UUID(qid) for qid in attempt.question_ids])
        specs = (attempt.paper_spec or {}).get("questions", {})
        questions = [_shown(by_id[uuid.UUID(qid)], specs.get(qid, {}))
                     for qid in attempt.question_ids]
        rows = Answer.objects.filter(attempt=attempt).values_list(
            "question_id", "value", "marked", "seq"
        )
        answers = {
            str(qid): {"value": value, "marked": marked, "seq": seq}
            for qid, value, marked, seq in rows
        }
        last_seq = max((answer["seq"] for answer in answers.values()), default=0)
    if statuses is None:
        statuses = [] if started else checks.evaluate_checks(attempt)
    result = None
    if _result_provider and attempt.state in {AttemptState.SUBMITTED, AttemptState.GRADED}:
        result = _result_provider(attempt)
    return AttemptView(
        attempt=attempt,
        checks=statuses,
        questions=questions,
        answers=answers,
        last_seq=last_seq,
        server_now=clock.now(),
        result=result,
    )
