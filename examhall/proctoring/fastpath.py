"""The snapshot uploads as a lean ASGI handler (ADR 0007).

Every candidate's two cameras send a picture every 15–20 s. Served by the sync
django-ninja view, each upload ran on the worker's single thread-sensitive thread
(Django's middleware adapters), so the database, cache, broker and image work of all
uploads of a process queued behind one another. This handler answers

* ``POST /api/attempts/<id>/snapshots`` — Bearer = the attempt token (camera pc or
  phone, as the django-ninja endpoint in ``api.py``);
* ``POST /api/phone/snapshots`` — Bearer = a paired phone's credential, the pairing
  active (claimed, not ended, the exam not over: ``phone_pairing_active``); the phone
  camera (as the endpoint in ``pairing_api.py``);

before Django's stack, like the autosave route (ADR 0004): the same checks (token,
own attempt, pairing, rate limit, JPEG/WebP decoded and re-encoded without metadata,
monitored attempt), the same service (``services.snapshot_upload``), the same error
shape and localisation. The work runs on a small bounded pool of threads of its own
(``EXAMHALL_SNAPSHOT_THREADS``), so uploads run in parallel without holding up autosaves;
the analysis is queued after commit and never waited for. Every other request goes on
to the wrapped app; the django-ninja endpoints stay (API docs, Django's test client).
"""

from __future__ import annotations

import asyncio
import logging
import re
import uuid
from collections.abc import Awaitable, Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.http import HttpRequest
from django.utils import translation
from django.utils.translation import gettext as _

from examhall.core.errors import ApplicationError, NotFound, invalid_input, not_authenticated
from examhall.core.fastpath import (
    DatabaseThreadPool,
    Send,
    release_pooled_connection,
    request_language,
    respond_json,
)
from examhall.core.ttlcache import TTLCache
from examhall.delivery import tokens
from examhall.lockdown import gate as client_gate
from examhall.proctoring import images, phone_tokens, ratelimits, selectors, services
from examhall.proctoring.models import Camera

logger = logging.getLogger(__name__)

Scope = dict[str, Any]
Receive = Callable[[], Awaitable[dict[str, Any]]]

ATTEMPT_SNAPSHOTS = re.compile(r"^/api/attempts/(?P<attempt_id>[0-9a-fA-F-]{32,36})/snapshots$")
PHONE_SNAPSHOTS = "/api/phone/snapshots"
MAX_BODY_BYTES = images.MAX_BYTES + 64 * 1024  # the picture and a few small form fields
MAX_PARTS = 8
DEFAULT_THREADS = 8

_pool = DatabaseThreadPool(
    "snapshot-upload",
    lambda: int(getattr(settings, "EXAMHALL_SNAPSHOT_THREADS", DEFAULT_THREADS)))


def _executor() -> ThreadPoolExecutor:
    return _pool.executor()


def close_pool() -> None:
    """Stop the upload threads and close their connections (shutdown, tests)."""
    _pool.close()


# --- request parsing (no database) ---------------------------------------------------

@dataclass(frozen=True)
class Upload:
    """Who sends (one of the two credentials) and what."""

    attempt: tokens.AttemptCredential | None
    phone: phone_tokens.PhoneCredential | None
    camera: str
    reason: str
    data: bytes
    phone_route: bool


def _too_large() -> ApplicationError:
    return ApplicationError("image_too_large", _("The picture is too large (at most 2 MB and "
                                                 "4000 pixels a side)."), status=413,
                            details={"reason": "too_large"})


async def _read_body(receive: Receive, declared: int | None) -> bytes | None:
    """The body, or None when the client went away; 413 when it is too large."""
    if declared is not None and declared > MAX_BODY_BYTES:
        raise _too_large()
    body = bytearray()
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            return None
        body += message.get("body", b"")
        if len(body) > MAX_BODY_BYTES:
            raise _too_large()
        if not message.get("more_body"):
            return bytes(body)


def _header_params(value: str) -> tuple[str, dict[str, str]]:
    main, *params = value.split(";")
    out = {}
    for param in params:
        key, _sep, item = param.strip().partition("=")
        out[key.strip().lower()] = item.strip().strip('"')
    return main.strip().lower(), out


def _missing(*names: str) -> ApplicationError:
    return invalid_input([{"loc": [name], "msg": "Field required"} for name in names])


def parse_multipart(content_type: str, body: bytes) -> tuple[dict[str, str], bytes | None]:
    """``multipart/form-data`` → (text fields, the ``image`` file's bytes or None).
    Strict and small: at most a few parts, names and values as a browser sends them."""
    kind, params = _header_params(content_type)
    boundary = params.get("boundary", "")
    if kind != "multipart/form-data" or not boundary or len(boundary) > 200:
        raise _missing("image")
    delimiter = b"--" + boundary.encode("latin-1")
    chunks = body.split(delimiter)
    if len(chunks) < 3 or len(chunks) > MAX_PARTS + 2 or not chunks[-1].startswith(b"--"):
        raise invalid_input([{"loc": ["body"], "msg": "Malformed multipart body"}])
    fields: dict[str, str] = {}
    image: bytes | None = None
    for chunk in chunks[1:-1]:
        if not chunk.startswith(b"\r\n") or not chunk.endswith(b"\r\n"):
            raise invalid_input([{"loc": ["body"], "msg": "Malformed multipart body"}])
        head, sep, content = chunk[2:-2].partition(b"\r\n\r\n")
        if not sep:
            raise invalid_input([{"loc": ["body"], "msg": "Malformed multipart body"}])
        disposition = ""
        for line in head.decode("latin-1").split("\r\n"):
            key, _sep, value = line.partition(":")
            if key.strip().lower() == "content-disposition":
                disposition = value
        _kind, part = _header_params(disposition)
        name = part.get("name", "")
        if name == "image" and "filename" in part:
            image = content
        elif name in ("camera", "reason") and len(content) <= 100:
            try:
                fields[name] = content.decode("utf-8")
            except UnicodeDecodeError:
                raise invalid_input([{"loc": [name], "msg": "Not UTF-8"}]) from None
    return fields, image


def _credential(headers: dict[bytes, bytes], *, phone: bool
                ) -> tuple[tokens.AttemptCredential | None, phone_tokens.PhoneCredential | None]:
    """The attempt token on the attempt's route, the phone credential on the phone's
    route — as the django-ninja endpoints: a phone credential is not an attempt token."""
    scheme, _sep, token = headers.get(b"authorization", b"").decode("latin-1").partition(" ")
    token = token.strip()
    if scheme.lower() != "bearer" or not token:
        raise not_authenticated()
    if phone:
        credential = phone_tokens.verify(token)
        if credential is None:
            raise not_authenticated()
        return None, credential
    attempt = tokens.verify(token)
    if attempt is None:
        raise not_authenticated()
    return attempt, None


def _not_found() -> NotFound:
    return NotFound("attempt_not_found", _("This attempt does not exist."))


async def read_upload(scope: Scope, receive: Receive, attempt_id_text: str | None
                      ) -> Upload | None:
    """Authenticate (signatures only), read and parse the request; None when the
    client went away."""
    headers = dict(scope.get("headers", []))
    attempt, phone = _credential(headers, phone=attempt_id_text is None)
    if attempt is not None:
        try:
            path_attempt = uuid.UUID(str(attempt_id_text))
        except ValueError:
            raise _not_found() from None
        if attempt.attempt_id != path_attempt:
            raise _not_found()  # someone else's attempt: as for one that does not exist
    try:
        declared = int(headers[b"content-length"]) if b"content-length" in headers else None
    except ValueError:
        declared = None
    body = await _read_body(receive, declared)
    if body is None:
        return None
    fields, image = parse_multipart(headers.get(b"content-type", b"").decode("latin-1"), body)
    if attempt_id_text is None:
        camera = Camera.PHONE  # the phone route: the phone camera, whatever is said
    elif "camera" not in fields:
        raise _missing("camera")
    else:
        camera = fields["camera"]
    if image is None:
        raise _missing("image")
    return Upload(attempt=attempt, phone=phone, camera=camera,
                  reason=fields.get("reason", "interval"), data=image,
                  phone_route=attempt_id_text is None)


# --- the work (one pool thread) ------------------------------------------------------

INTERVALS_TTL_SECONDS = 60.0
_intervals = TTLCache(INTERVALS_TTL_SECONDS)


def _interval(exam_id: Any, camera: str) -> int:
    """The camera's snapshot interval (the reply's ``next_in_seconds``), read from the
    exam's policy at most once a minute per process: an office's change reaches the
    cameras within a minute, and an upload saves a query."""
    return _intervals.get_or_read((exam_id, camera), lambda: selectors.interval_for(
        selectors.policy_for(exam_id), camera))


def _rate_request() -> HttpRequest:
    request = HttpRequest()
    request.method = "POST"
    return request


def store_upload(upload: Upload) -> dict[str, Any]:
    """Resolve the attempt (and the pairing), count the upload, store it: the same
    steps as the django-ninja views. The reply's payload."""
    from examhall.proctoring.services import pairing as pairing_services

    if upload.phone is not None:
        pairing = pairing_services.phone_pairing_active(upload.phone)
        attempt = pairing.attempt
    elif upload.attempt is not None:
        attempt = services.uploads.attempt_for_upload(
            attempt_id=upload.attempt.attempt_id,
            registration_id=upload.attempt.registration_id,
            generation=upload.attempt.generation)
    else:
        raise not_authenticated()
    ratelimits.check_snapshot_allowed(_rate_request(), attempt_id=attempt.pk,
                                      camera=upload.camera)
    snapshot = services.snapshot_upload(attempt=attempt, camera=upload.camera,
                                        reason=upload.reason, data=upload.data)
    payload: dict[str, Any] = {"snapshot_id": snapshot.pk, "taken_at": snapshot.taken_at,
                               "next_in_seconds": _interval(attempt.registration.exam_id,
                                                            snapshot.camera)}
    if not upload.phone_route:
        payload.update(camera=snapshot.camera, analysis=snapshot.analysis_status)
    return payload


def _store_on_thread(upload: Upload, language: str) -> dict[str, Any]:
    """Runs on an upload thread, in that thread's own context (not a copy of the
    request's, as ``sync_to_async`` would make): Django's cache handles are per context,
    so the rate limit's Redis client and its connections live as long as the thread
    instead of being opened again for every upload. With a connection pool (PostgreSQL)
    the database connection goes back to the pool after each upload; otherwise (SQLite)
    the thread keeps it."""
    try:
        with translation.override(language):
            return store_upload(upload)
    finally:
        release_pooled_connection()


class SnapshotFastPath:
    """ASGI wrapper: serves the two snapshot routes itself, passes everything else on."""

    def __init__(self, app: Callable[[Scope, Receive, Send], Awaitable[None]]) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        attempt_id: str | None = None
        ours = False
        if scope["type"] == "http" and scope["method"] == "POST":
            if scope["path"] == PHONE_SNAPSHOTS:
                ours = True
            elif match := ATTEMPT_SNAPSHOTS.match(scope["path"]):
                ours, attempt_id = True, match["attempt_id"]
        if not ours:
            await self.app(scope, receive, send)
            return
        language = request_language(dict(scope.get("headers", [])))
        with translation.override(language):
            try:
                if attempt_id is not None:  # the PC's route; the phone is never asked
                    refusal, receive = await client_gate.fastpath_check(
                        scope, receive, attempt_id, max_body=MAX_BODY_BYTES,
                        executor=_executor())
                    if refusal is not None:
                        await respond_json(send, refusal.status, refusal.payload, language)
                        return
                upload = await read_upload(scope, receive, attempt_id)
                if upload is None:
                    return  # the client went away: nobody to answer
                payload = await asyncio.get_running_loop().run_in_executor(
                    _executor(), _store_on_thread, upload, language)
                status = 202
            except ApplicationError as error:
                payload, status = {"error": error.as_dict()}, error.status
            except Exception:  # the database is down, a bug: the camera tries again later
                logger.exception("snapshot upload failed for %s", scope["path"])
                error = ApplicationError(
                    "temporarily_unavailable",
                    _("The picture could not be stored just now; it will be sent again."),
                    status=503)
                payload, status = {"error": error.as_dict()}, error.status
        await respond_json(send, status, payload, language)
