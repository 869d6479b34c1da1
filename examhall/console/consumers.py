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
"""

from __future__ import annotations

import json
import uuid
from typing import Any

from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncJsonWebsocketConsumer

from examhall.console.selectors import may_use_console
from examhall.exams import selectors as exam_selectors

CLOSE_FORBIDDEN = 4403
MAX_ROOMS_PER_SOCKET = 20


def _room_visible(user: Any, room_id: uuid.UUID) -> bool:
    return exam_selectors.rooms_visible_to(user).filter(pk=room_id).exists()


def room_group(room_id: uuid.UUID | str) -> str:
    return f"room.{room_id}"


class ConsoleConsumer(AsyncJsonWebsocketConsumer):
    async def connect(self) -> None:
        self.rooms: set[str] = set()
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
        payload = {key: value for key, value in event.items() if key != "type"}
        await self.send_json({"type": "event", **payload})
