"""A Celery analysis worker in a session of its own lowers its session's CPU priority
(Linux autogroup), so that it really yields to the web server; a process in a session
that is neither its own nor its parent's leaves the session alone."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.servers import ROOT, subprocess_env

pytestmark = pytest.mark.skipif(not Path("/proc/self/autogroup").exists(),
                                reason="no autogroup scheduling on this system")

PROBE = """
import json
import django
django.setup()
from examhall.proctoring import worker
before = open(worker.AUTOGROUP).read().split()[-1]
result = worker.lower_session_priority()
after = open(worker.AUTOGROUP).read().split()[-1]
print(json.dumps({"before": int(before), "result": result, "after": int(after)}))
"""


def _probe(*, own_session: bool) -> dict[str, int | None]:
    done = subprocess.run([sys.executable, "-c", PROBE], cwd=ROOT, env=subprocess_env(),
                          capture_output=True, text=True, timeout=120,
                          start_new_session=own_session, check=True)
    return json.loads(done.stdout.strip().splitlines()[-1])


def test_a_worker_leading_its_own_session_raises_the_sessions_nice():
    from examhall.proctoring.worker import ANALYSIS_NICE

    outcome = _probe(own_session=True)

    assert outcome["before"] == 0
    assert outcome["result"] == outcome["after"] == ANALYSIS_NICE


@pytest.mark.skipif(os.getsid(0) == os.getpid(),
                    reason="the test process leads its session: the probe's parent would")
def test_a_process_inside_another_session_leaves_the_session_alone():
    outcome = _probe(own_session=False)

    assert outcome["result"] is None
    assert outcome["after"] == outcome["before"]
