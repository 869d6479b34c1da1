"""Proctor console benchmark: P proctors, each watching one room of R candidates on the
console's websocket (/ws/console/, staff session cookie + Origin), while those P×R
candidates run the monitoring load (PC snapshot every 15 s, phone every 20 s, analysed
by Celery workers) against a real uvicorn (production profile: PostgreSQL, Redis,
2 worker processes).

For each accepted snapshot upload it measures the fan-out latency: from the moment the
upload request was sent to the moment that snapshot's ``snapshot.new`` event reaches
the socket of its room's proctor. Prints p50/p99/max, events received vs expected
(and any missing, duplicated or delivered to the wrong room), uploads/s, and a baseline
measured in the same run: the bare Redis channel layer, ``group_send`` in one process →
``receive`` in this one, idle before the load and again during it. Goal: p99 <= 1 s.

    .venv/bin/python bench/console.py [--layouts 50x50] [--duration 30]
    .venv/bin/python bench/console.py --layouts 50x10,10x50          # 500, two ways
    .venv/bin/python bench/console.py --quick                        # 5 × 10, 20 s
    .venv/bin/python bench/console.py --analysis-workers 0           # analysis elsewhere
    .venv/bin/python bench/console.py --settings MODULE --app MODULE:APP  # a what-if

The default is the issue's: 50 proctors watching rooms of 50 candidates (2,500
candidates, two cameras each), about 2 minutes with the sign-ins; on this 2-core
machine it runs at 98 % CPU, so the margin is thin (docs/performance.md). Several
layouts run on one set of candidates, re-arranged into rooms between them.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import random
import subprocess
import sys
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

import _common as c
import monitoring as m

GOAL_P99_S = 1.0
GRACE_S = 5.0  # after the last upload, for events still on their way
BASELINE_GROUP = "bench.console.baseline"


@dataclass(frozen=True)
class Layout:
    proctors: int
    per_room: int

    @property
    def candidates(self) -> int:
        return self.proctors * self.per_room

    @property
    def label(self) -> str:
        return f"{self.proctors}x{self.per_room}"


@dataclass
class LayoutResult:
    layout: Layout
    uploads: m.RunResult
    seconds: float = 0.0
    sent: dict[str, tuple[float, str]] = field(default_factory=dict)  # snapshot -> (t, room)
    answered: dict[str, float] = field(default_factory=dict)  # snapshot -> 202 received at
    arrivals: dict[str, tuple[float, str]] = field(default_factory=dict)  # snapshot -> (t, room)
    duplicates: int = 0
    misrouted: int = 0  # an event about an attempt that is not in the socket's room
    unknown: int = 0  # a snapshot.new whose upload this bench did not see accepted
    kinds: Counter[str] = field(default_factory=Counter)
    sockets_lost: int = 0  # closed by the server or the network during the run
    closing: bool = False  # the bench is closing its sockets: not a loss
    baseline_idle: list[float] = field(default_factory=list)
    baseline_idle_sent: int = 0
    baseline_load: list[float] = field(default_factory=list)
    baseline_load_sent: int = 0
    cpu: dict[str, float] = field(default_factory=dict)
    analysis_cores: float = 0.0

    def fanout(self) -> list[float]:
        return [self.arrivals[snap][0] - sent for snap, (sent, _room) in self.sent.items()
                if snap in self.arrivals]

    def after_answer(self) -> list[float]:
        """Event arrival minus the upload's answer (negative: the event came first; it
        is published at commit, before the answer is written)."""
        return [self.arrivals[snap][0] - at for snap, at in self.answered.items()
                if snap in self.arrivals]


# --- the proctors' sockets -------------------------------------------------------------


@dataclass
class ProctorSocket:
    room: str
    attempts: frozenset[str]
    connection: Any = None


async def open_socket(port: int, cookie: str, proctor: ProctorSocket) -> None:
    """Connect as the proctor (session cookie, same-origin header) and subscribe."""
    from websockets.asyncio.client import connect

    origin = f"http://{c.HOST}:{port}"
    proctor.connection = await asyncio.wait_for(connect(
        f"ws://{c.HOST}:{port}/ws/console/", origin=origin,  # type: ignore[arg-type]
        additional_headers={"Cookie": cookie}, proxy=None, max_size=2**20,
        open_timeout=30), timeout=40)
    await proctor.connection.send(json.dumps({"type": "subscribe", "room": proctor.room}))
    for _ in range(10):  # the answer comes before any event of the room
        answer = json.loads(await asyncio.wait_for(proctor.connection.recv(), timeout=30))
        if answer.get("type") == "subscribed" and answer.get("room") == proctor.room:
            return
        if answer.get("type") == "error":
            raise RuntimeError(f"subscribe refused: {answer}")
    raise RuntimeError("no subscribe confirmation")


async def listen(proctor: ProctorSocket, result: LayoutResult) -> None:
    """Time every ``snapshot.new`` on arrival; count the other kinds."""
    from websockets.exceptions import ConnectionClosed

    with contextlib.suppress(ConnectionClosed):
        async for raw in proctor.connection:
            arrived = time.perf_counter()
            message = json.loads(raw)
            if message.get("type") != "event":
                continue
            kind = str(message.get("kind"))
            result.kinds[kind] += 1
            if message.get("attempt") and message["attempt"] not in proctor.attempts:
                result.misrouted += 1
            if kind != "snapshot.new":
                continue
            snapshot = str(message.get("snapshot"))
            if snapshot in result.arrivals:
                result.duplicates += 1
            else:
                result.arrivals[snapshot] = (arrived, proctor.room)
    if not result.closing:
        result.sockets_lost += 1


# --- the baseline: the channel layer alone, between two processes ------------------------


def channel_layer() -> Any:
    """The channel layer the app's settings configure (backend and options), built
    without setting Django up; the process's environment is the server's (m.ENV)."""
    from importlib import import_module

    from django.utils.module_loading import import_string

    if str(c.ROOT) not in sys.path:
        sys.path.append(str(c.ROOT))  # config.settings.*, bench.whatif_*
    settings = import_module(os.environ["DJANGO_SETTINGS_MODULE"])
    layer = settings.CHANNEL_LAYERS["default"]
    return import_string(layer["BACKEND"])(**layer.get("CONFIG", {}))


async def close_layer(layer: Any) -> None:
    """Close the layer's Redis connections (the list layer's pools, the pub/sub layer's)."""
    close = getattr(layer, "close_pools", None) or getattr(layer, "flush", None)
    if close is not None:
        await close()


async def baseline_send(rate: float, count: int) -> None:
    """(The sending process.) ``count`` messages to the baseline group, ``rate`` a second,
    each carrying its CLOCK_MONOTONIC send time (the same clock in every process)."""
    layer = channel_layer()
    loop = asyncio.get_running_loop()
    t0 = loop.time()
    for index in range(count):
        await asyncio.sleep(max(0.0, t0 + index / rate - loop.time()))
        await layer.group_send(BASELINE_GROUP, {"type": "bench.ping", "sent": time.monotonic()})
    await close_layer(layer)


async def baseline(rate: float, seconds: float) -> tuple[list[float], int]:
    """Latencies of the messages a second process sends, and how many it sent."""
    layer = channel_layer()
    channel = await layer.new_channel()
    await layer.group_add(BASELINE_GROUP, channel)
    count = max(1, int(rate * seconds))
    latencies: list[float] = []
    sender = await asyncio.create_subprocess_exec(
        c.PYTHON, str(Path(__file__).resolve()), "--baseline-sender", str(rate), str(count),
        cwd=c.ROOT, env=c.child_env(m.ENV), stdout=subprocess.DEVNULL)

    async def receive_all() -> None:
        while len(latencies) < count:
            message = await layer.receive(channel)
            latencies.append(time.monotonic() - message["sent"])

    try:
        await asyncio.wait_for(receive_all(), timeout=seconds + 30)
    except TimeoutError:
        pass
    finally:
        with contextlib.suppress(ProcessLookupError):
            sender.terminate()
        await sender.wait()
        await layer.group_discard(BASELINE_GROUP, channel)
        await close_layer(layer)
    return latencies, count


# --- one layout --------------------------------------------------------------------------


def arrange_rooms(layout: Layout) -> dict[str, Any]:
    out = subprocess.run(
        [c.PYTHON, str(c.BENCH_DIR / "console_seed.py"), "--proctors", str(layout.proctors),
         "--per-room", str(layout.per_room), "--label", f"console-{layout.label}"],
        cwd=c.ROOT, env=c.child_env(m.ENV), capture_output=True, text=True, timeout=300,
        check=False)
    if out.returncode != 0:
        raise RuntimeError(f"console_seed.py failed:\n{out.stdout}\n{out.stderr}")
    return json.loads(out.stdout.strip().splitlines()[-1])


async def run_layout(layout: Layout, server: c.Server, by_ticket: dict[str, c.Candidate],
                     bodies: dict[str, list[bytes]], workers: list[subprocess.Popen[bytes]],
                     args: argparse.Namespace) -> LayoutResult:
    result = LayoutResult(layout=layout, uploads=m.RunResult(candidates=layout.candidates))
    arranged = await asyncio.to_thread(arrange_rooms, layout)
    proctors: list[ProctorSocket] = []
    watched: list[tuple[c.Candidate, str]] = []  # (candidate, room)
    for room in arranged["rooms"]:
        candidates = [by_ticket[t] for t in room["tickets"] if t in by_ticket]
        watched += [(candidate, room["room"]) for candidate in candidates]
        proctors.append(ProctorSocket(room=room["room"], attempts=frozenset(
            candidate.attempt_id for candidate in candidates)))
    cookies = [f"{arranged['cookie_name']}={room['session_key']}" for room in arranged["rooms"]]
    semaphore = asyncio.Semaphore(16)

    async def connect(proctor: ProctorSocket, cookie: str) -> None:
        async with semaphore:
            await open_socket(server.port, cookie, proctor)

    await asyncio.gather(*(connect(p, k) for p, k in zip(proctors, cookies, strict=True)))
    c.log(f"{layout.label}: {len(proctors)} proctor sockets subscribed, "
          f"{len(watched)} candidates in their rooms")
    listeners = [asyncio.create_task(listen(p, result)) for p in proctors]
    try:
        await asyncio.to_thread(c.wait_for_quiet, 15.0, 0.6)  # analysis backlog, others
        result.baseline_idle, result.baseline_idle_sent = await baseline(20.0, 3.0)
        machine_before = c.cpu_snapshot(server)
        workers_before = sum(c.process_cpu_s(worker.pid) for worker in workers)
        rng = random.Random(7)
        loop = asyncio.get_running_loop()
        t0 = loop.time() + 0.5
        begin = time.monotonic()
        pool: asyncio.Queue[m.MultipartConnection] = asyncio.Queue()
        for _ in range(args.connections):
            pool.put_nowait(m.MultipartConnection(server.port))

        def accepted(room: str) -> Any:
            def record(sent_at: float, body: bytes) -> None:
                snapshot = str(json.loads(body)["snapshot_id"])
                result.sent[snapshot] = (sent_at, room)
                result.answered[snapshot] = sent_at + result.uploads.latencies[-1]
            return record

        baseline_task = asyncio.create_task(baseline(5.0, max(1.0, args.duration - 2)))
        try:
            await asyncio.wait_for(asyncio.gather(*(
                m.upload_loop(pool, candidate, camera, bodies[camera], t0, args.duration, rng,
                              result.uploads, on_accepted=accepted(room))
                for candidate, room in watched for camera in ("pc", "phone"))),
                timeout=args.duration + 120)
        except TimeoutError:
            result.uploads.errors["schedule not finished (generator behind)"] += 1
        finally:
            while not pool.empty():
                pool.get_nowait().close()
        result.seconds = time.monotonic() - begin
        result.uploads.seconds = result.seconds
        result.cpu = c.cpu_delta(machine_before, c.cpu_snapshot(server))
        result.analysis_cores = (sum(c.process_cpu_s(worker.pid) for worker in workers)
                                 - workers_before) / result.seconds
        result.cpu["other_cores"] = max(0.0, result.cpu["other_cores"] - result.analysis_cores)
        result.baseline_load, result.baseline_load_sent = await baseline_task
        for _ in range(int(GRACE_S * 10)):  # events still on their way
            if all(snapshot in result.arrivals for snapshot in result.sent):
                break
            await asyncio.sleep(0.1)
    finally:
        result.closing = True
        for proctor in proctors:
            if proctor.connection is not None:
                await proctor.connection.close()
        await asyncio.gather(*listeners, return_exceptions=True)
    result.unknown = sum(1 for snapshot in result.arrivals if snapshot not in result.sent)
    return result


async def run(layouts: list[Layout], args: argparse.Namespace) -> list[LayoutResult]:
    n = max(layout.candidates for layout in layouts)
    seed = c.prepare_examhall_db(n, questions=5)
    server = c.Server(name="examhall", app=args.app, env=m.ENV, probe_path="/api/docs")
    results = []
    with server:
        async with c.make_client(server.base_url, 64) as client:
            semaphore = asyncio.Semaphore(32)

            async def one(person: tuple[str, str]) -> c.Candidate | None:
                async with semaphore:
                    candidate, _timing = await c.login_and_start(client, seed, person)
                return candidate

            started = await asyncio.gather(*(one(p) for p in seed.people))
        by_ticket = {person[0]: candidate for person, candidate
                     in zip(seed.people, started, strict=True) if candidate is not None}
        c.log(f"{len(by_ticket)} of {n} candidates logged in and started")
        frames = m.camera_frames()
        bodies = {camera: [m.multipart(frame, camera) for frame in frames[camera]]
                  for camera in frames}
        workers = m.start_analysis_workers(args.analysis_workers)
        try:
            await asyncio.sleep(5)  # the workers load their models
            for layout in layouts:
                c.log(f"{layout.label}: {layout.proctors} proctors × {layout.per_room} "
                      f"candidates for {args.duration:g} s")
                results.append(await run_layout(layout, server, by_ticket, bodies, workers,
                                                 args))
                report(results[-1:], args)
        finally:
            m.stop_workers(workers)
    return results


# --- the report --------------------------------------------------------------------------


def report(results: list[LayoutResult], args: argparse.Namespace) -> None:
    rows, rows2 = [], []
    for r in results:
        fan = c.latency_summary(r.fanout())
        after = sorted(r.after_answer())
        up = c.latency_summary(r.uploads.latencies)
        idle = c.latency_summary(r.baseline_idle)
        load = c.latency_summary(r.baseline_load)
        expected = len(r.sent)
        received = sum(1 for snapshot in r.sent if snapshot in r.arrivals)
        rows.append([
            f"{r.layout.proctors} × {r.layout.per_room}", r.layout.candidates,
            expected / r.seconds if r.seconds else 0.0, up["p50"], up["p99"],
            f"{received:,} / {expected:,}", fan["p50"], fan["p99"], fan["max"],
            f"{c.percentile(after, 50) * 1000:.0f} / {c.percentile(after, 99) * 1000:.0f}",
            f"{idle['p50']:.1f} / {idle['p99']:.1f}", f"{load['p50']:.1f} / {load['p99']:.1f}",
            r.cpu.get("machine_busy_pct", 0.0)])
        rows2.append([
            f"{r.layout.proctors} × {r.layout.per_room}", sum(r.uploads.errors.values()),
            expected - received, r.duplicates, r.misrouted, r.unknown, r.sockets_lost,
            f"{len(r.baseline_idle)}/{r.baseline_idle_sent} {len(r.baseline_load)}/"
            f"{r.baseline_load_sent}",
            " ".join(f"{kind} {count}" for kind, count in sorted(r.kinds.items())),
            r.cpu.get("server_cpu_s", 0.0) * 1000 / max(1, expected),
            r.cpu.get("server_cores", 0.0), r.analysis_cores, r.cpu.get("postgres_cores", 0.0),
            r.cpu.get("generator_cores", 0.0), r.cpu.get("other_cores", 0.0)])
    c.print_table(
        ["proctors × per room", "candidates", "uploads/s", "upload p50 ms", "upload p99 ms",
         "snapshot.new received / expected", "fan-out p50 ms", "fan-out p99 ms",
         "fan-out max ms", "event after answer p50/p99 ms", "baseline idle p50/p99 ms",
         "baseline under load p50/p99 ms", "machine busy %"],
        rows, title=f"Proctor console: snapshot upload sent → snapshot.new on the room's "
                    f"proctor socket, {args.duration:g} s per layout, "
                    f"{args.analysis_workers} analysis workers, app {args.app}, settings "
                    f"{args.settings} "
                    f"({c.machine_description()}; {c.code_version()})")
    c.print_table(
        ["layout", "upload errors", f"missing after {GRACE_S:g} s", "duplicates", "wrong room",
         "unmatched", "sockets lost", "baseline got/sent (idle, load)", "events by kind",
         "uvicorn CPU ms per upload", "uvicorn cores", "analysis cores", "postgres cores",
         "generator cores",
         "others' cores"],
        rows2, title="Delivery, and where the CPU went during the uploads (2 cores; "
                     "others' = whatever else ran on the machine)")
    for r in results:
        if r.uploads.errors:
            print(f"{r.layout.label} upload errors: {dict(r.uploads.errors)}")
        fan = c.latency_summary(r.fanout())
        complete = bool(r.sent) and all(snapshot in r.arrivals for snapshot in r.sent)
        print(c.goal(f"{r.layout.label}: fan-out p99 <= {GOAL_P99_S * 1000:.0f} ms",
                     fan["p99"] <= GOAL_P99_S * 1000))
        print(c.goal(f"{r.layout.label}: every snapshot.new delivered once, to its room",
                     complete and not r.duplicates and not r.misrouted and not r.sockets_lost))


def parse_layouts(text: str) -> list[Layout]:
    layouts = []
    for part in text.split(","):
        proctors, per_room = part.lower().replace("×", "x").split("x")
        layouts.append(Layout(int(proctors), int(per_room)))
    return layouts


def main() -> None:
    if len(sys.argv) == 4 and sys.argv[1] == "--baseline-sender":  # m.ENV is set
        c.run_async(baseline_send(float(sys.argv[2]), int(sys.argv[3])))
        return
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--layouts", default="50x50",
                        help="comma-separated PROCTORSxPER_ROOM runs (default 50x50)")
    parser.add_argument("--proctors", type=int, help="one layout: this many proctors …")
    parser.add_argument("--per-room", type=int, help="… each with a room of this many")
    parser.add_argument("--duration", type=float, default=30.0, help="seconds per layout")
    parser.add_argument("--analysis-workers", type=int, default=2)
    parser.add_argument("--connections", type=int, default=128,
                        help="keep-alive connections the simulated candidates share")
    parser.add_argument("--quick", action="store_true", help="5 proctors × 10, 20 s")
    parser.add_argument("--settings", default=m.ENV["DJANGO_SETTINGS_MODULE"],
                        help="the server's settings module (for a what-if)")
    parser.add_argument("--app", default="config.asgi:application",
                        help="the ASGI application uvicorn serves (for a what-if)")
    args = parser.parse_args()
    m.ENV["DJANGO_SETTINGS_MODULE"] = args.settings
    os.environ.update(m.ENV)  # channel_layer() reads the server's settings
    layouts = parse_layouts(args.layouts)
    if args.proctors or args.per_room:
        layouts = [Layout(args.proctors or 50, args.per_room or 50)]
    if args.quick:
        layouts, args.duration = [Layout(5, 10)], 20.0
    Path(m.MEDIA_ROOT).mkdir(parents=True, exist_ok=True)
    results = c.run_async(run(layouts, args))
    if len(results) > 1:  # type: ignore[arg-type]
        print("\nAll layouts:")
        report(results, args)  # type: ignore[arg-type]


if __name__ == "__main__":
    main()
