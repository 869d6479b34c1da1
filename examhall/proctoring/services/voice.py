"""Audio clips from the PC microphone: the page heard something and sends a few seconds
of it; the server decides with the Silero voice-activity model whether it was speech.

An upload is checked (a RIFF/WAVE file of 16-bit PCM, at most 1 MB and 10 s), stored
as 16 kHz mono 16-bit PCM under a path that does not name the candidate, and its
analysis runs after commit: a Celery task (``voice_tasks``) with a broker; in the
embedded profile, in the request's thread right after commit (the model needs about
25 ms for a 4-second clip on one core: see ADR 0008). Speech raises (or extends) the
attempt's ``voice_activity`` flag naming the clip; a clip without speech is kept as
analysed, without a flag.
"""

from __future__ import annotations

import logging
import uuid

from django.conf import settings
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import transaction
from django.http import HttpRequest
from django.utils.translation import gettext as _
from django_ratelimit import ALL
from django_ratelimit.core import get_usage

from examhall import vision
from examhall.core import clock
from examhall.core.errors import ApplicationError
from examhall.delivery.models import Attempt
from examhall.proctoring.models import AudioClip
from examhall.proctoring.selectors import policy_for, thresholds_for
from examhall.proctoring.services.flags import flag_raise
from examhall.proctoring.services.uploads import _refuse_unless_monitored
from examhall.vision.voice import SAMPLE_RATE

logger = logging.getLogger(__name__)

MAX_BYTES = 1024 * 1024
MAX_SECONDS = 10.0
CLIP_RATE = "1/20s"
"""At most one clip per 20 s per attempt (the page records ~4 s after it heard a voice,
and waits at least 30 s before sending the next clip)."""

FLAG_TYPE = "voice_activity"
PENDING = AudioClip.Analysis.PENDING

_AUDIO_ERRORS = {
    "not_wav": (415, "unsupported_audio_type"),
    "unsupported_format": (415, "unsupported_audio_type"),
    "not_decodable": (422, "invalid_audio"),
}


def check_audio_clip_allowed(request: HttpRequest, *, attempt_id: uuid.UUID) -> None:
    """Count this upload; refuse it (429) when the attempt sent a clip too recently."""
    rate = getattr(settings, "EXAMHALL_AUDIO_CLIP_RATE", CLIP_RATE)
    key = str(attempt_id)
    usage = get_usage(request, group="proctoring.audio_clip", key=lambda _g, _r: key,
                      rate=rate, method=ALL, increment=True)
    if usage and usage["should_limit"]:
        wait = max(int(usage["time_left"]), 1)
        raise ApplicationError("too_many_audio_clips",
                               _("Sound recordings are arriving too fast. Please wait a "
                                 "moment."), status=429,
                               details={"retry_after_seconds": wait})


def _too_large(reason: str) -> ApplicationError:
    return ApplicationError("audio_too_large",
                            _("The recording is too large (at most 10 seconds and 1 MB)."),
                            status=413, details={"reason": reason})


def _normalise(data: bytes) -> tuple[bytes, int]:
    """The clip as a 16 kHz mono 16-bit PCM WAV, and its length in milliseconds."""
    if len(data) > MAX_BYTES:
        raise _too_large("too_large")
    try:
        info = vision.wav_info(data)
        if info.duration_seconds > MAX_SECONDS:
            raise _too_large("too_long")
        samples = vision.load_wav(data)
    except vision.AudioError as error:
        status, code = _AUDIO_ERRORS[error.code]
        message = {
            "unsupported_audio_type": _("Only WAV recordings (16-bit PCM, mono or stereo) "
                                        "are accepted."),
            "invalid_audio": _("The recording could not be read."),
        }[code]
        raise ApplicationError(code, message, status=status,
                               details={"reason": error.code}) from error
    duration_ms = round(samples.size * 1000 / SAMPLE_RATE)
    return vision.encode_wav(samples), duration_ms


def audio_clip_upload(*, attempt: Attempt, data: bytes) -> AudioClip:
    """Store a microphone clip (a WAV of 16-bit PCM, ≤ 1 MB, ≤ 10 s) as 16 kHz mono
    under a path that does not name the candidate, and queue its analysis."""
    _refuse_unless_monitored(attempt)
    wav, duration_ms = _normalise(data)
    clip = AudioClip(attempt=attempt, taken_at=clock.now(), duration_ms=duration_ms,
                     size_bytes=len(wav))
    clip.audio.save("clip.wav", ContentFile(wav), save=False)
    try:
        with transaction.atomic():
            clip.save()
            transaction.on_commit(lambda: _enqueue(clip.pk))
    except Exception:
        clip.audio.delete(save=False)
        raise
    return clip


def _enqueue(clip_id: uuid.UUID) -> None:
    """After commit. The clip is stored whatever happens here: a broker that cannot be
    reached leaves it pending, not an error."""
    try:
        audio_analysis_enqueue(clip_id=clip_id)
    except Exception:
        logger.exception("could not queue the analysis of audio clip %s", clip_id)


def audio_analysis_enqueue(*, clip_id: uuid.UUID) -> None:
    """Hand a stored clip to the background: a Celery worker when a broker is
    configured; without one (the embedded profile) it is analysed now, in this thread,
    as the in-process snapshot worker takes only snapshots (ADR 0008)."""
    if getattr(settings, "EXAMHALL_ANALYSIS_INPROCESS", settings.CELERY_TASK_ALWAYS_EAGER):
        analyse_audio_clip(clip_id)
        return
    from examhall.proctoring.voice_tasks import analyse_audio_clip_task

    analyse_audio_clip_task.delay(str(clip_id))


def _mark(clip_id: uuid.UUID, status: str, analysis: dict, speech: float | None) -> bool:
    return bool(AudioClip.objects.filter(pk=clip_id, analysis_status=PENDING).update(
        analysis_status=status, analysis=analysis, speech_seconds=speech,
        analysed_at=clock.now()))


def analyse_audio_clip(clip_id: uuid.UUID) -> AudioClip:
    """Look for speech in a stored clip; speech raises the attempt's ``voice_activity``
    flag naming the clip. Idempotent: a clip already analysed is left as it is."""
    clip = AudioClip.objects.select_related("attempt__registration").get(pk=clip_id)
    if clip.analysis_status != PENDING:
        return clip
    try:
        with default_storage.open(clip.audio.name, "rb") as stored:
            activity = vision.analyse_wav(stored.read())
    except Exception as error:  # a broken file or a missing model must not stop the queue
        logger.exception("analysis of audio clip %s failed", clip_id)
        _mark(clip_id, AudioClip.Analysis.FAILED, {"error": type(error).__name__}, None)
        clip.refresh_from_db()
        return clip
    speech = activity.speech_seconds
    with transaction.atomic():
        if _mark(clip_id, AudioClip.Analysis.DONE, activity.to_dict(), speech) and \
                activity.has_speech:
            gap = thresholds_for(policy_for(clip.attempt.registration.exam_id))
            flag_raise(attempt_id=clip.attempt_id, flag_type=FLAG_TYPE, at=clip.taken_at,
                       gap_seconds=gap.episode_gap_seconds,
                       details={"clip": str(clip.pk), "speech_seconds": speech})
    clip.refresh_from_db()
    return clip
