"""Per-attempt budgets for the device check's endpoints, on the shared cache."""

from __future__ import annotations

import uuid

from django.conf import settings
from django.http import HttpRequest
from django.utils.translation import gettext as _
from django_ratelimit import ALL
from django_ratelimit.core import get_usage

from examhall.core.errors import ApplicationError

# A run of the check takes two or four network-test requests and one report.
NETWORK_TEST_RATE = getattr(settings, "EXAMHALL_NETWORK_TEST_RATE", "40/10m")
REPORT_RATE = getattr(settings, "EXAMHALL_DEVICE_REPORT_RATE", "30/10m")


def _spend(request: HttpRequest, *, group: str, rate: str, attempt_id: uuid.UUID) -> None:
    usage = get_usage(request, group=group, key=lambda _group, _request: str(attempt_id),
                      rate=rate, method=ALL, increment=True)
    if usage and usage["should_limit"]:
        wait = max(int(usage["time_left"]), 1)
        raise ApplicationError(
            "too_many_requests",
            _("Too many checks in a short time. Please wait a few minutes and check again."),
            status=429,
            details={"retry_after_seconds": wait},
        )


def spend_network_test(request: HttpRequest, *, attempt_id: uuid.UUID) -> None:
    _spend(request, group="devicecheck.network", rate=NETWORK_TEST_RATE, attempt_id=attempt_id)


def spend_report(request: HttpRequest, *, attempt_id: uuid.UUID) -> None:
    _spend(request, group="devicecheck.report", rate=REPORT_RATE, attempt_id=attempt_id)
