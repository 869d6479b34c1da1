"""The phone as second camera in real browsers (issue 5): the PC's pairing page and a
phone page (a second Chromium context with mobile emulation and the fake camera)
pair through the QR code's link; the PC's check list turns green without a reload;
during the exam the phone sends pictures; a closed phone page is a lost camera the
PC warns about, and reopening the phone page clears the warning. A second phone
claiming a new code ends the first one, which says so.

The phone context is Chromium with a phone's screen, touch and user agent (Playwright's
"Pixel 7" descriptor, written out: the session's Playwright object is not a fixture).
"""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from examhall.core import clock
from examhall.delivery.models import Attempt
from examhall.delivery.tests.helpers import CandidateClient
from examhall.devicecheck.tests.helpers import pass_device_check
from examhall.devtools import factories
from examhall.proctoring import selectors, services
from examhall.proctoring.models import Camera, Flag, MonitoringPolicy, PhonePairing, Snapshot
from tests.browser.steps import (
    PHONE_SIZE,
    WAIT_SECONDS,
    open_pairing_page,
    phone_context,
    phone_signs_in,
    sign_in,
    wait_until,
)

pytestmark = pytest.mark.django_db(transaction=True)

def no_horizontal_scroll(page: Page) -> bool:
    return page.evaluate(
        "document.documentElement.scrollWidth <= document.documentElement.clientWidth")


def test_phone_pairs_sends_pictures_and_a_closed_phone_page_is_a_lost_camera(
    live_browser, server_url, screenshot
):
    exam, _subject, _session, _room, [(registration, id_number)] = factories.make_sitting(
        questions=2, required_checks=["device", "second_camera"])
    MonitoringPolicy.objects.create(exam=exam, grace_seconds=5, phone_interval_seconds=3)
    client = CandidateClient(registration, id_number)
    assert client.login().status_code == 200
    pass_device_check(client)  # the PC's own device check is another test's subject

    pc_context = live_browser.new_context(locale="en", viewport={"width": 1280, "height": 800})
    pc = pc_context.new_page()
    sign_in(pc, server_url, registration, id_number)
    expect(pc.locator("#start-button")).to_be_disabled()
    link = open_pairing_page(pc)
    expect(pc.locator("#qr-expiry")).to_contain_text(re.compile(r"\b(9|10):\d\d\b"))
    expect(pc.locator("#practice-note")).to_have_count(0)  # required by this exam
    screenshot(pc, "pairing-1-pc-qr")
    pc.evaluate("window.__notReloaded = true")
    # The page listens on the attempt's websocket: the phone's progress arrives pushed.
    expect(pc.locator("#pairing-app")).to_have_attribute("data-live", "ready")

    # The phone: the exam's name, ticket and ID number again, the four checks.
    phone_ctx = phone_context(live_browser)
    phone = phone_ctx.new_page()
    phone_signs_in(phone, link, registration, id_number, screenshot)
    expect(phone.locator("#phone-app")).to_have_attribute("data-live", "ready")
    expect(pc.locator('#pairing-status [data-step="connected"]')).to_have_attribute(
        "data-done", "true")
    phone.wait_for_selector("#phone-app[data-checks-passed]", timeout=30_000)
    problems = phone.locator("#phone-checks [data-code]").all_inner_texts()
    expect(phone.locator("#phone-app")).to_have_attribute("data-checks-passed", "true")
    assert not problems, problems
    for check in ("compatibility", "permission", "devices", "availability"):
        expect(phone.locator(f'#phone-checks [data-check="{check}"]')).to_have_attribute(
            "data-status", "passed")
    phone.wait_for_function("document.getElementById('preview').readyState >= 2")
    assert no_horizontal_scroll(phone)
    screenshot(phone, "phone-2-checks")
    expect(pc.locator('#pairing-status [data-step="checked"]')).to_have_attribute(
        "data-done", "true")

    # The placement guide, then "confirm".
    phone.click("#to-placement")
    expect(phone.locator("#phone-app")).to_have_attribute("data-step", "place")
    expect(phone.locator(".eh-place-drawing")).to_be_visible()
    expect(phone.locator('[data-slot="place"] video')).to_be_visible()
    assert no_horizontal_scroll(phone)
    screenshot(phone, "phone-3-placement")
    phone.set_viewport_size({"width": 360, "height": 740})  # a small phone
    assert no_horizontal_scroll(phone)
    phone.set_viewport_size(PHONE_SIZE)
    phone.click("#confirm-button")
    expect(phone.locator("#phone-app")).to_have_attribute("data-step", "paired")
    expect(phone.locator("#phone-app")).to_have_attribute("data-connection", "connected")
    expect(phone.locator("#exam-state")).to_have_attribute("data-monitoring", "false")
    expect(phone.locator("#wake-line")).not_to_have_attribute("data-wake", "pending")
    assert no_horizontal_scroll(phone)
    screenshot(phone, "phone-4-paired")
    # A network loss: the phone says so, then comes back by itself.
    phone_ctx.set_offline(True)
    expect(phone.locator("#phone-app")).to_have_attribute(
        "data-connection", re.compile(r"^(reconnecting|disconnected)$"))
    screenshot(phone, "phone-4b-reconnecting")
    phone_ctx.set_offline(False)
    expect(phone.locator("#phone-app")).to_have_attribute("data-connection", "connected",
                                                          timeout=WAIT_SECONDS * 1000)
    stored = phone.evaluate("JSON.parse(localStorage.getItem('examhall.phone.credential'))")
    pairing = PhonePairing.objects.get(attempt__registration=registration)
    assert stored["pairing_id"] == str(pairing.pk) and stored["credential"]

    # The PC: green without a reload, then the check list is green too.
    expect(pc.locator('#pairing-status [data-step="confirmed"]')).to_have_attribute(
        "data-done", "true")
    expect(pc.locator("#pairing-app")).to_have_attribute("data-state", "confirmed")
    assert pc.evaluate("window.__notReloaded === true")
    expect(pc.locator("#back-button")).to_be_visible()
    screenshot(pc, "pairing-2-pc-confirmed")
    pc.click("#back-button")
    pc.wait_for_url(re.compile(r"/attempt/check/$"))
    expect(pc.locator('[data-check-name="second_camera"]')).to_have_attribute(
        "data-passed", "true")
    expect(pc.locator("#start-button")).to_be_enabled()

    # The exam starts: the phone knows at once and sends pictures.
    pc.click("#start-button")
    pc.wait_for_url(re.compile(r"/attempt/$"))
    expect(phone.locator("#exam-state")).to_have_attribute("data-state", "in_progress")
    attempt = Attempt.objects.get(registration=registration)
    snapshot = wait_until(lambda: Snapshot.objects.filter(attempt=attempt,
                                                          camera=Camera.PHONE).first())
    assert 0 < snapshot.size_bytes <= 2 * 1024 * 1024 and snapshot.width <= 640
    expect(phone.locator("#last-snapshot")).not_to_have_attribute("data-count", "0")
    screenshot(phone, "phone-5-in-progress")

    # The phone page is closed: the camera is lost, the PC warns.
    phone.close()
    warning = pc.locator("#camera-warning")
    expect(warning).to_have_attribute("data-camera-phone", "lost", timeout=WAIT_SECONDS * 1000)
    expect(warning).to_be_visible()
    # A phone that cannot be revived can be replaced from here, mid-exam.
    expect(pc.locator("#camera-pair-phone")).to_have_attribute("href", "/attempt/phone/")
    phone_state = next(camera.state for camera in selectors.monitoring_status(
        attempt=attempt).cameras if camera.camera == Camera.PHONE)
    assert phone_state == "lost"
    # The periodic camera check (the in-process scheduler here; Celery beat, which
    # the service tests do not run, in production) raises the flag: run it as beat would.
    wait_until(lambda: services.cameras_check_lost() is not None and Flag.objects.filter(
        attempt=attempt, type="camera_lost", camera=Camera.PHONE).exists())
    screenshot(pc, "pairing-3-pc-phone-lost")

    # Reopened (the credential is stored): connected again, it says what happened,
    # and the PC's warning goes away.
    phone = phone_ctx.new_page()
    phone.goto(f"{server_url}/m/")
    expect(phone.locator("#phone-app")).to_have_attribute("data-step", "paired")
    expect(phone.locator("#phone-app")).to_have_attribute("data-connection", "connected")
    expect(phone.locator("#away-warning")).to_be_visible()
    expect(phone.locator("#exam-state")).to_have_attribute("data-state", "in_progress")
    screenshot(phone, "phone-6-back-after-loss")
    expect(warning).not_to_have_attribute("data-camera-phone", "lost",
                                          timeout=WAIT_SECONDS * 1000)
    expect(warning).to_be_hidden()
    phone_ctx.close()
    pc_context.close()


def test_a_second_phone_ends_the_first_which_says_so(live_browser, server_url, screenshot):
    _exam, _subject, _session, _room, [(registration, id_number)] = factories.make_sitting(
        questions=1, required_checks=["second_camera"])
    pc_context = live_browser.new_context(locale="en", viewport={"width": 1280, "height": 800})
    pc = pc_context.new_page()
    sign_in(pc, server_url, registration, id_number)
    first_link = open_pairing_page(pc)

    first_ctx = phone_context(live_browser)
    first = first_ctx.new_page()
    phone_signs_in(first, first_link, registration, id_number)
    expect(pc.locator("#pairing-app")).to_have_attribute("data-state", "connected")
    expect(pc.locator("#qr-frame")).to_have_attribute("data-qr", "paired")

    # The first code cannot be used twice.
    second_ctx = phone_context(live_browser)
    second = second_ctx.new_page()
    second.goto(first_link)
    expect(second.locator("#phone-message")).to_have_attribute("data-reason", "used")

    # A new code on the PC; the second phone claims it; the first one is told.
    pc.click("#new-qr")
    expect(pc.locator("#qr-frame")).to_have_attribute("data-qr", "shown")
    second_link = pc.locator("#phone-link").input_value()
    assert second_link and second_link != first_link
    phone_signs_in(second, second_link, registration, id_number)

    expect(first.locator("#phone-app")).to_have_attribute("data-step", "message")
    expect(first.locator("#phone-message")).to_have_attribute("data-reason", "replaced")
    expect(first.locator("#message-text")).to_contain_text("another phone was connected")
    assert first.evaluate("localStorage.getItem('examhall.phone.credential')") is None
    screenshot(first, "phone-7-replaced")
    expect(pc.locator("#pairing-app")).to_have_attribute("data-state", "connected")
    pairings = PhonePairing.objects.filter(attempt__registration=registration)
    assert sorted(p.end_reason for p in pairings) == ["", "replaced"]

    # Disconnected on the PC: the phone is told, the PC offers a new code.
    pc.once("dialog", lambda dialog: dialog.accept())
    pc.click("#unpair-button")
    expect(second.locator("#phone-message")).to_have_attribute("data-reason", "unpaired")
    expect(pc.locator("#pairing-app")).to_have_attribute("data-state", "ended")
    expect(pc.locator("#qr-frame")).to_have_attribute("data-qr", "ended")
    expect(pc.locator("#new-qr")).to_be_enabled()
    screenshot(pc, "pairing-4-pc-unpaired")

    # A code left too long, and a link that names no code: the phone says what to do.
    pc.click("#new-qr")
    expect(pc.locator("#qr-frame")).to_have_attribute("data-qr", "shown")
    late_link = pc.locator("#phone-link").input_value()
    PhonePairing.objects.filter(attempt__registration=registration,
                                claimed_at__isnull=True).update(expires_at=clock.now())
    late = second_ctx.new_page()
    late.goto(late_link)
    expect(late.locator("#phone-message")).to_have_attribute("data-reason", "expired")
    expect(late.locator("#login-form")).to_be_hidden()
    late.goto(f"{server_url}/m/not-a-code/")
    expect(late.locator("#phone-message")).to_have_attribute("data-reason", "unknown")
    late.goto(f"{server_url}/m/")  # no credential stored on this phone any more
    expect(late.locator("#phone-message")).to_have_attribute("data-reason", "scan")
    first_ctx.close()
    second_ctx.close()
    pc_context.close()
