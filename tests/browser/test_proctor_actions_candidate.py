"""What a candidate sees and does when a proctor acts, in a real browser.

The candidate's page runs against the real server (uvicorn); the proctor acts through
the console API with a staff session on that server, so the server publishes the
events the candidate's page hears on its websocket — as in an exam.

- On the exam page: a message appears as a dialog that only "I have read this"
  closes (the acknowledgement is stored); several queue up; a broadcast is labelled;
  after a reload an unacknowledged message is shown again; a confirmation that
  could not be sent is sent when the browser is back online. "Ask the proctor" opens
  the chat; the proctor's answer arrives; a failure offline keeps the typed text.
  Pause: overlay, countdown frozen, answers refused; resume: the countdown continues
  and the server's deadline moved by the pause. More time: the countdown jumps and
  the page says so. Force submit: the done page says the proctor ended the exam.
- On a phone-width window: admission (wait, refusal with its reason, admitted),
  the chat and a message dialog; terminate takes the page to "voided".
"""

from __future__ import annotations

import datetime as dt
import re
import time
from typing import Any

import httpx
import pytest
from django.contrib.auth.models import Permission
from playwright.sync_api import Page, expect

from examhall.console.models import Message
from examhall.delivery.models import Attempt
from examhall.devtools import factories
from tests.browser.conftest import SCREENSHOTS
from tests.browser.steps import PHONE_SIZE, sign_in, sign_in_and_start, wait_until

pytestmark = pytest.mark.django_db(transaction=True)

DESKTOP = {"width": 1280, "height": 800}


class ConsoleApi:
    """A proctor signed in to the admin on the real server, calling /api/console/…"""

    def __init__(self, browser: Any, server_url: str, room: Any, django_user_model: Any) -> None:
        user = django_user_model.objects.create_user("proctor-c", password="pw-proctor-c",
                                                     is_staff=True)
        user.user_permissions.add(Permission.objects.get(codename="proctor_rooms"))
        room.proctors.add(user)
        self.server_url = server_url
        self.context = browser.new_context()
        page = self.context.new_page()
        page.goto(f"{server_url}/admin/login/")
        page.fill("#id_username", "proctor-c")
        page.fill("#id_password", "pw-proctor-c")
        page.click("input[type=submit]")
        page.wait_for_url(re.compile(r"/admin/$"))
        self.csrf = next(c["value"] for c in self.context.cookies() if c["name"] == "csrftoken")

    def post(self, path: str, data: dict[str, Any] | None = None) -> Any:
        response = self.context.request.post(
            f"{self.server_url}/api/console/{path}", data=data or {},
            headers={"X-CSRFToken": self.csrf, "Referer": f"{self.server_url}/admin/"})
        assert response.ok, response.text()
        return response.json()

    def close(self) -> None:
        self.context.close()


def _as_seconds(countdown: str) -> int:
    hours, minutes, seconds = (int(part) for part in countdown.split(":"))
    return hours * 3600 + minutes * 60 + seconds


def _seconds_left(page: Page) -> int:
    return _as_seconds(page.locator("#time-left").inner_text())


def _dialog_settled(page: Page) -> None:
    """The message dialog has finished fading in (for a screenshot)."""
    page.wait_for_function("""() => {
        const modal = document.getElementById('proctor-message-modal');
        return modal.classList.contains('show') && getComputedStyle(modal).opacity === '1';
    }""")
    page.wait_for_timeout(200)


def _wait_live(page: Page, app: str) -> None:
    expect(page.locator(app)).to_have_attribute("data-live", "ready", timeout=15_000)


def test_exam_page_messages_chat_pause_extend_and_force_submit(
        browser, server_url, screenshot, django_user_model):
    _exam, _subject, _session, room, [(registration, id_number)] = factories.make_sitting(
        questions=3)
    proctor = ConsoleApi(browser, server_url, room, django_user_model)
    context = browser.new_context(locale="en", viewport=DESKTOP)
    page = context.new_page()
    sign_in_and_start(page, server_url, registration, id_number)
    _wait_live(page, "#exam-app")
    expect(page.locator("#exam-body")).to_be_visible()
    attempt = Attempt.objects.get(registration=registration)
    attempt_path = f"attempts/{attempt.pk}"
    modal = page.locator("#proctor-message-modal")

    # A message: a dialog that only "I have read this" closes; the reading is recorded.
    sent = proctor.post(f"{attempt_path}/messages",
                        {"body": "Please keep your hands visible on the desk."})
    expect(modal).to_be_visible()
    expect(modal.locator("#proctor-message-body")).to_have_text(
        "Please keep your hands visible on the desk.")
    expect(modal.locator("#proctor-message-meta")).to_contain_text("To you")
    screenshot(page, "proctor-c-01-message-modal")
    page.keyboard.press("Escape")
    page.mouse.click(20, 780)  # outside the dialog
    expect(modal).to_be_visible()
    assert Message.objects.get(pk=sent["id"]).acknowledged_at is None
    page.click("#proctor-message-ack")
    expect(modal).to_be_hidden()
    wait_until(lambda: Message.objects.get(pk=sent["id"]).acknowledged_at)

    # A message while "Submit your exam?" is open: the dialog gives way, then comes back.
    submit_dialog = page.locator("#submit-modal")
    page.click("#submit-button")
    expect(submit_dialog).to_be_visible()
    proctor.post(f"{attempt_path}/messages", {"body": "One more thing."})
    expect(modal.locator("#proctor-message-body")).to_have_text("One more thing.")
    expect(submit_dialog).to_be_hidden()
    page.click("#proctor-message-ack")
    expect(modal).to_be_hidden()
    expect(submit_dialog).to_be_visible()
    page.click("#cancel-submit")
    expect(submit_dialog).to_be_hidden()

    # Two more, one of them to the whole room: they queue up, oldest first.
    proctor.post(f"{attempt_path}/messages", {"body": "First of two."})
    proctor.post(f"rooms/{room.pk}/broadcast", {"body": "Ten minutes until the break."})
    expect(modal.locator("#proctor-message-body")).to_have_text("First of two.")
    expect(modal.locator("#proctor-message-more")).to_have_text(
        "More messages after this one: 1")
    page.click("#proctor-message-ack")
    expect(modal.locator("#proctor-message-body")).to_have_text("Ten minutes until the break.")
    expect(modal).to_have_attribute("data-broadcast", "true")
    expect(modal.locator("#proctor-message-meta")).to_contain_text("To all candidates")
    expect(modal.locator("#proctor-message-more")).to_be_hidden()
    screenshot(page, "proctor-c-02-broadcast-modal")
    page.click("#proctor-message-ack")
    expect(modal).to_be_hidden()
    wait_until(lambda: not Message.objects.filter(attempt=attempt, sender="proctor",
                                                  acknowledged_at__isnull=True).exists())

    # Nothing is missed: a message not acknowledged comes back after a reload.
    proctor.post(f"{attempt_path}/messages", {"body": "Read this after your reload."})
    expect(modal).to_be_visible()
    page.reload()
    expect(modal.locator("#proctor-message-body")).to_have_text("Read this after your reload.")
    page.click("#proctor-message-ack")
    expect(modal).to_be_hidden()
    _wait_live(page, "#exam-app")

    # The confirmation fails: the message is put away all the same, and the
    # confirmation is sent once the connection is back.
    page.route("**/ack", lambda route: route.abort())
    lost = proctor.post(f"{attempt_path}/messages", {"body": "Confirm this offline."})
    expect(modal.locator("#proctor-message-body")).to_have_text("Confirm this offline.")
    page.click("#proctor-message-ack")
    expect(modal).to_be_hidden()
    assert Message.objects.get(pk=lost["id"]).acknowledged_at is None
    page.unroute("**/ack")
    context.set_offline(True)
    page.wait_for_timeout(300)
    context.set_offline(False)
    wait_until(lambda: Message.objects.get(pk=lost["id"]).acknowledged_at)
    expect(modal).to_be_hidden()

    # Ask the proctor: the chat panel, the candidate's message, the proctor's answer.
    panel = page.locator("#chat-panel")
    page.click("#ask-proctor-button")
    expect(panel).to_be_visible()
    page.fill("#chat-input", "May I have a glass of water?")
    page.click("#chat-send")
    expect(panel.locator('[data-sender="candidate"]').last).to_contain_text(
        "May I have a glass of water?")
    expect(page.locator("#chat-input")).to_have_value("")
    wait_until(lambda: Message.objects.filter(attempt=attempt, sender="candidate",
                                              body="May I have a glass of water?").exists())
    proctor.post(f"{attempt_path}/messages", {"body": "Yes, I am bringing one."})
    expect(modal).to_be_visible()
    page.click("#proctor-message-ack")
    expect(panel.locator('[data-sender="proctor"]').last).to_contain_text(
        "Yes, I am bringing one.")
    # The panel leaves the question and the timer visible.
    panel_box = panel.bounding_box()
    question_box = page.locator(".eh-question-area").bounding_box()
    timer_box = page.locator("#time-left").bounding_box()
    assert panel_box["x"] >= question_box["x"] + question_box["width"], (panel_box,
                                                                         question_box)
    assert panel_box["y"] >= timer_box["y"] + timer_box["height"]
    screenshot(page, "proctor-c-03-chat-desktop")

    # Offline: the failure in plain words, the typed text kept.
    context.set_offline(True)
    page.fill("#chat-input", "Is the network down?")
    page.click("#chat-send")
    expect(page.locator("#chat-error")).to_contain_text("no connection")
    expect(page.locator("#chat-input")).to_have_value("Is the network down?")
    context.set_offline(False)
    page.click("#chat-close")
    expect(panel).to_be_hidden()
    _wait_live(page, "#exam-app")

    # Pause: overlay, countdown frozen, answers refused by the server.
    before_pause = Attempt.objects.get(pk=attempt.pk).deadline
    proctor.post(f"{attempt_path}/pause", {"reason": "Noise in the room"})
    expect(page.locator("#paused-overlay")).to_be_visible()
    expect(page.locator("#paused-overlay")).to_contain_text(
        "Your time is stopped; your answers are kept.")
    expect(page.locator("#question-options input").first).to_be_disabled()
    frozen = page.locator("#time-left").inner_text()
    time.sleep(2.5)
    expect(page.locator("#time-left")).to_have_text(frozen)
    page.reload()  # a reload in the pause shows the same frozen time, not 2.5 s less
    expect(page.locator("#paused-overlay")).to_be_visible()
    expect(page.locator("#time-left")).not_to_have_text("--:--:--")
    assert abs(_seconds_left(page) - _as_seconds(frozen)) <= 1
    _wait_live(page, "#exam-app")
    token = page.locator("#exam-app").get_attribute("data-token")
    question_id = page.locator("#question").get_attribute("data-question-id")
    refused = httpx.post(f"{server_url}/api/{attempt_path}/answers",
                         headers={"Authorization": f"Bearer {token}"},
                         json={"saves": [{"question_id": question_id, "value": ["A"],
                                          "seq": 999, "marked": False}]})
    assert refused.status_code == 409, refused.text
    assert refused.json()["error"]["code"] == "attempt_paused"
    screenshot(page, "proctor-c-04-paused")
    page.click("#paused-overlay [data-chat-open]")  # the proctor can be asked while paused
    expect(panel).to_be_visible()
    page.click("#chat-close")
    expect(panel).to_be_hidden()

    # Resume: the countdown goes on from where it stopped; the deadline moved.
    proctor.post(f"{attempt_path}/resume")
    expect(page.locator("#paused-overlay")).to_be_hidden()
    expect(page.locator("#question-options input").first).to_be_enabled()
    after_resume = Attempt.objects.get(pk=attempt.pk).deadline
    assert after_resume - before_pause >= dt.timedelta(seconds=2.5)
    assert abs(_seconds_left(page) - _as_seconds(frozen)) <= 3
    shown = _seconds_left(page)
    time.sleep(2.2)
    assert _seconds_left(page) < shown  # counting down again

    # More time: the countdown jumps at once and the page says so.
    before = _seconds_left(page)
    proctor.post(f"{attempt_path}/extend", {"minutes": 5, "reason": "Power cut in the room"})
    expect(page.locator("#time-notice")).to_have_text("The proctor gave you 5 more minutes.")
    assert 295 <= _seconds_left(page) - before <= 301
    screenshot(page, "proctor-c-05-extended")

    # Force submit: the done page says the proctor ended the exam.
    proctor.post(f"{attempt_path}/submit", {"reason": "Left the room"})
    page.wait_for_url(re.compile(r"/attempt/done/$"))
    expect(page.locator("#ended-by-proctor")).to_be_visible()
    expect(page.locator("#done-submitted")).to_be_visible()
    screenshot(page, "proctor-c-06-done-ended-by-proctor")
    assert Attempt.objects.get(pk=attempt.pk).submit_reason == "proctor"
    context.close()
    proctor.close()


def test_phone_width_admission_chat_message_and_terminate(
        browser, server_url, screenshot, django_user_model):
    _exam, _subject, _session, room, [(registration, id_number)] = factories.make_sitting(
        questions=2, required_checks=["admission"])
    proctor = ConsoleApi(browser, server_url, room, django_user_model)
    context = browser.new_context(locale="en", viewport=PHONE_SIZE)
    page = context.new_page()
    sign_in(page, server_url, registration, id_number)
    _wait_live(page, "#check-app")
    admission = page.locator('[data-check-name="admission"]')
    expect(admission).to_have_attribute("data-passed", "false")
    expect(admission).to_contain_text("a proctor will admit you")
    expect(page.locator("#start-button")).to_be_disabled()
    attempt = Attempt.objects.get(registration=registration)
    attempt_path = f"attempts/{attempt.pk}"
    wait_until(lambda: Attempt.objects.get(pk=attempt.pk).state == "awaiting_admission")
    expect(page.locator("#check-status")).to_contain_text("Wait for the proctor to admit you")

    # Refused with a reason: the candidate reads it, still waiting.
    proctor.post(f"{attempt_path}/admission",
                 {"decision": "refuse", "reason": "Show your ID card to the camera"})
    expect(admission).to_contain_text("Show your ID card to the camera")
    expect(page.locator("#start-button")).to_be_disabled()
    screenshot(page, "proctor-c-07-admission-refused-phone")

    # The chat on a narrow window, before the exam has started.
    page.click("#ask-proctor-button")
    panel = page.locator("#chat-panel")
    expect(panel).to_be_visible()
    page.fill("#chat-input", "I am holding my ID card up now.")
    page.click("#chat-send")
    expect(panel.locator('[data-sender="candidate"]')).to_contain_text("holding my ID card")
    box = panel.bounding_box()
    assert box["x"] >= 0 and box["x"] + box["width"] <= PHONE_SIZE["width"]
    screenshot(page, "proctor-c-08-chat-phone")
    page.click("#chat-close")

    # A message on the check page, then admission: ready without a reload.
    proctor.post(f"{attempt_path}/messages", {"body": "Thank you. You are admitted now."})
    modal = page.locator("#proctor-message-modal")
    expect(modal).to_be_visible()
    page.screenshot(path=str(SCREENSHOTS / "proctor-c-09-message-phone.png"))
    page.click("#proctor-message-ack")
    expect(modal).to_be_hidden()
    proctor.post(f"{attempt_path}/admission", {"decision": "admit"})
    expect(admission).to_have_attribute("data-passed", "true")
    expect(page.locator("#start-button")).to_be_enabled()
    page.click("#start-button")
    page.wait_for_url(re.compile(r"/attempt/$"))
    _wait_live(page, "#exam-app")
    expect(page.locator("#exam-body")).to_be_visible()

    # The exam page at phone width: the chat button in the bar, the panel over the page.
    page.click("#ask-proctor-button")
    expect(panel).to_be_visible()
    expect(panel.locator('[data-sender="proctor"]')).to_contain_text("You are admitted now.")
    box = panel.bounding_box()
    assert box["x"] >= 0 and box["x"] + box["width"] <= PHONE_SIZE["width"]
    page.screenshot(path=str(SCREENSHOTS / "proctor-c-10-exam-chat-phone.png"))

    # Terminate: the page goes to the done page, which says the attempt was voided.
    proctor.post(f"{attempt_path}/terminate", {"reason": "A second person in the room"})
    page.wait_for_url(re.compile(r"/attempt/done/$"))
    expect(page.locator("#done-voided")).to_be_visible()
    screenshot(page, "proctor-c-11-voided-phone")
    context.close()
    proctor.close()


def test_second_browser_is_refused_until_the_proctor_allows_reentry(
        browser, server_url, screenshot, django_user_model):
    exam, _subject, _session, room, [(registration, id_number)] = factories.make_sitting(
        questions=2)
    exam.reentry_needs_approval = True
    exam.save(update_fields=["reentry_needs_approval"])
    proctor = ConsoleApi(browser, server_url, room, django_user_model)
    first = browser.new_context(locale="en", viewport=DESKTOP)
    first_page = first.new_page()
    sign_in_and_start(first_page, server_url, registration, id_number)
    attempt = Attempt.objects.get(registration=registration)

    # Another browser (the first one crashed): refused, in plain words.
    second = browser.new_context(locale="en", viewport=DESKTOP)
    page = second.new_page()
    page.goto(f"{server_url}/exam/{exam.code}/login/?subject={registration.subject.code}")
    page.fill("#ticket_number", registration.ticket_number)
    page.fill("#id_number", id_number)
    page.click("#login-button")
    expect(page.locator("#login-error")).to_be_visible()
    expect(page.locator("#login-error")).to_contain_text("Ask your proctor")
    screenshot(page, "proctor-c-12-reentry-refused")
    assert wait_until(lambda: Attempt.objects.get(pk=attempt.pk).reentry_requested_at)

    # The proctor allows it: the same sign-in now reaches the running exam.
    proctor.post(f"attempts/{attempt.pk}/reentry", {"reason": "Browser crashed"})
    page.click("#login-button")
    page.wait_for_url(re.compile(r"/attempt/$"))
    expect(page.locator("#exam-body")).to_be_visible()

    # One browser at a time: the first one's next save is refused and it says why.
    question_id = first_page.locator("#question").get_attribute("data-question-id")
    first_page.locator(f'input[name="q-{question_id}"]').first.check()
    expect(first_page.locator("#stopped-overlay")).to_be_visible()
    expect(first_page.locator("#stopped-message")).to_contain_text("another browser")
    screenshot(first_page, "proctor-c-13-replaced-browser-signed-out")
    first.close()
    second.close()
    proctor.close()
