"""Embedded profile: the upload returns at once and this process's analysis thread
analyses the snapshot afterwards; a full queue loses nothing."""

from __future__ import annotations

import time

import pytest
from django.conf import settings

from examhall.identity.tests.frames import frame
from examhall.proctoring import worker
from examhall.proctoring.models import Flag, Snapshot
from examhall.proctoring.tests.helpers import started_attempt, two_faces, upload

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(not settings.CELERY_TASK_ALWAYS_EAGER,
                       reason="with a broker, Celery workers analyse (see tests/)"),
]


def _wait_until_analysed(count: int) -> list[str]:
    give_up = time.monotonic() + 60
    while time.monotonic() < give_up:
        statuses = list(Snapshot.objects.values_list("analysis_status", flat=True))
        if len(statuses) == count and "pending" not in statuses:
            return statuses
        time.sleep(0.1)
    return list(Snapshot.objects.values_list("analysis_status", flat=True))


def test_an_uploaded_snapshot_is_analysed_in_the_background():
    _exam, [client] = started_attempt()
    try:
        response = upload(client, two_faces())

        assert response.status_code == 202
        assert response.json()["analysis"] == "pending"  # the request did not analyse
        assert _wait_until_analysed(1) == ["done"]
        assert Flag.objects.get().type == "several_faces"
    finally:
        worker.shutdown()


def test_a_full_queue_falls_back_to_the_database_and_works_newest_first(monkeypatch):
    monkeypatch.setattr(worker, "submit", lambda snapshot_id: None)  # keep the uploads queued
    _exam, [alice, bob] = started_attempt(candidates=2)
    for name in ["obama", "obama2", "obama3"]:
        assert upload(alice, frame(name)).status_code == 202
    assert upload(bob, two_faces()).status_code == 202
    ids = list(Snapshot.objects.order_by("taken_at").values_list("pk", flat=True))
    small = worker.AnalysisWorker(maxsize=1)
    try:
        for snapshot_id in ids:
            small.submit(snapshot_id)

        statuses = _wait_until_analysed(4)
    finally:
        small.stop()

    assert sorted(statuses) == ["done", "done", "skipped", "skipped"]
    newest_of_alice = Snapshot.objects.filter(attempt_id=alice.attempt_id).first()
    assert newest_of_alice.analysis_status == "done"
    assert Flag.objects.get().attempt_id == bob.registration.attempt.pk
    assert small.stats.analysed == 2
