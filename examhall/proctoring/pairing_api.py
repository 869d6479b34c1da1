"""The phone-pairing API (mounted under /api/).

PC side (Bearer = the attempt token): ask for a QR code, see the pairing's state,
unpair. Phone side: claim a code with ticket and ID number (no auth; rate-limited like
sign-in), then Bearer = the phone credential: its session, its checks, confirming the
placement, heartbeats and pictures. A phone credential can do nothing else.
"""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any, Literal

import segno
from django.conf import settings
from django.http import HttpRequest
from django.urls import reverse
from django.utils.translation import gettext as _
from ninja import File, Form, Router, Schema, Status
from ninja.files import UploadedFile
from ninja.security import HttpBearer
from pydantic import ConfigDict, Field, StrictBool

from examhall.core import clock
from examhall.core.errors import ApplicationError
from examhall.delivery import ratelimits as login_ratelimits
from examhall.delivery.api import ERRORS, attempt_auth, own_attempt
from examhall.delivery.models import Attempt
from examhall.delivery.schemas import ErrorOut
from examhall.devicecheck import hints
from examhall.devicecheck.schemas import BrowserIn, CameraIn
from examhall.proctoring import images, phone_tokens, ratelimits, selectors, services
from examhall.proctoring.models import Camera, PhonePairing
from examhall.proctoring.services import pairing as pairing_services
from examhall.proctoring.services.uploads import MONITORED_STATES

router = Router(tags=["phone"])


class PhoneAuth(HttpBearer):
    """``Authorization: Bearer <phone credential>``; the signature only — whether the
    pairing is still the attempt's phone is asked by each endpoint."""

    def authenticate(self, request: HttpRequest, token: str
                     ) -> phone_tokens.PhoneCredential | None:
        return phone_tokens.verify(token)


phone_auth = PhoneAuth()
GONE = {**ERRORS, 410: ErrorOut}


# --- PC side ---------------------------------------------------------------------------

class PairingOut(Schema):
    pairing_id: uuid.UUID | None
    state: str
    url: str | None
    qr_svg: str | None
    expires_at: dt.datetime | None
    server_now: dt.datetime
    phone_camera: str
    claimed_at: dt.datetime | None
    confirmed_at: dt.datetime | None
    phone_browser: str


def _phone_url(request: HttpRequest, token: str) -> str:
    path = reverse("proctoring:phone", kwargs={"token": token})
    base = settings.EXAMHALL_PUBLIC_URL
    return f"{base}{path}" if base else request.build_absolute_uri(path)


def _qr_svg(url: str) -> str:
    code = segno.make(url, error="m")
    return code.svg_inline(scale=1, border=2, omitsize=True, svgclass="eh-qr-code",
                           lineclass=None, title=_("QR code for your phone"))


def _phone_browser(user_agent: str) -> str:
    agent = user_agent.lower()
    for marker, name in (("micromessenger", "WeChat"), ("edg", "Edge"), ("crios", "Chrome"),
                         ("chrome", "Chrome"), ("firefox", "Firefox"), ("fxios", "Firefox"),
                         ("safari", "Safari")):
        if marker in agent:
            system = ("iOS" if "iphone" in agent or "ipad" in agent
                      else "Android" if "android" in agent else "")
            return f"{name} · {system}" if system else name
    return ""


def _pairing_out(request: HttpRequest, attempt: Attempt,
                 fresh: pairing_services.NewPairing | None = None) -> dict[str, Any]:
    pairing = fresh.pairing if fresh else selectors.pairing_current(attempt_id=attempt.pk)
    now = clock.now()
    state = selectors.pairing_state(pairing, now=now)
    url = _phone_url(request, fresh.token) if fresh else None
    phone = next(c for c in selectors.monitoring_status(attempt=attempt).cameras
                 if c.camera == Camera.PHONE)
    return {
        "pairing_id": pairing.pk if pairing else None,
        "state": state,
        "url": url,
        "qr_svg": _qr_svg(url) if url else None,
        "expires_at": pairing.expires_at if pairing and state == "waiting" else None,
        "server_now": now,
        "phone_camera": phone.state,
        "claimed_at": pairing.claimed_at if pairing else None,
        "confirmed_at": pairing.confirmed_at if pairing else None,
        "phone_browser": _phone_browser(pairing.user_agent) if pairing else "",
    }


@router.post("/attempts/{attempt_id}/phone-pairing", response={201: PairingOut, **ERRORS},
             auth=attempt_auth)
def pairing_create(request: HttpRequest, attempt_id: uuid.UUID) -> Status:
    """A new QR code (ten minutes) for the phone; an unclaimed earlier one stops working.
    The link is shown once: ask again for a new code."""
    attempt = own_attempt(request, attempt_id)
    ratelimits.check_pairing_allowed(request, attempt_id=attempt.pk)
    fresh = pairing_services.pairing_create(attempt=attempt)
    return Status(201, _pairing_out(request, attempt, fresh))


@router.get("/attempts/{attempt_id}/phone-pairing", response={200: PairingOut, **ERRORS},
            auth=attempt_auth)
def pairing_detail(request: HttpRequest, attempt_id: uuid.UUID) -> dict[str, Any]:
    attempt = own_attempt(request, attempt_id)
    return _pairing_out(request, attempt)


@router.post("/attempts/{attempt_id}/phone-pairing/end", response={200: PairingOut, **ERRORS},
             auth=attempt_auth)
def pairing_end(request: HttpRequest, attempt_id: uuid.UUID) -> dict[str, Any]:
    """Unpair the phone (it is told) and withdraw a QR code on show."""
    attempt = own_attempt(request, attempt_id)
    pairing_services.pairing_end(attempt=attempt)
    return _pairing_out(request, attempt)


# --- Phone side ------------------------------------------------------------------------

class PairIn(Schema):
    token: str = Field(..., min_length=1, max_length=64)
    ticket_number: str = Field(..., min_length=1, max_length=30)
    id_number: str = Field(..., min_length=1, max_length=40)


class ExamBrief(Schema):
    code: str
    name: str


class PhoneSessionOut(Schema):
    pairing_id: uuid.UUID
    attempt_id: uuid.UUID
    state: str
    attempt_state: str
    monitoring: bool
    exam: ExamBrief
    candidate_name: str
    ticket_number: str
    phone_interval_seconds: int
    heartbeat_seconds: int
    grace_seconds: int


class PairOut(PhoneSessionOut):
    credential: str


def _masked(name: str) -> str:
    """张伟 → 张*, 欧阳小明 → 欧***: enough for the candidate to recognise, no more."""
    name = name.strip()
    return name[:1] + "*" * max(len(name) - 1, 1) if name else ""


def _heartbeat_seconds(grace: int) -> int:
    return max(3, min(10, grace // 3))


def _session_out(pairing: PhonePairing) -> dict[str, Any]:
    attempt = pairing.attempt
    registration = attempt.registration
    policy = selectors.policy_for(registration.exam_id)
    grace = selectors.thresholds_for(policy).grace_seconds
    return {
        "pairing_id": pairing.pk,
        "attempt_id": attempt.pk,
        "state": selectors.pairing_state(pairing),
        "attempt_state": attempt.state,
        "monitoring": attempt.state in MONITORED_STATES,
        "exam": {"code": registration.exam.code, "name": registration.exam.name},
        "candidate_name": _masked(registration.candidate.name),
        "ticket_number": registration.ticket_number,
        "phone_interval_seconds": policy.phone_interval_seconds,
        "heartbeat_seconds": _heartbeat_seconds(grace),
        "grace_seconds": grace,
    }


def _phone(request: HttpRequest) -> PhonePairing:
    credential: phone_tokens.PhoneCredential = request.auth  # type: ignore[attr-defined]
    return pairing_services.phone_pairing_active(credential)


@router.post("/phone/pair", response={200: PairOut, **GONE}, auth=None)
def phone_pair(request: HttpRequest, payload: PairIn) -> dict[str, Any]:
    """The phone scanned the QR code: ticket and ID number again, as at sign-in."""
    login_ratelimits.check_login_allowed(request, ticket_number=payload.ticket_number)
    try:
        claimed = pairing_services.pairing_claim(
            token=payload.token, ticket_number=payload.ticket_number,
            id_number=payload.id_number,
            user_agent=request.headers.get("User-Agent", ""))
    except ApplicationError as error:
        if error.code in ("login_failed", "pairing_not_found"):
            login_ratelimits.record_login_failure(request, ticket_number=payload.ticket_number)
        raise
    pairing = pairing_services.phone_pairing_active(phone_tokens.verify(claimed.credential))
    return {**_session_out(pairing), "credential": claimed.credential}


@router.get("/phone/session", response={200: PhoneSessionOut, **GONE}, auth=phone_auth)
def phone_session(request: HttpRequest) -> dict[str, Any]:
    return _session_out(_phone(request))


class PhoneFeaturesIn(Schema):
    model_config = ConfigDict(extra="forbid")
    getusermedia: StrictBool
    websocket: StrictBool
    wakelock: StrictBool = False


class PhonePermissionsIn(Schema):
    model_config = ConfigDict(extra="forbid")
    camera: Literal["granted", "denied", "prompt", "unknown"]


class PhoneDevicesIn(Schema):
    model_config = ConfigDict(extra="forbid")
    camera_count: int = Field(..., ge=0, le=64)
    camera_label: str = Field("", max_length=200)


class PhoneChecksIn(Schema):
    model_config = ConfigDict(extra="forbid")
    browser: BrowserIn
    features: PhoneFeaturesIn
    permissions: PhonePermissionsIn
    devices: PhoneDevicesIn
    camera: CameraIn


class VerdictOut(Schema):
    check: str
    label: str
    status: str
    problems: list[dict[str, str]]


class PhoneChecksOut(Schema):
    passed: bool
    state: str
    verdicts: list[VerdictOut]


def _hint_browser(request: HttpRequest, payload: PhoneChecksIn) -> str:
    """WeChat's in-app browser reports its engine (Chrome or Safari), but its camera
    permission lives in WeChat: its own hints."""
    if "micromessenger" in request.headers.get("User-Agent", "").lower():
        return "wechat"
    return payload.browser.name


@router.post("/phone/checks", response={200: PhoneChecksOut, **GONE}, auth=phone_auth)
def phone_checks(request: HttpRequest, payload: PhoneChecksIn) -> dict[str, Any]:
    """The phone's four checks (compatibility, camera permission, camera found, camera
    works), judged by the exam's device policy from what the phone measured."""
    pairing = _phone(request)
    ratelimits.check_phone_checks_allowed(request, pairing_id=pairing.pk)
    verdicts = pairing_services.phone_checks_record(pairing=pairing,
                                                    measurements=payload.model_dump())
    return {"passed": pairing.checks_passed, "state": selectors.pairing_state(pairing),
            "verdicts": hints.explain(verdicts, browser=_hint_browser(request, payload),
                                      phone=True)}


@router.post("/phone/confirm", response={200: PhoneSessionOut, **GONE}, auth=phone_auth)
def phone_confirm(request: HttpRequest) -> dict[str, Any]:
    """The phone stands as the placement guide shows: the second camera is ready."""
    pairing = pairing_services.phone_confirm(pairing=_phone(request))
    return _session_out(pairing)


class PhoneHeartbeatOut(Schema):
    attempt_state: str
    monitoring: bool
    server_now: dt.datetime
    next_snapshot_in_seconds: int


@router.post("/phone/heartbeat", response={200: PhoneHeartbeatOut, **GONE}, auth=phone_auth)
def phone_heartbeat(request: HttpRequest) -> dict[str, Any]:
    pairing = _phone(request)
    now = pairing_services.phone_heartbeat(pairing=pairing)
    policy = selectors.policy_for(pairing.attempt.registration.exam_id)
    return {"attempt_state": pairing.attempt.state,
            "monitoring": pairing.attempt.state in MONITORED_STATES,
            "server_now": now,
            "next_snapshot_in_seconds": policy.phone_interval_seconds}


class PhoneSnapshotOut(Schema):
    snapshot_id: uuid.UUID
    taken_at: dt.datetime
    next_in_seconds: int


@router.post("/phone/snapshots", response={202: PhoneSnapshotOut, 413: ErrorOut,
                                           415: ErrorOut, **GONE}, auth=phone_auth)
def phone_snapshot(request: HttpRequest, image: File[UploadedFile],
                   reason: Form[str] = "interval") -> Status:
    """The phone camera's picture (multipart ``image`` JPEG or WebP ≤ 2 MB); only while
    the exam is in progress (409 before and after)."""
    pairing = _phone(request)
    ratelimits.check_snapshot_allowed(request, attempt_id=pairing.attempt_id,
                                      camera=Camera.PHONE)
    snapshot = services.snapshot_upload(attempt=pairing.attempt, camera=Camera.PHONE,
                                        reason=reason, data=image.read(images.MAX_BYTES + 1))
    policy = selectors.policy_for(pairing.attempt.registration.exam_id)
    return Status(202, {"snapshot_id": snapshot.pk, "taken_at": snapshot.taken_at,
                        "next_in_seconds": policy.phone_interval_seconds})
