"""A Celery analysis worker in a session of its own lowers its session's CPU priority
(Linux autogroup), so that it really yields to the web server; a process in a session
that is neither its own nor its parent's leaves the session alone."""

from __future__ import annotations

import json
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


# `python -c LAUNCH_CHILD A B ...` runs `python -c A B ...` as its child: with two
# LAUNCH_CHILDs ahead of it the probe is the grandchild of the session leader.
LAUNCH_CHILD = """
import subprocess, sys
sys.exit(subprocess.run([sys.executable, "-c", *sys.argv[1:]]).returncode)
"""


def _probe(*, depth: int) -> dict[str, int | None]:
    """Run the probe in a new session, ``depth`` processes below the session leader
    (0: the probe leads it). A new session, because a process in the init process's
    session has no autogroup of its own (an empty /proc/self/autogroup): CI runs so."""
    command = [sys.executable, "-c", *[LAUNCH_CHILD] * depth, PROBE]
    done = subprocess.run(command, cwd=ROOT, env=subprocess_env(),
                          capture_output=True, text=True, timeout=120,
                          start_new_session=True)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout.strip().splitlines()[-1])


def test_a_worker_leading_its_own_session_raises_the_sessions_nice():
    from examhall.proctoring.worker import ANALYSIS_NICE

    outcome = _probe(depth=0)

    assert outcome["before"] == 0
    assert outcome["result"] == outcome["after"] == ANALYSIS_NICE


def test_a_child_of_a_session_leading_worker_raises_the_sessions_nice():
    from examhall.proctoring.worker import ANALYSIS_NICE

    outcome = _probe(depth=1)  # a child of Celery's prefork pool

    assert outcome["result"] == outcome["after"] == ANALYSIS_NICE


def test_a_process_inside_another_session_leaves_the_session_alone():
    outcome = _probe(depth=2)

    assert outcome["result"] is None
    assert outcome["after"] == outcome["before"]
