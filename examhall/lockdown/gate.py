"""Which requests must come from the exam client, and whether one did (ADR 0012).

For an exam whose client policy requires the client, every request of the candidate's
computer carries ``X-ExamHall-Client``: the exam's entry and login pages
(``/exam/<code>/…``, ``/api/exams/<code>…``), the pages of a browser signed in to one of
its attempts (``/attempt/…``), the attempt's API (``/api/attempts/<id>/…``, with the
autosave and snapshot fast paths), and the attempt's websocket. Everything else (static
files, ``/i18n/``, ``/help/``, the policy API, the phone's pages and API, result
look-up, staff pages) is never asked.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Awaitable, Callable
from concurrent.futures import Executor
from dataclasses import dataclass
from typing import Any

from asgiref.sync import sync_to_async
from django.conf import settings
from django.http import HttpRequest
from django.urls import reverse
from django.utils.encoding import escape_uri_path
from django.utils.translation import gettext as _

from examhall.core.fastpath import release_pooled_connection
from examhall.lockdown import selectors, signature
from examhall.lockdown.selectors import Gate

CLIENT_REQUIRED = "client_required"
CLIENT_OUTDATED = "client_outdated"

_EXAM_PAGE = re.compile(r"^/exam/(?P<code>[-a-zA-Z0-9_]+)/")
_EXAM_API = re.compile(r"^/api/exams/(?P<code>[-a-zA-Z0-9_]+)(?:/|$)")
_ATTEMPT_API = re.compile(r"^/api/attempts/(?P<attempt_id>[0-9a-fA-F-]{32,36})(?:/|$)")
_ATTEMPT_PAGES = "/attempt/"

Scope = dict[str, Any]
Receive = Callable[[], Awaitable[dict[str, Any]]]


# --- the verdict ---------------------------------------------------------------------------


def judge(gate: Gate, header_value: str | None, *, method: str, url: str,
          body: bytes) -> str:
    """"" when the request is validly signed by a recent enough client, else the
    refusal's code."""
    header = signature.parse_header(header_value)
    if header is None or not signature.verify(key=gate.client_key, header=header,
                                              method=method, url=url, body=body):
        return CLIENT_REQUIRED
    if signature.version_tuple(header.version) < gate.min_version:
        return CLIENT_OUTDATED
    return ""


@dataclass(frozen=True)
class Refusal:
    code: str
    status: int = 403

    @property
    def message(self) -> str:
        if self.code == CLIENT_OUTDATED:
            return _("Your exam client is out of date. Please download and install the "
                     "latest version, then open the exam again.")
        return _("Please use the exam client to take this exam.")

    @property
    def payload(self) -> dict[str, Any]:
        """The JSON refusal: the contract's ``code``/``message`` at the top, and the
        API's usual ``error`` object for the pages' own API helper."""
        download_url = reverse("lockdown:help_client")
        return {"code": self.code, "message": self.message, "download_url": download_url,
                "error": {"code": self.code, "message": self.message,
                          "details": {"download_url": download_url}}}


# --- Django requests -------------------------------------------------------------------------


def in_scope(path: str) -> bool:
    """Could this path be asked for a signature? (No database; cheap for every request.)"""
    return path.startswith((_ATTEMPT_PAGES, "/api/attempts/", "/api/exams/", "/exam/"))


def gate_for_request(request: HttpRequest) -> Gate | None:
    path = request.path_info
    if match := _EXAM_PAGE.match(path) or _EXAM_API.match(path):
        return selectors.gate_for_exam_code(match["code"])
    if match := _ATTEMPT_API.match(path):
        try:
            return selectors.gate_for_attempt(uuid.UUID(match["attempt_id"]))
        except ValueError:
            return None
    if path.startswith(_ATTEMPT_PAGES):
        from examhall.delivery.sessions import signed_in_attempt_id

        attempt_id = signed_in_attempt_id(request)
        return selectors.gate_for_attempt(attempt_id) if attempt_id else None
    return None


def request_url(request: HttpRequest) -> str:
    """The canonical URL of a Django request: scheme and host as Django sees them behind
    a proxy (SECURE_PROXY_SSL_HEADER, USE_X_FORWARDED_HOST), the path as on the wire."""
    scope = getattr(request, "scope", None)
    raw_path = scope.get("raw_path") if isinstance(scope, dict) else None
    path = raw_path.decode("latin-1") if raw_path else escape_uri_path(request.path)
    return signature.canonical_url(scheme=request.scheme or "http", host=request.get_host(),
                                   path=path, query=request.META.get("QUERY_STRING", ""))


def check_request(request: HttpRequest) -> Refusal | None:
    """The refusal for a Django request, or None when it may go on."""
    if not in_scope(request.path_info):
        return None
    gate = gate_for_request(request)
    if gate is None:
        return None
    body = request.body if request.method not in ("GET", "HEAD") else b""
    code = judge(gate, request.headers.get(signature.HEADER), method=request.method or "GET",
                 url=request_url(request), body=body)
    return Refusal(code) if code else None


# --- ASGI scopes (fast paths, websocket) -----------------------------------------------------


def _headers(scope: Scope) -> dict[bytes, bytes]:
    return {name.lower(): value for name, value in scope.get("headers", [])}


def _meta_header(name: str) -> bytes:
    """``HTTP_X_FORWARDED_PROTO`` → ``x-forwarded-proto``."""
    return name.removeprefix("HTTP_").lower().replace("_", "-").encode("latin-1")


def scope_url(scope: Scope) -> str:
    """The canonical URL of an ASGI request or websocket handshake, as ``request_url``."""
    headers = _headers(scope)
    scheme = {"ws": "http", "wss": "https"}.get(scope.get("scheme") or "", scope.get("scheme")
                                               or "http")
    proxy_ssl = getattr(settings, "SECURE_PROXY_SSL_HEADER", None)
    if proxy_ssl:
        header, secure_value = proxy_ssl
        sent = headers.get(_meta_header(header))
        if sent is not None:
            scheme = ("https" if sent.decode("latin-1").split(",", 1)[0].strip() == secure_value
                      else "http")
    host = b""
    if settings.USE_X_FORWARDED_HOST:
        host = headers.get(b"x-forwarded-host", b"")
    host = host or headers.get(b"host", b"")
    if not host and scope.get("server"):
        server_host, port = scope["server"]
        host = f"{server_host}:{port}".encode("latin-1")
    raw_path = scope.get("raw_path") or scope.get("path", "").encode("utf-8")
    return signature.canonical_url(scheme=scheme, host=host.decode("latin-1"),
                                   path=raw_path.decode("latin-1"),
                                   query=scope.get("query_string", b"").decode("latin-1"))


def judge_scope(gate: Gate, scope: Scope, body: bytes) -> str:
    header = _headers(scope).get(signature.HEADER.lower().encode(), b"").decode("latin-1")
    method = scope.get("method") or "GET"  # a websocket handshake is a GET
    return judge(gate, header or None, method=method, url=scope_url(scope), body=body)


def websocket_refused(scope: Scope, attempt_id: uuid.UUID) -> bool:
    """After the attempt's socket authenticated: must it close (4403)? Reads the
    database on a cache miss (call it off the event loop)."""
    gate = selectors.gate_for_attempt(attempt_id)
    return gate is not None and judge_scope(gate, scope, b"") != ""


def _replay(body: bytes, receive: Receive, disconnected: bool) -> Receive:
    sent = False

    async def replay() -> dict[str, Any]:
        nonlocal sent
        if not sent:
            sent = True
            if disconnected:
                return {"type": "http.disconnect"}
            return {"type": "http.request", "body": body, "more_body": False}
        return await receive()

    return replay


async def _read_body(receive: Receive, max_body: int) -> tuple[bytes, bool]:
    """(body, disconnected); stops once the body is past ``max_body`` (the handler
    then refuses it as too large itself)."""
    body = bytearray()
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            return bytes(body), True
        body += message.get("body", b"")
        if len(body) > max_body or not message.get("more_body"):
            return bytes(body), False


def _gate_on_thread(attempt_id: uuid.UUID) -> Gate | None:
    """A cache miss, on a fast path's database thread: with a connection pool
    (PostgreSQL) the connection goes back to the pool at once, as after a save."""
    try:
        return selectors.gate_for_attempt(attempt_id)
    finally:
        release_pooled_connection()


async def fastpath_check(scope: Scope, receive: Receive, attempt_id_text: str, *,
                         max_body: int, executor: Executor | None = None
                         ) -> tuple[Refusal | None, Receive]:
    """For an ASGI fast path (autosave, the PC's snapshots): the refusal, or None and
    the ``receive`` to go on with (the body, read here only when the attempt's exam
    requires the client, is handed on unchanged). Cheap when the exam does not require
    the client: a per-process cache, a database read only on a miss."""
    try:
        attempt_id = uuid.UUID(attempt_id_text)
    except ValueError:
        return None, receive  # the handler answers "not found"
    known, gate = selectors.cached_gate_for_attempt(attempt_id)
    if not known:
        gate = await sync_to_async(_gate_on_thread, thread_sensitive=False,
                                   executor=executor)(attempt_id)
    if gate is None:
        return None, receive
    body, disconnected = await _read_body(receive, max_body)
    if disconnected or len(body) > max_body:
        return None, _replay(body, receive, disconnected)
    code = judge_scope(gate, scope, body)
    return (Refusal(code) if code else None), _replay(body, receive, False)
