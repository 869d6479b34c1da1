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


def test_a_snapshot_whose_queueing_was_lost_is_analysed_after_the_sweep(monkeypatch):
    import datetime as dt

    from examhall.core import clock
    from examhall.proctoring import tasks

    def lost(*_args):
        raise ConnectionError("the queue is gone")

    monkeypatch.setattr(worker, "submit", lost)
    _exam, [client] = started_attempt()
    assert upload(client, two_faces()).status_code == 202
    monkeypatch.undo()
    # Three minutes later nothing has analysed it: its job never reached the worker.
    Snapshot.objects.update(taken_at=clock.now() - dt.timedelta(minutes=3))
    assert Snapshot.objects.get().analysis_status == "pending"

    try:
        assert tasks.requeue_analysis() == 1

        assert _wait_until_analysed(1) == ["done"]
        assert Flag.objects.get().type == "several_faces"
    finally:
        worker.shutdown()


def test_named_jobs_run_on_the_worker_thread_at_a_lower_priority():
    import os
    import threading
    import uuid

    ran: list[tuple[uuid.UUID, str, int]] = []

    def echo(object_id: uuid.UUID) -> None:
        ran.append((object_id, threading.current_thread().name,
                    os.getpriority(os.PRIO_PROCESS, threading.get_native_id())))

    worker.register_job("test-echo", echo)
    job_id = uuid.uuid4()
    background = worker.AnalysisWorker()
    try:
        background.submit("test-echo", job_id)
        give_up = time.monotonic() + 30
        while not ran and time.monotonic() < give_up:
            time.sleep(0.05)
        with pytest.raises(ValueError, match="unknown job kind"):
            background.submit("no-such-kind", job_id)
    finally:
        background.stop()

    assert ran and ran[0][:2] == (job_id, "snapshot-analysis")
    assert background.stats.jobs == 1
    here = os.getpriority(os.PRIO_PROCESS, threading.get_native_id())
    assert ran[0][2] == min(19, here + worker.ANALYSIS_NICE) > here


def test_the_thread_outlives_a_database_that_fails_between_rounds(monkeypatch):
    """Closing the connections after a round raises (a database gone away): the same
    thread logs it and goes on with the next upload instead of ending."""
    from django.db import OperationalError

    calls = {"n": 0}
    real_close = worker.close_old_connections

    def flaky_close() -> None:
        calls["n"] += 1
        if calls["n"] == 2:  # the close after the first round
            raise OperationalError("server closed the connection unexpectedly")
        real_close()

    monkeypatch.setattr(worker, "close_old_connections", flaky_close)
    _exam, [client] = started_attempt()
    analyser = worker.AnalysisWorker()
    try:
        monkeypatch.setattr(worker, "submit", analyser.submit)
        assert upload(client, two_faces()).status_code == 202
        assert _wait_until_analysed(1) == ["done"]
        thread = analyser._thread
        assert upload(client, frame("obama")).status_code == 202
        assert _wait_until_analysed(2) == ["done", "done"]
        assert calls["n"] >= 2
        assert analyser._thread is thread and thread.is_alive()  # not a new one
    finally:
        analyser.stop()
