"""The candidate's browser session: which attempt this browser signed in to."""

from __future__ import annotations

import uuid

from django.http import HttpRequest

from examhall.delivery import tokens
from examhall.delivery.models import Attempt

_KEY = "delivery.attempt"


def remember_login(request: HttpRequest, *, attempt: Attempt) -> str:
    """Bind this browser session to the attempt and return its API token."""
    if request.session.session_key:
        request.session.cycle_key()  # an existing session gets a new id (no fixation)
    token = tokens.issue(attempt_id=attempt.pk, registration_id=attempt.registration_id,
                         generation=attempt.signin_generation)
    request.session[_KEY] = {"attempt_id": str(attempt.pk), "token": token}
    return token


def current_login(request: HttpRequest) -> tuple[tokens.AttemptCredential, str] | None:
    """This browser's sign-in as its session holds it: (credential, token). Whether it is
    still the attempt's current one (``credential.generation``) is for the caller that
    reads the attempt to tell."""
    data = request.session.get(_KEY)
    if not data:
        return None
    credential = tokens.verify(data.get("token", ""))
    if credential is None or str(credential.attempt_id) != data.get("attempt_id"):
        return None
    return credential, data["token"]


def signed_in_credential(request: HttpRequest) -> tokens.AttemptCredential | None:
    login_state = current_login(request)
    return login_state[0] if login_state else None


def signed_in_attempt_id(request: HttpRequest) -> uuid.UUID | None:
    """The attempt this browser says it is signed in to, if any (no database read)."""
    credential = signed_in_credential(request)
    return credential.attempt_id if credential else None


def forget_login(request: HttpRequest) -> None:
    request.session.pop(_KEY, None)
