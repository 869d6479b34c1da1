"""Items gathered by any thread of a process and sent in batches by one daemon thread:
the request threads only append, the round trips to Redis happen elsewhere, one per
batch. Used for the analysis hand-over to Celery (``proctoring.publisher``, every
0.2 s) and for real-time events on Redis pub/sub (``core.realtime``, at once)."""

from __future__ import annotations

import atexit
import logging
import os
import threading
from collections import deque
from collections.abc import Callable
from typing import Generic, TypeVar

logger = logging.getLogger(__name__)

T = TypeVar("T")


class BatchSender(Generic[T]):
    """``add`` queues an item; the sender thread calls ``send(batch)`` with everything
    queued — every ``interval`` seconds (sooner once ``max_batch`` items wait), or at
    once when ``interval`` is None. ``send`` returns how many it sent and handles its
    own failures; what is queued when the process exits is sent then."""

    def __init__(self, send: Callable[[list[T]], int], *, name: str,
                 interval: float | None = None, max_batch: int | None = None) -> None:
        self.send = send
        self.name = name
        self.interval = interval
        self.max_batch = max_batch
        self._items: deque[T] = deque()
        self._wake = threading.Event()
        self._start_lock = threading.Lock()
        self._thread: threading.Thread | None = None
        self._owner_pid = 0
        atexit.register(self.flush)

    def add(self, item: T) -> None:
        self._items.append(item)
        self._ensure_thread()
        if self.interval is None or (self.max_batch is not None
                                     and len(self._items) >= self.max_batch):
            self._wake.set()

    def flush(self) -> int:
        """Send what has gathered now, from the calling thread; how many were sent."""
        batch: list[T] = []
        while self._items:
            try:
                batch.append(self._items.popleft())
            except IndexError:  # another thread took the last one
                break
        return self.send(batch) if batch else 0

    def _ensure_thread(self) -> None:
        if (self._thread is not None and self._thread.is_alive()
                and self._owner_pid == os.getpid()):
            return
        with self._start_lock:  # once; again in a forked child, which has no thread
            if (self._thread is None or not self._thread.is_alive()
                    or self._owner_pid != os.getpid()):
                self._owner_pid = os.getpid()
                self._thread = threading.Thread(target=self._run, daemon=True,
                                                name=self.name)
                self._thread.start()

    def _run(self) -> None:
        while True:
            self._wake.wait(self.interval)
            self._wake.clear()
            try:
                self.flush()
            except Exception:  # the thread must survive anything
                logger.exception("%s failed", self.name)
