"""With a broker configured (`make test-services`), a real Celery worker runs the
expiry job against the test database: an expired attempt gets submitted and graded."""

from __future__ import annotations

import datetime as dt
import subprocess
import sys
import time
from pathlib import Path

import pytest
from django.conf import settings

from examhall.core import clock
from examhall.delivery import services
from examhall.delivery.models import Attempt
from examhall.delivery.tasks import submit_expired_attempts
from examhall.devtools import factories
from tests.servers import ROOT, subprocess_env

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(settings.CELERY_TASK_ALWAYS_EAGER,
                       reason="no broker: background work runs in-process"),
]


@pytest.fixture
def celery_worker():
    log_path = Path(ROOT, "var", "test-logs", "celery-worker.log")
    log_path.parent.mkdir(parents=True, exist_ok=True)
    with log_path.open("wb") as log:
        worker = subprocess.Popen(
            [sys.executable, "-m", "celery", "-A", "config", "worker", "--pool", "solo",
             "--concurrency", "1", "--without-gossip", "--without-mingle", "--loglevel", "INFO"],
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


def test_given_expired_attempt_when_task_queued_then_worker_submits_it(celery_worker):
    _e, _s, _se, _r, [(registration, _id)] = factories.make_sitting()
    attempt = services.attempt_start(
        attempt_id=Attempt.objects.create(registration=registration).pk
    )
    # The worker runs on the real clock: make this attempt's time run out for real.
    Attempt.objects.filter(pk=attempt.pk).update(deadline=clock.now() - dt.timedelta(hours=1))

    submit_expired_attempts.delay()

    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        attempt.refresh_from_db()
        if attempt.state == "graded":
            break
        assert celery_worker.poll() is None, "the Celery worker died; see var/test-logs"
        time.sleep(0.5)
    assert attempt.state == "graded"
    assert attempt.submit_reason == "time_up"
