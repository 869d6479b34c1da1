"""Identity verification in a real browser: Chromium's fake camera plays a y4m
made from a face photo, the page uploads frames, the server decides.

- The registered person (liveness off) passes and may start.
- Another person fails every try, lands in identity review, and a proctor's
  approval through the API lets them start.
- With liveness on, the same still photo fails the challenge with its message.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from decimal import Decimal

import pytest
from playwright.sync_api import Browser, Page, expect

from examhall.delivery.models import Attempt
from examhall.devtools import factories
from examhall.identity import services
from examhall.identity.models import IdentityCapture, IdentityCheck, IdentityPolicy
from examhall.identity.tests.frames import photo_bytes
from tests.browser.conftest import MEDIA_FIXTURES, launch_chromium
from tests.browser.media import face_y4m

pytestmark = pytest.mark.django_db(transaction=True)

LIVENESS_REASONS = {"no_motion", "incomplete_blink", "turn_too_small"}


@pytest.fixture
def obama_camera(browser: Browser) -> Iterator[Browser]:
    """A second Chromium whose camera shows another person than the enrolled one."""
    other = launch_chromium(browser.browser_type, video=face_y4m(
        MEDIA_FIXTURES / "obama.y4m", photo="faces/obama2.jpg"))
    yield other
    other.close()


def _sitting(*, liveness: bool, tries: int = 3):
    exam, _subject, _se, _r, [(registration, id_number)] = factories.make_sitting(
        questions=2, required_checks=["identity"])
    IdentityPolicy.objects.create(exam=exam, liveness=liveness, max_tries=tries,
                                  threshold=Decimal("0.5"))
    services.enrolment_photo_add(candidate_id=registration.candidate_id,
                                 data=photo_bytes("astronaut"))
    return registration, id_number


def _to_identity_page(page: Page, server_url: str, registration, id_number: str) -> None:
    page.goto(f"{server_url}/exam/{registration.exam.code}/login/"
              f"?subject={registration.subject.code}")
    page.fill("#ticket_number", registration.ticket_number)
    page.fill("#id_number", id_number)
    page.click("#login-button")
    page.wait_for_url(re.compile(r"/attempt/check/$"))
    item = page.locator('[data-check-name="identity"]')
    expect(item).to_have_attribute("data-passed", "false")
    expect(page.locator("#start-button")).to_be_disabled()
    item.locator("a.eh-check-action").click()
    page.wait_for_url(re.compile(r"/attempt/identity/$"))
    expect(page.locator("#verify-button")).to_be_enabled(timeout=10_000)


def test_the_registered_candidate_verifies_and_starts(browser, server_url, screenshot):
    registration, id_number = _sitting(liveness=False)
    context = browser.new_context(locale="zh-CN", viewport={"width": 1280, "height": 860})
    page = context.new_page()
    _to_identity_page(page, server_url, registration, id_number)
    expect(page.locator("#preview")).to_have_js_property("readyState", 4)
    screenshot(page, "identity-ready")

    page.click("#verify-button")
    expect(page.locator("#result")).to_have_class(re.compile("alert-success"), timeout=30_000)
    screenshot(page, "identity-passed")
    page.wait_for_url(re.compile(r"/attempt/check/$"), timeout=10_000)
    expect(page.locator('[data-check-name="identity"]')).to_have_attribute("data-passed", "true")
    expect(page.locator("#start-button")).to_be_enabled(timeout=10_000)
    page.click("#start-button")
    page.wait_for_url(re.compile(r"/attempt/$"))
    check = IdentityCheck.objects.get(attempt__registration=registration)
    assert check.status == "passed" and check.distance < 0.5
    assert check.captures.get().frames  # the frames kept as evidence
    context.close()


def test_another_person_lands_in_review_and_a_proctor_admits(obama_camera, browser, server_url,
                                                             screenshot, django_user_model):
    registration, id_number = _sitting(liveness=False, tries=2)
    context = obama_camera.new_context(locale="zh-CN", viewport={"width": 1280, "height": 860})
    page = context.new_page()
    _to_identity_page(page, server_url, registration, id_number)

    page.click("#verify-button")
    expect(page.locator("#result")).to_have_class(re.compile("alert-danger"), timeout=30_000)
    expect(page.locator("#result")).to_contain_text("照片")  # "does not match the photo"
    expect(page.locator("#tries-left")).to_contain_text("1")
    screenshot(page, "identity-no-match")
    expect(page.locator("#verify-button")).to_be_enabled()
    page.click("#verify-button")
    expect(page.locator("#result")).to_have_class(re.compile("alert-warning"), timeout=30_000)
    page.wait_for_url(re.compile(r"/attempt/check/$"), timeout=15_000)
    expect(page.locator('[data-check-name="identity"]')).to_contain_text("监考")
    screenshot(page, "identity-review-waiting")
    assert Attempt.objects.get(registration=registration).state == "identity_review"

    # A proctor approves through the API (a session with the permission).
    proctor = django_user_model.objects.create_user("proctor-b", password="pw-proctor-b",
                                                    is_staff=True)
    from django.contrib.auth.models import Permission

    proctor.user_permissions.add(Permission.objects.get(codename="review_identity"))
    registration.room.proctors.add(proctor)  # a proctor sees only their own rooms
    staff = browser.new_context(locale="zh-CN")
    staff_page = staff.new_page()
    staff_page.goto(f"{server_url}/admin/login/")
    staff_page.fill("#id_username", "proctor-b")
    staff_page.fill("#id_password", "pw-proctor-b")
    staff_page.click("input[type=submit]")
    staff_page.wait_for_url(re.compile(r"/admin/$"))
    csrf = next(c["value"] for c in staff.cookies() if c["name"] == "csrftoken")
    waiting = staff.request.get(f"{server_url}/api/proctor/identity-reviews").json()
    assert [row["ticket_number"] for row in waiting] == [registration.ticket_number]
    approved = staff.request.post(
        f"{server_url}/api/proctor/attempts/{waiting[0]['attempt_id']}/identity-review",
        data={"decision": "approve", "note": "核对证件后确认本人"},
        headers={"X-CSRFToken": csrf, "Referer": f"{server_url}/admin/"})
    assert approved.ok, approved.text()
    staff.close()

    # The check page notices on its own and lets the candidate start.
    expect(page.locator("#start-button")).to_be_enabled(timeout=15_000)
    page.click("#start-button")
    page.wait_for_url(re.compile(r"/attempt/$"))
    context.close()


def test_a_still_photo_fails_the_liveness_challenge(browser, server_url, screenshot):
    registration, id_number = _sitting(liveness=True)
    context = browser.new_context(locale="zh-CN", viewport={"width": 390, "height": 844},
                                  is_mobile=True, has_touch=True)
    page = context.new_page()
    _to_identity_page(page, server_url, registration, id_number)
    page.click("#verify-button")
    expect(page.locator("#challenge")).to_be_visible()
    expect(page.locator("#challenge-text")).not_to_be_empty()
    screenshot(page, "identity-challenge-phone")
    expect(page.locator("#result")).to_have_class(re.compile("alert-danger"), timeout=30_000)
    capture = IdentityCapture.objects.get(identity_check__attempt__registration=registration)
    assert capture.challenge in {"blink", "turn_left", "turn_right"}
    assert capture.reason in LIVENESS_REASONS
    expect(page.locator("#result")).not_to_be_empty()
    screenshot(page, "identity-liveness-failed-phone")
    context.close()
