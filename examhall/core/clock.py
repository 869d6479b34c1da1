"""The server's clock. Everything time-dependent asks here, so tests can move time."""

from __future__ import annotations

import datetime as dt

from django.utils import timezone

_offset = dt.timedelta(0)


def now() -> dt.datetime:
    return timezone.now() + _offset


def shift(delta: dt.timedelta) -> None:
    """Move the server clock (tests and the demo's time-travel command only)."""
    global _offset
    _offset += delta


def reset() -> None:
    global _offset
    _offset = dt.timedelta(0)
