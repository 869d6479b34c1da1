"""The periodic check for lost cameras: a camera that was seen during the exam and has
been silent (no snapshot, no heartbeat) for longer than the exam's grace period."""

from __future__ import annotations

import datetime as dt
import uuid

from django.db.models import Min

from examhall.core import clock
from examhall.delivery.models import AttemptState
from examhall.proctoring.models import CameraPresence, Flag, MonitoringPolicy
from examhall.proctoring.presets import PRESETS
from examhall.proctoring.selectors import open_flag, policy_for, thresholds_for
from examhall.proctoring.services.flags import flag_raise, flag_touch


def cameras_check_lost() -> list[Flag]:
    """Raise (or keep up to date) a "camera lost" flag for each silent camera of an
    attempt in progress. Idempotent: one outage is one occurrence, however often this
    runs; the flag's last time follows the outage."""
    now = clock.now()
    custom = MonitoringPolicy.objects.aggregate(least=Min("grace_seconds"))["least"]
    shortest = min([preset.grace_seconds for preset in PRESETS.values()] + [custom or 3600])
    silent = (CameraPresence.objects
              .filter(attempt__state=AttemptState.IN_PROGRESS,
                      last_seen_at__lt=now - dt.timedelta(seconds=shortest))
              .select_related("attempt__registration")
              .order_by("attempt_id", "camera"))
    thresholds: dict[uuid.UUID, int] = {}
    flags = []
    for presence in silent:
        exam_id = presence.attempt.registration.exam_id
        if exam_id not in thresholds:
            policy = policy_for(exam_id)
            thresholds[exam_id] = thresholds_for(policy).grace_seconds
        grace = dt.timedelta(seconds=thresholds[exam_id])
        if now - presence.last_seen_at <= grace:
            continue
        flags.append(_flag_lost(presence, now, grace))
    return flags


def _flag_lost(presence: CameraPresence, now: dt.datetime, grace: dt.timedelta) -> Flag:
    ongoing = open_flag(attempt_id=presence.attempt_id, flag_type="camera_lost",
                        camera=presence.camera,
                        seen_since=presence.last_seen_at)
    if ongoing is not None:  # the same outage, noticed again
        return flag_touch(flag=ongoing, at=now)
    policy = policy_for(presence.attempt.registration.exam_id)
    return flag_raise(attempt_id=presence.attempt_id, flag_type="camera_lost",
                      camera=presence.camera, at=now,
                      gap_seconds=thresholds_for(policy).episode_gap_seconds,
                      details={"last_seen_at": presence.last_seen_at.isoformat(),
                               "grace_seconds": int(grace.total_seconds())})
