"""Shared helpers of the benchmarks: servers, databases, percentiles, CPU, tables.

Everything runs on 127.0.0.1. Servers are started as their own process group
and stopped by that group's id only; every wait is bounded.
"""

from __future__ import annotations

import contextlib
import json
import os
import resource
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import psycopg

ROOT = Path(__file__).resolve().parent.parent
BENCH_DIR = ROOT / "bench"
VENV_BIN = Path(sys.executable).parent
PYTHON = str(VENV_BIN / "python")
UVICORN = str(VENV_BIN / "uvicorn")

HOST = "127.0.0.1"
PG_ADMIN_URL = "postgresql://postgres@127.0.0.1:5432/postgres"
EXAMHALL_DB = "examhall_bench"
BARE_DB = "bench_bare"
REDIS_URL = "redis://127.0.0.1:6379/15"

# Non-dev values, so that the production profile accepts them (bench only).
EXAMHALL_ENV = {
    "DJANGO_SETTINGS_MODULE": "config.settings.production",
    "DATABASE_URL": f"postgres://postgres@127.0.0.1:5432/{EXAMHALL_DB}",
    "REDIS_URL": REDIS_URL,
    "SECRET_KEY": "bench-secret-key-not-for-production-7f1c2e9a4b",
    "PII_KEY": "bench-pii-key-not-for-production-3d8e6a1f0c",
    "ALLOWED_HOSTS": HOST,
    "STATIC_ROOT": "/tmp/examhall-bench-static",
    "PYTHONUNBUFFERED": "1",
}
BARE_ENV = {
    "BARE_DATABASE_URL": f"postgresql://postgres@127.0.0.1:5432/{BARE_DB}",
    "PYTHONUNBUFFERED": "1",
}
WORKERS = 2


def log(message: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {message}", flush=True)


def child_env(extra: dict[str, str]) -> dict[str, str]:
    env = {key: value for key, value in os.environ.items()
           if not key.lower().endswith("_proxy")}  # never route 127.0.0.1 via a proxy
    env.update(extra)
    return env


# --- percentiles and tables -----------------------------------------------------


def percentile(sorted_values: Sequence[float], p: float) -> float:
    """Linear-interpolated percentile (p in 0..100) of an already sorted sequence."""
    if not sorted_values:
        return float("nan")
    if len(sorted_values) == 1:
        return float(sorted_values[0])
    rank = (len(sorted_values) - 1) * p / 100.0
    low = int(rank)
    high = min(low + 1, len(sorted_values) - 1)
    return sorted_values[low] + (sorted_values[high] - sorted_values[low]) * (rank - low)


def latency_summary(latencies_s: Sequence[float]) -> dict[str, float]:
    values = sorted(latencies_s)
    return {
        "n": len(values),
        "p50": percentile(values, 50) * 1000,
        "p95": percentile(values, 95) * 1000,
        "p99": percentile(values, 99) * 1000,
        "max": (values[-1] * 1000) if values else float("nan"),
    }


def fmt(value: object) -> str:
    if isinstance(value, float):
        if value != value:  # NaN
            return "-"
        if abs(value) >= 100:
            return f"{value:,.0f}"
        return f"{value:.1f}" if abs(value) >= 10 else f"{value:.2f}"
    if isinstance(value, int):
        return f"{value:,}"
    return str(value)


def print_table(headers: Sequence[str], rows: Sequence[Sequence[object]], title: str = "") -> None:
    cells = [[fmt(cell) for cell in row] for row in rows]
    widths = [max(len(str(h)), *(len(r[i]) for r in cells)) if cells else len(str(h))
              for i, h in enumerate(headers)]
    if title:
        print(f"\n{title}")
    print("| " + " | ".join(str(h).ljust(w) for h, w in zip(headers, widths, strict=True)) + " |")
    print("|" + "|".join("-" * (w + 2) for w in widths) + "|")
    for row in cells:
        # numbers right-aligned, text left-aligned
        out = []
        for cell, width in zip(row, widths, strict=True):
            numeric = cell.replace(",", "").replace(".", "").replace("-", "").isdigit()
            out.append(cell.rjust(width) if numeric else cell.ljust(width))
        print("| " + " | ".join(out) + " |")
    sys.stdout.flush()


# --- CPU accounting ---------------------------------------------------------------

CLK_TCK = os.sysconf("SC_CLK_TCK")


def generator_cpu_s() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def _stat_fields(pid: int) -> list[str] | None:
    try:
        raw = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    # the command may contain spaces: split after the closing parenthesis
    return raw[raw.rindex(")") + 2:].split()


def _comm(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/comm").read_text().strip()
    except OSError:
        return ""


def process_cpu_s(pid: int, *, with_reaped_children: bool = False) -> float:
    fields = _stat_fields(pid)
    if fields is None:
        return 0.0
    # after the state field: utime is field 14 of stat, i.e. index 11 here
    ticks = int(fields[11]) + int(fields[12])
    if with_reaped_children:
        ticks += int(fields[13]) + int(fields[14])
    return ticks / CLK_TCK


def children_of(pid: int) -> list[int]:
    found: list[int] = []
    with contextlib.suppress(OSError):
        for task in Path(f"/proc/{pid}/task").iterdir():
            with contextlib.suppress(OSError):
                found += [int(x) for x in (task / "children").read_text().split()]
    return found


def postgres_cpu_s() -> float:
    """CPU of every PostgreSQL process, including backends that already exited
    (their time is added to the postmaster's reaped-children counters)."""
    total = 0.0
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        pid = int(entry.name)
        if _comm(pid) != "postgres":
            continue
        fields = _stat_fields(pid)
        if fields is None:
            continue
        parent = int(fields[1])
        total += process_cpu_s(pid, with_reaped_children=_comm(parent) != "postgres")
    return total


def machine_busy() -> tuple[float, float]:
    """(busy seconds, total seconds) summed over all CPUs, from /proc/stat."""
    parts = Path("/proc/stat").read_text().splitlines()[0].split()[1:]
    values = [int(x) for x in parts]
    idle = values[3] + values[4]  # idle + iowait
    total = sum(values[:8])
    return (total - idle) / CLK_TCK, total / CLK_TCK


@dataclass
class CpuSnapshot:
    wall: float
    generator: float
    server: float
    postgres: float
    busy: float
    total: float


def cpu_snapshot(server: Server | None) -> CpuSnapshot:
    busy, total = machine_busy()
    return CpuSnapshot(
        wall=time.monotonic(),
        generator=generator_cpu_s(),
        server=server.cpu_s() if server else 0.0,
        postgres=postgres_cpu_s(),
        busy=busy,
        total=total,
    )


def cpu_delta(before: CpuSnapshot, after: CpuSnapshot) -> dict[str, float]:
    """CPU seconds used per party during an interval, and in cores (seconds / wall)."""
    wall = max(after.wall - before.wall, 1e-9)
    machine_total = max(after.total - before.total, 1e-9)
    out = {"wall_s": wall}
    for name in ("generator", "server", "postgres"):
        used = getattr(after, name) - getattr(before, name)
        out[f"{name}_cpu_s"] = used
        out[f"{name}_cores"] = used / wall
    out["machine_busy_pct"] = 100.0 * (after.busy - before.busy) / machine_total
    # whatever else ran on the machine meanwhile (other users' tests, browsers, ...)
    ncpu = os.cpu_count() or 1
    busy_cores = ncpu * (after.busy - before.busy) / machine_total
    out["other_cores"] = max(0.0, busy_cores - out["generator_cores"] - out["server_cores"]
                             - out["postgres_cores"])
    return out


def wait_for_quiet(max_wait_s: float = 60.0, threshold_cores: float = 0.25) -> float:
    """Wait (bounded) until the machine is nearly idle before a measured phase.

    Others may share the machine (test suites, browsers); a phase measured while
    they run says more about them than about the server. Returns the busy cores
    seen last; logs when it gave up waiting.
    """
    ncpu = os.cpu_count() or 1
    deadline = time.monotonic() + max_wait_s
    busy_cores = float("nan")
    for _ in range(int(max_wait_s) + 1):
        busy0, total0 = machine_busy()
        time.sleep(1.0)
        busy1, total1 = machine_busy()
        busy_cores = ncpu * (busy1 - busy0) / max(total1 - total0, 1e-9)
        if busy_cores <= threshold_cores:
            return busy_cores
        if time.monotonic() >= deadline:
            break
    log(f"machine still busy ({busy_cores:.2f} cores used by others) after "
        f"{max_wait_s:.0f}s: measuring anyway, see the 'other cores' column")
    return busy_cores


# --- servers ------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((HOST, 0))
        return sock.getsockname()[1]


@dataclass
class Server:
    name: str
    app: str
    env: dict[str, str]
    app_dir: Path = ROOT
    port: int = 0
    probe_path: str = "/"
    process: subprocess.Popen[bytes] | None = None
    log_path: Path = field(default_factory=lambda: Path("/tmp/examhall-bench-server.log"))

    @property
    def base_url(self) -> str:
        return f"http://{HOST}:{self.port}"

    def start(self, timeout_s: float = 60.0) -> None:
        self.port = self.port or free_port()
        self.log_path = Path(f"/tmp/bench-{self.name}-{self.port}.log")
        if "STATIC_ROOT" in self.env:  # whitenoise warns about a missing folder
            Path(self.env["STATIC_ROOT"]).mkdir(parents=True, exist_ok=True)
        command = [
            UVICORN, self.app, "--host", HOST, "--port", str(self.port),
            "--workers", str(WORKERS), "--no-access-log", "--lifespan", "on",
            "--app-dir", str(self.app_dir), "--log-level", "warning",
        ]
        with self.log_path.open("wb") as sink:
            self.process = subprocess.Popen(
                command, cwd=ROOT, env=child_env(self.env), stdout=sink,
                stderr=subprocess.STDOUT, start_new_session=True,
            )
        self._wait_ready(timeout_s)
        log(f"{self.name}: uvicorn ({WORKERS} workers) on {self.base_url}, "
            f"pids {self.process.pid} -> {self.worker_pids()}")

    def _wait_ready(self, timeout_s: float) -> None:
        import httpx

        deadline = time.monotonic() + timeout_s
        with httpx.Client(timeout=2.0, trust_env=False) as client:
            while time.monotonic() < deadline:
                if self.process is not None and self.process.poll() is not None:
                    break
                try:
                    client.get(self.base_url + self.probe_path)
                    # every worker must have booted, not just the first
                    if len(self.worker_pids()) >= WORKERS:
                        time.sleep(1.0)
                        return
                except httpx.HTTPError:
                    pass
                time.sleep(0.3)
        tail = self.log_path.read_text(errors="replace")[-3000:]
        self.stop()
        raise RuntimeError(f"{self.name} did not start within {timeout_s:.0f}s:\n{tail}")

    def worker_pids(self) -> list[int]:
        """The uvicorn worker processes (not multiprocessing's resource tracker)."""
        if self.process is None:
            return []
        workers = []
        for pid in children_of(self.process.pid):
            with contextlib.suppress(OSError):
                if b"multiprocessing.spawn" in Path(f"/proc/{pid}/cmdline").read_bytes():
                    workers.append(pid)
        return workers

    def worker_cpu_s(self) -> dict[int, float]:
        return {pid: process_cpu_s(pid) for pid in self.worker_pids()}

    def connections_per_worker(self) -> dict[int, int]:
        """Established client connections each worker holds (from `ss -tnp`)."""
        counts = dict.fromkeys(self.worker_pids(), 0)
        try:
            out = subprocess.run(
                ["ss", "-tnpH", "state", "established", f"( sport = :{self.port} )"],
                capture_output=True, text=True, timeout=10, check=False).stdout
        except (OSError, subprocess.TimeoutExpired):
            return counts
        for line in out.splitlines():
            for pid in counts:
                if f"pid={pid}," in line:
                    counts[pid] += 1
        return counts

    def thread_count(self) -> int:
        """Threads of all workers now."""
        total = 0
        for pid in self.worker_pids():
            with contextlib.suppress(OSError, ValueError):
                for line in Path(f"/proc/{pid}/status").read_text().splitlines():
                    if line.startswith("Threads:"):
                        total += int(line.split()[1])
        return total

    def cpu_s(self) -> float:
        """CPU seconds of the master, its workers and helpers so far."""
        if self.process is None:
            return 0.0
        return process_cpu_s(self.process.pid) + sum(
            process_cpu_s(pid) for pid in children_of(self.process.pid)
        )

    def log_count(self, text: str) -> int:
        """How often ``text`` occurs in this server's log (e.g. an error message)."""
        try:
            return self.log_path.read_text(errors="replace").count(text)
        except OSError:
            return 0

    def stop(self, timeout_s: float = 15.0) -> None:
        if self.process is None or self.process.poll() is not None:
            self.process = None
            return
        pgid = self.process.pid  # start_new_session: its own process group
        with contextlib.suppress(ProcessLookupError):
            os.killpg(pgid, signal.SIGTERM)
        try:
            self.process.wait(timeout=timeout_s)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(pgid, signal.SIGKILL)
            self.process.wait(timeout=5)
        self.process = None

    def __enter__(self) -> Server:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()


def examhall_server() -> Server:
    return Server(name="examhall", app="config.asgi:application", env=EXAMHALL_ENV,
                  probe_path="/api/docs")


def bare_server() -> Server:
    return Server(name="bare", app="bare_asgi:app", env=BARE_ENV, app_dir=BENCH_DIR,
                  probe_path="/health")


# --- databases ----------------------------------------------------------------------


def recreate_database(name: str) -> None:
    with psycopg.connect(PG_ADMIN_URL, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')


def flush_bench_cache() -> None:
    """Empty the bench's own Redis database (15): sessions, rate-limit counters."""
    import redis

    client = redis.Redis.from_url(REDIS_URL, socket_timeout=5)
    try:
        client.flushdb()
    finally:
        client.close()


def _run(command: list[str], env: dict[str, str], timeout_s: float) -> str:
    result = subprocess.run(command, cwd=ROOT, env=child_env(env), capture_output=True,
                            text=True, timeout=timeout_s, check=False)
    if result.returncode != 0:
        raise RuntimeError(f"{' '.join(command)} failed:\n{result.stdout}\n{result.stderr}")
    return result.stdout


@dataclass(frozen=True)
class Seed:
    exam_code: str
    subject_code: str
    question_count: int
    people: list[tuple[str, str]]  # (ticket number, clear ID number)


def prepare_examhall_db(candidates: int, questions: int = 20) -> Seed:
    """Fresh database: drop, create, migrate, seed ``candidates`` registrations."""
    started = time.monotonic()
    recreate_database(EXAMHALL_DB)
    flush_bench_cache()
    _run([PYTHON, "manage.py", "migrate", "--noinput", "-v0"], EXAMHALL_ENV, 300)
    out = _run([PYTHON, str(BENCH_DIR / "seed.py"), "--candidates", str(candidates),
                "--questions", str(questions)], EXAMHALL_ENV, 300)
    data = json.loads(out.strip().splitlines()[-1])
    log(f"database {EXAMHALL_DB}: migrated and seeded {candidates} candidates, "
        f"{questions} questions in {time.monotonic() - started:.1f}s")
    return Seed(exam_code=data["exam_code"], subject_code=data["subject_code"],
                question_count=questions, people=[tuple(p) for p in data["people"]])


def prepare_bare_db() -> None:
    recreate_database(BARE_DB)
    with psycopg.connect(BARE_ENV["BARE_DATABASE_URL"], autocommit=True) as conn:
        conn.execute(
            """CREATE TABLE answers (
                   attempt_id uuid NOT NULL,
                   question_id uuid NOT NULL,
                   value jsonb NOT NULL,
                   marked boolean NOT NULL DEFAULT false,
                   seq bigint NOT NULL,
                   client_saved_at timestamptz,
                   saved_at timestamptz NOT NULL,
                   PRIMARY KEY (attempt_id, question_id))"""
        )


@contextlib.contextmanager
def timed(label: str) -> Iterator[None]:
    started = time.monotonic()
    yield
    log(f"{label}: {time.monotonic() - started:.1f}s")


def postgres_max_connections() -> int:
    with psycopg.connect(PG_ADMIN_URL, autocommit=True) as conn:
        row = conn.execute("SHOW max_connections").fetchone()
        return int(row[0]) if row else 0


def postgres_connections(database: str) -> int:
    with psycopg.connect(PG_ADMIN_URL, autocommit=True) as conn:
        row = conn.execute(
            "SELECT count(*) FROM pg_stat_activity WHERE datname = %s", (database,)
        ).fetchone()
        return int(row[0]) if row else 0


def code_version() -> str:
    """The commit measured, and whether the work tree differed from it (read-only git)."""
    try:
        head = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, text=True,
                              capture_output=True, timeout=10, check=False).stdout.strip()
        dirty = subprocess.run(["git", "status", "--porcelain", "--untracked-files=no"],
                               cwd=ROOT, text=True, capture_output=True, timeout=10,
                               check=False).stdout.strip()
    except (OSError, subprocess.TimeoutExpired):
        return "unknown"
    return f"{head or 'unknown'}{' + uncommitted changes' if dirty else ''}"


def machine_description() -> str:
    cpu = "?"
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    return f"{os.cpu_count()} CPUs ({cpu}), Python {sys.version.split()[0]}"


# --- the candidate's client side ------------------------------------------------------


def run_async(main: object) -> object:
    """asyncio.run, on uvloop when installed (the load generator needs every cycle)."""
    import asyncio

    try:
        import uvloop
    except ImportError:
        return asyncio.run(main)  # type: ignore[arg-type]
    with asyncio.Runner(loop_factory=uvloop.new_event_loop) as runner:
        return runner.run(main)  # type: ignore[arg-type]


def make_client(base_url: str, max_connections: int) -> object:
    import httpx

    return httpx.AsyncClient(
        base_url=base_url,
        limits=httpx.Limits(max_connections=max_connections,
                            max_keepalive_connections=max_connections,
                            # below uvicorn's 5 s keep-alive timeout: never reuse a
                            # connection the server is closing (a false ReadError)
                            keepalive_expiry=2.0),
        timeout=httpx.Timeout(15.0, pool=15.0),
        trust_env=False,  # never through a proxy: 127.0.0.1 only
    )


@dataclass
class Candidate:
    attempt_id: str
    headers: dict[str, str]
    question_ids: list[str]
    seq: int = 0


@dataclass
class LoginTiming:
    login_s: float
    start_s: float
    error: str = ""


async def login_and_start(client: object, seed: Seed, person: tuple[str, str]
                          ) -> tuple[Candidate | None, LoginTiming]:
    """Log one candidate in and start the attempt, timing both calls."""
    ticket, id_number = person
    begin = time.perf_counter()
    try:
        response = await client.post(  # type: ignore[attr-defined]
            f"/api/exams/{seed.exam_code}/login",
            json={"subject_code": seed.subject_code, "ticket_number": ticket,
                  "id_number": id_number},
        )
    except Exception as error:  # every failure is counted, none stops the run
        return None, LoginTiming(time.perf_counter() - begin, 0.0, f"login {type(error).__name__}")
    login_s = time.perf_counter() - begin
    if response.status_code != 200:
        return None, LoginTiming(login_s, 0.0, f"login HTTP {response.status_code}")
    data = response.json()
    headers = {"Authorization": f"Bearer {data['token']}"}
    begin = time.perf_counter()
    try:
        response = await client.post(  # type: ignore[attr-defined]
            f"/api/attempts/{data['attempt_id']}/start", headers=headers)
    except Exception as error:
        return None, LoginTiming(login_s, time.perf_counter() - begin,
                                 f"start {type(error).__name__}")
    start_s = time.perf_counter() - begin
    if response.status_code != 200:
        return None, LoginTiming(login_s, start_s, f"start HTTP {response.status_code}")
    questions = [question["id"] for question in response.json()["questions"]]
    return Candidate(str(data["attempt_id"]), headers, questions), LoginTiming(login_s, start_s)


def goal(text: str, met: bool) -> str:
    return f"GOAL {'MET ' if met else 'MISSED'}: {text}"


class RawHttpConnection:
    """A minimal HTTP/1.1 keep-alive client over asyncio streams, for the peak phase.

    httpx costs the generator about 1.5-2 ms of CPU per request on this machine,
    which on 2 shared cores caps what it can offer the server; this costs a small
    fraction of that. It speaks only what the two servers answer: a status line,
    headers, then a Content-Length or chunked body.
    """

    def __init__(self, port: int) -> None:
        self.port = port
        self.host_header = f"Host: {HOST}:{port}\r\n".encode()
        self.reader: Any = None
        self.writer: Any = None

    async def _connect(self) -> None:
        import asyncio

        self.reader, self.writer = await asyncio.wait_for(
            asyncio.open_connection(HOST, self.port), timeout=15)

    def close(self) -> None:
        if self.writer is not None:
            self.writer.close()
        self.reader = self.writer = None

    async def post_json(self, path: str, payload: object, headers: dict[str, str]
                        ) -> tuple[int, bytes]:
        import asyncio

        if self.writer is None:
            await self._connect()
        body = json.dumps(payload).encode()
        head = [f"POST {path} HTTP/1.1\r\n".encode(), self.host_header,
                b"Content-Type: application/json\r\n",
                f"Content-Length: {len(body)}\r\n".encode()]
        head += [f"{key}: {value}\r\n".encode() for key, value in headers.items()]
        self.writer.write(b"".join(head) + b"\r\n" + body)
        try:
            return await asyncio.wait_for(self._read_response(), timeout=15)
        except BaseException:
            self.close()
            raise

    async def _read_response(self) -> tuple[int, bytes]:
        raw = await self.reader.readuntil(b"\r\n\r\n")
        lines = raw.decode("latin-1").split("\r\n")
        status = int(lines[0].split(" ", 2)[1])
        fields = {}
        for line in lines[1:]:
            if ":" in line:
                key, value = line.split(":", 1)
                fields[key.strip().lower()] = value.strip().lower()
        if "content-length" in fields:
            body = await self.reader.readexactly(int(fields["content-length"]))
        elif fields.get("transfer-encoding") == "chunked":
            chunks = []
            for _ in range(100_000):
                size = int((await self.reader.readuntil(b"\r\n")).strip(), 16)
                chunk = await self.reader.readexactly(size + 2)
                if size == 0:
                    break
                chunks.append(chunk[:-2])
            body = b"".join(chunks)
        else:
            body = await self.reader.read()
            fields["connection"] = "close"
        if fields.get("connection") == "close":
            self.close()
        return status, body


# --- watching the database and the server during a phase ------------------------------

_MONITOR: list[Any] = []  # one connection, opened before any load


async def open_monitor() -> None:
    """Open the monitoring connection while PostgreSQL still accepts connections."""
    import psycopg

    if not _MONITOR:
        _MONITOR.append(await psycopg.AsyncConnection.connect(PG_ADMIN_URL, autocommit=True))


async def close_monitor() -> None:
    while _MONITOR:
        await _MONITOR.pop().close()


async def watch_database(database: str, server: Server, result: Any, stop: Any) -> None:
    """Sample, every 0.5 s until ``stop`` is set: the PostgreSQL connections to
    ``database`` (most at once -> result.max_db_connections; distinct backends over the
    phase -> result.db_backends) and the threads of the server's workers
    (-> result.max_threads)."""
    import asyncio

    import psycopg

    await open_monitor()
    conn = _MONITOR[0]
    backends: set[int] = set()
    for _ in range(10_000):  # bounded; the phase sets ``stop`` long before
        try:
            cursor = await conn.execute(
                "SELECT pid FROM pg_stat_activity WHERE datname = %s", (database,))
            pids = {int(row[0]) for row in await cursor.fetchall()}
        except psycopg.Error:
            return
        backends |= pids
        result.max_db_connections = max(result.max_db_connections, len(pids))
        result.db_backends = len(backends)
        result.max_threads = max(result.max_threads, server.thread_count())
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), 0.5)
            return


def start_profile(server: Server, label: str, seconds: float,
                  profile_dir: Path | None) -> list[subprocess.Popen[bytes]]:
    """With --profile: py-spy (one worker), and `top` once mid-phase."""
    if profile_dir is None:
        return []
    profile_dir.mkdir(parents=True, exist_ok=True)
    procs = []
    py_spy = Path(VENV_BIN) / "py-spy"
    workers = server.worker_pids()
    if py_spy.exists() and workers:
        # one sampler on one worker (it costs CPU too); only the thread holding the GIL,
        # i.e. where the worker's Python CPU goes; folded stacks, one line per stack
        procs.append(subprocess.Popen(
            [str(py_spy), "record", "--pid", str(workers[0]),
             "--duration", str(max(1, int(seconds) - 2)), "--rate", "100",
             "--format", "raw", "--nonblocking", "--gil",
             "--output", str(profile_dir / f"{label}-worker.folded")],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        ))
    procs.append(subprocess.Popen(
        ["bash", "-c", f"sleep {seconds / 2:.1f}; top -b -n1 -w 200 | head -30"],
        stdout=(profile_dir / f"{label}-top.txt").open("wb"),
        stderr=subprocess.DEVNULL,
    ))
    return procs


def finish_profile(procs: list[subprocess.Popen[bytes]]) -> None:
    for proc in procs:
        try:
            proc.wait(timeout=60)
        except subprocess.TimeoutExpired:
            proc.terminate()
            proc.wait(timeout=5)
