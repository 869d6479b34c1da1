"""Helpers for delivery tests: sign in and call the candidate API like the page does."""

from __future__ import annotations

from typing import Any

from django.test import Client

from examhall.candidates.models import Registration


class CandidateClient:
    def __init__(self, registration: Registration, id_number: str) -> None:
        self.client = Client()
        self.registration = registration
        self.id_number = id_number
        self.token = ""
        self.attempt_id = ""
        self._seq = 0

    def login(self, **overrides: Any) -> Any:
        payload = {
            "subject_code": self.registration.subject.code,
            "ticket_number": self.registration.ticket_number,
            "id_number": self.id_number,
            **overrides,
        }
        response = self.client.post(
            f"/api/exams/{self.registration.exam.code}/login", payload,
            content_type="application/json",
        )
        if response.status_code == 200:
            self.token = response.json()["token"]
            self.attempt_id = response.json()["attempt_id"]
        return response

    def _auth(self) -> dict[str, str]:
        return {"HTTP_AUTHORIZATION": f"Bearer {self.token}"}

    def get(self, suffix: str = "", attempt_id: str | None = None) -> Any:
        return self.client.get(f"/api/attempts/{attempt_id or self.attempt_id}{suffix}",
                               **self._auth())

    def post(self, suffix: str, body: Any = None, attempt_id: str | None = None) -> Any:
        return self.client.post(
            f"/api/attempts/{attempt_id or self.attempt_id}{suffix}", body or {},
            content_type="application/json", **self._auth(),
        )

    def start(self) -> dict[str, Any]:
        response = self.post("/start")
        assert response.status_code == 200, response.content
        return response.json()

    def save(self, question_id: str, value: list[str], *, seq: int | None = None,
             marked: bool = False, client_saved_at: str | None = None) -> Any:
        if seq is None:
            self._seq += 1
            seq = self._seq
        save = {"question_id": question_id, "value": value, "seq": seq, "marked": marked}
        if client_saved_at:
            save["client_saved_at"] = client_saved_at
        return self.post("/answers", {"saves": [save]})
