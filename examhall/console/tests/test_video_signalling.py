"""Live video's signalling (ADR 0010): a proctor asks for a candidate's camera over
``/ws/video/watch/``, the candidate's page answers over ``/ws/video/send/``, and the
server relays offer, answer and ICE candidates only between the two sockets of one
session. Channels' communicator against the real routing (in-memory layer)."""

from __future__ import annotations

import base64
import hashlib
import hmac
from collections.abc import Iterator
from typing import Any

import pytest
from channels.db import database_sync_to_async
from channels.layers import channel_layers
from channels.routing import URLRouter
from channels.testing import WebsocketCommunicator
from django.test import Client, override_settings

from config.env import _ice_servers
from config.routing import websocket_urlpatterns
from examhall.console.models import ProctorAction
from examhall.console.tests.staff import room_of_candidates, staff_user
from examhall.delivery.tests.helpers import CandidateClient
from examhall.devtools import factories
from examhall.exams.models import Exam
from examhall.proctoring.tests.pairing_helpers import paired_phone

pytestmark = pytest.mark.django_db(transaction=True)

application = URLRouter(websocket_urlpatterns)


@pytest.fixture(autouse=True)
def fresh_channel_layer() -> Iterator[None]:
    """A new channel layer per test: each test has its own event loop, and the Redis
    layer's receive lock binds to the loop of the first two sockets that wait on it."""
    channel_layers.backends.clear()
    yield
    channel_layers.backends.clear()
OFFER = {"sdp": {"type": "offer", "sdp": "v=0\r\no=- 1 2 IN IP4 127.0.0.1\r\n"}}
ANSWER = {"sdp": {"type": "answer", "sdp": "v=0\r\no=- 3 4 IN IP4 127.0.0.1\r\n"}}
CANDIDATE = {"candidate": {"candidate": "candidate:1 1 udp 2122260223 127.0.0.1 50000 typ host",
                           "sdpMid": "0", "sdpMLineIndex": 0}}


# --- given ---------------------------------------------------------------------------


def _sitting(candidates: int = 2) -> tuple[Any, list[CandidateClient], Any, Any]:
    """A room of started candidates, its proctor, and a proctor of another room."""
    _exam, room, clients = room_of_candidates(candidates=candidates)
    _other_exam, _s, _ss, other_room, _people = factories.make_sitting(questions=1)
    proctor = staff_user("proctor", rooms=(room,))
    stranger = staff_user("stranger", rooms=(other_room,))
    return room, clients, proctor, stranger


def _session_cookie(user: Any) -> str:
    client = Client()
    client.force_login(user)
    return client.cookies["sessionid"].value


async def _viewer(user: Any | None) -> WebsocketCommunicator:
    headers = [(b"origin", b"http://localhost")]
    if user is not None:
        cookie = await database_sync_to_async(_session_cookie)(user)
        headers.append((b"cookie", f"sessionid={cookie}".encode()))
    return WebsocketCommunicator(application, "/ws/video/watch/", headers=headers)


async def _ready_viewer(user: Any) -> WebsocketCommunicator:
    socket = await _viewer(user)
    connected, _ = await socket.connect()
    assert connected
    ready = await socket.receive_json_from(timeout=5)
    assert ready["type"] == "ready"
    return socket


async def _sender(auth: dict[str, str], camera: str = "pc") -> WebsocketCommunicator:
    socket = WebsocketCommunicator(application, "/ws/video/send/")
    connected, _ = await socket.connect()
    assert connected
    await socket.send_json_to({"type": "auth", **auth})
    assert await socket.receive_json_from(timeout=5) == {"type": "ready", "camera": camera}
    return socket


async def _watch(viewer: WebsocketCommunicator, attempt_id: str, camera: str = "pc") -> str:
    await viewer.send_json_to({"type": "watch", "attempt": attempt_id, "camera": camera})
    watching = await viewer.receive_json_from(timeout=5)
    assert watching["type"] == "watching", watching
    assert (watching["attempt"], watching["camera"]) == (attempt_id, camera)
    return watching["session"]


def _live_video_audits(attempt_id: str) -> list[tuple[str, dict]]:
    return [(action.actor.username, action.details) for action in ProctorAction.objects.filter(
        attempt_id=attempt_id, kind=ProctorAction.Kind.LIVE_VIDEO).select_related("actor")]


# --- the whole exchange ------------------------------------------------------------------


async def test_a_proctor_watches_a_camera_and_the_server_relays_both_ways() -> None:
    _room, clients, proctor, _stranger = await database_sync_to_async(_sitting)()
    candidate = clients[0]
    camera = await _sender({"token": candidate.token})
    viewer = await _ready_viewer(proctor)

    session = await _watch(viewer, candidate.attempt_id)
    request = await camera.receive_json_from(timeout=5)
    assert request == {"type": "request", "session": session, "camera": "pc",
                       "ice_servers": []}

    # The candidate side offers; the proctor answers; ICE candidates both ways.
    await camera.send_json_to({"type": "signal", "session": session, "data": OFFER})
    assert await viewer.receive_json_from(timeout=5) == {
        "type": "signal", "session": session, "data": OFFER}
    await viewer.send_json_to({"type": "signal", "session": session, "data": ANSWER})
    assert await camera.receive_json_from(timeout=5) == {
        "type": "signal", "session": session, "data": ANSWER}
    await camera.send_json_to({"type": "signal", "session": session, "data": CANDIDATE})
    assert (await viewer.receive_json_from(timeout=5))["data"] == CANDIDATE
    await viewer.send_json_to({"type": "signal", "session": session, "data": CANDIDATE})
    assert (await camera.receive_json_from(timeout=5))["data"] == CANDIDATE

    # Audited once: who opened which camera of whom.
    audits = await database_sync_to_async(_live_video_audits)(candidate.attempt_id)
    assert audits == [("proctor", {"camera": "pc"})]

    # "Stop" on the viewer: the candidate side is told to hang up.
    await viewer.send_json_to({"type": "stop", "session": session})
    assert await camera.receive_json_from(timeout=5) == {
        "type": "bye", "session": session, "reason": "stopped"}
    # The session is over for both: nothing more goes through.
    await camera.send_json_to({"type": "signal", "session": session, "data": CANDIDATE})
    assert (await camera.receive_json_from(timeout=5))["code"] == "session_not_found"
    assert await viewer.receive_nothing(timeout=0.3)
    await camera.disconnect()
    await viewer.disconnect()


async def test_the_candidate_side_hanging_up_or_leaving_tells_the_proctor() -> None:
    _room, clients, proctor, _stranger = await database_sync_to_async(_sitting)()
    camera = await _sender({"token": clients[0].token})
    viewer = await _ready_viewer(proctor)
    session = await _watch(viewer, clients[0].attempt_id)
    await camera.receive_json_from(timeout=5)
    await camera.send_json_to({"type": "bye", "session": session, "reason": "camera_off"})
    assert await viewer.receive_json_from(timeout=5) == {
        "type": "bye", "session": session, "reason": "camera_off"}

    # Asked again (no second audit row), then the exam page goes away.
    session = await _watch(viewer, clients[0].attempt_id)
    await camera.receive_json_from(timeout=5)
    await camera.send_json_to({"type": "signal", "session": session, "data": OFFER})
    await viewer.receive_json_from(timeout=5)
    await camera.disconnect()
    assert await viewer.receive_json_from(timeout=5) == {
        "type": "bye", "session": session, "reason": "camera_left"}
    assert len(await database_sync_to_async(_live_video_audits)(clients[0].attempt_id)) == 1
    await viewer.disconnect()


async def test_a_viewer_that_leaves_ends_its_session_on_the_candidate_side() -> None:
    _room, clients, proctor, _stranger = await database_sync_to_async(_sitting)()
    camera = await _sender({"token": clients[0].token})
    viewer = await _ready_viewer(proctor)
    session = await _watch(viewer, clients[0].attempt_id)
    await camera.receive_json_from(timeout=5)
    await camera.send_json_to({"type": "signal", "session": session, "data": OFFER})
    await viewer.receive_json_from(timeout=5)
    await viewer.disconnect()
    assert await camera.receive_json_from(timeout=5) == {
        "type": "bye", "session": session, "reason": "viewer_left"}
    await camera.disconnect()


# --- scoping -------------------------------------------------------------------------------


async def test_a_proctor_of_another_room_is_refused_and_the_camera_is_not_asked() -> None:
    _room, clients, _proctor, stranger = await database_sync_to_async(_sitting)()
    camera = await _sender({"token": clients[0].token})
    viewer = await _ready_viewer(stranger)
    await viewer.send_json_to({"type": "watch", "attempt": clients[0].attempt_id,
                               "camera": "pc"})
    assert await viewer.receive_json_from(timeout=5) == {
        "type": "error", "code": "attempt_not_found", "attempt": clients[0].attempt_id}
    assert await camera.receive_nothing(timeout=0.3)
    assert await database_sync_to_async(_live_video_audits)(clients[0].attempt_id) == []
    await camera.disconnect()
    await viewer.disconnect()


async def test_the_exam_office_may_watch_every_room() -> None:
    _room, clients, _proctor, _stranger = await database_sync_to_async(_sitting)()
    office = await database_sync_to_async(staff_user)(
        "office", permissions=("oversee_all_rooms", "proctor_rooms"))
    camera = await _sender({"token": clients[0].token})
    viewer = await _ready_viewer(office)
    session = await _watch(viewer, clients[0].attempt_id)
    assert (await camera.receive_json_from(timeout=5))["session"] == session
    await camera.disconnect()
    await viewer.disconnect()


@pytest.mark.parametrize("who", ["anonymous", "no_console"])
async def test_only_console_users_may_open_the_viewer_socket(who: str) -> None:
    user = None
    if who == "no_console":
        user = await database_sync_to_async(staff_user)("clerk", permissions=())
    socket = await _viewer(user)
    connected, code = await socket.connect()
    assert not connected and code == 4403


async def test_the_viewer_socket_refuses_another_sites_origin() -> None:
    _room, _clients, proctor, _stranger = await database_sync_to_async(_sitting)()
    cookie = await database_sync_to_async(_session_cookie)(proctor)
    socket = WebsocketCommunicator(application, "/ws/video/watch/", headers=[
        (b"origin", b"https://evil.example"), (b"cookie", f"sessionid={cookie}".encode())])
    connected, _code = await socket.connect()
    assert not connected


async def test_a_candidate_socket_without_a_valid_credential_is_closed() -> None:
    socket = WebsocketCommunicator(application, "/ws/video/send/")
    await socket.connect()
    await socket.send_json_to({"type": "auth", "token": "forged"})
    assert (await socket.receive_output(timeout=5)) == {"type": "websocket.close",
                                                        "code": 4401}


async def test_a_candidate_cannot_join_or_signal_into_another_attempts_session() -> None:
    _room, clients, proctor, _stranger = await database_sync_to_async(_sitting)()
    first, second = clients
    camera_a = await _sender({"token": first.token})
    camera_b = await _sender({"token": second.token})
    viewer = await _ready_viewer(proctor)
    session = await _watch(viewer, first.attempt_id)
    assert (await camera_a.receive_json_from(timeout=5))["session"] == session
    assert await camera_b.receive_nothing(timeout=0.3)  # only the watched camera is asked

    # B knows (guesses) the session id: its offer goes nowhere.
    await camera_b.send_json_to({"type": "signal", "session": session, "data": OFFER})
    assert await camera_b.receive_json_from(timeout=5) == {
        "type": "error", "code": "session_not_found", "session": session}
    await camera_b.send_json_to({"type": "bye", "session": session})
    assert (await camera_b.receive_json_from(timeout=5))["code"] == "session_not_found"
    assert await viewer.receive_nothing(timeout=0.3)
    for socket in (camera_a, camera_b, viewer):
        await socket.disconnect()


async def test_messages_stay_within_their_session_when_two_proctors_watch() -> None:
    _room, clients, proctor, _stranger = await database_sync_to_async(_sitting)()
    office = await database_sync_to_async(staff_user)(
        "office", permissions=("oversee_all_rooms", "proctor_rooms"))
    camera = await _sender({"token": clients[0].token})
    viewer_1 = await _ready_viewer(proctor)
    viewer_2 = await _ready_viewer(office)
    session_1 = await _watch(viewer_1, clients[0].attempt_id)
    assert (await camera.receive_json_from(timeout=5))["session"] == session_1
    session_2 = await _watch(viewer_2, clients[0].attempt_id)
    assert (await camera.receive_json_from(timeout=5))["session"] == session_2
    assert session_1 != session_2

    await camera.send_json_to({"type": "signal", "session": session_1, "data": OFFER})
    assert (await viewer_1.receive_json_from(timeout=5))["session"] == session_1
    assert await viewer_2.receive_nothing(timeout=0.3)
    # A viewer cannot speak into the other's session either.
    await viewer_2.send_json_to({"type": "signal", "session": session_1, "data": ANSWER})
    assert (await viewer_2.receive_json_from(timeout=5))["code"] == "session_not_found"
    assert await camera.receive_nothing(timeout=0.3)
    for socket in (camera, viewer_1, viewer_2):
        await socket.disconnect()


async def test_a_second_page_of_the_same_camera_is_told_to_hang_up() -> None:
    _room, clients, proctor, _stranger = await database_sync_to_async(_sitting)()
    tab_1 = await _sender({"token": clients[0].token})
    tab_2 = await _sender({"token": clients[0].token})
    viewer = await _ready_viewer(proctor)
    session = await _watch(viewer, clients[0].attempt_id)
    await tab_1.receive_json_from(timeout=5)
    await tab_2.receive_json_from(timeout=5)
    await tab_1.send_json_to({"type": "signal", "session": session, "data": OFFER})
    assert (await viewer.receive_json_from(timeout=5))["data"] == OFFER
    await tab_2.send_json_to({"type": "signal", "session": session, "data": OFFER})
    assert await tab_2.receive_json_from(timeout=5) == {
        "type": "bye", "session": session, "reason": "not_wanted"}
    assert await viewer.receive_nothing(timeout=0.3)
    for socket in (tab_1, tab_2, viewer):
        await socket.disconnect()


# --- the phone camera --------------------------------------------------------------------------


def _paired_candidate() -> tuple[CandidateClient, Any, Any]:
    _exam, _subject, _session, room, people = factories.make_sitting(
        questions=1, required_checks=[Exam.Check.SECOND_CAMERA])
    pc = CandidateClient(*people[0])
    assert pc.login().status_code == 200
    phone = paired_phone(pc)
    return pc, phone, staff_user("proctor", rooms=(room,))


async def test_the_phone_answers_for_the_phone_camera_only_and_stops_when_replaced() -> None:
    pc, phone, proctor = await database_sync_to_async(_paired_candidate)()
    pc_camera = await _sender({"token": pc.token})
    phone_camera = await _sender({"credential": phone.credential}, camera="phone")
    viewer = await _ready_viewer(proctor)
    session = await _watch(viewer, pc.attempt_id, camera="phone")
    assert (await phone_camera.receive_json_from(timeout=5))["session"] == session
    assert await pc_camera.receive_nothing(timeout=0.3)
    await phone_camera.send_json_to({"type": "signal", "session": session, "data": OFFER})
    assert (await viewer.receive_json_from(timeout=5))["data"] == OFFER

    # Another phone takes over: the old one's video socket closes, the viewer is told.
    await database_sync_to_async(paired_phone)(pc, confirm=False)
    assert (await phone_camera.receive_output(timeout=5)) == {"type": "websocket.close",
                                                              "code": 4410}
    await phone_camera.disconnect()
    assert (await viewer.receive_json_from(timeout=5))["type"] == "bye"
    await pc_camera.disconnect()
    await viewer.disconnect()


# --- ICE servers -----------------------------------------------------------------------------


@override_settings(
    EXAMHALL_WEBRTC_ICE_SERVERS=[{"urls": "stun:turn.example.org:3478"},
                                 {"urls": ["turn:turn.example.org:3478?transport=udp"]}],
    EXAMHALL_WEBRTC_TURN_SECRET="north-wind")
async def test_both_sides_get_the_ice_servers_with_short_lived_turn_credentials() -> None:
    _room, clients, proctor, _stranger = await database_sync_to_async(_sitting)()
    camera = await _sender({"token": clients[0].token})
    socket = await _viewer(proctor)
    await socket.connect()
    ready = await socket.receive_json_from(timeout=5)
    stun, turn = ready["ice_servers"]
    assert stun == {"urls": "stun:turn.example.org:3478"}
    expires, label = turn["username"].split(":", 1)
    assert label == "proctor" and int(expires) > 0
    expected = base64.b64encode(hmac.new(b"north-wind", turn["username"].encode(),
                                         hashlib.sha1).digest()).decode()
    assert turn["credential"] == expected
    await _watch(socket, clients[0].attempt_id)
    request = await camera.receive_json_from(timeout=5)
    assert request["ice_servers"][1]["username"].endswith(
        f":attempt-{clients[0].attempt_id.replace('-', '')[:12]}")
    await camera.disconnect()
    await socket.disconnect()


def test_the_ice_servers_setting_is_read_as_json_and_checked() -> None:
    assert _ice_servers("") == []
    assert _ice_servers('[{"urls": "stun:stun.example.org"}]') == [
        {"urls": "stun:stun.example.org"}]
    for bad in ("stun:stun.example.org", '{"urls": "stun:x"}', '[{"url": "stun:x"}]'):
        with pytest.raises(ValueError):
            _ice_servers(bad)


# --- the viewer page -----------------------------------------------------------------------------


def test_the_viewer_page_is_for_the_rooms_proctor_only() -> None:
    _room, clients, proctor, stranger = _sitting(candidates=1)
    attempt_id = clients[0].attempt_id
    url = f"/console/attempts/{attempt_id}/live/pc/"

    client = Client()
    assert client.get(url).status_code == 302  # to the login page
    client.force_login(proctor)
    page = client.get(url)
    assert page.status_code == 200
    assert page.context["camera"] == "pc"
    assert f'data-attempt="{attempt_id}"' in page.content.decode()
    assert client.get(f"/console/attempts/{attempt_id}/live/phone/").status_code == 200
    assert client.get(f"/console/attempts/{attempt_id}/live/tablet/").status_code == 404

    client.force_login(stranger)
    assert client.get(url).status_code == 404
    client.force_login(staff_user("clerk", permissions=()))
    assert client.get(url).status_code == 403
