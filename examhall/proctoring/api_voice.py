"""The voice check's API (mounted under /api/): the PC page sends a few seconds of its
microphone when it heard a voice; the server looks for speech in the background.

Authenticated by the attempt token like the rest of the candidate API; someone else's
attempt is a 404.
"""

from __future__ import annotations

import datetime as dt
import uuid

from django.http import HttpRequest
from ninja import File, Router, Schema, Status
from ninja.files import UploadedFile

from examhall.delivery.api import ERRORS, attempt_auth, own_attempt
from examhall.delivery.schemas import ErrorOut
from examhall.proctoring.services import voice

router = Router(tags=["proctoring"])

UPLOAD_ERRORS = {**ERRORS, 413: ErrorOut, 415: ErrorOut}


class AudioClipOut(Schema):
    clip_id: uuid.UUID
    analysis: str
    received_at: dt.datetime


@router.post("/attempts/{attempt_id}/audio-clips", response={202: AudioClipOut, **UPLOAD_ERRORS},
             auth=attempt_auth)
def audio_clip_upload(request: HttpRequest, attempt_id: uuid.UUID,
                      audio: File[UploadedFile]) -> Status:
    """A few seconds of the PC microphone (multipart: ``audio``, a WAV of 16-bit PCM,
    mono or stereo, ≤ 10 s and ≤ 1 MB; at most one per 20 s). Stored at once; speech
    is looked for in the background (202)."""
    attempt = own_attempt(request, attempt_id)
    voice.check_audio_clip_allowed(request, attempt_id=attempt.pk)
    clip = voice.audio_clip_upload(attempt=attempt, data=audio.read(voice.MAX_BYTES + 1))
    return Status(202, {"clip_id": clip.pk, "analysis": clip.analysis_status,
                        "received_at": clip.taken_at})
