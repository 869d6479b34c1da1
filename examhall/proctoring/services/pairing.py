"""The phone as second camera: QR codes, claiming them on the phone, the phone's own
checks, confirming its placement, and ending a pairing.

A pairing belongs to one attempt. The PC asks for a QR code (a one-time token valid
for ten minutes, only its SHA-256 kept); the phone claims it by entering the ticket
and ID number again, which gives it a credential for this pairing only. One phone at
a time: when a phone claims a new code, the pairing it replaces ends and its phone is
told. Every change is pushed to the attempt's websocket group (the PC page) after
commit; an ended pairing's phone gets ``phone.ended`` on its own group.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets
from dataclasses import dataclass
from typing import Any

from django.db import transaction
from django.utils.translation import gettext as _

from examhall.candidates import selectors as candidate_selectors
from examhall.core import clock
from examhall.core.errors import ApplicationError, NotFound
from examhall.core.realtime import send_event_on_commit
from examhall.delivery import services as delivery_services
from examhall.delivery import statemachine
from examhall.delivery.models import Attempt
from examhall.devicecheck import rules
from examhall.devicecheck.services import device_check_policy_get_or_create, limits_of
from examhall.proctoring import phone_tokens
from examhall.proctoring.models import Camera, PhonePairing
from examhall.proctoring.selectors import pairing_for_token, pairing_state
from examhall.proctoring.services.uploads import MONITORED_STATES, camera_seen

TOKEN_TTL = dt.timedelta(minutes=10)


def attempt_group(attempt_id: object) -> str:
    return f"attempt.{attempt_id}"


def pairing_group(pairing_id: object) -> str:
    return f"pairing.{pairing_id}"


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _announce(pairing: PhonePairing) -> None:
    send_event_on_commit(attempt_group(pairing.attempt_id),
                         {"kind": "phone.pairing", "pairing": str(pairing.pk),
                          "state": pairing_state(pairing)})


def _refuse_when_finished(attempt: Attempt) -> None:
    if attempt.state in statemachine.FINISHED_STATES:
        raise ApplicationError("attempt_finished",
                               _("This exam is over: no phone is needed any more."),
                               status=409, details={"state": attempt.state})


@dataclass(frozen=True)
class NewPairing:
    pairing: PhonePairing
    token: str


def pairing_create(*, attempt: Attempt) -> NewPairing:
    """A new QR code for this attempt. An earlier code nobody claimed stops working; a
    phone already paired stays paired until a phone claims the new code."""
    _refuse_when_finished(attempt)
    token = secrets.token_urlsafe(18)
    now = clock.now()
    with transaction.atomic():
        PhonePairing.objects.filter(attempt=attempt, claimed_at__isnull=True,
                                    expires_at__gt=now).update(expires_at=now)
        pairing = PhonePairing.objects.create(attempt=attempt, token_digest=_digest(token),
                                              expires_at=now + TOKEN_TTL)
    return NewPairing(pairing=pairing, token=token)


@dataclass(frozen=True)
class ClaimedPairing:
    pairing: PhonePairing
    credential: str


def pairing_claim(*, token: str, ticket_number: str, id_number: str,
                  user_agent: str = "") -> ClaimedPairing:
    """The phone scanned the code and entered the ticket and ID number again. Ends the
    attempt's previous phone (it is told); refuses an unknown, used or expired code and
    a ticket/ID pair that is not this code's registration."""
    pairing = pairing_for_token(token=token)
    if pairing is None:
        raise NotFound("pairing_not_found",
                       _("This QR code is not valid. Scan the code shown on your computer "
                         "again."))
    registration = pairing.attempt.registration
    found = candidate_selectors.registration_for_ticket_and_id(
        exam=registration.exam, ticket_number=ticket_number, id_number=id_number)
    if found.pk != registration.pk:
        # The numbers of another candidate of the same exam: the same refusal as a typo.
        raise ApplicationError(
            "login_failed",
            _("The admission ticket number and ID number do not match the candidate on "
              "the computer that shows this QR code."), status=401)
    now = clock.now()
    with transaction.atomic():
        pairing = PhonePairing.objects.select_for_update().get(pk=pairing.pk)
        attempt = Attempt.objects.get(pk=pairing.attempt_id)
        _refuse_when_finished(attempt)
        if pairing.claimed_at is not None:
            raise ApplicationError(
                "pairing_used",
                _("This QR code has already been used. On your computer, choose “New QR "
                  "code” and scan the new one."), status=409)
        if pairing.expires_at <= now:
            raise ApplicationError(
                "pairing_expired",
                _("This QR code has expired (it is valid for 10 minutes). On your "
                  "computer, choose “New QR code” and scan the new one."), status=410)
        for previous in (PhonePairing.objects.select_for_update()
                         .filter(attempt_id=pairing.attempt_id, claimed_at__isnull=False,
                                 ended_at__isnull=True)):
            _end(previous, PhonePairing.EndReason.REPLACED, now)
        pairing.claimed_at = now
        pairing.user_agent = user_agent[:300]
        pairing.save(update_fields=["claimed_at", "user_agent", "updated_at"])
        _announce(pairing)
    credential = phone_tokens.issue(pairing_id=pairing.pk, attempt_id=pairing.attempt_id,
                                    registration_id=registration.pk)
    return ClaimedPairing(pairing=pairing, credential=credential)


def _end(pairing: PhonePairing, reason: str, now: dt.datetime) -> None:
    pairing.ended_at = now
    pairing.end_reason = reason
    pairing.save(update_fields=["ended_at", "end_reason", "updated_at"])
    send_event_on_commit(pairing_group(pairing.pk), {"kind": "phone.ended", "reason": reason})
    _announce(pairing)


def pairing_end(*, attempt: Attempt, reason: str = PhonePairing.EndReason.UNPAIRED) -> None:
    """End the attempt's paired phone, if any (the phone is told)."""
    now = clock.now()
    with transaction.atomic():
        for pairing in (PhonePairing.objects.select_for_update()
                        .filter(attempt=attempt, claimed_at__isnull=False,
                                ended_at__isnull=True)):
            _end(pairing, reason, now)
        PhonePairing.objects.filter(attempt=attempt, claimed_at__isnull=True,
                                    expires_at__gt=now).update(expires_at=now)
    _refresh_checks(attempt.pk)


def phone_pairing_active(credential: phone_tokens.PhoneCredential) -> PhonePairing:
    """The pairing a phone credential names, if it is still the attempt's phone; else
    410 ``pairing_ended`` with the reason (another phone, the exam over, unpaired)."""
    pairing = (PhonePairing.objects.select_related("attempt__registration__exam",
                                                   "attempt__registration__candidate")
               .filter(pk=credential.pairing_id, attempt_id=credential.attempt_id).first())
    if pairing is None or pairing.claimed_at is None:
        raise NotFound("pairing_not_found", _("This phone is not paired."))
    reason = pairing.end_reason if pairing.ended_at else ""
    if not reason and pairing.attempt.state in statemachine.FINISHED_STATES:
        reason = PhonePairing.EndReason.FINISHED
    if reason:
        messages = {
            PhonePairing.EndReason.REPLACED: _(
                "This phone is no longer the exam's second camera: another phone was "
                "connected. If that was not you, tell the proctor."),
            PhonePairing.EndReason.FINISHED: _("The exam is over. You can close this page."),
            PhonePairing.EndReason.UNPAIRED: _(
                "This phone was disconnected from the exam on the computer. To use it "
                "again, scan a new QR code."),
        }
        raise ApplicationError("pairing_ended", messages[reason], status=410,
                               details={"reason": reason})
    return pairing


def phone_checks_record(*, pairing: PhonePairing, measurements: dict[str, Any]
                        ) -> list[dict[str, Any]]:
    """Judge what the phone measured (compatibility, permission, camera found, camera
    works) by the exam's device policy; the verdicts (codes only)."""
    if pairing.attempt.state in statemachine.FINISHED_STATES:
        raise ApplicationError("attempt_finished", _("This exam is over."), status=409)
    policy = device_check_policy_get_or_create(exam=pairing.attempt.registration.exam)
    verdicts = rules.evaluate_phone(measurements, limits_of(policy))
    passed = rules.passed(verdicts)
    with transaction.atomic():
        PhonePairing.objects.filter(pk=pairing.pk).update(
            checks={"measurements": measurements, "verdicts": verdicts},
            checks_passed=passed,
            # Checks run again (another camera, say) must be confirmed again.
            confirmed_at=pairing.confirmed_at if passed else None,
            updated_at=clock.now())
        pairing.refresh_from_db()
        _announce(pairing)
    return verdicts


def phone_confirm(*, pairing: PhonePairing) -> PhonePairing:
    """The candidate placed the phone as the guide shows and confirmed."""
    if not pairing.checks_passed:
        raise ApplicationError("phone_checks_not_passed",
                               _("Finish the phone's checks first."), status=409)
    with transaction.atomic():
        if pairing.confirmed_at is None:
            pairing.confirmed_at = clock.now()
            pairing.save(update_fields=["confirmed_at", "updated_at"])
        _announce(pairing)
    _refresh_checks(pairing.attempt_id)
    return pairing


def _refresh_checks(attempt_id: Any) -> None:
    """Before the start, the attempt's state follows its checks at once (the console
    sees "awaiting admission" without waiting for the candidate's page to poll)."""
    state = Attempt.objects.filter(pk=attempt_id).values_list("state", flat=True).first()
    if state in statemachine.PRE_START_STATES:
        delivery_services.attempt_refresh_checks(attempt_id=attempt_id)


def phone_heartbeat(*, pairing: PhonePairing) -> dt.datetime:
    """The phone is still there: its camera counts as connected, before the exam too
    (the PC shows it), and during the exam this keeps "camera lost" away."""
    now = clock.now()
    if pairing.attempt.state in (*statemachine.PRE_START_STATES, *MONITORED_STATES):
        camera_seen(pairing.attempt_id, Camera.PHONE, now, snapshot=False)
    return now
