"""The console's pages through Django's test client: who may open the room list, the
room view, the candidate detail and a snapshot's image, and what the candidate detail's
evidence timeline holds."""

from __future__ import annotations

import datetime as dt
import json
import re
from typing import Any

import pytest
from django.test import Client
from django.utils import translation

from examhall.console import services
from examhall.console.models import ProctorAction
from examhall.console.tests.staff import StaffClient, room_of_candidates, staff_user
from examhall.console.timeline import attempt_timeline
from examhall.core import clock
from examhall.delivery.models import Attempt
from examhall.identity.tests.frames import frame
from examhall.proctoring.models import BrowserEvent, Flag, Snapshot
from examhall.proctoring.services.flags import flag_raise
from examhall.proctoring.tests.helpers import upload

pytestmark = pytest.mark.django_db


class Rooms:
    """Two rooms of started candidates; a proctor for each, a clerk without the
    console, the exam office."""

    def __init__(self) -> None:
        _exam, self.room, self.candidates = room_of_candidates(candidates=2)
        _exam, self.other_room, [self.stranger] = room_of_candidates(candidates=1)
        self.proctor = staff_user("proctor_a", rooms=(self.room,))
        self.other_proctor = staff_user("proctor_b", rooms=(self.other_room,))
        self.clerk = staff_user("clerk", permissions=())
        self.office = staff_user("office", superuser=True)
        self.attempt = Attempt.objects.get(pk=self.candidates[0].attempt_id)
        assert upload(self.candidates[0], frame("obama")).status_code == 202
        self.snapshot = Snapshot.objects.get(attempt=self.attempt)

    def pages(self) -> list[str]:
        return ["/console/", f"/console/rooms/{self.room.pk}/",
                f"/console/attempts/{self.attempt.pk}/",
                f"/console/snapshots/{self.snapshot.pk}/"]


@pytest.fixture
def rooms() -> Rooms:
    return Rooms()


@pytest.fixture(autouse=True)
def english() -> Any:
    with translation.override("en"):
        yield


def test_the_rooms_proctor_opens_every_page(rooms):
    client = StaffClient(rooms.proctor)
    for path in rooms.pages():
        assert client.get(path).status_code == 200, path


def test_a_proctor_of_another_room_gets_not_found_for_this_rooms_pages(rooms):
    client = StaffClient(rooms.other_proctor)
    for path in rooms.pages()[1:]:
        assert client.get(path).status_code == 404, path


def test_a_signed_in_user_without_the_console_is_refused(rooms):
    client = StaffClient(rooms.clerk)
    for path in rooms.pages():
        assert client.get(path).status_code == 403, path


def test_a_reviewer_who_sees_every_room_may_not_act_in_the_console(rooms):
    """Overseeing every room (reviewers, after the exam) does not open the console: its
    pages are where a proctor pauses, ends and voids attempts."""
    reviewer = StaffClient(staff_user("reviewer", permissions=("oversee_all_rooms",
                                                                "review_attempts")))
    for path in rooms.pages():
        assert reviewer.get(path).status_code == 403, path
    response = reviewer.post(f"/api/console/attempts/{rooms.attempt.pk}/pause",
                             {"reason": "x"})
    assert response.status_code == 403
    rooms.attempt.refresh_from_db()
    assert rooms.attempt.state != "paused"
    assert not ProctorAction.objects.exists()


def test_an_anonymous_visitor_is_sent_to_the_login_page(rooms):
    client = Client()
    for path in rooms.pages():
        response = client.get(path)
        assert response.status_code == 302, path
        assert response["Location"].startswith("/admin/login/"), path


def test_the_exam_office_opens_every_rooms_pages(rooms):
    client = StaffClient(rooms.office)
    for path in [*rooms.pages(), f"/console/rooms/{rooms.other_room.pk}/"]:
        assert client.get(path).status_code == 200, path


def test_the_room_list_shows_only_the_proctors_rooms(rooms):
    page = StaffClient(rooms.proctor).get("/console/").content.decode()
    assert f'href="/console/rooms/{rooms.room.pk}/"' in page
    assert str(rooms.other_room.pk) not in page
    assert rooms.room.session.exam.name in page


def test_the_room_view_sets_the_csrf_cookie_and_hands_the_room_to_its_module(rooms):
    client = Client()
    client.force_login(rooms.proctor)
    response = client.get(f"/console/rooms/{rooms.room.pk}/")
    assert response.cookies["csrftoken"].value
    config = _json_script(response.content.decode(), "console-config")
    assert config["roomId"] == str(rooms.room.pk)
    assert config["socketPath"] == "/ws/console/"
    assert config["attemptUrl"] == "/console/attempts/{attempt}/"
    assert config["stateLabels"]["awaiting_admission"]
    strings = _json_script(response.content.decode(), "console-i18n")
    assert "{name}" in strings["alertHand"]
    assert 'src="/static/console/room.js"' in response.content.decode()


def test_the_snapshot_view_sends_the_jpeg_privately(rooms):
    response = StaffClient(rooms.proctor).get(f"/console/snapshots/{rooms.snapshot.pk}/")
    assert response["Content-Type"] == "image/jpeg"
    assert response["Cache-Control"].startswith("private")
    assert response.content[:2] == b"\xff\xd8"


def test_the_candidate_detail_shows_header_flags_and_timeline(rooms):
    flag = flag_raise(attempt_id=rooms.attempt.pk, flag_type="several_faces", at=clock.now(),
                      gap_seconds=60, camera="pc", snapshot=rooms.snapshot)
    page = StaffClient(rooms.proctor).get(f"/console/attempts/{rooms.attempt.pk}/").content.decode()
    registration = rooms.attempt.registration
    assert registration.candidate.name in page
    assert registration.ticket_number in page
    assert f'data-flag-id="{flag.pk}"' in page
    assert f'src="/console/snapshots/{rooms.snapshot.pk}/"' in page
    assert 'data-kind="state"' in page  # the start
    assert 'data-kind="flag"' in page


# --- the timeline selector ----------------------------------------------------------------


def _at(seconds: float) -> dt.datetime:
    return clock.now() - dt.timedelta(seconds=seconds)


def test_the_timeline_pairs_pc_and_phone_pictures_and_merges_every_source(rooms):
    attempt = rooms.attempt
    pc = rooms.snapshot
    Snapshot.objects.filter(pk=pc.pk).update(taken_at=_at(100))
    phone = Snapshot.objects.create(attempt=attempt, camera="phone", taken_at=_at(95),
                                    image=pc.image.name, width=10, height=10, size_bytes=1)
    BrowserEvent.objects.create(attempt=attempt, type="paste", server_at=_at(80))
    flag_raise(attempt_id=attempt.pk, flag_type="clipboard_used", at=_at(80), gap_seconds=60)
    services.attempt_pause(actor=rooms.proctor, attempt_id=attempt.pk, reason="Noise")
    services.message_send(actor=rooms.proctor, attempt_id=attempt.pk, body="Please sit still")

    timeline = attempt_timeline(attempt=attempt)

    kinds = [entry.kind for entry in timeline.entries]
    assert {"snapshots", "browser", "flag", "state", "action", "message"} <= set(kinds)
    pictures = [entry for entry in timeline.entries if entry.kind == "snapshots"]
    assert len(pictures) == 1
    assert (pictures[0].pc.id, pictures[0].phone.id) == (pc.pk, phone.pk)
    assert [entry.at for entry in timeline.entries] == sorted(
        (entry.at for entry in timeline.entries), reverse=True)
    actions = [(entry.title, entry.actor, entry.detail) for entry in timeline.entries
               if entry.kind == "action"]
    assert actions == [(str(ProctorAction.Kind.MESSAGE.label), "proctor_a", ""),
                       (str(ProctorAction.Kind.PAUSE.label), "proctor_a", "Noise")]
    assert [row.type for row in timeline.flags] == ["clipboard_used"]
    assert timeline.next_before is None


def test_pictures_far_apart_are_separate_rows(rooms):
    pc = rooms.snapshot
    Snapshot.objects.filter(pk=pc.pk).update(taken_at=_at(300))
    Snapshot.objects.create(attempt=rooms.attempt, camera="phone", taken_at=_at(10),
                            image=pc.image.name, width=10, height=10, size_bytes=1)
    rows = [e for e in attempt_timeline(attempt=rooms.attempt).entries if e.kind == "snapshots"]
    assert [(row.pc is not None, row.phone is not None) for row in rows] == [(False, True),
                                                                           (True, False)]


def test_the_timeline_pages_backwards_without_losing_or_repeating_entries(rooms):
    attempt = rooms.attempt
    for n in range(7):
        BrowserEvent.objects.create(attempt=attempt, type="copy", server_at=_at(500 - n * 10))
    everything = [(entry.kind, entry.at, entry.title)
                  for entry in attempt_timeline(attempt=attempt, limit=200).entries]
    seen: list[Any] = []
    before = None
    for _page in range(10):
        timeline = attempt_timeline(attempt=attempt, before=before, limit=3)
        seen.extend((entry.kind, entry.at, entry.title) for entry in timeline.entries)
        before = timeline.next_before
        if before is None:
            break
    assert len([kind for kind, _at, _title in seen if kind == "browser"]) == 7
    assert seen == everything


def test_the_flags_list_puts_open_severe_flags_first(rooms):
    attempt = rooms.attempt
    flag_raise(attempt_id=attempt.pk, flag_type="fullscreen_left", at=_at(30), gap_seconds=5)
    severe = flag_raise(attempt_id=attempt.pk, flag_type="camera_covered", at=_at(60),
                        gap_seconds=5, camera="pc")
    dismissed = flag_raise(attempt_id=attempt.pk, flag_type="several_faces", at=_at(10),
                           gap_seconds=5, camera="pc")
    services.flag_resolve(actor=rooms.proctor, flag_id=dismissed.pk, confirm=False,
                          note="A poster on the wall")
    rows = attempt_timeline(attempt=attempt).flags
    assert [row.type for row in rows] == ["camera_covered", "fullscreen_left", "several_faces"]
    assert rows[0].id == severe.pk
    assert (rows[2].status, rows[2].resolution_note, rows[2].resolved_by) == (
        Flag.Status.DISMISSED, "A poster on the wall", "proctor_a")


def test_a_timeline_page_of_another_time_is_rendered_with_a_way_back(rooms):
    for n in range(70):
        BrowserEvent.objects.create(attempt=rooms.attempt, type="copy", server_at=_at(900 - n))
    client = StaffClient(rooms.proctor)
    page = client.get(f"/console/attempts/{rooms.attempt.pk}/").content.decode()
    older = re.search(r'id="older" href="\?before=([^"]+)"', page)
    assert older
    assert 'id="newest"' not in page
    second = client.get(f"/console/attempts/{rooms.attempt.pk}/?before={older.group(1)}")
    assert second.status_code == 200
    assert 'id="newest"' in second.content.decode()


def _json_script(page: str, element_id: str) -> Any:
    match = re.search(rf'<script id="{element_id}" type="application/json">(.*?)</script>',
                      page, re.S)
    assert match, element_id
    return json.loads(match.group(1))


def test_the_timeline_shows_what_the_exam_client_saw_change(rooms):
    """Problems the exam client found on the computer, and their end, by time."""
    from django.utils.translation import gettext

    from examhall.lockdown.models import ClientEnvironmentReport

    wechat = {"check": "processes", "code": "forbidden_process", "subject": "wechat",
              "title": "WeChat / 微信", "advice": "Quit WeChat.", "blocking": True}
    for seconds, problems, appeared, resolved in ((30, [], [], []),
                                                  (20, [wechat], [wechat], []),
                                                  (10, [], [], [wechat])):
        ClientEnvironmentReport.objects.create(
            attempt=rooms.attempt, received_at=_at(seconds), attempt_state="in_progress",
            client_version="0.1.0", os="linux", checked_at=_at(seconds),
            passed=not problems, problems=problems, facts={}, appeared=appeared,
            resolved=resolved)

    entries = [entry for entry in attempt_timeline(attempt=rooms.attempt).entries
               if entry.detail == "WeChat / 微信"]

    assert [(entry.title, entry.detail) for entry in entries] == [
        (gettext("Exam client: problem resolved"), "WeChat / 微信"),
        (gettext("Exam client: problem found"), "WeChat / 微信")]
    page = StaffClient(rooms.proctor).get(f"/console/attempts/{rooms.attempt.pk}/")
    assert "WeChat / 微信" in page.content.decode()
