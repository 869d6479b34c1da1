"""The proctoring API (mounted under /api/): what the candidate's cameras and exam page
send during the exam, and the state of the cameras the PC page shows.

Authenticated by the attempt token like the rest of the candidate API; someone else's
attempt is a 404.
"""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any, Literal

from django.http import HttpRequest
from ninja import File, Form, Router, Schema, Status
from ninja.files import UploadedFile
from pydantic import Field

from examhall.delivery.api import ERRORS, attempt_auth, own_attempt
from examhall.delivery.schemas import ErrorOut
from examhall.proctoring import images, ratelimits, selectors, services
from examhall.proctoring.models import BrowserEvent

router = Router(tags=["proctoring"])

UPLOAD_ERRORS = {**ERRORS, 413: ErrorOut, 415: ErrorOut}

CameraName = Literal["pc", "phone"]
EventType = Literal[tuple(BrowserEvent.Type.values)]  # type: ignore[valid-type]


class SnapshotOut(Schema):
    snapshot_id: uuid.UUID
    camera: str
    taken_at: dt.datetime
    analysis: str
    next_in_seconds: int


class CameraOut(Schema):
    camera: str
    state: str
    last_seen_at: dt.datetime | None
    interval_seconds: int


class MonitoringOut(Schema):
    server_now: dt.datetime
    grace_seconds: int
    cameras: list[CameraOut]


class HeartbeatIn(Schema):
    camera: CameraName


class EventItem(Schema):
    type: EventType
    client_at: dt.datetime | None = None
    details: dict[str, Any] = Field(default_factory=dict)


class EventsIn(Schema):
    events: list[EventItem] = Field(min_length=1, max_length=services.uploads.EVENTS_MAX)


class EventsOut(Schema):
    stored: int
    server_now: dt.datetime


def _monitoring_out(status: selectors.MonitoringStatus) -> dict[str, Any]:
    return {"server_now": status.server_now, "grace_seconds": status.grace_seconds,
            "cameras": [camera.__dict__ for camera in status.cameras]}


@router.post("/attempts/{attempt_id}/snapshots", response={202: SnapshotOut, **UPLOAD_ERRORS},
             auth=attempt_auth)
def snapshot_upload(request: HttpRequest, attempt_id: uuid.UUID, image: File[UploadedFile],
                    camera: Form[str], reason: Form[str] = "interval") -> Status:
    """A camera's picture (multipart: ``image`` JPEG or WebP ≤ 2 MB, ``camera`` pc|phone,
    ``reason`` interval|event). Stored at once; analysed in the background (202)."""
    attempt = own_attempt(request, attempt_id)
    ratelimits.check_snapshot_allowed(request, attempt_id=attempt.pk, camera=camera)
    snapshot = services.snapshot_upload(attempt=attempt, camera=camera, reason=reason,
                                        data=image.read(images.MAX_BYTES + 1))
    policy = selectors.policy_for(attempt.registration.exam_id)
    return Status(202, {"snapshot_id": snapshot.pk, "camera": snapshot.camera,
                 "taken_at": snapshot.taken_at, "analysis": snapshot.analysis_status,
                 "next_in_seconds": selectors.interval_for(policy, snapshot.camera)})


@router.post("/attempts/{attempt_id}/heartbeat", response={200: MonitoringOut, **ERRORS},
             auth=attempt_auth)
def camera_heartbeat(request: HttpRequest, attempt_id: uuid.UUID,
                     payload: HeartbeatIn) -> dict[str, Any]:
    """A camera is still there; the answer is the state of both cameras."""
    attempt = own_attempt(request, attempt_id)
    services.camera_heartbeat(attempt=attempt, camera=payload.camera)
    return _monitoring_out(selectors.monitoring_status(attempt=attempt))


@router.post("/attempts/{attempt_id}/events", response={200: EventsOut, **ERRORS},
             auth=attempt_auth)
def browser_events(request: HttpRequest, attempt_id: uuid.UUID,
                   payload: EventsIn) -> dict[str, Any]:
    """A batch of the exam page's events (at most 100; unknown types are refused)."""
    attempt = own_attempt(request, attempt_id)
    rows = services.browser_events_record(attempt=attempt, events=[
        services.EventIn(type=event.type, client_at=event.client_at, details=event.details)
        for event in payload.events])
    return {"stored": len(rows), "server_now": rows[0].server_at}


@router.get("/attempts/{attempt_id}/monitoring", response={200: MonitoringOut, **ERRORS},
            auth=attempt_auth)
def monitoring_status(request: HttpRequest, attempt_id: uuid.UUID) -> dict[str, Any]:
    """Per camera: connected, lost (silent longer than the grace period) or
    not_connected, with the last time it was heard from; the PC page warns on lost."""
    attempt = own_attempt(request, attempt_id)
    return _monitoring_out(selectors.monitoring_status(attempt=attempt))
