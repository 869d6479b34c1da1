"""Real-time messages, sent only after the surrounding transaction commits.

How an event leaves the process depends on the channel layer:

- **Redis pub/sub** (the production profile, ADR 0013): a sender thread per process
  (``core.batching``) publishes straight to Redis, everything that has gathered in one
  pipeline (one round trip), with a plain redis-py client. No event loop is involved:
  the console benchmark at 2,500 candidates showed events published one at a time on
  uvicorn's loop (the layer sends them one after the other under a lock, each waiting
  for its answer) falling seconds behind while the loop was busy serving uploads and sockets
  (docs/performance.md). Celery workers and commands publish the same way.
- **Any other layer** (the in-memory one of the embedded profile, which lives on one
  event loop): inside the ASGI server the event is scheduled on the server's own loop
  (``serve_events_from`` is called at lifespan start-up); elsewhere it is sent with
  ``async_to_sync`` — from a short-lived thread where this thread already runs an
  event loop of its own (a test driving a browser), which ``async_to_sync`` refuses.

Either way a failure is logged, never raised: consumers re-read their state after a
reconnect, so an event is a prompt, never the only record.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import logging
import os
import threading
from collections.abc import Callable, Coroutine
from typing import Any

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.db import transaction

from examhall.core.batching import BatchSender

logger = logging.getLogger(__name__)

_server_loop: asyncio.AbstractEventLoop | None = None


def serve_events_from(loop: asyncio.AbstractEventLoop | None) -> None:
    """Publish on ``loop`` (the ASGI server's loop) from now on; None stops it. Used
    only with a channel layer that is not Redis pub/sub."""
    global _server_loop
    _server_loop = loop


class RedisGroupPublisher:
    """Sends group messages of a ``RedisPubSubChannelLayer`` from the process's sender
    thread (``core.batching``), everything queued in one pipeline per shard.

    It writes what the layer's own ``group_send`` writes — ``PUBLISH
    <prefix>__group__<group> <layer.serialize(message)>`` on the group's shard — so
    that the layer's subscribers in every process receive it as usual; only the sending
    differs: batched, pipelined, and off the event loops."""

    def __init__(self, *, hosts: list[dict[str, Any]], prefix: str,
                 serialize: Callable[[dict[str, Any]], bytes]) -> None:
        self._hosts = hosts
        self._prefix = prefix
        self._serialize = serialize
        self._clients: dict[tuple[int, int], Any] = {}  # (process, shard) → client
        self._sender: BatchSender[tuple[str, dict[str, Any]]] = BatchSender(
            self.send, name="examhall-event-publisher")

    @classmethod
    def for_layer(cls, layer: Any) -> RedisGroupPublisher | None:
        """A publisher for ``layer`` if it is channels_redis's pub/sub layer, else None."""
        try:
            from channels_redis.pubsub import RedisPubSubChannelLayer
            from channels_redis.utils import decode_hosts
        except ImportError:
            return None
        if not isinstance(layer, RedisPubSubChannelLayer):
            return None
        options = layer._kwargs  # the layer's CONFIG: hosts, prefix
        return cls(hosts=decode_hosts(options.get("hosts")),
                   prefix=options.get("prefix", "asgi"), serialize=layer.serialize)

    def publish(self, group: str, message: dict[str, Any]) -> None:
        """Queue ``message`` for ``group``; sent within a round trip to Redis."""
        self._sender.add((group, message))

    def send(self, batch: list[tuple[str, dict[str, Any]]]) -> int:
        """Publish ``batch`` now, one pipeline per shard; how many were sent (a shard
        that cannot be reached loses its part, logged)."""
        from channels_redis.utils import _consistent_hash

        pipelines: dict[int, Any] = {}
        for group, message in batch:
            channel = f"{self._prefix}__group__{group}"
            shard = _consistent_hash(channel, len(self._hosts))
            if shard not in pipelines:
                pipelines[shard] = self._client(shard).pipeline(transaction=False)
            pipelines[shard].publish(channel, self._serialize(message))
        sent = 0
        for shard, pipeline in pipelines.items():
            count = len(pipeline)
            try:
                pipeline.execute()
                sent += count
            except Exception:
                logger.exception("could not publish %d events to Redis", count)
                self._clients.pop((os.getpid(), shard), None)  # a fresh connection next
        return sent

    def _client(self, shard: int) -> Any:
        key = (os.getpid(), shard)  # a forked child opens its own connections
        client = self._clients.get(key)
        if client is None:
            import redis

            host = dict(self._hosts[shard])
            address = host.pop("address", None)
            client = (redis.Redis.from_url(address, **host) if address is not None
                      else redis.Redis(**host))
            self._clients[key] = client
        return client


_publishers: dict[int, RedisGroupPublisher | None] = {}


def _publisher_for(layer: Any) -> RedisGroupPublisher | None:
    key = id(layer)
    if key not in _publishers:
        _publishers[key] = RedisGroupPublisher.for_layer(layer)
    return _publishers[key]


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


def _send_logged(layer: Any, group: str, message: dict[str, Any]) -> None:
    try:
        async_to_sync(layer.group_send)(group, message)
    except Exception:
        logger.exception("could not publish %s to %s", message.get("kind"), group)


def _loop_running_here() -> bool:
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return False
    return True


def publish(group: str, event: dict[str, Any]) -> None:
    """Send ``event`` to a Channels group now (see ``send_event_on_commit``)."""
    layer = get_channel_layer()
    if layer is None:
        return
    message = {"type": "examhall.event", **event}
    kind = event.get("kind")
    try:
        direct = _publisher_for(layer)
        if direct is not None:
            direct.publish(group, message)
            return
        server = _server_loop
        if server is not None and server.is_running():
            _schedule(server, layer.group_send(group, message), kind, group)
        elif _loop_running_here():
            sender = threading.Thread(target=_send_logged, args=(layer, group, message),
                                      name="examhall-publish")
            sender.start()
            sender.join(timeout=5)
        else:
            _send_logged(layer, group, message)
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
