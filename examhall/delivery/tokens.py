"""Signed attempt tokens: the candidate API's credential.

Issued at login and verified without a database query (HMAC), so the autosave
hot path does no session look-up. A token names one attempt of one registration.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from django.core import signing

_SALT = "examhall.delivery.attempt-token"
MAX_AGE_SECONDS = 24 * 3600


@dataclass(frozen=True)
class AttemptCredential:
    attempt_id: uuid.UUID
    registration_id: uuid.UUID
    # The attempt's sign-in generation when the token was issued: a re-entry the proctor
    # allowed raises the attempt's, and the older browser's token stops working where the
    # attempt is read anyway (pages, API, autosave, pictures, sockets).
    generation: int = 0


def issue(*, attempt_id: uuid.UUID, registration_id: uuid.UUID, generation: int = 0) -> str:
    return signing.dumps({"a": attempt_id.hex, "r": registration_id.hex, "g": generation},
                         salt=_SALT)


def verify(token: str) -> AttemptCredential | None:
    try:
        data = signing.loads(token, salt=_SALT, max_age=MAX_AGE_SECONDS)
        return AttemptCredential(uuid.UUID(data["a"]), uuid.UUID(data["r"]),
                                 int(data.get("g", 0)))
    except (signing.BadSignature, KeyError, ValueError, TypeError):
        return None
