"""Pages of the second camera. Thin: the pages talk to the API and the websockets.

- ``/attempt/phone/``: on the PC, the QR code and the pairing's live state (a page of
  the check stage, like the device check).
- ``/m/<token>/``: the phone, opened from the QR code; ``/m/`` is the same page for a
  phone coming back with its stored credential. Never cached, never sends the token
  on as a referrer.
"""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.cache import never_cache

from examhall.core import clock
from examhall.delivery.views import unfinished_attempt_page
from examhall.proctoring import selectors


def pairing(request: HttpRequest) -> HttpResponse:
    """Before the start, and during the exam too: a phone that died can be replaced."""
    return unfinished_attempt_page(request, "proctoring/pairing.html")


def _phone_page(request: HttpRequest, token: str, state: str, exam: object,
                status: int = 200) -> HttpResponse:
    response = render(request, "proctoring/phone.html",
                      {"exam": exam, "pairing_token": token, "pairing_state": state},
                      status=status)
    response["Referrer-Policy"] = "no-referrer"
    return response


@never_cache
def phone(request: HttpRequest, token: str) -> HttpResponse:
    """valid: show the form · used: a phone that reloads resumes with its credential,
    any other is told to scan a new code · expired (410) · unknown (404)."""
    found = selectors.pairing_for_token(token=token)
    if found is None:
        return _phone_page(request, "", "unknown", None, status=404)
    state = selectors.pairing_state(found, now=clock.now())
    exam = found.attempt.registration.exam
    if state == "expired":
        return _phone_page(request, "", "expired", exam, status=410)
    return _phone_page(request, token, "valid" if state == "waiting" else "used", exam)


@never_cache
def phone_resume(request: HttpRequest) -> HttpResponse:
    return _phone_page(request, "", "", None)
