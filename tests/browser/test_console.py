"""The proctor's side of the console in a real browser (issue 6): the room view's
tiles updating live, the alert feed, admission, a message and its acknowledgement,
a raised hand, pause, a bulk action, a network blip, and the candidate detail's
timeline with a flag confirmed.

The server is uvicorn with its own in-memory channel layer, so everything that must
reach the proctor's websocket is done through HTTP on that server: the candidates
use the candidate API with their attempt token (snapshots, checks, raised hand,
acknowledgement), the proctor the console page itself. Setup before the page opens
is done in the test process.
"""

from __future__ import annotations

import re
from typing import Any

import httpx
import pytest
from django.conf import settings
from django.contrib.auth.models import Permission
from playwright.sync_api import Page, expect

from examhall.console import services
from examhall.console.models import Admission, Message
from examhall.delivery.models import Attempt
from examhall.delivery.tests.helpers import CandidateClient
from examhall.devtools import factories
from examhall.identity.tests.frames import frame
from examhall.proctoring.models import Flag, Snapshot
from examhall.proctoring.tests.helpers import black
from tests.browser.steps import wait_until

pytestmark = pytest.mark.django_db(transaction=True)

FULL_HD = {"width": 1920, "height": 1080}
NAMES = ["刘洋", "王芳", "陈静", "李娜", "张伟", "赵磊", "孙丽", "周杰"]


class Candidate:
    """A candidate acting on the real server with the attempt token."""

    def __init__(self, server_url: str, client: CandidateClient) -> None:
        self.server_url = server_url
        self.client = client

    @property
    def attempt_id(self) -> str:
        return self.client.attempt_id

    def _post(self, suffix: str, **kwargs: Any) -> Any:
        response = httpx.post(f"{self.server_url}/api/attempts/{self.attempt_id}{suffix}",
                              headers={"Authorization": f"Bearer {self.client.token}"},
                              timeout=20, **kwargs)
        assert response.status_code < 300, response.text
        return response.json() if response.content else None

    def snapshot(self, data: bytes, camera: str = "pc") -> None:
        self._post("/snapshots", files={"image": ("snapshot.jpg", data, "image/jpeg")},
                   data={"camera": camera, "reason": "interval"})

    def refresh_checks(self) -> None:
        self._post("/checks", json={})

    def raise_hand(self, body: str) -> None:
        self._post("/messages", json={"body": body})

    def acknowledge(self, message_id: str) -> None:
        self._post(f"/messages/{message_id}/ack", json={})


def a_proctor_of(room: Any, django_user_model: Any) -> Any:
    """The proctor "proctor-t" (password "pw-proctor-t"), assigned to ``room``."""
    proctor = django_user_model.objects.create_user("proctor-t", password="pw-proctor-t",
                                                    is_staff=True)
    proctor.user_permissions.add(Permission.objects.get(codename="proctor_rooms"))
    room.proctors.add(proctor)
    return proctor


def a_room_of_eight(django_user_model: Any) -> tuple[Any, list[CandidateClient], Any]:
    """An exam that needs a proctor's admission; eight candidates: five admitted and
    in the exam, one signed in (still checking), two not signed in yet."""
    _exam, _subject, _session, room, people = factories.make_sitting(
        questions=2, candidates=len(NAMES), required_checks=["admission"])
    proctor = a_proctor_of(room, django_user_model)
    clients = []
    for index, ((registration, id_number), name) in enumerate(zip(people, NAMES, strict=True)):
        registration.candidate.name = name
        registration.candidate.save()
        client = CandidateClient(registration, id_number)
        if index < 6:
            assert client.login().status_code == 200
        if index in (0, 2, 3, 4, 5):
            client.post("/checks")
            services.admission_decide(actor=proctor, attempt_id=client.attempt_id, admit=True)
            client.start()
        clients.append(client)
    return room, clients, proctor


def proctor_page(browser: Any, server_url: str) -> tuple[Any, Page]:
    context = browser.new_context(locale="en", viewport=FULL_HD)
    page = context.new_page()
    page.goto(f"{server_url}/admin/login/")
    page.fill("#id_username", "proctor-t")
    page.fill("#id_password", "pw-proctor-t")
    page.click("input[type=submit]")
    page.wait_for_url(re.compile(r"/admin/$"))
    return context, page


def tile(page: Page, attempt_id: str) -> Any:
    return page.locator(f'.eh-tile[data-attempt-id="{attempt_id}"]')


def tile_action(page: Page, attempt_id: str, action: str) -> None:
    card = tile(page, attempt_id)
    card.locator(".eh-tile-menu").click()
    card.locator(f'.eh-tile-actions [data-action="{action}"]').click()


def settled(page: Page, selector: str) -> None:
    """A Bootstrap modal has finished fading in."""
    page.wait_for_function("""selector => {
        const modal = document.querySelector(selector);
        return modal.classList.contains('show') && getComputedStyle(modal).opacity === '1';
    }""", arg=selector)


def test_the_room_view_follows_the_room_live_and_the_proctor_acts_from_it(
        browser, server_url, screenshot, django_user_model):
    room, clients, _proctor = a_room_of_eight(django_user_model)
    first, waiting, third, fourth = (Candidate(server_url, clients[i]) for i in (0, 1, 2, 3))
    context, page = proctor_page(browser, server_url)
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))

    # The room list leads to the room.
    page.goto(f"{server_url}/console/")
    screenshot(page, "console-00-rooms")
    page.click(f'#console-rooms [data-room-id="{room.pk}"] a')
    page.wait_for_url(re.compile(rf"/console/rooms/{room.pk}/$"))
    expect(page.locator("#console-room")).to_have_attribute("data-loaded", "true")
    expect(page.locator("#connection")).to_have_attribute("data-status", "live", timeout=15_000)
    expect(page.locator(".eh-tile")).to_have_count(8)
    expect(tile(page, first.attempt_id)).to_have_attribute("data-state", "in_progress")
    clock = tile(page, first.attempt_id).locator(".eh-time")
    expect(clock).to_have_text(re.compile(r"^\d\d:\d\d$"))
    expect(page.locator('.eh-tile[data-state="registered"]')).to_have_count(3)

    # A picture uploaded by the candidate appears on the tile, and the camera is connected.
    first.snapshot(frame("obama"))
    picture = wait_until(lambda: Snapshot.objects.filter(attempt_id=first.attempt_id).first())
    pc = tile(page, first.attempt_id).locator('[data-camera="pc"]')
    expect(pc).to_have_attribute("data-snapshot", str(picture.pk))
    expect(pc.locator("img")).to_have_attribute("src", f"/console/snapshots/{picture.pk}/")
    expect(pc).to_have_attribute("data-connection", "connected")
    assert page.eval_on_selector(
        f'.eh-tile[data-attempt-id="{first.attempt_id}"] [data-camera="pc"] img',
        "img => img.complete && img.naturalWidth > 0") or page.wait_for_function(
        f"""() => document.querySelector('.eh-tile[data-attempt-id="{first.attempt_id}"] '
            + '[data-camera="pc"] img').naturalWidth > 0""")

    # A covered camera: the server's analysis raises a flag; tile and feed show it,
    # and the most severe tile moves to the front.
    first.snapshot(black())
    wait_until(lambda: Flag.objects.filter(attempt_id=first.attempt_id,
                                           type="camera_covered").exists())
    expect(tile(page, first.attempt_id).locator(".eh-flag-high")).to_be_visible()
    expect(tile(page, first.attempt_id)).to_have_attribute("data-severity", "3")
    expect(page.locator("#alert-feed .eh-alert-danger").first).to_contain_text(NAMES[0])
    expect(page.locator(".eh-tile").first).to_have_attribute("data-attempt-id", first.attempt_id)

    # Admission: the waiting candidate's checks are done; the proctor admits from the tile.
    waiting.refresh_checks()
    expect(tile(page, waiting.attempt_id)).to_have_attribute("data-state", "awaiting_admission")
    expect(page.locator("#alert-feed .eh-alert-info").first).to_contain_text(NAMES[1])
    tile(page, waiting.attempt_id).locator(".eh-tile-menu").click()
    menu = tile(page, waiting.attempt_id).locator(".eh-tile-actions")
    expect(menu.locator('[data-action="refuse"]')).to_be_visible()
    expect(menu.locator('[data-action="pause"]')).to_have_count(0)
    screenshot(page, "console-00-menu")
    menu.locator('[data-action="admit"]').click()
    expect(tile(page, waiting.attempt_id)).to_have_attribute("data-state", "ready")
    assert Admission.objects.get(attempt_id=waiting.attempt_id).decision == "admitted"

    # A message: the chat shows it unread until the candidate acknowledges it.
    tile_action(page, first.attempt_id, "message")
    settled(page, "#chat-modal")
    page.fill("#chat-body", "Please uncover your camera.")
    page.click("#chat-send")
    sent = page.locator("#chat-thread .eh-chat-mine").last
    expect(sent).to_contain_text("Please uncover your camera.")
    expect(sent.locator(".eh-chat-ack")).to_have_attribute("data-acknowledged", "false")
    message = wait_until(lambda: Message.objects.filter(attempt_id=first.attempt_id,
                                                        sender="proctor").first())
    first.acknowledge(str(message.pk))
    expect(sent.locator(".eh-chat-ack")).to_have_attribute("data-acknowledged", "true")
    expect(page.locator("#alert-feed .eh-alert-success").first).to_contain_text(NAMES[0])
    # The candidate answers (a raised hand): it appears in the open chat.
    first.raise_hand("The lens cap fell on it, sorry.")
    expect(page.locator("#chat-thread .eh-chat-theirs").last).to_contain_text("lens cap")
    screenshot(page, "console-02-chat")
    page.click("#chat-modal .btn-close")
    expect(page.locator("#chat-modal")).to_be_hidden()

    # Another candidate raises a hand: the tile and the feed say so.
    third.raise_hand("May I have scratch paper?")
    expect(tile(page, third.attempt_id).locator(".eh-hand")).to_be_visible()
    expect(page.locator("#alert-feed .eh-alert-primary").first).to_contain_text("scratch paper")

    # Pause: the dialog insists on a reason; then the tile shows the paused clock.
    tile_action(page, first.attempt_id, "pause")
    settled(page, "#action-modal")
    page.click("#action-confirm")
    expect(page.locator("#action-error")).to_be_visible()
    page.fill("#action-reason", "Camera covered; checking the room")
    page.click("#action-confirm")
    expect(page.locator("#action-modal")).to_be_hidden()
    expect(tile(page, first.attempt_id)).to_have_attribute("data-state", "paused")
    expect(tile(page, first.attempt_id).locator(".eh-time")).to_have_attribute(
        "data-paused", "true")
    wait_until(lambda: Attempt.objects.get(pk=first.attempt_id).state == "paused")
    page.wait_for_timeout(2000)  # the re-read after a pause brings the server's pause time
    frozen = tile(page, first.attempt_id).locator(".eh-time").inner_text()
    page.wait_for_timeout(2200)
    assert tile(page, first.attempt_id).locator(".eh-time").inner_text() == frozen

    # Bulk: two tiles selected, five more minutes each, an outcome per tile.
    deadlines = {c.attempt_id: Attempt.objects.get(pk=c.attempt_id).deadline
                 for c in (third, fourth)}
    for candidate in (third, fourth):
        tile(page, candidate.attempt_id).locator(".eh-tile-select").check()
    expect(page.locator("#bulk-bar")).to_be_visible()
    page.select_option("#bulk-action", "extend")
    page.click("#bulk-apply")
    settled(page, "#action-modal")
    page.fill("#action-minutes", "5")
    page.fill("#action-reason", "Late start of the room")
    page.click("#action-confirm")
    for candidate in (third, fourth):
        expect(tile(page, candidate.attempt_id).locator(".eh-outcome")).to_have_attribute(
            "data-ok", "true")
    for attempt_id, deadline in deadlines.items():
        moved = Attempt.objects.get(pk=attempt_id).deadline - deadline
        assert moved.total_seconds() == 300
    page.click("#bulk-clear")
    expect(page.locator("#bulk-bar")).to_be_hidden()

    # A network blip: the socket reconnects and the page catches up over HTTP.
    page.evaluate("window.examhallConsole.socket.simulateDrop()")
    expect(page.locator("#connection")).not_to_have_attribute("data-status", "live")
    fourth.snapshot(frame("obama2"))
    expect(page.locator("#connection")).to_have_attribute("data-status", "live", timeout=15_000)
    latest = wait_until(lambda: Snapshot.objects.filter(attempt_id=fourth.attempt_id).first())
    expect(tile(page, fourth.attempt_id).locator('[data-camera="pc"]')).to_have_attribute(
        "data-snapshot", str(latest.pk))

    # Filters: "hand raised" keeps the two candidates who wrote and got no answer since.
    page.check("#filter-hand")
    expect(page.locator(".eh-tile:visible")).to_have_count(2)
    shown = {page.locator(".eh-tile:visible").nth(i).get_attribute("data-attempt-id")
             for i in range(2)}
    assert shown == {first.attempt_id, third.attempt_id}
    page.uncheck("#filter-hand")
    expect(page.locator(".eh-tile:visible")).to_have_count(8)
    page.mouse.move(0, 0)
    page.wait_for_timeout(300)
    screenshot(page, "console-01-room")
    page.set_viewport_size({"width": 1366, "height": 768})
    page.wait_for_timeout(300)
    screenshot(page, "console-04-room-laptop")

    # The candidate detail: one timeline; the flag confirmed with a note.
    page.goto(f"{server_url}/console/attempts/{first.attempt_id}/")
    expect(page.locator("#detail-state")).to_have_class(re.compile("eh-state-paused"))
    expect(page.locator("#timeline [data-kind='snapshots']").first).to_be_visible()
    expect(page.locator("#timeline [data-kind='flag']").first).to_be_visible()
    expect(page.locator("#timeline [data-kind='action']").first).to_be_visible()
    expect(page.locator("#timeline [data-kind='message']").first).to_be_visible()
    flag = Flag.objects.get(attempt_id=first.attempt_id, type="camera_covered")
    item = page.locator(f'[data-flag-id="{flag.pk}"]')
    item.locator("input[name=note]").fill("Seen on the live picture")
    item.locator("button[value=confirm]").click()
    expect(item).to_have_attribute("data-status", "confirmed")
    assert Flag.objects.get(pk=flag.pk).status == "confirmed"
    page.wait_for_timeout(1000)
    expect(page.locator("#new-evidence")).to_be_hidden()  # the page's own action
    screenshot(page, "console-03-detail")
    # The candidate writes: the page says new evidence arrived.
    first.raise_hand("Can I continue now?")
    expect(page.locator("#new-evidence")).to_be_visible()

    assert not errors, errors
    context.close()


def test_a_room_of_fifty_fits_a_full_hd_screen_seven_or_eight_tiles_a_row(
        browser, server_url, screenshot, django_user_model):
    exam, subject, session, room, _people = factories.make_sitting(questions=1, candidates=1)
    for n in range(49):
        factories.make_registration(exam=exam, subject=subject, session=session, room=room,
                                    name=NAMES[n % len(NAMES)])
    a_proctor_of(room, django_user_model)
    context, page = proctor_page(browser, server_url)
    page.goto(f"{server_url}/console/rooms/{room.pk}/")
    expect(page.locator(".eh-tile")).to_have_count(50)
    tops = page.eval_on_selector_all(".eh-tile", "tiles => tiles.map(t => t.offsetTop)")
    per_row = tops.count(tops[0])
    assert 6 <= per_row <= 8, per_row
    page.fill("#filter-search", "T")
    expect(page.locator(".eh-tile:visible")).to_have_count(50)
    page.select_option("#filter-state", "in_exam")
    expect(page.locator(".eh-tile:visible")).to_have_count(0)
    expect(page.locator("#tiles-empty")).to_be_visible()
    page.select_option("#filter-state", "")
    page.fill("#filter-search", "")
    screenshot(page, "console-05-fifty")
    context.close()


def test_the_proctor_reviews_an_identity_from_the_tile(
        browser, server_url, screenshot, django_user_model):
    from examhall.identity.models import IdentityPolicy
    from examhall.identity.tests.helpers import identity_try

    exam, _subject, _session, room, [(registration, id_number)] = factories.make_sitting(
        questions=1, required_checks=["identity"])
    IdentityPolicy.objects.create(exam=exam, mode="enrolled", max_tries=1, liveness=False)
    client = CandidateClient(registration, id_number)
    assert client.login().status_code == 200
    assert identity_try(client, [frame("obama")]).status_code == 200
    assert client.post("/checks").json()["state"] == "identity_review"  # no enrolled photo
    proctor = a_proctor_of(room, django_user_model)
    proctor.user_permissions.add(Permission.objects.get(codename="review_identity"))
    context, page = proctor_page(browser, server_url)
    page.goto(f"{server_url}/console/rooms/{room.pk}/")
    expect(tile(page, client.attempt_id)).to_have_attribute("data-state", "identity_review")
    # What already waits is in the alert feed on first paint; a click finds the tile.
    seeded = page.locator("#alert-feed .eh-alert-info").first
    expect(seeded).to_contain_text(registration.candidate.name)
    seeded.locator(".eh-alert-text").click()
    expect(tile(page, client.attempt_id)).to_have_class(re.compile("eh-tile-highlight"))

    tile_action(page, client.attempt_id, "identity")
    settled(page, "#identity-modal")
    # The captured frames, loaded through the checked staff view (no media URL).
    expect(page.locator("#identity-frames img").first).to_be_attached()
    page.wait_for_function("""() => {
      const frames = [...document.querySelectorAll('#identity-frames img')];
      return frames.length > 0 && frames.every((img) => img.complete && img.naturalWidth > 0);
    }""")
    expect(page.locator("#identity-frames .eh-snapshot-missing")).to_have_count(0)
    expect(page.locator("#identity-reference")).not_to_be_empty()
    expect(page.locator("#identity-approve")).to_be_enabled()
    page.click("#identity-reject")  # a rejection needs a note
    expect(page.locator("#identity-error")).to_be_visible()
    page.fill("#identity-note", "Matches the ID card shown to the camera")
    screenshot(page, "console-06-identity")
    page.click("#identity-approve")
    expect(page.locator("#identity-modal")).to_be_hidden()
    expect(tile(page, client.attempt_id)).to_have_attribute("data-state", "ready")
    assert Attempt.objects.get(pk=client.attempt_id).state == "ready"
    context.close()


def test_a_camera_that_goes_silent_turns_lost_on_the_tile_and_in_the_feed(
        browser, server_url, django_user_model):
    from examhall.proctoring.models import MonitoringPolicy

    exam, _subject, _session, room, [(registration, id_number)] = factories.make_sitting(
        questions=1)
    MonitoringPolicy.objects.create(exam=exam, grace_seconds=4)
    client = CandidateClient(registration, id_number)
    assert client.login().status_code == 200
    client.start()
    candidate = Candidate(server_url, client)
    a_proctor_of(room, django_user_model)
    context, page = proctor_page(browser, server_url)
    page.goto(f"{server_url}/console/rooms/{room.pk}/")
    pc = tile(page, client.attempt_id).locator('[data-camera="pc"]')
    expect(pc).to_have_attribute("data-connection", "never")

    candidate.snapshot(frame("obama"))
    expect(pc).to_have_attribute("data-connection", "connected")
    # Nothing more arrives: past the grace period the camera is lost.
    expect(pc).to_have_attribute("data-connection", "lost", timeout=15_000)
    warnings = page.locator("#alert-feed .eh-alert-warning").filter(
        has_text=registration.candidate.name)
    expect(warnings).to_have_count(1)
    # The server's "camera lost" flag follows (its check runs every 15 s): counted on
    # the tile, but the feed keeps the one alert of this loss.
    if settings.EXAMHALL_INPROCESS_SCHEDULER:
        wait_until(lambda: Flag.objects.filter(attempt_id=client.attempt_id,
                                               type="camera_lost").exists(), timeout=40)
        expect(tile(page, client.attempt_id).locator(".eh-flag-medium")).to_be_visible()
        expect(warnings).to_have_count(1)
    context.close()


def test_the_exam_clients_findings_and_their_clearing_reach_the_feed(
        browser, server_url, django_user_model):
    from examhall.lockdown.models import ClientPolicy
    from examhall.lockdown.tests.helpers import WECHAT, report

    exam, _subject, _session, room, [(registration, id_number)] = factories.make_sitting(
        questions=1)
    ClientPolicy.objects.create(exam=exam, requires_client=False)  # a mock exam
    client = CandidateClient(registration, id_number)
    assert client.login().status_code == 200
    client.start()
    a_proctor_of(room, django_user_model)
    context, page = proctor_page(browser, server_url)
    page.goto(f"{server_url}/console/rooms/{room.pk}/")
    expect(page.locator("#connection")).to_have_attribute("data-status", "live")

    def send(body: dict[str, Any]) -> None:
        response = httpx.post(
            f"{server_url}/api/attempts/{client.attempt_id}/client-environment", json=body,
            headers={"Authorization": f"Bearer {client.token}"}, timeout=20)
        assert response.status_code == 200, response.text

    name = registration.candidate.name
    send(report(problems=[WECHAT]))
    expect(page.locator("#alert-feed .eh-alert-warning").first).to_contain_text(
        f"{name}'s exam client found: WeChat / 微信")
    send(report())
    expect(page.locator("#alert-feed .eh-alert-success").first).to_contain_text(
        f"{name}'s computer passes the exam client's check again")
    context.close()
