"""What a proctor does in the console, and what a candidate says back.

Every proctor action is one service call: it checks that the proctor may watch the
candidate's room (a candidate of another room is answered as if it did not exist),
carries out the action through the owning app's service (delivery for the attempt's
clock and state, identity, proctoring for flags), writes a ``ProctorAction`` (who,
when, why) in the same transaction and tells the room and the candidate's pages
after commit.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction
from django.utils.translation import gettext as _

from examhall.console.models import Admission, IrregularityReport, Message, ProctorAction
from examhall.core import clock
from examhall.core.errors import ApplicationError, NotFound
from examhall.core.realtime import send_event_on_commit
from examhall.delivery import services as delivery_services
from examhall.delivery.models import Attempt, AttemptState, SubmitReason
from examhall.exams import selectors as exam_selectors
from examhall.exams.models import Room
from examhall.identity import services as identity_services
from examhall.proctoring.models import Flag

MESSAGE_MAX_CHARS = 1000
REASON_MAX_CHARS = 500
Kind = ProctorAction.Kind

# States in which a candidate is "in the room" and can receive a broadcast.
_REACHABLE_STATES = (
    AttemptState.CHECKING, AttemptState.DEVICE_CHECK, AttemptState.IDENTITY_CHECK,
    AttemptState.IDENTITY_REVIEW, AttemptState.AWAITING_ADMISSION, AttemptState.READY,
    AttemptState.IN_PROGRESS, AttemptState.PAUSED,
)


def _not_found() -> NotFound:
    return NotFound("attempt_not_found", _("This attempt does not exist."))


def proctor_attempt(*, actor: AbstractBaseUser, attempt_id: uuid.UUID) -> Attempt:
    """The attempt if ``actor`` may watch its room; otherwise "does not exist"."""
    attempt = (Attempt.objects.select_related("registration__room", "registration__exam",
                                              "registration__candidate")
               .filter(pk=attempt_id, registration__room__in=exam_selectors.rooms_visible_to(actor))
               .first())
    if attempt is None:
        raise _not_found()
    return attempt


def proctor_room(*, actor: AbstractBaseUser, room_id: uuid.UUID) -> Room:
    room = exam_selectors.rooms_visible_to(actor).filter(pk=room_id).first()
    if room is None:
        raise NotFound("room_not_found", _("This room does not exist."))
    return room


def _clean_reason(reason: str, *, required: bool, what: str = "",
                  max_chars: int = REASON_MAX_CHARS) -> str:
    reason = (reason or "").strip()
    if required and not reason:
        raise ApplicationError("reason_required",
                               what or _("Give a reason: it is kept in the record."), status=422)
    if len(reason) > max_chars:
        raise ApplicationError("invalid_input",
                               _("Keep the reason under %(max)d characters.")
                               % {"max": max_chars}, status=422)
    return reason


def _audit(*, actor: AbstractBaseUser, kind: str, attempt: Attempt | None, room: Room,
           reason: str = "", **details: Any) -> ProctorAction:
    action = ProctorAction.objects.create(at=clock.now(), actor=actor, kind=kind, room=room,
                                          attempt=attempt, reason=reason, details=details)
    send_event_on_commit(f"room.{room.pk}", {
        "kind": "console.action", "action": kind, "attempt": str(attempt.pk) if attempt else None,
        "actor": actor.get_username(), "at": action.at.isoformat()})
    return action


# --- admission and identity ----------------------------------------------------


def admission_decide(*, actor: AbstractBaseUser, attempt_id: uuid.UUID, admit: bool,
                     reason: str = "") -> Attempt:
    """Admit a candidate waiting for admission, or refuse with a reason (they keep
    waiting and are told why; a later admission still lets them in)."""
    attempt = proctor_attempt(actor=actor, attempt_id=attempt_id)
    reason = _clean_reason(reason, required=not admit,
                           what=_("Say why the candidate is not admitted; they will read it."),
                           max_chars=Admission._meta.get_field("reason").max_length)
    with transaction.atomic():
        locked = Attempt.objects.select_for_update().get(pk=attempt.pk)
        if locked.state != AttemptState.AWAITING_ADMISSION:
            raise ApplicationError(
                "not_awaiting_admission",
                _("This candidate is not waiting for admission (the attempt is %(state)s).")
                % {"state": locked.get_state_display()}, status=409)
        Admission.objects.update_or_create(
            attempt=attempt,
            defaults={"decision": (Admission.Decision.ADMITTED if admit
                                   else Admission.Decision.REFUSED),
                      "decided_by": actor, "decided_at": clock.now(), "reason": reason})
        _audit(actor=actor, kind=Kind.ADMIT if admit else Kind.REFUSE, attempt=attempt,
               room=attempt.registration.room, reason=reason)
        if not admit:
            # The candidate's check page re-reads its checks on this event.
            send_event_on_commit(f"attempt.{attempt.pk}", {
                "kind": "attempt.state", "attempt": str(attempt.pk), "state": locked.state,
                "deadline": None})
    attempt, _statuses = delivery_services.attempt_refresh_checks(attempt_id=attempt.pk)
    return attempt


def admission_admit_all(*, actor: AbstractBaseUser, room_id: uuid.UUID) -> list[Attempt]:
    """Admit everyone in the room who is waiting for admission now."""
    room = proctor_room(actor=actor, room_id=room_id)
    waiting = list(Attempt.objects.filter(registration__room=room,
                                          state=AttemptState.AWAITING_ADMISSION)
                   .values_list("pk", flat=True))
    admitted = []
    for attempt_id in waiting:
        try:
            admitted.append(admission_decide(actor=actor, attempt_id=attempt_id, admit=True))
        except ApplicationError:
            continue  # left the waiting state meanwhile
    return admitted


def identity_decide(*, actor: AbstractBaseUser, attempt_id: uuid.UUID, approve: bool,
                    note: str = "") -> Attempt:
    """Approve or reject an identity the automatic check could not confirm."""
    attempt = proctor_attempt(actor=actor, attempt_id=attempt_id)
    if not actor.has_perm("identity.review_identity"):
        raise ApplicationError("permission_denied", _("You may not review identity checks."),
                               status=403)
    with transaction.atomic():
        identity_services.identity_review_decide(attempt_id=attempt.pk, approve=approve,
                                                 actor=actor, note=note)
        _audit(actor=actor, kind=Kind.IDENTITY_APPROVE if approve else Kind.IDENTITY_REJECT,
               attempt=attempt, room=attempt.registration.room, reason=note.strip()[:500])
    attempt.refresh_from_db()
    return attempt


# --- messages ------------------------------------------------------------------


def _clean_body(body: str) -> str:
    body = (body or "").strip()
    if not body:
        raise ApplicationError("message_empty", _("Write the message first."), status=422)
    if len(body) > MESSAGE_MAX_CHARS:
        raise ApplicationError("message_too_long",
                               _("Keep the message under %(max)d characters.")
                               % {"max": MESSAGE_MAX_CHARS}, status=422)
    return body


def message_event(message: Message) -> dict[str, Any]:
    return {"kind": "console.message", "attempt": str(message.attempt_id),
            "message": str(message.pk), "sender": message.sender, "body": message.body,
            "broadcast": message.broadcast, "sent_at": message.sent_at.isoformat(),
            "acknowledged_at": (message.acknowledged_at.isoformat()
                                if message.acknowledged_at else None)}


def _publish_message(message: Message, room_id: uuid.UUID) -> None:
    event = message_event(message)
    send_event_on_commit(f"room.{room_id}", event)
    send_event_on_commit(f"attempt.{message.attempt_id}", event)


def message_send(*, actor: AbstractBaseUser, attempt_id: uuid.UUID, body: str) -> Message:
    """A proctor's message to one candidate: a modal on the candidate's PC that must be
    acknowledged. Answering a raised hand marks the candidate's messages as read."""
    attempt = proctor_attempt(actor=actor, attempt_id=attempt_id)
    body = _clean_body(body)
    if attempt.state not in _REACHABLE_STATES:
        raise ApplicationError("attempt_finished",
                               _("This candidate's exam has ended (the attempt is %(state)s).")
                               % {"state": attempt.get_state_display()}, status=409)
    with transaction.atomic():
        now = clock.now()
        message = Message.objects.create(attempt=attempt, sender=Message.Sender.PROCTOR,
                                         author=actor, body=body, sent_at=now)
        Message.objects.filter(attempt=attempt, sender=Message.Sender.CANDIDATE,
                               read_by_proctor_at__isnull=True).update(read_by_proctor_at=now)
        _audit(actor=actor, kind=Kind.MESSAGE, attempt=attempt,
               room=attempt.registration.room, message=str(message.pk))
        _publish_message(message, attempt.registration.room_id)
    return message


def message_broadcast(*, actor: AbstractBaseUser, room_id: uuid.UUID, body: str) -> int:
    """The same message to every candidate in the room now (one row each, so each
    acknowledgement is known). Returns how many candidates it reached."""
    room = proctor_room(actor=actor, room_id=room_id)
    body = _clean_body(body)
    with transaction.atomic():
        now = clock.now()
        attempt_ids = list(Attempt.objects.filter(registration__room=room,
                                                  state__in=_REACHABLE_STATES)
                           .values_list("pk", flat=True))
        messages = Message.objects.bulk_create([
            Message(attempt_id=attempt_id, sender=Message.Sender.PROCTOR, author=actor,
                    body=body, broadcast=True, sent_at=now)
            for attempt_id in attempt_ids])
        _audit(actor=actor, kind=Kind.BROADCAST, attempt=None, room=room,
               recipients=len(messages), body=body)
        for message in messages:
            send_event_on_commit(f"attempt.{message.attempt_id}", message_event(message))
        send_event_on_commit(f"room.{room.pk}", {
            "kind": "console.broadcast", "body": body, "recipients": len(messages),
            "sent_at": now.isoformat()})
    return len(messages)


def message_acknowledge(*, attempt: Attempt, message_id: uuid.UUID) -> Message:
    """The candidate read a proctor's message (idempotent)."""
    with transaction.atomic():
        message = (Message.objects.select_for_update()
                   .filter(pk=message_id, attempt=attempt, sender=Message.Sender.PROCTOR)
                   .first())
        if message is None:
            raise NotFound("message_not_found", _("This message does not exist."))
        if message.acknowledged_at is None:
            message.acknowledged_at = clock.now()
            message.save(update_fields=["acknowledged_at", "updated_at"])
            send_event_on_commit(f"room.{attempt.registration.room_id}", {
                "kind": "console.acknowledged", "attempt": str(attempt.pk),
                "message": str(message.pk), "at": message.acknowledged_at.isoformat()})
    return message


def candidate_message(*, attempt: Attempt, body: str) -> Message:
    """The candidate raises a hand / writes to the proctors (the alert feed shows it)."""
    if attempt.state not in _REACHABLE_STATES:
        raise ApplicationError("attempt_finished",
                               _("Your exam has ended; the proctors can no longer be "
                                 "reached here."), status=409)
    body = _clean_body(body)
    recent = Message.objects.filter(attempt=attempt, sender=Message.Sender.CANDIDATE,
                                    read_by_proctor_at__isnull=True).count()
    if recent >= 20:
        raise ApplicationError("too_many_messages",
                               _("Please wait for the proctor to answer your messages."),
                               status=429)
    with transaction.atomic():
        message = Message.objects.create(attempt=attempt, sender=Message.Sender.CANDIDATE,
                                         body=body, sent_at=clock.now())
        _publish_message(message, attempt.registration.room_id)
    return message


# --- the attempt's clock and state -----------------------------------------------


def attempt_pause(*, actor: AbstractBaseUser, attempt_id: uuid.UUID, reason: str) -> Attempt:
    """Pause: the candidate's page locks, the server's clock for this attempt stops."""
    attempt = proctor_attempt(actor=actor, attempt_id=attempt_id)
    reason = _clean_reason(reason, required=True)
    with transaction.atomic():
        result = delivery_services.attempt_pause(attempt_id=attempt.pk, actor=actor,
                                                 reason=reason)
        _audit(actor=actor, kind=Kind.PAUSE, attempt=attempt, room=attempt.registration.room,
               reason=reason)
    return result


def attempt_resume(*, actor: AbstractBaseUser, attempt_id: uuid.UUID, reason: str = "") -> Attempt:
    attempt = proctor_attempt(actor=actor, attempt_id=attempt_id)
    reason = _clean_reason(reason, required=False)
    with transaction.atomic():
        result = delivery_services.attempt_resume(attempt_id=attempt.pk, actor=actor,
                                                  reason=reason or "resumed by a proctor")
        _audit(actor=actor, kind=Kind.RESUME, attempt=attempt, room=attempt.registration.room,
               reason=reason)
    return result


def attempt_extend(*, actor: AbstractBaseUser, attempt_id: uuid.UUID, minutes: int,
                   reason: str) -> Attempt:
    attempt = proctor_attempt(actor=actor, attempt_id=attempt_id)
    reason = _clean_reason(reason, required=True)
    with transaction.atomic():
        result = delivery_services.attempt_extend(attempt_id=attempt.pk, minutes=minutes,
                                                  actor=actor, reason=reason)
        _audit(actor=actor, kind=Kind.EXTEND, attempt=attempt, room=attempt.registration.room,
               reason=reason, minutes=minutes, deadline=result.deadline.isoformat())
    return result


def attempt_force_submit(*, actor: AbstractBaseUser, attempt_id: uuid.UUID,
                         reason: str) -> Attempt:
    """End the exam for the candidate with what they saved (it is marked as usual)."""
    attempt = proctor_attempt(actor=actor, attempt_id=attempt_id)
    reason = _clean_reason(reason, required=True)
    with transaction.atomic():
        _audit(actor=actor, kind=Kind.FORCE_SUBMIT, attempt=attempt,
               room=attempt.registration.room, reason=reason)
        return delivery_services.attempt_submit(attempt_id=attempt.pk,
                                                reason=SubmitReason.PROCTOR, actor=actor)


def attempt_terminate(*, actor: AbstractBaseUser, attempt_id: uuid.UUID, reason: str) -> Attempt:
    """Void the attempt (misconduct): it has no result. A reason is required."""
    attempt = proctor_attempt(actor=actor, attempt_id=attempt_id)
    reason = _clean_reason(reason, required=True,
                           what=_("Say why the attempt is terminated: it is kept in the record "
                                  "and shown to reviewers."))
    with transaction.atomic():
        result = delivery_services.attempt_void(attempt_id=attempt.pk, actor=actor,
                                                reason=reason)
        _audit(actor=actor, kind=Kind.TERMINATE, attempt=attempt,
               room=attempt.registration.room, reason=reason)
    return result


def reentry_allow(*, actor: AbstractBaseUser, attempt_id: uuid.UUID, reason: str = "",
                  minutes: int = 15) -> Attempt:
    """Let the candidate sign in again once (after a crash, on another computer)."""
    attempt = proctor_attempt(actor=actor, attempt_id=attempt_id)
    reason = _clean_reason(reason, required=False)
    with transaction.atomic():
        result = delivery_services.attempt_allow_reentry(attempt_id=attempt.pk, actor=actor,
                                                         minutes=minutes)
        _audit(actor=actor, kind=Kind.ALLOW_REENTRY, attempt=attempt,
               room=attempt.registration.room, reason=reason, minutes=minutes)
    return result


# --- flags and reports --------------------------------------------------------------


def flag_resolve(*, actor: AbstractBaseUser, flag_id: uuid.UUID, confirm: bool,
                 note: str = "") -> Flag:
    """Confirm a flag (it stands, for the reviewers) or dismiss it (a false alarm),
    with a note."""
    flag = Flag.objects.filter(
        pk=flag_id, attempt__registration__room__in=exam_selectors.rooms_visible_to(actor)
    ).first()
    if flag is None:  # or a flag of another room: the same answer
        raise NotFound("flag_not_found", _("This flag does not exist."))
    attempt = proctor_attempt(actor=actor, attempt_id=flag.attempt_id)
    note = _clean_reason(note, required=not confirm,
                         what=_("Say why the flag is dismissed: it is kept in the record."))
    with transaction.atomic():
        flag = Flag.objects.select_for_update().get(pk=flag_id)
        flag.status = Flag.Status.CONFIRMED if confirm else Flag.Status.DISMISSED
        flag.resolution_note = note
        flag.resolved_by = actor  # type: ignore[assignment]
        flag.resolved_at = clock.now()
        flag.save(update_fields=["status", "resolution_note", "resolved_by", "resolved_at",
                                 "updated_at"])
        _audit(actor=actor, kind=Kind.FLAG_CONFIRM if confirm else Kind.FLAG_DISMISS,
               attempt=attempt, room=attempt.registration.room, reason=note,
               flag=str(flag.pk), type=flag.type)
        send_event_on_commit(f"room.{attempt.registration.room_id}", {
            "kind": "proctoring.flag", "attempt": str(attempt.pk), "flag": str(flag.pk),
            "flag_type": flag.type, "camera": flag.camera, "severity": flag.severity,
            "count": flag.count, "new": False, "status": flag.status})
    return flag


def irregularity_file(*, actor: AbstractBaseUser, room_id: uuid.UUID, category: str,
                      description: str, attempt_id: uuid.UUID | None = None
                      ) -> IrregularityReport:
    room = proctor_room(actor=actor, room_id=room_id)
    attempt = None
    if attempt_id is not None:
        attempt = proctor_attempt(actor=actor, attempt_id=attempt_id)
        if attempt.registration.room_id != room.pk:
            raise _not_found()
    if category not in IrregularityReport.Category.values:
        raise ApplicationError("invalid_input", _("Choose a category."), status=422)
    description = (description or "").strip()
    if not description:
        raise ApplicationError("invalid_input", _("Describe what happened."), status=422)
    if len(description) > 4000:
        raise ApplicationError("invalid_input",
                               _("Keep the description under 4,000 characters."), status=422)
    with transaction.atomic():
        report = IrregularityReport.objects.create(room=room, attempt=attempt, category=category,
                                                   description=description, author=actor,
                                                   filed_at=clock.now())
        _audit(actor=actor, kind=Kind.IRREGULARITY, attempt=attempt, room=room,
               reason=description[:500], category=category, report=str(report.pk))
    return report


def live_video_opened(*, actor: AbstractBaseUser, attempt_id: uuid.UUID, camera: str
                      ) -> Attempt:
    """Audit that a proctor opened the live video of a camera (called by signalling)."""
    attempt = proctor_attempt(actor=actor, attempt_id=attempt_id)
    _audit(actor=actor, kind=Kind.LIVE_VIDEO, attempt=attempt, room=attempt.registration.room,
           camera=camera)
    return attempt


# --- bulk ---------------------------------------------------------------------------


@dataclass(frozen=True)
class BulkOutcome:
    attempt_id: uuid.UUID
    ok: bool
    message: str = ""


BULK_ACTIONS = {
    "admit": lambda actor, attempt_id, data: admission_decide(
        actor=actor, attempt_id=attempt_id, admit=True),
    "message": lambda actor, attempt_id, data: message_send(
        actor=actor, attempt_id=attempt_id, body=data.get("body", "")),
    "pause": lambda actor, attempt_id, data: attempt_pause(
        actor=actor, attempt_id=attempt_id, reason=data.get("reason", "")),
    "resume": lambda actor, attempt_id, data: attempt_resume(
        actor=actor, attempt_id=attempt_id, reason=data.get("reason", "")),
    "extend": lambda actor, attempt_id, data: attempt_extend(
        actor=actor, attempt_id=attempt_id, minutes=int(data.get("minutes") or 0),
        reason=data.get("reason", "")),
    "force_submit": lambda actor, attempt_id, data: attempt_force_submit(
        actor=actor, attempt_id=attempt_id, reason=data.get("reason", "")),
}


def bulk_apply(*, actor: AbstractBaseUser, room_id: uuid.UUID, action: str,
               attempt_ids: list[uuid.UUID], data: dict[str, Any]) -> list[BulkOutcome]:
    """One action on several selected candidates of the room; each succeeds or fails
    on its own (with the reason), one audit row each. A candidate of another room
    (even one the proctor also watches) is answered as not found."""
    room = proctor_room(actor=actor, room_id=room_id)
    run = BULK_ACTIONS.get(action)
    if run is None:
        raise ApplicationError("invalid_input", _("This action cannot be applied to several "
                                                  "candidates."), status=422)
    if not attempt_ids or len(attempt_ids) > 200:
        raise ApplicationError("invalid_input", _("Select 1 to 200 candidates."), status=422)
    in_room = set(Attempt.objects.filter(pk__in=attempt_ids, registration__room=room)
                  .values_list("pk", flat=True))
    outcomes = []
    for attempt_id in dict.fromkeys(attempt_ids):
        try:
            if attempt_id not in in_room:
                raise _not_found()
            run(actor, attempt_id, data)
        except ApplicationError as error:
            outcomes.append(BulkOutcome(attempt_id=attempt_id, ok=False,
                                        message=str(error.message)))
        else:
            outcomes.append(BulkOutcome(attempt_id=attempt_id, ok=True))
    return outcomes
