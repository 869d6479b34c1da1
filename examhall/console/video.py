"""Live video on demand: WebRTC signalling between a proctor's viewer and a candidate's
camera (ADR 0010).

The video itself flows browser to browser (or through a TURN server); the server only
relays the offer, the answer and the ICE candidates, and decides who may talk to whom.

Two websockets:

- ``/ws/video/watch/`` — the proctor's viewer page. Authenticated by the staff session
  cookie (wrapped in ``AuthMiddlewareStack`` and an origin check, like ``/ws/console/``).
  The server greets with ``{"type": "ready", "ice_servers": […]}``. The page sends
  ``{"type": "watch", "attempt": "<uuid>", "camera": "pc"|"phone"}``; the server checks
  the attempt's room is one the user may watch, audits the opening
  (``services.live_video_opened``, once per camera and socket), names a new video
  session and asks the candidate's camera for it (``video.request`` to the camera's
  group); the page is told ``{"type": "watching", "session": …}``. Then ``{"type":
  "signal", "session", "data"}`` both ways (``data``: ``{"sdp": …}`` or
  ``{"candidate": …}``), and ``{"type": "stop", "session"}`` / ``{"type": "bye",
  "session", "reason"}`` to end it.
- ``/ws/video/send/`` — the candidate's side: the PC exam page (camera ``pc``, the
  attempt token) or the paired phone (camera ``phone``, the phone credential), in the
  first message: ``{"type": "auth", "token"|"credential": …}`` → ``{"type": "ready",
  "camera": …}`` or closed with 4401 (4410: the phone's pairing ended). It joins the
  group of its own attempt's camera and only hears requests for it: ``{"type":
  "request", "session", "ice_servers"}``. It answers with ``signal`` messages (the
  candidate side makes the offer) and ``bye``; a session it was not asked for is
  refused (``{"type": "error", "code": "session_not_found"}``).

Routing: a request carries the viewer's channel name; from then on both consumers send
to each other's channel directly (works across processes on the Redis layer). The first
candidate socket that answers a session is bound to it; another one (a second tab)
is told ``bye``. Neither browser ever names a channel: the server does.

Several proctors may watch one camera: each has their own session and peer connection
(the candidate's upload grows with each one; see ADR 0010 for the limit).
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import hashlib
import hmac
import json
import secrets
import time
import uuid
from dataclasses import dataclass
from typing import Any

from channels.auth import AuthMiddlewareStack
from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncJsonWebsocketConsumer
from channels.security.websocket import AllowedHostsOriginValidator
from django.conf import settings
from django.urls import path

from examhall.console import services
from examhall.console.selectors import may_use_console
from examhall.core.errors import ApplicationError
from examhall.delivery import tokens
from examhall.delivery.models import Attempt
from examhall.proctoring import phone_tokens
from examhall.proctoring.services import pairing as pairing_services

CAMERAS = ("pc", "phone")
CLOSE_UNAUTHENTICATED = 4401
CLOSE_FORBIDDEN = 4403
CLOSE_ENDED = 4410
AUTH_TIMEOUT_SECONDS = 10
MAX_SESSIONS_PER_VIEWER = 4  # a viewer page shows one; a few more for overlap on retries
MAX_SESSIONS_PER_SENDER = 16  # proctors watching one camera at once
MAX_SIGNAL_BYTES = 32_000  # an SDP offer is a few kilobytes


# --- ICE servers ---------------------------------------------------------------------


def turn_credentials(*, secret: str, user: str, ttl_seconds: int, now: float | None = None
                     ) -> tuple[str, str]:
    """coturn's "TURN REST API" credentials (``use-auth-secret``): the user name is the
    expiry time and a label, the password an HMAC-SHA1 of it under the shared secret."""
    expires = int((now if now is not None else time.time()) + ttl_seconds)
    username = f"{expires}:{user}"
    digest = hmac.new(secret.encode(), username.encode(), hashlib.sha1).digest()
    return username, base64.b64encode(digest).decode()


def _is_turn(server: dict[str, Any]) -> bool:
    urls = server.get("urls")
    urls = [urls] if isinstance(urls, str) else list(urls or [])
    return any(str(url).startswith(("turn:", "turns:")) for url in urls)


def ice_servers(*, label: str) -> list[dict[str, Any]]:
    """The RTCIceServer list both browsers of a session use. TURN servers without their
    own credentials get short-lived ones when ``WEBRTC_TURN_SECRET`` is set."""
    secret = settings.EXAMHALL_WEBRTC_TURN_SECRET
    servers = []
    for configured in settings.EXAMHALL_WEBRTC_ICE_SERVERS:
        server = dict(configured)
        if secret and _is_turn(server) and not server.get("username"):
            server["username"], server["credential"] = turn_credentials(
                secret=secret, user=label, ttl_seconds=settings.EXAMHALL_WEBRTC_TURN_TTL_SECONDS)
        servers.append(server)
    return servers


# --- groups and messages ----------------------------------------------------------------


def sender_group(attempt_id: uuid.UUID | str, camera: str) -> str:
    """The candidate-side sockets of one attempt's camera."""
    return f"video.sender.{attempt_id}.{camera}"


def _signal_data(content: dict[str, Any]) -> dict[str, Any] | None:
    """The ``data`` of a signal if it is an SDP or an ICE candidate of a sane size."""
    data = content.get("data")
    if not isinstance(data, dict) or not ({"sdp", "candidate"} & data.keys()):
        return None
    if len(json.dumps(data)) > MAX_SIGNAL_BYTES:
        return None
    return data


# --- the proctor's viewer ----------------------------------------------------------------


@dataclass
class _Watched:
    attempt: str
    camera: str
    peer: str | None = None  # the candidate socket's channel, once it answered


def _open_live_video(user: Any, attempt_id: uuid.UUID, camera: str, audit: bool) -> str:
    """"" if the user may watch this attempt (audited when ``audit``), else the code."""
    try:
        if audit:
            services.live_video_opened(actor=user, attempt_id=attempt_id, camera=camera)
        else:
            services.proctor_attempt(actor=user, attempt_id=attempt_id)
    except ApplicationError as error:
        return error.code
    return ""


class VideoViewerConsumer(AsyncJsonWebsocketConsumer):
    async def connect(self) -> None:
        self.sessions: dict[str, _Watched] = {}
        self.audited: set[tuple[str, str]] = set()
        user = self.scope.get("user")
        if user is None or not await database_sync_to_async(may_use_console)(user):
            await self.close(code=CLOSE_FORBIDDEN)
            return
        await self.accept()
        await self.send_json({"type": "ready",
                              "ice_servers": ice_servers(label=user.get_username())})

    async def disconnect(self, code: int) -> None:
        for session in list(getattr(self, "sessions", {})):
            await self._end(session, reason="viewer_left")

    async def receive_json(self, content: Any, **kwargs: Any) -> None:
        if not isinstance(content, dict):
            return
        kind = content.get("type")
        session = str(content.get("session") or "")
        if kind == "ping":
            await self.send_json({"type": "pong"})
        elif kind == "watch":
            await self._watch(str(content.get("attempt") or ""), str(content.get("camera") or ""))
        elif kind == "signal":
            await self._signal(session, content)
        elif kind == "stop" and session in self.sessions:
            await self._end(session, reason="stopped")

    async def _watch(self, attempt: str, camera: str) -> None:
        try:
            attempt_id = uuid.UUID(attempt)
        except ValueError:
            attempt_id = None
        if attempt_id is None or camera not in CAMERAS:
            await self.send_json({"type": "error", "code": "invalid_input"})
            return
        if len(self.sessions) >= MAX_SESSIONS_PER_VIEWER:
            await self.send_json({"type": "error", "code": "too_many_sessions"})
            return
        key = (str(attempt_id), camera)
        problem = await database_sync_to_async(_open_live_video)(
            self.scope["user"], attempt_id, camera, key not in self.audited)
        if problem:
            await self.send_json({"type": "error", "code": problem, "attempt": attempt})
            return
        self.audited.add(key)
        session = secrets.token_urlsafe(16)
        self.sessions[session] = _Watched(attempt=str(attempt_id), camera=camera)
        await self.send_json({"type": "watching", "session": session,
                              "attempt": str(attempt_id), "camera": camera})
        await self.channel_layer.group_send(sender_group(attempt_id, camera), {
            "type": "video.request", "session": session, "viewer": self.channel_name,
            "ice_servers": ice_servers(label=f"attempt-{attempt_id.hex[:12]}")})

    async def _signal(self, session: str, content: dict[str, Any]) -> None:
        watched = self.sessions.get(session)
        data = _signal_data(content)
        if watched is None or watched.peer is None or data is None:
            await self.send_json({"type": "error", "code": "session_not_found",
                                  "session": session})
            return
        await self.channel_layer.send(watched.peer, {
            "type": "video.signal", "session": session, "sender": self.channel_name,
            "data": data})

    async def _end(self, session: str, *, reason: str) -> None:
        watched = self.sessions.pop(session, None)
        if watched is None:
            return
        bye = {"type": "video.bye", "session": session, "sender": self.channel_name,
               "reason": reason}
        if watched.peer is not None:
            await self.channel_layer.send(watched.peer, bye)
        else:  # not answered yet: every socket that was asked forgets it
            await self.channel_layer.group_send(
                sender_group(watched.attempt, watched.camera), bye)

    # From the candidate's socket (through the channel layer).

    async def video_signal(self, event: dict[str, Any]) -> None:
        session, sender = event["session"], event["sender"]
        watched = self.sessions.get(session)
        if watched is None or (watched.peer is not None and watched.peer != sender):
            # Stopped meanwhile, or a second socket of the same camera: it hangs up.
            await self.channel_layer.send(sender, {
                "type": "video.bye", "session": session, "sender": self.channel_name,
                "reason": "not_wanted"})
            return
        watched.peer = sender
        await self.send_json({"type": "signal", "session": session, "data": event["data"]})

    async def video_bye(self, event: dict[str, Any]) -> None:
        session = event["session"]
        watched = self.sessions.get(session)
        if watched is None or watched.peer not in (None, event["sender"]):
            return
        del self.sessions[session]
        await self.send_json({"type": "bye", "session": session,
                              "reason": str(event.get("reason") or "")})


# --- the candidate's camera --------------------------------------------------------------


def _attempt_exists(credential: tokens.AttemptCredential) -> bool:
    # Not for a browser replaced by a re-entry the proctor allowed.
    return Attempt.objects.filter(pk=credential.attempt_id,
                                  registration_id=credential.registration_id,
                                  signin_generation=credential.generation).exists()


def _phone_problem(credential: phone_tokens.PhoneCredential) -> str:
    try:
        pairing_services.phone_pairing_active(credential)
    except ApplicationError as error:
        return error.code
    return ""


class VideoSenderConsumer(AsyncJsonWebsocketConsumer):
    async def connect(self) -> None:
        self.groups_joined: list[str] = []
        self.camera = ""
        self.sessions: dict[str, str] = {}  # session → the viewer's channel
        await self.accept()
        self._auth_timer = asyncio.get_running_loop().call_later(
            AUTH_TIMEOUT_SECONDS, lambda: asyncio.ensure_future(
                self.close(code=CLOSE_UNAUTHENTICATED)))

    async def disconnect(self, code: int) -> None:
        self._auth_timer.cancel()
        for session in list(self.sessions):
            await self._hang_up(session, reason="camera_left")
        for group in self.groups_joined:
            await self.channel_layer.group_discard(group, self.channel_name)

    async def receive_json(self, content: Any, **kwargs: Any) -> None:
        if not isinstance(content, dict):
            return
        kind = content.get("type")
        if not self.groups_joined:
            if kind != "auth":
                await self.close(code=CLOSE_UNAUTHENTICATED)
                return
            self._auth_timer.cancel()
            await self._authenticate(content)
            return
        session = str(content.get("session") or "")
        if kind == "ping":
            await self.send_json({"type": "pong"})
        elif kind in ("signal", "bye") and session not in self.sessions:
            await self.send_json({"type": "error", "code": "session_not_found",
                                  "session": session})
        elif kind == "signal":
            data = _signal_data(content)
            if data is None:
                await self.send_json({"type": "error", "code": "invalid_input",
                                      "session": session})
                return
            await self.channel_layer.send(self.sessions[session], {
                "type": "video.signal", "session": session, "sender": self.channel_name,
                "data": data})
        elif kind == "bye":
            await self._hang_up(session, reason=str(content.get("reason") or "")[:40])

    async def _authenticate(self, content: dict[str, Any]) -> None:
        groups: list[str] = []
        if content.get("token"):
            credential = tokens.verify(str(content["token"]))
            if credential and await database_sync_to_async(_attempt_exists)(credential):
                self.camera = "pc"
                groups = [sender_group(credential.attempt_id, "pc")]
        elif content.get("credential"):
            phone = phone_tokens.verify(str(content["credential"]))
            if phone is not None:
                problem = await database_sync_to_async(_phone_problem)(phone)
                if problem:
                    with contextlib.suppress(Exception):
                        await self.send_json({"type": "error", "code": problem})
                    await self.close(code=CLOSE_ENDED if problem == "pairing_ended"
                                     else CLOSE_UNAUTHENTICATED)
                    return
                self.camera = "phone"
                # The pairing's group too: a replaced phone hears "phone.ended".
                groups = [sender_group(phone.attempt_id, "phone"),
                          pairing_services.pairing_group(phone.pairing_id)]
        if not groups:
            await self.close(code=CLOSE_UNAUTHENTICATED)
            return
        for group in groups:
            await self.channel_layer.group_add(group, self.channel_name)
        self.groups_joined = groups
        await self.send_json({"type": "ready", "camera": self.camera})

    async def _hang_up(self, session: str, *, reason: str) -> None:
        viewer = self.sessions.pop(session, None)
        if viewer is not None:
            await self.channel_layer.send(viewer, {
                "type": "video.bye", "session": session, "sender": self.channel_name,
                "reason": reason})

    # From the server (the viewer's request) and the viewer's socket.

    async def video_request(self, event: dict[str, Any]) -> None:
        if len(self.sessions) >= MAX_SESSIONS_PER_SENDER:
            oldest = next(iter(self.sessions))  # one that was never ended, most likely
            await self._hang_up(oldest, reason="too_many_viewers")
            await self.send_json({"type": "bye", "session": oldest,
                                  "reason": "too_many_viewers"})
        self.sessions[event["session"]] = event["viewer"]
        await self.send_json({"type": "request", "session": event["session"],
                              "camera": self.camera, "ice_servers": event["ice_servers"]})

    async def video_signal(self, event: dict[str, Any]) -> None:
        session = event["session"]
        if self.sessions.get(session) == event["sender"]:
            await self.send_json({"type": "signal", "session": session, "data": event["data"]})

    async def video_bye(self, event: dict[str, Any]) -> None:
        session = event["session"]
        if self.sessions.get(session) == event["sender"]:
            del self.sessions[session]
            await self.send_json({"type": "bye", "session": session,
                                  "reason": str(event.get("reason") or "")})

    async def examhall_event(self, event: dict[str, Any]) -> None:
        """Events of the phone's pairing: a replaced or unpaired phone stops here."""
        if event.get("kind") == "phone.ended":
            await self.close(code=CLOSE_ENDED)


websocket_urlpatterns: list = [
    path("ws/video/watch/", AllowedHostsOriginValidator(
        AuthMiddlewareStack(VideoViewerConsumer.as_asgi()))),
    path("ws/video/send/", VideoSenderConsumer.as_asgi()),
]
