"""The device check in a real browser: from the check page to the device page, the
preview and the level meter live, the server's verdicts shown, back, and start enabled.

The session's Chromium shows a still face photo, which the device check rightly calls
a frozen camera; this test starts its own Chromium (same flags) whose fake camera is
the same face swaying slightly, and whose fake microphone is the 440 Hz tone."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from examhall.devicecheck.models import DeviceCheckReport
from examhall.devtools import factories
from tests.browser.steps import sign_in

pytestmark = pytest.mark.django_db(transaction=True)

CHECKS = ("compatibility", "permission", "devices", "availability", "display", "network")


def _expect_device_check_passes(page: Page) -> None:
    page.wait_for_function("document.getElementById('preview').readyState >= 2")
    expect(page.locator("#preview-empty")).to_be_hidden()
    # The meter follows the tone (it moves, so it is read once it shows a level).
    page.wait_for_function(
        "Number(document.getElementById('mic-meter').getAttribute('aria-valuenow')) > 0")
    page.wait_for_selector("#device-app[data-passed]", timeout=30_000)
    problems = page.locator("#device-checks [data-code]").all_inner_texts()
    assert page.locator("#device-app").get_attribute("data-passed") == "true", problems
    for check in CHECKS:
        expect(page.locator(f'[data-check="{check}"]')).to_have_attribute("data-status",
                                                                           "passed")
    chosen = page.locator("#camera-select").input_value()
    assert chosen
    assert page.evaluate("localStorage.getItem('examhall.devicecheck.camera')") == chosen
    expect(page.locator("#back-button")).to_be_visible()


def test_candidate_runs_the_device_check_and_can_then_start(live_browser, server_url,
                                                            screenshot):
    _e, _s, _se, _r, [(registration, id_number)] = factories.make_sitting(
        required_checks=["device"])
    context = live_browser.new_context(locale="zh-CN", viewport={"width": 1280, "height": 800})
    page = context.new_page()
    sign_in(page, server_url, registration, id_number)

    # The check page: the device check is pending, start is disabled.
    device_item = page.locator('[data-check-name="device"]')
    expect(device_item).to_have_attribute("data-passed", "false")
    expect(page.locator("#start-button")).to_be_disabled()
    device_item.locator("a.eh-check-action").click()
    page.wait_for_url(re.compile(r"/attempt/device/$"))

    _expect_device_check_passes(page)
    screenshot(page, "device-check-desktop")

    report = DeviceCheckReport.objects.get(attempt__registration=registration)
    assert report.passed is True
    assert report.measurements["camera"]["width"] >= 640
    assert report.measurements["camera"]["height"] >= 480
    assert report.measurements["microphone"]["peak_level"] > 0.01
    assert report.measurements["permissions"] == {"camera": "granted",
                                                  "microphone": "granted"}
    assert report.measurements["network"]["down_mbps"] > 0

    # A phone-sized window: the same page, checked again, stacked in one column.
    page.set_viewport_size({"width": 390, "height": 844})
    page.click("#again-button")
    expect(page.locator("#device-app")).not_to_have_attribute("data-passed", "true")
    _expect_device_check_passes(page)
    screenshot(page, "device-check-phone")
    page.set_viewport_size({"width": 1280, "height": 800})

    page.click("#back-button")
    page.wait_for_url(re.compile(r"/attempt/check/$"))
    expect(device_item).to_have_attribute("data-passed", "true", timeout=10_000)
    expect(page.locator("#start-button")).to_be_enabled(timeout=10_000)
    context.close()


def test_a_still_picture_is_a_frozen_camera_and_start_stays_disabled(browser, server_url,
                                                                     screenshot):
    # The session's Chromium: its fake camera repeats one photo, its microphone a tone.
    _e, _s, _se, _r, [(registration, id_number)] = factories.make_sitting(
        required_checks=["device"])
    context = browser.new_context(locale="en", viewport={"width": 1280, "height": 800})
    page = context.new_page()
    sign_in(page, server_url, registration, id_number)
    page.locator('[data-check-name="device"] a.eh-check-action').click()
    page.wait_for_url(re.compile(r"/attempt/device/$"))

    page.wait_for_selector("#device-app[data-passed]", timeout=30_000)

    expect(page.locator("#device-app")).to_have_attribute("data-passed", "false")
    availability = page.locator('[data-check="availability"]')
    expect(availability).to_have_attribute("data-status", "failed")
    expect(availability.locator('[data-code="camera_frozen"]')).to_be_visible()
    expect(page.locator('[data-check="permission"]')).to_have_attribute("data-status",
                                                                        "passed")
    expect(page.locator("#back-button")).to_be_hidden()
    screenshot(page, "device-check-frozen")
    page.wait_for_function(  # the microphone works even though the camera is frozen
        "Number(document.getElementById('mic-meter').getAttribute('aria-valuenow')) > 0")

    page.click("#back-link")
    page.wait_for_url(re.compile(r"/attempt/check/$"))
    expect(page.locator('[data-check-name="device"]')).to_have_attribute("data-passed",
                                                                         "false")
    expect(page.locator("#start-button")).to_be_disabled()
    context.close()
