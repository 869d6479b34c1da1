"""Identity reads: an exam's policy, a candidate's reference photo, the review queue."""

from __future__ import annotations

import uuid
from typing import Any

from django.db.models import Prefetch, QuerySet

from examhall.delivery.models import Attempt
from examhall.exams import selectors as exam_selectors
from examhall.exams.models import Exam, Room
from examhall.identity.models import (
    EnrolmentPhoto,
    IdentityCapture,
    IdentityCheck,
    IdentityPolicy,
)


def policy_for(exam: Exam) -> IdentityPolicy:
    """The exam's identity policy (the defaults when the office set none)."""
    return IdentityPolicy.objects.filter(exam=exam).first() or IdentityPolicy(exam=exam)


def current_reference(*, candidate_id: uuid.UUID, mode: str) -> EnrolmentPhoto | None:
    """The photo a verification compares with. An office's upload always counts; a
    first capture counts while it is not rejected (waiting for review or approved),
    and only for exams that take first captures."""
    photo = EnrolmentPhoto.objects.filter(candidate_id=candidate_id, is_current=True).first()
    if photo is None or photo.review == EnrolmentPhoto.Review.REJECTED:
        return None
    if photo.source == EnrolmentPhoto.Source.FIRST_CAPTURE and \
            mode != IdentityPolicy.Mode.FIRST_CAPTURE:
        return None
    return photo


def identity_check_of(attempt_id: uuid.UUID) -> IdentityCheck | None:
    return IdentityCheck.objects.filter(attempt_id=attempt_id).first()


EVIDENCE_TRIES = 3  # the frames of the latest tries shown to a reviewer


def _with_evidence(checks: QuerySet[IdentityCheck]) -> QuerySet[IdentityCheck]:
    return (checks.select_related("attempt__registration__candidate",
                                  "attempt__registration__room", "reference")
            .prefetch_related(Prefetch("captures",
                                       queryset=IdentityCapture.objects.order_by("-created_at"),
                                       to_attr="latest_captures")))


def evidence_frames(check: IdentityCheck) -> list[tuple[uuid.UUID, int]]:
    """(capture id, frame index) of the frames of the check's latest tries (newest
    first); the check must come from ``reviews_waiting`` or ``review_of``."""
    captures = check.latest_captures[:EVIDENCE_TRIES]  # type: ignore[attr-defined]
    return [(capture.pk, index) for capture in captures
            for index in range(len(capture.frames))]


# --- pictures for staff ------------------------------------------------------------

PHOTO_VIEWERS = ("identity.review_identity", "identity.view_enrolmentphoto")
FRAME_VIEWERS = ("identity.review_identity", "identity.view_identitycheck")


def may_view_photos(user: Any) -> bool:
    return user.is_active and any(user.has_perm(name) for name in PHOTO_VIEWERS)


def may_view_frames(user: Any) -> bool:
    return user.is_active and any(user.has_perm(name) for name in FRAME_VIEWERS)


def photos_visible_to(user: Any) -> QuerySet[EnrolmentPhoto]:
    """Enrolment photos a staff user may see: the office all, a proctor those of
    candidates registered in their rooms."""
    photos = EnrolmentPhoto.objects.all()
    if exam_selectors.oversees_all_rooms(user):
        return photos
    return photos.filter(candidate__registrations__room__in=exam_selectors
                         .rooms_visible_to(user)).distinct()


def checks_visible_to(user: Any) -> QuerySet[IdentityCheck]:
    """Identity checks of the rooms a staff user may watch (the office: all)."""
    checks = IdentityCheck.objects.all()
    if exam_selectors.oversees_all_rooms(user):
        return checks
    return checks.filter(attempt__registration__room__in=exam_selectors.rooms_visible_to(user))


def enrolment_photo_for_staff(*, user: Any, photo_id: uuid.UUID) -> EnrolmentPhoto | None:
    """The photo if this user may see it (reviewer or admin viewer, and its room)."""
    if not may_view_photos(user):
        return None
    return photos_visible_to(user).filter(pk=photo_id).first()


def capture_frame_for_staff(*, user: Any, capture_id: uuid.UUID, index: int) -> str | None:
    """The storage path of one frame of an identity try, if this user may see it."""
    if not may_view_frames(user):
        return None
    capture = IdentityCapture.objects.filter(
        pk=capture_id, identity_check__in=checks_visible_to(user)).only("frames").first()
    if capture is None or not 0 <= index < len(capture.frames):
        return None
    return capture.frames[index]


def reviews_waiting(*, rooms: QuerySet[Room]) -> QuerySet[IdentityCheck]:
    """Identity checks waiting for a proctor in these rooms, oldest first, with their
    evidence."""
    return _with_evidence(IdentityCheck.objects.filter(
        status=IdentityCheck.Status.REVIEW, attempt__registration__room__in=rooms)
    ).order_by("updated_at")


def attempt_in_rooms(*, attempt_id: uuid.UUID, rooms: QuerySet[Room]) -> bool:
    return Attempt.objects.filter(pk=attempt_id, registration__room__in=rooms).exists()


def photo_in_rooms(*, photo_id: uuid.UUID, rooms: QuerySet[Room]) -> bool:
    """The photo's candidate sits in one of these rooms (in any exam)."""
    return EnrolmentPhoto.objects.filter(
        pk=photo_id, candidate__registrations__room__in=rooms).exists()


def review_of(attempt_id: uuid.UUID) -> IdentityCheck:
    """One attempt's identity check, with its evidence (after a decision)."""
    return _with_evidence(IdentityCheck.objects.filter(attempt_id=attempt_id)).get()
