"""A small per-process cache with expiry, for reads the hot paths repeat (an exam's
policies, a snapshot interval, the exam client gate): the answer changes only when an
office edits something, so each process may keep it for a short while."""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Hashable
from typing import Any

_MISSING = object()


class TTLCache:
    """Least recently used entries beyond ``size`` go first; each lives ``ttl`` seconds.
    ``None`` is a value like any other (e.g. "this exam has no policy")."""

    def __init__(self, ttl: float, size: int = 10_000) -> None:
        self._ttl, self._size = ttl, size
        self._items: OrderedDict[Hashable, tuple[float, Any]] = OrderedDict()
        self._lock = threading.Lock()

    def lookup(self, key: Hashable) -> tuple[bool, Any]:
        """(found, value) without reading anything."""
        with self._lock:
            item = self._items.get(key)
            if item is None or item[0] < time.monotonic():
                return False, None
            self._items.move_to_end(key)
            return True, item[1]

    def put(self, key: Hashable, value: Any) -> None:
        with self._lock:
            self._items[key] = (time.monotonic() + self._ttl, value)
            self._items.move_to_end(key)
            while len(self._items) > self._size:
                self._items.popitem(last=False)

    def get_or_read(self, key: Hashable, read: Callable[[], Any]) -> Any:
        found, value = self.lookup(key)
        if not found:
            value = read()
            self.put(key, value)
        return value

    def clear(self) -> None:
        with self._lock:
            self._items.clear()
