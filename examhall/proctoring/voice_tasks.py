"""The background job of the voice check: analyse one uploaded microphone clip (Celery
in production; without a broker the upload analyses it right after commit)."""

from __future__ import annotations

import uuid

from celery import shared_task

from examhall.proctoring.services.voice import analyse_audio_clip


@shared_task(name="examhall.proctoring.voice_tasks.analyse_audio_clip", acks_late=True,
             reject_on_worker_lost=True)
def analyse_audio_clip_task(clip_id: str) -> str:
    """Acknowledged only once done: a worker killed mid-task leaves the message to be
    delivered again, and the analysis is idempotent. The clip's analysis status."""
    return analyse_audio_clip(uuid.UUID(clip_id)).analysis_status
