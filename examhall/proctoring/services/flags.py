"""Raising flags: a finding extends the open episode of its kind (same attempt, type
and camera, the last one within the gap window) or starts a new one."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

from django.db import transaction

from examhall.core.realtime import send_event_on_commit
from examhall.delivery.models import Attempt
from examhall.proctoring.models import Flag, Snapshot
from examhall.proctoring.selectors import open_flag
from examhall.proctoring.taxonomy import FLAG_TYPES

EVIDENCE_MAX = 6
"""Snapshots kept as evidence per flag: the first ones and the most recent."""


def _lock_attempt(attempt_id: uuid.UUID) -> Attempt:
    """The one lock taken before writing flags: findings of one attempt are serialised."""
    return (Attempt.objects.select_for_update().select_related("registration")
            .get(pk=attempt_id))


def _add_evidence(flag: Flag, snapshot: Snapshot) -> None:
    kept = list(flag.evidence.order_by("taken_at").values_list("pk", flat=True))
    if snapshot.pk in kept:
        return
    if len(kept) >= EVIDENCE_MAX:
        # Keep the first half (how it began) and make room among the later ones.
        flag.evidence.remove(kept[EVIDENCE_MAX // 2])
    flag.evidence.add(snapshot)


def flag_raise(*, attempt_id: uuid.UUID, flag_type: str, at: dt.datetime, gap_seconds: int,
               camera: str = "", snapshot: Snapshot | None = None, occurrences: int = 1,
               details: dict[str, Any] | None = None) -> Flag:
    """Record a finding: extend the open flag of this kind seen within ``gap_seconds``
    (count, last time, evidence), or open a new one."""
    kind = FLAG_TYPES[flag_type]
    with transaction.atomic():
        attempt = _lock_attempt(attempt_id)
        flag = open_flag(attempt_id=attempt_id, flag_type=flag_type, camera=camera,
                         seen_since=at - dt.timedelta(seconds=gap_seconds))
        if flag is None:
            flag = Flag.objects.create(
                attempt_id=attempt_id, type=flag_type, camera=camera, category=kind.category,
                severity=kind.severity, first_at=at, last_at=at, count=occurrences,
                details=details or {})
            new = True
        else:
            flag.count += occurrences
            flag.last_at = max(flag.last_at, at)
            flag.details = details or flag.details
            flag.save(update_fields=["count", "last_at", "details", "updated_at"])
            new = False
        if snapshot is not None:
            _add_evidence(flag, snapshot)
        send_event_on_commit(
            f"room.{attempt.registration.room_id}",
            {"kind": "proctoring.flag", "attempt": str(attempt_id), "flag": str(flag.pk),
             "flag_type": flag_type, "camera": camera, "severity": flag.severity,
             "count": flag.count, "new": new})
    return flag


def flag_touch(*, flag: Flag, at: dt.datetime) -> Flag:
    """The same finding still holds (e.g. a camera still lost): move its last time on."""
    Flag.objects.filter(pk=flag.pk, last_at__lt=at).update(last_at=at)
    flag.last_at = max(flag.last_at, at)
    return flag
