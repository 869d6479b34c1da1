"""Where one autosave's server time goes, measured in-process (no HTTP, no load).

Times each part of ExamHall's autosave fast path one call at a time, in this
process against the bench database (``examhall_bench``, production settings):
token check, body validation, the service (``answers_save``: its queries), and
the bare endpoint's single upsert for comparison. CPU (process time) and wall
time per call, and the SQL statements one save sends.

    .venv/bin/python bench/autosave_parts.py [--n 2000]
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import sys
import time
import uuid
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import _common as c


def measure(label: str, n: int, fn: Callable[[int], object]) -> list[object]:
    for i in range(min(50, n)):  # warm-up
        fn(i)
    cpu, wall = time.process_time(), time.perf_counter()
    for i in range(n):
        fn(50 + i)
    cpu, wall = time.process_time() - cpu, time.perf_counter() - wall
    return [label, n, 1000 * cpu / n, 1000 * wall / n]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--n", type=int, default=2000)
    parser.add_argument("--profile", action="store_true",
                        help="also print a cProfile of services.answers_save (by own time)")
    args = parser.parse_args()
    n = args.n

    seed = c.prepare_examhall_db(1)
    c.prepare_bare_db()
    for key, value in c.EXAMHALL_ENV.items():
        os.environ[key] = value
    import django

    django.setup()
    import psycopg
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from examhall.delivery import services, tokens
    from examhall.delivery.schemas import AnswersIn

    ticket, id_number = seed.people[0]
    login = services.candidate_login(exam_code=seed.exam_code, subject_code=seed.subject_code,
                                     ticket_number=ticket, id_number=id_number)
    attempt = services.attempt_start(attempt_id=login.attempt.pk)
    token = tokens.issue(attempt_id=attempt.pk, registration_id=attempt.registration_id)
    question_ids = list(attempt.question_ids)

    def body(i: int) -> bytes:
        return json.dumps({"saves": [{
            "question_id": question_ids[i % len(question_ids)], "value": ["A"],
            "marked": False, "seq": i + 1,
            "client_saved_at": dt.datetime.now(dt.UTC).isoformat()}]}).encode()

    seq = [0]

    def save(_i: int) -> object:
        seq[0] += 1
        change = services.AnswerChange(question_id=uuid.UUID(question_ids[seq[0] % 20]),
                                       value=["A"], marked=False, seq=seq[0],
                                       client_saved_at=dt.datetime.now(dt.UTC))
        return services.answers_save(attempt_id=attempt.pk, changes=[change])

    with CaptureQueriesContext(connection) as queries:
        save(0)
    # executemany is logged as "<n> times: <sql>"
    statements = [q["sql"].split("times: ")[-1].split()[0] for q in queries.captured_queries]

    bare = psycopg.connect(c.BARE_ENV["BARE_DATABASE_URL"])
    sys.path.insert(0, str(c.BENCH_DIR))
    import bare_asgi
    from psycopg.types.json import Jsonb

    bare_attempt = uuid.uuid4()
    bare_questions = [uuid.uuid4() for _ in range(20)]

    def bare_upsert(i: int) -> object:
        rows = bare_asgi._parse_saves(body(i))
        with bare.cursor() as cursor:
            cursor.executemany(bare_asgi.UPSERT_SQL,
                               [(bare_attempt, bare_questions[i % 20], *r[1:]) for r in rows])
        bare.commit()
        return Jsonb

    rows = [
        measure("tokens.verify (signed token, HMAC)", n, lambda i: tokens.verify(token)),
        measure("AnswersIn.model_validate_json (pydantic)", n,
                lambda i: AnswersIn.model_validate_json(body(i))),
        measure("services.answers_save (ORM read + upsert in a transaction)", n, save),
        measure("bare: parse + one upsert + commit (psycopg, no ORM)", n, bare_upsert),
    ]
    if "--profile" in sys.argv:
        import cProfile
        import pstats

        profiler = cProfile.Profile()
        profiler.enable()
        for i in range(n):
            save(i)
        profiler.disable()
        pstats.Stats(profiler).sort_stats("tottime").print_stats(25)
    c.print_table(["part", "calls", "CPU ms/call", "wall ms/call"], rows,
                  title="One autosave, in-process, one call at a time")
    print(f"\nStatements one services.answers_save sends: {len(statements)}: "
          f"{', '.join(statements)}")
    bare.close()


if __name__ == "__main__":
    main()
