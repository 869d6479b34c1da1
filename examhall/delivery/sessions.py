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


def current_login(request: HttpRequest) -> tuple[uuid.UUID, str] | None:
    data = request.session.get(_KEY)
    if not data:
        return None
    credential = tokens.verify(data.get("token", ""))
    if credential is None or str(credential.attempt_id) != data.get("attempt_id"):
        return None
    return credential.attempt_id, data["token"]


def signed_in_attempt_id(request: HttpRequest) -> uuid.UUID | None:
    """The attempt this browser is signed in to, if any (a returning browser) — and
    still is: a browser replaced by a re-entry the proctor allowed is not."""
    login_state = current_login(request)
    if login_state is None:
        return None
    attempt_id, token = login_state
    credential = tokens.verify(token)
    current = (Attempt.objects.filter(pk=attempt_id)
               .values_list("signin_generation", flat=True).first())
    if credential is None or current != credential.generation:
        return None
    return attempt_id


def forget_login(request: HttpRequest) -> None:
    request.session.pop(_KEY, None)
