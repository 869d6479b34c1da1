"""Candidate pages. Thin: find the signed-in attempt, render; the page talks to the API."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.csrf import ensure_csrf_cookie
from django.views.decorators.http import require_POST

from examhall.core.errors import NotFound
from examhall.delivery import sessions, statemachine
from examhall.delivery.models import Attempt
from examhall.exams import selectors as exam_selectors


def home(request: HttpRequest) -> HttpResponse:
    return render(request, "delivery/home.html", {"exams": exam_selectors.published_exams()})


def exam_entry(request: HttpRequest, exam_code: str) -> HttpResponse:
    try:
        exam = exam_selectors.published_exam(code=exam_code)
    except NotFound as error:
        return render(request, "core/error.html", {"error": error}, status=404)
    subjects = exam_selectors.open_subjects(exam=exam)
    return render(request, "delivery/exam_entry.html", {"exam": exam, "subjects": subjects})


@ensure_csrf_cookie
def login(request: HttpRequest, exam_code: str) -> HttpResponse:
    try:
        exam = exam_selectors.published_exam(code=exam_code)
        subject = exam_selectors.open_subject(exam=exam, code=request.GET.get("subject", ""))
    except NotFound:
        return redirect("delivery:exam_entry", exam_code=exam_code)
    return render(request, "delivery/login.html", {"exam": exam, "subject": subject})


def _signed_in_attempt(request: HttpRequest) -> tuple[Attempt, str] | None:
    login_state = sessions.current_login(request)
    if login_state is None:
        return None
    credential, token = login_state
    attempt = (
        Attempt.objects.select_related(
            "registration__candidate", "registration__exam", "registration__subject",
            "registration__session", "registration__room",
        )
        .filter(pk=credential.attempt_id)
        .first()
    )
    if attempt is None:
        return None
    if credential.generation != attempt.signin_generation:
        # The candidate signed in again elsewhere with the proctor's permission.
        sessions.forget_login(request)
        return None
    return attempt, token


def _page_context(attempt: Attempt, token: str) -> dict[str, object]:
    registration = attempt.registration
    return {
        "attempt_id": attempt.pk,
        "token": token,
        "exam": registration.exam,
        "subject": registration.subject,
        "registration": registration,
        "candidate_name": registration.candidate.name,
        "ticket_number": registration.ticket_number,
    }


def _page_for_state(state: str) -> str:
    """Which candidate page an attempt in ``state`` belongs on."""
    if state in statemachine.FINISHED_STATES:
        return "delivery:done"
    if state in statemachine.STARTED_STATES:
        return "delivery:exam"
    return "delivery:check"


def _attempt_page(request: HttpRequest, page: str, template: str,
                  context: dict[str, object] | None = None) -> HttpResponse:
    """Render ``page`` for the signed-in attempt, or send the browser where it belongs."""
    signed_in = _signed_in_attempt(request)
    if signed_in is None:
        return redirect("delivery:home")
    attempt, token = signed_in
    if _page_for_state(attempt.state) != page:
        return redirect(_page_for_state(attempt.state))
    return render(request, template, {**_page_context(attempt, token), **(context or {})})


def check_stage_page(request: HttpRequest, template: str,
                     context: dict[str, object] | None = None) -> HttpResponse:
    """A page of the check stage (device check, identity verification, ...) for the
    signed-in attempt; an attempt past that stage is sent to its own page. The
    template gets what the check page gets (attempt_id, token, exam, registration…)."""
    return _attempt_page(request, "delivery:check", template, context)


def unfinished_attempt_page(request: HttpRequest, template: str,
                            context: dict[str, object] | None = None) -> HttpResponse:
    """A page for the signed-in attempt before its start and during the exam (e.g.
    connecting a replacement phone mid-exam); a finished attempt goes to its done page.
    ``back_url`` in the context: the check page or the exam page, whichever applies."""
    signed_in = _signed_in_attempt(request)
    if signed_in is None:
        return redirect("delivery:home")
    attempt, token = signed_in
    home = _page_for_state(attempt.state)
    if home == "delivery:done":
        return redirect(home)
    return render(request, template, {**_page_context(attempt, token),
                                      "back_url": reverse(home),
                                      "in_exam": home == "delivery:exam", **(context or {})})


def check(request: HttpRequest) -> HttpResponse:
    return _attempt_page(request, "delivery:check", "delivery/check.html")


def exam(request: HttpRequest) -> HttpResponse:
    return _attempt_page(request, "delivery:exam", "delivery/exam.html")


def done(request: HttpRequest) -> HttpResponse:
    return _attempt_page(request, "delivery:done", "delivery/done.html")


@require_POST
def logout(request: HttpRequest) -> HttpResponse:
    sessions.forget_login(request)
    return redirect("delivery:home")
