"""Microphone clips through the candidate API: stored as 16 kHz mono WAV under paths
that do not name the candidate, analysed for speech after commit (speech raises the
voice_activity flag naming the clip), and hostile uploads refused with a clear code."""

from __future__ import annotations

import io
import re
import struct
import wave
from pathlib import Path

import numpy as np
import pytest
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import override_settings

from examhall.identity.tests.frames import frame
from examhall.proctoring.models import AudioClip, Flag
from examhall.proctoring.services import voice
from examhall.proctoring.tests.helpers import started_attempt
from examhall.proctoring.voice_tasks import analyse_audio_clip_task

AUDIO = Path(__file__).resolve().parents[3] / "tests" / "fixtures" / "audio"

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("media_root")]

# Without a broker the clip is analysed right after commit; the tests marked so take that
# path in both profiles (the Celery task is tested on its own at the end).
INPROCESS = override_settings(EXAMHALL_ANALYSIS_INPROCESS=True)


@pytest.fixture
def media_root(settings, tmp_path: Path) -> Path:
    settings.MEDIA_ROOT = tmp_path
    return tmp_path


def _fixture(name: str) -> bytes:
    return (AUDIO / name).read_bytes()


def _wav(pcm: np.ndarray, rate: int = 16_000, channels: int = 1, *, tag: int = 1) -> bytes:
    payload = pcm.astype("<i2").tobytes()
    return struct.pack("<4sI4s4sIHHIIHH4sI", b"RIFF", 36 + len(payload), b"WAVE", b"fmt ",
                       16, tag, channels, rate, rate * channels * 2, channels * 2, 16,
                       b"data", len(payload)) + payload


def _stereo_48k(name: str) -> bytes:
    """A fixture as a 48 kHz stereo recording (what a PC's sound card gives)."""
    with wave.open(io.BytesIO(_fixture(name))) as source:
        mono = np.frombuffer(source.readframes(source.getnframes()), dtype="<i2")
    up = np.repeat(mono, 3)  # crude but enough: the server resamples it back
    return _wav(np.repeat(up, 2), 48_000, 2)


def _upload(client, data: bytes, *, name: str = "clip.wav", content_type: str = "audio/wav",
            attempt_id: str | None = None):
    return client.client.post(
        f"/api/attempts/{attempt_id or client.attempt_id}/audio-clips",
        # duration_ms: what the exam page sends too; the server measures it itself.
        data={"audio": SimpleUploadedFile(name, data, content_type=content_type),
              "duration_ms": "4000"},
        HTTP_AUTHORIZATION=f"Bearer {client.token}")


def _error(response) -> str:
    return response.json()["error"]["code"]


def _stored_files(root: Path) -> list[Path]:
    return [path for path in root.rglob("*") if path.is_file()]


@INPROCESS
def test_speech_is_stored_analysed_after_commit_and_flagged_naming_the_clip(
        django_capture_on_commit_callbacks):
    _exam, [client] = started_attempt()

    with django_capture_on_commit_callbacks(execute=True):
        response = _upload(client, _fixture("speech_zh.wav"),
                           name=f"{client.registration.ticket_number}.wav")

    assert response.status_code == 202, response.content
    body = response.json()
    assert body["analysis"] == "pending"  # the answer did not wait for the analysis
    assert set(body) == {"clip_id", "analysis", "received_at"}
    clip = AudioClip.objects.get(pk=body["clip_id"])
    assert re.fullmatch(r"audio/[0-9a-f]{2}/[0-9a-f]{32}\.wav", clip.audio.name)
    assert client.registration.ticket_number not in clip.audio.name
    assert clip.analysis_status == "done"
    assert clip.speech_seconds > 2
    assert clip.analysis["has_speech"] is True and clip.analysis["segments"]
    flag = Flag.objects.get(attempt_id=client.attempt_id)
    assert flag.type == "voice_activity" and flag.category == "environment"
    assert flag.details == {"clip": str(clip.pk), "speech_seconds": clip.speech_seconds}


@INPROCESS
def test_a_stereo_48_khz_clip_is_kept_as_16_khz_mono(django_capture_on_commit_callbacks):
    _exam, [client] = started_attempt()

    with django_capture_on_commit_callbacks(execute=True):
        response = _upload(client, _stereo_48k("speech_en.wav"))

    assert response.status_code == 202, response.content
    clip = AudioClip.objects.get()
    with default_storage.open(clip.audio.name, "rb") as stored:
        data = stored.read()
    with wave.open(io.BytesIO(data)) as kept:
        assert (kept.getframerate(), kept.getnchannels(), kept.getsampwidth()) == (16_000, 1, 2)
        frames = kept.getnframes()
    original = len(_fixture("speech_en.wav")) - 44
    assert abs(frames * 2 - original) <= 4
    assert clip.duration_ms == round(frames / 16)
    assert clip.size_bytes == len(data)
    assert Flag.objects.filter(type="voice_activity").count() == 1


@INPROCESS
@pytest.mark.parametrize("name", ["silence.wav", "white_noise.wav", "keyboard_clicks.wav",
                                  "tone_440hz.wav"])
def test_a_clip_without_speech_is_kept_as_analysed_without_a_flag(
        name, django_capture_on_commit_callbacks):
    _exam, [client] = started_attempt()

    with django_capture_on_commit_callbacks(execute=True):
        response = _upload(client, _fixture(name))

    assert response.status_code == 202, response.content
    clip = AudioClip.objects.get()
    assert clip.analysis_status == "done"
    assert clip.speech_seconds == 0 and clip.analysis["has_speech"] is False
    assert default_storage.exists(clip.audio.name)
    assert not Flag.objects.exists()


@INPROCESS
@override_settings(EXAMHALL_AUDIO_CLIP_RATE="100/m")
def test_speech_again_extends_the_same_episode_and_names_the_latest_clip(
        django_capture_on_commit_callbacks):
    _exam, [client] = started_attempt()

    with django_capture_on_commit_callbacks(execute=True):
        assert _upload(client, _fixture("speech_en.wav")).status_code == 202
        assert _upload(client, _fixture("silence.wav")).status_code == 202
        latest = _upload(client, _fixture("speech_zh.wav"))

    flag = Flag.objects.get()
    assert flag.count == 2
    assert flag.details["clip"] == latest.json()["clip_id"]
    assert AudioClip.objects.filter(analysis_status="done").count() == 3


_SILENT = np.zeros(16_000, dtype=np.int16)


@pytest.mark.parametrize(("data", "name", "status", "code"), [
    (b"this is not a recording at all" * 10, "clip.wav", 415, "unsupported_audio_type"),
    (frame("obama"), "clip.wav", 415, "unsupported_audio_type"),  # a JPEG renamed .wav
    (b"\x89PNG\r\n\x1a\n" + b"\x00" * 2000, "clip.wav", 415, "unsupported_audio_type"),
    (_wav(_SILENT, tag=3), "clip.wav", 415, "unsupported_audio_type"),  # not PCM
    (_wav(_SILENT)[:-20000], "clip.wav", 422, "invalid_audio"),  # truncated
    (b"RIFF\x24\x00\x00\x00WAVE", "clip.wav", 422, "invalid_audio"),  # no chunks
    (_wav(_SILENT)[:44] + b"\x00" * (20 * 1024 * 1024), "clip.wav", 413, "audio_too_large"),
    (_wav(np.zeros(30 * 16_000, dtype=np.int16)), "clip.wav", 413, "audio_too_large"),
], ids=["text", "jpeg-renamed-wav", "png-renamed-wav", "float-wav", "truncated-wav",
        "empty-wav", "20-mb", "30-seconds"])
def test_hostile_or_oversized_uploads_are_refused_clearly_and_nothing_is_kept(
        data, name, status, code, media_root, django_capture_on_commit_callbacks):
    _exam, [client] = started_attempt()

    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        response = _upload(client, data, name=name)

    assert response.status_code == status, response.content
    assert _error(response) == code
    assert response.json()["error"]["message"]
    assert not AudioClip.objects.exists()
    assert _stored_files(media_root) == []
    assert callbacks == []


def test_a_clip_for_another_candidates_attempt_is_not_found(media_root):
    _exam, [mine, theirs] = started_attempt(candidates=2)

    response = _upload(mine, _fixture("speech_en.wav"), attempt_id=theirs.attempt_id)

    assert response.status_code == 404 and _error(response) == "attempt_not_found"
    assert not AudioClip.objects.exists()
    assert _stored_files(media_root) == []


def test_a_clip_before_the_exam_started_is_refused(media_root):
    _exam, [client] = started_attempt(start=False)

    response = _upload(client, _fixture("speech_en.wav"))

    assert response.status_code == 409 and _error(response) == "attempt_not_in_progress"
    assert not AudioClip.objects.exists()
    assert _stored_files(media_root) == []


def test_a_clip_without_a_valid_token_is_refused():
    _exam, [client] = started_attempt()
    client.token = "forged"

    response = _upload(client, _fixture("speech_en.wav"))

    assert response.status_code == 401
    assert not AudioClip.objects.exists()


def test_a_request_without_the_audio_field_is_refused():
    _exam, [client] = started_attempt()

    response = client.client.post(f"/api/attempts/{client.attempt_id}/audio-clips", data={},
                                  HTTP_AUTHORIZATION=f"Bearer {client.token}")

    assert response.status_code == 422 and _error(response) == "invalid_input"


def test_one_clip_per_20_seconds_per_attempt():
    _exam, [alice, bob] = started_attempt(candidates=2)
    assert _upload(alice, _fixture("silence.wav")).status_code == 202

    refused = _upload(alice, _fixture("silence.wav"))
    other_attempt = _upload(bob, _fixture("silence.wav"))

    assert refused.status_code == 429 and _error(refused) == "too_many_audio_clips"
    assert 1 <= refused.json()["error"]["details"]["retry_after_seconds"] <= 20
    assert other_attempt.status_code == 202
    assert AudioClip.objects.filter(attempt_id=alice.attempt_id).count() == 1


def test_a_broker_that_cannot_be_reached_does_not_refuse_the_clip(
        django_capture_on_commit_callbacks, monkeypatch):
    def unreachable(*, clip_id):
        raise ConnectionError("broker down")

    monkeypatch.setattr(voice, "audio_analysis_enqueue", unreachable)
    _exam, [client] = started_attempt()

    with django_capture_on_commit_callbacks(execute=True):
        response = _upload(client, _fixture("speech_en.wav"))

    assert response.status_code == 202
    assert AudioClip.objects.get().analysis_status == "pending"
    assert not Flag.objects.exists()


@override_settings(EXAMHALL_ANALYSIS_INPROCESS=False)
def test_with_a_broker_the_celery_task_analyses_the_clip_once(
        monkeypatch, django_capture_on_commit_callbacks):
    queued: list[str] = []
    monkeypatch.setattr(analyse_audio_clip_task, "delay", queued.append)  # the broker
    _exam, [client] = started_attempt()
    with django_capture_on_commit_callbacks(execute=True):
        response = _upload(client, _fixture("speech_en.wav"))
    clip_id = response.json()["clip_id"]
    assert queued == [clip_id]
    assert AudioClip.objects.get().analysis_status == "pending"

    first = analyse_audio_clip_task.apply(args=[clip_id])
    again = analyse_audio_clip_task.apply(args=[clip_id])  # delivered twice (acks late)

    assert first.get() == again.get() == "done"
    assert analyse_audio_clip_task.acks_late is True
    flag = Flag.objects.get()
    assert flag.count == 1 and flag.details["clip"] == clip_id
