"""The candidate's result look-up page: admission ticket and ID number."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_http_methods

from examhall.core.errors import ApplicationError, NotFound
from examhall.delivery import ratelimits
from examhall.exams import selectors as exam_selectors
from examhall.grading import results


@require_http_methods(["GET", "POST"])
def result_lookup(request: HttpRequest, exam_code: str) -> HttpResponse:
    try:
        exam = exam_selectors.published_exam(code=exam_code)
    except NotFound as error:
        return render(request, "core/error.html", {"error": error}, status=404)
    context: dict[str, object] = {"exam": exam, "ticket_number": "", "result": None}
    if request.method == "POST":
        ticket = request.POST.get("ticket_number", "")[:30]
        context["ticket_number"] = ticket
        try:
            ratelimits.check_login_allowed(request, ticket_number=ticket)
            context["result"] = results.result_lookup(
                exam=exam, ticket_number=ticket, id_number=request.POST.get("id_number", "")[:40])
        except ApplicationError as error:
            if error.code == "login_failed":
                ratelimits.record_login_failure(request, ticket_number=ticket)
            context["error"] = error
    return render(request, "grading/result_lookup.html", context)
