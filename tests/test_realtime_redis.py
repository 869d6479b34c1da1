"""On the service profile (`make test-services`: Redis), events are published by a
thread of the process straight to Redis pub/sub (``examhall.core.realtime``), batched;
the channel layer's subscribers receive them as if sent with ``group_send``."""

from __future__ import annotations

import asyncio
import threading
from typing import Any

import pytest
from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.conf import settings

from examhall.core import realtime

pytestmark = pytest.mark.skipif(
    not settings.CHANNEL_LAYERS["default"]["BACKEND"].endswith("RedisPubSubChannelLayer"),
    reason="no Redis: in-memory channel layer")


async def _collect(group: str, count: int, publish: Any) -> list[dict[str, Any]]:
    layer = get_channel_layer()
    channel = await layer.new_channel()
    await layer.group_add(group, channel)
    try:
        await asyncio.to_thread(publish)
        return [await asyncio.wait_for(layer.receive(channel), timeout=10)
                for _ in range(count)]
    finally:
        await layer.group_discard(group, channel)


def test_events_published_from_several_threads_all_arrive_each_thread_in_order() -> None:
    def publish() -> None:
        def send(thread: int) -> None:
            for number in range(40):
                realtime.publish("test.realtime", {"kind": "test.tick", "thread": thread,
                                                   "number": number})
        threads = [threading.Thread(target=send, args=(thread,)) for thread in range(3)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()

    received = async_to_sync(_collect)("test.realtime", 120, publish)

    assert {message["type"] for message in received} == {"examhall.event"}
    for thread in range(3):
        numbers = [m["number"] for m in received if m["thread"] == thread]
        assert numbers == list(range(40))


def test_a_redis_that_cannot_be_reached_loses_the_events_without_raising(caplog) -> None:
    layer = get_channel_layer()
    publisher = realtime.RedisGroupPublisher(
        hosts=[{"address": "redis://127.0.0.1:1/0", "socket_connect_timeout": 1}],
        prefix="asgi", serialize=layer.serialize)

    assert publisher.send([("test.nowhere", {"type": "examhall.event", "kind": "x"})]) == 0
    assert "could not publish 1 events to Redis" in caplog.text
