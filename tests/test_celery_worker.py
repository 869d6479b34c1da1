"""With a broker configured (`make test-services`), a real Celery worker runs the
expiry job against the test database: an expired attempt gets submitted and graded —
also while an analysis backlog waits in its own queue, which the job does not queue
behind."""

from __future__ import annotations

import datetime as dt
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest
from django.conf import settings
from redis import Redis

from examhall.core import clock
from examhall.delivery import services
from examhall.delivery.models import Attempt
from examhall.delivery.tasks import submit_expired_attempts
from examhall.devtools import factories
from examhall.proctoring.tasks import analyse_snapshots_task
from tests.servers import ROOT, subprocess_env

BACKLOG = 50

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(settings.CELERY_TASK_ALWAYS_EAGER,
                       reason="no broker: background work runs in-process"),
]


@pytest.fixture
def celery_worker(request: pytest.FixtureRequest):
    queues = getattr(request, "param", None)  # e.g. ["-Q", "celery"]: the jobs worker
    log_path = Path(ROOT, "var", "test-logs", "celery-worker.log")
    log_path.parent.mkdir(parents=True, exist_ok=True)
    with log_path.open("wb") as log:
        worker = subprocess.Popen(
            [sys.executable, "-m", "celery", "-A", "config", "worker", "--pool", "solo",
             "--concurrency", "1", "--without-gossip", "--without-mingle", "--loglevel", "INFO",
             *(queues or [])],
            cwd=ROOT, env=subprocess_env(), stdout=log, stderr=subprocess.STDOUT,
        )
        try:
            yield worker
        finally:
            worker.terminate()
            try:
                worker.wait(timeout=15)
            except subprocess.TimeoutExpired:
                worker.kill()


def _expired_attempt() -> Attempt:
    _e, _s, _se, _r, [(registration, _id)] = factories.make_sitting()
    attempt = services.attempt_start(
        attempt_id=Attempt.objects.create(registration=registration).pk
    )
    # The worker runs on the real clock: make this attempt's time run out for real.
    Attempt.objects.filter(pk=attempt.pk).update(deadline=clock.now() - dt.timedelta(hours=1))
    return attempt


def _wait_graded(attempt: Attempt, celery_worker: subprocess.Popen) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        attempt.refresh_from_db()
        if attempt.state == "graded":
            break
        assert celery_worker.poll() is None, "the Celery worker died; see var/test-logs"
        time.sleep(0.5)
    assert attempt.state == "graded"
    assert attempt.submit_reason == "time_up"


def test_given_expired_attempt_when_task_queued_then_worker_submits_it(celery_worker):
    attempt = _expired_attempt()

    submit_expired_attempts.delay()

    _wait_graded(attempt, celery_worker)


@pytest.mark.parametrize("celery_worker", [["-Q", "celery"]], indirect=True)
def test_the_expiry_job_does_not_wait_behind_an_analysis_backlog(celery_worker):
    """Pictures to analyse go to the "analysis" queue: the jobs worker (`-Q celery`, as
    production runs it beside the analysis workers) submits the expired attempt while a
    backlog of analysis waits untouched."""
    redis = Redis.from_url(settings.CELERY_BROKER_URL)
    redis.delete("analysis")
    try:
        for _ in range(BACKLOG):
            analyse_snapshots_task.delay([str(uuid.uuid4())])
        attempt = _expired_attempt()

        submit_expired_attempts.delay()

        _wait_graded(attempt, celery_worker)
        assert redis.llen("analysis") == BACKLOG  # routed apart, left for the analysts
    finally:
        redis.delete("analysis")
