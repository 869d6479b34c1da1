"""Background analysis of snapshots (called synchronously here): the findings it turns
into flags, how repeated findings extend one episode, and how a backlog is worked off."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pytest
from django.core.files.storage import default_storage
from PIL import Image

from examhall.core import clock
from examhall.delivery.tests.helpers import CandidateClient
from examhall.identity import services as identity_services
from examhall.identity.tests.frames import face_photo, frame, frame_array, jpeg, photo_bytes
from examhall.proctoring import selectors, services
from examhall.proctoring.models import Flag, MonitoringPolicy, Snapshot
from examhall.proctoring.tests.helpers import black, empty_room, started_attempt, two_faces, upload

pytestmark = pytest.mark.django_db


def _stored(client: CandidateClient, data: bytes, camera: str = "pc") -> Snapshot:
    response = upload(client, data, camera=camera)
    assert response.status_code == 202, response.content
    return Snapshot.objects.get(pk=response.json()["snapshot_id"])


def _analysed(client: CandidateClient, data: bytes, camera: str = "pc") -> Snapshot:
    snapshot = services.analyse_snapshot(_stored(client, data, camera).pk)
    assert snapshot.analysis_status == "done", snapshot.analysis
    return snapshot


def _enrol(client: CandidateClient, photo: str = "obama") -> None:
    identity_services.enrolment_photo_add(candidate_id=client.registration.candidate_id,
                                          data=photo_bytes(photo))


def _flag_types() -> list[str]:
    return sorted(Flag.objects.values_list("type", flat=True))


def test_two_faces_raise_several_faces_with_the_snapshot_as_evidence():
    _exam, [client] = started_attempt()

    snapshot = _analysed(client, two_faces())

    assert snapshot.analysis["face_count"] == 2
    flag = Flag.objects.get()
    assert (flag.type, flag.category, flag.severity, flag.camera) == (
        "several_faces", "environment", "high", "pc")
    assert list(flag.evidence.all()) == [snapshot]
    assert flag.first_at == flag.last_at == snapshot.taken_at


def test_a_black_frame_raises_camera_covered_and_nothing_about_faces():
    _exam, [client] = started_attempt()

    snapshot = _analysed(client, black())

    assert _flag_types() == ["camera_covered"]
    flag = Flag.objects.get()
    assert (flag.category, flag.severity) == ("device", "high")
    assert snapshot.analysis["luma_mean"] < 5
    assert "face_count" not in snapshot.analysis


def test_the_same_frame_twice_raises_frozen_on_the_second():
    _exam, [client] = started_attempt()
    picture = frame("obama")

    first = _analysed(client, picture)
    assert _flag_types() == []
    second = _analysed(client, picture)

    flag = Flag.objects.get()
    assert flag.type == "camera_frozen" and list(flag.evidence.all()) == [second]
    assert flag.details["previous"] == str(first.pk)
    assert second.analysis["frozen_difference"] <= 0.2
    assert second.analysis["face_count"] == 1  # the faces are still looked at


def test_a_live_camera_is_not_frozen():
    _exam, [client] = started_attempt()

    _analysed(client, frame("obama"))
    second = _analysed(client, frame("obama2"))

    assert _flag_types() == []
    assert second.analysis["frozen_difference"] > 1


def test_another_persons_face_raises_identity_mismatch_with_that_snapshot_as_evidence():
    _exam, [client] = started_attempt()
    _enrol(client, "obama")

    snapshot = _analysed(client, frame("biden"))

    flag = Flag.objects.get()
    assert (flag.type, flag.category, flag.severity) == ("identity_mismatch", "identity", "high")
    assert list(flag.evidence.all()) == [snapshot]
    assert snapshot.analysis["identity"]["match"] is False
    assert flag.details["distance"] > 0.5


def test_the_registered_person_raises_nothing_and_the_match_is_recorded():
    _exam, [client] = started_attempt()
    _enrol(client, "obama")

    snapshot = _analysed(client, frame("obama2"))

    assert _flag_types() == []
    assert snapshot.analysis["face_count"] == 1
    assert snapshot.analysis["identity"]["match"] is True
    assert snapshot.analysis["identity"]["distance"] < 0.5


def test_identity_is_checked_on_every_nth_pc_snapshot():
    exam, [client] = started_attempt()
    MonitoringPolicy.objects.create(exam=exam, identity_every=3)
    _enrol(client, "obama")

    analysed = [_analysed(client, frame(name))
                for name in ["obama", "obama2", "obama3", "obama", "obama2"]]

    assert ["identity" in s.analysis for s in analysed] == [True, False, False, True, False]


def test_an_identity_check_without_a_face_is_tried_again_on_the_next_snapshot():
    _exam, [client] = started_attempt()
    _enrol(client, "obama")

    nobody = _analysed(client, empty_room())
    next_one = _analysed(client, frame("obama2"))
    after = _analysed(client, frame("obama3"))

    assert nobody.analysis["identity"] == {"skipped": "no_face"}
    assert next_one.analysis["identity"]["match"] is True
    assert "identity" not in after.analysis


def test_without_a_reference_photo_identity_is_skipped_not_flagged():
    _exam, [client] = started_attempt()

    snapshot = _analysed(client, frame("biden"))

    assert snapshot.analysis["identity"] == {"skipped": "no_reference"}
    assert _flag_types() == []


def test_nobody_in_view_is_candidate_absent_on_the_pc_and_nobody_at_desk_on_the_phone():
    _exam, [client] = started_attempt()

    _analysed(client, empty_room(), camera="pc")
    _analysed(client, empty_room(), camera="phone")

    flags = {flag.camera: flag for flag in Flag.objects.all()}
    assert flags["pc"].type == "candidate_absent"
    assert flags["phone"].type == "nobody_at_desk"
    assert flags["phone"].details == {"proxy": "no_face_detected"}


def test_repeated_findings_extend_one_flag_until_the_gap_window_passes():
    _exam, [client] = started_attempt()

    snapshots = []
    for _ in range(3):
        snapshots.append(_analysed(client, black()))
        clock.shift(dt.timedelta(seconds=15))

    flag = Flag.objects.get()
    assert flag.count == 3
    assert flag.first_at == snapshots[0].taken_at and flag.last_at == snapshots[-1].taken_at
    assert set(flag.evidence.all()) == set(snapshots)

    clock.shift(dt.timedelta(minutes=5))  # far beyond the standard 120 s gap
    _analysed(client, black())

    assert Flag.objects.filter(type="camera_covered").count() == 2


def test_evidence_is_capped_keeping_the_first_and_the_latest():
    _exam, [client] = started_attempt()

    snapshots = [_analysed(client, black()) for _ in range(services.EVIDENCE_MAX + 3)]

    flag = Flag.objects.get()
    assert flag.count == len(snapshots)
    kept = set(flag.evidence.all())
    assert len(kept) == services.EVIDENCE_MAX
    assert snapshots[0] in kept and snapshots[-1] in kept


def test_a_dismissed_flag_is_not_extended():
    _exam, [client] = started_attempt()
    _analysed(client, black())
    Flag.objects.update(status=Flag.Status.DISMISSED)

    _analysed(client, black())

    assert sorted(Flag.objects.values_list("status", "count")) == [("dismissed", 1), ("open", 1)]


def test_analysing_twice_counts_once():
    _exam, [client] = started_attempt()
    snapshot = _analysed(client, two_faces())

    again = services.analyse_snapshot(snapshot.pk)
    status = services.analysis_run(snapshot_id=snapshot.pk)

    assert again.analysis_status == status == "done"
    assert Flag.objects.get().count == 1


def test_an_unreadable_stored_image_fails_the_analysis_without_raising():
    _exam, [client] = started_attempt()
    snapshot = _stored(client, frame("obama"))
    default_storage.delete(snapshot.image.name)

    result = services.analyse_snapshot(snapshot.pk)

    assert result.analysis_status == "failed"
    assert result.analysis["error"]
    assert _flag_types() == []


def test_a_backlog_is_worked_off_newest_first_and_older_snapshots_are_skipped():
    _exam, [alice, bob] = started_attempt(candidates=2)
    alice_pc = []
    for name in ["obama", "obama2", "obama3"]:
        alice_pc.append(_stored(alice, frame(name)))
        clock.shift(dt.timedelta(seconds=15))
    alice_phone = _stored(alice, frame("obama"), camera="phone")
    bob_pc = _stored(bob, frame("biden"))

    plan = services.analysis_plan()

    assert plan == [alice_pc[-1].pk, alice_phone.pk, bob_pc.pk]
    statuses = dict(Snapshot.objects.values_list("pk", "analysis_status"))
    assert [statuses[s.pk] for s in alice_pc] == ["skipped", "skipped", "pending"]
    assert Snapshot.objects.get(pk=alice_pc[0].pk).analysis == {
        "superseded_by": str(alice_pc[-1].pk)}
    for snapshot_id in plan:
        assert services.analysis_run(snapshot_id=snapshot_id) == "done"
    assert selectors.analysis_lag().pending == 0


def test_a_queued_snapshot_is_skipped_for_the_newest_of_its_camera_analysed_in_its_place():
    _exam, [client] = started_attempt()
    oldest = _stored(client, frame("obama"))
    clock.shift(dt.timedelta(seconds=15))
    middle = _stored(client, frame("obama2"))
    clock.shift(dt.timedelta(seconds=15))
    newest = _stored(client, two_faces())
    phone = _stored(client, frame("obama"), camera="phone")

    assert services.analysis_run(snapshot_id=oldest.pk) == "skipped"

    statuses = dict(Snapshot.objects.values_list("pk", "analysis_status"))
    assert [statuses[s.pk] for s in (oldest, middle, newest, phone)] == [
        "skipped", "skipped", "done", "pending"]
    assert Snapshot.objects.get(pk=middle.pk).analysis == {"superseded_by": str(newest.pk)}
    assert _flag_types() == ["several_faces"]  # the newest picture's finding
    # their own tasks, later, find nothing left to do
    assert services.analysis_run(snapshot_id=middle.pk) == "skipped"
    assert services.analysis_run(snapshot_id=newest.pk) == "done"
    assert Flag.objects.get().count == 1


def test_a_queue_lagging_more_than_the_interval_still_analyses_every_camera():
    """With the queue's lag above the camera's interval, each task's turn comes when a
    newer picture already waits. A turn must then analyse the newest picture, not skip
    for a newer one whose own turn would find a newer one again (nothing analysed)."""
    _exam, [client] = started_attempt()
    queue = [_stored(client, frame("obama"))]
    age_of_newest_analysed = []
    for name in ["obama2", "obama3", "obama", "obama2"]:
        clock.shift(dt.timedelta(seconds=15))
        queue.append(_stored(client, frame(name)))  # uploaded before the previous one's turn
        services.analysis_run(snapshot_id=queue.pop(0).pk)
        newest = (Snapshot.objects.filter(analysis_status="done")
                  .order_by("-taken_at").values_list("taken_at", flat=True).first())
        age_of_newest_analysed.append(newest and round((clock.now() - newest).total_seconds()))

    # every other turn analyses the picture just uploaded; the turn between is the
    # analysed picture's own task, which finds it done
    assert age_of_newest_analysed == [0, 15, 0, 15]


def test_the_analysis_lag_is_the_age_of_the_oldest_pending_snapshot():
    _exam, [client] = started_attempt()
    assert selectors.analysis_lag().pending == 0
    _stored(client, frame("obama"))
    _stored(client, frame("obama"), camera="phone")

    clock.shift(dt.timedelta(seconds=42))
    lag = selectors.analysis_lag()

    assert lag.pending == 2
    assert lag.oldest_pending_seconds >= 42


def _age(snapshot: Snapshot, seconds: float) -> Snapshot:
    Snapshot.objects.filter(pk=snapshot.pk).update(
        taken_at=clock.now() - dt.timedelta(seconds=seconds))
    snapshot.refresh_from_db()
    return snapshot


def test_the_sweep_requeues_the_newest_stale_snapshot_of_each_camera_oldest_first(monkeypatch):
    from examhall.proctoring import tasks
    from examhall.proctoring.services import analysis

    queued: list = []
    monkeypatch.setattr(analysis, "analysis_enqueue",
                        lambda *, snapshot_id: queued.append(snapshot_id))
    _exam, [alice, bob, carol] = started_attempt(candidates=3)
    alice_old, alice_older, alice_newest = (
        _age(_stored(alice, frame(name)), age)
        for name, age in (("obama", 500), ("obama2", 400), ("obama3", 300)))
    bob_recent = _stored(bob, frame("obama"))  # its task is still on its way
    carol_phone = _age(_stored(carol, frame("obama"), camera="phone"), 900)

    count = tasks.requeue_analysis()

    assert count == 2
    assert queued == [carol_phone.pk, alice_newest.pk]  # the camera waiting longest first
    statuses = dict(Snapshot.objects.values_list("pk", "analysis_status"))
    assert statuses[alice_old.pk] == statuses[alice_older.pk] == "skipped"
    assert statuses[alice_newest.pk] == statuses[carol_phone.pk] == "pending"
    assert statuses[bob_recent.pk] == "pending"
    assert "requeued_at" in Snapshot.objects.get(pk=alice_newest.pk).analysis

    # Queued again a moment ago: the next sweep leaves them to their task.
    assert tasks.requeue_analysis() == 0 and len(queued) == 2


def test_the_sweep_age_threshold_is_a_setting_and_done_snapshots_are_left_alone(
        monkeypatch, settings):
    from examhall.proctoring import tasks
    from examhall.proctoring.services import analysis

    queued: list = []
    monkeypatch.setattr(analysis, "analysis_enqueue",
                        lambda *, snapshot_id: queued.append(snapshot_id))
    _exam, [client] = started_attempt()
    pending = _stored(client, frame("obama"))
    done = _analysed(client, frame("obama2"), camera="phone")
    settings.EXAMHALL_ANALYSIS_REQUEUE_AFTER_SECONDS = 600
    assert tasks.requeue_analysis() == 0

    settings.EXAMHALL_ANALYSIS_REQUEUE_AFTER_SECONDS = 0

    assert tasks.requeue_analysis() == 1
    assert queued == [pending.pk]
    assert Snapshot.objects.get(pk=done.pk).analysis_status == "done"


# --- the cheap first detection pass (presets: pc_detect_side) ----------------------


def _far_back() -> bytes:
    """One candidate sitting far back: a face of about 70 px in a 640×480 frame, too
    small for a detection pass at 320 px."""
    canvas = Image.new("RGB", (640, 480), (128, 128, 128))
    photo = face_photo("obama2")
    photo.thumbnail((240, 240))
    canvas.paste(photo, ((640 - photo.width) // 2, (480 - photo.height) // 2))
    return jpeg(np.asarray(canvas))


def _near_and_far() -> bytes:
    """The candidate close to the camera and a second, small face in the background."""
    canvas = Image.new("RGB", (640, 480), (128, 128, 128))
    near = face_photo("obama")
    near.thumbnail((480, 480))
    canvas.paste(near, (0, 0))
    far = face_photo("obama2")
    far.thumbnail((240, 240))
    canvas.paste(far, (640 - far.width, 480 - far.height))
    return jpeg(np.asarray(canvas))


@pytest.mark.parametrize("sensitivity", ["standard", "relaxed"])
def test_a_face_is_looked_for_on_a_small_copy_first(sensitivity):
    exam, [client] = started_attempt()
    MonitoringPolicy.objects.create(exam=exam, sensitivity=sensitivity)

    snapshot = _analysed(client, frame("obama"))  # no reference photo: no identity check

    assert snapshot.analysis["face_count"] == 1
    assert snapshot.analysis["detect_side"] == 320
    assert _flag_types() == []


def test_a_candidate_far_back_is_found_by_the_second_pass_not_called_absent():
    _exam, [client] = started_attempt()

    snapshot = _analysed(client, _far_back())

    assert snapshot.analysis["face_count"] == 1
    assert snapshot.analysis["detect_side"] == 640
    assert _flag_types() == []  # not candidate_absent


def test_a_large_picture_is_decoded_small_for_the_first_pass():
    _exam, [client] = started_attempt()
    large = np.asarray(Image.fromarray(frame_array("obama", (640, 480))).resize((1280, 960)))

    snapshot = _analysed(client, jpeg(large))

    assert (snapshot.width, snapshot.height) == (1280, 960)
    assert snapshot.analysis["face_count"] == 1
    assert snapshot.analysis["detect_side"] == 320


@pytest.mark.parametrize(("sensitivity", "faces", "flags"), [
    ("strict", 2, ["several_faces"]),
    # The documented trade-off of the cheap pass (presets.Thresholds.pc_detect_side): a
    # face too small for it is not looked for once the candidate's face is found.
    ("standard", 1, []),
])
def test_strict_looks_at_full_size_for_a_small_second_face(sensitivity, faces, flags):
    exam, [client] = started_attempt()
    MonitoringPolicy.objects.create(exam=exam, sensitivity=sensitivity)

    snapshot = _analysed(client, _near_and_far())

    assert snapshot.analysis["face_count"] == faces
    assert snapshot.analysis["detect_side"] == (640 if sensitivity == "strict" else 320)
    assert _flag_types() == flags


def test_the_phone_is_always_looked_at_full_size():
    _exam, [client] = started_attempt()

    snapshot = _analysed(client, frame("obama"), camera="phone")

    assert snapshot.analysis["face_count"] == 1
    assert snapshot.analysis["detect_side"] == 640


def test_an_identity_check_counts_the_faces_at_full_size():
    _exam, [client] = started_attempt()
    _enrol(client, "obama")

    snapshot = _analysed(client, _near_and_far())

    assert snapshot.analysis["identity"] == {"skipped": "several_faces"}
    assert snapshot.analysis["face_count"] == 2
    assert _flag_types() == ["several_faces"]
