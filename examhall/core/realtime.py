"""Real-time messages, sent only after the surrounding transaction commits."""

from __future__ import annotations

import logging
from typing import Any

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.db import transaction

logger = logging.getLogger(__name__)


def send_event_on_commit(group: str, event: dict[str, Any]) -> None:
    """Publish ``event`` to a Channels group once the current transaction commits.

    A failure to publish is logged, never raised: the durable write has happened
    and consumers catch up from the database on reconnect. ``type`` is the channel
    layer's own key (it names the consumer's handler), so an event may not carry one.
    """
    if "type" in event:
        raise ValueError(f"event {event.get('kind')!r} has a 'type' field: name it otherwise")

    def _send() -> None:
        layer = get_channel_layer()
        if layer is None:
            return
        try:
            async_to_sync(layer.group_send)(group, {"type": "examhall.event", **event})
        except Exception:
            logger.exception("could not publish %s to %s", event.get("kind"), group)

    transaction.on_commit(_send)
