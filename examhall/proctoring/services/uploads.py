"""What the cameras and the exam page send: snapshots, heartbeats, browser events.

An upload is decoded, re-encoded and stored, its row written and its analysis queued
after commit; the request never waits for the analysis.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from django.core.files.base import ContentFile
from django.db import transaction
from django.utils.translation import gettext as _

from examhall.core import clock
from examhall.core.errors import ApplicationError, NotFound
from examhall.core.realtime import send_event_on_commit
from examhall.delivery.models import Attempt, AttemptState
from examhall.delivery.selectors import signed_in_elsewhere
from examhall.proctoring import images
from examhall.proctoring.models import BrowserEvent, Camera, CameraPresence, Snapshot
from examhall.proctoring.selectors import policy_for, thresholds_for
from examhall.proctoring.services.flags import flag_raise
from examhall.proctoring.taxonomy import EVENT_FLAGS

logger = logging.getLogger(__name__)

MONITORED_STATES = (AttemptState.IN_PROGRESS, AttemptState.PAUSED)
EVENTS_MAX = 100
EVENT_DETAILS_MAX = 1000  # characters of JSON per event


def _refuse_unless_monitored(attempt: Attempt) -> None:
    if attempt.state not in MONITORED_STATES:
        raise ApplicationError("attempt_not_in_progress",
                               _("The exam is not in progress: monitoring has not started "
                                 "or is over."), status=409,
                               details={"state": attempt.state})


def _check_camera(camera: str) -> None:
    if camera not in Camera.values:
        raise ApplicationError("invalid_input", _("The camera is pc or phone."), status=422,
                               details={"fields": [{"field": "camera",
                                                    "problem": "pc or phone"}]})


_IMAGE_ERRORS = {
    "too_large": (413, "image_too_large"),
    "too_many_pixels": (413, "image_too_large"),
    "unsupported_type": (415, "unsupported_image_type"),
    "not_decodable": (422, "invalid_image"),
}


def _clean(data: bytes) -> images.CleanImage:
    try:
        return images.clean_snapshot(data)
    except images.SnapshotImageError as error:
        status, code = _IMAGE_ERRORS[error.code]
        message = {
            "image_too_large": _("The picture is too large (at most 2 MB and 4000 pixels "
                                 "a side)."),
            "unsupported_image_type": _("Only JPEG or WebP pictures are accepted."),
            "invalid_image": _("The picture could not be read."),
        }[code]
        raise ApplicationError(code, message, status=status,
                               details={"reason": error.code}) from error


def camera_seen(attempt_id: Any, camera: str, now: dt.datetime, *, snapshot: bool) -> None:
    """Record that a camera of an attempt was heard from now (a picture or a heartbeat)."""
    changes: dict[str, Any] = {"last_seen_at": now}
    if snapshot:
        changes["last_snapshot_at"] = now
    if not CameraPresence.objects.filter(attempt_id=attempt_id, camera=camera).update(**changes):
        CameraPresence.objects.update_or_create(
            attempt_id=attempt_id, camera=camera,
            defaults=changes, create_defaults={**changes, "first_seen_at": now})


def attempt_for_upload(*, attempt_id: Any, registration_id: Any,
                       generation: int = 0) -> Attempt:
    """The attempt a camera sends for, loaded with only what an upload needs (its state
    and exam): the lean read of the upload fast path (about a fifth of the CPU of the
    candidate API's full ``attempt_for_candidate``). 404 unless it is this registration's;
    refused for a browser replaced by a re-entry the proctor allowed."""
    attempt = (Attempt.objects.select_related("registration")
               .only("state", "signin_generation", "registration_id",
                     "registration__exam_id", "registration__room_id")
               .filter(pk=attempt_id, registration_id=registration_id).first())
    if attempt is None:
        raise NotFound("attempt_not_found", _("This attempt does not exist."))
    if attempt.signin_generation != generation:
        raise signed_in_elsewhere()
    return attempt


def snapshot_upload(*, attempt: Attempt, camera: str, reason: str, data: bytes) -> Snapshot:
    """Store a camera's picture (JPEG or WebP, ≤ 2 MB, ≤ 4000 px a side) as a plain
    JPEG under a path that does not name the candidate, and queue its analysis."""
    _check_camera(camera)
    if reason not in Snapshot.Reason.values:
        raise ApplicationError("invalid_input", _("The reason is interval or event."),
                               status=422)
    _refuse_unless_monitored(attempt)
    clean = _clean(data)
    now = clock.now()
    snapshot = Snapshot(attempt=attempt, camera=camera, reason=reason, taken_at=now,
                        width=clean.width, height=clean.height, size_bytes=len(clean.jpeg),
                        fingerprint=clean.fingerprint)
    snapshot.image.save("snapshot.jpg", ContentFile(clean.jpeg), save=False)
    try:
        with transaction.atomic():
            snapshot.save()
            camera_seen(attempt.pk, camera, now, snapshot=True)
            transaction.on_commit(lambda: _enqueue(snapshot))
            # The proctor console's tile shows the new picture (fetched by id, for staff).
            send_event_on_commit(f"room.{attempt.registration.room_id}", {
                "kind": "snapshot.new", "attempt": str(attempt.pk), "camera": camera,
                "snapshot": str(snapshot.pk), "reason": reason, "at": now.isoformat()})
    except Exception:
        snapshot.image.delete(save=False)
        raise
    return snapshot


def _enqueue(snapshot: Snapshot) -> None:
    """After commit. The picture is stored whatever happens here: a broker that cannot be
    reached leaves the snapshot pending (it shows in the analysis lag), not an error."""
    from examhall.proctoring.services.analysis import analysis_enqueue

    try:
        analysis_enqueue(snapshot_id=snapshot.pk)
    except Exception:
        logger.exception("could not queue the analysis of snapshot %s", snapshot.pk)


def camera_heartbeat(*, attempt: Attempt, camera: str) -> dt.datetime:
    """A camera says it is still there (between snapshots)."""
    _check_camera(camera)
    _refuse_unless_monitored(attempt)
    now = clock.now()
    camera_seen(attempt.pk, camera, now, snapshot=False)
    return now


@dataclass(frozen=True)
class EventIn:
    type: str
    client_at: dt.datetime | None = None
    details: dict[str, Any] = field(default_factory=dict)


def browser_events_record(*, attempt: Attempt, events: Sequence[EventIn]) -> list[BrowserEvent]:
    """Keep a batch of the exam page's events; those that matter raise flags (one
    finding per flag type and batch, counted as many times as it happened)."""
    _refuse_unless_monitored(attempt)
    if len(events) > EVENTS_MAX:
        raise ApplicationError("invalid_input", _("Send at most %(max)d events at once.")
                               % {"max": EVENTS_MAX}, status=422)
    unknown = sorted({event.type for event in events} - set(BrowserEvent.Type.values))
    if unknown:
        raise ApplicationError("invalid_input", _("Unknown event type."), status=422,
                               details={"types": unknown})
    if any(len(json.dumps(event.details, default=str)) > EVENT_DETAILS_MAX for event in events):
        raise ApplicationError("invalid_input", _("The details of an event are too long."),
                               status=422)
    now = clock.now()
    rows = BrowserEvent.objects.bulk_create(
        BrowserEvent(attempt=attempt, type=event.type, client_at=event.client_at,
                     server_at=now, details=event.details) for event in events)
    findings = Counter(EVENT_FLAGS[e.type] for e in events if e.type in EVENT_FLAGS)
    if findings:
        gap = thresholds_for(policy_for(attempt.registration.exam_id)).episode_gap_seconds
        for flag_type, times in findings.items():
            flag_raise(attempt_id=attempt.pk, flag_type=flag_type, at=now, gap_seconds=gap,
                       occurrences=times)
    return rows
