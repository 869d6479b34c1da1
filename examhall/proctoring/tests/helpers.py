"""Monitoring tests: a started attempt with its candidate client, and camera pictures."""

from __future__ import annotations

import io
from typing import Any

import numpy as np
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from examhall.delivery.tests.helpers import CandidateClient
from examhall.devtools import factories
from examhall.exams.models import Exam
from examhall.identity.tests.frames import face_photo, frame, jpeg


def started_attempt(*, candidates: int = 1, start: bool = True
                    ) -> tuple[Exam, list[CandidateClient]]:
    exam, _subject, _session, _room, people = factories.make_sitting(questions=1,
                                                                     candidates=candidates)
    clients = []
    for person in people:
        client = CandidateClient(*person)
        assert client.login().status_code == 200
        if start:
            client.start()
        clients.append(client)
    return exam, clients


def upload(client: CandidateClient, data: bytes, *, camera: str = "pc",
           name: str = "snapshot.jpg", content_type: str = "image/jpeg",
           reason: str = "interval", attempt_id: str | None = None) -> Any:
    return client.client.post(
        f"/api/attempts/{attempt_id or client.attempt_id}/snapshots",
        data={"image": SimpleUploadedFile(name, data, content_type=content_type),
              "camera": camera, "reason": reason},
        HTTP_AUTHORIZATION=f"Bearer {client.token}")


def two_faces() -> bytes:
    """Two people side by side in one 640×480 camera frame."""
    canvas = Image.new("RGB", (640, 480), (128, 128, 128))
    for index, name in enumerate(["obama", "biden"]):
        photo = face_photo(name)
        photo.thumbnail((315, 480))
        canvas.paste(photo, (2 + index * 320 + (315 - photo.width) // 2,
                             (480 - photo.height) // 2))
    return jpeg(np.asarray(canvas))


def black() -> bytes:
    return jpeg(np.zeros((480, 640, 3), dtype=np.uint8))


def empty_room() -> bytes:
    """A desk without anyone: shapes and light, no face."""
    canvas = Image.new("RGB", (640, 480), (150, 120, 90))
    pixels = np.asarray(canvas).copy()
    pixels[:200] = (200, 200, 190)  # a wall
    pixels[260:400, 100:300] = (40, 40, 45)  # a keyboard
    pixels[150:330, 420:560] = (20, 60, 160)  # a book
    return jpeg(pixels)


def with_exif(data: bytes) -> bytes:
    """The same picture carrying EXIF (a GPS tag and a camera make)."""
    image = Image.open(io.BytesIO(data))
    exif = Image.Exif()
    exif[0x010F] = "PhoneMaker"  # Make
    exif[0x8825] = {1: "N", 2: (39.0, 54.0, 0.0)}  # GPSInfo
    out = io.BytesIO()
    image.save(out, format="JPEG", exif=exif)
    return out.getvalue()


__all__ = ["black", "empty_room", "frame", "started_attempt", "two_faces", "upload",
           "with_exif"]
