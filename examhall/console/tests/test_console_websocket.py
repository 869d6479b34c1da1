"""The proctor console's websocket, ``/ws/console/``, through the real routing (session
cookie, origin check; in-memory layer): only console users connect, a proctor
subscribes only to their own rooms, and what happens in the room arrives live."""

from __future__ import annotations

import asyncio
import datetime as dt
from typing import Any

import pytest
from channels.db import database_sync_to_async
from channels.routing import URLRouter
from channels.testing import WebsocketCommunicator
from django.conf import settings
from django.test import Client

from config.routing import websocket_urlpatterns
from examhall.console.tests.staff import StaffClient, room_of_candidates, staff_user
from examhall.core import clock
from examhall.identity.tests.frames import frame
from examhall.proctoring import services as proctoring_services
from examhall.proctoring.tests.helpers import upload

pytestmark = pytest.mark.django_db(transaction=True)

application = URLRouter(websocket_urlpatterns)
ORIGIN = b"http://localhost"


class Rooms:
    def __init__(self) -> None:
        _exam, self.room, self.candidates = room_of_candidates(candidates=2)
        _exam, self.other_room, [self.stranger] = room_of_candidates(candidates=1)
        self.proctor = staff_user("proctor_a", rooms=(self.room,))
        self.other_proctor = staff_user("proctor_b", rooms=(self.other_room,))
        self.no_console = staff_user("clerk", permissions=())
        self.office = staff_user("office", superuser=True)


def _session_cookie(user: Any) -> bytes:
    client = Client()
    client.force_login(user)
    return f"{settings.SESSION_COOKIE_NAME}={client.cookies[settings.SESSION_COOKIE_NAME].value}"\
        .encode()


async def _open(user: Any | None, *, origin: bytes | None = ORIGIN
                ) -> tuple[WebsocketCommunicator, bool, Any]:
    headers = []
    if user is not None:
        headers.append((b"cookie", await database_sync_to_async(_session_cookie)(user)))
    if origin is not None:
        headers.append((b"origin", origin))
    socket = WebsocketCommunicator(application, "/ws/console/", headers=headers)
    connected, code = await socket.connect(timeout=5)
    return socket, connected, code


async def _subscribed(user: Any, room: Any) -> WebsocketCommunicator:
    socket, connected, _code = await _open(user)
    assert connected
    await socket.send_json_to({"type": "subscribe", "room": str(room.pk)})
    assert await socket.receive_json_from(timeout=5) == {"type": "subscribed",
                                                         "room": str(room.pk)}
    return socket


def _staff_get(user: Any, path: str) -> Any:
    return StaffClient(user).get(path)


async def _next_event(socket: WebsocketCommunicator, kind: str) -> dict[str, Any]:
    while True:
        message = await socket.receive_json_from(timeout=10)
        if message.get("type") == "event" and message.get("kind") == kind:
            return message


async def _rooms() -> Rooms:
    return await database_sync_to_async(Rooms)()


# --- who may connect -------------------------------------------------------------


async def test_nobody_signed_in_is_refused() -> None:
    _socket, connected, code = await _open(None)
    assert not connected and code == 4403


async def test_a_user_without_the_console_is_refused() -> None:
    rooms = await _rooms()
    _socket, connected, code = await _open(rooms.no_console)
    assert not connected and code == 4403


async def test_a_foreign_origin_is_refused_even_with_the_cookie() -> None:
    rooms = await _rooms()
    _socket, connected, _code = await _open(rooms.proctor, origin=b"https://evil.example")
    assert not connected
    _socket, connected, _code = await _open(rooms.proctor, origin=None)
    assert not connected


async def test_a_proctor_subscribes_to_their_room_only() -> None:
    rooms = await _rooms()
    socket = await _subscribed(rooms.proctor, rooms.room)
    for room in (str(rooms.other_room.pk), "not-a-room", ""):
        await socket.send_json_to({"type": "subscribe", "room": room})
        answer = await socket.receive_json_from(timeout=5)
        assert answer == {"type": "error", "code": "room_not_found", "room": room}
    await socket.send_json_to({"type": "ping"})
    assert await socket.receive_json_from(timeout=5) == {"type": "pong"}
    # Nothing of the other room reaches this socket.
    await database_sync_to_async(rooms.stranger.post)("/messages", {"body": "help"})
    assert await socket.receive_nothing(timeout=0.5)
    await socket.disconnect()


async def test_the_exam_office_subscribes_to_any_room() -> None:
    rooms = await _rooms()
    socket = await _subscribed(rooms.office, rooms.other_room)
    await database_sync_to_async(rooms.stranger.post)("/messages", {"body": "help"})
    event = await _next_event(socket, "console.message")
    assert event["attempt"] == rooms.stranger.attempt_id
    await socket.disconnect()


async def test_after_unsubscribing_the_room_is_silent() -> None:
    rooms = await _rooms()
    socket = await _subscribed(rooms.proctor, rooms.room)
    await socket.send_json_to({"type": "unsubscribe", "room": str(rooms.room.pk)})
    await asyncio.sleep(0.1)
    await database_sync_to_async(rooms.candidates[0].post)("/messages", {"body": "help"})
    assert await socket.receive_nothing(timeout=0.5)
    await socket.disconnect()


# --- access taken away while the socket is open -------------------------------------


def _remove_from_room(user: Any, room: Any) -> None:
    room.proctors.remove(user)


def _deactivate(user: Any) -> None:
    user.is_active = False
    user.save()


async def test_a_proctor_taken_off_the_room_stops_hearing_it_at_once() -> None:
    rooms = await _rooms()
    socket = await _subscribed(rooms.proctor, rooms.room)
    await database_sync_to_async(_remove_from_room)(rooms.proctor, rooms.room)
    assert await socket.receive_json_from(timeout=5) == {
        "type": "error", "code": "room_not_found", "room": str(rooms.room.pk)}
    await database_sync_to_async(rooms.candidates[0].post)("/messages", {"body": "help"})
    assert await socket.receive_nothing(timeout=0.5)
    await socket.disconnect()


async def test_taking_a_room_away_from_the_user_side_is_heard_too() -> None:
    rooms = await _rooms()
    socket = await _subscribed(rooms.proctor, rooms.room)
    await database_sync_to_async(rooms.proctor.proctored_rooms.clear)()
    assert (await socket.receive_json_from(timeout=5))["code"] == "room_not_found"
    await socket.disconnect()


async def test_a_deactivated_proctor_is_closed() -> None:
    rooms = await _rooms()
    socket = await _subscribed(rooms.proctor, rooms.room)
    await database_sync_to_async(_deactivate)(rooms.proctor)
    assert (await socket.receive_output(timeout=5))["type"] == "websocket.close"


async def test_other_proctors_of_the_room_keep_hearing_it() -> None:
    rooms = await _rooms()
    second = await database_sync_to_async(staff_user)("proctor_c", rooms=(rooms.room,))
    socket = await _subscribed(second, rooms.room)
    await database_sync_to_async(_remove_from_room)(rooms.proctor, rooms.room)
    await database_sync_to_async(rooms.candidates[0].post)("/messages", {"body": "help"})
    event = await _next_event(socket, "console.message")
    assert event["attempt"] == rooms.candidates[0].attempt_id
    await socket.disconnect()


async def test_a_permission_taken_away_is_found_at_the_next_event_after_the_interval(
        monkeypatch: pytest.MonkeyPatch) -> None:
    from django.contrib.auth.models import Permission

    from examhall.console import consumers

    rooms = await _rooms()
    socket = await _subscribed(rooms.proctor, rooms.room)

    def revoke() -> None:  # no signal for this one: the periodic re-check finds it
        rooms.proctor.user_permissions.clear()
        rooms.proctor.groups.clear()
        assert not Permission.objects.filter(user=rooms.proctor).exists()

    await database_sync_to_async(revoke)()
    monkeypatch.setattr(consumers, "RECHECK_SECONDS", 0)
    await database_sync_to_async(rooms.candidates[0].post)("/messages", {"body": "help"})
    assert (await socket.receive_output(timeout=5))["type"] == "websocket.close"


# --- live updates -----------------------------------------------------------------


async def test_a_snapshot_upload_reaches_the_proctor() -> None:
    rooms = await _rooms()
    socket = await _subscribed(rooms.proctor, rooms.room)
    candidate = rooms.candidates[0]
    response = await database_sync_to_async(upload)(candidate, frame("obama"), camera="pc")
    assert response.status_code == 202, response.content
    event = await _next_event(socket, "snapshot.new")
    assert event["attempt"] == candidate.attempt_id and event["camera"] == "pc"
    assert event["snapshot"] == response.json()["snapshot_id"]
    # The picture itself is served to this proctor only.
    image = await database_sync_to_async(_staff_get)(
        rooms.proctor, f"/console/snapshots/{event['snapshot']}/")
    assert image.status_code == 200 and image["Content-Type"] == "image/jpeg"
    refused = await database_sync_to_async(_staff_get)(
        rooms.other_proctor, f"/console/snapshots/{event['snapshot']}/")
    assert refused.status_code == 404
    await socket.disconnect()


async def test_a_flag_reaches_the_proctor() -> None:
    rooms = await _rooms()
    socket = await _subscribed(rooms.proctor, rooms.room)
    candidate = rooms.candidates[1]
    flag = await database_sync_to_async(proctoring_services.flag_raise)(
        attempt_id=candidate.attempt_id, flag_type="several_faces", at=clock.now(),
        gap_seconds=60, camera="pc")
    event = await _next_event(socket, "proctoring.flag")
    assert (event["attempt"], event["flag"], event["severity"], event["new"]) == (
        candidate.attempt_id, str(flag.pk), "high", True)
    assert event["flag_type"] == "several_faces" and event["camera"] == "pc"
    # Confirming it is heard too, with its new status.
    console = await database_sync_to_async(StaffClient)(rooms.proctor)
    await database_sync_to_async(console.post)(f"/api/console/flags/{flag.pk}",
                                               {"decision": "confirm"})
    event = await _next_event(socket, "proctoring.flag")
    assert event["status"] == "confirmed"
    await socket.disconnect()


async def test_a_state_change_and_the_proctor_action_reach_the_proctor() -> None:
    rooms = await _rooms()
    socket = await _subscribed(rooms.proctor, rooms.room)
    candidate = rooms.candidates[0]
    console = await database_sync_to_async(StaffClient)(rooms.proctor)
    response = await database_sync_to_async(console.post)(
        f"/api/console/attempts/{candidate.attempt_id}/pause", {"reason": "noise"})
    assert response.status_code == 200
    event = await _next_event(socket, "attempt.state")
    assert (event["attempt"], event["state"]) == (candidate.attempt_id, "paused")
    assert event["deadline"]
    action = await _next_event(socket, "console.action")
    assert (action["action"], action["actor"]) == ("pause", "proctor_a")
    await database_sync_to_async(console.post)(
        f"/api/console/attempts/{candidate.attempt_id}/extend",
        {"minutes": 10, "reason": "noise"})
    extended = await _next_event(socket, "attempt.state")
    assert dt.datetime.fromisoformat(extended["deadline"]) - dt.datetime.fromisoformat(
        event["deadline"]) == dt.timedelta(minutes=10)
    await database_sync_to_async(candidate.post)("/submit")
    assert (await _next_event(socket, "attempt.state"))["state"] in ("submitted", "graded")
    await socket.disconnect()


async def test_a_raised_hand_and_its_answer_reach_both_sides() -> None:
    rooms = await _rooms()
    socket = await _subscribed(rooms.proctor, rooms.room)
    candidate = rooms.candidates[0]
    candidate_socket = WebsocketCommunicator(application, "/ws/attempts/")
    assert (await candidate_socket.connect())[0]
    await candidate_socket.send_json_to({"type": "auth", "token": candidate.token})
    assert await candidate_socket.receive_json_from(timeout=5) == {"type": "ready"}

    await database_sync_to_async(candidate.post)("/messages", {"body": "My screen froze"})
    hand = await _next_event(socket, "console.message")
    assert (hand["sender"], hand["body"]) == ("candidate", "My screen froze")

    console = await database_sync_to_async(StaffClient)(rooms.proctor)
    sent = await database_sync_to_async(console.post)(
        f"/api/console/attempts/{candidate.attempt_id}/messages", {"body": "Reload the page"})
    echo = await _next_event(candidate_socket, "console.message")  # their own, for the thread
    assert (echo["sender"], echo["body"]) == ("candidate", "My screen froze")
    on_pc = await _next_event(candidate_socket, "console.message")
    assert (on_pc["sender"], on_pc["body"]) == ("proctor", "Reload the page")
    await database_sync_to_async(candidate.post)(f"/messages/{sent.json()['id']}/ack")
    ack = await _next_event(socket, "console.acknowledged")
    assert ack["message"] == sent.json()["id"]
    await candidate_socket.disconnect()
    await socket.disconnect()


async def test_a_broadcast_reaches_each_candidate_and_the_room() -> None:
    rooms = await _rooms()
    socket = await _subscribed(rooms.proctor, rooms.room)
    candidate_sockets = []
    for candidate in [*rooms.candidates, rooms.stranger]:
        candidate_socket = WebsocketCommunicator(application, "/ws/attempts/")
        await candidate_socket.connect()
        await candidate_socket.send_json_to({"type": "auth", "token": candidate.token})
        assert await candidate_socket.receive_json_from(timeout=5) == {"type": "ready"}
        candidate_sockets.append(candidate_socket)
    console = await database_sync_to_async(StaffClient)(rooms.proctor)
    await database_sync_to_async(console.post)(f"/api/console/rooms/{rooms.room.pk}/broadcast",
                                               {"body": "Ten minutes left"})
    assert (await _next_event(socket, "console.broadcast"))["recipients"] == 2
    for candidate_socket in candidate_sockets[:2]:
        event = await _next_event(candidate_socket, "console.message")
        assert event["broadcast"] is True and event["body"] == "Ten minutes left"
    assert await candidate_sockets[2].receive_nothing(timeout=0.5)
    for candidate_socket in candidate_sockets:
        await candidate_socket.disconnect()
    await socket.disconnect()


async def test_garbage_is_ignored_and_the_socket_stays_open() -> None:
    rooms = await _rooms()
    socket, connected, _code = await _open(rooms.proctor)
    assert connected
    await socket.send_to(text_data="not json {")
    await socket.send_to(bytes_data=b"\x00\x01")
    await socket.send_json_to(["subscribe"])
    await socket.send_json_to({"type": "subscribe", "room": {"nested": 1}})
    assert (await socket.receive_json_from(timeout=5))["code"] == "room_not_found"
    await socket.send_json_to({"type": "ping"})
    assert await socket.receive_json_from(timeout=5) == {"type": "pong"}
    await socket.disconnect()
