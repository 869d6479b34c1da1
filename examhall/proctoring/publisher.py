"""Snapshot ids handed to the Celery workers in batches (production profile).

Publishing one Celery message per upload cost about 2 ms of the web process's CPU
(serialisation, the broker round trip) — a sixth of an upload's. Uploads instead drop
their snapshot id here after commit; the process's sender thread publishes what has
gathered every ``INTERVAL_SECONDS`` (sooner at ``MAX_BATCH``) as one
``analyse_snapshots`` message (``core.batching``). Nothing is lost for good if the
process dies first or the broker is down: the snapshots stay pending and the re-queue
sweep hands them over again (ADR 0007).
"""

from __future__ import annotations

import logging
import uuid

from examhall.core.batching import BatchSender

logger = logging.getLogger(__name__)

INTERVAL_SECONDS = 0.2
MAX_BATCH = 100


def _publish(snapshot_ids: list[uuid.UUID]) -> int:
    """One message for the batch; the number of ids sent (0 when the broker could not
    be reached: they stay pending for the sweep)."""
    from examhall.proctoring.tasks import analyse_snapshots_task

    try:
        analyse_snapshots_task.delay([str(snapshot_id) for snapshot_id in snapshot_ids])
    except Exception:
        logger.exception("could not queue the analysis of %d snapshots; the sweep "
                         "will queue them again", len(snapshot_ids))
        return 0
    return len(snapshot_ids)


publisher: BatchSender[uuid.UUID] = BatchSender(
    _publish, name="examhall-analysis-publisher", interval=INTERVAL_SECONDS,
    max_batch=MAX_BATCH)
