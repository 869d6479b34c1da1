"""Lockdown tests: an exam whose policy requires the client, and a candidate whose
requests are signed like the exam client's (with the app's own signing function)."""

from __future__ import annotations

import json
from typing import Any

from django.test import Client

from examhall.candidates.models import Registration
from examhall.devtools import factories
from examhall.exams.models import Exam
from examhall.lockdown import signature
from examhall.lockdown.models import ClientPolicy

VERSION = "0.1.0"
HOST = "testserver"


def client_exam(*, requires_client: bool = True, required_checks: list[str] | None = None,
                **policy: Any) -> tuple[Exam, ClientPolicy | None, Registration, str]:
    """An open exam with one candidate; with a client policy unless ``requires_client``
    is None."""
    exam, _subject, _session, _room, people = factories.make_sitting(
        questions=2, required_checks=required_checks)
    client_policy = None
    if requires_client is not None:
        client_policy = ClientPolicy.objects.create(exam=exam, requires_client=requires_client,
                                                    **policy)
    registration, id_number = people[0]
    return exam, client_policy, registration, id_number


def sign_headers(key: str, method: str, path: str, body: bytes = b"", *, query: str = "",
                 version: str = VERSION, scheme: str = "http", host: str = HOST
                 ) -> dict[str, str]:
    url = signature.canonical_url(scheme=scheme, host=host, path=path, query=query)
    return {"HTTP_X_EXAMHALL_CLIENT": signature.header_value(
        key=key, version=version, method=method, url=url, body=body)}


class ExamClientUser:
    """A candidate in the exam client (``key`` given: every request signed) or in a plain
    browser (``key`` None)."""

    def __init__(self, registration: Registration, id_number: str, *, key: str | None,
                 version: str = VERSION) -> None:
        self.client = Client()
        self.registration = registration
        self.id_number = id_number
        self.key = key
        self.version = version
        self.token = ""
        self.attempt_id = ""

    def _signed(self, method: str, path: str, body: bytes = b"", query: str = ""
                ) -> dict[str, str]:
        if self.key is None:
            return {}
        return sign_headers(self.key, method, path, body, query=query, version=self.version)

    def get(self, path: str, *, query: str = "", auth: bool = True, **extra: Any) -> Any:
        headers = self._signed("GET", path, query=query)
        if auth and self.token:
            headers["HTTP_AUTHORIZATION"] = f"Bearer {self.token}"
        return self.client.get(f"{path}?{query}" if query else path, **headers, **extra)

    def post_json(self, path: str, data: Any = None, *, auth: bool = True,
                  **extra: Any) -> Any:
        body = json.dumps(data if data is not None else {})
        headers = self._signed("POST", path, body.encode())
        if auth and self.token:
            headers["HTTP_AUTHORIZATION"] = f"Bearer {self.token}"
        return self.client.post(path, body, content_type="application/json", **headers,
                                **extra)

    def login(self) -> Any:
        response = self.post_json(
            f"/api/exams/{self.registration.exam.code}/login",
            {"subject_code": self.registration.subject.code,
             "ticket_number": self.registration.ticket_number, "id_number": self.id_number},
            auth=False)
        if response.status_code == 200:
            self.token = response.json()["token"]
            self.attempt_id = response.json()["attempt_id"]
        return response

    def attempt_path(self, suffix: str = "") -> str:
        return f"/api/attempts/{self.attempt_id}{suffix}"

    def start(self) -> Any:
        response = self.post_json(self.attempt_path("/start"))
        assert response.status_code == 200, response.content
        return response.json()


def report(*, problems: list[dict[str, Any]] | None = None, **overrides: Any
           ) -> dict[str, Any]:
    """An environment report as the exam client sends it."""
    problems = problems or []
    body = {"schema": 1, "client_version": VERSION, "os": "linux",
            "checked_at": "2026-11-26T08:00:00Z",
            "passed": not any(problem["blocking"] for problem in problems),
            "problems": problems,
            "facts": {"forbidden_running": [p["subject"] for p in problems
                                            if p["code"] == "forbidden_process"],
                      "display_count": 1, "mirrored": False, "virtual_machine": False,
                      "vm_evidence": [], "remote_session": False, "battery_percent": None,
                      "charging": None}}
    body.update(overrides)
    return body


WECHAT = {"check": "processes", "code": "forbidden_process", "subject": "wechat",
          "title": "WeChat / 微信", "advice": "请退出微信（包括托盘图标）", "blocking": True}
SECOND_DISPLAY = {"check": "displays", "code": "too_many_displays", "subject": "",
                  "title": "2 displays", "advice": "Unplug the second display.",
                  "blocking": True}
