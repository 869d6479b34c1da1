"""The baseline: a bare ASGI app (no framework) doing the autosave's single-row upsert.

POST /api/attempts/{attempt_id}/answers with ExamHall's JSON body
``{"saves": [{"question_id", "value", "marked", "seq", "client_saved_at"}]}``
parses and checks the body like the real endpoint would, upserts each save with
psycopg's AsyncConnectionPool (one pool per worker) and answers
``{"acknowledged_seq", "server_now"}``. GET /health answers 200.

Served by uvicorn exactly like ExamHall: ``uvicorn bare_asgi:app --app-dir bench
--workers 2 --lifespan on --no-access-log``; database from BARE_DATABASE_URL.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import uuid
from typing import Any

from psycopg.types.json import Jsonb
from psycopg_pool import AsyncConnectionPool

DATABASE_URL = os.environ.get("BARE_DATABASE_URL",
                              "postgresql://postgres@127.0.0.1:5432/bench_bare")
POOL_MAX = int(os.environ.get("BARE_POOL_MAX", "10"))

UPSERT_SQL = """
INSERT INTO answers (attempt_id, question_id, value, marked, seq, client_saved_at, saved_at)
VALUES (%s, %s, %s, %s, %s, %s, %s)
ON CONFLICT (attempt_id, question_id) DO UPDATE SET
    value = excluded.value, marked = excluded.marked, seq = excluded.seq,
    client_saved_at = excluded.client_saved_at, saved_at = excluded.saved_at
WHERE answers.seq < excluded.seq
"""

_pool: AsyncConnectionPool | None = None


class BadRequest(Exception):
    pass


def _parse_saves(body: bytes) -> list[tuple[Any, ...]]:
    try:
        data = json.loads(body)
        saves = data["saves"]
        if not isinstance(saves, list) or not 1 <= len(saves) <= 500:
            raise BadRequest("saves")
        now = dt.datetime.now(dt.UTC)
        rows = []
        for save in saves:
            value = save.get("value", [])
            if not isinstance(value, list) or len(value) > 26:
                raise BadRequest("value")
            seq = int(save["seq"])
            if seq < 1:
                raise BadRequest("seq")
            stamp = save.get("client_saved_at")
            rows.append((
                uuid.UUID(save["question_id"]),
                Jsonb([str(v) for v in value]),
                bool(save.get("marked", False)),
                seq,
                dt.datetime.fromisoformat(stamp) if stamp else None,
                now,
            ))
        return rows
    except (KeyError, TypeError, ValueError) as error:
        raise BadRequest(str(error)) from error


async def _read_body(receive: Any) -> bytes:
    chunks = []
    more = True
    while more:
        message = await receive()
        chunks.append(message.get("body", b""))
        more = message.get("more_body", False)
    return b"".join(chunks)


async def _respond(send: Any, status: int, payload: dict[str, Any]) -> None:
    body = json.dumps(payload).encode()
    await send({"type": "http.response.start", "status": status,
                "headers": [(b"content-type", b"application/json"),
                            (b"content-length", str(len(body)).encode())]})
    await send({"type": "http.response.body", "body": body})


async def _lifespan(receive: Any, send: Any) -> None:
    global _pool
    while True:
        message = await receive()
        if message["type"] == "lifespan.startup":
            _pool = AsyncConnectionPool(DATABASE_URL, min_size=2, max_size=POOL_MAX, open=False)
            await _pool.open(wait=True, timeout=30)
            await send({"type": "lifespan.startup.complete"})
        elif message["type"] == "lifespan.shutdown":
            if _pool is not None:
                await _pool.close()
            await send({"type": "lifespan.shutdown.complete"})
            return


async def app(scope: dict[str, Any], receive: Any, send: Any) -> None:
    if scope["type"] == "lifespan":
        await _lifespan(receive, send)
        return
    if scope["type"] != "http":
        return
    path = scope["path"]
    if path == "/health":
        await _respond(send, 200, {"ok": True})
        return
    parts = path.strip("/").split("/")
    if (scope["method"] != "POST" or len(parts) != 4 or parts[:2] != ["api", "attempts"]
            or parts[3] != "answers"):
        await _respond(send, 404, {"error": {"code": "not_found"}})
        return
    try:
        attempt_id = uuid.UUID(parts[2])
        rows = _parse_saves(await _read_body(receive))
    except (BadRequest, ValueError) as error:
        await _respond(send, 422, {"error": {"code": "invalid_input", "message": str(error)}})
        return
    rows.sort(key=lambda row: row[3])
    assert _pool is not None
    async with _pool.connection() as conn, conn.cursor() as cursor:
        await cursor.executemany(UPSERT_SQL, [(attempt_id, *row) for row in rows])
    now = rows[-1][5]
    await _respond(send, 200, {"acknowledged_seq": max(row[3] for row in rows),
                               "server_now": now.isoformat()})
