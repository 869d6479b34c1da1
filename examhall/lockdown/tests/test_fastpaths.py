"""The ASGI fast paths (autosave, the PC's snapshots) and the attempt's websocket ask
for the client's signature as the middleware does; the phone is never asked."""

from __future__ import annotations

import asyncio
import json
from concurrent.futures import ThreadPoolExecutor

import httpx
import pytest
from channels.db import database_sync_to_async
from channels.routing import URLRouter
from channels.testing import WebsocketCommunicator

from config.routing import websocket_urlpatterns
from examhall.identity.tests.frames import frame
from examhall.lockdown import signature
from examhall.lockdown.tests.helpers import VERSION, ExamClientUser, client_exam

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def fast_app():
    from config.asgi import application
    from examhall.delivery import fastpath as autosave
    from examhall.proctoring import fastpath as snapshots
    from examhall.proctoring import worker

    yield snapshots.SnapshotFastPath(autosave.AutosaveFastPath(application))
    worker.shutdown()
    snapshots.close_pool()
    autosave.close_pool()


def _asgi(app, path: str, *, key: str | None, token: str, content: bytes | None = None,
          files: dict | None = None, data: dict | None = None) -> httpx.Response:
    async def go() -> httpx.Response:
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as http:
            request = http.build_request(
                "POST", path, content=content, files=files, data=data,
                headers={"Authorization": f"Bearer {token}", "Accept-Language": "en",
                         **({"Content-Type": "application/json"} if content else {})})
            if key is not None:
                url = signature.canonical_url(scheme="http", host="testserver", path=path)
                body = request.read()
                request.headers["X-ExamHall-Client"] = signature.header_value(
                    key=key, version=VERSION, method="POST", url=url, body=body)
            return await http.send(request)

    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(asyncio.run, go()).result()


def _started(requires_client: bool | None = True) -> tuple[ExamClientUser, str | None, str]:
    _exam, policy, registration, id_number = client_exam(requires_client=requires_client)
    key = policy.client_key if policy else None
    user = ExamClientUser(registration, id_number, key=key)
    assert user.login().status_code == 200
    question = user.start()["questions"][0]["id"]
    return user, key, question


def _save(question: str) -> bytes:
    return json.dumps({"saves": [{"question_id": question, "value": ["A"], "seq": 1}]}
                      ).encode()


def test_the_autosave_fast_path_needs_the_client(fast_app):
    user, key, question = _started()
    path = user.attempt_path("/answers")

    refused = _asgi(fast_app, path, key=None, token=user.token, content=_save(question))
    accepted = _asgi(fast_app, path, key=key, token=user.token, content=_save(question))

    assert refused.status_code == 403 and refused.json()["code"] == "client_required"
    assert accepted.status_code == 200, accepted.content
    assert accepted.json()["acknowledged_seq"] == 1


def test_the_autosave_fast_path_refuses_a_signature_over_another_body(fast_app):
    user, key, question = _started()
    path = user.attempt_path("/answers")
    url = signature.canonical_url(scheme="http", host="testserver", path=path)
    signed_other = signature.header_value(key=key, version=VERSION, method="POST", url=url,
                                          body=b"{}")

    async def go() -> httpx.Response:
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=fast_app),
                                     base_url="http://testserver") as http:
            return await http.post(path, content=_save(question), headers={
                "Authorization": f"Bearer {user.token}", "Content-Type": "application/json",
                "X-ExamHall-Client": signed_other})

    with ThreadPoolExecutor(max_workers=1) as pool:
        response = pool.submit(asyncio.run, go()).result()
    assert response.status_code == 403 and response.json()["code"] == "client_required"


def test_the_autosave_fast_path_of_a_mock_exam_takes_plain_browsers(fast_app):
    user, _key, question = _started(requires_client=None)

    response = _asgi(fast_app, user.attempt_path("/answers"), key=None, token=user.token,
                     content=_save(question))

    assert response.status_code == 200, response.content


def test_the_pc_snapshot_fast_path_needs_the_client(fast_app):
    user, key, _question = _started()
    path = user.attempt_path("/snapshots")
    files = {"image": ("s.jpg", frame("obama"), "image/jpeg")}

    refused = _asgi(fast_app, path, key=None, token=user.token, files=files,
                    data={"camera": "pc"})
    accepted = _asgi(fast_app, path, key=key, token=user.token, files=files,
                     data={"camera": "pc"})

    assert refused.status_code == 403 and refused.json()["code"] == "client_required"
    assert accepted.status_code == 202, accepted.content
    assert accepted.json()["camera"] == "pc"


def test_the_phone_snapshot_route_is_never_asked(fast_app):
    _user, _key, _question = _started()

    response = _asgi(fast_app, "/api/phone/snapshots", key=None, token="not-a-credential",
                     files={"image": ("s.jpg", b"x", "image/jpeg")})

    assert response.status_code == 401  # its own credential check, not the client's


# --- the attempt's websocket ---------------------------------------------------------------

application = URLRouter(websocket_urlpatterns)


async def _socket(token: str, key: str | None) -> tuple[WebsocketCommunicator, dict]:
    headers = [(b"host", b"testserver")]
    if key is not None:
        url = signature.canonical_url(scheme="ws", host="testserver", path="/ws/attempts/")
        headers.append((b"x-examhall-client", signature.header_value(
            key=key, version=VERSION, method="GET", url=url).encode()))
    socket = WebsocketCommunicator(application, "/ws/attempts/", headers=headers)
    connected, _protocol = await socket.connect()
    assert connected
    await socket.send_json_to({"type": "auth", "token": token})
    return socket, await socket.receive_output(timeout=5)


def _signed_in(requires_client: bool | None) -> tuple[str, str | None]:
    _exam, policy, registration, id_number = client_exam(requires_client=requires_client)
    key = policy.client_key if policy else None
    user = ExamClientUser(registration, id_number, key=key)
    assert user.login().status_code == 200
    return user.token, key


async def test_the_attempt_socket_closes_4403_without_the_clients_signature():
    token, _key = await database_sync_to_async(_signed_in)(True)

    socket, output = await _socket(token, None)

    assert output == {"type": "websocket.close", "code": 4403}
    await socket.disconnect()


async def test_the_attempt_socket_opens_with_the_clients_signature():
    token, key = await database_sync_to_async(_signed_in)(True)

    socket, output = await _socket(token, key)

    assert output["type"] == "websocket.send" and json.loads(output["text"]) == {
        "type": "ready"}
    await socket.disconnect()


async def test_the_attempt_socket_of_a_mock_exam_takes_plain_browsers():
    token, _key = await database_sync_to_async(_signed_in)(None)

    socket, output = await _socket(token, None)

    assert json.loads(output["text"]) == {"type": "ready"}
    await socket.disconnect()
