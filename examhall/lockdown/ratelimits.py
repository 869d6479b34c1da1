"""A per-attempt budget for environment reports, on the shared cache.

The client reports after every page load and every re-check (30 s by default): about
20 reports in ten minutes, more while the candidate moves between pages."""

from __future__ import annotations

import uuid

from django.conf import settings
from django.http import HttpRequest
from django.utils.translation import gettext as _
from django_ratelimit import ALL
from django_ratelimit.core import get_usage

from examhall.core.errors import ApplicationError

REPORT_RATE = getattr(settings, "EXAMHALL_CLIENT_REPORT_RATE", "120/10m")


def spend_report(request: HttpRequest, *, attempt_id: uuid.UUID) -> None:
    usage = get_usage(request, group="lockdown.report",
                      key=lambda _group, _request: str(attempt_id), rate=REPORT_RATE,
                      method=ALL, increment=True)
    if usage and usage["should_limit"]:
        raise ApplicationError(
            "too_many_requests",
            _("The exam client reported too often. It will report again shortly."),
            status=429, details={"retry_after_seconds": max(int(usage["time_left"]), 1)})
