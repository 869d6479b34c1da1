"""Snapshot ids handed to the Celery workers in batches (production profile).

Publishing one Celery message per upload cost about 2 ms of the web process's CPU
(serialisation, the broker round trip) — a sixth of an upload's. Uploads instead drop
their snapshot id here after commit; a daemon thread publishes what has gathered every
``INTERVAL_SECONDS`` (sooner at ``MAX_BATCH``) as one ``analyse_snapshots`` message.
Nothing is lost for good if the process dies first or the broker is down: the
snapshots stay pending and the re-queue sweep hands them over again (ADR 0007).
"""

from __future__ import annotations

import atexit
import logging
import threading
import uuid

logger = logging.getLogger(__name__)

INTERVAL_SECONDS = 0.2
MAX_BATCH = 100


class BatchPublisher:
    def __init__(self, *, interval: float = INTERVAL_SECONDS, max_batch: int = MAX_BATCH
                 ) -> None:
        self.interval = interval
        self.max_batch = max_batch
        self._ids: list[str] = []
        self._lock = threading.Lock()
        self._wake = threading.Event()
        self._thread: threading.Thread | None = None

    def add(self, snapshot_id: uuid.UUID) -> None:
        with self._lock:
            self._ids.append(str(snapshot_id))
            full = len(self._ids) >= self.max_batch
            if self._thread is None or not self._thread.is_alive():
                self._thread = threading.Thread(target=self._run, daemon=True,
                                                name="examhall-analysis-publisher")
                self._thread.start()
        if full:
            self._wake.set()

    def flush(self) -> int:
        """Publish what has gathered now; the number of snapshot ids sent (0 when the
        broker could not be reached: they stay pending for the sweep)."""
        with self._lock:
            batch, self._ids = self._ids, []
        if not batch:
            return 0
        from examhall.proctoring.tasks import analyse_snapshots_task

        try:
            analyse_snapshots_task.delay(batch)
        except Exception:
            logger.exception("could not queue the analysis of %d snapshots; the sweep "
                             "will queue them again", len(batch))
            return 0
        return len(batch)

    def _run(self) -> None:
        while True:
            self._wake.wait(self.interval)
            self._wake.clear()
            self.flush()


publisher = BatchPublisher()
atexit.register(publisher.flush)
