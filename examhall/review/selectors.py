"""Review reads: who may review, the queue (most serious first), one attempt's evidence
and the exam's summary. Every read is scoped by the rooms the reviewer may watch."""

from __future__ import annotations

import dataclasses
import datetime as dt
import uuid
from collections import Counter, defaultdict
from typing import Any

from django.db.models import Q, QuerySet
from django.utils.translation import gettext as _

from examhall.console.models import IrregularityReport, ProctorAction
from examhall.core.errors import NotFound
from examhall.delivery import statemachine
from examhall.delivery.models import Attempt, AttemptEvent, AttemptState
from examhall.exams import selectors as exam_selectors
from examhall.exams.models import Exam, Room
from examhall.grading.models import AttemptResult
from examhall.identity.models import IdentityCheck
from examhall.proctoring.models import BrowserEvent, Flag
from examhall.proctoring.taxonomy import flag_label
from examhall.review.models import AttemptReview, ReviewDecision, ReviewPolicy, ReviewStatus

REVIEW_PERMISSION = "review.review_attempts"
SEVERITY_RANK = {Flag.Severity.HIGH: 3, Flag.Severity.MEDIUM: 2, Flag.Severity.LOW: 1}
# Flags that count for review: a proctor's dismissal takes a flag out of the case.
COUNTED_FLAG_STATUSES = (Flag.Status.OPEN, Flag.Status.CONFIRMED)


def may_review(user: Any) -> bool:
    """Reviewers (the permission ``review.review_attempts``) and the exam office."""
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return False
    return exam_selectors.oversees_all_rooms(user) or user.has_perm(REVIEW_PERMISSION)


def second_reviewer_required(*, exam: Exam) -> bool:
    """The exam's policy; without one, formal exams need a second reviewer."""
    policy = ReviewPolicy.objects.filter(exam=exam).first()
    if policy is not None:
        return policy.second_reviewer_for_violation
    return exam.kind == Exam.Kind.FORMAL


def attempts_for_review(*, rooms: QuerySet[Room]) -> QuerySet[Attempt]:
    """Attempts in ``rooms`` that need a reviewer's look: a flag not dismissed, an
    irregularity report, or terminated (voided) by a proctor."""
    return (Attempt.objects
            .filter(registration__room__in=rooms)
            .filter(Q(flags__status__in=COUNTED_FLAG_STATUSES)
                    | Q(irregularity_reports__isnull=False)
                    | Q(state=AttemptState.VOIDED))
            .distinct())


def reviewable_attempt(*, user: Any, attempt_id: uuid.UUID) -> Attempt:
    """The attempt if the user may review it (its room is theirs); else "does not exist"."""
    attempt = (Attempt.objects
               .select_related("registration__candidate", "registration__exam",
                               "registration__subject", "registration__session",
                               "registration__room")
               .filter(pk=attempt_id,
                       registration__room__in=exam_selectors.rooms_visible_to(user))
               .first())
    if attempt is None:
        raise NotFound("attempt_not_found", _("This attempt does not exist."))
    return attempt


# --- the queue -------------------------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class QueueLine:
    attempt_id: uuid.UUID
    candidate: str
    ticket_number: str
    exam: str
    subject: str
    room: str
    state: str
    state_label: str
    flags: dict[str, int]  # severity -> flags not dismissed
    times_seen: int
    irregularities: int
    terminated: bool
    status: str
    status_label: str
    awaiting_confirmation: bool
    reviewer: str

    @property
    def severity_rank(self) -> int:
        """How serious: the highest flag severity; a termination counts as high and an
        irregularity report as medium."""
        ranks = [SEVERITY_RANK[s] for s, n in self.flags.items() if n]
        if self.terminated:
            ranks.append(3)
        if self.irregularities:
            ranks.append(2)
        return max(ranks, default=0)

    @property
    def needs_decision(self) -> bool:
        return self.status == ReviewStatus.NOT_REVIEWED or self.awaiting_confirmation

    @property
    def sort_key(self) -> tuple[int, ...]:
        return (int(self.needs_decision), self.severity_rank, self.flags["high"],
                self.flags["medium"], self.flags["low"], self.irregularities, self.times_seen)


def review_queue(*, user: Any, exam_id: uuid.UUID | None = None,
                 room_id: uuid.UUID | None = None, status: str = "") -> list[QueueLine]:
    """The attempts to review in the user's rooms: those waiting for a decision first,
    then the most serious (highest severity, then the number of flags)."""
    rooms = exam_selectors.rooms_visible_to(user)
    if exam_id:
        rooms = rooms.filter(session__exam_id=exam_id)
    if room_id:
        rooms = rooms.filter(pk=room_id)
    attempts = list(
        Attempt.objects.filter(pk__in=attempts_for_review(rooms=rooms).values("pk"))
        .select_related("registration__candidate", "registration__exam",
                        "registration__subject", "registration__room", "review__reviewer"))
    lines = queue_lines(attempts)
    if status:
        lines = [line for line in lines if line.status == status]
    lines.sort(key=lambda line: line.ticket_number)  # ties: by ticket number
    lines.sort(key=lambda line: line.sort_key, reverse=True)
    return lines


def queue_lines(attempts: list[Attempt]) -> list[QueueLine]:
    """The queue's line of each attempt (select its registration and review first)."""
    return [_queue_line(attempt, counts) for attempt, counts
            in zip(attempts, _evidence_counts([a.pk for a in attempts]), strict=True)]


@dataclasses.dataclass(frozen=True)
class _Counts:
    flags: dict[str, int]
    times_seen: int
    irregularities: int


def _evidence_counts(attempt_ids: list[uuid.UUID]) -> list[_Counts]:
    flags: dict[uuid.UUID, dict[str, int]] = defaultdict(
        lambda: {"high": 0, "medium": 0, "low": 0})
    seen: Counter[uuid.UUID] = Counter()
    for flag in (Flag.objects.filter(attempt_id__in=attempt_ids,
                                     status__in=COUNTED_FLAG_STATUSES)
                 .only("attempt_id", "severity", "count")):
        flags[flag.attempt_id][flag.severity] += 1
        seen[flag.attempt_id] += flag.count
    reports = Counter(IrregularityReport.objects.filter(attempt_id__in=attempt_ids)
                      .values_list("attempt_id", flat=True))
    return [_Counts(flags=dict(flags[pk]), times_seen=seen[pk], irregularities=reports[pk])
            for pk in attempt_ids]


def _review_of(attempt: Attempt) -> AttemptReview | None:
    try:
        return attempt.review
    except AttemptReview.DoesNotExist:
        return None


def _queue_line(attempt: Attempt, counts: _Counts) -> QueueLine:
    registration = attempt.registration
    review = _review_of(attempt)
    status = review.status if review else ReviewStatus.NOT_REVIEWED
    return QueueLine(
        attempt_id=attempt.pk, candidate=registration.candidate.name,
        ticket_number=registration.ticket_number, exam=registration.exam.name,
        subject=registration.subject.display_name, room=registration.room.name,
        state=attempt.state, state_label=attempt.get_state_display(),
        flags=counts.flags, times_seen=counts.times_seen, irregularities=counts.irregularities,
        terminated=attempt.state == AttemptState.VOIDED and not (review and review.voided_at),
        status=status, status_label=str(ReviewStatus(status).label),
        awaiting_confirmation=bool(review and review.awaiting_confirmation),
        reviewer=review.reviewer.get_username() if review and review.reviewer else "",
    )


def exams_for_review(*, user: Any) -> QuerySet[Exam]:
    """The exams with a room the user may watch (the queue's exam filter)."""
    return (Exam.objects.filter(sessions__rooms__in=exam_selectors.rooms_visible_to(user))
            .distinct().order_by("-created_at"))


# --- one attempt ----------------------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class FlagLine:
    id: uuid.UUID
    label: str
    category: str
    severity: str
    severity_label: str
    camera: str
    status: str
    status_label: str
    first_at: dt.datetime
    last_at: dt.datetime
    count: int
    resolution_note: str
    evidence: list[uuid.UUID]  # snapshot ids, oldest first (images not purged)


@dataclasses.dataclass(frozen=True)
class AttemptDossier:
    """Everything a reviewer weighs about one attempt."""

    attempt: Attempt
    review: AttemptReview | None
    second_reviewer_required: bool
    flags: list[FlagLine]
    browser_events: list[tuple[str, int]]  # (label, count), most frequent first
    state_changes: list[AttemptEvent]
    proctor_actions: list[ProctorAction]
    irregularities: list[IrregularityReport]
    identity: IdentityCheck | None
    result: AttemptResult | None
    decisions: list[ReviewDecision]

    @property
    def status(self) -> str:
        return self.review.status if self.review else ReviewStatus.NOT_REVIEWED

    @property
    def status_label(self) -> str:
        return str(ReviewStatus(self.status).label)

    @property
    def attempt_finished(self) -> bool:
        return self.attempt.state in statemachine.FINISHED_STATES

    @property
    def decision_is_final(self) -> bool:
        return bool(self.review and self.review.voided_at)


EVIDENCE_PER_FLAG = 6


def attempt_dossier(*, user: Any, attempt_id: uuid.UUID) -> AttemptDossier:
    """One attempt's flags with their evidence, browser events, state changes, proctor
    actions, irregularity reports, identity result, score and review decisions."""
    attempt = reviewable_attempt(user=user, attempt_id=attempt_id)
    review = AttemptReview.objects.filter(attempt=attempt).select_related(
        "reviewer", "confirmed_by").first()
    events = Counter(BrowserEvent.objects.filter(attempt=attempt).values_list("type", flat=True))
    labels = dict(BrowserEvent.Type.choices)
    return AttemptDossier(
        attempt=attempt, review=review,
        second_reviewer_required=second_reviewer_required(exam=attempt.registration.exam),
        flags=_flag_lines(attempt),
        browser_events=[(str(labels.get(kind, kind)), n) for kind, n in events.most_common()],
        state_changes=list(AttemptEvent.objects.filter(attempt=attempt).order_by("at", "id")),
        proctor_actions=list(ProctorAction.objects.filter(attempt=attempt)
                             .select_related("actor").order_by("at")),
        irregularities=list(IrregularityReport.objects.filter(attempt=attempt)
                            .select_related("author").order_by("filed_at")),
        identity=IdentityCheck.objects.filter(attempt=attempt).first(),
        result=AttemptResult.objects.filter(attempt=attempt).first(),
        decisions=list(ReviewDecision.objects.filter(review__attempt=attempt)
                       .select_related("reviewer")) if review else [],
    )


def _flag_lines(attempt: Attempt) -> list[FlagLine]:
    flags = list(Flag.objects.filter(attempt=attempt).prefetch_related("evidence"))
    flags.sort(key=lambda f: (f.status == Flag.Status.DISMISSED, -SEVERITY_RANK[f.severity],
                              f.first_at))
    lines = []
    for flag in flags:
        pictures = sorted((s for s in flag.evidence.all() if s.purged_at is None and s.image),
                          key=lambda s: s.taken_at)
        lines.append(FlagLine(
            id=flag.pk, label=flag_label(flag.type), category=flag.get_category_display(),
            severity=flag.severity, severity_label=flag.get_severity_display(),
            camera=flag.get_camera_display() if flag.camera else "",
            status=flag.status, status_label=flag.get_status_display(),
            first_at=flag.first_at, last_at=flag.last_at, count=flag.count,
            resolution_note=flag.resolution_note,
            evidence=[s.pk for s in pictures[:EVIDENCE_PER_FLAG]],
        ))
    return lines
