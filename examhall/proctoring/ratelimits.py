"""Upload rate limits per attempt and camera, on the shared cache."""

from __future__ import annotations

import time
import uuid

from django.conf import settings
from django.core.cache import caches
from django.http import HttpRequest
from django.utils.translation import gettext as _
from django_ratelimit import ALL
from django_ratelimit.core import _split_rate, get_usage

from examhall.core.errors import ApplicationError

SNAPSHOT_RATE = "20/m"
"""At most one picture per 3 s sustained, per attempt and camera (the default intervals
are 15 and 20 s; pictures taken on events come in between)."""


def _count_on_redis(key: str, rate: str) -> tuple[bool, int] | None:
    """Count one upload in the key's current window with one round trip to Redis
    (INCR and EXPIRE NX pipelined; django-ratelimit's add + exists + incr take three):
    (over the limit, seconds left). None when the cache is not Redis."""
    cache = caches["default"]
    client_for = getattr(getattr(cache, "_cache", None), "get_client", None)
    if client_for is None:
        return None
    limit, period = _split_rate(rate)
    now = time.time()
    window = int(now // period)
    name = cache.make_and_validate_key(f"proctoring.snapshot:{key}:{window}")
    pipeline = client_for(name, write=True).pipeline(transaction=False)
    pipeline.incr(name)
    pipeline.expire(name, period + 1, nx=True)
    count, _expiry_set = pipeline.execute()
    return int(count) > limit, int((window + 1) * period - now) + 1


def check_snapshot_allowed(request: HttpRequest, *, attempt_id: uuid.UUID, camera: str) -> None:
    """Count this upload; refuse it (429) when the camera's budget is spent."""
    rate = getattr(settings, "EXAMHALL_SNAPSHOT_RATE", SNAPSHOT_RATE)
    key = f"{attempt_id}:{camera}"
    counted = _count_on_redis(key, rate)
    if counted is None:
        usage = get_usage(request, group="proctoring.snapshot", key=lambda _g, _r: key,
                          rate=rate, method=ALL, increment=True)
        counted = (bool(usage and usage["should_limit"]),
                   int(usage["time_left"]) if usage else 1)
    over, seconds_left = counted
    if over:
        raise ApplicationError("too_many_snapshots",
                               _("Pictures are arriving too fast. Please wait a moment."),
                               status=429,
                               details={"retry_after_seconds": max(seconds_left, 1)})


def _spend(request: HttpRequest, *, group: str, key: str, rate: str, message: str) -> None:
    usage = get_usage(request, group=group, key=lambda _g, _r: key, rate=rate, method=ALL,
                      increment=True)
    if usage and usage["should_limit"]:
        raise ApplicationError("too_many_requests", message, status=429,
                               details={"retry_after_seconds": max(int(usage["time_left"]), 1)})


def check_pairing_allowed(request: HttpRequest, *, attempt_id: uuid.UUID) -> None:
    """New QR codes: 20 per 10 minutes per attempt (each lives ten minutes)."""
    _spend(request, group="proctoring.pairing", key=str(attempt_id), rate="20/10m",
           message=_("Too many new QR codes. Please wait a moment."))


def check_phone_checks_allowed(request: HttpRequest, *, pairing_id: uuid.UUID) -> None:
    """The phone's checks: 30 runs per 10 minutes per pairing."""
    _spend(request, group="proctoring.phone-checks", key=str(pairing_id), rate="30/10m",
           message=_("The checks ran too often. Please wait a moment."))
