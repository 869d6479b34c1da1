"""Monitoring benchmark: N candidates with two cameras uploading snapshots at the
default intervals (PC every 15 s, phone every 20 s, random phase, open loop) to a real
uvicorn (production profile: PostgreSQL, Redis, 2 workers), analysed by K Celery
worker processes.

Prints uploads/s, upload latency (p50/p95/p99), refused uploads, analysis throughput
per worker process, the analysis lag (pending snapshots, age of the oldest) sampled
during the run, and freshness: for each candidate, the age of their newest analysed
snapshot at the end. Goal at 1,000 candidates with two worker processes: upload p99
<= 200 ms, freshness p95 <= 60 s, no upload refused.

    .venv/bin/python bench/monitoring.py [--candidates 1000] [--duration 40]
                                         [--analysis-workers 2] [--quick | --full]
                                         [--profile DIR]

``make bench`` runs the default (1,000 candidates for 40 s: about 4 minutes with the
sign-ins); ``--full`` runs 200, 500 and 1,000 for 60 s each (about 10 minutes).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import io
import random
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import psycopg
from PIL import Image

sys.path.insert(0, str(Path(__file__).resolve().parent))

import _common as c

MEDIA_ROOT = "/tmp/examhall-bench-media"
ENV = {**c.EXAMHALL_ENV, "MEDIA_ROOT": MEDIA_ROOT}
DB_URL = f"postgresql://postgres@127.0.0.1:5432/{c.EXAMHALL_DB}"
INTERVALS = {"pc": 15.0, "phone": 20.0}
FACES = c.ROOT / "tests" / "fixtures" / "faces"


def camera_frames() -> dict[str, list[bytes]]:
    """640×480 JPEG frames (about 30–50 KB): a face fixture on grey, shifted a little
    per frame so that consecutive snapshots differ as a live camera's do."""
    frames: dict[str, list[bytes]] = {"pc": [], "phone": []}
    for camera, names in (("pc", ["obama", "obama2", "obama3"]),
                          ("phone", ["obama", "biden", "astronaut"])):
        for index, name in enumerate(names * 2):
            canvas = Image.new("RGB", (640, 480), (120 + index * 5, 128, 128))
            photo = Image.open(FACES / f"{name}.jpg").convert("RGB")
            photo.thumbnail((480, 480) if camera == "pc" else (240, 240))
            canvas.paste(photo, ((640 - photo.width) // 2 + index * 7,
                                 (480 - photo.height) // 2))
            out = io.BytesIO()
            canvas.save(out, format="JPEG", quality=80)
            frames[camera].append(out.getvalue())
    return frames


BOUNDARY = "examhallbenchboundary7d1e"
IDLE_MAX_S = 3.0


def multipart(data: bytes, camera: str) -> bytes:
    """The upload's body, built once per frame (the generator must stay cheap)."""
    parts = [f"--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"{name}\"\r\n\r\n"
             f"{value}\r\n".encode() for name, value in (("camera", camera),
                                                         ("reason", "interval"))]
    parts.append(f"--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"image\"; "
                 f"filename=\"s.jpg\"\r\nContent-Type: image/jpeg\r\n\r\n".encode()
                 + data + b"\r\n")
    return b"".join(parts) + f"--{BOUNDARY}--\r\n".encode()


class MultipartConnection(c.RawHttpConnection):
    """``RawHttpConnection`` posting a prepared multipart body."""

    last_used = 0.0

    async def post_body(self, path: str, body: bytes, headers: dict[str, str]
                        ) -> tuple[int, bytes]:
        if self.writer is not None and time.monotonic() - self.last_used > IDLE_MAX_S:
            self.close()  # uvicorn drops idle keep-alive connections after 5 s
        if self.writer is None:
            await self._connect()
        self.last_used = time.monotonic()
        head = [f"POST {path} HTTP/1.1\r\n".encode(), self.host_header,
                f"Content-Type: multipart/form-data; boundary={BOUNDARY}\r\n".encode(),
                f"Content-Length: {len(body)}\r\n".encode()]
        head += [f"{key}: {value}\r\n".encode() for key, value in headers.items()]
        self.writer.write(b"".join(head) + b"\r\n" + body)
        try:
            response = await asyncio.wait_for(self._read_response(), timeout=15)
        except BaseException:
            self.close()
            raise
        self.last_used = time.monotonic()
        return response


@dataclass
class RunResult:
    candidates: int
    seconds: float = 0.0
    latencies: list[float] = field(default_factory=list)
    errors: Counter[str] = field(default_factory=Counter)
    lag_samples: list[tuple[int, float]] = field(default_factory=list)  # (pending, oldest s)
    analysed: int = 0
    skipped: int = 0
    failed: int = 0
    freshness: list[float] = field(default_factory=list)
    never_analysed: int = 0
    worker_cores: list[float] = field(default_factory=list)
    cpu: dict[str, float] = field(default_factory=dict)


async def upload_loop(pool: asyncio.Queue[MultipartConnection], candidate: c.Candidate,
                      camera: str, frames: list[bytes], t0: float, duration: float,
                      rng: random.Random, result: RunResult,
                      on_accepted: Callable[[float, bytes], None] | None = None) -> None:
    """One camera's uploads on schedule; ``on_accepted(sent_at, body)`` (perf_counter
    time the request was sent, the answer's body) is called for each one accepted."""
    loop = asyncio.get_running_loop()
    interval = INTERVALS[camera]
    offset = rng.uniform(0, interval)
    for k in range(int(duration / interval) + 1):
        at = t0 + offset + k * interval
        if at >= t0 + duration:
            return
        await asyncio.sleep(max(0.0, at - loop.time()))
        data = frames[k % len(frames)]
        connection = await pool.get()
        begin = time.perf_counter()
        try:
            status, body = await connection.post_body(
                f"/api/attempts/{candidate.attempt_id}/snapshots", data, candidate.headers)
        except Exception as error:  # counted, never stops the run
            result.errors[type(error).__name__] += 1
            continue
        finally:
            pool.put_nowait(connection)
        if status == 202:
            result.latencies.append(time.perf_counter() - begin)
            if on_accepted is not None:
                on_accepted(begin, body)
        else:
            result.errors[f"HTTP {status}"] += 1


def lag_now(conn: psycopg.Connection) -> tuple[int, float]:
    row = conn.execute(
        "SELECT count(*), coalesce(extract(epoch FROM now() - min(taken_at)), 0) "
        "FROM proctoring_snapshot WHERE analysis_status = 'pending'").fetchone()
    return int(row[0]), float(row[1])


async def sample_lag(result: RunResult, stop: asyncio.Event) -> None:
    with psycopg.connect(DB_URL, autocommit=True) as conn:
        while not stop.is_set():
            result.lag_samples.append(await asyncio.to_thread(lag_now, conn))
            if len(result.lag_samples) % 5 == 0:
                pending, oldest = result.lag_samples[-1]
                c.log(f"uploads ok {len(result.latencies)}, errors {dict(result.errors)}, "
                      f"pending {pending}, oldest {oldest:.0f} s")
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), timeout=2.0)


def collect(result: RunResult, attempt_ids: list[str]) -> None:
    with psycopg.connect(DB_URL, autocommit=True) as conn:
        counts = dict(conn.execute(
            "SELECT analysis_status, count(*) FROM proctoring_snapshot GROUP BY 1").fetchall())
        result.analysed = int(counts.get("done", 0))
        result.skipped = int(counts.get("skipped", 0))
        result.failed = int(counts.get("failed", 0))
        rows = dict(conn.execute(
            "SELECT attempt_id::text, extract(epoch FROM now() - max(taken_at)) "
            "FROM proctoring_snapshot WHERE analysis_status = 'done' GROUP BY 1").fetchall())
    for attempt_id in attempt_ids:
        if attempt_id in rows:
            result.freshness.append(float(rows[attempt_id]))
        else:
            result.never_analysed += 1


def start_analysis_workers(count: int) -> list[subprocess.Popen[bytes]]:
    workers = []
    for index in range(count):
        log = Path(f"/tmp/bench-analysis-worker-{index}.log").open("wb")  # noqa: SIM115
        workers.append(subprocess.Popen(
            [c.PYTHON, "-m", "celery", "-A", "config", "worker", "--pool", "solo",
             "--concurrency", "1", "--without-gossip", "--without-mingle",
             "--loglevel", "WARNING", "-n", f"analysis{index}@%h", "-Q", "analysis"],
            cwd=c.ROOT, env=c.child_env(ENV), stdout=log, stderr=subprocess.STDOUT,
            start_new_session=True))
    return workers


def stop_workers(workers: list[subprocess.Popen[bytes]]) -> None:
    for worker in workers:
        worker.terminate()
    for worker in workers:
        try:
            worker.wait(timeout=20)
        except subprocess.TimeoutExpired:
            worker.kill()


async def run(n: int, args: argparse.Namespace, frames: dict[str, list[bytes]]) -> RunResult:
    seed = c.prepare_examhall_db(n, questions=5)
    result = RunResult(candidates=n)
    server = c.Server(name="examhall", app=args.app, env=ENV, probe_path="/api/docs",
                      app_dir=Path(args.app_dir))
    with server:
        async with c.make_client(server.base_url, 64) as client:
            semaphore = asyncio.Semaphore(32)

            async def one(person: tuple[str, str]) -> c.Candidate | None:
                async with semaphore:
                    candidate, _timing = await c.login_and_start(client, seed, person)
                return candidate

            started = [cand for cand in await asyncio.gather(*(one(p) for p in seed.people))
                       if cand is not None]
        c.log(f"{len(started)} of {n} candidates logged in and started")
        workers = start_analysis_workers(args.analysis_workers)
        try:
            await asyncio.sleep(5)  # the workers load their models
            await asyncio.to_thread(c.wait_for_quiet, 30.0, 0.6)  # the workers are idle
            cpu_before = [c.process_cpu_s(w.pid) for w in workers]
            machine_before = c.cpu_snapshot(server)
            stop = asyncio.Event()
            sampler = asyncio.create_task(sample_lag(result, stop))
            rng = random.Random(5)
            loop = asyncio.get_running_loop()
            t0 = loop.time() + 0.5
            begin = time.monotonic()
            pool: asyncio.Queue[MultipartConnection] = asyncio.Queue()
            for _ in range(args.connections):
                pool.put_nowait(MultipartConnection(server.port))
            bodies = {camera: [multipart(frame, camera) for frame in frames[camera]]
                      for camera in frames}
            profiler = c.start_profile(server, f"monitoring-{n}", args.duration,
                                       args.profile)
            try:
                await asyncio.wait_for(asyncio.gather(*(
                    upload_loop(pool, cand, camera, bodies[camera], t0, args.duration, rng,
                                result)
                    for cand in started for camera in ("pc", "phone"))),
                    timeout=args.duration + 120)
            except TimeoutError:  # the generator fell behind its schedule: say so
                result.errors["schedule not finished (generator behind)"] += 1
            finally:
                while not pool.empty():
                    pool.get_nowait().close()
                c.finish_profile(profiler)
            result.seconds = time.monotonic() - begin
            result.worker_cores = [(c.process_cpu_s(w.pid) - before) / result.seconds
                                   for w, before in zip(workers, cpu_before, strict=True)]
            result.cpu = c.cpu_delta(machine_before, c.cpu_snapshot(server))
            result.cpu["other_cores"] = max(0.0, result.cpu["other_cores"]
                                            - sum(result.worker_cores))
            stop.set()
            await sampler
            collect(result, [cand.attempt_id for cand in started])
        finally:
            stop_workers(workers)
    return result


def report(results: list[RunResult], args: argparse.Namespace) -> None:
    rows = []
    for r in results:
        s = c.latency_summary(r.latencies)
        uploads = len(r.latencies)
        fresh = sorted(r.freshness)
        worst_lag = max((age for _pending, age in r.lag_samples), default=0.0)
        most_pending = max((pending for pending, _age in r.lag_samples), default=0)
        rows.append([
            r.candidates, uploads, uploads / r.seconds if r.seconds else 0.0, s["p50"],
            s["p99"], sum(r.errors.values()), r.analysed / r.seconds / args.analysis_workers,
            r.skipped, r.failed, most_pending, worst_lag,
            c.percentile(fresh, 50), c.percentile(fresh, 95), r.never_analysed,
            " ".join(f"{core:.2f}" for core in r.worker_cores)])
    c.print_table(
        ["N", "uploads ok", "uploads/s", "p50 ms", "p99 ms", "refused/errors",
         "analysed/s per worker", "skipped", "failed", "max pending", "max lag s",
         "freshness p50 s", "freshness p95 s", "never analysed", "worker cores"],
        rows, title=f"Monitoring: {args.analysis_workers} analysis worker processes, "
                    f"{args.duration:g} s per run ({c.machine_description()}; "
                    f"{c.code_version()})")
    c.print_table(
        ["N", "uvicorn cores", "analysis cores", "postgres cores", "generator cores",
         "others' cores", "machine busy %"],
        [[r.candidates, r.cpu.get("server_cores", 0.0), sum(r.worker_cores),
          r.cpu.get("postgres_cores", 0.0), r.cpu.get("generator_cores", 0.0),
          r.cpu.get("other_cores", 0.0), r.cpu.get("machine_busy_pct", 0.0)] for r in results],
        title="Where the CPU went during the upload phase (2 cores = 200 %)")
    for r in results:
        if r.errors:
            print(f"N={r.candidates} errors: {dict(r.errors)}")
        s = c.latency_summary(r.latencies)
        fresh = sorted(r.freshness)
        if r.candidates >= 1000:
            print(c.goal("upload p99 <= 200 ms", s["p99"] <= 200))
            print(c.goal("freshness p95 <= 60 s", bool(fresh) and
                         c.percentile(fresh, 95) <= 60 and not r.never_analysed))
            print(c.goal("no upload refused", not r.errors))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--candidates", default="1000",
                        help="comma-separated runs (default: the goal's 1,000)")
    parser.add_argument("--duration", type=float, default=40.0)
    parser.add_argument("--analysis-workers", type=int, default=2)
    parser.add_argument("--connections", type=int, default=128,
                        help="keep-alive connections the simulated candidates share")
    parser.add_argument("--quick", action="store_true", help="50 candidates, 30 s")
    parser.add_argument("--profile", type=Path, default=None,
                        help="folder for a py-spy profile of one uvicorn worker (GIL "
                             "holder, folded stacks) and a `top` taken mid-run")
    parser.add_argument("--full", action="store_true", help="200, 500 and 1,000; 60 s each")
    parser.add_argument("--app", default="config.asgi:application",
                        help="the ASGI application uvicorn serves")
    parser.add_argument("--app-dir", default=str(c.ROOT))
    args = parser.parse_args()
    counts = [int(x) for x in args.candidates.split(",")]
    if args.quick:
        counts, args.duration = [50], 30.0
    elif args.full:
        counts, args.duration = [200, 500, 1000], 60.0
    Path(MEDIA_ROOT).mkdir(parents=True, exist_ok=True)
    frames = camera_frames()
    results = []
    for n in counts:
        c.log(f"N={n}: {n} candidates × 2 cameras for {args.duration:g} s")
        results.append(c.run_async(run(n, args, frames)))  # type: ignore[arg-type]
        report(results[-1:], args)


if __name__ == "__main__":
    main()
