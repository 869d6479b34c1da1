"""The candidate's side of the proctor console, through the HTTP API and the attempt's
websocket: the conversation with the proctors (thread, raised hand, acknowledgement),
re-entry that needs a proctor, and the done page's words for an exam a proctor ended."""

from __future__ import annotations

from typing import Any

import pytest
from channels.db import database_sync_to_async
from channels.routing import URLRouter
from channels.testing import WebsocketCommunicator
from django.contrib.auth import get_user_model
from django.test import Client

from config.routing import websocket_urlpatterns
from examhall.console.models import Message
from examhall.delivery.tests.helpers import CandidateClient
from examhall.devtools import factories

pytestmark = pytest.mark.django_db


class Proctor:
    """A logged-in exam-office user calling /api/console/… like the console page."""

    def __init__(self) -> None:
        user = get_user_model().objects.create_superuser(
            username=f"office-{factories.resident_id_number()[-6:]}", password="pw-12345678")
        self.client = Client(enforce_csrf_checks=False)
        self.client.force_login(user)

    def post(self, path: str, body: dict[str, Any] | None = None) -> Any:
        return self.client.post(f"/api/console/{path}", body or {},
                                content_type="application/json")


def _started(candidates: int = 1, **exam_options: Any) -> list[CandidateClient]:
    _exam, _subject, _session, _room, people = factories.make_sitting(
        questions=2, candidates=candidates, **exam_options)
    clients = []
    for registration, id_number in people:
        client = CandidateClient(registration, id_number)
        assert client.login().status_code == 200
        client.start()
        clients.append(client)
    return clients


def _proctor_says(proctor: Proctor, candidate: CandidateClient, body: str) -> str:
    response = proctor.post(f"attempts/{candidate.attempt_id}/messages", {"body": body})
    assert response.status_code == 201, response.content
    return response.json()["id"]


# --- the thread ---------------------------------------------------------------------


def test_given_proctor_message_and_raised_hand_when_thread_read_then_both_oldest_first():
    [candidate] = _started()
    proctor = Proctor()
    raised = candidate.post("/messages", {"body": "  My mouse stopped working.  "})
    message_id = _proctor_says(proctor, candidate, "Use the keyboard; I am coming.")

    response = candidate.get("/messages")

    assert raised.status_code == 201
    assert raised.json()["sender"] == "candidate"
    assert raised.json()["body"] == "My mouse stopped working."
    assert response.status_code == 200
    thread = response.json()
    assert [(m["sender"], m["body"]) for m in thread] == [
        ("candidate", "My mouse stopped working."),
        ("proctor", "Use the keyboard; I am coming."),
    ]
    assert thread[1]["id"] == message_id
    assert thread[1]["acknowledged_at"] is None
    assert thread[1]["broadcast"] is False


def test_given_broadcast_when_thread_read_then_labelled_broadcast_for_each_candidate():
    first, second = _started(candidates=2)
    proctor = Proctor()
    room_id = first.registration.room_id

    response = proctor.post(f"rooms/{room_id}/broadcast", {"body": "Ten minutes left."})

    assert response.json() == {"recipients": 2}
    for candidate in (first, second):
        [message] = candidate.get("/messages").json()
        assert message["broadcast"] is True
        assert message["sender"] == "proctor"
        assert message["body"] == "Ten minutes left."


def test_given_no_token_when_thread_read_then_refused():
    [candidate] = _started()
    response = Client().get(f"/api/attempts/{candidate.attempt_id}/messages")
    assert response.status_code == 401


# --- raising a hand: validation -------------------------------------------------------


@pytest.mark.parametrize("body", ["", "   \n  "])
def test_given_empty_text_when_raise_hand_then_422_and_nothing_stored(body):
    [candidate] = _started()

    response = candidate.post("/messages", {"body": body})

    assert response.status_code == 422
    assert response.json()["error"]["code"] == "message_empty"
    assert response.json()["error"]["message"]
    assert not Message.objects.filter(attempt_id=candidate.attempt_id).exists()


def test_given_too_long_text_when_raise_hand_then_422_and_nothing_stored():
    [candidate] = _started()

    response = candidate.post("/messages", {"body": "x" * 1001})

    assert response.status_code == 422
    assert response.json()["error"]["message"]
    assert not Message.objects.filter(attempt_id=candidate.attempt_id).exists()
    assert candidate.post("/messages", {"body": "x" * 1000}).status_code == 201


def test_given_finished_attempt_when_raise_hand_then_409_in_plain_words():
    [candidate] = _started()
    assert candidate.post("/submit").status_code == 200

    response = candidate.post("/messages", {"body": "Can I change an answer?"})

    assert response.status_code == 409
    assert response.json()["error"]["code"] == "attempt_finished"
    assert "已结束" in response.json()["error"]["message"]  # localised (zh-Hans default)


def test_given_twenty_unanswered_when_raise_hand_again_then_429_until_proctor_answers():
    [candidate] = _started()
    for number in range(20):
        assert candidate.post("/messages", {"body": f"Question {number}"}).status_code == 201

    refused = candidate.post("/messages", {"body": "Hello?"})
    _proctor_says(Proctor(), candidate, "I read your messages.")
    accepted = candidate.post("/messages", {"body": "Thank you."})

    assert refused.status_code == 429
    assert refused.json()["error"]["code"] == "too_many_messages"
    assert accepted.status_code == 201


# --- acknowledging ----------------------------------------------------------------------


def test_given_proctor_message_when_acknowledged_twice_then_same_time_kept():
    [candidate] = _started()
    message_id = _proctor_says(Proctor(), candidate, "Please face the camera.")

    first = candidate.post(f"/messages/{message_id}/ack")
    second = candidate.post(f"/messages/{message_id}/ack")

    assert first.status_code == 200
    assert first.json()["acknowledged_at"] is not None
    assert second.status_code == 200
    assert second.json()["acknowledged_at"] == first.json()["acknowledged_at"]
    stored = Message.objects.get(pk=message_id)
    assert stored.acknowledged_at is not None
    assert candidate.get("/messages").json()[0]["acknowledged_at"] is not None


def test_given_another_candidates_message_when_acknowledged_then_404_and_untouched():
    owner, other = _started(candidates=2)
    message_id = _proctor_says(Proctor(), owner, "Only for you.")

    through_own_attempt = other.post(f"/messages/{message_id}/ack")
    through_their_attempt = other.post(f"/messages/{message_id}/ack",
                                       attempt_id=owner.attempt_id)
    their_thread = other.get("/messages", attempt_id=owner.attempt_id)

    assert through_own_attempt.status_code == 404
    assert through_own_attempt.json()["error"]["code"] == "message_not_found"
    assert through_their_attempt.status_code == 404
    assert their_thread.status_code == 404
    assert Message.objects.get(pk=message_id).acknowledged_at is None
    assert other.get("/messages").json() == []


def test_given_own_raised_hand_when_acknowledged_then_404():
    [candidate] = _started()
    message_id = candidate.post("/messages", {"body": "Hello"}).json()["id"]

    response = candidate.post(f"/messages/{message_id}/ack")

    assert response.status_code == 404


# --- the candidate's websocket ------------------------------------------------------------

application = URLRouter(websocket_urlpatterns)


async def _next_event(socket: WebsocketCommunicator, kind: str) -> dict[str, Any]:
    while True:
        message = await socket.receive_json_from(timeout=5)
        if message.get("kind") == kind:
            return message


@pytest.mark.django_db(transaction=True)
async def test_given_candidate_socket_when_proctor_messages_pauses_and_extends_then_heard():
    [candidate] = await database_sync_to_async(_started)()
    proctor = await database_sync_to_async(Proctor)()
    socket = WebsocketCommunicator(application, "/ws/attempts/")
    assert (await socket.connect())[0]
    await socket.send_json_to({"type": "auth", "token": candidate.token})
    assert await socket.receive_json_from(timeout=5) == {"type": "ready"}
    attempt = f"attempts/{candidate.attempt_id}"

    message_id = await database_sync_to_async(_proctor_says)(proctor, candidate, "Hands visible.")
    message = await _next_event(socket, "console.message")
    await database_sync_to_async(proctor.post)(f"{attempt}/pause", {"reason": "Noise"})
    paused = await _next_event(socket, "attempt.state")
    await database_sync_to_async(proctor.post)(f"{attempt}/resume")
    resumed = await _next_event(socket, "attempt.state")
    await database_sync_to_async(proctor.post)(f"{attempt}/extend",
                                               {"minutes": 5, "reason": "Power cut"})
    extended = await _next_event(socket, "attempt.state")
    await socket.disconnect()

    assert message["message"] == message_id
    assert message["sender"] == "proctor" and message["body"] == "Hands visible."
    assert message["broadcast"] is False and message["acknowledged_at"] is None
    assert paused["state"] == "paused"
    assert resumed["state"] == "in_progress"
    assert extended["state"] == "in_progress"
    assert extended["deadline"] > resumed["deadline"]


# --- re-entry that needs a proctor ---------------------------------------------------------


def test_given_reentry_needs_approval_when_fresh_browsers_sign_in_then_one_per_permission():
    [first] = _started()
    exam = first.registration.exam
    exam.reentry_needs_approval = True
    exam.save(update_fields=["reentry_needs_approval"])
    proctor = Proctor()

    crashed = CandidateClient(first.registration, first.id_number).login()
    allowed = proctor.post(f"attempts/{first.attempt_id}/reentry", {"reason": "Browser crash"})
    second = CandidateClient(first.registration, first.id_number)
    second_login = second.login()
    third_login = CandidateClient(first.registration, first.id_number).login()

    assert crashed.status_code == 403
    assert crashed.json()["error"]["code"] == "reentry_needs_approval"
    assert "监考员" in crashed.json()["error"]["message"]  # localised (zh-Hans default)
    assert allowed.status_code == 200
    assert second_login.status_code == 200
    assert second.get("/status").json()["state"] == "in_progress"
    assert third_login.status_code == 403
    assert third_login.json()["error"]["code"] == "reentry_needs_approval"
    # The browser signed in now is never refused; the one it replaced needs a proctor.
    assert second.login().status_code == 200
    assert second.login().status_code == 200
    refused = first.login()
    assert refused.status_code == 403
    assert refused.json()["error"]["code"] == "reentry_needs_approval"


def test_given_reentry_needs_approval_when_refused_then_login_page_shows_message():
    [first] = _started()
    exam = first.registration.exam
    exam.reentry_needs_approval = True
    exam.save(update_fields=["reentry_needs_approval"])
    fresh = CandidateClient(first.registration, first.id_number)

    response = fresh.client.post(
        f"/api/exams/{exam.code}/login",
        {"subject_code": first.registration.subject.code,
         "ticket_number": first.registration.ticket_number, "id_number": first.id_number},
        content_type="application/json", HTTP_ACCEPT_LANGUAGE="zh-hans")

    assert response.status_code == 403
    body = response.json()["error"]
    assert body["code"] == "reentry_needs_approval"
    assert body["message"]


# --- the done page's words ------------------------------------------------------------------


def test_given_force_submit_when_attempt_read_then_submit_reason_proctor():
    [candidate] = _started()
    response = Proctor().post(f"attempts/{candidate.attempt_id}/submit",
                              {"reason": "Left the room"})

    view = candidate.get().json()

    assert response.status_code == 200
    assert view["state"] in {"submitted", "graded"}  # marked at once when it can be
    assert view["submit_reason"] == "proctor"
