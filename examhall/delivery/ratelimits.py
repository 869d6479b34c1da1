"""Failed-login rate limits, per ticket and per client address, on the shared cache."""

from __future__ import annotations

from django.conf import settings
from django.http import HttpRequest
from django.utils.translation import ngettext
from django_ratelimit import ALL
from django_ratelimit.core import get_usage

from examhall.core.errors import ApplicationError

_GROUP_TICKET = "delivery.login.ticket"
_GROUP_IP = "delivery.login.ip"


def _limits(ticket_number: str) -> list[tuple[str, object, str]]:
    ticket_key = ticket_number.strip().upper() or "-"
    return [
        (_GROUP_TICKET, lambda group, request: ticket_key, settings.EXAMHALL_LOGIN_RATE_PER_TICKET),
        (_GROUP_IP, "ip", settings.EXAMHALL_LOGIN_RATE_PER_IP),
    ]


def check_login_allowed(request: HttpRequest, *, ticket_number: str) -> None:
    """Refuse (429) while either failure budget is exhausted; says when to retry."""
    waits = []
    for group, key, rate in _limits(ticket_number):
        usage = get_usage(request, group=group, key=key, rate=rate, method=ALL, increment=False)
        if usage and usage["count"] >= usage["limit"]:
            waits.append(max(usage["time_left"], 1))
    if waits:
        wait = max(waits)
        minutes = (wait + 59) // 60
        raise ApplicationError(
            "too_many_attempts",
            ngettext(
                "Too many failed sign-in attempts. Please try again in %(minutes)d minute.",
                "Too many failed sign-in attempts. Please try again in %(minutes)d minutes.",
                minutes,
            ) % {"minutes": minutes},
            status=429,
            details={"retry_after_seconds": wait},
        )


def record_login_failure(request: HttpRequest, *, ticket_number: str) -> None:
    for group, key, rate in _limits(ticket_number):
        get_usage(request, group=group, key=key, rate=rate, method=ALL, increment=True)
