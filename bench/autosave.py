"""Autosave benchmark: ExamHall's POST /api/attempts/{id}/answers against a bare
ASGI app doing the same single-row upsert (bench/bare_asgi.py), in one run.

Phases, each against ExamHall and against the bare endpoint:
  steady  N candidates (logged in and started beforehand) each save one answer every
          --interval seconds, random phase offsets, for --duration seconds (open loop).
          Goal: p99 <= 100 ms and 0 errors at 1,000 candidates / 5 s.
  peak    closed loop: --concurrency workers each saving as fast as they can for
          --peak-seconds. Goal: >= 1,000 saves/s and >= 0.3x the bare endpoint.

The load generator shares the machine with the servers and PostgreSQL: its own CPU
time (getrusage) is printed with that of the servers and of PostgreSQL.

    .venv/bin/python bench/autosave.py [--candidates 1000] [--interval 5] [--duration 30]
                                       [--peak-seconds 15] [--concurrency 16,64] [--quick]
                                       [--profile DIR]
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import os
import random
import sys
import time
import uuid
from collections import Counter
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

import _common as c

LATE_START_S = 0.050  # a steady-phase save sent this late is counted as "late"


@dataclass
class PhaseResult:
    target: str
    phase: str
    seconds: float
    ok_latencies: list[float] = field(default_factory=list)
    errors: Counter[str] = field(default_factory=Counter)
    error_samples: list[str] = field(default_factory=list)
    late_starts: int = 0
    cpu: dict[str, float] = field(default_factory=dict)
    max_db_connections: int = 0
    db_backends: int = 0  # distinct PostgreSQL backends (connections) seen in the samples
    max_threads: int = 0  # threads of the server's workers, highest sample
    worker_cores: list[float] = field(default_factory=list)  # CPU of each worker / wall
    worker_connections: list[int] = field(default_factory=list)  # client connections each
    candidates: int = 0

    @property
    def ok(self) -> int:
        return len(self.ok_latencies)

    @property
    def error_count(self) -> int:
        return sum(self.errors.values())

    @property
    def rate(self) -> float:
        return self.ok / self.seconds if self.seconds else 0.0


def save_body(candidate: c.Candidate, rng: random.Random) -> dict[str, Any]:
    candidate.seq += 1
    return {"saves": [{
        "question_id": rng.choice(candidate.question_ids),
        "value": [rng.choice("ABCD")],
        "marked": False,
        "seq": candidate.seq,
        "client_saved_at": dt.datetime.now(dt.UTC).isoformat(),
    }]}


Sender = Callable[[str, Any, dict[str, str]], Awaitable[tuple[int, bytes]]]


def httpx_sender(client: Any) -> Sender:
    async def send(path: str, payload: Any, headers: dict[str, str]) -> tuple[int, bytes]:
        response = await client.post(path, json=payload, headers=headers)
        return response.status_code, response.content

    return send


async def one_save(send: Sender, candidate: c.Candidate, rng: random.Random,
                   result: PhaseResult) -> None:
    body = save_body(candidate, rng)
    begin = time.perf_counter()
    try:
        status, content = await send(f"/api/attempts/{candidate.attempt_id}/answers",
                                     body, candidate.headers)
    except Exception as error:  # counted, never stops the run
        result.errors[type(error).__name__] += 1
        if len(result.error_samples) < 3:
            result.error_samples.append(repr(error)[:200])
        return
    elapsed = time.perf_counter() - begin
    if status == 200:
        result.ok_latencies.append(elapsed)
    else:
        result.errors[f"HTTP {status}"] += 1
        if len(result.error_samples) < 3:
            result.error_samples.append(f"{status} {content[:160]!r}")


async def steady(send: Sender, target: str, database: str, server: c.Server,
                 candidates: list[c.Candidate], interval: float, duration: float
                 ) -> PhaseResult:
    result = PhaseResult(target, "steady", duration, candidates=len(candidates))
    rng = random.Random(42)
    loop = asyncio.get_running_loop()
    t0 = loop.time() + 0.2

    async def candidate_loop(candidate: c.Candidate, offset: float) -> None:
        for k in range(int(duration / interval) + 1):
            at = t0 + offset + k * interval
            if at >= t0 + duration:
                return
            await asyncio.sleep(max(0.0, at - loop.time()))
            if loop.time() - at > LATE_START_S:
                result.late_starts += 1
            await one_save(send, candidate, rng, result)

    stop = asyncio.Event()
    watcher = asyncio.create_task(c.watch_database(database, server, result, stop))
    before = c.cpu_snapshot(server)
    tasks = [asyncio.create_task(candidate_loop(cand, rng.uniform(0, interval)))
             for cand in candidates]
    _done, pending = await asyncio.wait(tasks, timeout=duration + 30)
    for task in pending:
        task.cancel()
    if pending:
        result.errors["unfinished (phase timeout)"] += len(pending)
    result.cpu = c.cpu_delta(before, c.cpu_snapshot(server))
    stop.set()
    await watcher
    return result


async def peak(make_sender: Callable[[], Sender], target: str, database: str,
               server: c.Server, candidates: list[c.Candidate], concurrency: int,
               seconds: float, profile_dir: Path | None) -> PhaseResult:
    rng = random.Random(7)
    loop = asyncio.get_running_loop()
    # each worker owns a disjoint set of candidates (so seq grows per candidate)
    # and its own sender (with the raw client: its own keep-alive connection)
    owned = [candidates[w::concurrency] or [candidates[w % len(candidates)]]
             for w in range(concurrency)]
    senders = [make_sender() for _ in range(concurrency)]

    async def worker(w: int, end: float, result: PhaseResult) -> None:
        mine = owned[w]
        for i in range(10_000_000):  # bounded by count, ended by time
            if loop.time() >= end:
                return
            await one_save(senders[w], mine[i % len(mine)], rng, result)

    # 2 s warm-up at full concurrency, not counted
    warm = PhaseResult(target, "warm-up", 2.0)
    end = loop.time() + 2.0
    await asyncio.wait_for(asyncio.gather(*(worker(w, end, warm) for w in range(concurrency))),
                           timeout=60)

    result = PhaseResult(target, f"peak c={concurrency}", seconds)
    stop = asyncio.Event()
    watcher = asyncio.create_task(c.watch_database(database, server, result, stop))
    profiler = c.start_profile(server, f"{target}-c{concurrency}-peak", seconds, profile_dir)
    result.worker_connections = list(server.connections_per_worker().values())
    workers_before = server.worker_cpu_s()
    before = c.cpu_snapshot(server)
    end = loop.time() + seconds
    await asyncio.wait_for(asyncio.gather(*(worker(w, end, result) for w in range(concurrency))),
                           timeout=seconds + 60)
    result.cpu = c.cpu_delta(before, c.cpu_snapshot(server))
    workers_after = server.worker_cpu_s()
    result.worker_cores = [(workers_after.get(pid, 0.0) - used) / result.cpu["wall_s"]
                           for pid, used in workers_before.items()]
    result.seconds = result.cpu["wall_s"]
    stop.set()
    await watcher
    c.finish_profile(profiler)
    return result


async def login_round(server: c.Server, seed: c.Seed, people: list[tuple[str, str]],
                      concurrency: int) -> tuple[list[c.Candidate], list[tuple[str, str]],
                                                 Counter[str]]:
    """Log ``people`` in and start their attempts; returns (started, failed, errors)."""
    semaphore = asyncio.Semaphore(concurrency)
    started: list[c.Candidate] = []
    failed: list[tuple[str, str]] = []
    errors: Counter[str] = Counter()
    async with c.make_client(server.base_url, concurrency) as client:
        async def one(person: tuple[str, str]) -> None:
            async with semaphore:
                candidate, timing = await c.login_and_start(client, seed, person)
            if candidate is None:
                errors[timing.error] += 1
                failed.append(person)
            else:
                started.append(candidate)

        await asyncio.wait_for(asyncio.gather(*(one(p) for p in people)), timeout=600)
    return started, failed, errors


async def setup_examhall(server: c.Server, seed: c.Seed, concurrency: int, rounds: int = 10
                         ) -> tuple[list[c.Candidate], Counter[str]]:
    """Log every candidate in and start its attempt (bounded concurrency).

    Candidates whose login or start failed are tried again in a later round, after a
    server restart (at most ``rounds`` rounds): login/start errors are what
    bench/login_start.py measures; here they must not shrink the autosave load.
    """
    errors: Counter[str] = Counter()
    candidates: list[c.Candidate] = []
    todo = list(seed.people)
    begin = time.monotonic()
    for round_number in range(1, rounds + 1):
        started, todo, round_errors = await login_round(server, seed, todo, concurrency)
        candidates += started
        errors.update({f"round {round_number}: {k}": v for k, v in round_errors.items()})
        if not todo or round_number == rounds:
            break
        c.log(f"examhall: {len(todo)} logins/starts failed in round {round_number}; "
              f"restarting the server and trying them again")
        server.stop()
        await asyncio.to_thread(server.start)
    c.log(f"examhall: {len(candidates)} of {len(seed.people)} candidates logged in and "
          f"started in {time.monotonic() - begin:.1f}s (failures: {dict(errors) or 0})")
    if not candidates:
        raise RuntimeError("no candidate could log in and start: see the server log "
                           f"{server.log_path}")
    return candidates, errors


def bare_candidates(count: int, questions: int, token_len: int) -> list[c.Candidate]:
    """Same shape as ExamHall's: random attempt and question ids, a token-sized header."""
    question_ids = [str(uuid.uuid4()) for _ in range(questions)]
    token = "x" * token_len
    return [c.Candidate(str(uuid.uuid4()), {"Authorization": f"Bearer {token}"},
                        question_ids) for _ in range(count)]


async def warm_up(send: Sender, candidates: list[c.Candidate], concurrency: int) -> PhaseResult:
    """One save per candidate (creates each first answer row), not counted."""
    result = PhaseResult("", "warm-up", 1.0)
    rng = random.Random(1)
    semaphore = asyncio.Semaphore(concurrency)

    async def one(cand: c.Candidate) -> None:
        async with semaphore:
            await one_save(send, cand, rng, result)

    await asyncio.wait_for(asyncio.gather(*(one(cand) for cand in candidates)), timeout=300)
    return result


async def run_target(target: str, server: c.Server, database: str,
                     candidates: list[c.Candidate], args: argparse.Namespace
                     ) -> list[PhaseResult]:
    results = []
    pool = 256
    async with c.make_client(server.base_url, pool) as client:
        warm = await warm_up(httpx_sender(client), candidates, 32)
        if warm.error_count:
            c.log(f"{target}: warm-up errors {dict(warm.errors)} {warm.error_samples}")
        await asyncio.to_thread(c.wait_for_quiet)
        c.log(f"{target}: steady phase, {len(candidates)} candidates, one save each "
              f"{args.interval:g}s, for {args.duration:g}s (httpx, pool of {pool})")
        results.append(await steady(httpx_sender(client), target, database, server,
                                    candidates, args.interval, args.duration))
    for concurrency in args.concurrencies:
        await asyncio.to_thread(c.wait_for_quiet)
        c.log(f"{target}: peak phase, {concurrency} closed-loop workers, "
              f"{args.peak_seconds:g}s (+2s warm-up), {args.peak_client} client")
        results.append(await run_peak(target, server, database, candidates, concurrency, args))
    for result in results:
        if result.error_samples:
            c.log(f"{target} {result.phase}: error samples {result.error_samples}")
    return results


async def run_peak(target: str, server: c.Server, database: str,
                   candidates: list[c.Candidate], concurrency: int, args: argparse.Namespace
                   ) -> PhaseResult:
    if args.peak_client == "httpx":
        async with c.make_client(server.base_url, concurrency) as client:
            return await peak(lambda: httpx_sender(client), target, database, server,
                              candidates, concurrency, args.peak_seconds, args.profile)
    connections: list[c.RawHttpConnection] = []

    def make_raw() -> Sender:
        connections.append(c.RawHttpConnection(server.port))
        return connections[-1].post_json

    try:
        return await peak(make_raw, target, database, server, candidates, concurrency,
                          args.peak_seconds, args.profile)
    finally:
        for connection in connections:
            connection.close()


def report(results: list[PhaseResult], args: argparse.Namespace, candidates: int) -> None:
    rows = []
    for r in results:
        s = c.latency_summary(r.ok_latencies)
        rows.append([r.phase, r.target, r.ok, r.rate, s["p50"], s["p95"], s["p99"], s["max"],
                     r.error_count, r.late_starts if r.phase == "steady" else "-",
                     r.max_db_connections, r.db_backends, r.max_threads])
    c.print_table(
        ["phase", "target", "saves ok", "saves/s", "p50 ms", "p95 ms", "p99 ms", "max ms",
         "errors", "late starts", "max PG conns", "PG backends seen", "max threads"],
        rows, title="Autosave latency and throughput",
    )
    c.print_table(
        ["phase", "target", "wall s", "generator cores", "server cores", "postgres cores",
         "other cores", "machine busy %", "per worker: cores", "per worker: connections"],
        [[r.phase, r.target, r.cpu["wall_s"], r.cpu["generator_cores"], r.cpu["server_cores"],
          r.cpu["postgres_cores"], r.cpu["other_cores"], r.cpu["machine_busy_pct"],
          " / ".join(f"{x:.2f}" for x in r.worker_cores) or "-",
          " / ".join(str(x) for x in r.worker_connections) or "-"]
         for r in results],
        title=f"CPU used during each phase (cores = CPU seconds / wall seconds; "
              f"the machine has {os.cpu_count()})",
    )
    errors = {f"{r.target} {r.phase}": dict(r.errors) for r in results if r.errors}
    if errors:
        print(f"\nErrors by kind: {errors}")

    by = {(r.target, r.phase): r for r in results}
    eh_steady = by[("examhall", "steady")]
    p99 = c.latency_summary(eh_steady.ok_latencies)["p99"]
    setup_errors = sum(getattr(args, "setup_errors", Counter()).values())
    print(f"\nLogin+start failures while setting up ExamHall's candidates (retried after a "
          f"restart): {setup_errors}")
    ratios = {}
    for concurrency in args.concurrencies:
        eh_peak = by[("examhall", f"peak c={concurrency}")]
        bare_peak = by[("bare", f"peak c={concurrency}")]
        ratios[concurrency] = (eh_peak, bare_peak, eh_peak.rate / bare_peak.rate
                               if bare_peak.rate else float("nan"))
        print(f"Peak, {concurrency} workers: ExamHall {eh_peak.rate:,.0f} saves/s, bare "
              f"{bare_peak.rate:,.0f} saves/s, ratio ExamHall/bare = {ratios[concurrency][2]:.3f}x")
    print(f"Generator CPU (getrusage, whole run): {c.generator_cpu_s():.1f}s")
    full = eh_steady.candidates >= 1000 and args.interval <= 5
    scale = ("" if full else
             f" (this run: {eh_steady.candidates} candidates / {args.interval:g} s)")
    print(c.goal(f"p99 <= 100 ms and 0 errors at 1,000 candidates / 5 s{scale}: "
                 f"p99 {p99:.1f} ms, {eh_steady.error_count} errors",
                 full and p99 <= 100 and eh_steady.error_count == 0))
    for concurrency, (eh_peak, _bare_peak, ratio) in ratios.items():
        print(c.goal(f">= 1,000 saves/s at peak ({concurrency} workers): "
                     f"{eh_peak.rate:,.0f} saves/s",
                     eh_peak.rate >= 1000 and eh_peak.error_count == 0))
        print(c.goal(f">= 0.3x the bare endpoint at peak ({concurrency} workers): {ratio:.3f}x",
                     ratio >= 0.3))


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--candidates", type=int, default=1000)
    parser.add_argument("--interval", type=float, default=5.0)
    parser.add_argument("--duration", type=float, default=30.0)
    parser.add_argument("--peak-seconds", type=float, default=15.0)
    parser.add_argument("--concurrency", default="16,64",
                        help="closed-loop workers of the peak phase; a comma-separated list "
                             "runs one peak phase per value, e.g. 16,64")
    parser.add_argument("--peak-client", choices=["raw", "httpx"], default="raw",
                        help="client of the peak phase: raw asyncio HTTP/1.1 (cheap for the "
                             "generator, default) or httpx")
    parser.add_argument("--questions", type=int, default=20)
    parser.add_argument("--settings", default=c.EXAMHALL_ENV["DJANGO_SETTINGS_MODULE"],
                        help="DJANGO_SETTINGS_MODULE of the ExamHall server (what-if "
                             "experiments, e.g. bench.whatif_pool)")
    parser.add_argument("--no-restart", action="store_true",
                        help="keep the ExamHall server that served the logins for the "
                             "autosave phases (by default it is restarted in between)")
    parser.add_argument("--quick", action="store_true",
                        help="smoke check: 50 candidates, 5 s phases")
    parser.add_argument("--profile", type=Path, default=None,
                        help="folder for a py-spy profile of one ExamHall worker and a "
                             "`top` snapshot during each peak phase")
    args = parser.parse_args()
    c.EXAMHALL_ENV["DJANGO_SETTINGS_MODULE"] = args.settings
    if args.quick:
        args.candidates, args.duration, args.peak_seconds = 50, 5.0, 5.0
        args.concurrency = "16"
    args.concurrencies = [int(x) for x in str(args.concurrency).split(",") if x.strip()]
    return args


async def bench_examhall(args: argparse.Namespace) -> tuple[list[PhaseResult], int]:
    seed = c.prepare_examhall_db(args.candidates, args.questions)
    server = c.examhall_server()
    with server:
        candidates, setup_errors = await setup_examhall(server, seed, concurrency=32)
        args.setup_errors = setup_errors
        token_len = len(candidates[0].headers["Authorization"]) - len("Bearer ")
        if not args.no_restart:
            # Login and start are sync views: each request runs on a new thread with a
            # new PostgreSQL connection that only garbage collection closes (see
            # docs/performance.md). Restart, so the autosave phases measure autosave.
            server.stop()
            c.log("examhall: restarting the server after the logins (--no-restart to keep "
                  "it), so that connections left open by login/start are gone")
            await asyncio.to_thread(server.start)
        results = await run_target("examhall", server, c.EXAMHALL_DB, candidates, args)
    return results, token_len


async def bench_bare(args: argparse.Namespace, token_len: int) -> list[PhaseResult]:
    c.prepare_bare_db()
    server = c.bare_server()
    with server:
        candidates = bare_candidates(args.candidates, args.questions, token_len)
        return await run_target("bare", server, c.BARE_DB, candidates, args)


async def main_async(args: argparse.Namespace) -> None:
    await c.open_monitor()
    try:
        examhall, token_len = await bench_examhall(args)
        bare = await bench_bare(args, token_len)
    finally:
        await c.close_monitor()
    report(examhall + bare, args, args.candidates)


def main() -> None:
    args = parse_args()
    started = time.monotonic()
    c.log(f"autosave benchmark on {c.machine_description()}; generator, servers and "
          f"PostgreSQL share the machine; code {c.code_version()}")
    c.log(f"ExamHall settings: {args.settings}")
    c.run_async(main_async(args))
    c.log(f"autosave benchmark done in {time.monotonic() - started:.0f}s")


if __name__ == "__main__":
    main()
