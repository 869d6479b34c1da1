"""Embedded profile: the ASGI process itself submits expired attempts (a candidate
who closed the laptop is still submitted on time), with no Celery and no Redis."""

from __future__ import annotations

import datetime as dt
import time

import pytest
from django.conf import settings

from examhall.core import clock
from examhall.delivery import services
from examhall.delivery.models import Attempt
from examhall.devtools import factories
from tests.servers import ROOT, uvicorn_server

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(not settings.CELERY_TASK_ALWAYS_EAGER,
                       reason="with a broker, Celery beat and workers run the job"),
]


def test_uvicorn_process_submits_expired_attempts_on_its_own():
    _e, _s, _se, _r, [(registration, _id)] = factories.make_sitting()
    attempt = services.attempt_start(
        attempt_id=Attempt.objects.create(registration=registration).pk
    )
    grace = dt.timedelta(seconds=settings.EXAMHALL_ANSWER_GRACE_SECONDS)
    Attempt.objects.filter(pk=attempt.pk).update(
        deadline=clock.now() - grace - dt.timedelta(seconds=5)
    )

    log = ROOT / "var" / "test-logs" / "uvicorn-scheduler.log"
    with uvicorn_server(log, EXPIRY_INTERVAL_SECONDS="1"):
        give_up = time.monotonic() + 30
        while time.monotonic() < give_up:
            attempt.refresh_from_db()
            if attempt.state == "graded":
                break
            time.sleep(0.3)

    assert attempt.state == "graded"
    assert attempt.submit_reason == "time_up"
