"""Grading writes."""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Mapping
from decimal import ROUND_HALF_UP, Decimal

from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction
from django.utils.translation import gettext as _

from examhall.core import clock
from examhall.core.errors import ApplicationError, NotFound
from examhall.delivery import services as delivery_services
from examhall.delivery.models import Answer, Attempt, AttemptState
from examhall.grading import marking
from examhall.grading.models import AttemptResult, Marking, QuestionMark
from examhall.grading.scoring import BlankKey, score_fill_blank, score_objective
from examhall.itembank.models import Question


def _blank_keys(question: Question) -> list[BlankKey]:
    return [
        BlankKey(answers=list(blank.get("answers", [])),
                 case_sensitive=bool(blank.get("case_sensitive")),
                 numeric=bool(blank.get("numeric")),
                 tolerance=Decimal(str(blank.get("tolerance") or "0")),
                 points=Decimal(str(blank["points"])) if blank.get("points") else None)
        for blank in question.blanks
    ]


def _questions(question_ids: Iterable[uuid.UUID]) -> dict[uuid.UUID, Question]:
    return Question.objects.only("id", "kind", "answer", "score", "options", "blanks").in_bulk(
        list(question_ids))


@transaction.atomic
def attempt_grade(
    *, attempt_id: uuid.UUID, questions: Mapping[uuid.UUID, Question] | None = None
) -> AttemptResult | None:
    """Mark a submitted attempt and move it to graded.

    Objective questions are marked here; essays take their final mark from the
    marking queue (``grading.marking``). While an essay waits for it there is no
    result yet (None) and the attempt stays submitted. ``questions`` may carry the
    attempt's questions already loaded (batch grading). Grading again replaces
    the marks and the result.
    """
    attempt = (
        Attempt.objects.select_for_update(of=("self",)).select_related("paper").get(pk=attempt_id)
    )
    paper = attempt.paper
    wanted = [uuid.UUID(qid) for qid in attempt.question_ids]
    if questions is None or any(qid not in questions for qid in wanted):
        questions = _questions(wanted)
    given = dict(Answer.objects.filter(attempt=attempt).values_list("question_id", "value"))
    total = Decimal("0")
    maximum = Decimal("0")
    marks = []
    specs = (attempt.paper_spec or {}).get("questions", {})
    essays: dict[uuid.UUID, Decimal] = {}
    has_essays = any(questions[qid].kind == Question.Kind.ESSAY for qid in wanted)
    finals = marking.essay_final_marks(attempt=attempt) if has_essays else {}
    for question_id in wanted:
        question = questions[question_id]
        points = Decimal(specs.get(str(question_id), {}).get("points") or question.score)
        if question.kind == "essay":
            essays[question_id] = points
            if finals.get(question_id) is None:
                continue
            awarded, is_correct = finals[question_id], finals[question_id] == points
        elif question.kind == "fill_blank":
            awarded, is_correct = score_fill_blank(
                blanks=_blank_keys(question), given=given.get(question_id, []), points=points)
        else:
            awarded, is_correct = score_objective(
                kind=question.kind,
                correct=question.answer,
                given=given.get(question_id, []),
                points=points,
                policy=paper.multiple_choice_policy if paper else "all_or_nothing",
                partial_ratio=paper.partial_credit_ratio if paper else Decimal("0.5"),
                weights={str(o["key"]): Decimal(o["weight"]) for o in question.options
                         if o.get("weight") is not None} or None,
            )
        marks.append(QuestionMark(attempt=attempt, question_id=question_id, awarded=awarded,
                                  maximum=points, is_correct=is_correct))
        total += awarded
        maximum += points
    QuestionMark.objects.filter(attempt=attempt).delete()
    QuestionMark.objects.bulk_create(marks)
    if any(finals.get(question_id) is None for question_id in essays):
        marking.essay_markings_create(attempt=attempt, essays=essays)
        return None  # the essays wait for their graders
    result, _created = AttemptResult.objects.update_or_create(
        attempt=attempt,
        defaults={"score": total, "max_score": maximum, "graded_at": clock.now()},
    )
    if attempt.state == AttemptState.SUBMITTED:
        delivery_services.attempt_mark_graded(attempt_id=attempt.pk)
    return result


def attempts_grade(*, attempt_ids: Iterable[uuid.UUID]) -> int:
    """Grade many attempts (a re-mark after a key correction, a backlog): the
    questions are loaded once for all of them. Each attempt is its own transaction."""
    attempt_ids = list(attempt_ids)
    question_ids = {
        uuid.UUID(qid)
        for ids in Attempt.objects.filter(pk__in=attempt_ids).values_list(
            "question_ids", flat=True)
        for qid in ids
    }
    questions = _questions(question_ids)
    for attempt_id in attempt_ids:
        attempt_grade(attempt_id=attempt_id, questions=questions)
    return len(attempt_ids)


# --- essay marks ---------------------------------------------------------------------


@transaction.atomic
def marking_submit(*, marking_id: int, grader: AbstractBaseUser, score: Decimal,
                   comment: str = "") -> Marking:
    """Record a grader's mark of an essay answer; start arbitration when the two
    marks of a double marking differ too much; grade the attempt when every essay
    has its final mark."""
    task = (Marking.objects.select_for_update(of=("self",)).select_related("attempt__paper")
            .filter(pk=marking_id).first())
    if task is None:
        raise NotFound("marking_not_found", _("This marking task does not exist."))
    if task.grader_id != grader.pk or task.score is not None:
        raise ApplicationError("marking_not_yours",
                               _("This answer is no longer assigned to you; take the next one."),
                               status=409)
    if not Decimal("0") <= score <= task.maximum:
        raise ApplicationError("invalid_score",
                               _("The score must be between 0 and %(max)s.")
                               % {"max": task.maximum}, status=422)
    task.score = score.quantize(marking.CENT, ROUND_HALF_UP)
    task.comment = comment[:2000]
    task.marked_at = clock.now()
    task.save(update_fields=["score", "comment", "marked_at"])
    attempt = task.attempt
    finals = marking.essay_final_marks(attempt=attempt)
    if (finals.get(task.question_id) is None and attempt.paper
            and attempt.paper.double_marking and task.round != Marking.Round.ARBITRATION
            and Marking.objects.filter(attempt=attempt, question_id=task.question_id,
                                       round__in=[1, 2], score__isnull=False).count() == 2):
        Marking.objects.get_or_create(
            attempt=attempt, question_id=task.question_id, round=Marking.Round.ARBITRATION,
            defaults={"maximum": task.maximum})
    if finals and all(value is not None for value in finals.values()):
        attempt_grade(attempt_id=attempt.pk)
    return task
