"""The marking queue for essay answers: claim, mark, double marking, arbitration.

Graders see answers one at a time, question by question, without the
candidate's name or ticket. With double marking two graders mark each answer
independently (never the same person twice for one answer); when their marks
differ by more than the paper's threshold a third grader arbitrates. Recording a
mark, which may complete the attempt's grading, is ``services.marking_submit``.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import uuid
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction
from django.db.models import Count, Exists, OuterRef, Q

from examhall.core import clock
from examhall.delivery.models import Answer, Attempt
from examhall.grading.models import Marking
from examhall.itembank.models import Question

CLAIM_TIMEOUT = dt.timedelta(minutes=30)
CENT = Decimal("0.01")


def essay_markings_create(*, attempt: Attempt, essays: dict[uuid.UUID, Decimal]) -> None:
    """The first (and second) marking task of every essay of a submitted attempt."""
    rounds = [Marking.Round.FIRST]
    if attempt.paper and attempt.paper.double_marking:
        rounds.append(Marking.Round.SECOND)
    Marking.objects.bulk_create(
        [Marking(attempt=attempt, question_id=qid, round=r, maximum=points)
         for qid, points in essays.items() for r in rounds],
        ignore_conflicts=True,
    )


def essay_final_marks(*, attempt: Attempt) -> dict[uuid.UUID, Decimal | None]:
    """Per essay question of the attempt: its final mark, or None while pending."""
    double = bool(attempt.paper and attempt.paper.double_marking)
    threshold = attempt.paper.arbitration_threshold if attempt.paper else Decimal("0")
    by_question: dict[uuid.UUID, dict[int, Decimal | None]] = {}
    for question_id, round_, score in Marking.objects.filter(attempt=attempt).values_list(
            "question_id", "round", "score"):
        by_question.setdefault(question_id, {})[round_] = score
    finals: dict[uuid.UUID, Decimal | None] = {}
    for question_id, scores in by_question.items():
        first, second = scores.get(1), scores.get(2)
        if not double:
            finals[question_id] = first
        elif first is None or second is None:
            finals[question_id] = None
        elif abs(first - second) > threshold:
            finals[question_id] = scores.get(3)
        else:
            finals[question_id] = ((first + second) / 2).quantize(CENT, ROUND_HALF_UP)
    return finals


def _pending(question_id: uuid.UUID, grader: AbstractBaseUser) -> object:
    mine_elsewhere = Marking.objects.filter(
        attempt=OuterRef("attempt"), question=OuterRef("question"), grader=grader,
    ).exclude(pk=OuterRef("pk"))
    free = (Q(grader__isnull=True) | Q(grader=grader)
            | Q(claimed_at__lt=clock.now() - CLAIM_TIMEOUT))
    return (Marking.objects.filter(question_id=question_id, score__isnull=True)
            .filter(free).filter(~Exists(mine_elsewhere)).order_by("round", "claimed_at", "id"))


@transaction.atomic
def marking_claim_next(*, question_id: uuid.UUID, grader: AbstractBaseUser) -> Marking | None:
    """The next answer of this question for this grader (kept for them for a while)."""
    marking = _pending(question_id, grader).select_for_update(skip_locked=True).first()
    if marking is None:
        return None
    marking.grader = grader
    marking.claimed_at = clock.now()
    marking.save(update_fields=["grader", "claimed_at"])
    return marking


@dataclass(frozen=True)
class QueueLine:
    question_id: uuid.UUID
    stem: str
    pending: int
    marked: int


def marking_overview() -> list[QueueLine]:
    """Every essay question with answers to mark, and how far marking has got."""
    rows = (Marking.objects.values("question_id")
            .annotate(pending=Count("id", filter=Q(score__isnull=True)),
                      marked=Count("id", filter=Q(score__isnull=False)))
            .order_by("question_id"))
    stems = dict(Question.objects.filter(pk__in=[r["question_id"] for r in rows])
                 .values_list("id", "stem"))
    return [QueueLine(r["question_id"], stems.get(r["question_id"], "")[:80], r["pending"],
                      r["marked"]) for r in rows]


def answer_text(marking: Marking) -> str:
    value = Answer.objects.filter(attempt_id=marking.attempt_id,
                                  question_id=marking.question_id).values_list(
        "value", flat=True).first() or []
    return value[0] if value else ""


def anonymous_code(marking: Marking) -> str:
    """A short code for the answer that does not reveal the candidate."""
    digest = hashlib.sha256(f"{marking.attempt_id}:{marking.question_id}".encode()).hexdigest()
    return digest[:8].upper()
