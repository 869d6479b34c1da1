"""Identity verification API: the candidate's tries, and the proctor's review.

Candidate endpoints use the attempt token (like the rest of the candidate API);
staff endpoints the Django session of a user with ``identity.review_identity``.
"""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any, Literal

from django.http import HttpRequest
from django.urls import reverse
from django.utils.translation import gettext as _
from ninja import Field, File, Router, Schema
from ninja.files import UploadedFile
from ninja.security import django_auth

from examhall.core.errors import NotFound, PermissionDenied
from examhall.delivery.api import ERRORS, attempt_auth, own_attempt
from examhall.exams import selectors as exam_selectors
from examhall.identity import selectors, services
from examhall.identity.messages import reason_message
from examhall.identity.models import IdentityCheck, IdentityPolicy

router = Router(tags=["identity"])

class CaptureOut(Schema):
    capture_id: uuid.UUID
    challenge: str
    frames: int
    interval_ms: int
    expires_at: dt.datetime


class IdentityOut(Schema):
    status: str
    passed: bool
    reason: str
    message: str
    tries_left: int
    max_tries: int
    liveness: bool
    require_face_match: bool


class ReviewIn(Schema):
    decision: Literal["approve", "reject"]
    note: str = Field("", max_length=500)


class ReviewOut(Schema):
    attempt_id: uuid.UUID
    status: str
    ticket_number: str
    candidate: str
    room: str
    reason: str
    message: str
    failed_tries: int
    distance: float | None
    reference_photo: str
    evidence: list[str]


def _identity_out(check: IdentityCheck | None, policy: IdentityPolicy,
                  *, reason: str = "") -> dict[str, Any]:
    status = check.status if check else IdentityCheck.Status.PENDING
    passed = status in {IdentityCheck.Status.PASSED, IdentityCheck.Status.APPROVED}
    failed = check.failed_tries if check else 0
    if passed:
        message = _("Your identity is verified.")
    elif status == IdentityCheck.Status.REVIEW:
        message = _("A proctor is checking your identity. Please wait on the check page.")
    elif status == IdentityCheck.Status.REJECTED:
        message = _("A proctor could not confirm your identity. Please contact the exam "
                    "office.")
    else:
        message = reason_message(reason) if reason else ""
    return {"status": status, "passed": passed, "reason": reason, "message": message,
            "tries_left": max(policy.max_tries - failed, 0), "max_tries": policy.max_tries,
            "liveness": policy.liveness, "require_face_match": policy.require_face_match}


@router.get("/attempts/{attempt_id}/identity", response={200: IdentityOut, **ERRORS},
            auth=attempt_auth)
def identity_status(request: HttpRequest, attempt_id: uuid.UUID) -> dict[str, Any]:
    attempt = own_attempt(request, attempt_id)
    return _identity_out(selectors.identity_check_of(attempt.pk),
                         selectors.policy_for(attempt.registration.exam))


@router.post("/attempts/{attempt_id}/identity/captures", response={200: CaptureOut, **ERRORS},
             auth=attempt_auth)
def identity_capture_open(request: HttpRequest, attempt_id: uuid.UUID) -> dict[str, Any]:
    """Begin a try: the challenge to show and how many frames to send."""
    capture = services.identity_capture_open(attempt=own_attempt(request, attempt_id))
    return {"capture_id": capture.pk, "challenge": capture.challenge,
            "frames": 12 if capture.challenge else 3,
            "interval_ms": 200 if capture.challenge else 300,
            "expires_at": capture.expires_at}


@router.post("/attempts/{attempt_id}/identity/captures/{capture_id}",
             response={200: IdentityOut, **ERRORS}, auth=attempt_auth)
def identity_capture_submit(request: HttpRequest, attempt_id: uuid.UUID, capture_id: uuid.UUID,
                            frames: File[list[UploadedFile]]) -> dict[str, Any]:
    """The frames of a try (JPEG, in the order taken): the server's verdict."""
    attempt = own_attempt(request, attempt_id)
    blobs = [frame.read(services.FRAME_MAX_BYTES + 1) for frame in frames]
    outcome = services.identity_capture_submit(attempt=attempt, capture_id=capture_id,
                                               frames=blobs)
    return _identity_out(outcome.check, selectors.policy_for(attempt.registration.exam),
                         reason=outcome.capture.reason)


# --- staff ---------------------------------------------------------------------


def _reviewer(request: HttpRequest) -> Any:
    user = request.user
    if not user.has_perm("identity.review_identity"):
        raise PermissionDenied("permission_denied",
                               _("You may not review identity checks."))
    return user


def _not_your_room() -> NotFound:
    # Another room's candidate: answered as if it did not exist.
    return NotFound("attempt_not_found", _("This attempt does not exist."))


def _review_out(check: IdentityCheck) -> dict[str, Any]:
    registration = check.attempt.registration
    return {"attempt_id": check.attempt_id, "status": check.status,
            "ticket_number": registration.ticket_number,
            "candidate": registration.candidate.name, "room": registration.room.name,
            "reason": check.review_reason, "message": reason_message(check.review_reason),
            "failed_tries": check.failed_tries, "distance": check.distance,
            "reference_photo": (reverse("identity:enrolment_photo", args=[check.reference_id])
                                if check.reference_id else ""),
            "evidence": [reverse("identity:capture_frame", args=[capture_id, index])
                         for capture_id, index in selectors.evidence_frames(check)]}


@router.get("/proctor/identity-reviews", response={200: list[ReviewOut], **ERRORS},
            auth=django_auth)
def identity_reviews(request: HttpRequest) -> list[dict[str, Any]]:
    """Attempts waiting for a proctor to confirm the candidate's identity."""
    reviewer = _reviewer(request)
    rooms = exam_selectors.rooms_visible_to(reviewer)
    return [_review_out(check) for check in selectors.reviews_waiting(rooms=rooms)]


@router.post("/proctor/attempts/{attempt_id}/identity-review",
             response={200: ReviewOut, **ERRORS}, auth=django_auth)
def identity_review(request: HttpRequest, attempt_id: uuid.UUID,
                    payload: ReviewIn) -> dict[str, Any]:
    """Approve (``decision`` = approve) or reject (reject, with a note) an identity."""
    reviewer = _reviewer(request)
    if not selectors.attempt_in_rooms(attempt_id=attempt_id,
                                      rooms=exam_selectors.rooms_visible_to(reviewer)):
        raise _not_your_room()
    check = services.identity_review_decide(attempt_id=attempt_id,
                                            approve=payload.decision == "approve",
                                            actor=reviewer, note=payload.note)
    return _review_out(selectors.review_of(check.attempt_id))


class PhotoReviewOut(Schema):
    photo_id: uuid.UUID
    review: str
    is_current: bool


@router.post("/proctor/enrolment-photos/{photo_id}/review",
             response={200: PhotoReviewOut, **ERRORS}, auth=django_auth)
def enrolment_photo_review(request: HttpRequest, photo_id: uuid.UUID,
                           payload: ReviewIn) -> dict[str, Any]:
    """Approve or reject a first capture kept as a candidate's reference photo."""
    reviewer = _reviewer(request)
    if not selectors.photo_in_rooms(photo_id=photo_id,
                                    rooms=exam_selectors.rooms_visible_to(reviewer)):
        raise NotFound("photo_not_found", _("This photo does not exist."))
    photo = services.enrolment_photo_review(photo_id=photo_id,
                                            approve=payload.decision == "approve",
                                            actor=reviewer)
    return {"photo_id": photo.pk, "review": photo.review, "is_current": photo.is_current}
