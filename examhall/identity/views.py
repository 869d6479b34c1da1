"""The candidate's identity verification page (the API does the work), and the
identity pictures served to staff."""

from __future__ import annotations

import uuid

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.files.storage import default_storage
from django.http import HttpRequest, HttpResponse
from django.views.decorators.http import require_GET

from examhall.core.files import private_image_response
from examhall.delivery.views import check_stage_page
from examhall.identity import selectors


def page(request: HttpRequest) -> HttpResponse:
    return check_stage_page(request, "identity/verify.html")


# --- pictures for staff (never through a public media URL) ----------------------------


@login_required
@require_GET
def enrolment_photo(request: HttpRequest, photo_id: uuid.UUID) -> HttpResponse:
    """An enrolment photo, for reviewers and admin viewers of the candidate's room."""
    if not selectors.may_view_photos(request.user):
        raise PermissionDenied
    photo = selectors.enrolment_photo_for_staff(user=request.user, photo_id=photo_id)
    return private_image_response(photo.image if photo else None)


@login_required
@require_GET
def capture_frame(request: HttpRequest, capture_id: uuid.UUID, index: int) -> HttpResponse:
    """One frame of an identity try, for reviewers and admin viewers of its room."""
    if not selectors.may_view_frames(request.user):
        raise PermissionDenied
    path = selectors.capture_frame_for_staff(user=request.user, capture_id=capture_id,
                                             index=index)
    return private_image_response(
        (lambda: default_storage.open(path, "rb")) if path is not None else None)
