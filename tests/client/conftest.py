"""Fixtures for the exam client's integration tests: the client (PySide6 + QtWebEngine)
started as a subprocess, offscreen, with Chromium's remote debugging (raw CDP) on a local
port so the test can drive the page; a tiny CDP client.

The client's interpreter: ``EXAMHALL_CLIENT_PYTHON`` if set, else ``client/.venv``, else
the interpreter running the tests; the tests are skipped when it cannot import PySide6's
QtWebEngine.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import os
import shutil
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from functools import cache
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.servers import ROOT, free_port, uvicorn_server

CLIENT_DIR = ROOT / "client"
SCREENSHOTS = ROOT / "var" / "screenshots"
LOGS = ROOT / "var" / "test-logs"


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if "tests/client" in str(item.fspath):
            item.add_marker(pytest.mark.browser)


@pytest.fixture
def server_url(transactional_db: None) -> Iterator[str]:
    """The real ASGI app under uvicorn on the test database."""
    with uvicorn_server(LOGS / "uvicorn-client.log") as url:
        yield url


@cache
def client_python() -> str | None:
    """An interpreter that can run the client's GUI, or None."""
    candidates = [os.environ.get("EXAMHALL_CLIENT_PYTHON", ""),
                  str(CLIENT_DIR / ".venv" / "bin" / "python"), sys.executable]
    for candidate in candidates:
        if not candidate or not Path(candidate).exists():
            continue
        probe = subprocess.run(
            [candidate, "-c", "import PySide6.QtWebEngineWidgets, psutil"],
            capture_output=True, env=client_env(), timeout=60, check=False)
        if probe.returncode == 0:
            return candidate
    return None


@pytest.fixture(scope="session")
def client_interpreter() -> str:
    python = client_python()
    if python is None:
        pytest.skip("PySide6 with QtWebEngine cannot be imported (set EXAMHALL_CLIENT_PYTHON "
                    "to an interpreter with the client's requirements)")
    return python


def client_env(**extra: str) -> dict[str, str]:
    env = dict(os.environ)
    env.update({
        "PYTHONPATH": str(CLIENT_DIR),
        "QT_QPA_PLATFORM": "offscreen",
        "QTWEBENGINE_DISABLE_SANDBOX": "1",
        "PYTHONUNBUFFERED": "1",
    })
    for name in ("DJANGO_SETTINGS_MODULE", "DATABASE_URL"):
        env.pop(name, None)
    env.update(extra)
    return env


def sign(key_b64: str, version: str, method: str, canonical_url: str, body: bytes) -> str:
    """The contract's signature, computed independently of the client and the server."""
    key = base64.urlsafe_b64decode(key_b64 + "=" * (-len(key_b64) % 4))
    message = "\n".join(["EXAMHALL-CLIENT-1", version, method.upper(), canonical_url,
                         hashlib.sha256(body).hexdigest()])
    return hmac.new(key, message.encode(), hashlib.sha256).hexdigest()


class Cdp:
    """Raw Chrome DevTools Protocol over the page target's websocket (Playwright's
    connect_over_cdp does not support QtWebEngine)."""

    def __init__(self, port: int) -> None:
        self.port = port
        self._socket: Any = None
        self._stack = ExitStack()
        self._next_id = 0

    def _connect(self, timeout: float) -> None:
        from websockets.sync.client import connect

        until = time.monotonic() + timeout
        while True:
            try:
                targets = httpx.get(f"http://127.0.0.1:{self.port}/json", timeout=2).json()
                pages = [t for t in targets if t.get("type") == "page"]
                if pages:
                    self._socket = self._stack.enter_context(connect(
                        pages[0]["webSocketDebuggerUrl"], max_size=64 * 1024 * 1024,
                        open_timeout=10))
                    return
            except (httpx.HTTPError, OSError, ValueError):
                pass
            if time.monotonic() > until:
                raise AssertionError("the client's page never appeared on the CDP port")
            time.sleep(0.3)

    def pages(self) -> list[dict[str, Any]]:
        targets = httpx.get(f"http://127.0.0.1:{self.port}/json", timeout=5).json()
        return [t for t in targets if t.get("type") == "page"]

    def call(self, method: str, timeout: float = 30, **params: Any) -> dict[str, Any]:
        if self._socket is None:
            self._connect(timeout)
        self._next_id += 1
        self._socket.send(json.dumps({"id": self._next_id, "method": method, "params": params}))
        until = time.monotonic() + timeout
        while True:
            message = json.loads(self._socket.recv(timeout=max(0.1, until - time.monotonic())))
            if message.get("id") == self._next_id:
                if "error" in message:
                    raise AssertionError(f"CDP {method}: {message['error']}")
                return message["result"]

    def evaluate(self, expression: str, timeout: float = 30) -> Any:
        result = self.call("Runtime.evaluate", timeout=timeout, expression=expression,
                           awaitPromise=True, returnByValue=True)
        if "exceptionDetails" in result:
            raise AssertionError(f"{expression}: {result['exceptionDetails']}")
        return result["result"].get("value")

    def wait_for(self, expression: str, timeout: float = 40) -> Any:
        """Poll ``expression`` until it is truthy (navigations are retried)."""
        until = time.monotonic() + timeout
        last: Any = None
        while time.monotonic() < until:
            try:
                last = self.evaluate(expression, timeout=10)
            except (AssertionError, TimeoutError) as exc:
                last = exc
            else:
                if last:
                    return last
            time.sleep(0.25)
        raise AssertionError(f"never true: {expression} (last: {last!r})")

    def screenshot(self, name: str) -> Path:
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        data = self.call("Page.captureScreenshot", format="png")["data"]
        path = SCREENSHOTS / f"{name}.png"
        path.write_bytes(base64.b64decode(data))
        return path

    def close(self) -> None:
        self._stack.close()


class RunningClient:
    def __init__(self, process: subprocess.Popen[bytes], cdp: Cdp, log: Path,
                 screenshots: Path) -> None:
        self.process = process
        self.cdp = cdp
        self.log = log
        self.screenshots = screenshots

    def output(self) -> str:
        return self.log.read_text(errors="replace")


@pytest.fixture
def start_client(client_interpreter: str, tmp_path: Path
                 ) -> Callable[..., Any]:
    """``with start_client(server, exam, chromium_flags=...) as client:`` runs
    ``examhall-client run`` (a normal window unless ``kiosk``), entering the exam once
    the check passes."""

    @contextmanager
    def start(server: str, exam: str, *, chromium_flags: str = "", name: str = "client",
              kiosk: bool = False) -> Iterator[RunningClient]:
        port = free_port()
        LOGS.mkdir(parents=True, exist_ok=True)
        log_path = LOGS / f"{name}.log"
        shots = tmp_path / "client-screens"
        env = client_env(QTWEBENGINE_REMOTE_DEBUGGING=f"127.0.0.1:{port}",
                         QTWEBENGINE_CHROMIUM_FLAGS=chromium_flags,
                         EXAMHALL_CLIENT_SCREENSHOTS=str(shots))
        command = [client_interpreter, "-m", "examhall_client.cli", "run", "--server", server,
                   "--exam", exam, "--language", "zh_Hans", "--enter-when-passed"]
        if not kiosk:
            command.append("--no-kiosk")
        with log_path.open("wb") as log:
            process = subprocess.Popen(command, cwd=CLIENT_DIR, env=env, stdout=log,
                                       stderr=subprocess.STDOUT)
            cdp = Cdp(port)
            try:
                yield RunningClient(process, cdp, log_path, shots)
            finally:
                cdp.close()
                process.terminate()
                try:
                    process.wait(timeout=10)
                except subprocess.TimeoutExpired:
                    process.kill()
                    process.wait()

    return start


def keep_screenshot(source: Path, name: str) -> Path | None:
    """Copy a screen the client saved into var/screenshots/."""
    if not source.exists():
        return None
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    target = SCREENSHOTS / f"{name}.png"
    shutil.copyfile(source, target)
    return target
