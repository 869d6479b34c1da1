"""Background jobs of monitoring (Celery in production; the in-process worker thread
and scheduler in the embedded profile call the same services)."""

from __future__ import annotations

import threading
import uuid

from celery import shared_task
from django.conf import settings

from examhall.proctoring import services, worker
from examhall.proctoring.models import Snapshot
from examhall.proctoring.publisher import publisher
from examhall.proctoring.services.analysis import analysis_requeue
from examhall.proctoring.voice_tasks import analyse_audio_clip_task  # noqa: F401  (registers it)

_lowered = threading.local()


def _run_below_requests() -> None:
    """Once per worker thread: analysis runs at a lower CPU priority than the web
    requests sharing the machine (``worker.lower_priority``; and, for a worker in a
    session of its own, the session's: ``worker.lower_session_priority``)."""
    if not getattr(_lowered, "done", False):
        _lowered.done = True
        worker.lower_priority()
        if not settings.CELERY_TASK_ALWAYS_EAGER:  # a real worker, not the web process
            worker.lower_session_priority()


@shared_task(name="examhall.proctoring.tasks.analyse_snapshot", acks_late=True,
             reject_on_worker_lost=True)
def analyse_snapshot_task(snapshot_id: str) -> str:
    """Acknowledged only once done: a worker killed mid-task leaves the message to be
    delivered again, and the analysis is idempotent."""
    _run_below_requests()
    return services.analysis_run(snapshot_id=uuid.UUID(snapshot_id))


@shared_task(name="examhall.proctoring.tasks.analyse_snapshots", acks_late=True,
             reject_on_worker_lost=True)
def analyse_snapshots_task(snapshot_ids: list[str]) -> dict[str, int]:
    """A batch of uploads (``proctoring.publisher``), oldest first: a snapshot with a
    newer one of its camera waiting is skipped for it. Acknowledged once all are done;
    a worker killed mid-batch leaves the batch to be delivered again (idempotent)."""
    _run_below_requests()
    outcomes: dict[str, int] = {}
    for snapshot_id in snapshot_ids:
        try:
            status = services.analysis_run(snapshot_id=uuid.UUID(snapshot_id))
        except Snapshot.DoesNotExist:  # purged in between
            status = "missing"
        outcomes[status] = outcomes.get(status, 0) + 1
    return outcomes


@shared_task(name="examhall.proctoring.tasks.check_cameras")
def check_cameras() -> int:
    return len(services.cameras_check_lost())


@shared_task(name="examhall.proctoring.tasks.requeue_analysis")
def requeue_analysis() -> int:
    """Queue again the analysis of snapshots left pending (broker down at upload, worker
    lost, process restarted): Celery beat in production, the in-process scheduler in
    the embedded profile."""
    queued = analysis_requeue()
    publisher.flush()  # now, not in 0.2 s: this task's process may be about to idle
    return len(queued)
