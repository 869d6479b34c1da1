"""Steps the browser tests share: a candidate signing in and starting, waiting for an
answer to reach the database, and pairing a phone (a mobile-emulated context)."""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from typing import Any

from playwright.sync_api import BrowserContext, Page, expect

from examhall.candidates.models import Registration
from examhall.delivery.models import Answer


def sign_in_and_start(page: Page, server_url: str, registration: Registration,
                      id_number: str) -> None:
    """From the login page of the candidate's subject to the exam page."""
    sign_in(page, server_url, registration, id_number)
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


WAIT_SECONDS = 40  # what a step may take at most before the test gives up
PHONE_SIZE = {"width": 390, "height": 844}


def wait_until(check: Callable[[], Any], timeout: float = WAIT_SECONDS) -> Any:
    """Poll the database until ``check()`` is truthy; its last value is asserted."""
    until = time.monotonic() + timeout
    while time.monotonic() < until:
        value = check()
        if value:
            return value
        time.sleep(0.2)
    value = check()
    assert value, "the condition was not met in time"
    return value


def phone_context(browser: Any, *, locale: str = "en") -> BrowserContext:
    """A phone: 390×844 CSS pixels, touch, a mobile Chrome user agent (this Chromium's
    version, so the compatibility check judges the real engine)."""
    version = browser.version
    return browser.new_context(
        viewport=PHONE_SIZE, screen=PHONE_SIZE, device_scale_factor=2.625, is_mobile=True,
        has_touch=True, locale=locale,
        user_agent=(f"Mozilla/5.0 (Linux; Android 14; Pixel 7) AppleWebKit/537.36 "
                    f"(KHTML, like Gecko) Chrome/{version} Mobile Safari/537.36"))


def sign_in(page: Page, server_url: str, registration: Any, id_number: str) -> None:
    page.goto(f"{server_url}/exam/{registration.exam.code}/login/"
              f"?subject={registration.subject.code}")
    page.fill("#ticket_number", registration.ticket_number)
    page.fill("#id_number", id_number)
    page.click("#login-button")
    page.wait_for_url(re.compile(r"/attempt/check/$"))


def open_pairing_page(page: Page) -> str:
    """From the check list's "second camera" item to the pairing page; the QR's link."""
    item = page.locator('[data-check-name="second_camera"]')
    expect(item).to_have_attribute("data-passed", "false")
    item.locator("a.eh-check-action").click()
    page.wait_for_url(re.compile(r"/attempt/phone/$"))
    expect(page.locator("#qr-frame")).to_have_attribute("data-qr", "shown")
    expect(page.locator("#qr-box svg")).to_be_visible()
    link = page.locator("#phone-link").input_value()
    assert re.search(r"/m/[\w-]+/$", link), link
    return link


def phone_signs_in(phone: Page, link: str, registration: Any, id_number: str,
                   screenshot: Callable[..., Any] | None = None) -> None:
    phone.goto(link)
    expect(phone.locator("#phone-app")).to_have_attribute("data-step", "login")
    expect(phone.locator("#login-title")).to_have_text(registration.exam.name)
    if screenshot:
        screenshot(phone, "phone-1-sign-in")
    phone.fill("#ticket_number", registration.ticket_number)
    phone.fill("#id_number", id_number)
    phone.click("#login-button")
    expect(phone.locator("#phone-app")).to_have_attribute("data-step", "checks")
    # The code is used up: the address no longer carries it.
    phone.wait_for_url(re.compile(r"/m/$"))


def phone_checks_and_confirms(phone: Page) -> None:
    """On the signed-in phone: the four checks pass, the placement guide, confirm."""
    phone.wait_for_selector("#phone-app[data-checks-passed]", timeout=30_000)
    problems = phone.locator("#phone-checks [data-code]").all_inner_texts()
    assert phone.locator("#phone-app").get_attribute("data-checks-passed") == "true", problems
    phone.click("#to-placement")
    expect(phone.locator("#phone-app")).to_have_attribute("data-step", "place")
    phone.click("#confirm-button")
    expect(phone.locator("#phone-app")).to_have_attribute("data-step", "paired")
    expect(phone.locator("#phone-app")).to_have_attribute("data-connection", "connected")
