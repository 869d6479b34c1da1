"""The autosave hot path as a lean ASGI handler.

``POST /api/attempts/<id>/answers`` is the request every candidate sends every
few seconds. Served through Django's full middleware stack under ASGI, each
request hops threads once per middleware (Django's sync middleware adapters);
measured here that capped a worker far below the goal (docs/performance.md).
This handler answers that one route before Django's stack: same schema
(``AnswersIn``), same token check, same service (``services.answers_save``),
same error shape and localisation. Every other request, and the OpenAPI
description of this one, stays with Django and django-ninja.
See docs/adr/0004-autosave-fast-path.md.
"""

from __future__ import annotations

import logging
import re
import uuid
from collections.abc import Awaitable, Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from asgiref.sync import sync_to_async
from django.conf import settings
from django.db import (
    InterfaceError,
    OperationalError,
    close_old_connections,
)
from django.utils import translation
from django.utils.translation import gettext as _
from pydantic import ValidationError

from examhall.core.errors import ApplicationError, NotFound, invalid_input, not_authenticated
from examhall.core.fastpath import (
    DatabaseThreadPool,
    Send,
    release_pooled_connection,
    request_language,
    respond_json,
)
from examhall.delivery import services, tokens
from examhall.delivery.schemas import AnswersIn
from examhall.lockdown import gate as client_gate

logger = logging.getLogger(__name__)

Scope = dict[str, Any]
Receive = Callable[[], Awaitable[dict[str, Any]]]

ANSWERS_PATH = re.compile(r"^/api/attempts/(?P<attempt_id>[0-9a-fA-F-]{32,36})/answers$")
MAX_BODY_BYTES = 2 * 1024 * 1024  # a batch of a few long essays after a time offline


# Saves run on a bounded pool of threads, each with its own persistent database
# connection: at most EXAMHALL_AUTOSAVE_DB_THREADS connections per process.
_pool = DatabaseThreadPool("autosave", lambda: settings.EXAMHALL_AUTOSAVE_DB_THREADS)


def _executor() -> ThreadPoolExecutor:
    return _pool.executor()


def close_pool() -> None:
    """Stop the save threads and close their connections (shutdown, tests)."""
    _pool.close()


def _save(attempt_id: uuid.UUID, changes: list[services.AnswerChange],
          generation: int) -> services.SaveReceipt:
    """Runs on a save thread. With a connection pool (PostgreSQL) the connection
    goes back to the pool after each save; otherwise (SQLite) the thread keeps it."""
    try:
        try:
            return services.answers_save(attempt_id=attempt_id, changes=changes,
                                         generation=generation)
        except (OperationalError, InterfaceError):
            close_old_connections()  # a connection the database dropped: reconnect once
            return services.answers_save(attempt_id=attempt_id, changes=changes,
                                         generation=generation)
    finally:
        release_pooled_connection()


async def _read_body(receive: Receive) -> bytes | None:
    body = bytearray()
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            return None
        body += message.get("body", b"")
        if len(body) > MAX_BODY_BYTES:
            return None
        if not message.get("more_body"):
            return bytes(body)


async def _handle(scope: Scope, receive: Receive, attempt_id_text: str) -> dict[str, Any]:
    headers = dict(scope.get("headers", []))
    authorization = headers.get(b"authorization", b"").decode("latin-1")
    scheme, _sep, token = authorization.partition(" ")
    credential = tokens.verify(token.strip()) if scheme.lower() == "bearer" else None
    if credential is None:
        raise not_authenticated()
    try:
        attempt_id = uuid.UUID(attempt_id_text)
    except ValueError:
        attempt_id = None
    if attempt_id is None or credential.attempt_id != attempt_id:
        raise NotFound("attempt_not_found", _("This attempt does not exist."))
    body = await _read_body(receive)
    if body is None:
        raise ApplicationError("body_too_large", _("This request is too large."), status=413)
    try:
        payload = AnswersIn.model_validate_json(body)
    except ValidationError as error:
        raise invalid_input(
            [{"loc": e["loc"], "msg": e["msg"]} for e in error.errors()]
        ) from None
    changes = [
        services.AnswerChange(question_id=save.question_id, value=save.value, marked=save.marked,
                              seq=save.seq, client_saved_at=save.client_saved_at)
        for save in payload.saves
    ]
    receipt = await sync_to_async(_save, thread_sensitive=False, executor=_executor())(
        attempt_id, changes, credential.generation
    )
    return {"acknowledged_seq": receipt.acknowledged_seq, "server_now": receipt.server_now}


class AutosaveFastPath:
    """ASGI wrapper: serves the autosave route itself, passes everything else on."""

    def __init__(self, app: Callable[[Scope, Receive, Send], Awaitable[None]]) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        match = None
        if scope["type"] == "http" and scope["method"] == "POST":
            match = ANSWERS_PATH.match(scope["path"])
        if match is None:
            await self.app(scope, receive, send)
            return
        language = request_language(dict(scope.get("headers", [])))
        with translation.override(language):
            try:
                # An exam that requires the exam client: a signed request only (ADR 0012).
                refusal, receive = await client_gate.fastpath_check(
                    scope, receive, match["attempt_id"], max_body=MAX_BODY_BYTES,
                    executor=_executor())
                if refusal is not None:
                    await respond_json(send, refusal.status, refusal.payload, language)
                    return
                payload = await _handle(scope, receive, match["attempt_id"])
                status = 200
            except ApplicationError as error:
                payload, status = {"error": error.as_dict()}, error.status
            except Exception:  # the database is down, a bug: the page keeps the answer and retries
                logger.exception("autosave failed for %s", scope["path"])
                error = ApplicationError(
                    "temporarily_unavailable",
                    _("Your answer is kept on this computer and will be sent again shortly."),
                    status=503,
                )
                payload, status = {"error": error.as_dict()}, error.status
        await respond_json(send, status, payload, language)
