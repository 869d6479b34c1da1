"""The proctor's path in a real browser, growing with each issue: the proctor's
console page and the candidate's pages side by side on the same server, then the
reviewer after the exam.

A candidate signs in and waits for admission; the proctor sees the tile turn to
"awaiting admission" and admits from it; the candidate starts. The proctor's message
appears on the candidate's screen as a dialog, and its acknowledgement on the
proctor's chat. Pause: the candidate's countdown stops and the server's deadline
moves by the pause. A covered camera raises a flag on the tile. The proctor submits
for the candidate: the exam page ends. The reviewer finds the flagged attempt first
in the queue and a "violation" voids it.
"""

from __future__ import annotations

import re
import time

import httpx
import pytest
from django.conf import settings
from django.contrib.auth.models import Permission
from playwright.sync_api import Page, expect

from examhall.console.models import Admission, Message, ProctorAction
from examhall.core import clock
from examhall.delivery.models import Attempt
from examhall.devtools import factories
from examhall.proctoring.models import Flag
from examhall.proctoring.services.flags import flag_raise
from examhall.proctoring.tests.helpers import black
from tests.browser.steps import sign_in, wait_until

pytestmark = pytest.mark.django_db(transaction=True)


def _staff_page(browser, server_url: str, username: str, next_url: str) -> tuple:
    context = browser.new_context(locale="en", viewport={"width": 1600, "height": 900})
    page = context.new_page()
    page.goto(f"{server_url}/admin/login/?next={next_url}")
    page.fill("#id_username", username)
    page.fill("#id_password", "pw")
    page.click("input[type=submit]")
    page.wait_for_url(re.compile(re.escape(next_url) + "$"))
    return context, page


def _tile(page: Page, attempt_id: object):
    return page.locator(f'.eh-tile[data-attempt-id="{attempt_id}"]')


def _tile_action(page: Page, attempt_id: object, action: str) -> None:
    tile = _tile(page, attempt_id)
    tile.locator(".eh-tile-menu").click()
    tile.locator(f'.eh-tile-actions [data-action="{action}"]').click()
    page.wait_for_function("""() => [...document.querySelectorAll('.modal.show')]
        .every(m => getComputedStyle(m).opacity === '1')""")


def _seconds(countdown: str) -> int:
    hours, minutes, seconds = (int(part) for part in countdown.split(":"))
    return hours * 3600 + minutes * 60 + seconds


def test_the_proctor_admits_messages_pauses_and_submits_and_the_reviewer_voids(
        browser, server_url, screenshot, django_user_model):
    _exam, _subject, _session, room, [(registration, id_number)] = factories.make_sitting(
        questions=3, required_checks=["admission"])
    proctor = django_user_model.objects.create_user("proctor-p", password="pw", is_staff=True)
    proctor.user_permissions.add(Permission.objects.get(codename="proctor_rooms"))
    room.proctors.add(proctor)
    reviewer = django_user_model.objects.create_user("reviewer-p", password="pw",
                                                     is_staff=True)
    reviewer.user_permissions.add(Permission.objects.get(codename="review_attempts"))
    room.proctors.add(reviewer)

    # The proctor opens the room: one candidate, not started.
    console_context, console = _staff_page(browser, server_url, "proctor-p",
                                           f"/console/rooms/{room.pk}/")
    expect(console.locator("#connection")).to_have_attribute("data-status", "live",
                                                             timeout=15_000)
    expect(console.locator(".eh-tile")).to_have_count(1)

    # The candidate signs in; every check but admission is done: they wait.
    candidate_context = browser.new_context(locale="en", viewport={"width": 1280,
                                                                   "height": 800})
    page = candidate_context.new_page()
    sign_in(page, server_url, registration, id_number)
    attempt = Attempt.objects.get(registration=registration)
    expect(page.locator('[data-check-name="admission"]')).to_have_attribute(
        "data-passed", "false")
    expect(page.locator("#start-button")).to_be_disabled()
    tile = _tile(console, attempt.pk)
    expect(tile).to_have_attribute("data-state", "awaiting_admission")
    _tile(console, attempt.pk).locator(".eh-tile-menu").click()
    tile.locator('.eh-tile-actions [data-action="admit"]').click()
    expect(tile).to_have_attribute("data-state", "ready")
    assert Admission.objects.get(attempt=attempt).decided_by == proctor
    # The candidate's page turns ready by itself; they start.
    expect(page.locator("#start-button")).to_be_enabled(timeout=15_000)
    page.click("#start-button")
    page.wait_for_url(re.compile(r"/attempt/$"))
    expect(tile).to_have_attribute("data-state", "in_progress")

    # A message: a dialog on the candidate's screen; the acknowledgement on the proctor's.
    _tile_action(console, attempt.pk, "message")
    console.fill("#chat-body", "Please show your desk to the phone camera.")
    console.click("#chat-send")
    sent = console.locator("#chat-thread .eh-chat-mine").last
    expect(sent.locator(".eh-chat-ack")).to_have_attribute("data-acknowledged", "false")
    dialog = page.locator("#proctor-message-modal")
    expect(dialog).to_be_visible()
    expect(dialog.locator("#proctor-message-body")).to_have_text(
        "Please show your desk to the phone camera.")
    page.wait_for_function("""() => getComputedStyle(
        document.getElementById('proctor-message-modal')).opacity === '1'""")
    screenshot(page, "proctor-path-01-candidate-message")
    page.click("#proctor-message-ack")
    expect(dialog).to_be_hidden()
    expect(sent.locator(".eh-chat-ack")).to_have_attribute("data-acknowledged", "true")
    assert Message.objects.get(attempt=attempt, sender="proctor").acknowledged_at is not None
    console.click("#chat-modal .btn-close")
    expect(console.locator("#chat-modal")).to_be_hidden()

    # Pause: the candidate's countdown stops; resume: the deadline moved by the pause.
    deadline_before = Attempt.objects.get(pk=attempt.pk).deadline
    _tile_action(console, attempt.pk, "pause")
    console.fill("#action-reason", "Checking the candidate's room")
    console.click("#action-confirm")
    expect(page.locator("#paused-overlay")).to_be_visible()
    expect(tile).to_have_attribute("data-state", "paused")
    frozen = page.locator("#time-left").inner_text()
    screenshot(page, "proctor-path-02-candidate-paused")
    screenshot(console, "proctor-path-03-console-paused")
    time.sleep(3)
    assert page.locator("#time-left").inner_text() == frozen
    _tile_action(console, attempt.pk, "resume")
    console.click("#action-confirm")
    expect(page.locator("#paused-overlay")).to_be_hidden()
    expect(tile).to_have_attribute("data-state", "in_progress")
    moved = (Attempt.objects.get(pk=attempt.pk).deadline - deadline_before).total_seconds()
    assert moved >= 3, moved
    expect(page.locator("#time-left")).not_to_have_text(frozen, timeout=5_000)
    assert abs(_seconds(page.locator("#time-left").inner_text()) - _seconds(frozen)) <= 3

    # A covered camera (sent with the candidate's own token): a flag on the tile.
    token = page.locator("#exam-app").get_attribute("data-token")
    response = httpx.post(f"{server_url}/api/attempts/{attempt.pk}/snapshots",
                          headers={"Authorization": f"Bearer {token}"},
                          files={"image": ("s.jpg", black(), "image/jpeg")},
                          data={"camera": "pc", "reason": "event"}, timeout=20)
    assert response.status_code == 202, response.text
    if settings.EXAMHALL_INPROCESS_SCHEDULER:  # analysed by the server's own worker
        wait_until(lambda: Flag.objects.filter(attempt=attempt,
                                               type="camera_covered").exists())
        expect(tile.locator(".eh-flag-high")).to_be_visible()
    else:  # services profile: no Celery worker runs beside this server; as one would
        flag_raise(attempt_id=attempt.pk, flag_type="camera_covered", at=clock.now(),
                   gap_seconds=60, camera="pc")

    # The proctor submits for the candidate: the exam page ends.
    _tile_action(console, attempt.pk, "force_submit")
    console.fill("#action-reason", "Camera covered twice after a warning")
    console.click("#action-confirm")
    page.wait_for_url(re.compile(r"/attempt/done/$"), timeout=20_000)
    expect(page.locator("#done-submitted")).to_be_visible()
    wait_until(lambda: Attempt.objects.get(pk=attempt.pk).state in ("submitted", "graded"))
    assert Attempt.objects.get(pk=attempt.pk).submit_reason == "proctor"
    kinds = set(ProctorAction.objects.filter(attempt=attempt).values_list("kind", flat=True))
    assert {"admit", "message", "pause", "resume", "force_submit"} <= kinds
    console_context.close()
    candidate_context.close()

    # After the exam: the reviewer finds the flagged attempt and a violation voids it
    # (a mock exam: no second reviewer needed).
    review_context, review = _staff_page(browser, server_url, "reviewer-p", "/review/")
    rows = review.locator("#review-queue tbody tr")
    expect(rows.first).to_have_attribute("data-attempt", str(attempt.pk))
    rows.first.get_by_role("link").click()
    review.check("#status-violation")
    review.fill("#decision-note", "Camera covered twice after the proctor's warning.")
    review.click("#decision-button")
    expect(review.locator("#attempt-state")).to_have_attribute("data-state", "voided")
    screenshot(review, "proctor-path-04-review-voided")
    assert Attempt.objects.get(pk=attempt.pk).state == "voided"
    review_context.close()
