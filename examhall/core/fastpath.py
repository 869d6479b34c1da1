"""What the ASGI fast paths share (autosave, snapshot upload: ADR 0004, ADR 0007): a
bounded pool of threads that each keep their own database connection, the language
of a request, and a JSON answer.

The pool starts on first use; ``close()`` stops the threads and closes their
connections (shutdown, tests)."""

from __future__ import annotations

import json
import threading
from collections.abc import Awaitable, Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.db import DEFAULT_DB_ALIAS, connections
from django.utils.translation import trans_real

Send = Callable[[dict[str, Any]], Awaitable[None]]


def request_language(headers: dict[bytes, bytes]) -> str:
    """The supported language the request's Accept-Language asks for first."""
    accept = headers.get(b"accept-language", b"").decode("latin-1")
    for code, _quality in trans_real.parse_accept_lang_header(accept):
        try:
            return trans_real.get_supported_language_variant(code)
        except LookupError:
            continue
    return settings.LANGUAGE_CODE


async def respond_json(send: Send, status: int, payload: dict[str, Any], language: str) -> None:
    body = json.dumps(payload, cls=DjangoJSONEncoder).encode()
    await send({
        "type": "http.response.start",
        "status": status,
        "headers": [
            (b"content-type", b"application/json; charset=utf-8"),
            (b"content-length", str(len(body)).encode()),
            (b"content-language", language.encode()),
            (b"cache-control", b"no-store"),
            (b"x-content-type-options", b"nosniff"),
        ],
    })
    await send({"type": "http.response.body", "body": body})


def release_pooled_connection() -> None:
    """After a fast path's database work on one of its threads: with a connection pool
    (PostgreSQL) this thread's connection goes back to the pool at once; otherwise
    (SQLite) the thread keeps it."""
    connection = connections[DEFAULT_DB_ALIAS]
    if connection.settings_dict.get("OPTIONS", {}).get("pool"):
        connection.close()


class DatabaseThreadPool:
    def __init__(self, name: str, size: Callable[[], int]) -> None:
        self._name = name
        self._size = size  # read when the pool starts, so settings in tests apply
        self._pool: ThreadPoolExecutor | None = None
        self._lock = threading.Lock()
        self._connections: list[Any] = []

    def _register_thread_connection(self) -> None:
        connection = connections[DEFAULT_DB_ALIAS]
        connection.inc_thread_sharing()  # so close() may close it from another thread
        self._connections.append(connection)

    def executor(self) -> ThreadPoolExecutor:
        with self._lock:
            if self._pool is None:
                self._pool = ThreadPoolExecutor(
                    max_workers=self._size(), thread_name_prefix=self._name,
                    initializer=self._register_thread_connection)
            return self._pool

    def close(self) -> None:
        with self._lock:
            pool, self._pool = self._pool, None
        if pool is not None:
            pool.shutdown(wait=True)
        while self._connections:
            self._connections.pop().close()
