"""Background jobs of monitoring (Celery in production; the in-process worker thread
and scheduler in the embedded profile call the same services)."""

from __future__ import annotations

import uuid

from celery import shared_task

from examhall.proctoring import services


@shared_task(name="examhall.proctoring.tasks.analyse_snapshot", acks_late=True,
             reject_on_worker_lost=True)
def analyse_snapshot_task(snapshot_id: str) -> str:
    """Acknowledged only once done: a worker killed mid-task leaves the message to be
    delivered again, and the analysis is idempotent."""
    return services.analysis_run(snapshot_id=uuid.UUID(snapshot_id))


@shared_task(name="examhall.proctoring.tasks.check_cameras")
def check_cameras() -> int:
    return len(services.cameras_check_lost())
