"""The in-process background worker of the embedded profile (no broker): one daemon
thread fed by a bounded queue, started by the first job.

It runs snapshot analysis and any other named job registered with ``register_job``
(e.g. ``register_job("audio_clip", "examhall.proctoring.services.audio.analyse_clip")``,
then ``submit("audio_clip", clip_id)``); ``submit(snapshot_id)`` alone means a snapshot.

Uploads never wait: a full queue only makes the worker sweep the database for pending
snapshots (nothing is lost, the rows are the queue of record; other kinds are re-queued
by their own periodic sweep). Each round works off the snapshot backlog newest-first
(``services.analysis_plan``), so a slow machine analyses every camera's latest picture
and marks the older ones skipped; other jobs run in the order they came.

The thread lowers its own scheduling priority (``lower_priority``): on a busy machine
the request threads of the same process, and the other processes, come first.
"""

from __future__ import annotations

import logging
import os
import queue
import threading
import uuid
from collections.abc import Callable
from dataclasses import dataclass

from django.conf import settings
from django.db import close_old_connections
from django.utils.module_loading import import_string

logger = logging.getLogger(__name__)

QUEUE_MAX = 5_000
SNAPSHOT = "snapshot"
ANALYSIS_NICE = 10
"""How much lower than the web requests background analysis runs (0–19; 0 = as high)."""

Handler = Callable[[uuid.UUID], object]
_handlers: dict[str, Handler | str] = {}


def register_job(kind: str, handler: Handler | str) -> None:
    """Let ``submit(kind, object_id)`` run ``handler(object_id)`` (a callable or the
    dotted path of one, imported on first use) on the worker thread."""
    if kind == SNAPSHOT:
        raise ValueError("the snapshot kind is built in")
    _handlers[kind] = handler


def lower_priority() -> int | None:
    """Lower the calling thread's CPU priority by ``EXAMHALL_ANALYSIS_NICE`` (Linux nice
    values are per thread: only the analysis thread, or the Celery worker's task thread,
    is affected, not the request threads of the same process). The new nice value, or
    None where the system does not allow it."""
    step = int(getattr(settings, "EXAMHALL_ANALYSIS_NICE", ANALYSIS_NICE))
    if step <= 0 or not hasattr(os, "setpriority"):
        return None
    try:
        tid = threading.get_native_id()
        target = min(19, os.getpriority(os.PRIO_PROCESS, tid) + step)
        os.setpriority(os.PRIO_PROCESS, tid, target)
        return os.getpriority(os.PRIO_PROCESS, tid)
    except (OSError, AttributeError):
        return None


AUTOGROUP = "/proc/self/autogroup"


def lower_session_priority() -> int | None:
    """Lower the CPU priority of this process's whole session, where Linux schedules
    sessions as groups (autogroup, on by default in most distributions' kernels).

    With autogroup a thread's nice value counts only against threads of its own
    session: a Celery worker started in a session of its own (systemd, supervisor,
    ``setsid``, the benchmark) gets as much CPU as uvicorn's session whatever the nice
    of its threads — measured at 2,500 candidates: niced analysis workers took 0.64 of
    the 2 cores while uploads queued. So the session's autogroup nice is raised to
    ``EXAMHALL_ANALYSIS_NICE`` as well (never lowered: setting it is idempotent).

    Call it only in a Celery worker (its tasks do): it acts when this process leads its
    session, or its parent does (a child of Celery's prefork pool), i.e. when the
    session is the worker's own — never the web server's, whose in-process analysis
    thread uses ``lower_priority`` alone. The new autogroup nice, or None (no autogroup,
    a session that is not the worker's, not allowed)."""
    step = int(getattr(settings, "EXAMHALL_ANALYSIS_NICE", ANALYSIS_NICE))
    if (step <= 0 or not hasattr(os, "getsid")
            or os.getsid(0) not in (os.getpid(), os.getppid())):
        return None
    try:
        with open(AUTOGROUP) as current:  # e.g. "/autogroup-85 nice 0"
            nice = int(current.read().split()[-1])
        target = min(19, max(nice, step))
        if target != nice:
            with open(AUTOGROUP, "w") as autogroup:
                autogroup.write(str(target))
        with open(AUTOGROUP) as current:
            return int(current.read().split()[-1])
    except (OSError, ValueError, IndexError):
        return None


@dataclass
class WorkerStats:
    analysed: int = 0
    skipped: int = 0
    failed: int = 0
    jobs: int = 0
    jobs_failed: int = 0


class AnalysisWorker:
    def __init__(self, *, maxsize: int = QUEUE_MAX) -> None:
        self._queue: queue.Queue[tuple[str, uuid.UUID]] = queue.Queue(maxsize)
        self._sweep = threading.Event()
        self._stopping = threading.Event()
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None
        self.stats = WorkerStats()

    def submit(self, kind_or_id: str | uuid.UUID, object_id: uuid.UUID | None = None) -> None:
        """``submit(snapshot_id)`` or ``submit(kind, object_id)``; never blocks."""
        if object_id is None:
            kind, object_id = SNAPSHOT, uuid.UUID(str(kind_or_id))
        else:
            kind = str(kind_or_id)
            if kind != SNAPSHOT and kind not in _handlers:
                raise ValueError(f"unknown job kind {kind!r}")
        self._ensure_started()
        try:
            self._queue.put_nowait((kind, object_id))
        except queue.Full:
            if kind == SNAPSHOT:
                self._sweep.set()
            else:
                logger.warning("worker queue full: %s %s left for its sweep", kind, object_id)

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

    def _take(self) -> list[tuple[str, uuid.UUID]]:
        try:
            jobs = [self._queue.get(timeout=0.5)]
        except queue.Empty:
            return []
        while True:
            try:
                jobs.append(self._queue.get_nowait())
            except queue.Empty:
                return jobs

    def _run(self) -> None:
        lower_priority()
        while not self._stopping.is_set():
            jobs = self._take()
            sweep = self._sweep.is_set()
            self._sweep.clear()
            if jobs or sweep:
                try:
                    self._round(jobs, sweep=sweep)
                except Exception:  # the thread must survive a bad round
                    logger.exception("background round failed")
                self._close_connections()

    @staticmethod
    def _close_connections() -> None:
        """Give back the round's connections; a database that is gone (or not allowed
        here) must not end the thread either."""
        try:
            close_old_connections()
        except Exception:
            logger.exception("closing the database connections failed")

    def _round(self, jobs: list[tuple[str, uuid.UUID]], *, sweep: bool = False) -> None:
        close_old_connections()
        snapshots = [object_id for kind, object_id in jobs if kind == SNAPSHOT]
        if snapshots or sweep:
            self._snapshots(None if sweep else snapshots)
        for kind, object_id in jobs:
            if kind != SNAPSHOT and not self._stopping.is_set():
                self._job(kind, object_id)

    def _snapshots(self, ids: list[uuid.UUID] | None) -> None:
        from examhall.proctoring import services

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

    def _job(self, kind: str, object_id: uuid.UUID) -> None:
        handler = _handlers[kind]
        try:
            if isinstance(handler, str):
                handler = _handlers[kind] = import_string(handler)
            handler(object_id)
            self.stats.jobs += 1
        except Exception:  # one failed job must not stop the others
            self.stats.jobs_failed += 1
            logger.exception("background job %s %s failed", kind, object_id)

    def stop(self, timeout: float = 10.0) -> None:
        self._stopping.set()
        thread = self._thread
        if thread is not None:
            thread.join(timeout)


_worker = AnalysisWorker()


def submit(kind_or_id: str | uuid.UUID, object_id: uuid.UUID | None = None) -> None:
    """Queue a snapshot's analysis (``submit(snapshot_id)``) or a named job
    (``submit(kind, object_id)``) on this process's worker thread."""
    _worker.submit(kind_or_id, object_id)


def shutdown() -> None:
    """Stop the thread (a shutdown hook of the ASGI lifespan); pending rows stay pending
    and are picked up by the next start."""
    _worker.stop()


def stats() -> WorkerStats:
    return _worker.stats
