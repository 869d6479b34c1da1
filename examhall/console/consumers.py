"""The proctor console's websocket, ``/ws/console/``: live events of the rooms the
proctor watches.

Authenticated by the staff session cookie (the route is wrapped in Channels'
``AuthMiddlewareStack`` and an origin check, against cross-site websocket hijacking).
The client sends ``{"type": "subscribe", "room": "<id>"}`` for each room it shows;
the server checks the room is one the user may watch (``rooms_visible_to``), joins its
group and answers ``{"type": "subscribed", "room": …}``; a room it may not watch is
answered ``{"type": "error", "code": "room_not_found"}``. Events arrive as
``{"type": "event", "kind": …}`` (``attempt.state``, ``snapshot.new``,
``proctoring.flag``, ``console.message`` …). After a reconnect the page re-reads the
room over HTTP (``GET /api/console/rooms/<id>``) so nothing missed is lost.

Access is checked again while the socket is open, not only at subscribe: at once when
a room's proctors change (``console.access``, sent by ``console.receivers``), and
before forwarding an event when the last check is older than ``RECHECK_SECONDS``
(a deactivated user, a permission taken away, a session logged out). A room no longer
visible is left and answered ``room_not_found``; a user who may no longer use the
console is closed with 4403.
"""

from __future__ import annotations

import json
import time
import uuid
from typing import Any

from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncJsonWebsocketConsumer
from django.contrib.auth import get_user_model
from django.contrib.sessions.backends.base import SessionBase

from examhall.console.selectors import may_use_console
from examhall.exams import selectors as exam_selectors

CLOSE_FORBIDDEN = 4403
MAX_ROOMS_PER_SOCKET = 20
RECHECK_SECONDS = 60
ACCESS_CHANGED = "console.access"


def _room_visible(user: Any, room_id: uuid.UUID) -> bool:
    return exam_selectors.rooms_visible_to(user).filter(pk=room_id).exists()


def _rooms_still_visible(user_id: Any, session: SessionBase | None,
                         rooms: set[str]) -> set[str] | None:
    """Of ``rooms``, those the user may still watch, read afresh (user, permissions and
    session); None if the user may no longer use the console at all."""
    if session is not None and session.session_key and not session.exists(
            session.session_key):
        return None  # logged out (the session is gone)
    user = get_user_model().objects.filter(pk=user_id).first()
    if user is None or not may_use_console(user):
        return None
    if not rooms:
        return set()
    return {str(pk) for pk in exam_selectors.rooms_visible_to(user)
            .filter(pk__in=rooms).values_list("pk", flat=True)}


def room_group(room_id: uuid.UUID | str) -> str:
    return f"room.{room_id}"


class ConsoleConsumer(AsyncJsonWebsocketConsumer):
    async def connect(self) -> None:
        self.rooms: set[str] = set()
        self.checked_at = time.monotonic()
        self.closed = False
        user = self.scope.get("user")
        if user is None or not await database_sync_to_async(may_use_console)(user):
            await self.close(code=CLOSE_FORBIDDEN)
            return
        await self.accept()

    async def disconnect(self, code: int) -> None:
        for room in getattr(self, "rooms", set()):
            await self.channel_layer.group_discard(room_group(room), self.channel_name)

    async def receive(self, text_data: str | None = None, bytes_data: bytes | None = None,
                      **kwargs: Any) -> None:
        """Frames that are not JSON text are ignored (the socket stays open)."""
        if text_data is None:
            return
        try:
            content = json.loads(text_data)
        except ValueError:
            return
        await self.receive_json(content, **kwargs)

    async def receive_json(self, content: Any, **kwargs: Any) -> None:
        if not isinstance(content, dict):
            return
        kind = content.get("type")
        if kind == "ping":
            await self.send_json({"type": "pong"})
        elif kind == "subscribe":
            await self._subscribe(str(content.get("room") or ""))
        elif kind == "unsubscribe":
            room = str(content.get("room") or "")
            if room in self.rooms:
                self.rooms.discard(room)
                await self.channel_layer.group_discard(room_group(room), self.channel_name)

    async def _subscribe(self, room: str) -> None:
        try:
            room_id = uuid.UUID(room)
        except ValueError:
            room_id = None
        if (room_id is None or len(self.rooms) >= MAX_ROOMS_PER_SOCKET
                or not await database_sync_to_async(_room_visible)(self.scope["user"], room_id)):
            await self.send_json({"type": "error", "code": "room_not_found", "room": room})
            return
        self.rooms.add(str(room_id))
        await self.channel_layer.group_add(room_group(room_id), self.channel_name)
        await self.send_json({"type": "subscribed", "room": str(room_id)})

    async def examhall_event(self, event: dict[str, Any]) -> None:
        if event.get("kind") == ACCESS_CHANGED:
            await self._recheck()
            return
        if time.monotonic() - self.checked_at > RECHECK_SECONDS:
            await self._recheck()
        if self.closed or not self.rooms:
            return  # refused at the re-check, or every room just left
        payload = {key: value for key, value in event.items() if key != "type"}
        await self.send_json({"type": "event", **payload})

    async def _recheck(self) -> None:
        if self.closed:
            return
        self.checked_at = time.monotonic()
        visible = await database_sync_to_async(_rooms_still_visible)(
            self.scope["user"].pk, self.scope.get("session"), set(self.rooms))
        if visible is None:
            self.closed = True
            await self.close(code=CLOSE_FORBIDDEN)
            return
        for room in self.rooms - visible:
            self.rooms.discard(room)
            await self.channel_layer.group_discard(room_group(room), self.channel_name)
            await self.send_json({"type": "error", "code": "room_not_found", "room": room})
