"""The candidate's JSON API. Thin: parse, authenticate, call a service, shape the answer."""

from __future__ import annotations

import uuid
from typing import Any

from asgiref.sync import sync_to_async
from django.http import HttpRequest
from django.urls import reverse
from django.utils.translation import gettext as _
from ninja import Router
from ninja.security import HttpBearer

from examhall.core.errors import ApplicationError, NotFound
from examhall.delivery import ratelimits, selectors, services, tokens
from examhall.delivery.models import Attempt
from examhall.delivery.schemas import (
    AnswersIn,
    AnswersOut,
    AttemptOut,
    AttemptStatusOut,
    ErrorOut,
    ExamOut,
    LoginIn,
    LoginOut,
)
from examhall.delivery.sessions import remember_login, signed_in_credential
from examhall.exams import selectors as exam_selectors

router = Router(tags=["candidate"])

ERRORS = {400: ErrorOut, 401: ErrorOut, 403: ErrorOut, 404: ErrorOut, 409: ErrorOut,
          422: ErrorOut, 429: ErrorOut}


class AttemptTokenAuth(HttpBearer):
    """``Authorization: Bearer <token>`` issued at login; verified without a query."""

    def authenticate(self, request: HttpRequest, token: str) -> tokens.AttemptCredential | None:
        return tokens.verify(token)


attempt_auth = AttemptTokenAuth()


def credential_for(request: HttpRequest, attempt_id: uuid.UUID, *,
                   check_signin: bool = True) -> tokens.AttemptCredential:
    """The request's credential for this attempt; with ``check_signin``, only if this
    browser is the one signed in last (not one replaced by an allowed re-entry)."""
    credential: tokens.AttemptCredential = request.auth  # type: ignore[attr-defined]
    if credential.attempt_id != attempt_id:
        # Someone else's attempt: answer exactly as for one that does not exist.
        raise NotFound("attempt_not_found", _("This attempt does not exist."))
    if check_signin:
        selectors.check_signin_current(attempt_id=attempt_id,
                                       generation=credential.generation)
    return credential


def own_attempt(request: HttpRequest, attempt_id: uuid.UUID) -> Attempt:
    credential = credential_for(request, attempt_id, check_signin=False)
    return selectors.attempt_for_candidate(
        attempt_id=credential.attempt_id, registration_id=credential.registration_id,
        generation=credential.generation,
    )


def attempt_out(view: selectors.AttemptView) -> dict[str, Any]:
    attempt = view.attempt
    registration = attempt.registration
    return {
        "attempt_id": attempt.pk,
        "state": attempt.state,
        "exam": {"code": registration.exam.code, "name": registration.exam.name,
                 "kind": registration.exam.kind},
        "subject": {"code": registration.subject.code,
                    "name": registration.subject.display_name},
        "candidate": {"name": registration.candidate.name,
                      "ticket_number": registration.ticket_number},
        "checks": [status.__dict__ for status in view.checks],
        "can_start": view.can_start,
        "server_now": view.server_now,
        "started_at": attempt.started_at,
        "deadline": attempt.deadline,
        "paused_at": attempt.paused_at,
        "submitted_at": attempt.submitted_at,
        "submit_reason": attempt.submit_reason,
        "questions": [
            {"id": question.id, "number": number, "kind": question.kind,
             "stem": question.stem, "options": question.options, "score": question.points,
             "blanks": question.blanks,
             "case": question.case.__dict__ if question.case else None}
            for number, question in enumerate(view.questions, start=1)
        ],
        "answers": view.answers,
        "last_seq": view.last_seq,
        "result": view.result,
    }


@router.get("/exams/{exam_code}", response={200: ExamOut, 404: ErrorOut}, auth=None)
def exam_detail(request: HttpRequest, exam_code: str) -> dict[str, Any]:
    exam = exam_selectors.published_exam(code=exam_code)
    return {
        "code": exam.code, "name": exam.name, "kind": exam.kind,
        "instructions": exam.instructions,
        "subjects": [
            {"code": s.code, "name": s.display_name, "specialty": s.specialty, "level": s.level}
            for s in exam_selectors.open_subjects(exam=exam)
        ],
    }


@router.post("/exams/{exam_code}/login", response={200: LoginOut, **ERRORS}, auth=None)
def login(request: HttpRequest, exam_code: str, payload: LoginIn) -> dict[str, Any]:
    ratelimits.check_login_allowed(request, ticket_number=payload.ticket_number)
    try:
        result = services.candidate_login(
            exam_code=exam_code,
            subject_code=payload.subject_code,
            ticket_number=payload.ticket_number,
            id_number=payload.id_number,
            signed_in=signed_in_credential(request),
        )
    except ApplicationError as error:
        if error.code == "login_failed":
            ratelimits.record_login_failure(request, ticket_number=payload.ticket_number)
        raise
    token = remember_login(request, attempt=result.attempt)
    return {
        "attempt_id": result.attempt.pk,
        "token": token,
        "next_url": reverse("delivery:check"),
    }


@router.get("/attempts/{attempt_id}", response={200: AttemptOut, **ERRORS}, auth=attempt_auth)
def attempt_detail(request: HttpRequest, attempt_id: uuid.UUID) -> dict[str, Any]:
    return attempt_out(selectors.attempt_view(attempt=own_attempt(request, attempt_id)))


@router.get("/attempts/{attempt_id}/status", response={200: AttemptStatusOut, **ERRORS},
            auth=attempt_auth)
def attempt_status(request: HttpRequest, attempt_id: uuid.UUID) -> dict[str, Any]:
    """State, deadline and the server's time: the exam page polls this to stay in sync."""
    credential = credential_for(request, attempt_id, check_signin=False)
    return selectors.attempt_status(attempt_id=attempt_id,
                                    registration_id=credential.registration_id,
                                    generation=credential.generation)


@router.post("/attempts/{attempt_id}/checks", response={200: AttemptOut, **ERRORS},
             auth=attempt_auth)
def attempt_checks(request: HttpRequest, attempt_id: uuid.UUID) -> dict[str, Any]:
    own_attempt(request, attempt_id)
    _attempt, statuses = services.attempt_refresh_checks(attempt_id=attempt_id)
    attempt = own_attempt(request, attempt_id)
    return attempt_out(selectors.attempt_view(attempt=attempt, statuses=statuses))


# Start and submit: the token names this attempt (signed at login), and the
# service returns the locked attempt with what the answer shows.


@router.post("/attempts/{attempt_id}/start", response={200: AttemptOut, **ERRORS},
             auth=attempt_auth)
def attempt_start(request: HttpRequest, attempt_id: uuid.UUID) -> dict[str, Any]:
    credential_for(request, attempt_id)
    attempt = services.attempt_start(attempt_id=attempt_id)
    return attempt_out(selectors.attempt_view(attempt=attempt))


@router.post("/attempts/{attempt_id}/answers", response={200: AnswersOut, **ERRORS},
             auth=attempt_auth)
async def attempt_answers(
    request: HttpRequest, attempt_id: uuid.UUID, payload: AnswersIn
) -> dict[str, Any]:
    """Autosave (hot path): verified by token, one attempt read, one upsert per change."""
    credential = credential_for(request, attempt_id, check_signin=False)
    changes = [
        services.AnswerChange(
            question_id=save.question_id,
            value=save.value,
            marked=save.marked,
            seq=save.seq,
            client_saved_at=save.client_saved_at,
        )
        for save in payload.saves
    ]
    receipt = await sync_to_async(services.answers_save)(
        attempt_id=attempt_id, changes=changes, generation=credential.generation)
    return {"acknowledged_seq": receipt.acknowledged_seq, "server_now": receipt.server_now}


@router.post("/attempts/{attempt_id}/submit", response={200: AttemptOut, **ERRORS},
             auth=attempt_auth)
def attempt_submit(request: HttpRequest, attempt_id: uuid.UUID) -> dict[str, Any]:
    credential_for(request, attempt_id)
    attempt = services.attempt_submit(attempt_id=attempt_id)
    return attempt_out(selectors.attempt_view(attempt=attempt))
