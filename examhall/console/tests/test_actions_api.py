"""Every proctor action through the console's HTTP API, as the console page calls it
(session cookie + CSRF header): it changes the attempt, writes exactly one audit row
(who, what, why), and is refused without a trace to a proctor of another room (404),
to a user without the console (403) and to nobody signed in (401)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

import pytest

from examhall.console.models import Admission, IrregularityReport, Message, ProctorAction
from examhall.console.tests.staff import StaffClient, room_of_candidates, staff_user
from examhall.core import clock
from examhall.delivery.models import Attempt
from examhall.delivery.tests.helpers import CandidateClient
from examhall.devtools import factories
from examhall.exams.models import Exam
from examhall.identity.models import IdentityPolicy
from examhall.identity.tests.frames import frame
from examhall.identity.tests.helpers import identity_try
from examhall.proctoring import services as proctoring_services
from examhall.proctoring.models import Flag
from examhall.proctoring.tests.helpers import upload

pytestmark = pytest.mark.django_db


class World:
    """Room A (three candidates in their exam) with its proctor, room B (one
    candidate) with its own proctor, a staff user without the console, the office."""

    def __init__(self, **exam_options: Any) -> None:
        self.exam, self.room, self.candidates = room_of_candidates(candidates=3,
                                                                   **exam_options)
        _exam, self.other_room, [self.stranger] = room_of_candidates(candidates=1)
        self.proctor = staff_user("proctor_a", rooms=(self.room,))
        self.other_proctor = staff_user("proctor_b", rooms=(self.other_room,))
        self.no_console = staff_user("clerk", permissions=())
        self.office = staff_user("office", superuser=True)
        self.console = StaffClient(self.proctor)

    @property
    def first(self) -> CandidateClient:
        return self.candidates[0]


@pytest.fixture
def world() -> World:
    return World()


def _attempt(client: CandidateClient) -> Attempt:
    return Attempt.objects.get(pk=client.attempt_id)


def _error(response: Any) -> dict[str, Any]:
    error = response.json()["error"]
    assert isinstance(error["message"], str) and error["message"].strip()
    return error


def _only_action(kind: str) -> ProctorAction:
    [action] = ProctorAction.objects.filter(kind=kind)
    return action


# --- CSRF and the session -----------------------------------------------------------


def test_a_post_without_the_csrf_token_is_refused_and_changes_nothing(world: World) -> None:
    url = f"/api/console/attempts/{world.first.attempt_id}/pause"
    refused = world.console.post(url, {"reason": "phone on the desk"}, csrf=False)
    assert refused.status_code == 403 and _error(refused)["code"] == "csrf_failed"
    assert _attempt(world.first).state == "in_progress"
    assert not ProctorAction.objects.exists()
    accepted = world.console.post(url, {"reason": "phone on the desk"})
    assert accepted.status_code == 200, accepted.content
    assert _attempt(world.first).state == "paused"


def test_the_console_api_needs_a_signed_in_console_user(world: World) -> None:
    assert StaffClient().get("/api/console/rooms").status_code == 401
    forbidden = StaffClient(world.no_console).get("/api/console/rooms")
    assert forbidden.status_code == 403
    assert _error(forbidden)["code"] == "permission_denied"


def test_a_proctor_lists_only_their_rooms_and_the_office_every_room(world: World) -> None:
    mine = world.console.get("/api/console/rooms").json()
    assert [room["id"] for room in mine] == [str(world.room.pk)]
    assert mine[0]["candidates"] == 3
    office = {room["id"] for room in StaffClient(world.office).get("/api/console/rooms").json()}
    assert {str(world.room.pk), str(world.other_room.pk)} <= office


def test_the_room_overview_has_a_tile_per_candidate(world: World) -> None:
    response = world.console.get(f"/api/console/rooms/{world.room.pk}")
    assert response.status_code == 200, response.content
    tiles = response.json()["tiles"]
    assert {tile["attempt_id"] for tile in tiles} == {c.attempt_id for c in world.candidates}
    assert {tile["state"] for tile in tiles} == {"in_progress"}
    other = world.console.get(f"/api/console/rooms/{world.other_room.pk}")
    assert other.status_code == 404 and _error(other)["code"] == "room_not_found"


# --- the clock: pause, resume, extend -------------------------------------------------


def test_pause_stops_the_clock_and_resume_moves_the_deadline_by_the_pause(world: World
                                                                           ) -> None:
    before = _attempt(world.first)
    url = f"/api/console/attempts/{world.first.attempt_id}"
    no_reason = world.console.post(f"{url}/pause", {"reason": "  "})
    assert no_reason.status_code == 422 and _error(no_reason)["code"] == "reason_required"
    assert not ProctorAction.objects.exists()

    paused = world.console.post(f"{url}/pause", {"reason": "second person in the room"})
    assert paused.status_code == 200, paused.content
    assert paused.json()["state"] == "paused"
    action = _only_action("pause")
    assert (action.actor, action.attempt_id, action.room, action.reason) == (
        world.proctor, before.pk, world.room, "second person in the room")
    assert world.console.post(f"{url}/pause", {"reason": "again"}).status_code == 409
    refused = world.first.save(_first_question(world.first), ["A"])
    assert refused.status_code == 409 and _error(refused)["code"] == "attempt_paused"

    clock.shift(dt.timedelta(minutes=10))
    resumed = world.console.post(f"{url}/resume", {})
    assert resumed.status_code == 200, resumed.content
    after = _attempt(world.first)
    assert after.state == "in_progress" and after.paused_at is None
    moved = after.deadline - before.deadline
    assert dt.timedelta(minutes=10) <= moved < dt.timedelta(minutes=10, seconds=30)
    assert _only_action("resume").actor == world.proctor
    assert world.first.save(_first_question(world.first), ["A"]).status_code == 200
    assert world.console.post(f"{url}/resume", {}).status_code == 409
    assert ProctorAction.objects.count() == 2


def test_extend_moves_the_deadline_within_bounds_and_not_after_submission(world: World
                                                                          ) -> None:
    before = _attempt(world.first).deadline
    url = f"/api/console/attempts/{world.first.attempt_id}/extend"
    for minutes in (0, 241, -5):
        refused = world.console.post(url, {"minutes": minutes, "reason": "power cut"})
        assert refused.status_code == 422 and _error(refused)["code"] == "invalid_input"
    assert world.console.post(url, {"minutes": 15}).status_code == 422  # reason required
    assert not ProctorAction.objects.exists()

    extended = world.console.post(url, {"minutes": 15, "reason": "power cut"})
    assert extended.status_code == 200, extended.content
    assert _attempt(world.first).deadline == before + dt.timedelta(minutes=15)
    action = _only_action("extend")
    assert action.reason == "power cut" and action.details["minutes"] == 15

    world.first.post("/submit")
    late = world.console.post(url, {"minutes": 15, "reason": "too late"})
    assert late.status_code == 409
    assert ProctorAction.objects.filter(kind="extend").count() == 1


# --- ending the exam ---------------------------------------------------------------


def test_force_submit_ends_the_attempt_and_it_is_graded(world: World) -> None:
    url = f"/api/console/attempts/{world.first.attempt_id}/submit"
    assert world.console.post(url, {}).status_code == 422  # reason required
    response = world.console.post(url, {"reason": "candidate asked to finish"})
    assert response.status_code == 200, response.content
    attempt = _attempt(world.first)
    assert attempt.submit_reason == "proctor" and attempt.submitted_at is not None
    assert attempt.state == "graded"  # the grading receiver ran
    assert _only_action("force_submit").reason == "candidate asked to finish"
    again = world.console.post(url, {"reason": "twice"})
    assert again.status_code == 409
    assert ProctorAction.objects.filter(kind="force_submit").count() == 1
    event = attempt.events.filter(to_state="submitted").get()
    assert event.actor == world.proctor


def test_terminate_needs_a_reason_and_voids_the_attempt(world: World) -> None:
    url = f"/api/console/attempts/{world.first.attempt_id}/terminate"
    no_reason = world.console.post(url, {"reason": ""})
    assert no_reason.status_code == 422 and _error(no_reason)["code"] == "reason_required"
    assert _attempt(world.first).state == "in_progress"
    response = world.console.post(url, {"reason": "notes on the desk"})
    assert response.status_code == 200, response.content
    assert response.json()["state"] == "voided" == _attempt(world.first).state
    assert _only_action("terminate").reason == "notes on the desk"
    # The candidate cannot go on.
    assert world.first.save(_first_question(world.first), ["A"]).status_code in (403, 409)


def _first_question(client: CandidateClient) -> str:
    return str(_attempt(client).question_ids[0])


def test_allow_reentry_lets_the_candidate_sign_in_once_more() -> None:
    world = World()
    Exam.objects.filter(pk=world.exam.pk).update(reentry_needs_approval=True)
    second_browser = CandidateClient(world.first.registration, world.first.id_number)
    refused = second_browser.login()
    assert refused.status_code == 403
    assert refused.json()["error"]["code"] == "reentry_needs_approval"
    tiles = world.console.get(f"/api/console/rooms/{world.room.pk}").json()["tiles"]
    asking = {tile["attempt_id"]: tile["reentry_requested"] for tile in tiles}
    assert asking[world.first.attempt_id] is True
    assert asking[world.candidates[1].attempt_id] is False

    url = f"/api/console/attempts/{world.first.attempt_id}/reentry"
    response = world.console.post(url, {"reason": "browser crashed"})
    assert response.status_code == 200, response.content
    assert _only_action("allow_reentry").reason == "browser crashed"
    assert world.first.get("/status").status_code == 200  # before: the first browser works
    assert second_browser.login().status_code == 200
    third_browser = CandidateClient(world.first.registration, world.first.id_number)
    assert third_browser.login().status_code == 403  # the permission was used once
    # One browser at a time: the one signed in before is signed out — its API, its
    # autosave and its pictures are refused, and signing in again needs a proctor.
    question_id = Attempt.objects.get(pk=world.first.attempt_id).question_ids[0]
    save = {"saves": [{"question_id": question_id, "value": ["A"], "seq": 1}]}
    for response in (world.first.get("/status"), world.first.post("/checks"),
                     world.first.post("/answers", save),
                     world.first.post("/heartbeat", {"camera": "pc"})):
        assert response.status_code == 401, response.content
        assert response.json()["error"]["code"] == "signed_in_elsewhere"
    assert "another browser" in response.json()["error"]["message"] or \
        "另一" in response.json()["error"]["message"]
    assert world.first.login().status_code == 403
    assert second_browser.get("/status").status_code == 200


# --- admission and identity ----------------------------------------------------------


def _checks(client: CandidateClient) -> dict[str, Any]:
    body = client.post("/checks").json()
    return {"state": body["state"], **{check["name"]: check for check in body["checks"]}}


def test_admission_comes_after_the_other_checks_and_the_proctor_decides() -> None:
    world = World(required_checks=["admission", Exam.Check.DEVICE], start=False)
    candidate = world.first
    first = _checks(candidate)
    assert first["state"] == "device_check"  # admission is evaluated last
    Attempt.objects.filter(pk=candidate.attempt_id)  # (device check not passed yet)
    url = f"/api/console/attempts/{candidate.attempt_id}/admission"
    too_early = world.console.post(url, {"decision": "admit"})
    assert too_early.status_code == 409 and _error(too_early)["code"] == "not_awaiting_admission"

    exam = Exam.objects.get(pk=world.exam.pk)
    exam.required_checks = ["admission"]
    exam.save()
    assert _checks(candidate)["state"] == "awaiting_admission"
    assert candidate.post("/start").status_code == 409

    no_reason = world.console.post(url, {"decision": "refuse"})
    assert no_reason.status_code == 422 and _error(no_reason)["code"] == "reason_required"
    too_long = world.console.post(url, {"decision": "refuse", "reason": "x" * 400})
    assert too_long.status_code == 422 and not Admission.objects.exists()
    refused = world.console.post(url, {"decision": "refuse", "reason": "ID card not shown"})
    assert refused.status_code == 200, refused.content
    checks = _checks(candidate)
    assert checks["state"] == "awaiting_admission"
    assert "ID card not shown" in checks["admission"]["detail"]
    assert _only_action("refuse").reason == "ID card not shown"

    admitted = world.console.post(url, {"decision": "admit"})
    assert admitted.status_code == 200 and admitted.json()["state"] == "ready"
    assert Admission.objects.get(attempt_id=candidate.attempt_id).decided_by == world.proctor
    assert _checks(candidate)["state"] == "ready"
    assert candidate.post("/start").status_code == 200
    assert ProctorAction.objects.filter(kind="admit").count() == 1
    bad = world.console.post(url, {"decision": "maybe"})
    assert bad.status_code == 422


def test_admit_all_admits_everyone_waiting_in_the_room() -> None:
    world = World(required_checks=["admission"], start=False)
    for candidate in world.candidates[:2]:
        assert _checks(candidate)["state"] == "awaiting_admission"
    response = world.console.post(f"/api/console/rooms/{world.room.pk}/admit-all")
    assert response.status_code == 200, response.content
    assert {row["attempt_id"] for row in response.json()} == {
        c.attempt_id for c in world.candidates[:2]}
    assert {row["state"] for row in response.json()} == {"ready"}
    assert ProctorAction.objects.filter(kind="admit").count() == 2
    # The third never reached the waiting state: left alone.
    assert _attempt(world.candidates[2]).state != "ready"
    other = world.console.post(f"/api/console/rooms/{world.other_room.pk}/admit-all")
    assert other.status_code == 404


def test_identity_review_through_the_console() -> None:
    world = World(required_checks=["identity"], start=False)
    IdentityPolicy.objects.create(exam=world.exam, mode="enrolled", max_tries=1,
                                  liveness=False)
    candidate = world.first
    sent = identity_try(candidate, [frame("obama")])
    assert sent.status_code == 200, sent.content
    assert _checks(candidate)["state"] == "identity_review"  # no enrolled photo
    url = f"/api/console/attempts/{candidate.attempt_id}/identity"

    without_permission = world.console.post(url, {"decision": "approve"})
    assert without_permission.status_code == 403
    assert not ProctorAction.objects.exists()

    reviewer = staff_user("reviewer", rooms=(world.room,),
                          permissions=("proctor_rooms", "review_identity"))
    console = StaffClient(reviewer)
    assert console.post(url, {"decision": "reject"}).status_code == 422  # a note is needed
    approved = console.post(url, {"decision": "approve", "note": "matches the ID card"})
    assert approved.status_code == 200, approved.content
    assert approved.json()["state"] == "ready"
    action = _only_action("identity_approve")
    assert (action.actor, action.reason) == (reviewer, "matches the ID card")


def test_an_identity_rejected_through_the_console_keeps_the_candidate_out() -> None:
    world = World(required_checks=["identity"], start=False)
    IdentityPolicy.objects.create(exam=world.exam, mode="enrolled", max_tries=1,
                                  liveness=False)
    candidate = world.first
    assert identity_try(candidate, [frame("obama")]).status_code == 200
    reviewer = staff_user("reviewer", rooms=(world.room,),
                          permissions=("proctor_rooms", "review_identity"))
    rejected = StaffClient(reviewer).post(
        f"/api/console/attempts/{candidate.attempt_id}/identity",
        {"decision": "reject", "note": "another person"})
    assert rejected.status_code == 200, rejected.content
    assert rejected.json()["state"] == "identity_review"
    assert candidate.post("/start").status_code == 409
    assert _only_action("identity_reject").reason == "another person"


# --- messages -------------------------------------------------------------------------


def test_a_message_reaches_the_candidate_who_acknowledges_it(world: World) -> None:
    url = f"/api/console/attempts/{world.first.attempt_id}/messages"
    assert world.console.post(url, {"body": "   "}).status_code == 422
    assert world.console.post(url, {"body": "x" * 1001}).status_code == 422
    hand = world.first.post("/messages", {"body": "My mouse stopped working"})
    assert hand.status_code == 201, hand.content

    sent = world.console.post(url, {"body": "Please look at the camera"})
    assert sent.status_code == 201, sent.content
    message_id = sent.json()["id"]
    assert _only_action("message").details["message"] == message_id
    assert Message.objects.get(pk=hand.json()["id"]).read_by_proctor_at is not None

    thread = world.first.get("/messages").json()
    assert [m["sender"] for m in thread] == ["candidate", "proctor"]
    assert thread[1]["acknowledged_at"] is None
    ack = world.first.post(f"/messages/{message_id}/ack")
    assert ack.status_code == 200 and ack.json()["acknowledged_at"]
    # Another candidate cannot acknowledge it or read it.
    other = world.candidates[1]
    assert other.post(f"/messages/{message_id}/ack").status_code == 404
    assert other.get("/messages").json() == []
    assert world.first.get("/messages", attempt_id=other.attempt_id).status_code == 404
    proctor_view = world.console.get(url).json()
    assert proctor_view[1]["acknowledged_at"] is not None


def test_a_broadcast_reaches_every_candidate_of_the_room_only(world: World) -> None:
    world.console.post(f"/api/console/attempts/{world.candidates[2].attempt_id}/submit",
                       {"reason": "finished early"})
    response = world.console.post(f"/api/console/rooms/{world.room.pk}/broadcast",
                                  {"body": "Thirty minutes left"})
    assert response.status_code == 200, response.content
    assert response.json() == {"recipients": 2}
    assert Message.objects.filter(broadcast=True).count() == 2
    assert world.stranger.get("/messages").json() == []
    action = _only_action("broadcast")
    assert action.attempt is None and action.details["recipients"] == 2
    other = world.console.post(f"/api/console/rooms/{world.other_room.pk}/broadcast",
                               {"body": "Hello"})
    assert other.status_code == 404 and not world.stranger.get("/messages").json()


def test_a_finished_candidate_cannot_be_messaged(world: World) -> None:
    world.first.post("/submit")
    url = f"/api/console/attempts/{world.first.attempt_id}/messages"
    response = world.console.post(url, {"body": "Hello"})
    assert response.status_code == 409 and _error(response)["code"] == "attempt_finished"
    assert world.first.post("/messages", {"body": "Hello?"}).status_code == 409
    assert not ProctorAction.objects.exists()


# --- flags and reports ---------------------------------------------------------------


def _flag(client: CandidateClient, flag_type: str = "several_faces") -> Flag:
    return proctoring_services.flag_raise(attempt_id=client.attempt_id, flag_type=flag_type,
                                          at=clock.now(), gap_seconds=60, camera="pc")


def test_flags_are_confirmed_or_dismissed_with_a_note(world: World) -> None:
    first, second = _flag(world.first), _flag(world.first, "left_exam_page")
    no_note = world.console.post(f"/api/console/flags/{second.pk}", {"decision": "dismiss"})
    assert no_note.status_code == 422 and _error(no_note)["code"] == "reason_required"
    dismissed = world.console.post(f"/api/console/flags/{second.pk}",
                                   {"decision": "dismiss", "note": "pressed alt by mistake"})
    assert dismissed.status_code == 200, dismissed.content
    assert dismissed.json()["status"] == "dismissed"
    confirmed = world.console.post(f"/api/console/flags/{first.pk}", {"decision": "confirm"})
    assert confirmed.status_code == 200 and confirmed.json()["status"] == "confirmed"
    first.refresh_from_db()
    assert first.resolved_by == world.proctor and first.resolved_at is not None
    assert _only_action("flag_dismiss").reason == "pressed alt by mistake"
    assert _only_action("flag_confirm").details["flag"] == str(first.pk)
    tiles = world.console.get(f"/api/console/rooms/{world.room.pk}").json()["tiles"]
    tile = next(t for t in tiles if t["attempt_id"] == world.first.attempt_id)
    assert tile["flags"] == {"high": 0, "medium": 0, "low": 0}  # none open any more


def test_an_irregularity_report_needs_a_known_category_and_a_description(world: World
                                                                          ) -> None:
    url = f"/api/console/rooms/{world.room.pk}/irregularities"
    assert world.console.post(url, {"category": "weather",
                                    "description": "storm"}).status_code == 422
    assert world.console.post(url, {"category": "technical",
                                    "description": "  "}).status_code == 422
    foreign = world.console.post(url, {"category": "examinee", "description": "talked",
                                       "attempt_id": world.stranger.attempt_id})
    assert foreign.status_code == 404
    assert not ProctorAction.objects.exists()
    filed = world.console.post(url, {"category": "examinee", "description": "talked",
                                     "attempt_id": world.first.attempt_id})
    assert filed.status_code == 201, filed.content
    report = IrregularityReport.objects.get()
    assert (report.category, report.author, str(report.attempt_id)) == (
        "examinee", world.proctor, world.first.attempt_id)
    action = _only_action("irregularity")
    assert action.details["category"] == "examinee" and action.reason == "talked"
    room_wide = world.console.post(url, {"category": "environment",
                                         "description": "fire alarm test at 10:05"})
    assert room_wide.status_code == 201 and IrregularityReport.objects.count() == 2


# --- bulk -----------------------------------------------------------------------------


def test_bulk_actions_succeed_or_fail_per_candidate(world: World) -> None:
    a, b, c = world.candidates
    world.console.post(f"/api/console/attempts/{b.attempt_id}/pause", {"reason": "earlier"})
    response = world.console.post(f"/api/console/rooms/{world.room.pk}/bulk", {
        "action": "pause", "reason": "fire alarm",
        "attempt_ids": [a.attempt_id, b.attempt_id, world.stranger.attempt_id,
                        c.attempt_id]})
    assert response.status_code == 200, response.content
    outcomes = {row["attempt_id"]: row for row in response.json()}
    assert outcomes[a.attempt_id]["ok"] and outcomes[c.attempt_id]["ok"]
    assert not outcomes[b.attempt_id]["ok"] and outcomes[b.attempt_id]["message"]
    assert not outcomes[world.stranger.attempt_id]["ok"]
    assert _attempt(world.stranger).state == "in_progress"
    assert {_attempt(x).state for x in (a, b, c)} == {"paused"}
    assert ProctorAction.objects.filter(kind="pause", reason="fire alarm").count() == 2

    unknown = world.console.post(f"/api/console/rooms/{world.room.pk}/bulk", {
        "action": "terminate", "reason": "x", "attempt_ids": [a.attempt_id]})
    assert unknown.status_code == 422
    empty = world.console.post(f"/api/console/rooms/{world.room.pk}/bulk", {
        "action": "pause", "reason": "x", "attempt_ids": []})
    assert empty.status_code == 422
    foreign_room = world.console.post(f"/api/console/rooms/{world.other_room.pk}/bulk", {
        "action": "resume", "attempt_ids": [a.attempt_id]})
    assert foreign_room.status_code == 404 and _attempt(a).state == "paused"


def test_bulk_acts_only_on_candidates_of_the_room_in_the_url() -> None:
    world = World()
    _exam, second_room, [elsewhere] = room_of_candidates(candidates=1)
    second_room.proctors.add(world.proctor)
    response = world.console.post(f"/api/console/rooms/{world.room.pk}/bulk", {
        "action": "pause", "reason": "fire alarm", "attempt_ids": [elsewhere.attempt_id]})
    assert response.status_code == 200
    assert response.json()[0]["ok"] is False
    assert _attempt(elsewhere).state == "in_progress"


# --- refused for others: no change, no audit row -------------------------------------


Action = tuple[str, Callable[[World], str], dict[str, Any], Callable[[World], Any]]

ACTIONS: list[Action] = [
    ("pause", lambda w: f"/api/console/attempts/{w.first.attempt_id}/pause",
     {"reason": "r"}, lambda w: _attempt(w.first).state),
    ("extend", lambda w: f"/api/console/attempts/{w.first.attempt_id}/extend",
     {"minutes": 5, "reason": "r"}, lambda w: _attempt(w.first).deadline),
    ("submit", lambda w: f"/api/console/attempts/{w.first.attempt_id}/submit",
     {"reason": "r"}, lambda w: _attempt(w.first).state),
    ("terminate", lambda w: f"/api/console/attempts/{w.first.attempt_id}/terminate",
     {"reason": "r"}, lambda w: _attempt(w.first).state),
    ("reentry", lambda w: f"/api/console/attempts/{w.first.attempt_id}/reentry",
     {"reason": "r"}, lambda w: _attempt(w.first).reentry_allowed_until),
    ("message", lambda w: f"/api/console/attempts/{w.first.attempt_id}/messages",
     {"body": "hi"}, lambda w: Message.objects.count()),
    ("admission", lambda w: f"/api/console/attempts/{w.first.attempt_id}/admission",
     {"decision": "admit"}, lambda w: Admission.objects.count()),
    ("identity", lambda w: f"/api/console/attempts/{w.first.attempt_id}/identity",
     {"decision": "approve"}, lambda w: _attempt(w.first).state),
    ("broadcast", lambda w: f"/api/console/rooms/{w.room.pk}/broadcast",
     {"body": "hi"}, lambda w: Message.objects.count()),
    ("admit-all", lambda w: f"/api/console/rooms/{w.room.pk}/admit-all",
     {}, lambda w: Admission.objects.count()),
    ("irregularity", lambda w: f"/api/console/rooms/{w.room.pk}/irregularities",
     {"category": "other", "description": "d"}, lambda w: IrregularityReport.objects.count()),
    ("bulk", lambda w: f"/api/console/rooms/{w.room.pk}/bulk",
     {"action": "pause", "reason": "r", "attempt_ids": []}, lambda w: None),
    ("flag", lambda w: f"/api/console/flags/{w.flag.pk}",
     {"decision": "confirm"}, lambda w: Flag.objects.get(pk=w.flag.pk).status),
]


@pytest.mark.parametrize(("name", "url", "body", "observe"), ACTIONS,
                         ids=[action[0] for action in ACTIONS])
@pytest.mark.parametrize(("who", "status"), [("other_proctor", 404), ("no_console", 403),
                                             ("anonymous", 401)])
def test_others_are_refused_without_a_trace(world: World, name: str, url: Callable,
                                            body: dict[str, Any], observe: Callable,
                                            who: str, status: int) -> None:
    world.flag = _flag(world.first)  # type: ignore[attr-defined]
    if name == "bulk":
        body = {**body, "attempt_ids": [world.first.attempt_id]}
    before = observe(world)
    client = StaffClient(None if who == "anonymous" else getattr(world, who))
    response = client.post(url(world), body)
    assert response.status_code == status, response.content
    error = _error(response)
    if status == 404 and name == "flag":
        assert error["code"] == "flag_not_found"  # as for a flag that does not exist
    assert observe(world) == before
    assert _attempt(world.first).state == "in_progress"
    assert not ProctorAction.objects.exists()
    assert not Message.objects.exists()


def test_the_exam_office_may_act_in_any_room(world: World) -> None:
    office = StaffClient(world.office)
    response = office.post(f"/api/console/attempts/{world.stranger.attempt_id}/pause",
                           {"reason": "checking the room"})
    assert response.status_code == 200
    assert _only_action("pause").actor == world.office


@pytest.mark.parametrize("body", ["not json", "[]", '{"reason": 5}', '{"minutes": "x"}'])
def test_malformed_bodies_are_answered_never_a_server_error(world: World, body: str) -> None:
    for action in ("pause", "extend", "terminate", "messages"):
        response = world.console.client.post(
            f"/api/console/attempts/{world.first.attempt_id}/{action}", body,
            content_type="application/json", HTTP_X_CSRFTOKEN=world.console.csrf)
        assert response.status_code in (400, 422), (action, response.content)
        assert _error(response)["code"] in ("invalid_input", "reason_required",
                                            "message_empty")
    assert not ProctorAction.objects.exists()


def test_validation_errors_speak_the_proctors_language(world: World) -> None:
    url = f"/api/console/attempts/{world.first.attempt_id}/extend"
    body = {"minutes": 0, "reason": "power cut"}
    english = world.console.client.post(url, body, content_type="application/json",
                                        HTTP_X_CSRFTOKEN=world.console.csrf,
                                        HTTP_ACCEPT_LANGUAGE="en")
    chinese = world.console.client.post(url, body, content_type="application/json",
                                        HTTP_X_CSRFTOKEN=world.console.csrf,
                                        HTTP_ACCEPT_LANGUAGE="zh-hans")
    assert english.status_code == chinese.status_code == 422
    assert _error(english)["message"] == "Some fields are missing or invalid."
    assert _error(chinese)["message"] != _error(english)["message"]
    assert _error(english)["details"]["fields"][0]["field"] == "minutes"


def test_unknown_ids_are_not_found(world: World) -> None:
    missing = "00000000-0000-4000-8000-000000000000"
    for url in (f"/api/console/attempts/{missing}/pause", f"/api/console/flags/{missing}",
                f"/api/console/rooms/{missing}/broadcast"):
        response = world.console.post(url, {"reason": "r", "decision": "confirm",
                                            "body": "b"})
        assert response.status_code == 404, (url, response.content)


def test_a_registration_without_an_attempt_has_an_empty_tile(world: World) -> None:
    registration = factories.make_registration(
        exam=world.exam, subject=world.first.registration.subject,
        session=world.first.registration.session, room=world.room)
    tiles = world.console.get(f"/api/console/rooms/{world.room.pk}").json()["tiles"]
    tile = next(t for t in tiles if t["registration_id"] == str(registration.pk))
    assert tile["attempt_id"] is None and tile["state"] == "registered"
    assert tile["detail_url"] == ""


def test_a_tile_shows_the_latest_pictures_flags_and_waiting_messages(world: World) -> None:
    first = world.first
    assert upload(first, frame("obama"), camera="pc").status_code == 202
    _flag(first, "clipboard_used")
    first.post("/messages", {"body": "Can I use paper?"})

    def tile() -> dict[str, Any]:
        tiles = world.console.get(f"/api/console/rooms/{world.room.pk}").json()["tiles"]
        return next(t for t in tiles if t["attempt_id"] == first.attempt_id)

    shown = tile()
    assert shown["pc"]["snapshot_url"] and shown["pc"]["last_seen_at"]
    assert shown["phone"]["snapshot_url"] == ""
    assert shown["flags"]["medium"] >= 1 and shown["top_flag"]
    assert shown["unread_messages"] == 1 and shown["unacknowledged"] == 0
    picture = world.console.get(shown["pc"]["snapshot_url"])
    assert picture.status_code == 200 and picture["Content-Type"] == "image/jpeg"
    assert StaffClient(world.other_proctor).get(shown["pc"]["snapshot_url"]).status_code == 404

    world.console.post(f"/api/console/attempts/{first.attempt_id}/messages",
                       {"body": "Yes, the sheet on your desk"})
    answered = tile()
    assert answered["unread_messages"] == 0 and answered["unacknowledged"] == 1
