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
