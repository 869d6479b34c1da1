"""The exam client against a tiny local server (no Django): it fetches the policy, checks
the machine, enters the exam, and every request its web view makes carries the
contract's signature; the page cannot leave the origin or open windows; the environment
report reaches the page's bridge."""

from __future__ import annotations

import json
import shutil
import subprocess
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.browser.media import live_face_y4m
from tests.client.conftest import CLIENT_DIR, LOGS, client_env, keep_screenshot, sign
from tests.servers import ROOT, free_port

KEY = "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8"
VERSION = "0.1.0"

PAGE = b"""<!doctype html><html><head><meta charset="utf-8"><title>exam</title>
<script>
window.reports = [];
window.ExamHallClient = {receiveReport(report) { window.reports.push(report); }};
window.keys = [];
addEventListener('keydown', (e) => ['Control', 'Shift', 'Alt', 'Meta'].includes(e.key)
  || keys.push((e.ctrlKey ? 'Ctrl+' : '') + (e.altKey ? 'Alt+' : '') + e.key));
</script></head><body><h1 id="title">Exam page</h1>
<a id="away" href="http://localhost:%d/elsewhere">away</a></body></html>"""


MEDIA_PAGE = b"""<!doctype html><html><body><script>
navigator.mediaDevices.getUserMedia({video: true})
  .then((stream) => 'camera:' + stream.getVideoTracks()[0].label)
  .catch((error) => 'no-camera:' + error.name)
  .then((result) => fetch('/media-result', {method: 'POST', body: result}));
</script></body></html>"""


class Recorder(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, port: int, policy: dict[str, Any]) -> None:
        super().__init__(("127.0.0.1", port), Handler)
        self.policy = policy
        self.requests: list[dict[str, Any]] = []
        self.lock = threading.Lock()


class Handler(BaseHTTPRequestHandler):
    server: Recorder

    def log_message(self, *args: object) -> None:
        pass

    def _record(self, body: bytes) -> None:
        with self.server.lock:
            self.server.requests.append({
                "method": self.command, "path": self.path, "body": body,
                "header": self.headers.get("X-ExamHall-Client"),
                "user_agent": self.headers.get("User-Agent", ""),
            })

    def _send(self, status: int, body: bytes, kind: str) -> None:
        self.send_response(status)
        self.send_header("Content-Type", kind)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self) -> None:
        self._record(b"")
        if self.path.startswith("/api/client/exams/demo/policy"):
            self._send(200, json.dumps(self.server.policy).encode(), "application/json")
        elif self.path.startswith("/exam/demo/?media=1"):
            self._send(200, MEDIA_PAGE, "text/html; charset=utf-8")
        elif self.path.startswith("/exam/demo/"):
            self._send(200, PAGE % self.server.server_port, "text/html; charset=utf-8")
        else:
            self._send(404, b"not found", "text/plain")

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
        self._record(body)
        self._send(200, b'{"ok": true}', "application/json")


def policy_for(base: str) -> dict[str, Any]:
    return {
        "schema": 1, "exam": {"code": "demo", "name": "双碳知识考试", "kind": "formal"},
        "requires_client": True, "client_key": KEY, "min_client_version": "0.1.0",
        "entry_url": f"{base}/exam/demo/", "origin": base, "recheck_interval_seconds": 2,
        "forbidden_processes": [{
            "id": "nothing", "name": "Nothing", "category": "other", "advice": "",
            "match": {"linux": ["examhall-no-such-process"]}}],
        "allowed_processes": [], "displays": {"max_displays": 1, "allow_mirrored": False},
        "virtual_machine": "allow", "remote_session": "allow", "battery": {"min_percent": 0},
        "download_url": f"{base}/help/client/",
    }


@pytest.fixture
def recorder() -> Iterator[Recorder]:
    port = free_port()
    server = Recorder(port, policy_for(f"http://127.0.0.1:{port}"))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()


def signed_correctly(request: dict[str, Any], port: int) -> bool:
    url = f"http://127.0.0.1:{port}{request['path']}"
    expected = f"v={VERSION}; sig={sign(KEY, VERSION, request['method'], url, request['body'])}"
    return request["header"] == expected


def test_every_request_of_the_web_view_is_signed_and_the_page_stays_locked(
    recorder: Recorder, start_client: Any
) -> None:
    port = recorder.server_port
    base = f"http://127.0.0.1:{port}"
    with start_client(base, "demo", name="client-kiosk", kiosk=True) as client:
        cdp = client.cdp
        cdp.wait_for("document.getElementById('title') !== null")
        # Kiosk: the page fills the whole screen.
        assert cdp.evaluate("[innerWidth, innerHeight]") == cdp.evaluate(
            "[screen.width, screen.height]")
        # The client announces itself to the page before its scripts run.
        assert cdp.evaluate("window.ExamHallClientInfo.version") == VERSION
        assert cdp.evaluate("navigator.userAgent").endswith(f" ExamHallClient/{VERSION}")
        # The environment report reaches the page's bridge after the load...
        report = cdp.wait_for("window.reports.length > 0 && window.reports[0]")
        assert report["passed"] is True
        assert report["client_version"] == VERSION
        # ... and again after the re-check interval (2 s).
        cdp.wait_for("window.reports.length >= 2", timeout=20)

        # A POST with a body (binary and text) is signed over that body.
        cdp.evaluate("""fetch('/api/attempts/x/client-environment?a=1', {method: 'POST',
            headers: {'Content-Type': 'application/json'}, body: '{"a":1}'}).then(r => r.status)""")
        cdp.evaluate("""fetch('/upload', {method: 'POST',
            body: new Blob([new Uint8Array([0, 1, 2, 255])])}).then(r => r.status)""")
        # Bodies over 64 KiB come from the engine as a stream (see SigningInterceptor):
        # a 300 kB multipart upload, as the snapshots and the device check send.
        cdp.evaluate("""(() => {
            const bytes = new Uint8Array(300000).map((_, i) => i % 251);
            const form = new FormData();
            form.append('image', new Blob([bytes], {type: 'image/jpeg'}), 'snapshot.jpg');
            return fetch('/snapshot', {method: 'POST', body: form}).then(r => r.status);
        })()""")

        # Leaving the origin and opening windows do nothing.
        cdp.evaluate("window.open('/exam/demo/?popup=1'); true")
        cdp.evaluate("document.getElementById('away').click(); true")
        cdp.evaluate(f"location.href = 'http://localhost:{port}/elsewhere'; true")
        cdp.evaluate("new Promise(r => setTimeout(() => r(true), 1500))")
        assert cdp.evaluate("location.href") == f"{base}/exam/demo/"
        assert len(cdp.pages()) == 1
        cdp.screenshot("client-kiosk-local")
    check_screen = keep_screenshot(client.screenshots / "client-check.png", "client-check-local")
    assert check_screen is not None

    requests = list(recorder.requests)
    web_view = [r for r in requests if not r["path"].startswith("/api/client/")]
    posts = [r for r in web_view if r["method"] == "POST"]
    assert {r["path"] for r in posts} == {"/api/attempts/x/client-environment?a=1", "/upload",
                                          "/snapshot"}
    assert len(next(r for r in posts if r["path"] == "/snapshot")["body"]) > 300000
    assert next(r for r in posts if r["path"] == "/upload")["body"] == bytes([0, 1, 2, 255])
    # The engine's own requests (the favicon) are signed too.
    assert any(r["path"] == "/favicon.ico" for r in web_view)
    unsigned = [(r["path"], r["header"]) for r in web_view if not signed_correctly(r, port)]
    assert unsigned == []
    assert all(r["user_agent"].endswith(f"ExamHallClient/{VERSION}") for r in web_view)
    # The page tried another host (localhost): nothing signed ever left for it.
    assert not any("elsewhere" in r["path"] for r in requests)


@pytest.fixture
def forbidden_process(tmp_path: Any) -> Iterator[str]:
    """A harmless process under a name the test policy forbids (a copy of sleep)."""
    name = "examhall-fake-qq"
    binary = tmp_path / name
    shutil.copyfile("/bin/sleep", binary)
    binary.chmod(0o755)
    process = subprocess.Popen([str(binary), "120"])
    yield name
    process.kill()
    process.wait()


def test_a_forbidden_program_keeps_the_candidate_on_the_check_screen(
    recorder: Recorder, start_client: Any, forbidden_process: str
) -> None:
    recorder.policy["forbidden_processes"] = [{
        "id": "qq", "name": "QQ", "category": "chat", "advice": "请退出 QQ（包括托盘图标）",
        "match": {"linux": [forbidden_process]}}]
    with start_client(f"http://127.0.0.1:{recorder.server_port}", "demo",
                      name="client-check-fails") as client:
        shot = client.screenshots / "client-check.png"
        until = time.monotonic() + 40
        while not shot.exists() and time.monotonic() < until:
            time.sleep(0.2)
        time.sleep(3)  # "enter when passed" would have entered by now
    assert keep_screenshot(shot, "client-check-problem") is not None
    assert any(r["path"].startswith("/api/client/") for r in recorder.requests)
    assert not any(r["path"].startswith("/exam/") for r in recorder.requests)


PACKAGED = CLIENT_DIR / "dist" / "examhall-client" / "examhall-client"


def _packaged_is_current() -> bool:
    """A build exists and no source file of the client changed after it (CI builds it
    with `make client-dist` before `make test`)."""
    if not PACKAGED.exists():
        return False
    built = PACKAGED.stat().st_mtime
    sources = [*(CLIENT_DIR / "examhall_client").rglob("*.py"),
               *(CLIENT_DIR / "packaging").glob("*.spec")]
    return all(source.stat().st_mtime <= built for source in sources)


@pytest.mark.skipif(not _packaged_is_current(), reason="the client is not built, or was "
                    "built before its sources last changed (make client-dist)")
def test_the_packaged_client_signs_its_requests_and_opens_no_dev_tools(
    recorder: Recorder,
) -> None:
    port = recorder.server_port
    recorder.policy["entry_url"] = f"http://127.0.0.1:{port}/exam/demo/?media=1"
    debug_ports = [free_port(), free_port()]
    # A candidate's tampering: dev tools, and a "camera" playing a recorded video.
    video = live_face_y4m(ROOT / "var" / "media-fixtures" / "face-live.y4m")
    env = client_env(QTWEBENGINE_REMOTE_DEBUGGING=f"127.0.0.1:{debug_ports[0]}",
                     QTWEBENGINE_CHROMIUM_FLAGS=(
                         f"--remote-debugging-port={debug_ports[1]} --disable-gpu "
                         f"--use-fake-device-for-media-stream "
                         f"--use-file-for-fake-video-capture={video}"))
    log_path = LOGS / "client-packaged.log"
    LOGS.mkdir(parents=True, exist_ok=True)
    with log_path.open("wb") as log:
        process = subprocess.Popen(
            [str(PACKAGED), "run", "--server", f"http://127.0.0.1:{port}", "--exam", "demo",
             "--no-kiosk", "--enter-when-passed"],
            env=env, stdout=log, stderr=subprocess.STDOUT)
        try:
            until = time.monotonic() + 60
            while time.monotonic() < until and not any(
                    r["path"] == "/media-result" for r in list(recorder.requests)):
                time.sleep(0.3)
            open_ports = []
            for debug_port in debug_ports:
                try:
                    httpx.get(f"http://127.0.0.1:{debug_port}/json", timeout=2)
                    open_ports.append(debug_port)
                except httpx.HTTPError:
                    pass
        finally:
            process.terminate()
            process.wait(timeout=20)
    pages = [r for r in recorder.requests if r["path"] in {
        "/exam/demo/?media=1", "/favicon.ico", "/media-result"}]
    assert {r["path"] for r in pages} == {"/exam/demo/?media=1", "/favicon.ico",
                                          "/media-result"}, log_path.read_text()
    assert all(signed_correctly(r, port) for r in pages)
    assert open_ports == []
    # The recorded video did not become the camera (this machine has none).
    media = next(r for r in pages if r["path"] == "/media-result")["body"].decode()
    assert media.startswith("no-camera:"), media


@pytest.mark.parametrize("case", ["unreachable", "outdated"])
def test_the_client_says_when_the_server_is_unreachable_or_it_is_outdated(
    recorder: Recorder, start_client: Any, case: str
) -> None:
    if case == "unreachable":
        server = f"http://127.0.0.1:{free_port()}"  # nothing listens there
        screen = "client-error.png"
    else:
        recorder.policy["min_client_version"] = "9.0"
        server = f"http://127.0.0.1:{recorder.server_port}"
        screen = "client-outdated.png"
    with start_client(server, "demo", name=f"client-{case}") as client:
        shot = client.screenshots / screen
        until = time.monotonic() + 40
        while not shot.exists() and time.monotonic() < until:
            time.sleep(0.2)
        time.sleep(1)
        assert client.process.poll() is None  # still there, waiting for the candidate
    assert keep_screenshot(shot, f"client-{case}") is not None
    assert not any(r["path"].startswith("/exam/") for r in recorder.requests)


def test_the_kiosk_swallows_the_blocked_shortcuts_and_lets_typing_through(
    recorder: Recorder, client_interpreter: str
) -> None:
    done = subprocess.run(
        [client_interpreter, str(Path(__file__).parent / "scripts" / "keys.py"),
         f"http://127.0.0.1:{recorder.server_port}"],
        capture_output=True, text=True, env=client_env(), timeout=120, check=False)
    lines = [line for line in done.stdout.splitlines() if line.startswith("{")]
    assert lines, done.stderr[-2000:]
    seen = json.loads(lines[-1])
    assert seen["keys"] == ["a", "b"]
    assert seen["swallowed"] == 11
