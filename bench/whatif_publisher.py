"""What-if for the console benchmark only (never used by the app itself).

``examhall.core.realtime`` publishes each event with ``async_to_sync(layer.group_send)``.
Called from a thread asgiref did not start (the snapshot fast path's upload threads,
Celery tasks), that makes a new event loop on a new thread, and channels_redis a new
Redis connection, for every event. This app is the production app with events published
instead on one long-lived event loop per process (its connection pool kept), to measure
what that would save:

    .venv/bin/python bench/console.py --app bench.whatif_publisher:application
"""

from __future__ import annotations

import asyncio
import os
import threading
from collections.abc import Awaitable, Callable
from typing import Any

from config.asgi import application
from examhall.core import realtime

__all__ = ["application"]

_lock = threading.Lock()
_loop: tuple[int, asyncio.AbstractEventLoop] | None = None


def _publisher_loop() -> asyncio.AbstractEventLoop:
    global _loop
    with _lock:
        if _loop is None or _loop[0] != os.getpid():
            loop = asyncio.new_event_loop()
            threading.Thread(target=loop.run_forever, name="event-publisher",
                             daemon=True).start()
            _loop = (os.getpid(), loop)
        return _loop[1]


def _on_publisher_loop(function: Callable[..., Awaitable[Any]]) -> Callable[..., Any]:
    def call(*args: Any, **kwargs: Any) -> Any:
        return asyncio.run_coroutine_threadsafe(
            function(*args, **kwargs), _publisher_loop()).result(timeout=10)  # type: ignore[arg-type]
    return call


realtime.async_to_sync = _on_publisher_loop  # type: ignore[assignment]
