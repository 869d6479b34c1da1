"""Signed phone credentials: what a paired phone sends instead of the attempt token.

Issued when a phone claims a pairing (ticket and ID number entered again on the
phone); names the pairing, its attempt and registration. The signature is checked
without a query; whether the pairing is still the attempt's current one is a
database question (``selectors.pairing_active``), asked by each endpoint.
A phone credential can only send the phone camera's pictures and heartbeats: it
never answers questions.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from django.core import signing

_SALT = "examhall.proctoring.phone-credential"
MAX_AGE_SECONDS = 24 * 3600


@dataclass(frozen=True)
class PhoneCredential:
    pairing_id: uuid.UUID
    attempt_id: uuid.UUID
    registration_id: uuid.UUID


def issue(*, pairing_id: uuid.UUID, attempt_id: uuid.UUID, registration_id: uuid.UUID) -> str:
    return signing.dumps({"p": pairing_id.hex, "a": attempt_id.hex, "r": registration_id.hex},
                         salt=_SALT)


def verify(token: str) -> PhoneCredential | None:
    try:
        data = signing.loads(token, salt=_SALT, max_age=MAX_AGE_SECONDS)
        return PhoneCredential(uuid.UUID(data["p"]), uuid.UUID(data["a"]),
                               uuid.UUID(data["r"]))
    except (signing.BadSignature, KeyError, ValueError, TypeError):
        return None
