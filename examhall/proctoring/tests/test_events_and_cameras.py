"""Browser events, heartbeats, the cameras' state the PC page shows, and the periodic
"camera lost" check."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.management import call_command

from examhall.core import clock
from examhall.identity.tests.frames import frame
from examhall.proctoring import services
from examhall.proctoring.models import BrowserEvent, Flag, MonitoringPolicy
from examhall.proctoring.tests.helpers import started_attempt, upload

pytestmark = pytest.mark.django_db


def _events(*types: str) -> dict:
    return {"events": [{"type": t, "client_at": "2026-11-25T10:00:00+08:00",
                        "details": {"n": i}} for i, t in enumerate(types)]}


def test_a_batch_of_events_is_stored_with_its_types_and_times():
    _exam, [client] = started_attempt()

    response = client.post("/events", _events("focus_lost", "focus_regained", "paste",
                                               "context_menu", "screen_extended"))

    assert response.status_code == 200, response.content
    assert response.json()["stored"] == 5
    rows = list(BrowserEvent.objects.order_by("id"))
    assert [row.type for row in rows] == ["focus_lost", "focus_regained", "paste",
                                          "context_menu", "screen_extended"]
    assert rows[2].details == {"n": 2}
    assert rows[0].client_at == dt.datetime(2026, 11, 25, 2, 0, tzinfo=dt.UTC)
    assert all(row.server_at == rows[0].server_at for row in rows)


def test_events_that_matter_raise_behaviour_and_device_flags_counted_per_batch():
    _exam, [client] = started_attempt()

    client.post("/events", _events("copy", "paste", "paste", "screen_extended",
                                   "focus_regained"))
    client.post("/events", _events("paste"))

    flags = {flag.type: flag for flag in Flag.objects.all()}
    assert set(flags) == {"clipboard_used", "extra_screen"}
    assert flags["clipboard_used"].count == 4
    assert flags["clipboard_used"].category == "behaviour"
    assert (flags["extra_screen"].category, flags["extra_screen"].severity) == ("device", "high")


@pytest.mark.parametrize("body", [
    _events("focus_lost", "teleported"),
    {"events": []},
    {"events": [{"type": "copy"}] * 101},
    {"events": [{"type": "copy", "details": {"text": "x" * 5000}}]},
], ids=["unknown-type", "empty", "too-many", "details-too-long"])
def test_an_invalid_batch_is_refused_whole(body):
    _exam, [client] = started_attempt()

    response = client.post("/events", body)

    assert response.status_code == 422, response.content
    assert response.json()["error"]["code"] == "invalid_input"
    assert not BrowserEvent.objects.exists()


def test_events_for_an_attempt_not_started_are_refused():
    _exam, [client] = started_attempt(start=False)

    response = client.post("/events", _events("copy"))

    assert response.status_code == 409
    assert response.json()["error"]["code"] == "attempt_not_in_progress"


def test_events_for_another_candidates_attempt_are_not_found():
    _exam, [mine, theirs] = started_attempt(candidates=2)

    response = mine.post("/events", _events("copy"), attempt_id=theirs.attempt_id)

    assert response.status_code == 404
    assert not BrowserEvent.objects.exists()


def _cameras(client) -> dict[str, str]:
    response = client.get("/monitoring")
    assert response.status_code == 200, response.content
    return {camera["camera"]: camera["state"] for camera in response.json()["cameras"]}


def test_the_monitoring_status_follows_snapshots_and_heartbeats():
    _exam, [client] = started_attempt()
    assert _cameras(client) == {"pc": "not_connected", "phone": "not_connected"}

    assert upload(client, frame("obama")).status_code == 202
    beat = client.post("/heartbeat", {"camera": "phone"})

    assert beat.status_code == 200, beat.content
    assert {c["camera"]: c["state"] for c in beat.json()["cameras"]} == {
        "pc": "connected", "phone": "connected"}
    body = client.get("/monitoring").json()
    assert body["grace_seconds"] == 60
    assert {c["camera"]: c["interval_seconds"] for c in body["cameras"]} == {"pc": 15,
                                                                            "phone": 20}

    clock.shift(dt.timedelta(seconds=61))
    assert _cameras(client) == {"pc": "lost", "phone": "lost"}

    client.post("/heartbeat", {"camera": "pc"})
    assert _cameras(client) == {"pc": "connected", "phone": "lost"}


def test_a_heartbeat_from_an_unknown_camera_is_refused():
    _exam, [client] = started_attempt()

    response = client.post("/heartbeat", {"camera": "tablet"})

    assert response.status_code == 422


def test_camera_lost_is_raised_after_the_grace_period_and_not_before():
    _exam, [client] = started_attempt()
    client.post("/heartbeat", {"camera": "pc"})
    client.post("/heartbeat", {"camera": "phone"})

    clock.shift(dt.timedelta(seconds=50))
    client.post("/heartbeat", {"camera": "pc"})  # the PC goes on; the phone went quiet
    clock.shift(dt.timedelta(seconds=9))
    assert services.cameras_check_lost() == []
    assert not Flag.objects.exists()

    clock.shift(dt.timedelta(seconds=2))  # the phone: 61 s of silence
    flags = services.cameras_check_lost()

    assert [(f.type, f.camera, f.category, f.severity) for f in flags] == [
        ("camera_lost", "phone", "technical", "medium")]


def test_an_ongoing_outage_is_one_occurrence_and_a_new_one_counts_again():
    _exam, [client] = started_attempt()
    client.post("/heartbeat", {"camera": "phone"})
    clock.shift(dt.timedelta(seconds=61))
    services.cameras_check_lost()
    clock.shift(dt.timedelta(seconds=30))
    services.cameras_check_lost()

    flag = Flag.objects.get()
    assert flag.count == 1 and flag.last_at > flag.first_at

    client.post("/heartbeat", {"camera": "phone"})  # back, then lost again
    clock.shift(dt.timedelta(seconds=61))
    services.cameras_check_lost()

    flag.refresh_from_db()
    assert Flag.objects.count() == 1 and flag.count == 2


def test_the_grace_period_comes_from_the_exams_sensitivity():
    exam, [client] = started_attempt()
    MonitoringPolicy.objects.create(exam=exam, sensitivity="relaxed")
    client.post("/heartbeat", {"camera": "pc"})

    clock.shift(dt.timedelta(seconds=90))
    assert services.cameras_check_lost() == []
    clock.shift(dt.timedelta(seconds=31))
    assert len(services.cameras_check_lost()) == 1


def test_a_camera_never_seen_or_of_a_finished_attempt_is_not_lost():
    _exam, [seen_then_submitted, _never_seen] = started_attempt(candidates=2)
    seen_then_submitted.post("/heartbeat", {"camera": "pc"})
    assert seen_then_submitted.post("/submit").status_code == 200

    clock.shift(dt.timedelta(minutes=10))

    assert services.cameras_check_lost() == []


def test_the_check_cameras_command_raises_the_flags(capsys):
    _exam, [client] = started_attempt()
    client.post("/heartbeat", {"camera": "pc"})
    clock.shift(dt.timedelta(minutes=2))

    call_command("proctoring_check_cameras")

    assert "1 lost cameras" in capsys.readouterr().out
    assert Flag.objects.get().type == "camera_lost"
