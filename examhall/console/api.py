"""The proctor console's JSON API (``/api/console/…``, staff session + CSRF) and the
candidate's side of the conversation (``/api/attempts/<id>/messages…``, the attempt
token). Thin: every call is one service or selector."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any, Literal

from django.http import HttpRequest
from django.urls import reverse
from django.utils.translation import gettext as _
from ninja import Field, Router, Schema, Status
from ninja.security import django_auth

from examhall.console import selectors, services
from examhall.console.models import IrregularityReport, Message
from examhall.core.errors import PermissionDenied
from examhall.delivery.api import ERRORS, attempt_auth, own_attempt

router = Router(tags=["console"])


def _proctor(request: HttpRequest) -> Any:
    if not selectors.may_use_console(request.user):
        raise PermissionDenied("permission_denied", _("You may not use the proctor console."))
    return request.user


# --- schemas -------------------------------------------------------------------


class RoomOut(Schema):
    id: uuid.UUID
    name: str
    exam: str
    session: str
    opens_at: dt.datetime
    closes_at: dt.datetime
    candidates: int
    url: str


class CameraOut(Schema):
    last_seen_at: dt.datetime | None
    snapshot_url: str
    snapshot_at: dt.datetime | None


class TileOut(Schema):
    registration_id: uuid.UUID
    attempt_id: uuid.UUID | None
    candidate: str
    ticket_number: str
    state: str
    state_label: str
    deadline: dt.datetime | None
    paused_at: dt.datetime | None
    pc: CameraOut
    phone: CameraOut
    flags: dict[str, int]
    top_flag: str
    unread_messages: int
    unacknowledged: int
    reentry_requested: bool
    detail_url: str


class OverviewOut(Schema):
    room: RoomOut
    server_now: dt.datetime
    grace_seconds: int
    tiles: list[TileOut]


class DecisionIn(Schema):
    decision: Literal["admit", "refuse"]
    reason: str = Field("", max_length=500)


class IdentityIn(Schema):
    decision: Literal["approve", "reject"]
    note: str = Field("", max_length=500)


class ReasonIn(Schema):
    reason: str = Field("", max_length=500)


class ExtendIn(Schema):
    minutes: int = Field(..., ge=1, le=240)
    reason: str = Field("", max_length=500)


class MessageIn(Schema):
    body: str = Field(..., max_length=1000)


class MessageOut(Schema):
    id: uuid.UUID
    sender: str
    body: str
    broadcast: bool
    sent_at: dt.datetime
    acknowledged_at: dt.datetime | None
    read_by_proctor_at: dt.datetime | None


class BroadcastOut(Schema):
    recipients: int


class FlagIn(Schema):
    decision: Literal["confirm", "dismiss"]
    note: str = Field("", max_length=500)


class FlagOut(Schema):
    id: uuid.UUID
    status: str
    resolution_note: str


class IrregularityIn(Schema):
    category: Literal[tuple(IrregularityReport.Category.values)]  # type: ignore[valid-type]
    description: str = Field(..., max_length=4000)
    attempt_id: uuid.UUID | None = None


class IrregularityOut(Schema):
    id: uuid.UUID
    category: str
    filed_at: dt.datetime


class BulkIn(Schema):
    action: Literal[tuple(services.BULK_ACTIONS)]  # type: ignore[valid-type]
    attempt_ids: list[uuid.UUID] = Field(..., min_length=1, max_length=200)
    body: str = Field("", max_length=1000)
    reason: str = Field("", max_length=500)
    minutes: int = Field(0, ge=0, le=240)


class BulkOutcomeOut(Schema):
    attempt_id: uuid.UUID
    ok: bool
    message: str


class AttemptStateOut(Schema):
    attempt_id: uuid.UUID
    state: str
    state_label: str
    deadline: dt.datetime | None


def _state_out(attempt: Any) -> dict[str, Any]:
    return {"attempt_id": attempt.pk, "state": attempt.state,
            "state_label": str(attempt.get_state_display()), "deadline": attempt.deadline}


def _room_out(room: Any, candidates: int | None = None) -> dict[str, Any]:
    session = room.session
    return {"id": room.pk, "name": room.name, "exam": session.exam.name,
            "session": session.name,
            "opens_at": session.opens_at, "closes_at": session.closes_at,
            "candidates": candidates if candidates is not None
            else getattr(room, "candidates", 0),
            "url": reverse("console:room", args=[room.pk])}


def _camera_out(camera: selectors.CameraTile) -> dict[str, Any]:
    return {"last_seen_at": camera.last_seen_at, "snapshot_at": camera.snapshot_at,
            "snapshot_url": (reverse("console:snapshot", args=[camera.snapshot_id])
                             if camera.snapshot_id else "")}


def _labels() -> dict[str, str]:
    from examhall.delivery.models import AttemptState

    return {value: str(label) for value, label in AttemptState.choices}


# --- rooms ---------------------------------------------------------------------


@router.get("/console/rooms", response={200: list[RoomOut], **ERRORS}, auth=django_auth)
def console_rooms(request: HttpRequest) -> list[dict[str, Any]]:
    """The rooms this user may watch."""
    return [_room_out(room) for room in selectors.rooms_for_console(_proctor(request))]


@router.get("/console/rooms/{room_id}", response={200: OverviewOut, **ERRORS}, auth=django_auth)
def console_room(request: HttpRequest, room_id: uuid.UUID) -> dict[str, Any]:
    """Every candidate of the room as a tile (the page's first paint and catch-up)."""
    room = services.proctor_room(actor=_proctor(request), room_id=room_id)
    overview = selectors.room_overview(room=room)
    labels = _labels()
    return {
        "room": _room_out(room, candidates=len(overview.tiles)),
        "server_now": overview.server_now, "grace_seconds": overview.grace_seconds,
        "tiles": [{
            **{field: getattr(tile, field) for field in (
                "registration_id", "attempt_id", "candidate", "ticket_number", "state",
                "deadline", "paused_at", "flags", "top_flag", "unread_messages",
                "unacknowledged", "reentry_requested")},
            "state_label": labels.get(tile.state, tile.state),
            "pc": _camera_out(tile.pc), "phone": _camera_out(tile.phone),
            "detail_url": (reverse("console:attempt", args=[tile.attempt_id])
                           if tile.attempt_id else ""),
        } for tile in overview.tiles],
    }


@router.post("/console/rooms/{room_id}/admit-all", response={200: list[AttemptStateOut], **ERRORS},
             auth=django_auth)
def console_admit_all(request: HttpRequest, room_id: uuid.UUID) -> list[dict[str, Any]]:
    return [_state_out(a) for a in services.admission_admit_all(actor=_proctor(request),
                                                                room_id=room_id)]


@router.post("/console/rooms/{room_id}/broadcast", response={200: BroadcastOut, **ERRORS},
             auth=django_auth)
def console_broadcast(request: HttpRequest, room_id: uuid.UUID,
                      payload: MessageIn) -> dict[str, Any]:
    return {"recipients": services.message_broadcast(actor=_proctor(request), room_id=room_id,
                                                     body=payload.body)}


@router.post("/console/rooms/{room_id}/irregularities",
             response={201: IrregularityOut, **ERRORS}, auth=django_auth)
def console_irregularity(request: HttpRequest, room_id: uuid.UUID,
                         payload: IrregularityIn) -> Status:
    report = services.irregularity_file(actor=_proctor(request), room_id=room_id,
                                        category=payload.category,
                                        description=payload.description,
                                        attempt_id=payload.attempt_id)
    return Status(201, report)


@router.post("/console/rooms/{room_id}/bulk", response={200: list[BulkOutcomeOut], **ERRORS},
             auth=django_auth)
def console_bulk(request: HttpRequest, room_id: uuid.UUID, payload: BulkIn) -> list[Any]:
    """One action on the selected tiles; each candidate succeeds or fails on its own."""
    return services.bulk_apply(actor=_proctor(request), room_id=room_id, action=payload.action,
                               attempt_ids=payload.attempt_ids,
                               data={"body": payload.body, "reason": payload.reason,
                                     "minutes": payload.minutes})


# --- one candidate -------------------------------------------------------------


@router.post("/console/attempts/{attempt_id}/admission",
             response={200: AttemptStateOut, **ERRORS}, auth=django_auth)
def console_admission(request: HttpRequest, attempt_id: uuid.UUID,
                      payload: DecisionIn) -> dict[str, Any]:
    return _state_out(services.admission_decide(
        actor=_proctor(request), attempt_id=attempt_id, admit=payload.decision == "admit",
        reason=payload.reason))


@router.post("/console/attempts/{attempt_id}/identity",
             response={200: AttemptStateOut, **ERRORS}, auth=django_auth)
def console_identity(request: HttpRequest, attempt_id: uuid.UUID,
                     payload: IdentityIn) -> dict[str, Any]:
    return _state_out(services.identity_decide(
        actor=_proctor(request), attempt_id=attempt_id, approve=payload.decision == "approve",
        note=payload.note))


@router.get("/console/attempts/{attempt_id}/messages", response={200: list[MessageOut], **ERRORS},
            auth=django_auth)
def console_thread(request: HttpRequest, attempt_id: uuid.UUID) -> list[Message]:
    attempt = services.proctor_attempt(actor=_proctor(request), attempt_id=attempt_id)
    return list(attempt.messages.all())


@router.post("/console/attempts/{attempt_id}/messages", response={201: MessageOut, **ERRORS},
             auth=django_auth)
def console_message(request: HttpRequest, attempt_id: uuid.UUID,
                    payload: MessageIn) -> Status:
    return Status(201, services.message_send(actor=_proctor(request), attempt_id=attempt_id,
                                             body=payload.body))


@router.post("/console/attempts/{attempt_id}/pause", response={200: AttemptStateOut, **ERRORS},
             auth=django_auth)
def console_pause(request: HttpRequest, attempt_id: uuid.UUID,
                  payload: ReasonIn) -> dict[str, Any]:
    return _state_out(services.attempt_pause(actor=_proctor(request), attempt_id=attempt_id,
                                             reason=payload.reason))


@router.post("/console/attempts/{attempt_id}/resume", response={200: AttemptStateOut, **ERRORS},
             auth=django_auth)
def console_resume(request: HttpRequest, attempt_id: uuid.UUID,
                   payload: ReasonIn) -> dict[str, Any]:
    return _state_out(services.attempt_resume(actor=_proctor(request), attempt_id=attempt_id,
                                              reason=payload.reason))


@router.post("/console/attempts/{attempt_id}/extend", response={200: AttemptStateOut, **ERRORS},
             auth=django_auth)
def console_extend(request: HttpRequest, attempt_id: uuid.UUID,
                   payload: ExtendIn) -> dict[str, Any]:
    return _state_out(services.attempt_extend(actor=_proctor(request), attempt_id=attempt_id,
                                              minutes=payload.minutes, reason=payload.reason))


@router.post("/console/attempts/{attempt_id}/submit", response={200: AttemptStateOut, **ERRORS},
             auth=django_auth)
def console_force_submit(request: HttpRequest, attempt_id: uuid.UUID,
                         payload: ReasonIn) -> dict[str, Any]:
    return _state_out(services.attempt_force_submit(actor=_proctor(request),
                                                    attempt_id=attempt_id,
                                                    reason=payload.reason))


@router.post("/console/attempts/{attempt_id}/terminate",
             response={200: AttemptStateOut, **ERRORS}, auth=django_auth)
def console_terminate(request: HttpRequest, attempt_id: uuid.UUID,
                      payload: ReasonIn) -> dict[str, Any]:
    return _state_out(services.attempt_terminate(actor=_proctor(request),
                                                 attempt_id=attempt_id, reason=payload.reason))


@router.post("/console/attempts/{attempt_id}/reentry", response={200: AttemptStateOut, **ERRORS},
             auth=django_auth)
def console_reentry(request: HttpRequest, attempt_id: uuid.UUID,
                    payload: ReasonIn) -> dict[str, Any]:
    return _state_out(services.reentry_allow(actor=_proctor(request), attempt_id=attempt_id,
                                             reason=payload.reason))


@router.post("/console/flags/{flag_id}", response={200: FlagOut, **ERRORS}, auth=django_auth)
def console_flag(request: HttpRequest, flag_id: uuid.UUID, payload: FlagIn) -> Any:
    return services.flag_resolve(actor=_proctor(request), flag_id=flag_id,
                                 confirm=payload.decision == "confirm", note=payload.note)


# --- the candidate's side ------------------------------------------------------------


@router.get("/attempts/{attempt_id}/messages", response={200: list[MessageOut], **ERRORS},
            auth=attempt_auth)
def candidate_thread(request: HttpRequest, attempt_id: uuid.UUID) -> list[Message]:
    """The candidate's conversation with the proctors, oldest first (the page shows
    unacknowledged proctor messages as a modal)."""
    return list(own_attempt(request, attempt_id).messages.all())


@router.post("/attempts/{attempt_id}/messages", response={201: MessageOut, **ERRORS},
             auth=attempt_auth)
def candidate_raise_hand(request: HttpRequest, attempt_id: uuid.UUID,
                         payload: MessageIn) -> Status:
    """Raise a hand: a message to the room's proctors."""
    attempt = own_attempt(request, attempt_id)
    return Status(201, services.candidate_message(attempt=attempt, body=payload.body))


@router.post("/attempts/{attempt_id}/messages/{message_id}/ack",
             response={200: MessageOut, **ERRORS}, auth=attempt_auth)
def candidate_acknowledge(request: HttpRequest, attempt_id: uuid.UUID,
                          message_id: uuid.UUID) -> Message:
    return services.message_acknowledge(attempt=own_attempt(request, attempt_id),
                                        message_id=message_id)
