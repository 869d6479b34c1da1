"""With a broker configured (`make test-services`), real Celery workers analyse uploaded
snapshots; a worker killed mid-task loses no snapshot (acks late: the message is
delivered again and the analysis, being idempotent, counts once)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection, transaction

from examhall.delivery.models import Attempt
from examhall.proctoring.models import Flag, Snapshot
from examhall.proctoring.tests.helpers import started_attempt, two_faces, upload
from tests.servers import ROOT, subprocess_env

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(settings.CELERY_TASK_ALWAYS_EAGER,
                       reason="no broker: snapshots are analysed by the in-process worker"),
]

# The worker as `celery -A config worker`, with a short visibility timeout so that a
# message left unacknowledged by a killed worker comes back within seconds, not an hour.
WORKER = """
import sys
from config.celery import app
app.conf.broker_transport_options = {"visibility_timeout": float(sys.argv[1])}
app.worker_main(["worker", "--pool", "solo", "--concurrency", "1", "--without-gossip",
                 "--without-mingle", "--without-heartbeat", "--loglevel", "INFO"])
"""


@contextmanager
def celery_worker(name: str, *, visibility_timeout: float = 3600) -> Iterator[subprocess.Popen]:
    log_path = Path(ROOT, "var", "test-logs", f"proctoring-{name}.log")
    log_path.parent.mkdir(parents=True, exist_ok=True)
    with log_path.open("wb") as log:
        worker = subprocess.Popen([sys.executable, "-c", WORKER, str(visibility_timeout)],
                                  cwd=ROOT, env=subprocess_env(), stdout=log,
                                  stderr=subprocess.STDOUT)
        try:
            yield worker
        finally:
            if worker.poll() is None:
                worker.terminate()
                try:
                    worker.wait(timeout=15)
                except subprocess.TimeoutExpired:
                    worker.kill()


def _wait_for(condition, worker: subprocess.Popen | None = None, give_up: float = 90) -> bool:
    deadline = time.monotonic() + give_up
    while time.monotonic() < deadline:
        if condition():
            return True
        if worker is not None:
            assert worker.poll() is None, "the Celery worker died; see var/test-logs"
        time.sleep(0.2)
    return False


def _analysed() -> bool:
    return Snapshot.objects.filter(analysis_status="done").exists()


def test_a_worker_analyses_an_uploaded_snapshot():
    _exam, [client] = started_attempt()
    with celery_worker("analysis") as worker:
        response = upload(client, two_faces())
        assert response.status_code == 202 and response.json()["analysis"] == "pending"

        assert _wait_for(_analysed, worker)

    flag = Flag.objects.get()
    assert flag.type == "several_faces" and flag.evidence.count() == 1


def _someone_waits_for_a_lock() -> bool:
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_stat_clear_snapshot()")  # else frozen for the transaction
        cursor.execute("SELECT count(*) FROM pg_stat_activity "
                       "WHERE datname = current_database() AND wait_event_type = 'Lock'")
        return cursor.fetchone()[0] > 0


VISIBILITY_TIMEOUT = 2.0


@pytest.mark.skipif(connection.vendor != "postgresql",
                    reason="holds a row lock to catch the worker mid-task")
def test_a_worker_killed_mid_task_loses_nothing_the_task_is_delivered_again():
    _exam, [client] = started_attempt()
    assert upload(client, two_faces()).status_code == 202  # queued; no worker yet
    snapshot = Snapshot.objects.get()

    # Hold the attempt's row lock: the first worker's analysis stops at writing its flag.
    with transaction.atomic():
        Attempt.objects.select_for_update().get(pk=client.attempt_id)
        with celery_worker("killed", visibility_timeout=VISIBILITY_TIMEOUT) as first:
            assert _wait_for(_someone_waits_for_a_lock, first), "the task never started"
            os.kill(first.pid, signal.SIGKILL)
            first.wait(timeout=15)
    snapshot.refresh_from_db()
    assert snapshot.analysis_status == "pending"  # the killed task's work was rolled back

    # kombu's Redis transport gives back unacknowledged messages older than the
    # visibility timeout when a worker starts, then only every tenth 10-second tick
    # (100 s): the second worker must start once the killed one's message is older.
    time.sleep(VISIBILITY_TIMEOUT + 0.5)
    with celery_worker("redelivered", visibility_timeout=VISIBILITY_TIMEOUT) as second:
        assert _wait_for(_analysed, second)

    flag = Flag.objects.get()
    assert flag.type == "several_faces" and flag.count == 1


def test_a_snapshot_pending_with_the_broker_down_is_analysed_after_the_sweep(monkeypatch):
    import datetime as dt

    from examhall.core import clock
    from examhall.proctoring import tasks
    from examhall.proctoring.publisher import publisher

    def broker_down(*_args, **_kwargs):
        raise ConnectionError("the broker cannot be reached")

    monkeypatch.setattr(tasks.analyse_snapshots_task, "delay", broker_down)
    _exam, [client] = started_attempt()
    assert upload(client, two_faces()).status_code == 202  # stored all the same
    assert publisher.flush() == 0  # the batch could not be published (logged)
    monkeypatch.undo()
    Snapshot.objects.update(taken_at=clock.now() - dt.timedelta(minutes=3))

    assert Snapshot.objects.get().analysis_status == "pending"

    with celery_worker("sweep") as worker:
        assert tasks.requeue_analysis() == 1  # what Celery beat runs every minute

        assert _wait_for(_analysed, worker)

    assert Flag.objects.get().type == "several_faces"


def test_uploads_close_together_reach_the_broker_as_one_message(settings):
    """The web process publishes the analysis of several uploads as one message (about
    2 ms of its CPU each saved), and a worker started later analyses them all."""
    import base64
    import json

    import redis

    settings.EXAMHALL_SNAPSHOT_RATE = "100/m"
    broker = redis.Redis.from_url(settings.CELERY_BROKER_URL)
    broker.delete("analysis")
    _exam, clients = started_attempt(candidates=3)
    for client in clients:
        assert upload(client, two_faces()).status_code == 202
    assert _wait_for(lambda: broker.llen("analysis") > 0, give_up=10)
    time.sleep(0.5)  # anything still gathering

    messages = [json.loads(raw) for raw in broker.lrange("analysis", 0, -1)]
    batches = [json.loads(base64.b64decode(message["body"]))[0][0] for message in messages
               if message["headers"]["task"] == "examhall.proctoring.tasks.analyse_snapshots"]
    assert sorted(id_ for batch in batches for id_ in batch) == sorted(
        str(pk) for pk in Snapshot.objects.values_list("pk", flat=True))
    assert len(batches) < 3  # gathered, not one message per upload

    with celery_worker("batch") as worker:
        assert _wait_for(lambda: Snapshot.objects.filter(analysis_status="done").count() == 3,
                         worker)
