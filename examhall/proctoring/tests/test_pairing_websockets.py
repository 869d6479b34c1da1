"""The websockets of the candidate's pages: the PC hears its phone pair, pass its checks
and confirm; a replaced phone is told and disconnected; nobody gets in without a
credential. Channels' communicator against the real routing (in-memory layer)."""

from __future__ import annotations

from typing import Any

import pytest
from channels.db import database_sync_to_async
from channels.routing import URLRouter
from channels.testing import WebsocketCommunicator

from config.routing import websocket_urlpatterns
from examhall.delivery.tests.helpers import CandidateClient
from examhall.devtools import factories
from examhall.exams.models import Exam
from examhall.proctoring.tests.pairing_helpers import GOOD_PHONE_CHECKS, paired_phone

pytestmark = pytest.mark.django_db(transaction=True)

application = URLRouter(websocket_urlpatterns)


def _candidate() -> CandidateClient:
    _exam, _subject, _session, _room, people = factories.make_sitting(
        questions=1, required_checks=[Exam.Check.SECOND_CAMERA])
    client = CandidateClient(*people[0])
    assert client.login().status_code == 200
    return client


async def _connect(path: str, auth: dict[str, Any]) -> WebsocketCommunicator:
    socket = WebsocketCommunicator(application, path)
    connected, _protocol = await socket.connect()
    assert connected
    await socket.send_json_to({"type": "auth", **auth})
    assert await socket.receive_json_from(timeout=5) == {"type": "ready"}
    return socket


async def _next_event(socket: WebsocketCommunicator, kind: str) -> dict[str, Any]:
    while True:
        message = await socket.receive_json_from(timeout=5)
        if message.get("kind") == kind:
            return message


async def test_pc_hears_its_phone_connect_check_and_confirm() -> None:
    pc = await database_sync_to_async(_candidate)()
    socket = await _connect("/ws/attempts/", {"token": pc.token})
    phone = await database_sync_to_async(paired_phone)(pc, confirm=False)
    assert (await _next_event(socket, "phone.pairing"))["state"] == "connected"
    await database_sync_to_async(phone.post)("checks", GOOD_PHONE_CHECKS)
    assert (await _next_event(socket, "phone.pairing"))["state"] == "checked"
    await database_sync_to_async(phone.post)("confirm")
    event = await _next_event(socket, "phone.pairing")
    assert event["type"] == "event" and event["state"] == "confirmed"
    # The confirmation passes the last check: the attempt is ready at once.
    assert (await _next_event(socket, "attempt.state"))["state"] == "ready"
    await database_sync_to_async(pc.start)()
    assert (await _next_event(socket, "attempt.state"))["state"] == "in_progress"
    await socket.disconnect()


async def test_a_replaced_phone_is_told_and_disconnected() -> None:
    pc = await database_sync_to_async(_candidate)()
    old = await database_sync_to_async(paired_phone)(pc)
    socket = await _connect("/ws/phone/", {"credential": old.credential})
    await database_sync_to_async(paired_phone)(pc, confirm=False)
    event = await _next_event(socket, "phone.ended")
    assert event["reason"] == "replaced"
    assert (await socket.receive_output(timeout=5)) == {"type": "websocket.close",
                                                        "code": 4410}
    # Coming back with the old credential: told at once, and closed.
    again = WebsocketCommunicator(application, "/ws/phone/")
    await again.connect()
    await again.send_json_to({"type": "auth", "credential": old.credential})
    assert (await again.receive_json_from(timeout=5)) == {"type": "error",
                                                          "code": "pairing_ended"}
    assert (await again.receive_output(timeout=5))["code"] == 4410


async def test_the_phone_hears_the_exam_start() -> None:
    pc = await database_sync_to_async(_candidate)()
    phone = await database_sync_to_async(paired_phone)(pc)
    socket = await _connect("/ws/phone/", {"credential": phone.credential})
    await database_sync_to_async(pc.start)()
    assert (await _next_event(socket, "attempt.state"))["state"] == "in_progress"
    await socket.disconnect()


@pytest.mark.parametrize(("path", "auth"), [
    ("/ws/attempts/", {"token": "not-a-token"}),
    ("/ws/attempts/", {}),
    ("/ws/phone/", {"credential": "forged"}),
])
async def test_no_credential_no_events(path: str, auth: dict[str, Any]) -> None:
    socket = WebsocketCommunicator(application, path)
    await socket.connect()
    await socket.send_json_to({"type": "auth", **auth})
    assert (await socket.receive_output(timeout=5)) == {"type": "websocket.close",
                                                        "code": 4401}


async def test_a_phone_credential_does_not_open_the_pcs_socket() -> None:
    pc = await database_sync_to_async(_candidate)()
    phone = await database_sync_to_async(paired_phone)(pc)
    socket = WebsocketCommunicator(application, "/ws/attempts/")
    await socket.connect()
    await socket.send_json_to({"type": "auth", "token": phone.credential})
    assert (await socket.receive_output(timeout=5))["code"] == 4401


async def test_a_message_other_than_auth_first_closes_the_socket() -> None:
    socket = WebsocketCommunicator(application, "/ws/attempts/")
    await socket.connect()
    await socket.send_json_to({"type": "ping"})
    assert (await socket.receive_output(timeout=5))["code"] == 4401


def _replaced_by_an_allowed_reentry() -> tuple[CandidateClient, CandidateClient]:
    """A candidate in the exam signs in again from another browser with the proctor's
    permission: (the browser replaced, the one signed in now)."""
    import datetime as dt

    from examhall.core import clock
    from examhall.delivery.models import Attempt

    exam, _subject, _session, _room, people = factories.make_sitting(questions=1)
    Exam.objects.filter(pk=exam.pk).update(reentry_needs_approval=True)
    first = CandidateClient(*people[0])
    assert first.login().status_code == 200
    first.start()
    Attempt.objects.filter(pk=first.attempt_id).update(
        reentry_allowed_until=clock.now() + dt.timedelta(minutes=5))
    second = CandidateClient(*people[0])
    assert second.login().status_code == 200
    return first, second


async def test_a_browser_replaced_by_an_allowed_reentry_gets_no_socket_nor_pictures() -> None:
    from examhall.identity.tests.frames import frame
    from examhall.proctoring.models import Snapshot
    from examhall.proctoring.tests.helpers import upload

    first, second = await database_sync_to_async(_replaced_by_an_allowed_reentry)()
    socket = WebsocketCommunicator(application, "/ws/attempts/")
    await socket.connect()
    await socket.send_json_to({"type": "auth", "token": first.token})
    assert (await socket.receive_output(timeout=5)) == {"type": "websocket.close",
                                                        "code": 4401}
    refused = await database_sync_to_async(upload)(first, frame("obama"))
    assert refused.status_code == 401
    assert refused.json()["error"]["code"] == "signed_in_elsewhere"
    assert not await database_sync_to_async(Snapshot.objects.exists)()
    current = await _connect("/ws/attempts/", {"token": second.token})
    await current.disconnect()
    assert (await database_sync_to_async(upload)(second, frame("obama"))).status_code == 202
