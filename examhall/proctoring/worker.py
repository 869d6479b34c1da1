"""The in-process analysis worker of the embedded profile (no broker): one daemon
thread fed by a bounded queue, started by the first upload.

Uploads never wait: a full queue only makes the worker sweep the database for pending
snapshots (nothing is lost, the rows are the queue of record). Each round works off a
backlog newest-first (``services.analysis_plan``), so a slow machine analyses every
camera's latest picture and marks the older ones skipped.
"""

from __future__ import annotations

import logging
import queue
import threading
import uuid
from dataclasses import dataclass

from django.db import close_old_connections

logger = logging.getLogger(__name__)

QUEUE_MAX = 5_000


@dataclass
class WorkerStats:
    analysed: int = 0
    skipped: int = 0
    failed: int = 0


class AnalysisWorker:
    def __init__(self, *, maxsize: int = QUEUE_MAX) -> None:
        self._queue: queue.Queue[uuid.UUID] = queue.Queue(maxsize)
        self._sweep = threading.Event()
        self._stopping = threading.Event()
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None
        self.stats = WorkerStats()

    def submit(self, snapshot_id: uuid.UUID) -> None:
        self._ensure_started()
        try:
            self._queue.put_nowait(snapshot_id)
        except queue.Full:
            self._sweep.set()

    @property
    def queued(self) -> int:
        return self._queue.qsize()

    def _ensure_started(self) -> None:
        if self._thread is not None and self._thread.is_alive():
            return
        with self._lock:
            if self._thread is not None and self._thread.is_alive():
                return
            self._stopping.clear()
            self._sweep.set()  # pick up what a previous process left pending
            self._thread = threading.Thread(target=self._run, name="snapshot-analysis",
                                            daemon=True)
            self._thread.start()

    def _take(self) -> list[uuid.UUID]:
        try:
            ids = [self._queue.get(timeout=0.5)]
        except queue.Empty:
            return []
        while True:
            try:
                ids.append(self._queue.get_nowait())
            except queue.Empty:
                return ids

    def _run(self) -> None:
        while not self._stopping.is_set():
            ids = self._take()
            sweep = self._sweep.is_set()
            self._sweep.clear()
            if ids or sweep:
                try:
                    self._round(None if sweep else ids)
                except Exception:  # the thread must survive a bad round
                    logger.exception("snapshot analysis round failed")
                finally:
                    close_old_connections()

    def _round(self, ids: list[uuid.UUID] | None) -> None:
        from examhall.proctoring import services

        close_old_connections()
        for snapshot_id in services.analysis_plan(snapshot_ids=ids):
            if self._stopping.is_set():
                return
            status = services.analysis_run(snapshot_id=snapshot_id)
            if status == "done":
                self.stats.analysed += 1
            elif status == "skipped":
                self.stats.skipped += 1
            else:
                self.stats.failed += 1

    def stop(self, timeout: float = 10.0) -> None:
        self._stopping.set()
        thread = self._thread
        if thread is not None:
            thread.join(timeout)


_worker = AnalysisWorker()


def submit(snapshot_id: uuid.UUID) -> None:
    _worker.submit(snapshot_id)


def shutdown() -> None:
    """Stop the thread (a shutdown hook of the ASGI lifespan); pending rows stay pending
    and are picked up by the next start."""
    _worker.stop()


def stats() -> WorkerStats:
    return _worker.stats
