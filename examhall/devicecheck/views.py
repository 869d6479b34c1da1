"""The device-check page of the check stage. Thin: the page talks to the API."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse

from examhall.delivery.views import check_stage_page
from examhall.devicecheck import hints, rules


def page(request: HttpRequest) -> HttpResponse:
    checks = [(name, hints.LABELS[name]) for name in rules.CHECKS]
    return check_stage_page(request, "devicecheck/page.html", {"checks": checks})
