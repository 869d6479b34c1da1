"""On the service profile (`make test-services`: Redis), a websocket consumer's
channel survives a quiet spell longer than redis-py 8's default 5-second socket
timeout: the Redis channel layer's connections have no read timeout
(config/settings/base.py). With the default, the list layer's ``receive`` raised
``TimeoutError`` after 5 s without a message and the consumer's socket was closed."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.conf import settings

pytestmark = pytest.mark.skipif(
    not settings.CHANNEL_LAYERS["default"]["BACKEND"].startswith("channels_redis"),
    reason="no Redis: in-memory channel layer")

QUIET_SECONDS = 6.5  # longer than redis-py's default socket timeout (5 s)


async def _receive_after_quiet_spell() -> dict[str, Any]:
    layer = get_channel_layer()
    channel = await layer.new_channel()

    async def send_later() -> None:
        await asyncio.sleep(QUIET_SECONDS)
        await layer.send(channel, {"type": "examhall.event", "kind": "test.ping"})

    sender = asyncio.create_task(send_later())
    try:
        return await asyncio.wait_for(layer.receive(channel), timeout=QUIET_SECONDS + 10)
    finally:
        await sender


def test_a_channel_quiet_for_longer_than_five_seconds_still_receives() -> None:
    message = async_to_sync(_receive_after_quiet_spell)()
    assert message["kind"] == "test.ping"
