"""The analysis lag, as the operator reads it from the command line."""

from __future__ import annotations

import datetime as dt
import io
import json

import pytest
from django.core.management import call_command
from django.utils import timezone

from examhall.proctoring.models import Snapshot
from examhall.proctoring.tests.helpers import frame, started_attempt, upload

pytestmark = pytest.mark.django_db


def _lag(*args: str) -> tuple[dict, int]:
    out = io.StringIO()
    try:
        call_command("proctoring_analysis_lag", "--json", *args, stdout=out)
        status = 0
    except SystemExit as exit_:
        status = int(exit_.code)
    return json.loads(out.getvalue()), status


def test_the_command_reports_waiting_pictures_and_warns_when_too_old(settings) -> None:
    settings.EXAMHALL_ANALYSIS_INPROCESS = False  # nothing analyses: the picture waits
    settings.CELERY_TASK_ALWAYS_EAGER = False
    settings.CELERY_BROKER_URL = "memory://"
    assert _lag() == ({"pending": 0, "oldest_pending_seconds": 0.0}, 0)
    _exam, [client] = started_attempt()
    assert upload(client, frame("obama")).status_code == 202
    Snapshot.objects.update(taken_at=timezone.now() - dt.timedelta(minutes=5))
    report, status = _lag()
    assert report["pending"] == 1 and report["oldest_pending_seconds"] >= 300
    assert status == 1
    assert _lag("--warn-seconds", "3600")[1] == 0
