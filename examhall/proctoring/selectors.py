"""Monitoring reads: an exam's policy and thresholds, the state of an attempt's
cameras, flags, and how far analysis lags behind."""

from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
import uuid

from django.db.models import Min

from examhall.core import clock
from examhall.delivery.models import Attempt
from examhall.exams.models import Exam
from examhall.proctoring.models import (
    Camera,
    CameraPresence,
    Flag,
    MonitoringPolicy,
    PhonePairing,
    Snapshot,
)
from examhall.proctoring.presets import PRESETS, Thresholds


def policy_for(exam: Exam | uuid.UUID) -> MonitoringPolicy:
    """The exam's monitoring policy (the defaults when the office set none)."""
    exam_id = exam.pk if isinstance(exam, Exam) else exam
    return (MonitoringPolicy.objects.filter(exam_id=exam_id).first()
            or MonitoringPolicy(exam_id=exam_id))


def thresholds_for(policy: MonitoringPolicy) -> Thresholds:
    preset = PRESETS[policy.sensitivity]
    if policy.grace_seconds:
        return dataclasses.replace(preset, grace_seconds=policy.grace_seconds)
    return preset


def interval_for(policy: MonitoringPolicy, camera: str) -> int:
    return policy.pc_interval_seconds if camera == Camera.PC else policy.phone_interval_seconds


@dataclasses.dataclass(frozen=True)
class CameraState:
    camera: str
    state: str  # connected | lost | not_connected (never seen)
    last_seen_at: dt.datetime | None
    interval_seconds: int


@dataclasses.dataclass(frozen=True)
class MonitoringStatus:
    server_now: dt.datetime
    grace_seconds: int
    cameras: list[CameraState]


def monitoring_status(*, attempt: Attempt) -> MonitoringStatus:
    """Per camera: connected, lost (silent longer than the grace period) or never seen."""
    policy = policy_for(attempt.registration.exam_id)
    grace = thresholds_for(policy).grace_seconds
    now = clock.now()
    seen = {p.camera: p.last_seen_at
            for p in CameraPresence.objects.filter(attempt=attempt)}
    cameras = []
    for camera in Camera.values:
        last = seen.get(camera)
        if last is None:
            state = "not_connected"
        elif now - last > dt.timedelta(seconds=grace):
            state = "lost"
        else:
            state = "connected"
        cameras.append(CameraState(camera, state, last, interval_for(policy, camera)))
    return MonitoringStatus(server_now=now, grace_seconds=grace, cameras=cameras)


def flags_of(*, attempt_id: uuid.UUID) -> list[Flag]:
    return list(Flag.objects.filter(attempt_id=attempt_id).prefetch_related("evidence")
                .order_by("first_at"))


@dataclasses.dataclass(frozen=True)
class AnalysisLag:
    pending: int
    oldest_pending_seconds: float


def open_flag(*, attempt_id: uuid.UUID, flag_type: str, camera: str = "",
              seen_since: dt.datetime | None = None) -> Flag | None:
    """The attempt's latest open flag of this type and camera (the episode a new finding
    extends); with ``seen_since``, only one seen after that time."""
    flags = Flag.objects.filter(attempt_id=attempt_id, type=flag_type, camera=camera,
                                status=Flag.Status.OPEN)
    if seen_since is not None:
        flags = flags.filter(last_at__gte=seen_since)
    return flags.order_by("-last_at").first()


def analysis_lag() -> AnalysisLag:
    """How many snapshots wait for analysis, and how long the oldest has waited."""
    waiting = Snapshot.objects.filter(analysis_status=Snapshot.Analysis.PENDING)
    oldest = waiting.aggregate(oldest=Min("taken_at"))["oldest"]
    age = (clock.now() - oldest).total_seconds() if oldest else 0.0
    return AnalysisLag(pending=waiting.count(), oldest_pending_seconds=max(age, 0.0))


def pairing_state(pairing: PhonePairing | None, *, now: dt.datetime | None = None) -> str:
    """none (never asked for) · waiting (QR valid, not claimed) · expired (QR timed out
    unclaimed) · connected (a phone claimed it) · checked (its checks passed) ·
    confirmed (placement confirmed: the second-camera check passes) · ended."""
    if pairing is None:
        return "none"
    if pairing.ended_at is not None:
        return "ended"
    if pairing.claimed_at is None:
        return "waiting" if pairing.expires_at > (now or clock.now()) else "expired"
    if pairing.confirmed_at is not None:
        return "confirmed"
    return "checked" if pairing.checks_passed else "connected"


def pairing_current(*, attempt_id: uuid.UUID) -> PhonePairing | None:
    """What the PC shows: the phone paired now, or else the newest QR code (which may
    have expired or ended)."""
    pairings = PhonePairing.objects.filter(attempt_id=attempt_id)
    active = (pairings.filter(claimed_at__isnull=False, ended_at__isnull=True)
              .order_by("-claimed_at").first())
    newest = pairings.order_by("-created_at").first()
    if active is not None and newest is not None and newest.claimed_at is None \
            and newest.expires_at > clock.now():
        return newest  # a new code is on show; the current phone stays until it is used
    return active or newest


def pairing_confirmed(*, attempt_id: uuid.UUID) -> PhonePairing | None:
    """The attempt's phone whose placement is confirmed and which is still paired."""
    return (PhonePairing.objects.filter(attempt_id=attempt_id, claimed_at__isnull=False,
                                        confirmed_at__isnull=False, ended_at__isnull=True)
            .order_by("-claimed_at").first())


def pairing_for_token(*, token: str) -> PhonePairing | None:
    """The pairing a QR code's token names (whatever its state), or None."""
    if not token or len(token) > 64:
        return None
    return (PhonePairing.objects.select_related("attempt__registration__exam")
            .filter(token_digest=hashlib.sha256(token.encode()).hexdigest()).first())
