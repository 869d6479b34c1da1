"""The attempt's lifecycle: transitions (one table, ``statemachine``), checks,
start with the paper drawn and frozen, pause, resume, submit, expiry."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction
from django.utils import formats
from django.utils.translation import gettext as _

from examhall.candidates.models import Registration
from examhall.core import clock
from examhall.core.errors import ApplicationError, NotFound
from examhall.core.realtime import send_event_on_commit
from examhall.delivery import checks, statemachine
from examhall.delivery.models import Attempt, AttemptEvent, AttemptState, SubmitReason
from examhall.delivery.signals import attempt_submitted
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
    _publish_state(attempt)
    return attempt


def _publish_state(attempt: Attempt) -> None:
    """``attempt.state`` (with the deadline and the pause's start) to the room's
    proctors and to the candidate's own pages (PC and paired phone listen on the
    attempt's group)."""
    state_event = {"kind": "attempt.state", "attempt": str(attempt.pk), "state": attempt.state,
                   "deadline": attempt.deadline.isoformat() if attempt.deadline else None,
                   "paused_at": attempt.paused_at.isoformat() if attempt.paused_at else None}
    send_event_on_commit(f"room.{attempt.registration.room_id}", state_event)
    send_event_on_commit(f"attempt.{attempt.pk}", state_event)


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


# --- session window ------------------------------------------------------------


def _local_time(value: dt.datetime) -> str:
    return formats.date_format(value.astimezone(dt.UTC).astimezone(), "Y-m-d H:i")


def check_session_window(registration: Registration, now: dt.datetime) -> None:
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



# --- checks and start ----------------------------------------------------------


def _check_steps(attempt: Attempt) -> tuple[list[Step], list[checks.CheckStatus]]:
    """The steps the checks call for: enter ``checking`` on first visit, then the
    state of the first required check not passed (device check, identity check,
    identity review…), ``ready`` once every one passed, and back if one no longer
    does. Nothing once the attempt has started."""
    steps: list[Step] = []
    state = attempt.state
    if state == AttemptState.REGISTERED:
        steps.append((AttemptState.CHECKING, "check page opened", {}))
        state = AttemptState.CHECKING
    statuses = checks.evaluate_checks(attempt)
    if state not in statemachine.PRE_START_STATES:
        return steps, statuses
    pending = next((status for status in statuses if not status.passed), None)
    target = AttemptState.READY if pending is None else (pending.stage or AttemptState.CHECKING)
    if target != state:
        if target == AttemptState.READY:
            reason = "every required check passed"
        elif state == AttemptState.READY:
            reason = f"a required check no longer passes: {pending.name}"  # type: ignore[union-attr]
        else:
            reason = f"waiting for: {pending.name}"  # type: ignore[union-attr]
        steps.append((target, reason, {}))
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
    kinds = {question.id: question.kind for question in drawn}  # the draw read them already
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
                          "points": str(question.points), "options": list(question.option_order),
                          **({"case": question.case_id} if question.case_id else {})}
            for question in drawn
        },
    }
    return paper, question_ids, spec


def _delivered_ids(question_ids: list[str], spec: dict[str, Any]) -> list[str]:
    """The questions a start shows: the paper's, and the cases whose material it shows."""
    cases = {entry["case"] for entry in spec["questions"].values() if entry.get("case")}
    return [*question_ids, *sorted(cases)]


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
            check_session_window(registration, started_at)
            paper, question_ids, spec = _paper_for(attempt)
            itembank_services.questions_mark_delivered(
                question_ids=_delivered_ids(question_ids, spec), at=started_at)
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
    """Resume; the time spent paused is added to the deadline (read under the lock)."""
    with transaction.atomic():
        attempt = _lock(attempt_id)
        paused_for = (clock.now() - attempt.paused_at if attempt.paused_at
                      else dt.timedelta(0))
        deadline = attempt.deadline + paused_for if attempt.deadline else None
        return _apply(attempt, [(AttemptState.IN_PROGRESS, reason,
                                 {"paused_at": None, "deadline": deadline})],
                      actor=actor, actor_label="system")


MAX_EXTENSION_MINUTES = 240


def attempt_extend(*, attempt_id: uuid.UUID, minutes: int, actor: AbstractBaseUser,
                   reason: str) -> Attempt:
    """Give a running (or paused) attempt more time: the deadline moves on by
    ``minutes``; the candidate's page hears it at once (``attempt.state``)."""
    if not 1 <= minutes <= MAX_EXTENSION_MINUTES:
        raise ApplicationError(
            "invalid_input",
            _("Extend by 1 to %(max)d minutes.") % {"max": MAX_EXTENSION_MINUTES}, status=422)
    with transaction.atomic():
        attempt = _lock(attempt_id)
        if attempt.state not in (AttemptState.IN_PROGRESS, AttemptState.PAUSED) \
                or attempt.deadline is None:
            raise ApplicationError(
                "transition_not_allowed",
                _("Only a running or paused exam can be given more time "
                  "(the attempt is %(state)s).") % {"state": attempt.get_state_display()},
                status=409)
        attempt.deadline += dt.timedelta(minutes=minutes)
        attempt.save(update_fields=["deadline", "updated_at"])
        AttemptEvent.objects.create(
            attempt=attempt, at=clock.now(), actor=actor, actor_label=actor.get_username(),
            from_state=attempt.state, to_state=attempt.state,
            reason=(f"time extended by {minutes} min: {reason}")[:300])
        _publish_state(attempt)
        return attempt


def attempt_allow_reentry(*, attempt_id: uuid.UUID, actor: AbstractBaseUser,
                          minutes: int = 15) -> Attempt:
    """Let the candidate sign in again, once, within ``minutes`` (after a crash, on
    another computer) where the exam says re-entry needs a proctor."""
    with transaction.atomic():
        attempt = _lock(attempt_id)
        if attempt.state not in (AttemptState.IN_PROGRESS, AttemptState.PAUSED):
            raise ApplicationError(
                "transition_not_allowed",
                _("Re-entry can be allowed only while the exam is running "
                  "(the attempt is %(state)s).") % {"state": attempt.get_state_display()},
                status=409)
        attempt.reentry_allowed_until = clock.now() + dt.timedelta(minutes=minutes)
        attempt.save(update_fields=["reentry_allowed_until", "updated_at"])
        AttemptEvent.objects.create(
            attempt=attempt, at=clock.now(), actor=actor, actor_label=actor.get_username(),
            from_state=attempt.state, to_state=attempt.state,
            reason=f"re-entry allowed for {minutes} min")
        return attempt


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

