"""Pass a candidate's identity check through the API, as the verification page does."""

from __future__ import annotations

from typing import Any

from django.core.files.uploadedfile import SimpleUploadedFile

from examhall.delivery.tests.helpers import CandidateClient
from examhall.identity.models import IdentityCapture
from examhall.identity.tests.frames import frame_array, jpeg
from examhall.vision.faces import detect_faces
from examhall.vision.synthetic import turning_frames


def identity_try(client: CandidateClient, frames: list[bytes], *,
                 challenge: str | None = None) -> Any:
    """Open a try and send ``frames``; ``challenge`` overrides the server's pick."""
    opened = client.post("/identity/captures")
    assert opened.status_code == 200, opened.content
    capture_id = opened.json()["capture_id"]
    if challenge is not None:
        IdentityCapture.objects.filter(pk=capture_id).update(challenge=challenge)
    uploads = [SimpleUploadedFile(f"f{i}.jpg", data, content_type="image/jpeg")
               for i, data in enumerate(frames)]
    return client.client.post(
        f"/api/attempts/{client.attempt_id}/identity/captures/{capture_id}",
        data={"frames": uploads}, HTTP_AUTHORIZATION=f"Bearer {client.token}")


def turning_burst(photo: str = "astronaut", direction: str = "turn_left") -> list[bytes]:
    """Twelve camera frames of ``photo`` whose head turns (``vision.synthetic``):
    what a live candidate's burst looks like to the liveness judge."""
    array = frame_array(photo)
    box = detect_faces(array)[0].box
    frames = turning_frames(array, (box.left, box.top, box.right, box.bottom), direction,
                            count=12)
    return [jpeg(frame) for frame in frames]


def pass_identity(client: CandidateClient, photo: str = "astronaut") -> Any:
    """A live turn of ``photo`` (the challenge set to match), expected to pass."""
    response = identity_try(client, turning_burst(photo), challenge="turn_left")
    assert response.status_code == 200 and response.json()["passed"], response.content
    return response
