"""The proctor console's pages. Thin: the page draws from the JSON API and the
websocket; these views check access and hand over the ids."""

from __future__ import annotations

import uuid

from django.contrib.auth.decorators import login_required
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import render

from examhall.console import selectors, services
from examhall.core.errors import ApplicationError


def _forbidden(request: HttpRequest) -> HttpResponse:
    return render(request, "403.html", status=403)

@login_required
def rooms(request: HttpRequest) -> HttpResponse:
    if not selectors.may_use_console(request.user):
        return _forbidden(request)
    return render(request, "console/rooms.html",
                  {"rooms": selectors.rooms_for_console(request.user)})

@login_required
def room(request: HttpRequest, room_id: uuid.UUID) -> HttpResponse:
    if not selectors.may_use_console(request.user):
        return _forbidden(request)
    try:
        room = services.proctor_room(actor=request.user, room_id=room_id)
    except ApplicationError as error:
        raise Http404(str(error.message)) from error
    return render(request, "console/room.html", {"room": room})

@login_required
def attempt(request: HttpRequest, attempt_id: uuid.UUID) -> HttpResponse:
    if not selectors.may_use_console(request.user):
        return _forbidden(request)
    try:
        attempt = services.proctor_attempt(actor=request.user, attempt_id=attempt_id)
    except ApplicationError as error:
        raise Http404(str(error.message)) from error
    return render(request, "console/attempt.html", {"attempt": attempt})

@login_required
def snapshot(request: HttpRequest, snapshot_id: uuid.UUID) -> HttpResponse:
    """A snapshot's image, for staff who may watch the candidate's room (never via a
    public media URL)."""
    if not selectors.may_use_console(request.user):
        return _forbidden(request)
    picture = selectors.snapshot_for_staff(user=request.user, snapshot_id=snapshot_id)
    if picture is None:
        raise Http404
    try:
        handle = picture.image.open("rb")
    except FileNotFoundError as error:
        raise Http404 from error
    response = FileResponse(handle, content_type="image/jpeg")
    response["Cache-Control"] = "private, max-age=3600"
    return response
