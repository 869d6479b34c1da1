"""Snapshot uploads through the candidate API: stored as plain JPEGs under paths that
do not name the candidate, and hostile uploads refused with a clear code."""

from __future__ import annotations

import io
import re

import numpy as np
import pytest
from django.core.files.storage import default_storage
from PIL import Image

from examhall.identity.tests.frames import frame, frame_array, jpeg
from examhall.proctoring.models import CameraPresence, Snapshot
from examhall.proctoring.services import analysis
from examhall.proctoring.tests.helpers import started_attempt, upload, with_exif

pytestmark = pytest.mark.django_db

SVG = (b'<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg" width="10" height="10">'
       b'<script>alert(1)</script></svg>')


def _error(response) -> str:
    return response.json()["error"]["code"]


def test_a_snapshot_is_stored_re_encoded_without_exif_under_an_anonymous_path():
    _exam, [client] = started_attempt()
    sent = with_exif(frame("obama"))
    assert Image.open(io.BytesIO(sent)).getexif()  # the upload does carry EXIF

    response = upload(client, sent, name=f"{client.registration.ticket_number}.jpg")

    assert response.status_code == 202, response.content
    body = response.json()
    assert body["analysis"] == "pending" and body["camera"] == "pc"
    assert body["next_in_seconds"] == 15
    snapshot = Snapshot.objects.get(pk=body["snapshot_id"])
    assert re.fullmatch(r"snapshots/[0-9a-f]{2}/[0-9a-f]{32}\.jpg", snapshot.image.name)
    assert client.registration.ticket_number not in snapshot.image.name
    with default_storage.open(snapshot.image.name, "rb") as stored:
        data = stored.read()
    image = Image.open(io.BytesIO(data))
    assert image.format == "JPEG"
    assert not image.getexif() and "exif" not in image.info
    assert (snapshot.width, snapshot.height) == image.size == (640, 480)
    assert snapshot.size_bytes == len(data)
    assert snapshot.reason == "interval" and snapshot.analysis_status == "pending"
    presence = CameraPresence.objects.get(attempt_id=client.attempt_id, camera="pc")
    assert presence.last_snapshot_at == snapshot.taken_at


def test_a_webp_snapshot_from_the_phone_is_accepted_and_stored_as_jpeg():
    _exam, [client] = started_attempt()

    response = upload(client, jpeg(frame_array("obama"), fmt="WEBP"), camera="phone",
                      name="s.webp", content_type="image/webp", reason="event")

    assert response.status_code == 202, response.content
    snapshot = Snapshot.objects.get()
    assert snapshot.camera == "phone" and snapshot.reason == "event"
    assert response.json()["next_in_seconds"] == 20
    with default_storage.open(snapshot.image.name, "rb") as stored:
        assert Image.open(stored).format == "JPEG"


def _png() -> bytes:
    out = io.BytesIO()
    Image.fromarray(frame_array("obama")).save(out, format="PNG")
    return out.getvalue()


@pytest.mark.parametrize(("data", "name", "content_type", "status", "code"), [
    (b"this is not a picture at all" * 10, "s.jpg", "image/jpeg", 415, "unsupported_image_type"),
    (SVG, "s.jpg", "image/jpeg", 415, "unsupported_image_type"),
    (SVG, "s.svg", "image/svg+xml", 415, "unsupported_image_type"),
    (_png(), "s.jpg", "image/jpeg", 415, "unsupported_image_type"),
    (frame("obama")[:2000], "s.jpg", "image/jpeg", 422, "invalid_image"),
    (b"\xff\xd8\xff" + b"\x00" * (20 * 1024 * 1024), "s.jpg", "image/jpeg", 413,
     "image_too_large"),
    (jpeg(np.zeros((10, 4100, 3), dtype=np.uint8)), "s.jpg", "image/jpeg", 413,
     "image_too_large"),
], ids=["not-an-image", "svg-as-jpg", "svg", "png-renamed-jpg", "truncated-jpeg", "20-mb",
        "4100-px-wide"])
def test_hostile_uploads_are_refused_clearly_and_nothing_is_kept(data, name, content_type,
                                                                  status, code):
    _exam, [client] = started_attempt()

    response = upload(client, data, name=name, content_type=content_type)

    assert response.status_code == status, response.content
    assert _error(response) == code
    assert response.json()["error"]["message"]
    assert not Snapshot.objects.exists()
    assert not CameraPresence.objects.exists()


def test_an_upload_for_another_candidates_attempt_is_not_found():
    _exam, [mine, theirs] = started_attempt(candidates=2)

    response = upload(mine, frame("obama"), attempt_id=theirs.attempt_id)

    assert response.status_code == 404 and _error(response) == "attempt_not_found"
    assert not Snapshot.objects.exists()


def test_an_upload_before_the_exam_started_is_refused():
    _exam, [client] = started_attempt(start=False)

    response = upload(client, frame("obama"))

    assert response.status_code == 409 and _error(response) == "attempt_not_in_progress"
    assert not Snapshot.objects.exists()


def test_an_upload_without_a_token_is_refused():
    _exam, [client] = started_attempt()
    client.token = "forged"

    response = upload(client, frame("obama"))

    assert response.status_code == 401
    assert not Snapshot.objects.exists()


def test_an_unknown_camera_is_refused():
    _exam, [client] = started_attempt()

    response = upload(client, frame("obama"), camera="tablet")

    assert response.status_code == 422 and _error(response) == "invalid_input"


def test_uploads_faster_than_one_per_three_seconds_are_limited_per_camera():
    _exam, [client] = started_attempt()
    data = frame("obama")
    statuses = [upload(client, data).status_code for _ in range(20)]
    assert statuses == [202] * 20

    refused = upload(client, data)
    other_camera = upload(client, data, camera="phone")

    assert refused.status_code == 429 and _error(refused) == "too_many_snapshots"
    assert refused.json()["error"]["details"]["retry_after_seconds"] >= 1
    assert other_camera.status_code == 202
    assert Snapshot.objects.filter(camera="pc").count() == 20


def test_the_upload_queues_its_analysis_after_commit(django_capture_on_commit_callbacks,
                                                     monkeypatch):
    queued = []
    monkeypatch.setattr(analysis, "analysis_enqueue",
                        lambda *, snapshot_id: queued.append(snapshot_id))
    _exam, [client] = started_attempt()

    with django_capture_on_commit_callbacks(execute=True):
        response = upload(client, frame("obama"))

    assert response.status_code == 202
    assert queued == [Snapshot.objects.get().pk]


def test_a_broker_that_cannot_be_reached_does_not_refuse_the_upload(
        django_capture_on_commit_callbacks, monkeypatch):
    def unreachable(*, snapshot_id):
        raise ConnectionError("broker down")

    monkeypatch.setattr(analysis, "analysis_enqueue", unreachable)
    _exam, [client] = started_attempt()

    with django_capture_on_commit_callbacks(execute=True):
        response = upload(client, frame("obama"))

    assert response.status_code == 202
    assert Snapshot.objects.get().analysis_status == "pending"


# --- the same routes through the ASGI fast path (ADR 0007) ----------------------------

@pytest.fixture
def fast_app(request):
    """config.asgi's application behind the snapshot fast path; its upload threads and
    the in-process analysis thread are stopped afterwards (the test database can only
    be dropped without their connections)."""
    from config.asgi import application
    from examhall.proctoring import fastpath, worker

    yield fastpath.SnapshotFastPath(application)
    worker.shutdown()
    fastpath.close_pool()


def _asgi(app, method: str, path: str, *, token: str | None = None, data: bytes | None = None,
          fields: dict[str, str] | None = None, content: bytes | None = None,
          headers: dict[str, str] | None = None, language: str = "en"):
    import asyncio
    from concurrent.futures import ThreadPoolExecutor

    import httpx

    async def go():
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as http:
            sent = {"Accept-Language": language, **(headers or {})}
            if token is not None:
                sent["Authorization"] = f"Bearer {token}"
            files = None if data is None else {"image": ("s.jpg", data, "image/jpeg")}
            return await http.request(method, path, headers=sent, files=files,
                                      data=fields, content=content)

    with ThreadPoolExecutor(max_workers=1) as pool:  # a loop of its own, whatever runs here
        return pool.submit(asyncio.run, go()).result()


def _fast_upload(app, client, data: bytes, *, camera: str = "pc", reason: str = "interval",
                 attempt_id: str | None = None, token: str | None = None, language: str = "en"):
    return _asgi(app, "POST", f"/api/attempts/{attempt_id or client.attempt_id}/snapshots",
                 token=token or client.token, data=data,
                 fields={"camera": camera, "reason": reason}, language=language)


def _with_comment(data: bytes) -> bytes:
    out = io.BytesIO()
    Image.open(io.BytesIO(data)).save(out, format="JPEG", comment=b"secret note")
    return with_exif(out.getvalue())


@pytest.mark.django_db(transaction=True)
def test_the_fast_path_stores_a_snapshot_like_the_api_without_any_metadata(fast_app):
    _exam, [client] = started_attempt()
    sent = _with_comment(frame("obama"))
    assert b"secret note" in sent and Image.open(io.BytesIO(sent)).getexif()

    response = _fast_upload(fast_app, client, sent)

    assert response.status_code == 202, response.content
    body = response.json()
    assert set(body) == {"snapshot_id", "camera", "taken_at", "analysis", "next_in_seconds"}
    assert (body["camera"], body["analysis"], body["next_in_seconds"]) == ("pc", "pending", 15)
    snapshot = Snapshot.objects.get(pk=body["snapshot_id"])
    assert str(snapshot.attempt_id) == client.attempt_id
    with default_storage.open(snapshot.image.name, "rb") as stored:
        data = stored.read()
    assert b"secret note" not in data
    image = Image.open(io.BytesIO(data))
    assert image.format == "JPEG" and not image.getexif() and "comment" not in image.info
    assert (snapshot.width, snapshot.height) == (640, 480) and snapshot.size_bytes == len(data)
    assert CameraPresence.objects.get(attempt_id=client.attempt_id,
                                      camera="pc").last_snapshot_at == snapshot.taken_at


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize(("data", "status", "code"), [
    (SVG, 415, "unsupported_image_type"),
    (_png(), 415, "unsupported_image_type"),
    (frame("obama")[:2000], 422, "invalid_image"),
    (b"\xff\xd8\xff" + b"\x00" * (3 * 1024 * 1024), 413, "image_too_large"),
    (jpeg(np.zeros((10, 4100, 3), dtype=np.uint8)), 413, "image_too_large"),
], ids=["svg", "png", "truncated-jpeg", "3-mb", "4100-px-wide"])
def test_the_fast_path_refuses_hostile_uploads_as_the_api_does(fast_app, data, status, code):
    _exam, [client] = started_attempt()

    response = _fast_upload(fast_app, client, data)

    assert response.status_code == status, response.content
    assert _error(response) == code and response.json()["error"]["message"]
    assert not Snapshot.objects.exists() and not CameraPresence.objects.exists()


@pytest.mark.django_db(transaction=True)
def test_the_fast_path_refuses_malformed_requests_with_clear_errors(fast_app):
    _exam, [client] = started_attempt()
    path = f"/api/attempts/{client.attempt_id}/snapshots"

    no_image = _asgi(fast_app, "POST", path, token=client.token, fields={"camera": "pc"},
                     content=None)
    no_camera = _asgi(fast_app, "POST", path, token=client.token, data=frame("obama"))
    not_multipart = _asgi(fast_app, "POST", path, token=client.token, content=b"{}",
                          headers={"Content-Type": "application/json"})
    torn = _asgi(fast_app, "POST", path, token=client.token, content=b"--x\r\ngarbage",
                 headers={"Content-Type": "multipart/form-data; boundary=x"})
    tablet = _fast_upload(fast_app, client, frame("obama"), camera="tablet")
    reason = _fast_upload(fast_app, client, frame("obama"), reason="because")

    for response in (no_image, no_camera, not_multipart, torn, tablet, reason):
        assert response.status_code == 422, response.content
        assert _error(response) == "invalid_input" and response.json()["error"]["message"]
    assert [f["field"] for f in no_image.json()["error"]["details"]["fields"]] == ["image"]
    assert [f["field"] for f in no_camera.json()["error"]["details"]["fields"]] == ["camera"]
    assert not Snapshot.objects.exists()


@pytest.mark.django_db(transaction=True)
def test_the_fast_path_checks_the_token_the_attempt_and_its_state(fast_app):
    _exam, [mine, theirs] = started_attempt(candidates=2)
    _exam2, [waiting] = started_attempt(start=False)

    forged = _fast_upload(fast_app, mine, frame("obama"), token="forged")
    other = _fast_upload(fast_app, mine, frame("obama"), attempt_id=theirs.attempt_id)
    early = _fast_upload(fast_app, waiting, frame("obama"))
    phone_route = _asgi(fast_app, "POST", "/api/phone/snapshots", token=mine.token,
                        data=frame("obama"))

    assert (forged.status_code, _error(forged)) == (401, "not_authenticated")
    assert (other.status_code, _error(other)) == (404, "attempt_not_found")
    assert (early.status_code, _error(early)) == (409, "attempt_not_in_progress")
    assert phone_route.status_code == 401  # an attempt token is not a phone credential
    assert not Snapshot.objects.exists()


@pytest.mark.django_db(transaction=True)
def test_the_fast_path_answers_in_the_candidates_language(fast_app):
    _exam, [client] = started_attempt()

    english = _fast_upload(fast_app, client, SVG)
    chinese = _fast_upload(fast_app, client, SVG, language="zh-hans")

    assert english.json()["error"]["message"] == "Only JPEG or WebP pictures are accepted."
    assert chinese.json()["error"]["message"] == "仅接受 JPEG 或 WebP 格式的图像。"
    assert chinese.headers["content-language"] == "zh-hans"


@pytest.mark.django_db(transaction=True)
def test_the_fast_path_counts_uploads_against_the_same_rate_limit(fast_app, settings):
    # The limiter counts in fixed windows; a day-long one keeps this test from
    # straddling a window's end (a minute's would, now and then, on a slow machine).
    settings.EXAMHALL_SNAPSHOT_RATE = "20/d"
    _exam, [client] = started_attempt()
    data = frame("obama")
    assert [upload(client, data).status_code for _ in range(10)] == [202] * 10  # via Django

    statuses = [_fast_upload(fast_app, client, data).status_code for _ in range(11)]

    assert statuses == [202] * 10 + [429]
    assert _fast_upload(fast_app, client, data, camera="phone").status_code == 202
    assert Snapshot.objects.filter(camera="pc").count() == 20


@pytest.mark.django_db(transaction=True)
def test_a_paired_phone_uploads_through_the_fast_path_while_the_pairing_is_active(fast_app):
    from examhall.proctoring.tests.pairing_helpers import paired_phone

    _exam, [pc] = started_attempt(start=False)
    phone = paired_phone(pc, confirm=False)
    early = _asgi(fast_app, "POST", "/api/phone/snapshots", token=phone.credential,
                  data=frame("obama"), fields={"reason": "interval"})
    assert (early.status_code, _error(early)) == (409, "attempt_not_in_progress")
    pc.start()

    sent = _asgi(fast_app, "POST", "/api/phone/snapshots", token=phone.credential,
                 data=frame("obama"), fields={"camera": "pc", "reason": "event"})
    as_attempt = _fast_upload(fast_app, pc, frame("obama"), camera="phone",
                              token=phone.credential)
    assert pc.post("/phone-pairing/end").status_code == 200
    ended = _asgi(fast_app, "POST", "/api/phone/snapshots", token=phone.credential,
                  data=frame("obama"))

    assert sent.status_code == 202, sent.content
    assert set(sent.json()) == {"snapshot_id", "taken_at", "next_in_seconds"}
    assert sent.json()["next_in_seconds"] == 20
    snapshot = Snapshot.objects.get(pk=sent.json()["snapshot_id"])
    assert (str(snapshot.attempt_id), snapshot.camera, snapshot.reason) == (
        pc.attempt_id, "phone", "event")  # the phone route sends the phone camera only
    assert as_attempt.status_code == 401  # a phone credential is not the attempt token
    assert (ended.status_code, _error(ended)) == (410, "pairing_ended")
    assert ended.json()["error"]["details"]["reason"] == "unpaired"
    assert Snapshot.objects.count() == 1


@pytest.mark.django_db(transaction=True)
def test_other_requests_pass_through_the_fast_path_to_django(fast_app):
    _exam, [client] = started_attempt()

    listing = _asgi(fast_app, "GET", f"/api/attempts/{client.attempt_id}/monitoring",
                    token=client.token)
    heartbeat = _asgi(fast_app, "POST", f"/api/attempts/{client.attempt_id}/heartbeat",
                      token=client.token, content=b'{"camera": "pc"}',
                      headers={"Content-Type": "application/json"})

    assert listing.status_code == 200 and listing.json()["grace_seconds"] > 0
    assert heartbeat.status_code == 200 and heartbeat.json()["cameras"]
