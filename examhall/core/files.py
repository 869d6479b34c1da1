"""Stored pictures served to staff through checked views, never through a public media
URL: enrolment photos, identity frames and monitoring snapshots name no candidate in
their path, but they are personal data and must not be fetchable by anyone who learns
or guesses a URL (and ``/media/`` is served by Django in DEBUG only)."""

from __future__ import annotations

from collections.abc import Callable
from typing import IO

from django.db.models.fields.files import FieldFile
from django.http import Http404, HttpResponse

# Pictures are small (snapshots and frames ≤ 2 MB, re-encoded photos less): read whole,
# so that an ASGI server sends them at once instead of iterating a file in a thread.
MAX_PICTURE_BYTES = 8 * 1024 * 1024


def private_image_response(source: FieldFile | Callable[[], IO[bytes]] | None,
                           content_type: str = "image/jpeg") -> HttpResponse:
    """A stored image (a model's file, or a function opening one) for the signed-in
    staff user who may see it — the caller checked, and passes None when the user may
    not or there is none: a 404. Cached by their browser only; a file missing from
    storage is a 404 too."""
    if source is None:
        raise Http404
    open_file = source if callable(source) else (lambda: source.open("rb"))
    try:
        with open_file() as handle:
            body = handle.read(MAX_PICTURE_BYTES + 1)
    except (FileNotFoundError, OSError) as error:
        raise Http404 from error
    if len(body) > MAX_PICTURE_BYTES:
        raise Http404  # not one of ours
    response = HttpResponse(body, content_type=content_type)
    response["Cache-Control"] = "private, max-age=3600"
    response["X-Content-Type-Options"] = "nosniff"
    return response
