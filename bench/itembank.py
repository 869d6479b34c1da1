"""Item-bank benchmark (issue 3): import, paper drawing and grading at exam scale.

Each phase runs in a subprocess of its own so that its peak memory (max RSS) is
its own. Phases:
  xlsx    import 10,000 Excel rows into the bank (PostgreSQL), as itembank_import does
  qti     import a 2,000-item QTI 2.1 package into the bank
  draw    draw papers for 5,000 candidates from a 6-section rule set
  grade   grade 5,000 submitted attempts of 30 questions on PostgreSQL
Goal: each under 60 s on this machine, peak memory under 1 GB.

    .venv/bin/python bench/itembank.py [--quick] [--phases xlsx,qti,draw,grade]
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import time
from decimal import Decimal
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

import _common as c  # noqa: E402

GRADE_DB = "examhall_bench_items"
SIZES = {"xlsx": 10_000, "qti": 2_000, "draw": 5_000, "grade": 5_000}
QUICK = {"xlsx": 500, "qti": 100, "draw": 200, "grade": 100}


def _django(database: str | None = None) -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.test")
    if database:
        os.environ["DATABASE_URL"] = f"postgres://postgres@127.0.0.1:5432/{database}"
    import django

    django.setup()


def _sample_items(count: int) -> list[object]:
    from examhall.itembank.formats.interchange import Blank, Item, Option

    items = []
    for n in range(count):
        kind = ("single", "multiple", "true_false", "fill_blank")[n % 4]
        if kind == "true_false":
            options = [Option("T", "正确", correct=True), Option("F", "错误")]
        elif kind == "fill_blank":
            options = []
        else:
            right = ("A", "C") if kind == "multiple" else ("A",)
            options = [Option(k, f"选项{k}：排放因子法第{n}题", correct=k in right) for k in "ABCD"]
        blanks = [Blank("1", ["二氧化碳", "CO2"])] if kind == "fill_blank" else []
        stem = f"第{n}题：某企业年度化石燃料燃烧排放量的核算方法是？" + (
            " {{1}}" if kind == "fill_blank" else "")
        items.append(Item(kind=kind, stem=stem, options=options, blanks=blanks,
                          score=Decimal(2), tags=["核算"], difficulty=1 + n % 5,
                          identifier=f"q{n}"))
    return items


def _import_into_bank(fmt: str, size: int) -> dict[str, object]:
    """Parse and commit into a fresh PostgreSQL database, as `itembank_import` does."""
    c.recreate_database(GRADE_DB)
    _django(GRADE_DB)
    from django.core.management import call_command

    from examhall.itembank.formats import qti, xlsx

    items = _sample_items(size)
    data, filename = ((xlsx.write_items_xlsx(items), "bench.xlsx") if fmt == "xlsx"
                      else (qti.write_qti_package(items), "bench.zip"))

    call_command("migrate", verbosity=0)
    from examhall.devtools import factories
    from examhall.itembank import services

    subject = factories.make_subject(exam=factories.make_exam(code="bench-import"))
    started = time.perf_counter()
    report = services.items_import(subject=subject, data=data, filename=filename, commit=True)
    seconds = time.perf_counter() - started
    return {"seconds": seconds, "count": report.count("imported"), "rate": size / seconds}


def phase_xlsx(size: int) -> dict[str, object]:
    return _import_into_bank("xlsx", size)


def phase_qti(size: int) -> dict[str, object]:
    return _import_into_bank("qti", size)


def phase_draw(size: int) -> dict[str, object]:
    from examhall.itembank.paper_rules import PoolItem, SectionRule, draw_paper, prepare

    kinds = ("single", "multiple", "true_false")
    pool = [PoolItem(f"q{n}", kinds[n % 3], 1 + n % 5, frozenset({f"t{n % 7}"}),
                     ("A", "B", "C", "D")) for n in range(3_000)]
    rules = [SectionRule(f"s{i}", kinds[i % 3], 15, Decimal(2),
                         frozenset({f"t{i}"}) if i % 2 else frozenset()) for i in range(6)]
    started = time.perf_counter()
    prepared = prepare(pool, rules)
    papers = [draw_paper(prepared, seed=f"bench/{n}") for n in range(size)]
    seconds = time.perf_counter() - started
    return {"seconds": seconds, "count": len(papers), "rate": size / seconds}


def _seed_submitted_attempts(size: int) -> list[object]:
    from django.db import transaction

    from examhall.candidates.models import Candidate, IdType, Registration
    from examhall.core import clock
    from examhall.delivery.models import Answer, Attempt, AttemptState
    from examhall.devtools import factories
    from examhall.itembank.models import Paper

    with transaction.atomic():
        exam = factories.make_exam(code="bench-items")
        subject = factories.make_subject(exam=exam)
        session = factories.make_session(exam=exam)
        room = factories.make_room(session=session)
        paper = factories.make_paper(subject=subject, count=30)
        question_ids = [str(q) for q in Paper.objects.get(pk=paper.pk).entries
                        .order_by("position").values_list("question_id", flat=True)]
        candidates = []
        for n in range(size):
            candidate = Candidate(name=f"考生{n}", id_type=IdType.PASSPORT)
            candidate.id_number_encrypted, candidate.id_number_hash = "x", f"{n:064d}"
            candidate.id_number_masked = "E****"
            candidates.append(candidate)
        Candidate.objects.bulk_create(candidates, batch_size=1000)
        registrations = Registration.objects.bulk_create(
            [Registration(candidate=cand, exam=exam, subject=subject, session=session, room=room,
                          ticket_number=f"B{n:08d}") for n, cand in enumerate(candidates)],
            batch_size=1000)
        now = clock.now()
        attempts = Attempt.objects.bulk_create(
            [Attempt(registration=r, state=AttemptState.SUBMITTED, paper=paper,
                     question_ids=question_ids, started_at=now, deadline=now,
                     submitted_at=now, submit_reason="candidate") for r in registrations],
            batch_size=1000)
        answers = [Answer(attempt=a, question_id=qid, value=["A"], seq=i + 1, saved_at=now)
                   for a in attempts for i, qid in enumerate(question_ids)]
        Answer.objects.bulk_create(answers, batch_size=5000)
    return [a.pk for a in attempts]


def phase_grade(size: int) -> dict[str, object]:
    c.recreate_database(GRADE_DB)
    _django(GRADE_DB)
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    attempt_ids = _seed_submitted_attempts(size)
    from examhall.grading.services import attempts_grade

    started = time.perf_counter()
    attempts_grade(attempt_ids=attempt_ids)
    seconds = time.perf_counter() - started
    return {"seconds": seconds, "count": len(attempt_ids), "rate": size / seconds}


PHASES = {"xlsx": phase_xlsx, "qti": phase_qti, "draw": phase_draw, "grade": phase_grade}


def run_phase_here(name: str, size: int) -> None:
    result = PHASES[name](size)
    result["max_rss_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print("RESULT " + json.dumps(result, default=str))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--phases", default="xlsx,qti,draw,grade")
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--run-phase", help=argparse.SUPPRESS)
    parser.add_argument("--size", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.run_phase:
        run_phase_here(args.run_phase, args.size)
        return
    sizes = QUICK if args.quick else SIZES
    c.log(f"item-bank benchmark on {c.machine_description()}; code {c.code_version()}")
    rows, goals = [], []
    for name in args.phases.split(","):
        c.log(f"{name}: {sizes[name]:,} …")
        done = subprocess.run(
            [sys.executable, __file__, "--run-phase", name, "--size", str(sizes[name])],
            cwd=ROOT, capture_output=True, text=True, timeout=600,
            env=c.child_env({"PYTHONUNBUFFERED": "1"}),
        )
        lines = [line for line in done.stdout.splitlines() if line.startswith("RESULT ")]
        if done.returncode != 0 or not lines:
            rows.append([name, sizes[name], "-", "-", "-", f"failed: {done.stderr[-300:]}"])
            continue
        result = json.loads(lines[-1][len("RESULT "):])
        if "skipped" in result:
            rows.append([name, sizes[name], "-", "-", f"{result['max_rss_mb']:.0f}",
                         result["skipped"]])
            continue
        rows.append([name, sizes[name], result["seconds"], result["rate"],
                     result["max_rss_mb"], ""])
        goals.append(c.goal(f"{name}: under 60 s and 1 GB ({result['seconds']:.1f} s, "
                            f"{result['max_rss_mb']:.0f} MB)",
                            result["seconds"] < 60 and result["max_rss_mb"] < 1024))
    c.print_table(["phase", "size", "seconds", "per second", "peak MB", "note"], rows,
                  "Item bank at exam scale")
    for line in goals:
        print(line)


if __name__ == "__main__":
    main()
