"""Monitoring on the PC exam page in a real browser (issue 5): the camera's
self-view, snapshots at the server's interval, the page's browser events, and
the camera warning when a camera is lost and when it is back.

Events produced for real: the focus (a second window brought to the front),
copy and paste (the keyboard in the essay box), the right-click menu (a right
click) and full screen (entered from a click, a user gesture). Dispatched with
`page.evaluate` because headless Chromium cannot produce them: the page hidden
and shown (headless never hides a page), `beforeprint` (no print dialog) and a
camera unplugged (the fake camera cannot be unplugged: its track is stopped and
`ended` dispatched, as the browser does when a camera goes away).
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import pytest
from playwright.sync_api import Page, expect

from examhall.core import clock
from examhall.delivery.models import Attempt
from examhall.delivery.tests.helpers import CandidateClient
from examhall.devicecheck.tests.helpers import pass_device_check
from examhall.devtools import factories
from examhall.itembank.models import PaperQuestion, Question
from examhall.proctoring.models import AudioClip, BrowserEvent, CameraPresence, Flag, Snapshot
from tests.browser.steps import sign_in_and_start, wait_until

pytestmark = pytest.mark.django_db(transaction=True)

SET_VISIBILITY = """state => {
    Object.defineProperty(document, 'visibilityState', {value: state, configurable: true});
    Object.defineProperty(document, 'hidden', {value: state === 'hidden', configurable: true});
    document.dispatchEvent(new Event('visibilitychange'));
}"""
def event_types(attempt: Attempt) -> set[str]:
    return set(BrowserEvent.objects.filter(attempt=attempt).values_list("type", flat=True))


def sitting_with_device_check() -> tuple[Any, Question, str]:
    """An exam that requires the device check, passed through the API (as the
    device-check page does); its paper ends with an essay to paste into."""
    _exam, subject, _session, _room, [(registration, id_number)] = factories.make_sitting(
        questions=2, required_checks=["device"])
    essay = Question.objects.create(subject=subject, kind="essay", score=Decimal("10"),
                                    stem="简述碳排放核算中“排放因子法”的基本原理。")
    PaperQuestion.objects.create(paper=subject.papers.get(), question=essay, position=3)
    client = CandidateClient(registration, id_number)
    assert client.login().status_code == 200
    pass_device_check(client)
    return registration, essay, id_number


def open_exam(live_browser: Any, server_url: str, registration: Any, id_number: str,
              **context_options: Any) -> tuple[Any, Page, Attempt]:
    context = live_browser.new_context(locale="zh-CN", **context_options)
    page = context.new_page()
    sign_in_and_start(page, server_url, registration, id_number)
    # The focus follows the window in front, as on a desktop (not Playwright's default,
    # which it sets again after each navigation).
    context.new_cdp_session(page).send("Emulation.setFocusEmulationEnabled", {"enabled": False})
    expect(page.locator("#monitor")).to_have_attribute("data-camera", "on", timeout=15_000)
    return context, page, Attempt.objects.get(registration=registration)


def test_exam_page_monitors_the_camera_and_reports_browser_events(
    live_browser, server_url, screenshot
):
    registration, essay, id_number = sitting_with_device_check()
    context, page, attempt = open_exam(live_browser, server_url, registration, id_number,
                                       viewport={"width": 1280, "height": 800})

    # The self-view: mirrored, in the corner, not over the question.
    self_view = page.locator("#monitor")
    expect(self_view).to_be_visible()
    transform = page.eval_on_selector("#monitor-video", "v => getComputedStyle(v).transform")
    assert transform == "matrix(-1, 0, 0, 1, 0, 0)"
    view_box = self_view.bounding_box()
    question_box = page.locator(".eh-question-area").bounding_box()
    assert view_box and question_box
    assert view_box["x"] >= question_box["x"] + question_box["width"]  # beside, not over

    # A PC snapshot arrives soon after the start, and the camera is seen.
    snapshot = wait_until(lambda: Snapshot.objects.filter(attempt=attempt, camera="pc").first())
    assert snapshot.width <= 640 and snapshot.size_bytes > 0
    assert CameraPresence.objects.filter(attempt=attempt, camera="pc").exists()
    expect(page.locator("#camera-warning")).to_be_hidden()
    screenshot(page, "monitoring-01-self-view-desktop")

    # Collapsed: the picture goes, the camera stays on.
    page.click("#monitor-toggle")
    expect(page.locator("#monitor-view")).to_be_hidden()
    expect(page.locator("#monitor-toggle")).to_have_attribute("aria-expanded", "false")
    expect(self_view).to_have_attribute("data-camera", "on")
    screenshot(page, "monitoring-02-self-view-collapsed")
    page.click("#monitor-toggle")
    expect(page.locator("#monitor-view")).to_be_visible()

    # Another window takes the focus (Playwright's focus emulation off, so that the
    # focus follows the window in front), then the exam page gets it back.
    other = context.new_page()
    other.bring_to_front()
    wait_until(lambda: "focus_lost" in event_types(attempt))
    page.bring_to_front()
    wait_until(lambda: "focus_regained" in event_types(attempt))
    other.close()
    # The page hidden and shown again: headless Chromium never hides a page, so
    # `visibilitychange` is dispatched with the state the browser would report.
    for state in ("hidden", "visible"):
        page.evaluate(SET_VISIBILITY, state)
    page.evaluate("delete document.visibilityState; delete document.hidden")
    wait_until(lambda: {"page_hidden", "page_visible"} <= event_types(attempt))
    wait_until(lambda: Snapshot.objects.filter(attempt=attempt, reason="event").exists())

    # Copy and paste in the essay box: reported, not blocked.
    page.locator(f'#palette [data-question-id="{essay.pk}"]').click()
    textarea = page.locator(f'textarea[name="q-{essay.pk}-text"]')
    textarea.click()
    textarea.press_sequentially("排放因子")
    textarea.press("Control+a")
    textarea.press("Control+c")
    textarea.press("End")
    textarea.press("Control+v")
    expect(textarea).to_have_value("排放因子排放因子")  # the paste went through
    wait_until(lambda: {"copy", "paste"} <= event_types(attempt))
    paste = BrowserEvent.objects.filter(attempt=attempt, type="paste").first()
    assert paste is not None and paste.details == {"in_text_field": True, "length": 4}
    assert paste.client_at is not None
    wait_until(lambda: Flag.objects.filter(attempt=attempt, type="clipboard_used").exists())

    # The right-click menu, and printing (beforeprint dispatched: no print dialog headless).
    page.click("#question-stem", button="right")
    page.evaluate("window.dispatchEvent(new Event('beforeprint'))")
    wait_until(lambda: {"context_menu", "print"} <= event_types(attempt))
    wait_until(lambda: Flag.objects.filter(attempt=attempt, type="print_attempted").exists())

    # Full screen: entered from a click (a user gesture), then left.
    page.evaluate("""() => {
        const button = document.createElement('button');
        button.id = 'test-fullscreen';
        button.textContent = 'full screen';
        button.addEventListener('click', () => document.documentElement.requestFullscreen());
        document.body.prepend(button);
    }""")
    page.click("#test-fullscreen")
    page.wait_for_function("document.fullscreenElement !== null")
    # Left only once the page has seen it entered: Chromium dispatches `fullscreenchange`
    # at the next animation frame, and an exit within the same frame coalesces both.
    wait_until(lambda: "fullscreen_entered" in event_types(attempt))
    page.evaluate("document.exitFullscreen()")
    wait_until(lambda: "fullscreen_left" in event_types(attempt))
    wait_until(lambda: Flag.objects.filter(attempt=attempt, type="fullscreen_left").exists())
    assert "screen_extended" not in event_types(attempt)  # one screen here

    # Offline: a cut waits on this computer (memory and localStorage) and is sent
    # once the network is back; answering is not held up meanwhile.
    stored = f"localStorage.getItem('examhall.monitor.events.{attempt.pk}') || ''"
    context.set_offline(True)
    textarea.press("Control+a")
    textarea.press("Control+x")
    page.wait_for_function(f"({stored}).includes('\"cut\"')")
    page.wait_for_timeout(1000)  # the page tries to send it, and fails
    assert "cut" in page.evaluate(stored)
    assert "cut" not in event_types(attempt)
    context.set_offline(False)
    wait_until(lambda: "cut" in event_types(attempt))
    page.wait_for_function(f"!({stored}).includes('\"cut\"')")

    # The fake microphone plays a loud tone: voice.js's VoiceMonitor reports it, the
    # page sends a voice_activity event and the clip (the server finds no speech in it).
    voice = wait_until(lambda: BrowserEvent.objects.filter(attempt=attempt,
                                                           type="voice_activity").first())
    assert set(voice.details) == {"level", "duration_ms"}
    assert voice.details["level"] > 0 and voice.details["duration_ms"] > 0
    wait_until(lambda: AudioClip.objects.filter(attempt=attempt).exists())

    # Nothing was left queued on the page.
    page.wait_for_function(f"({stored}) === ''")
    context.close()


def test_camera_warning_when_a_camera_is_lost_and_cleared_when_it_is_back(
    live_browser, server_url, screenshot
):
    registration, _essay, id_number = sitting_with_device_check()
    context, page, attempt = open_exam(live_browser, server_url, registration, id_number,
                                       viewport={"width": 1280, "height": 800})
    warning = page.locator("#camera-warning")
    expect(warning).to_have_attribute("data-camera-pc", "connected", timeout=20_000)
    expect(warning).to_be_hidden()

    # The PC camera goes away (unplugged): the page warns at once, with a retry button.
    page.evaluate("""() => {
        const track = document.getElementById('monitor-video').srcObject.getVideoTracks()[0];
        track.stop();
        track.dispatchEvent(new Event('ended'));
    }""")
    expect(warning).to_be_visible()
    expect(warning).to_have_attribute("role", "alert")
    expect(warning).to_have_attribute("data-camera-pc", "lost")
    expect(page.locator("#monitor")).to_have_attribute("data-camera", "lost")
    expect(page.locator("#camera-retry")).to_be_visible()
    screenshot(page, "monitoring-03-pc-camera-lost")

    # Started again: the server hears from the camera and the warning clears itself.
    seen_before = CameraPresence.objects.get(attempt=attempt, camera="pc").last_seen_at
    page.click("#camera-retry")
    expect(page.locator("#monitor")).to_have_attribute("data-camera", "on")
    expect(warning).to_have_attribute("data-camera-pc", "connected", timeout=20_000)
    expect(warning).to_be_hidden()
    wait_until(lambda: CameraPresence.objects.get(attempt=attempt, camera="pc").last_seen_at
               > seen_before)  # heartbeats again

    # The server says the phone camera is lost (silent for ten minutes): the PC warns.
    long_ago = clock.now() - dt.timedelta(minutes=10)
    CameraPresence.objects.create(attempt=attempt, camera="phone", first_seen_at=long_ago,
                                  last_seen_at=long_ago)
    expect(warning).to_have_attribute("data-camera-phone", "lost", timeout=20_000)
    expect(warning).to_be_visible()
    expect(warning.locator(".eh-camera-warning-text")).to_have_count(1)  # the phone's line
    expect(page.locator("#camera-retry")).to_be_hidden()  # nothing to retry on the PC
    screenshot(page, "monitoring-04-phone-camera-lost")

    # The same on a phone-width screen: a tiny self-view in the bar, the warning readable.
    page.set_viewport_size({"width": 390, "height": 844})
    expect(page.locator("#monitor")).to_be_visible()
    view_box = page.locator("#monitor").bounding_box()
    bar_box = page.locator(".eh-exam-bar-inner").bounding_box()
    assert view_box and bar_box and view_box["width"] <= 64
    assert bar_box["y"] <= view_box["y"] <= bar_box["y"] + bar_box["height"]  # in the bar
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    screenshot(page, "monitoring-05-phone-width-warning")
    page.set_viewport_size({"width": 820, "height": 1180})  # a tablet: still in the bar
    view_box = page.locator("#monitor").bounding_box()
    bar_box = page.locator(".eh-exam-bar-inner").bounding_box()
    assert view_box and bar_box and view_box["width"] <= 64
    assert bar_box["y"] <= view_box["y"] <= bar_box["y"] + bar_box["height"]
    screenshot(page, "monitoring-06-tablet-width-warning")
    page.set_viewport_size({"width": 1280, "height": 800})

    # The phone is back: the warning goes away by itself.
    CameraPresence.objects.filter(attempt=attempt, camera="phone").update(
        last_seen_at=clock.now())
    expect(warning).to_have_attribute("data-camera-phone", "connected", timeout=20_000)
    expect(warning).to_be_hidden()

    # Submitted: the camera is released and the page goes to the done page.
    page.click("#submit-button")
    page.click("#confirm-submit")
    page.wait_for_url("**/attempt/done/")
    expect(page.locator("#monitor")).to_have_count(0)
    context.close()


def test_an_exam_without_the_device_check_does_not_open_the_camera(browser, server_url):
    _exam, _subject, _session, _room, [(registration, id_number)] = factories.make_sitting(
        questions=2)
    context = browser.new_context(locale="zh-CN")
    page = context.new_page()
    sign_in_and_start(page, server_url, registration, id_number)
    expect(page.locator("#exam-app")).to_have_attribute("data-monitoring", "off")
    page.locator('#palette [data-question-id]').first.click()
    page.locator("#question-options input").first.check()
    expect(page.locator("#pending-count")).to_have_attribute("data-count", "0")
    expect(page.locator("#monitor")).to_have_count(0)
    assert not Snapshot.objects.filter(attempt__registration=registration).exists()
    context.close()
