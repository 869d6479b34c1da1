"""The grader's pages: the queue of essay questions, and one answer at a time."""

from __future__ import annotations

import uuid
from decimal import Decimal, InvalidOperation

from django.contrib import messages
from django.contrib.auth.decorators import login_required, permission_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from examhall.core.errors import ApplicationError
from examhall.grading import marking, services
from examhall.itembank.models import Question

MARKER = "grading.mark_answers"


@login_required
@permission_required(MARKER, raise_exception=True)
def marking_queue(request: HttpRequest) -> HttpResponse:
    return render(request, "grading/marking_queue.html", {"lines": marking.marking_overview()})


@login_required
@permission_required(MARKER, raise_exception=True)
@require_http_methods(["GET", "POST"])
def marking_next(request: HttpRequest, question_id: uuid.UUID) -> HttpResponse:
    question = get_object_or_404(Question, pk=question_id, kind=Question.Kind.ESSAY)
    if request.method == "POST":
        try:
            score = Decimal(request.POST.get("score", "").strip())
        except InvalidOperation:
            messages.error(request, _("Enter the score as a number, e.g. 7 or 7.5."))
            return redirect("grading:marking_next", question_id=question.pk)
        marking_id = request.POST.get("marking", "")
        try:
            services.marking_submit(marking_id=int(marking_id) if marking_id.isdigit() else 0,
                                    grader=request.user, score=score,
                                    comment=request.POST.get("comment", ""))
            messages.success(request, _("Mark saved."))
        except ApplicationError as error:
            messages.error(request, str(error.message))
        return redirect("grading:marking_next", question_id=question.pk)
    task = marking.marking_claim_next(question_id=question.pk, grader=request.user)
    context = {"question": question, "task": task}
    if task is not None:
        context.update(answer=marking.answer_text(task), code=marking.anonymous_code(task))
    return render(request, "grading/marking_next.html", context)
