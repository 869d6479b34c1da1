"""Candidate sign-in: ticket + ID for the chosen subject, and the session window."""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import F
from django.utils.translation import gettext as _

from examhall.candidates import selectors as candidate_selectors
from examhall.candidates.models import Registration
from examhall.core import clock
from examhall.core.errors import ApplicationError
from examhall.core.realtime import send_event_on_commit
from examhall.delivery import statemachine
from examhall.delivery.models import Attempt, AttemptState
from examhall.delivery.services.attempts import check_session_window
from examhall.delivery.tokens import AttemptCredential
from examhall.exams import selectors as exam_selectors


@dataclass(frozen=True)
class LoginResult:
    registration: Registration
    attempt: Attempt


def candidate_login(
    *, exam_code: str, subject_code: str, ticket_number: str, id_number: str,
    signed_in: AttemptCredential | None = None,
) -> LoginResult:
    """Check ticket + ID for the chosen subject and the session window.

    A candidate whose attempt already started may always come back (to resume
    or to see the outcome); the time window applies to a first entry only. Where
    the exam says re-entry needs a proctor, signing in to a running attempt from
    another browser (not the one whose credential ``signed_in`` is the attempt's
    current sign-in) needs the proctor's permission, used once.
    """
    exam = exam_selectors.published_exam(code=exam_code)
    subject = exam_selectors.open_subject(exam=exam, code=subject_code)
    registration = candidate_selectors.registration_for_ticket_and_id(
        exam=exam, ticket_number=ticket_number, id_number=id_number
    )
    if registration.subject_id != subject.pk:
        raise ApplicationError(
            "wrong_subject",
            _("You are registered for “%(registered)s”, not “%(chosen)s”. "
              "Go back and choose your own subject.")
            % {"registered": registration.subject.display_name, "chosen": subject.display_name},
            status=403,
        )
    attempt, _created = Attempt.objects.get_or_create(registration=registration)
    if attempt.state == AttemptState.VOIDED:
        raise ApplicationError(
            "attempt_voided",
            _("This attempt was voided. Please contact the exam office."),
            status=403,
        )
    if attempt.state not in statemachine.STARTED_STATES:
        check_session_window(registration, clock.now())
    elif (attempt.state in (AttemptState.IN_PROGRESS, AttemptState.PAUSED)
          and exam.reentry_needs_approval and not _is_current_sign_in(signed_in, attempt)):
        _use_reentry_permission(attempt)
    return LoginResult(registration=registration, attempt=attempt)



def _is_current_sign_in(signed_in: AttemptCredential | None, attempt: Attempt) -> bool:
    """The browser holds this attempt's latest sign-in (not one replaced since)."""
    return (signed_in is not None and signed_in.attempt_id == attempt.pk
            and signed_in.generation == attempt.signin_generation)


def _use_reentry_permission(attempt: Attempt) -> None:
    """Use the proctor's permission to sign in again, or ask for it (the console's
    tile shows the request; the candidate is told to ask the proctor)."""
    now = clock.now()
    used = Attempt.objects.filter(pk=attempt.pk, reentry_allowed_until__gt=now).update(
        reentry_allowed_until=None, reentry_requested_at=None,
        signin_generation=F("signin_generation") + 1)
    if used:
        # This browser's token carries the new generation; the one signed in before is
        # signed out (one browser at a time).
        attempt.refresh_from_db(fields=["signin_generation", "reentry_allowed_until",
                                        "reentry_requested_at"])
        return
    Attempt.objects.filter(pk=attempt.pk).update(reentry_requested_at=now)
    send_event_on_commit(f"room.{attempt.registration.room_id}",
                         {"kind": "attempt.reentry_requested", "attempt": str(attempt.pk)})
    raise ApplicationError(
        "reentry_needs_approval",
        _("Your exam has already started in another browser. Ask your proctor to let you "
          "continue here, then sign in again. Your saved answers are kept."),
        status=403,
    )
