"""Test data: a policy in the contract's JSON shape (issue 7)."""

from __future__ import annotations

import copy
import json
import socket
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from examhall_client.policy import ClientPolicy

KEY = "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8"  # bytes 0..31

POLICY: dict[str, Any] = {
    "schema": 1,
    "exam": {"code": "dual-carbon-2026", "name": "双碳知识竞赛", "kind": "formal"},
    "requires_client": True,
    "client_key": KEY,
    "min_client_version": "0.1.0",
    "entry_url": "http://127.0.0.1:8000/exam/dual-carbon-2026/",
    "origin": "http://127.0.0.1:8000",
    "recheck_interval_seconds": 30,
    "forbidden_processes": [
        {"id": "wechat", "name": "WeChat / 微信", "category": "chat",
         "advice": "请退出微信（包括托盘图标）",
         "match": {"windows": ["WeChat.exe", "Weixin.exe"], "macos": ["WeChat"],
                   "linux": ["wechat"]}},
        {"id": "qq", "name": "QQ", "category": "chat", "advice": "请退出 QQ",
         "match": {"windows": ["QQ.exe"], "macos": ["QQ"], "linux": ["qq", "linuxqq"]}},
        {"id": "zoom", "name": "Zoom", "category": "screen_sharing", "advice": "请退出 Zoom",
         "match": {"windows": ["Zoom.exe"], "macos": ["zoom.us"], "linux": ["zoom"]}},
        {"id": "todesk", "name": "ToDesk", "category": "remote_control",
         "advice": "请退出 ToDesk", "match": {"windows": ["ToDesk.exe"]}},
    ],
    "allowed_processes": [],
    "displays": {"max_displays": 1, "allow_mirrored": False},
    "virtual_machine": "refuse",
    "remote_session": "refuse",
    "battery": {"min_percent": 20},
    "download_url": "http://127.0.0.1:8000/help/client/",
}


def policy_data(**changes: Any) -> dict[str, Any]:
    """The policy JSON with top-level keys replaced."""
    data = copy.deepcopy(POLICY)
    data.update(changes)
    return data


def make_policy(language: str = "en", **changes: Any) -> ClientPolicy:
    return ClientPolicy.from_dict(policy_data(**changes), language=language)



class PolicyServer:
    """A tiny HTTP server in a thread: ``routes`` maps a path to (status, body); other paths
    are a 404 in the server's JSON shape. Requests' headers are kept in ``seen``."""

    def __init__(self, routes: dict[str, tuple[int, bytes]] | None = None) -> None:
        self.routes: dict[str, tuple[int, bytes]] = dict(routes or {})
        self.seen: list[tuple[str, dict[str, str]]] = []
        server = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                server.seen.append((self.path, dict(self.headers)))
                status, body = server.routes.get(
                    self.path,
                    (404, json.dumps({"code": "not_found", "message": "no such exam"}).encode()),
                )
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.httpd.server_address[1]}"

    def serve_policy(self, code: str, data: dict[str, Any]) -> None:
        self.routes[f"/api/client/exams/{code}/policy"] = (200, json.dumps(data).encode())

    def __enter__(self) -> PolicyServer:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()
        self.thread.join(5)


def unused_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]
