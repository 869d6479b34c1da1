"""Real-time messages, sent only after the surrounding transaction commits.

Inside the ASGI server, publishing is fire-and-forget on the server's own event loop
(``serve_events_from`` is called at lifespan startup): ``async_to_sync`` per event — a
new loop, a new thread and a new Redis connection each time, from the upload threads —
cost 6–7 ms of CPU per event on the snapshot upload path (docs/performance.md, "Proctor
console"). Elsewhere (a Celery worker, a command, tests driving consumers directly) the
event is sent with ``async_to_sync``. A long-lived publisher loop for the workers was
tried and left out: with the Redis layer it hung the websocket tests that share the
layer between loops.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import logging
from collections.abc import Coroutine
from typing import Any

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.db import transaction

logger = logging.getLogger(__name__)

_server_loop: asyncio.AbstractEventLoop | None = None


def serve_events_from(loop: asyncio.AbstractEventLoop | None) -> None:
    """Publish on ``loop`` (the ASGI server's loop) from now on; None stops it."""
    global _server_loop
    _server_loop = loop


def _log_failure(kind: object, group: str) -> Any:
    def done(future: concurrent.futures.Future[Any] | asyncio.Future[Any]) -> None:
        if future.cancelled():
            return
        error = future.exception()
        if error is not None:
            logger.error("could not publish %s to %s: %r", kind, group, error)

    return done


def _schedule(loop: asyncio.AbstractEventLoop, coroutine: Coroutine[Any, Any, None],
              kind: object, group: str) -> None:
    future = asyncio.run_coroutine_threadsafe(coroutine, loop)
    future.add_done_callback(_log_failure(kind, group))


def publish(group: str, event: dict[str, Any]) -> None:
    """Send ``event`` to a Channels group now (see ``send_event_on_commit``)."""
    layer = get_channel_layer()
    if layer is None:
        return
    message = {"type": "examhall.event", **event}
    kind = event.get("kind")
    try:
        server = _server_loop
        if server is not None and server.is_running():
            _schedule(server, layer.group_send(group, message), kind, group)
        else:
            async_to_sync(layer.group_send)(group, message)
    except Exception:
        logger.exception("could not publish %s to %s", kind, group)


def send_event_on_commit(group: str, event: dict[str, Any]) -> None:
    """Publish ``event`` to a Channels group once the current transaction commits.

    A failure to publish is logged, never raised: the durable write has happened
    and consumers catch up from the database on reconnect. ``type`` is the channel
    layer's own key (it names the consumer's handler), so an event may not carry one.
    """
    if "type" in event:
        raise ValueError(f"event {event.get('kind')!r} has a 'type' field: name it otherwise")
    transaction.on_commit(lambda: publish(group, event))
