"""The whole candidate path in a real browser, growing with each issue.

Now: choose the subject (with confirmation), sign in, the checks (the device
check with a live fake camera and a tone on the fake microphone; identity
verification: the first capture becomes the reference; the phone as second
camera, paired through the QR code's link in a second, mobile-emulated browser
context), start (the PC and the phone send pictures), answer, lose the network,
answer three questions offline, come back, reload, every answer still there,
submit, score shown, the phone told the exam is over.
"""

from __future__ import annotations

import datetime as dt
import re

import pytest
from playwright.sync_api import expect

from examhall.core import clock
from examhall.delivery.models import Answer, Attempt
from examhall.devtools import factories
from examhall.identity.models import IdentityPolicy
from examhall.proctoring.models import MonitoringPolicy, Snapshot
from tests.browser.steps import (
    open_pairing_page,
    phone_checks_and_confirms,
    phone_context,
    phone_signs_in,
    sign_in_and_start,
    wait_until,
)

pytestmark = pytest.mark.django_db(transaction=True)


def _choose(page, question_number: int, option_key: str) -> None:
    page.locator("#palette [data-question-id]").nth(question_number - 1).click()
    question = page.locator("#question")
    question_id = question.get_attribute("data-question-id")
    page.locator(f'input[name="q-{question_id}"][value="{option_key}"]').check()


def test_candidate_signs_in_answers_offline_resumes_and_submits(
    live_browser, server_url, screenshot
):
    exam, subject, _session, _room, [(registration, id_number)] = factories.make_sitting(
        questions=6, required_checks=["device", "identity", "second_camera"]
    )
    IdentityPolicy.objects.create(exam=exam, mode="first_capture", liveness=False)
    MonitoringPolicy.objects.create(exam=exam, phone_interval_seconds=5, pc_interval_seconds=5)
    factories.make_subject(exam=exam, code="OTHER", specialty="碳资产管理", level="中级")
    context = live_browser.new_context(locale="zh-CN", viewport={"width": 1280, "height": 800})
    page = context.new_page()

    # Step 2: the subject list, with a confirmation naming the subject.
    page.goto(f"{server_url}/exam/{exam.code}/")
    expect(page.get_by_text(subject.display_name).first).to_be_visible()
    screenshot(page, "01-subjects")
    page.locator(f'[data-subject-code="{subject.code}"]').click()
    expect(page.locator(".modal.show")).to_contain_text(subject.display_name)
    page.locator("#confirm-subject").click()

    # Step 3: a wrong ID number first, then the right one.
    page.fill("#ticket_number", registration.ticket_number)
    page.fill("#id_number", factories.resident_id_number(997))
    page.click("#login-button")
    expect(page.locator("#login-error")).to_be_visible()
    expect(page.locator("#ticket_number")).to_have_value(registration.ticket_number)
    screenshot(page, "02-login-error")
    page.fill("#id_number", id_number)
    page.click("#login-button")

    # Step 4: the check page lists what this exam requires; start waits for it.
    page.wait_for_url(re.compile(r"/attempt/check/$"))
    device = page.locator('[data-check-name="device"]')
    identity = page.locator('[data-check-name="identity"]')
    expect(identity).to_have_attribute("data-passed", "false")
    expect(device).to_have_attribute("data-passed", "false")
    expect(page.locator("#start-button")).to_be_disabled()
    assert Attempt.objects.get(registration=registration).state == "device_check"
    screenshot(page, "03-checks")
    # The device check: browser, permissions, camera and microphone, display, network.
    device.locator("a.eh-check-action").click()
    page.wait_for_url(re.compile(r"/attempt/device/$"))
    page.wait_for_selector("#device-app[data-passed]", timeout=30_000)
    assert page.locator("#device-app").get_attribute("data-passed") == "true", (
        page.locator("#device-checks [data-code]").all_inner_texts())
    page.wait_for_function(  # the level meter moves with the fake microphone's tone
        "Number(document.getElementById('mic-meter').getAttribute('aria-valuenow')) > 0")
    screenshot(page, "03a-device-check")
    page.click("#back-button")
    page.wait_for_url(re.compile(r"/attempt/check/$"))
    expect(device).to_have_attribute("data-passed", "true")
    assert Attempt.objects.get(registration=registration).state == "identity_check"
    # Identity: the camera's face becomes the reference (first capture, reviewed later).
    identity.locator("a.eh-check-action").click()
    page.wait_for_url(re.compile(r"/attempt/identity/$"))
    expect(page.locator("#verify-button")).to_be_enabled(timeout=10_000)
    page.click("#verify-button")
    expect(page.locator("#result")).to_have_class(re.compile("alert-success"), timeout=30_000)
    screenshot(page, "03b-identity-verified")
    page.wait_for_url(re.compile(r"/attempt/check/$"), timeout=10_000)
    expect(identity).to_have_attribute("data-passed", "true")
    expect(page.locator("#start-button")).to_be_disabled()
    # Step 5: the phone as second camera, in a second (mobile-emulated) browser.
    link = open_pairing_page(page)
    screenshot(page, "03c-pairing-qr")
    phone_ctx = phone_context(live_browser, locale="zh-CN")
    phone = phone_ctx.new_page()
    phone_signs_in(phone, link, registration, id_number)
    phone_checks_and_confirms(phone)
    screenshot(phone, "03d-phone-paired")
    expect(page.locator("#pairing-app")).to_have_attribute("data-state", "confirmed")
    page.click("#back-button")
    page.wait_for_url(re.compile(r"/attempt/check/$"))
    expect(page.locator('[data-check-name="second_camera"]')).to_have_attribute(
        "data-passed", "true")
    expect(page.locator("#start-button")).to_be_enabled(timeout=10_000)
    screenshot(page, "03e-checks-passed")
    page.click("#start-button")

    # Step 7: the exam page.
    page.wait_for_url(re.compile(r"/attempt/$"))
    expect(page.locator("#time-left")).to_have_text(re.compile(r"\d{2}:\d{2}:\d{2}"))
    expect(page.locator("body")).to_contain_text(registration.ticket_number)  # watermark
    _choose(page, 1, "A")
    _choose(page, 2, "A")
    expect(page.locator("#pending-count")).to_have_attribute("data-count", "0")
    screenshot(page, "04-exam-online")
    # Step 6: both cameras send pictures.
    attempt = Attempt.objects.get(registration=registration)
    wait_until(lambda: {"pc", "phone"} <= set(
        Snapshot.objects.filter(attempt=attempt).values_list("camera", flat=True)))
    expect(phone.locator("#exam-state")).to_have_attribute("data-state", "in_progress")

    # The network drops: three answers are queued in the browser.
    context.set_offline(True)
    _choose(page, 3, "T")
    _choose(page, 4, "B")
    page.locator("#mark-toggle").click()
    _choose(page, 5, "C")
    expect(page.locator("#pending-count")).not_to_have_attribute("data-count", "0")
    expect(page.locator("#connection-status")).to_contain_text(re.compile("离线|offline", re.I))
    screenshot(page, "05-exam-offline")
    assert Answer.objects.filter(attempt__registration=registration).count() == 2

    # Back online: the queue drains in order.
    context.set_offline(False)
    expect(page.locator("#pending-count")).to_have_attribute("data-count", "0", timeout=15_000)
    assert Answer.objects.filter(attempt__registration=registration).count() == 5
    deadline_before = page.locator("#time-left").text_content()

    # Reload: every answer and the remaining time come back.
    page.reload()
    for number, key in [(1, "A"), (2, "A"), (3, "T"), (4, "B"), (5, "C")]:
        page.locator("#palette [data-question-id]").nth(number - 1).click()
        question_id = page.locator("#question").get_attribute("data-question-id")
        expect(page.locator(f'input[name="q-{question_id}"][value="{key}"]')).to_be_checked()
    assert page.locator("#time-left").text_content() <= deadline_before
    screenshot(page, "06-exam-after-reload")

    # Submit: the confirmation shows the unanswered count; the score is shown.
    page.click("#submit-button")
    expect(page.locator("#submit-modal")).to_be_visible()
    expect(page.locator("#unanswered-count")).to_have_text("1")
    page.wait_for_timeout(400)  # let the modal's fade-in finish for the screenshot
    screenshot(page, "07-submit-confirm")
    page.click("#confirm-submit")
    page.wait_for_url(re.compile(r"/attempt/done/$"))
    expect(page.locator("#score")).to_contain_text("/")
    screenshot(page, "08-done")
    # The phone hears that the exam is over, and says the candidate may close it.
    expect(phone.locator("#phone-message")).to_have_attribute("data-reason", "finished")
    screenshot(phone, "09-phone-exam-over")
    phone_ctx.close()
    context.close()


def test_phone_sized_entry_page_is_usable(browser, server_url, screenshot):
    exam, subject, *_rest = factories.make_sitting()
    context = browser.new_context(
        locale="zh-CN", viewport={"width": 390, "height": 844}, is_mobile=True, has_touch=True
    )
    page = context.new_page()
    page.goto(f"{server_url}/exam/{exam.code}/")
    expect(page.locator(f'[data-subject-code="{subject.code}"]')).to_be_visible()
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 390  # nothing overflows sideways
    screenshot(page, "mobile-subjects")
    context.close()


def test_language_switch_to_english(browser, server_url):
    exam, *_rest = factories.make_sitting()
    context = browser.new_context(locale="zh-CN")
    page = context.new_page()
    page.goto(f"{server_url}/exam/{exam.code}/")
    assert page.locator("html").get_attribute("lang") == "zh-hans"
    page.locator('button[name=language][value="en"]').click()
    expect(page.locator("html")).to_have_attribute("lang", "en")
    expect(page.locator('button[name=language][value="en"]')).to_have_attribute(
        "aria-current", "true"
    )
    context.close()


def test_at_time_up_the_page_submits_by_itself(browser, server_url, screenshot):
    _exam, _subject, _session, _room, [(registration, id_number)] = factories.make_sitting()
    context = browser.new_context(locale="zh-CN")
    page = context.new_page()
    sign_in_and_start(page, server_url, registration, id_number)
    _choose(page, 1, "A")
    expect(page.locator("#pending-count")).to_have_attribute("data-count", "0")

    # Only a few seconds remain (the server decides; the page re-reads it on reload).
    Attempt.objects.filter(registration=registration).update(
        deadline=clock.now() + dt.timedelta(seconds=4)
    )
    page.reload()
    page.wait_for_url(re.compile(r"/attempt/done/$"), timeout=30_000)
    screenshot(page, "09-time-up-done")

    attempt = Attempt.objects.get(registration=registration)
    assert attempt.state == "graded"
    assert attempt.submit_reason == "time_up"
    expect(page.locator("#score")).to_contain_text("2")
    context.close()
