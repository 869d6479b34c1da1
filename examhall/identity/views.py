"""The candidate's identity verification page (the API does the work)."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse

from examhall.delivery.views import check_stage_page


def page(request: HttpRequest) -> HttpResponse:
    return check_stage_page(request, "identity/verify.html")
