"""`proctoring_purge_evidence`: the images and audio clips of exams past their retention period go
(dry run by default); rows stay, marked purged; exams still within it are untouched."""

from __future__ import annotations

import datetime as dt

import pytest
from django.conf import settings
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command

from examhall.core import clock
from examhall.identity.tests.frames import frame
from examhall.proctoring.models import AudioClip, MonitoringPolicy, Snapshot
from examhall.proctoring.tests.helpers import started_attempt, upload

pytestmark = pytest.mark.django_db

SPEECH = settings.BASE_DIR / "tests" / "fixtures" / "audio" / "speech_en.wav"


def _two_exams() -> tuple[list[Snapshot], list[Snapshot]]:
    """An exam keeping evidence 30 days and one keeping it the default 90 days."""
    short_exam, [short] = started_attempt()
    MonitoringPolicy.objects.create(exam=short_exam, retention_days=30)
    _long_exam, [long] = started_attempt()
    for client in (short, long):
        assert upload(client, frame("obama")).status_code == 202
        assert upload(client, frame("obama2"), camera="phone").status_code == 202
    return (list(Snapshot.objects.filter(attempt_id=short.attempt_id)),
            list(Snapshot.objects.filter(attempt_id=long.attempt_id)))


def _exists(snapshots: list[Snapshot]) -> list[bool]:
    return [default_storage.exists(s.image.name) for s in snapshots]


def test_a_dry_run_prints_what_would_go_and_deletes_nothing(capsys):
    short, long = _two_exams()
    clock.shift(dt.timedelta(days=31))

    call_command("proctoring_purge_evidence")

    out = capsys.readouterr().out
    assert "Would delete 2 images" in out and "--apply" in out
    assert _exists(short) == _exists(long) == [True, True]
    assert not Snapshot.objects.filter(purged_at__isnull=False).exists()


def test_apply_deletes_the_images_of_expired_exams_only_and_marks_the_rows():
    short, long = _two_exams()
    clock.shift(dt.timedelta(days=31))

    call_command("proctoring_purge_evidence", "--apply")

    assert _exists(short) == [False, False]
    assert _exists(long) == [True, True]
    purged = Snapshot.objects.filter(pk__in=[s.pk for s in short])
    assert all(s.purged_at is not None and not s.image for s in purged)
    assert not Snapshot.objects.filter(pk__in=[s.pk for s in long],
                                       purged_at__isnull=False).exists()


def test_nothing_is_purged_while_the_exam_is_within_retention_and_applying_twice_is_harmless(
        capsys):
    short, _long = _two_exams()
    clock.shift(dt.timedelta(days=29))
    call_command("proctoring_purge_evidence", "--apply")
    assert "Deleted 0 images" in capsys.readouterr().out
    assert _exists(short) == [True, True]

    clock.shift(dt.timedelta(days=2))
    call_command("proctoring_purge_evidence", "--apply")
    call_command("proctoring_purge_evidence", "--apply")

    out = capsys.readouterr().out
    assert "Deleted 2 images" in out and out.strip().endswith(
        "Deleted 0 images and 0 audio clips in total.")


def test_audio_clips_go_with_the_images(capsys, django_capture_on_commit_callbacks):
    exam, [client] = started_attempt()
    MonitoringPolicy.objects.create(exam=exam, retention_days=30)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.client.post(
            f"/api/attempts/{client.attempt_id}/audio-clips",
            data={"audio": SimpleUploadedFile("c.wav", SPEECH.read_bytes(),
                                              content_type="audio/wav")},
            HTTP_AUTHORIZATION=f"Bearer {client.token}")
    assert response.status_code == 202, response.content
    clip = AudioClip.objects.get()
    assert default_storage.exists(clip.audio.name)
    clock.shift(dt.timedelta(days=31))

    call_command("proctoring_purge_evidence")
    assert "1 audio clips" in capsys.readouterr().out
    assert default_storage.exists(clip.audio.name)

    call_command("proctoring_purge_evidence", "--apply")
    assert not default_storage.exists(clip.audio.name)
    clip.refresh_from_db()
    assert clip.purged_at is not None and not clip.audio
    assert clip.taken_at and clip.duration_ms  # the row and its times stay
