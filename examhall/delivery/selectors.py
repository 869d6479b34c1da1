"""Delivery reads: what the candidate's pages and the API show."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.utils.translation import gettext as _

from examhall.core import clock
from examhall.core.errors import ApplicationError, NotFound
from examhall.delivery import checks, statemachine
from examhall.delivery.models import Answer, Attempt, AttemptState
from examhall.itembank.formats.html_text import display_html
from examhall.itembank.models import Question

# Filled by grading (which depends on delivery, not the other way round).
ResultProvider = Callable[[Attempt], dict[str, Any] | None]
_result_provider: ResultProvider | None = None


def register_result_provider(provider: ResultProvider) -> None:
    global _result_provider
    _result_provider = provider


@dataclass(frozen=True)
class ShownCase:
    """The shared material of a case, as the attempt showed it (its version then),
    and where a sub-question stands in it: ``position`` (from 1) of ``size``."""

    id: str
    number: int  # the case's number in the paper, from 1
    material: str  # safe HTML
    position: int
    size: int


@dataclass(frozen=True)
class ShownQuestion:
    """A question as this attempt shows it: its options in the candidate's order and
    the points its paper section gives it; a case's sub-question also carries the
    case's material. Texts are safe HTML. The correct answer never leaves."""

    id: str
    kind: str
    stem: str
    options: list[dict[str, Any]]
    points: str
    blanks: list[str]  # fill in the blanks: the gap keys, marked {{key}} in the stem
    case: ShownCase | None = None


def _shown(question: Question, spec: dict[str, Any], case: ShownCase | None) -> ShownQuestion:
    by_key = {str(option["key"]): option for option in question.options}
    order = spec.get("options") or list(by_key)
    options = [{"key": key, "text": display_html(str(by_key[key]["text"]))}
               for key in order if key in by_key]
    return ShownQuestion(id=str(question.pk), kind=question.kind,
                         stem=display_html(question.stem), options=options,
                         points=str(spec.get("points") or question.score),
                         blanks=[str(blank["key"]) for blank in question.blanks], case=case)


def _shown_questions(question_ids: list[str], specs: dict[str, Any]) -> list[ShownQuestion]:
    """The attempt's questions in its order, each case's material with its parts."""
    case_of = {qid: str(specs.get(qid, {}).get("case") or "") for qid in question_ids}
    wanted = {uuid.UUID(qid) for qid in question_ids}
    wanted.update(uuid.UUID(case_id) for case_id in case_of.values() if case_id)
    by_id = Question.objects.in_bulk(list(wanted))
    sizes: dict[str, int] = {}
    for case_id in case_of.values():
        if case_id:
            sizes[case_id] = sizes.get(case_id, 0) + 1
    numbers: dict[str, int] = {}
    seen: dict[str, int] = {}
    shown = []
    for qid in question_ids:
        case = None
        case_id = case_of[qid]
        if case_id and uuid.UUID(case_id) in by_id:
            numbers.setdefault(case_id, len(numbers) + 1)
            seen[case_id] = seen.get(case_id, 0) + 1
            case = ShownCase(id=case_id, number=numbers[case_id],
                             material=display_html(by_id[uuid.UUID(case_id)].stem),
                             position=seen[case_id], size=sizes[case_id])
        shown.append(_shown(by_id[uuid.UUID(qid)], specs.get(qid, {}), case))
    return shown


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


def signed_in_elsewhere() -> ApplicationError:
    """The browser's sign-in is older than the attempt's: the candidate signed in again
    elsewhere with the proctor's permission (one browser at a time)."""
    return ApplicationError(
        "signed_in_elsewhere",
        _("Your exam continues in another browser, where you signed in again. This page "
          "is signed out; the answers it saved are kept."),
        status=401,
    )


def check_signin_current(*, attempt_id: uuid.UUID, generation: int) -> None:
    """Refuse a credential issued before the attempt's latest sign-in (one small read)."""
    current = (Attempt.objects.filter(pk=attempt_id)
               .values_list("signin_generation", flat=True).first())
    if current is not None and current != generation:
        raise signed_in_elsewhere()


def attempt_for_candidate(*, attempt_id: uuid.UUID, registration_id: uuid.UUID,
                          generation: int | None = None) -> Attempt:
    """The attempt, only if it belongs to this registration (else a 404 with no data),
    and, given the credential's ``generation``, only for the browser signed in last."""
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
    if generation is not None and attempt.signin_generation != generation:
        raise signed_in_elsewhere()
    return attempt


def attempt_status(*, attempt_id: uuid.UUID, registration_id: uuid.UUID,
                   generation: int = 0) -> dict[str, Any]:
    """State, deadline and pause start only: what the exam page polls (one small query)."""
    row = (
        Attempt.objects.filter(pk=attempt_id, registration_id=registration_id)
        .values("state", "deadline", "paused_at", "signin_generation")
        .first()
    )
    if row is None:
        raise NotFound("attempt_not_found", _("This attempt does not exist."))
    if row.pop("signin_generation") != generation:
        raise signed_in_elsewhere()
    return {"attempt_id": attempt_id, "server_now": clock.now(), **row}


def attempt_view(
    *, attempt: Attempt, statuses: list[checks.CheckStatus] | None = None
) -> AttemptView:
    started = attempt.state not in statemachine.PRE_START_STATES
    questions: list[ShownQuestion] = []
    answers: dict[str, dict[str, Any]] = {}
    last_seq = 0
    if started and attempt.question_ids:
        questions = _shown_questions(list(attempt.question_ids),
                                     (attempt.paper_spec or {}).get("questions", {}))
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
