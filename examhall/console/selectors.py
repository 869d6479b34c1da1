"""What the proctor console shows: who may use it, the rooms, and a room's tiles."""

from __future__ import annotations

import dataclasses
import datetime as dt
import uuid
from collections import defaultdict
from typing import Any

from django.db.models import Count, OuterRef, Q, QuerySet, Subquery

from examhall.candidates.models import Registration
from examhall.console.models import Message
from examhall.core import clock
from examhall.delivery.models import Attempt, AttemptState
from examhall.exams import selectors as exam_selectors
from examhall.exams.models import Room
from examhall.proctoring import selectors as proctoring_selectors
from examhall.proctoring.models import Camera, CameraPresence, Flag, Snapshot
from examhall.proctoring.taxonomy import flag_label

CONSOLE_PERMISSION = "console.proctor_rooms"
SEVERITY_RANK = {Flag.Severity.HIGH: 3, Flag.Severity.MEDIUM: 2, Flag.Severity.LOW: 1}


def may_use_console(user: Any) -> bool:
    """Whoever holds the console permission: proctors (their rooms) and the exam office
    (with ``exams.oversee_all_rooms``: every room). Seeing every room is not enough on its
    own: a reviewer oversees all rooms after the exam but does not act in one."""
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return False
    return user.has_perm(CONSOLE_PERMISSION)


def rooms_for_console(user: Any) -> QuerySet[Room]:
    """The rooms the user may watch, with their session and exam, newest session first."""
    return (exam_selectors.rooms_visible_to(user)
            .select_related("session__exam")
            .annotate(candidates=Count("registrations"))
            .order_by("-session__opens_at", "name"))


@dataclasses.dataclass(frozen=True)
class CameraTile:
    last_seen_at: dt.datetime | None
    snapshot_id: uuid.UUID | None
    snapshot_at: dt.datetime | None


@dataclasses.dataclass(frozen=True)
class Tile:
    registration_id: uuid.UUID
    attempt_id: uuid.UUID | None
    candidate: str
    ticket_number: str
    state: str
    deadline: dt.datetime | None
    paused_at: dt.datetime | None
    pc: CameraTile
    phone: CameraTile
    flags: dict[str, int]
    top_flag: str
    unread_messages: int
    unacknowledged: int
    reentry_requested: bool

    @property
    def severity_rank(self) -> int:
        return max((SEVERITY_RANK[s] for s, n in self.flags.items() if n), default=0)


@dataclasses.dataclass(frozen=True)
class RoomOverview:
    room: Room
    server_now: dt.datetime
    grace_seconds: int
    tiles: list[Tile]


_NO_CAMERA = CameraTile(last_seen_at=None, snapshot_id=None, snapshot_at=None)


def room_overview(*, room: Room) -> RoomOverview:
    """Every candidate of the room as a tile: state, time, both cameras' last
    picture and last-seen time, open flags by severity, messages waiting.
    A fixed number of queries whatever the room's size."""
    registrations = list(
        Registration.objects.filter(room=room)
        .select_related("candidate", "attempt")
        .order_by("ticket_number"))
    attempt_ids = [r.attempt.pk for r in registrations if _attempt_of(r) is not None]
    latest = Snapshot.objects.filter(attempt_id=OuterRef("attempt_id"),
                                     camera=OuterRef("camera")).order_by("-taken_at")
    cameras: dict[tuple[uuid.UUID, str], CameraTile] = {}
    for presence in (CameraPresence.objects.filter(attempt_id__in=attempt_ids)
                     .annotate(snapshot_id=Subquery(latest.values("pk")[:1]))):
        cameras[(presence.attempt_id, presence.camera)] = CameraTile(
            last_seen_at=presence.last_seen_at, snapshot_id=presence.snapshot_id,
            snapshot_at=presence.last_snapshot_at)
    flag_counts: dict[uuid.UUID, dict[str, int]] = defaultdict(
        lambda: {"high": 0, "medium": 0, "low": 0})
    top: dict[uuid.UUID, tuple[int, dt.datetime, str]] = {}
    for flag in (Flag.objects.filter(attempt_id__in=attempt_ids, status=Flag.Status.OPEN)
                 .only("attempt_id", "severity", "type", "last_at")):
        flag_counts[flag.attempt_id][flag.severity] += 1
        key = (SEVERITY_RANK[flag.severity], flag.last_at, flag.type)
        if flag.attempt_id not in top or key > top[flag.attempt_id]:
            top[flag.attempt_id] = key
    messages = dict.fromkeys(attempt_ids, (0, 0))
    for row in (Message.objects.filter(attempt_id__in=attempt_ids)
                .values("attempt_id")
                .annotate(unread=Count("pk", filter=Q(sender=Message.Sender.CANDIDATE,
                                                      read_by_proctor_at__isnull=True)),
                          unacknowledged=Count("pk", filter=Q(sender=Message.Sender.PROCTOR,
                                                              acknowledged_at__isnull=True)))):
        messages[row["attempt_id"]] = (row["unread"], row["unacknowledged"])
    tiles = []
    for registration in registrations:
        attempt = _attempt_of(registration)
        attempt_id = attempt.pk if attempt else None
        unread, unacknowledged = messages.get(attempt_id, (0, 0)) if attempt_id else (0, 0)
        tiles.append(Tile(
            registration_id=registration.pk, attempt_id=attempt_id,
            candidate=registration.candidate.name, ticket_number=registration.ticket_number,
            state=attempt.state if attempt else AttemptState.REGISTERED,
            deadline=attempt.deadline if attempt else None,
            paused_at=attempt.paused_at if attempt else None,
            pc=cameras.get((attempt_id, Camera.PC), _NO_CAMERA),
            phone=cameras.get((attempt_id, Camera.PHONE), _NO_CAMERA),
            flags=dict(flag_counts[attempt_id]) if attempt_id else
            {"high": 0, "medium": 0, "low": 0},
            top_flag=flag_label(top[attempt_id][2]) if attempt_id in top else "",
            unread_messages=unread, unacknowledged=unacknowledged,
            reentry_requested=bool(attempt and attempt.reentry_requested_at
                                   and attempt.state in (AttemptState.IN_PROGRESS,
                                                         AttemptState.PAUSED)),
        ))
    grace = proctoring_selectors.thresholds_for(
        proctoring_selectors.policy_for(room.session.exam_id)).grace_seconds
    return RoomOverview(room=room, server_now=clock.now(), grace_seconds=grace, tiles=tiles)


def _attempt_of(registration: Registration) -> Attempt | None:
    try:
        return registration.attempt
    except Attempt.DoesNotExist:
        return None


def may_view_snapshots(user: Any) -> bool:
    """Console users, and admin users who may view snapshots (the admin's thumbnails);
    which snapshots is still scoped by room (``snapshot_for_staff``)."""
    return may_use_console(user) or user.has_perm("proctoring.view_snapshot")


def snapshot_for_staff(*, user: Any, snapshot_id: uuid.UUID) -> Snapshot | None:
    """A snapshot whose candidate sits in a room the user may watch (image not purged)."""
    return (Snapshot.objects.filter(
        pk=snapshot_id, purged_at__isnull=True,
        attempt__registration__room__in=exam_selectors.rooms_visible_to(user))
        .exclude(image="").first())
