"""The reviewer's pages: the queue, one attempt with its evidence and the decision
form, the integrity report (HTML and PDF) and the exam's summary workbook. Thin:
access checks here, reads in ``selectors``, writes in ``services``."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from functools import wraps
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from examhall.console import selectors as console_selectors
from examhall.core.errors import ApplicationError, NotFound
from examhall.core.files import private_image_response
from examhall.exams import selectors as exam_selectors
from examhall.review import exports, selectors, services
from examhall.review.models import ReviewStatus
from examhall.review.report_pdf import integrity_report_pdf

View = Callable[..., HttpResponse]


def reviewer_required(view: View) -> View:
    """Signed in, and a reviewer (or the exam office); others get the 403 page."""

    @login_required
    @wraps(view)
    def checked(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if not selectors.may_review(request.user):
            return render(request, "403.html", status=403)
        try:
            return view(request, *args, **kwargs)
        except NotFound as error:
            raise Http404(str(error.message)) from error

    return checked


def _uuid_or_none(value: str) -> uuid.UUID | None:
    try:
        return uuid.UUID(value) if value else None
    except ValueError:
        return None


@reviewer_required
@require_GET
def queue(request: HttpRequest) -> HttpResponse:
    exam_id = _uuid_or_none(request.GET.get("exam", ""))
    room_id = _uuid_or_none(request.GET.get("room", ""))
    status = request.GET.get("status", "")
    if status not in ReviewStatus.values:
        status = ""
    rooms = (exam_selectors.rooms_visible_to(request.user).select_related("session")
             .order_by("session__opens_at", "name"))
    if exam_id:
        rooms = rooms.filter(session__exam_id=exam_id)
    return render(request, "review/queue.html", {
        "lines": selectors.review_queue(user=request.user, exam_id=exam_id, room_id=room_id,
                                        status=status),
        "exams": selectors.exams_for_review(user=request.user),
        "rooms": rooms,
        "statuses": ReviewStatus.choices,
        "selected": {"exam": exam_id, "room": room_id, "status": status},
    })


@reviewer_required
@require_GET
def attempt(request: HttpRequest, attempt_id: uuid.UUID) -> HttpResponse:
    dossier = selectors.attempt_dossier(user=request.user, attempt_id=attempt_id)
    return render(request, "review/attempt.html", {
        "dossier": dossier, "statuses": ReviewStatus.choices,
        "may_confirm": bool(dossier.review and dossier.review.awaiting_confirmation
                            and dossier.review.reviewer_id != request.user.pk),
    })


@reviewer_required
@require_POST
def decide(request: HttpRequest, attempt_id: uuid.UUID) -> HttpResponse:
    try:
        review = services.review_decide(
            reviewer=request.user, attempt_id=attempt_id,
            status=request.POST.get("status", ""), note=request.POST.get("note", ""))
    except NotFound:
        raise
    except ApplicationError as error:
        messages.error(request, str(error.message))
    else:
        messages.success(request, _decided_message(review))
    return redirect("review:attempt", attempt_id=attempt_id)


@reviewer_required
@require_POST
def confirm(request: HttpRequest, attempt_id: uuid.UUID) -> HttpResponse:
    try:
        services.review_confirm_violation(reviewer=request.user, attempt_id=attempt_id,
                                          note=request.POST.get("note", ""))
    except NotFound:
        raise
    except ApplicationError as error:
        messages.error(request, str(error.message))
    else:
        messages.success(request, _("Violation confirmed: the result is voided."))
    return redirect("review:attempt", attempt_id=attempt_id)


def _decided_message(review: Any) -> str:
    if review.voided_at:
        return _("Decision saved: violation. The result is voided.")
    if review.awaiting_confirmation:
        return _("Decision saved: violation. The result is voided once a second reviewer "
                 "confirms it.")
    return _("Decision saved: %(status)s.") % {"status": review.get_status_display()}


@reviewer_required
@require_GET
def snapshot(request: HttpRequest, snapshot_id: uuid.UUID) -> HttpResponse:
    """An evidence picture, for reviewers of the candidate's room (reviewers need not
    hold the console's permission, so the console's image URL is not theirs)."""
    picture = console_selectors.snapshot_for_staff(user=request.user, snapshot_id=snapshot_id)
    return private_image_response(picture.image if picture else None)


@reviewer_required
@require_GET
def report(request: HttpRequest, attempt_id: uuid.UUID) -> HttpResponse:
    dossier = selectors.attempt_dossier(user=request.user, attempt_id=attempt_id)
    return render(request, "review/report.html", {"dossier": dossier})


@reviewer_required
@require_GET
def report_pdf(request: HttpRequest, attempt_id: uuid.UUID) -> HttpResponse:
    dossier = selectors.attempt_dossier(user=request.user, attempt_id=attempt_id)
    response = HttpResponse(integrity_report_pdf(dossier), content_type="application/pdf")
    ticket = dossier.attempt.registration.ticket_number
    response["Content-Disposition"] = f'inline; filename="integrity-{ticket}.pdf"'
    response["Cache-Control"] = "private, no-store"
    return response


@reviewer_required
@require_GET
def summary(request: HttpRequest, exam_id: uuid.UUID) -> HttpResponse:
    exam = selectors.exams_for_review(user=request.user).filter(pk=exam_id).first()
    if exam is None:
        raise Http404
    data = exports.summary_workbook(exam=exam,
                                    rooms=exam_selectors.rooms_visible_to(request.user))
    response = HttpResponse(
        data, content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
    response["Content-Disposition"] = f'attachment; filename="review-{exam.code}.xlsx"'
    return response
