"""Live video on demand (issue 6, ADR 0010) in real browsers: the candidate's exam page
(fake camera) and a proctor's viewer in another context of the same Chromium, on
localhost. The proctor's <video> receives frames from the candidate's PC camera (and
from the paired phone's), while the candidate's snapshots keep arriving and the exam
page is left undisturbed.

Chromium hides local addresses behind mDNS names, which do not resolve in a closed
sandbox: this module's browser is launched with
``--disable-features=WebRtcHideLocalIpsWithMdns`` (and loopback candidates allowed),
on top of the usual fake-media flags; the other browser tests are not affected.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

import pytest
from django.test import Client
from playwright.sync_api import Page, expect

from examhall.console.models import ProctorAction
from examhall.console.tests.staff import staff_user
from examhall.delivery.models import Attempt
from examhall.delivery.tests.helpers import CandidateClient
from examhall.devicecheck.tests.helpers import pass_device_check
from examhall.devtools import factories
from examhall.exams.models import Exam
from examhall.proctoring.models import Snapshot
from tests.browser.conftest import CHROMIUM, CHROMIUM_ARGS, MEDIA_FIXTURES
from tests.browser.media import live_face_y4m, tone_wav
from tests.browser.steps import (
    open_pairing_page,
    phone_checks_and_confirms,
    phone_context,
    phone_signs_in,
    sign_in,
    sign_in_and_start,
    wait_until,
)

pytestmark = pytest.mark.django_db(transaction=True)

WEBRTC_ARGS = ["--disable-features=WebRtcHideLocalIpsWithMdns",
               "--allow-loopback-in-peer-connection"]
VIDEO_PLAYING = "v => v.videoWidth > 0 && v.currentTime > 0"


@pytest.fixture
def webrtc_browser(browser: Any) -> Iterator[Any]:
    """Chromium with a live-looking fake camera whose ICE candidates are plain
    addresses (no mDNS names)."""
    video = live_face_y4m(MEDIA_FIXTURES / "face-live.y4m")
    audio = tone_wav(MEDIA_FIXTURES / "tone-440.wav")
    launched = browser.browser_type.launch(
        executable_path=str(CHROMIUM), headless=True,
        args=[*CHROMIUM_ARGS, *WEBRTC_ARGS, f"--use-file-for-fake-video-capture={video}",
              f"--use-file-for-fake-audio-capture={audio}"])
    yield launched
    launched.close()


def _session_cookie(user: Any, server_url: str) -> dict[str, str]:
    client = Client()
    client.force_login(user)
    return {"name": "sessionid", "value": client.cookies["sessionid"].value, "url": server_url}


def proctor_page(browser: Any, server_url: str, proctor: Any) -> Page:
    context = browser.new_context(locale="en", viewport={"width": 1280, "height": 860})
    context.add_cookies([_session_cookie(proctor, server_url)])
    return context.new_page()


def assert_video_advances(page: Page) -> dict[str, float]:
    """The viewer's video has a size and its time moves on (frames keep arriving)."""
    video = page.locator("#live-video")
    page.wait_for_function(f"({VIDEO_PLAYING})(document.getElementById('live-video'))",
                           timeout=30_000)
    first = video.evaluate("v => v.currentTime")
    page.wait_for_timeout(1500)
    later = video.evaluate("v => ({time: v.currentTime, width: v.videoWidth, "
                           "height: v.videoHeight})")
    assert later["width"] > 0 and later["height"] > 0
    assert later["time"] > first + 0.5, (first, later)
    return later


def test_a_proctor_watches_the_candidates_pc_camera_live(webrtc_browser, server_url,
                                                           screenshot):
    _exam, _subject, _session, room, [(registration, id_number)] = factories.make_sitting(
        questions=2, required_checks=["device"])
    client = CandidateClient(registration, id_number)
    assert client.login().status_code == 200
    pass_device_check(client)
    proctor = staff_user("proctor", rooms=(room,))

    # The candidate is in the exam, the PC camera on.
    candidate = webrtc_browser.new_context(locale="en", viewport={"width": 1280, "height": 800})
    exam_page = candidate.new_page()
    sign_in_and_start(exam_page, server_url, registration, id_number)
    expect(exam_page.locator("#monitor")).to_have_attribute("data-camera", "on", timeout=15_000)
    attempt = Attempt.objects.get(registration=registration)
    wait_until(lambda: Snapshot.objects.filter(attempt=attempt, camera="pc").exists())

    # The proctor opens the live video: frames arrive.
    viewer = proctor_page(webrtc_browser, server_url, proctor)
    viewer.goto(f"{server_url}/console/attempts/{attempt.pk}/live/pc/")
    expect(viewer.locator("#live-app")).to_have_attribute("data-state", "connected",
                                                          timeout=30_000)
    expect(viewer.locator("#live-app")).to_have_attribute("data-connection", "connected")
    size = assert_video_advances(viewer)
    expect(viewer.locator("#live-size")).to_have_text(
        f"{size['width']} × {size['height']} pixels")
    assert ProctorAction.objects.filter(attempt=attempt, kind=ProctorAction.Kind.LIVE_VIDEO,
                                        actor=proctor, details={"camera": "pc"}).count() == 1
    viewer.wait_for_timeout(1200)  # the "watching for" clock has ticked
    screenshot(viewer, "live-video-01-proctor-viewer")

    # Meanwhile the exam goes on undisturbed: snapshots keep arriving, the self-view
    # plays, no dialog; the candidate can still answer.
    since = time.monotonic()
    before = Snapshot.objects.filter(attempt=attempt, camera="pc").count()
    wait_until(lambda: Snapshot.objects.filter(attempt=attempt, camera="pc").count() > before)
    assert time.monotonic() - since < 40
    expect(viewer.locator("#live-app")).to_have_attribute("data-state", "connected")
    assert_video_advances(viewer)
    expect(exam_page.locator("#monitor")).to_have_attribute("data-camera", "on")
    assert exam_page.evaluate(
        "document.getElementById('monitor-video').srcObject.getVideoTracks()[0].readyState"
    ) == "live"
    assert exam_page.locator(".modal.show").count() == 0
    screenshot(exam_page, "live-video-02-candidate-undisturbed")

    # "Stop": the peer connection ends on both sides; the candidate's camera stays on.
    viewer.click("#live-stop")
    expect(viewer.locator("#live-app")).to_have_attribute("data-state", "stopped")
    expect(viewer.locator("#live-start")).to_be_visible()
    screenshot(viewer, "live-video-03-stopped")
    exam_page.wait_for_timeout(1000)
    assert exam_page.evaluate(
        "document.getElementById('monitor-video').srcObject.getVideoTracks()[0].readyState"
    ) == "live"
    expect(exam_page.locator("#monitor")).to_have_attribute("data-camera", "on")

    # "Watch again" works, and after the candidate reloads the exam page too.
    viewer.click("#live-start")
    expect(viewer.locator("#live-app")).to_have_attribute("data-state", "connected",
                                                          timeout=30_000)
    assert_video_advances(viewer)
    exam_page.reload()
    expect(exam_page.locator("#monitor")).to_have_attribute("data-camera", "on", timeout=15_000)
    expect(viewer.locator("#live-app")).to_have_attribute("data-state", "connected",
                                                          timeout=40_000)
    assert_video_advances(viewer)
    viewer.context.close()
    candidate.close()


def test_a_proctor_watches_the_phone_camera_live(webrtc_browser, server_url, screenshot):
    _exam, _subject, _session, room, [(registration, id_number)] = factories.make_sitting(
        questions=2, required_checks=[Exam.Check.SECOND_CAMERA])
    proctor = staff_user("proctor", rooms=(room,))
    pc = webrtc_browser.new_context(locale="en")
    pc_page = pc.new_page()
    sign_in(pc_page, server_url, registration, id_number)
    link = open_pairing_page(pc_page)
    phone = phone_context(webrtc_browser)
    phone_page = phone.new_page()
    phone_signs_in(phone_page, link, registration, id_number)
    phone_checks_and_confirms(phone_page)
    attempt = Attempt.objects.get(registration=registration)

    viewer = proctor_page(webrtc_browser, server_url, proctor)
    viewer.goto(f"{server_url}/console/attempts/{attempt.pk}/live/phone/")
    expect(viewer.locator("#live-app")).to_have_attribute("data-state", "connected",
                                                          timeout=30_000)
    assert_video_advances(viewer)
    expect(phone_page.locator("#phone-app")).to_have_attribute("data-step", "paired")
    screenshot(viewer, "live-video-04-phone-camera")
    assert ProctorAction.objects.filter(attempt=attempt, kind=ProctorAction.Kind.LIVE_VIDEO,
                                        details={"camera": "phone"}).exists()

    # The PC camera is not sending yet (the exam has not started): the viewer says so
    # calmly and keeps asking.
    viewer.click("text=PC camera")
    viewer.wait_for_url(f"**/console/attempts/{attempt.pk}/live/pc/")
    expect(viewer.locator("#live-app")).to_have_attribute("data-state", "retrying",
                                                          timeout=20_000)
    expect(viewer.locator("#live-status")).to_have_text("Trying again")
    expect(viewer.locator("#live-detail")).to_contain_text("does not answer")
    screenshot(viewer, "live-video-05-no-answer")
    viewer.context.close()
    phone.close()
    pc.close()
