"""Delivery writes: candidate login, the attempt's transitions, answers, expiry.

Every transition goes through ``transition()`` (row lock, the table in
``statemachine``, an ``AttemptEvent``, a real-time event on commit).
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser
from django.db import connection, transaction
from django.utils import formats
from django.utils.translation import gettext as _

from examhall.candidates import selectors as candidate_selectors
from examhall.candidates.models import Registration
from examhall.core import clock
from examhall.core.errors import ApplicationError, NotFound
from examhall.core.realtime import send_event_on_commit
from examhall.delivery import checks, statemachine
from examhall.delivery.models import Answer, Attempt, AttemptEvent, AttemptState, SubmitReason
from examhall.delivery.signals import attempt_submitted
from examhall.exams import selectors as exam_selectors
from examhall.itembank import services as itembank_services
from examhall.itembank.models import Paper, Question

# --- transitions -------------------------------------------------------------


# A step: (to_state, reason, field changes).
Step = tuple[str, str, dict[str, Any]]


def _lock(attempt_id: uuid.UUID) -> Attempt:
    """The attempt, row-locked until the transaction ends, with what pages show of it."""
    attempt = (
        Attempt.objects.select_for_update(of=("self",))
        .select_related("registration__exam", "registration__session",
                        "registration__subject", "registration__candidate")
        .filter(pk=attempt_id)
        .first()
    )
    if attempt is None:
        raise NotFound("attempt_not_found", _("This attempt does not exist."))
    return attempt


def _apply(
    attempt: Attempt,
    steps: list[Step],
    *,
    actor: AbstractBaseUser | None = None,
    actor_label: str = "candidate",
) -> Attempt:
    """Carry out ``steps`` on a locked attempt: each must be allowed by the table from
    the state the one before left; one row update, one event per step."""
    now = clock.now()
    updated = {"state", "updated_at"}
    events = []
    for to_state, reason, changes in steps:
        from_state = attempt.state
        if not statemachine.is_allowed(from_state, to_state):
            raise ApplicationError(
                "transition_not_allowed",
                _("This action is not possible now (the attempt is %(state)s).")
                % {"state": attempt.get_state_display()},
                status=409,
                details={"from": from_state, "to": to_state},
            )
        attempt.state = to_state
        for field, value in changes.items():
            setattr(attempt, field, value)
        updated.update(changes)
        events.append(AttemptEvent(
            attempt=attempt, at=now, actor=actor,
            actor_label=actor.get_username() if actor else actor_label,
            from_state=from_state, to_state=to_state, reason=reason[:300],
        ))
    attempt.save(update_fields=sorted(updated))
    AttemptEvent.objects.bulk_create(events)
    send_event_on_commit(
        f"room.{attempt.registration.room_id}",
        {"kind": "attempt.state", "attempt": str(attempt.pk), "state": attempt.state},
    )
    return attempt


def transition(
    *,
    attempt_id: uuid.UUID,
    to_state: str,
    reason: str = "",
    actor: AbstractBaseUser | None = None,
    actor_label: str = "candidate",
    **changes: Any,
) -> Attempt:
    """Move an attempt to ``to_state`` if the table allows it; write the event."""
    with transaction.atomic():
        return _apply(_lock(attempt_id), [(to_state, reason, changes)],
                      actor=actor, actor_label=actor_label)


# --- login -------------------------------------------------------------------


@dataclass(frozen=True)
class LoginResult:
    registration: Registration
    attempt: Attempt


def _local_time(value: dt.datetime) -> str:
    return formats.date_format(value.astimezone(dt.UTC).astimezone(), "Y-m-d H:i")


def _check_session_window(registration: Registration, now: dt.datetime) -> None:
    session = registration.session
    if now < session.opens_at:
        raise ApplicationError(
            "session_not_open",
            _("The session “%(session)s” has not opened yet. It opens at %(time)s.")
            % {"session": session.name, "time": _local_time(session.opens_at)},
            status=403,
            details={"opens_at": session.opens_at.isoformat()},
        )
    if now >= session.closes_at:
        raise ApplicationError(
            "session_closed",
            _("The session “%(session)s” closed at %(time)s.")
            % {"session": session.name, "time": _local_time(session.closes_at)},
            status=403,
        )
    if now > session.late_entry_until:
        raise ApplicationError(
            "late_entry_passed",
            _("Late entry ended at %(time)s; you can no longer start this session. "
              "Please contact the exam office.")
            % {"time": _local_time(session.late_entry_until)},
            status=403,
        )


def candidate_login(
    *, exam_code: str, subject_code: str, ticket_number: str, id_number: str
) -> LoginResult:
    """Check ticket + ID for the chosen subject and the session window.

    A candidate whose attempt already started may always come back (to resume
    or to see the outcome); the time window applies to a first entry only.
    """
    exam = exam_selectors.published_exam(code=exam_code)
    subject = exam_selectors.open_subject(exam=exam, code=subject_code)
    registration = candidate_selectors.registration_for_ticket_and_id(
        exam=exam, ticket_number=ticket_number, id_number=id_number
    )
    if registration.subject_id != subject.pk:
        raise ApplicationError(
            "wrong_subject",
            _("You are registered for “%(registered)s”, not “%(chosen)s”. "
              "Go back and choose your own subject.")
            % {"registered": registration.subject.display_name, "chosen": subject.display_name},
            status=403,
        )
    attempt, _created = Attempt.objects.get_or_create(registration=registration)
    if attempt.state == AttemptState.VOIDED:
        raise ApplicationError(
            "attempt_voided",
            _("This attempt was voided. Please contact the exam office."),
            status=403,
        )
    if attempt.state not in statemachine.STARTED_STATES:
        _check_session_window(registration, clock.now())
    return LoginResult(registration=registration, attempt=attempt)


# --- checks and start ----------------------------------------------------------


def _check_steps(attempt: Attempt) -> tuple[list[Step], list[checks.CheckStatus]]:
    """The steps the checks call for: enter ``checking`` on first visit, ``ready``
    once every required check passed, back to ``checking`` if one no longer does."""
    steps: list[Step] = []
    state = attempt.state
    if state == AttemptState.REGISTERED:
        steps.append((AttemptState.CHECKING, "check page opened", {}))
        state = AttemptState.CHECKING
    statuses = checks.evaluate_checks(attempt)
    all_passed = all(status.passed for status in statuses)
    if state == AttemptState.CHECKING and all_passed:
        steps.append((AttemptState.READY, "every required check passed", {}))
    elif state == AttemptState.READY and not all_passed:
        steps.append((AttemptState.CHECKING, "a required check no longer passes", {}))
    return steps, statuses


def attempt_refresh_checks(*, attempt_id: uuid.UUID) -> tuple[Attempt, list[checks.CheckStatus]]:
    """Evaluate the required checks and move the attempt accordingly (polled by the
    check page: the row is locked only when something changes)."""
    attempt = Attempt.objects.select_related("registration__exam").get(pk=attempt_id)
    steps, statuses = _check_steps(attempt)
    if steps:
        with transaction.atomic():
            attempt = _lock(attempt_id)
            steps, statuses = _check_steps(attempt)
            _apply(attempt, steps)
    return attempt, statuses


def _paper_for(attempt: Attempt) -> tuple[Paper, list[str], dict[str, Any]]:
    """The subject's active paper as this candidate gets it: the question ids in
    order and the spec frozen into the attempt (seed; per question its section,
    points and option order). The seed is the attempt's id, so the draw can be
    reproduced."""
    registration = attempt.registration
    paper = (
        Paper.objects.filter(subject_id=registration.subject_id, is_active=True)
        .order_by("-created_at")
        .first()
    )
    if paper is None:
        raise ApplicationError(
            "no_paper",
            _("No paper is ready for this subject yet. Please contact the exam office."),
            status=409,
        )
    seed = str(attempt.pk)
    drawn = itembank_services.paper_draw(paper=paper, seed=seed)
    if not drawn:
        raise ApplicationError(
            "no_paper",
            _("No paper is ready for this subject yet. Please contact the exam office."),
            status=409,
        )
    question_ids = [question.id for question in drawn]
    kinds = {str(qid): kind for qid, kind in
             Question.objects.filter(pk__in=question_ids).values_list("id", "kind")}
    if set(kinds.values()) - Question.DELIVERABLE_KINDS:
        raise ApplicationError(
            "paper_not_deliverable",
            _("This subject's paper holds question types that cannot be delivered yet. "
              "Please contact the exam office."),
            status=409,
        )
    spec = {
        "seed": seed,
        "questions": {
            question.id: {"kind": kinds[question.id], "section": question.section,
                          "points": str(question.points), "options": list(question.option_order)}
            for question in drawn
        },
    }
    return paper, question_ids, spec


def attempt_start(*, attempt_id: uuid.UUID) -> Attempt:
    """Start the clock. Refused unless the server says every required check passed.

    The pending check steps and the start are one locked transaction.
    """
    with transaction.atomic():
        attempt = _lock(attempt_id)
        if attempt.state in statemachine.STARTED_STATES:
            return attempt  # starting twice (double click, second browser) is harmless
        if attempt.state == AttemptState.VOIDED:
            raise ApplicationError(
                "attempt_voided",
                _("This attempt was voided. Please contact the exam office."),
                status=403,
            )
        steps, statuses = _check_steps(attempt)
        if (steps[-1][0] if steps else attempt.state) == AttemptState.READY:
            registration = attempt.registration
            started_at = clock.now()
            _check_session_window(registration, started_at)
            paper, question_ids, spec = _paper_for(attempt)
            itembank_services.questions_mark_delivered(question_ids=question_ids, at=started_at)
            duration = dt.timedelta(
                minutes=registration.session.duration_minutes + registration.extra_minutes
            )
            steps.append((AttemptState.IN_PROGRESS, "started by the candidate", {
                "paper": paper, "question_ids": question_ids, "paper_spec": spec,
                "started_at": started_at,
                "deadline": started_at + duration,
            }))
        if steps:
            _apply(attempt, steps)
    if attempt.state != AttemptState.IN_PROGRESS:
        pending = [status for status in statuses if not status.passed]
        raise ApplicationError(
            "checks_pending",
            _("You cannot start yet: these checks have not passed: %(checks)s.")
            % {"checks": "、".join(status.label for status in pending)},
            status=409,
            details={"pending": [status.name for status in pending]},
        )
    return attempt


def attempt_pause(*, attempt_id: uuid.UUID, actor: AbstractBaseUser | None, reason: str) -> Attempt:
    return transition(attempt_id=attempt_id, to_state=AttemptState.PAUSED, reason=reason,
                      actor=actor, actor_label="system", paused_at=clock.now())


def attempt_resume(
    *, attempt_id: uuid.UUID, actor: AbstractBaseUser | None, reason: str
) -> Attempt:
    """Resume; the time spent paused is added to the deadline."""
    attempt = Attempt.objects.get(pk=attempt_id)
    paused_for = clock.now() - attempt.paused_at if attempt.paused_at else dt.timedelta(0)
    deadline = attempt.deadline + paused_for if attempt.deadline else None
    return transition(attempt_id=attempt_id, to_state=AttemptState.IN_PROGRESS, reason=reason,
                      actor=actor, actor_label="system", paused_at=None, deadline=deadline)


def attempt_submit(
    *,
    attempt_id: uuid.UUID,
    reason: str = SubmitReason.CANDIDATE,
    actor: AbstractBaseUser | None = None,
) -> Attempt:
    """Submit with what was saved; listeners (grading) run in the same transaction.

    A candidate's submit that arrives once the time is up (the page submits at
    zero) is recorded as a time-up submission: the server's clock decides.
    """
    if reason == SubmitReason.CANDIDATE:
        deadline = Attempt.objects.filter(pk=attempt_id).values_list("deadline", flat=True).first()
        if deadline is not None and clock.now() >= deadline:
            reason = SubmitReason.TIME_UP
    with transaction.atomic():
        attempt = transition(
            attempt_id=attempt_id,
            to_state=AttemptState.SUBMITTED,
            reason=str(SubmitReason(reason).label),
            actor=actor,
            actor_label="system" if reason == SubmitReason.TIME_UP else "candidate",
            submitted_at=clock.now(),
            submit_reason=reason,
        )
        attempt_submitted.send(sender=Attempt, attempt=attempt)
        attempt.refresh_from_db()
        return attempt


def attempt_mark_graded(*, attempt_id: uuid.UUID) -> Attempt:
    return transition(attempt_id=attempt_id, to_state=AttemptState.GRADED,
                      reason="objective questions graded", actor_label="system")


def attempt_void(*, attempt_id: uuid.UUID, actor: AbstractBaseUser | None, reason: str) -> Attempt:
    return transition(attempt_id=attempt_id, to_state=AttemptState.VOIDED, reason=reason,
                      actor=actor, actor_label="system")


def submit_expired_attempts() -> list[uuid.UUID]:
    """Submit every attempt whose deadline (plus the save grace) has passed.

    Runs periodically (Celery beat, or the in-process scheduler). Idempotent:
    an attempt submitted meanwhile is skipped.
    """
    grace = dt.timedelta(seconds=settings.EXAMHALL_ANSWER_GRACE_SECONDS)
    expired = Attempt.objects.filter(
        state=AttemptState.IN_PROGRESS, deadline__lt=clock.now() - grace
    ).values_list("pk", flat=True)
    submitted = []
    for attempt_id in list(expired):
        try:
            attempt_submit(attempt_id=attempt_id, reason=SubmitReason.TIME_UP)
        except ApplicationError:
            continue  # submitted by the candidate in the meantime
        submitted.append(attempt_id)
    return submitted


# --- answers -------------------------------------------------------------------


@dataclass(frozen=True)
class AnswerChange:
    question_id: uuid.UUID
    value: list[str]
    marked: bool
    seq: int
    client_saved_at: dt.datetime | None


@dataclass(frozen=True)
class SaveReceipt:
    acknowledged_seq: int
    server_now: dt.datetime


def _refuse_save(code: str, message: str) -> ApplicationError:
    return ApplicationError(code, message, status=409)


def _check_save_allowed(
    state: str, deadline: dt.datetime | None, changes: list[AnswerChange], now: dt.datetime
) -> None:
    if state == AttemptState.PAUSED:
        raise _refuse_save("attempt_paused",
                           _("Your exam is paused by the proctor; answers cannot be changed now."))
    if state != AttemptState.IN_PROGRESS or deadline is None:
        raise _refuse_save("attempt_not_in_progress",
                           _("This exam has already been submitted; answers cannot be changed."))
    if now <= deadline:
        return
    grace = dt.timedelta(seconds=settings.EXAMHALL_ANSWER_GRACE_SECONDS)
    stamped_in_time = all(
        change.client_saved_at is not None and change.client_saved_at <= deadline
        for change in changes
    )
    if now > deadline + grace or not stamped_in_time:
        raise _refuse_save("deadline_passed",
                           _("The time for this exam is over; this answer arrived too late."))


# What an answer of each kind may hold: (most entries, longest entry).
_ANSWER_LIMITS = {"fill_blank": (20, 200), "essay": (1, 20_000)}
_CHOICE_LIMITS = (26, 8)


def _validate_changes(changes: list[AnswerChange], kinds: Mapping[str, str]) -> None:
    """``kinds``: the attempt's questions (id → kind)."""
    for change in changes:
        kind = kinds.get(str(change.question_id))
        if kind is None:
            raise ApplicationError("unknown_question",
                                   _("This question is not part of your paper."), status=400)
        if change.seq < 1:
            raise ApplicationError("invalid_input",
                                   _("The sequence number must be positive."), status=422)
        most, longest = _ANSWER_LIMITS.get(kind, _CHOICE_LIMITS)
        if len(change.value) > most or any(len(entry) > longest for entry in change.value):
            raise ApplicationError("invalid_input", _("This answer is too long."), status=422)


_UPSERT_COLUMNS = "(attempt_id, question_id, value, marked, seq, client_saved_at, saved_at)"
_ON_CONFLICT = """
ON CONFLICT (attempt_id, question_id) DO UPDATE SET
    value = excluded.value, marked = excluded.marked, seq = excluded.seq,
    client_saved_at = excluded.client_saved_at, saved_at = excluded.saved_at
WHERE delivery_answer.seq < excluded.seq
"""
_UPSERT_SQL = f"INSERT INTO delivery_answer {_UPSERT_COLUMNS} VALUES (%s, %s, %s, %s, %s, %s, %s)"
_UPSERT_SQL += _ON_CONFLICT
# The common case in one statement: written only while the attempt is in
# progress and before its deadline (checked by the database in the same
# statement, so a submit cannot slip in between a check and the write).
_UPSERT_IF_OPEN_SQL = f"""
INSERT INTO delivery_answer {_UPSERT_COLUMNS}
SELECT %s, %s, %s, %s, %s, %s, %s
WHERE EXISTS (
    SELECT 1 FROM delivery_attempt
    WHERE id = %s AND state = '{AttemptState.IN_PROGRESS.value}' AND deadline >= %s
)
{_ON_CONFLICT}
"""

# An attempt's questions never change once it has started: keep them per process.
_QUESTION_IDS_CACHE: dict[uuid.UUID, dict[str, str]] = {}
_QUESTION_IDS_CACHE_LIMIT = 50_000


def _adapt(field_name: str, value: Any) -> Any:
    field = Answer._meta.get_field(field_name)
    return field.get_db_prep_save(value, connection)


def _row(attempt_id: uuid.UUID, change: AnswerChange, now: dt.datetime) -> tuple[Any, ...]:
    return (
        _adapt("attempt", attempt_id),
        _adapt("question", change.question_id),
        _adapt("value", change.value),
        change.marked,
        change.seq,
        _adapt("client_saved_at", change.client_saved_at),
        _adapt("saved_at", now),
    )


def _question_kinds(question_ids: list[str], spec: dict[str, Any]) -> dict[str, str]:
    """The attempt's questions and their kinds, from the spec frozen at start."""
    questions = (spec or {}).get("questions", {})
    return {qid: questions.get(qid, {}).get("kind", "single") for qid in question_ids}


def _started_question_kinds(attempt_id: uuid.UUID) -> dict[str, str] | None:
    """The attempt's questions (id → kind) once it has started (cached), else None."""
    cached = _QUESTION_IDS_CACHE.get(attempt_id)
    if cached is not None:
        return cached
    row = (
        Attempt.objects.filter(pk=attempt_id, started_at__isnull=False)
        .values_list("question_ids", "paper_spec")
        .first()
    )
    if not row or not row[0]:
        return None
    if len(_QUESTION_IDS_CACHE) >= _QUESTION_IDS_CACHE_LIMIT:
        _QUESTION_IDS_CACHE.clear()
    _QUESTION_IDS_CACHE[attempt_id] = _question_kinds(*row)
    return _QUESTION_IDS_CACHE[attempt_id]


def _save_if_open(attempt_id: uuid.UUID, change: AnswerChange, now: dt.datetime) -> bool:
    """One statement, no transaction: True when the change was written."""
    kinds = _started_question_kinds(attempt_id)
    if kinds is None:
        return False
    _validate_changes([change], kinds)
    params = (*_row(attempt_id, change, now), _adapt("attempt", attempt_id),
              Attempt._meta.get_field("deadline").get_db_prep_save(now, connection))
    with connection.cursor() as cursor:
        cursor.execute(_UPSERT_IF_OPEN_SQL, params)
        return cursor.rowcount == 1


def answers_save(*, attempt_id: uuid.UUID, changes: list[AnswerChange]) -> SaveReceipt:
    """Save answer changes in order: idempotent per seq, never older over newer.

    The autosave hot path. A single change to an open attempt is one SQL
    statement; anything else (a batch from the offline queue, a save in the
    grace period, a refusal, a repeated or older seq) takes the full path: one
    read of the attempt, its checks, and one upsert per change in a transaction.
    """
    now = clock.now()
    acknowledged = SaveReceipt(
        acknowledged_seq=max((c.seq for c in changes), default=0), server_now=now
    )
    if len(changes) == 1 and _save_if_open(attempt_id, changes[0], now):
        return acknowledged
    row = (
        Attempt.objects.filter(pk=attempt_id)
        .values_list("state", "deadline", "question_ids", "paper_spec")
        .first()
    )
    if row is None:
        raise NotFound("attempt_not_found", _("This attempt does not exist."))
    state, deadline, question_ids, spec = row
    _check_save_allowed(state, deadline, changes, now)
    _validate_changes(changes, _question_kinds(question_ids, spec))
    params = [_row(attempt_id, change, now) for change in sorted(changes, key=lambda c: c.seq)]
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.executemany(_UPSERT_SQL, params)
    return acknowledged
