"""The lockdown API (mounted under /api/; the contract of ADR 0012).

- ``GET  /client/exams/{code}/policy``: public; the exam's client policy for the exam
  client (deny-list with advice in the request's language, key, rules).
- ``POST /attempts/{id}/client-environment``: the client's environment report, sent by
  the page bridge with the attempt token (and, as every request of the attempt, signed).
"""

from __future__ import annotations

import uuid
from typing import Any

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.urls import reverse
from django.utils.translation import gettext as _
from ninja import Router

from examhall.core.errors import NotFound
from examhall.delivery.api import ERRORS, attempt_auth, own_attempt
from examhall.exams import selectors as exam_selectors
from examhall.lockdown import ratelimits, selectors, services
from examhall.lockdown.schemas import EnvironmentReportIn, EnvironmentReportOut

router = Router(tags=["lockdown"])


@router.get("/client/exams/{exam_code}/policy", auth=None)
def client_policy(request: HttpRequest, exam_code: str) -> HttpResponse:
    try:
        exam = exam_selectors.published_exam(code=exam_code)
    except NotFound as missing:
        # The contract's top-level code/message (the client reads them), and the API's
        # usual error object.
        message = str(missing.message)
        return JsonResponse({"code": "not_found", "message": message,
                             "error": {"code": "not_found", "message": message,
                                       "details": {}}},
                            status=404, json_dumps_params={"ensure_ascii": False})
    entry_url = request.build_absolute_uri(reverse("delivery:exam_entry", args=[exam.code]))
    links = selectors.PolicyLinks(
        entry_url=entry_url,
        origin=f"{request.scheme}://{request.get_host()}",
        download_url=request.build_absolute_uri(reverse("lockdown:help_client")))
    response = JsonResponse(selectors.policy_document(exam=exam, links=links),
                            json_dumps_params={"ensure_ascii": False})
    response["Cache-Control"] = "no-store"
    return response


def _summary(outcome: services.EnvironmentOutcome) -> tuple[str, str]:
    """The banner the page shows: (text, Bootstrap level)."""
    parts = []
    level = ""
    if outcome.appeared:
        found = selectors.problem_lines([p.as_dict() for p in outcome.appeared])
        parts.append(_("The exam client found a new problem on your computer. %(problems)s")
                     % {"problems": found})
        if outcome.in_exam and any(p.code in services.FLAG_FOR_CODE for p in outcome.appeared):
            parts.append(_("The proctor has been told."))
        level = "danger" if any(p.blocking for p in outcome.appeared) else "warning"
    if outcome.resolved:
        parts.append(_("Resolved: %(problems)s.")
                     % {"problems": "; ".join(p.title for p in outcome.resolved)})
        level = level or "success"
    return " ".join(parts), level


@router.post("/attempts/{attempt_id}/client-environment",
             response={200: EnvironmentReportOut, **ERRORS}, auth=attempt_auth)
def client_environment(request: HttpRequest, attempt_id: uuid.UUID,
                       payload: EnvironmentReportIn) -> dict[str, Any]:
    attempt = own_attempt(request, attempt_id)
    ratelimits.spend_report(request, attempt_id=attempt.pk)
    report = services.EnvironmentReportIn(
        client_version=payload.client_version, os=payload.os, checked_at=payload.checked_at,
        passed=payload.passed,
        problems=[services.Problem(**problem.model_dump()) for problem in payload.problems],
        facts=payload.facts.model_dump())
    outcome = services.environment_report_record(attempt=attempt, report=report)
    message, level = _summary(outcome)
    return {
        "report_id": str(outcome.report.pk),
        "passed": outcome.report.passed,
        "in_exam": outcome.in_exam,
        "problems": outcome.report.problems,
        "appeared": [p.as_dict() for p in outcome.appeared],
        "resolved": [p.as_dict() for p in outcome.resolved],
        "message": message,
        "level": level,
    }
