"""On the service profile (`make test-services`: PostgreSQL + Redis), the console works
across processes: a proctor's websocket held by one uvicorn process hears what a
candidate does through another (the Redis pub/sub channel layer carries the event)."""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

import httpx
import pytest
from django.conf import settings
from django.middleware.csrf import _get_new_csrf_string
from django.test import Client
from websockets.sync.client import ClientConnection, connect

from examhall.console.tests.staff import room_of_candidates, staff_user
from examhall.identity.tests.frames import frame
from tests.servers import ROOT, uvicorn_server

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(
        not settings.CHANNEL_LAYERS["default"]["BACKEND"].startswith("channels_redis"),
        reason="no Redis: one process, in-memory channel layer"),
]

LOGS = Path(ROOT, "var", "test-logs")


def _session_cookie(user: Any) -> str:
    client = Client()
    client.force_login(user)
    return f"{settings.SESSION_COOKIE_NAME}={client.cookies[settings.SESSION_COOKIE_NAME].value}"


def _next_event(socket: ClientConnection, kind: str, *, within: float = 15) -> dict[str, Any]:
    deadline = time.monotonic() + within
    while True:
        message = json.loads(socket.recv(timeout=max(0.1, deadline - time.monotonic())))
        if message.get("type") == "event" and message.get("kind") == kind:
            return message


def test_an_event_raised_through_one_process_reaches_a_proctor_on_the_other() -> None:
    _exam, room, [candidate] = room_of_candidates(candidates=1)
    proctor = staff_user("proctor_two_processes", rooms=(room,))
    cookie = _session_cookie(proctor)
    with uvicorn_server(LOGS / "console-process-1.log") as first, \
            uvicorn_server(LOGS / "console-process-2.log") as second:
        socket_url = first.replace("http://", "ws://") + "/ws/console/"
        with connect(socket_url, additional_headers={"Cookie": cookie, "Origin": first},
                     open_timeout=10) as socket:
            socket.send(json.dumps({"type": "subscribe", "room": str(room.pk)}))
            assert json.loads(socket.recv(timeout=10)) == {"type": "subscribed",
                                                           "room": str(room.pk)}
            auth = {"Authorization": f"Bearer {candidate.token}"}

            hand = httpx.post(f"{second}/api/attempts/{candidate.attempt_id}/messages",
                              json={"body": "My camera light is off"}, headers=auth,
                              timeout=10)
            assert hand.status_code == 201, hand.text
            event = _next_event(socket, "console.message")
            assert (event["attempt"], event["body"]) == (candidate.attempt_id,
                                                         "My camera light is off")

            sent_at = time.monotonic()
            shot = httpx.post(f"{second}/api/attempts/{candidate.attempt_id}/snapshots",
                              files={"image": ("s.jpg", frame("obama"), "image/jpeg")},
                              data={"camera": "pc", "reason": "interval"}, headers=auth,
                              timeout=10)
            assert shot.status_code == 202, shot.text
            event = _next_event(socket, "snapshot.new")
            assert event["snapshot"] == shot.json()["snapshot_id"]
            assert time.monotonic() - sent_at < 5

            # A proctor's action through the other process (session + CSRF) too.
            csrf = _get_new_csrf_string()
            paused = httpx.post(
                f"{second}/api/console/attempts/{candidate.attempt_id}/pause",
                json={"reason": "checking the desk"}, timeout=10,
                headers={"Cookie": f"{cookie}; csrftoken={csrf}", "X-CSRFToken": csrf})
            assert paused.status_code == 200, paused.text
            event = _next_event(socket, "attempt.state")
            assert (event["attempt"], event["state"]) == (candidate.attempt_id, "paused")
