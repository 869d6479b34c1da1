"""Steps the browser tests share: a candidate signing in and starting, and waiting
for an answer to reach the database."""

from __future__ import annotations

import re
import time

from playwright.sync_api import Page, expect

from examhall.candidates.models import Registration
from examhall.delivery.models import Answer


def sign_in_and_start(page: Page, server_url: str, registration: Registration,
                      id_number: str) -> None:
    """From the login page of the candidate's subject to the exam page."""
    page.goto(f"{server_url}/exam/{registration.exam.code}/login/"
              f"?subject={registration.subject.code}")
    page.fill("#ticket_number", registration.ticket_number)
    page.fill("#id_number", id_number)
    page.click("#login-button")
    page.wait_for_url(re.compile(r"/attempt/check/$"))
    expect(page.locator("#start-button")).to_be_enabled(timeout=10_000)
    page.click("#start-button")
    page.wait_for_url(re.compile(r"/attempt/$"))


def stored_value(registration: Registration, question_id: object) -> list[str] | None:
    answer = Answer.objects.filter(attempt__registration=registration,
                                   question_id=question_id).first()
    return None if answer is None else list(answer.value)


def wait_for_stored(registration: Registration, question_id: object, expected: list[str],
                    timeout: float = 10) -> None:
    until = time.monotonic() + timeout
    while time.monotonic() < until:
        if stored_value(registration, question_id) == expected:
            return
        time.sleep(0.1)
    assert stored_value(registration, question_id) == expected
