"""Login + start benchmark: 1,000 candidates sign in and start their attempt.

Two scenarios, each on a freshly started ExamHall server (uvicorn, 2 workers) and
its own 1,000 not-yet-started candidates:
  spread  arrivals evenly spread over --spread seconds (default 30): the doors open
          and candidates trickle in;
  burst   everybody at once, at most --burst-concurrency requests in flight.
Each candidate: POST /api/exams/{code}/login, then POST /api/attempts/{id}/start.
Printed: p50/p95/p99 of login, start and login+start, errors, total wall time.
Goal: every candidate in within 60 s, p99 of login+start <= 1 s, no error.

    .venv/bin/python bench/login_start.py [--candidates 1000] [--spread 30]
                                          [--burst-concurrency 64] [--quick] [--profile DIR]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import _common as c


@dataclass
class LoginPhase:
    name: str
    candidates: int
    timings: list[c.LoginTiming] = field(default_factory=list)
    wall_s: float = 0.0
    late_arrivals: int = 0
    cpu: dict[str, float] = field(default_factory=dict)
    max_db_connections: int = 0
    db_backends: int = 0
    max_threads: int = 0
    too_many_clients: int = 0

    @property
    def ok(self) -> list[c.LoginTiming]:
        return [t for t in self.timings if not t.error]

    @property
    def errors(self) -> Counter[str]:
        return Counter(t.error for t in self.timings if t.error)


async def run_phase(name: str, server: c.Server, seed: c.Seed, people: list[tuple[str, str]],
                    *, spread_s: float | None, concurrency: int,
                    profile_dir: Path | None) -> LoginPhase:
    phase = LoginPhase(name, len(people))
    loop = asyncio.get_running_loop()
    semaphore = asyncio.Semaphore(concurrency)
    stop = asyncio.Event()
    watcher = asyncio.create_task(c.watch_database(c.EXAMHALL_DB, server, phase, stop))
    profiler = c.start_profile(server, f"login-{name}", spread_s or 20.0, profile_dir)
    before = c.cpu_snapshot(server)
    t0 = loop.time() + 0.2

    async with c.make_client(server.base_url, min(max(concurrency, 64), 512)) as client:
        async def candidate(i: int, person: tuple[str, str]) -> None:
            if spread_s is not None:
                at = t0 + i * spread_s / len(people)
                await asyncio.sleep(max(0.0, at - loop.time()))
                if loop.time() - at > 0.05:
                    phase.late_arrivals += 1
            async with semaphore:
                _candidate, timing = await c.login_and_start(client, seed, person)
            phase.timings.append(timing)

        timeout = (spread_s or 0) + 300
        await asyncio.wait_for(
            asyncio.gather(*(candidate(i, p) for i, p in enumerate(people))), timeout=timeout)
    phase.wall_s = loop.time() - t0
    phase.cpu = c.cpu_delta(before, c.cpu_snapshot(server))
    stop.set()
    await watcher
    c.finish_profile(profiler)
    phase.too_many_clients = server.log_count("too many clients")
    return phase


def report(phases: list[LoginPhase], args: argparse.Namespace) -> None:
    rows = []
    for p in phases:
        ok = p.ok
        for label, values in (("login", [t.login_s for t in ok]),
                              ("start", [t.start_s for t in ok]),
                              ("login+start", [t.login_s + t.start_s for t in ok])):
            s = c.latency_summary(values)
            rows.append([p.name, label, len(values), s["p50"], s["p95"], s["p99"], s["max"]])
    c.print_table(["scenario", "request", "ok", "p50 ms", "p95 ms", "p99 ms", "max ms"], rows,
                  title="Login and start latency (successful candidates)")
    c.print_table(
        ["scenario", "candidates", "in", "errors", "wall s", "late arrivals", "max PG conns",
         "PG backends seen", "'too many clients' in log", "max threads"],
        [[p.name, p.candidates, len(p.ok), sum(p.errors.values()), p.wall_s, p.late_arrivals,
          p.max_db_connections, p.db_backends, p.too_many_clients, p.max_threads]
         for p in phases],
        title="Outcome",
    )
    c.print_table(
        ["scenario", "wall s", "generator cores", "server cores", "postgres cores",
         "other cores", "machine busy %"],
        [[p.name, p.cpu["wall_s"], p.cpu["generator_cores"], p.cpu["server_cores"],
          p.cpu["postgres_cores"], p.cpu["other_cores"], p.cpu["machine_busy_pct"]]
         for p in phases],
        title=f"CPU used during each scenario (the machine has {os.cpu_count()})",
    )
    for p in phases:
        if p.errors:
            print(f"Errors, {p.name}: {dict(p.errors)}")
    print(f"Generator CPU (getrusage, whole run): {c.generator_cpu_s():.1f}s")
    for p in phases:
        p99 = c.latency_summary([t.login_s + t.start_s for t in p.ok])["p99"]
        errors = sum(p.errors.values())
        full = p.candidates >= 1000
        scale = "" if full else f" (this run: {p.candidates} candidates)"
        print(c.goal(
            f"{p.name}: 1,000 candidates in within 60 s, p99 login+start <= 1 s, 0 errors"
            f"{scale}: {len(p.ok)} in after {p.wall_s:.1f}s, p99 {p99:,.0f} ms, {errors} errors",
            full and p.wall_s <= 60 and p99 <= 1000 and errors == 0,
        ))


async def main_async(args: argparse.Namespace) -> None:
    n = args.candidates
    seed = c.prepare_examhall_db(2 * n, args.questions)
    await c.open_monitor()
    phases = []
    try:
        scenarios = [("spread", seed.people[:n], args.spread, n),
                     ("burst", seed.people[n:], None, args.burst_concurrency)]
        for name, people, spread, concurrency in scenarios:
            if name not in args.scenarios:
                continue
            server = c.examhall_server()
            with server:
                await asyncio.to_thread(c.wait_for_quiet)
                how = (f"arrivals spread over {spread:g}s" if spread is not None
                       else f"all at once, {concurrency} in flight at most")
                c.log(f"{name}: {len(people)} candidates log in and start, {how}")
                phases.append(await run_phase(name, server, seed, people, spread_s=spread,
                                              concurrency=concurrency,
                                              profile_dir=args.profile))
    finally:
        await c.close_monitor()
    report(phases, args)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--candidates", type=int, default=1000)
    parser.add_argument("--spread", type=float, default=30.0,
                        help="seconds over which the spread scenario's arrivals are spread")
    parser.add_argument("--burst-concurrency", type=int, default=64)
    parser.add_argument("--scenarios", default="spread,burst")
    parser.add_argument("--questions", type=int, default=20)
    parser.add_argument("--settings", default=c.EXAMHALL_ENV["DJANGO_SETTINGS_MODULE"],
                        help="DJANGO_SETTINGS_MODULE of the ExamHall server (what-if "
                             "experiments, e.g. bench.whatif_pool)")
    parser.add_argument("--quick", action="store_true",
                        help="smoke check: 50 candidates, spread over 5 s")
    parser.add_argument("--profile", type=Path, default=None,
                        help="folder for a py-spy profile of one worker and a `top` snapshot")
    args = parser.parse_args()
    c.EXAMHALL_ENV["DJANGO_SETTINGS_MODULE"] = args.settings
    args.scenarios = set(args.scenarios.split(","))
    if args.quick:
        args.candidates, args.spread = 50, 5.0
        args.burst_concurrency = min(args.burst_concurrency, 16)
    started = time.monotonic()
    c.log(f"login/start benchmark on {c.machine_description()}; code {c.code_version()}, "
          f"settings {args.settings}")
    c.run_async(main_async(args))
    c.log(f"login/start benchmark done in {time.monotonic() - started:.0f}s")


if __name__ == "__main__":
    main()
