"""Websockets the candidate's pages listen on (pushed, never trusted for writes).

- ``/ws/attempts/``: the PC's pages (check list, pairing page, exam page). Events of
  the attempt: ``phone.pairing`` (the phone connected, passed its checks, confirmed,
  ended) and ``attempt.state``.
- ``/ws/phone/``: the paired phone. ``phone.ended`` (another phone took over, the PC
  unpaired it; then the socket closes with 4410) and ``attempt.state``.

Credentials travel in the first message, ``{"type": "auth", "token"|"credential": …}``,
not in the URL (which ends up in proxy logs). The server answers ``{"type": "ready"}``
or closes with 4401. Clients reconnect on their own; the pages re-read the state over
HTTP after a reconnect, so an event missed while away costs nothing.
"""

from __future__ import annotations

import asyncio
import contextlib
from typing import Any

from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncJsonWebsocketConsumer

from examhall.core.errors import ApplicationError
from examhall.delivery import tokens
from examhall.delivery.models import Attempt
from examhall.lockdown import gate as client_gate
from examhall.proctoring import phone_tokens
from examhall.proctoring.services import pairing as pairing_services

AUTH_TIMEOUT_SECONDS = 10
CLOSE_UNAUTHENTICATED = 4401
CLOSE_ENDED = 4410
CLOSE_CLIENT_REQUIRED = 4403


class _AuthenticatedConsumer(AsyncJsonWebsocketConsumer):
    """Accepts, waits for the auth message, then joins ``self.groups_joined``."""

    groups_joined: list[str]

    async def connect(self) -> None:
        self.groups_joined = []
        await self.accept()
        self._auth_timer = asyncio.get_running_loop().call_later(
            AUTH_TIMEOUT_SECONDS, lambda: asyncio.ensure_future(
                self.close(code=CLOSE_UNAUTHENTICATED)))

    async def disconnect(self, code: int) -> None:
        self._auth_timer.cancel()
        for group in self.groups_joined:
            await self.channel_layer.group_discard(group, self.channel_name)

    async def receive_json(self, content: Any, **kwargs: Any) -> None:
        if self.groups_joined:
            if isinstance(content, dict) and content.get("type") == "ping":
                await self.send_json({"type": "pong"})
            return
        if not isinstance(content, dict) or content.get("type") != "auth":
            await self.close(code=CLOSE_UNAUTHENTICATED)
            return
        self._auth_timer.cancel()
        groups = await self.authenticate(content)
        if not groups:
            return
        for group in groups:
            await self.channel_layer.group_add(group, self.channel_name)
        self.groups_joined = groups
        await self.send_json({"type": "ready"})

    async def authenticate(self, content: dict[str, Any]) -> list[str]:
        raise NotImplementedError

    async def examhall_event(self, event: dict[str, Any]) -> None:
        payload = {key: value for key, value in event.items() if key != "type"}
        await self.send_json({"type": "event", **payload})


def _attempt_exists(credential: tokens.AttemptCredential) -> bool:
    # Not for a browser replaced by a re-entry the proctor allowed.
    return Attempt.objects.filter(pk=credential.attempt_id,
                                  registration_id=credential.registration_id,
                                  signin_generation=credential.generation).exists()


class AttemptConsumer(_AuthenticatedConsumer):
    async def authenticate(self, content: dict[str, Any]) -> list[str]:
        credential = tokens.verify(str(content.get("token") or ""))
        if credential is None or not await database_sync_to_async(_attempt_exists)(credential):
            await self.close(code=CLOSE_UNAUTHENTICATED)
            return []
        # The exam requires the exam client and the handshake was not signed (ADR 0012).
        if await database_sync_to_async(client_gate.websocket_refused)(
                self.scope, credential.attempt_id):
            await self.close(code=CLOSE_CLIENT_REQUIRED)
            return []
        return [pairing_services.attempt_group(credential.attempt_id)]


def _phone_active(credential: phone_tokens.PhoneCredential) -> str:
    """"" when the pairing is active, else the error code."""
    try:
        pairing_services.phone_pairing_active(credential)
    except ApplicationError as error:
        return error.code
    return ""


class PhoneConsumer(_AuthenticatedConsumer):
    async def examhall_event(self, event: dict[str, Any]) -> None:
        await super().examhall_event(event)
        if event.get("kind") == "phone.ended":
            await self.close(code=CLOSE_ENDED)

    async def authenticate(self, content: dict[str, Any]) -> list[str]:
        credential = phone_tokens.verify(str(content.get("credential") or ""))
        if credential is None:
            await self.close(code=CLOSE_UNAUTHENTICATED)
            return []
        problem = await database_sync_to_async(_phone_active)(credential)
        if problem:
            with contextlib.suppress(Exception):
                await self.send_json({"type": "error", "code": problem})
            await self.close(code=CLOSE_ENDED if problem == "pairing_ended"
                             else CLOSE_UNAUTHENTICATED)
            return []
        return [pairing_services.pairing_group(credential.pairing_id),
                pairing_services.attempt_group(credential.attempt_id)]
