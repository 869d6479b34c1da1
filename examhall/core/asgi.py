"""ASGI lifespan handling and the in-process periodic scheduler.

Django's ASGI handler does not speak the lifespan protocol, so ``LifespanApp``
answers it and, in the embedded profile (no broker), runs the periodic jobs
that Celery beat runs in production.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from typing import Any

from asgiref.sync import sync_to_async
from django.conf import settings
from django.db import close_old_connections
from django.utils.module_loading import import_string

from examhall.core import realtime

logger = logging.getLogger(__name__)

Scope = dict[str, Any]
Receive = Callable[[], Awaitable[dict[str, Any]]]
Send = Callable[[dict[str, Any]], Awaitable[None]]

# Periodic jobs of the embedded profile: dotted path of a plain function, interval.
PERIODIC_JOBS: list[tuple[str, str]] = [
    ("examhall.delivery.tasks.submit_expired_attempts", "EXAMHALL_EXPIRY_INTERVAL_SECONDS"),
    ("examhall.proctoring.tasks.check_cameras", "EXAMHALL_CAMERA_CHECK_INTERVAL_SECONDS"),
    ("examhall.proctoring.tasks.requeue_analysis", "EXAMHALL_ANALYSIS_REQUEUE_INTERVAL_SECONDS"),
]

# Called (dotted paths, no arguments) when the server shuts down.
SHUTDOWN_HOOKS: list[str] = ["examhall.delivery.fastpath.close_pool",
                              "examhall.proctoring.fastpath.close_pool",
                              "examhall.proctoring.worker.shutdown"]


def _run_job(path: str) -> None:
    close_old_connections()
    try:
        import_string(path)()
    finally:
        close_old_connections()


async def _periodic(path: str, interval: float) -> None:
    while True:
        await asyncio.sleep(interval)
        try:
            await sync_to_async(_run_job, thread_sensitive=False)(path)
        except Exception:  # a failing job must not stop the scheduler
            logger.exception("periodic job %s failed", path)


class LifespanApp:
    def __init__(self, app: Callable[..., Awaitable[None]]) -> None:
        self.app = app
        self._tasks: list[asyncio.Task[None]] = []

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "lifespan":
            await self.app(scope, receive, send)
            return
        while True:
            message = await receive()
            if message["type"] == "lifespan.startup":
                # Real-time events are published on this loop (no loop per event).
                realtime.serve_events_from(asyncio.get_running_loop())
                self._start()
                await send({"type": "lifespan.startup.complete"})
            elif message["type"] == "lifespan.shutdown":
                realtime.serve_events_from(None)
                for task in self._tasks:
                    task.cancel()
                for hook in SHUTDOWN_HOOKS:
                    await sync_to_async(import_string(hook), thread_sensitive=False)()
                await send({"type": "lifespan.shutdown.complete"})
                return

    def _start(self) -> None:
        if not getattr(settings, "EXAMHALL_INPROCESS_SCHEDULER", False):
            return
        for path, interval_setting in PERIODIC_JOBS:
            interval = float(getattr(settings, interval_setting))
            self._tasks.append(asyncio.create_task(_periodic(path, interval)))
        logger.info("in-process scheduler started (%d jobs)", len(self._tasks))
