"""Phone pairing in tests: a QR code asked for by the PC and claimed by a "phone"
(a second Django test client holding the phone credential)."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlparse

from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from examhall.delivery.tests.helpers import CandidateClient

GOOD_PHONE_CHECKS: dict[str, Any] = {
    "browser": {"name": "chrome", "version": "126.0.6478.71"},
    "features": {"getusermedia": True, "websocket": True, "wakelock": True},
    "permissions": {"camera": "granted"},
    "devices": {"camera_count": 2, "camera_label": "camera2 1, facing front"},
    # Portrait, as a phone standing upright gives it.
    "camera": {"width": 480, "height": 640, "brightness": 121.0, "frame_difference": 2.3},
}


class Phone:
    def __init__(self, user_agent: str = "Mozilla/5.0 (Linux; Android 14; Pixel 7) "
                 "AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0 Mobile Safari/537.36"
                 ) -> None:
        # English answers, so that tests can read the messages.
        self.client = Client(HTTP_USER_AGENT=user_agent, HTTP_ACCEPT_LANGUAGE="en")
        self.credential = ""

    def _auth(self) -> dict[str, str]:
        return {"HTTP_AUTHORIZATION": f"Bearer {self.credential}"}

    def pair(self, token: str, ticket_number: str, id_number: str) -> Any:
        response = self.client.post("/api/phone/pair", {
            "token": token, "ticket_number": ticket_number, "id_number": id_number},
            content_type="application/json")
        if response.status_code == 200:
            self.credential = response.json()["credential"]
        return response

    def get(self, path: str) -> Any:
        return self.client.get(f"/api/phone/{path}", **self._auth())

    def post(self, path: str, body: Any = None) -> Any:
        return self.client.post(f"/api/phone/{path}", body or {},
                                content_type="application/json", **self._auth())

    def snapshot(self, data: bytes) -> Any:
        return self.client.post("/api/phone/snapshots", data={
            "image": SimpleUploadedFile("p.jpg", data, content_type="image/jpeg"),
            "reason": "interval"}, **self._auth())


def new_qr(pc: CandidateClient) -> dict[str, Any]:
    response = pc.post("/phone-pairing")
    assert response.status_code == 201, response.content
    return response.json()


def token_of(qr: dict[str, Any]) -> str:
    return urlparse(qr["url"]).path.rstrip("/").rsplit("/", 1)[-1]


def paired_phone(pc: CandidateClient, *, confirm: bool = True) -> Phone:
    phone = Phone()
    response = phone.pair(token_of(new_qr(pc)), pc.registration.ticket_number, pc.id_number)
    assert response.status_code == 200, response.content
    if confirm:
        assert phone.post("checks", GOOD_PHONE_CHECKS).json()["passed"]
        assert phone.post("confirm").status_code == 200
    return phone
