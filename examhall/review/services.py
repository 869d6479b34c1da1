"""Review decisions: a reviewer sets an attempt to passed / suspicious / violation / not
reviewed with a note; a violation voids the result, at once or once a different
reviewer confirms it (the exam's policy). Every decision is audited."""

from __future__ import annotations

import uuid

from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction
from django.utils.translation import gettext as _

from examhall.core import clock
from examhall.core.errors import ApplicationError, PermissionDenied
from examhall.delivery import services as delivery_services
from examhall.delivery import statemachine
from examhall.delivery.models import Attempt, AttemptState
from examhall.review import selectors
from examhall.review.models import AttemptReview, ReviewDecision, ReviewStatus

NOTE_REQUIRED = frozenset({ReviewStatus.SUSPICIOUS, ReviewStatus.VIOLATION})
NOTE_MAX_LENGTH = 2000


def review_decide(*, reviewer: AbstractBaseUser, attempt_id: uuid.UUID, status: str,
                  note: str = "") -> AttemptReview:
    """Set the attempt's decision. A violation voids the result unless the exam needs a
    second reviewer; then it waits for ``review_confirm_violation`` (a violation set by
    a different reviewer while one waits counts as that confirmation)."""
    attempt = _attempt_for(reviewer, attempt_id)
    if status not in ReviewStatus.values:
        raise ApplicationError("invalid_decision", _("Choose one of the decisions offered."),
                               status=422)
    note = _clean_note(note, required=status in NOTE_REQUIRED)
    with transaction.atomic():
        review = _locked_review(attempt)
        if (status == ReviewStatus.VIOLATION and review.awaiting_confirmation
                and review.reviewer_id != reviewer.pk):
            return _confirm(review, reviewer=reviewer, note=note)
        now = clock.now()
        review.status = status
        review.note = note
        review.reviewer = reviewer
        review.reviewed_at = now
        review.confirmation_required = (
            status == ReviewStatus.VIOLATION
            and selectors.second_reviewer_required(exam=attempt.registration.exam))
        review.confirmed_by = None
        review.confirmed_at = None
        voids = status == ReviewStatus.VIOLATION and not review.confirmation_required
        if voids:
            _void(review, reviewer=reviewer, note=note)
        review.save()
        ReviewDecision.objects.create(review=review, at=now, reviewer=reviewer,
                                      kind=ReviewDecision.Kind.DECIDE, status=status,
                                      note=note, voided=voids)
    return review


def review_confirm_violation(*, reviewer: AbstractBaseUser, attempt_id: uuid.UUID,
                             note: str = "") -> AttemptReview:
    """A second reviewer confirms a violation waiting for it; the result is voided.
    The reviewer who decided it cannot confirm it."""
    attempt = _attempt_for(reviewer, attempt_id)
    note = _clean_note(note, required=False)
    with transaction.atomic():
        return _confirm(_locked_review(attempt), reviewer=reviewer, note=note)


def _confirm(review: AttemptReview, *, reviewer: AbstractBaseUser, note: str) -> AttemptReview:
    if not review.awaiting_confirmation:
        raise ApplicationError("nothing_to_confirm",
                               _("No violation of this attempt waits for a confirmation."),
                               status=409)
    if review.reviewer_id == reviewer.pk:
        raise ApplicationError("same_reviewer",
                               _("A different reviewer must confirm this violation."),
                               status=409)
    now = clock.now()
    review.confirmed_by = reviewer
    review.confirmed_at = now
    _void(review, reviewer=reviewer, note=review.note)
    review.save()
    ReviewDecision.objects.create(review=review, at=now, reviewer=reviewer,
                                  kind=ReviewDecision.Kind.CONFIRM,
                                  status=ReviewStatus.VIOLATION, note=note, voided=True)
    return review


def _void(review: AttemptReview, *, reviewer: AbstractBaseUser, note: str) -> None:
    """Void the attempt's result (a proctor may have voided it already); the decision
    is final from then on."""
    if review.attempt.state != AttemptState.VOIDED:
        delivery_services.attempt_void(
            attempt_id=review.attempt_id, actor=reviewer,
            reason=(_("Review: violation — %(note)s") % {"note": note})[:300])
    review.voided_at = clock.now()


def _attempt_for(reviewer: AbstractBaseUser, attempt_id: uuid.UUID) -> Attempt:
    if not selectors.may_review(reviewer):
        raise PermissionDenied("not_a_reviewer", _("You may not review attempts."))
    attempt = selectors.reviewable_attempt(user=reviewer, attempt_id=attempt_id)
    if attempt.state not in statemachine.FINISHED_STATES:
        raise ApplicationError(
            "attempt_not_finished",
            _("An attempt is reviewed once it has ended (it is %(state)s).")
            % {"state": attempt.get_state_display()}, status=409)
    return attempt


def _locked_review(attempt: Attempt) -> AttemptReview:
    AttemptReview.objects.get_or_create(attempt=attempt)
    review = AttemptReview.objects.select_for_update(of=("self",)).select_related("attempt").get(
        attempt=attempt)
    if review.voided_at is not None:
        raise ApplicationError(
            "review_final",
            _("This attempt was voided for a violation; the decision is final."), status=409)
    return review


def _clean_note(note: str, *, required: bool) -> str:
    note = (note or "").strip()
    if required and not note:
        raise ApplicationError(
            "note_required",
            _("Write a note: a suspicious or violation decision must say why."), status=422)
    if len(note) > NOTE_MAX_LENGTH:
        raise ApplicationError(
            "note_too_long",
            _("The note is too long (at most %(n)d characters).") % {"n": NOTE_MAX_LENGTH},
            status=422)
    return note
