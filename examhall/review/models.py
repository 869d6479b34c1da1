"""Review after the exam: each attempt's decision (passed / suspicious / violation),
the exam's policy on a second reviewer, and the audit of every decision."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from examhall.core.models import BaseModel
from examhall.delivery.models import Attempt
from examhall.exams.models import Exam


class ReviewStatus(models.TextChoices):
    NOT_REVIEWED = "not_reviewed", _("Not reviewed")
    # "Passed" names other things elsewhere (a pass mark, a check): its own context here.
    PASSED = "passed", pgettext_lazy("review decision", "Passed")
    SUSPICIOUS = "suspicious", _("Suspicious")
    VIOLATION = "violation", _("Violation")


class ReviewPolicy(BaseModel):
    """Per exam: must a second reviewer confirm a violation before the result is
    voided? Without a row, formal exams require one and mock exams do not."""

    exam = models.OneToOneField(Exam, on_delete=models.CASCADE, related_name="review_policy",
                                verbose_name=_("exam"))
    second_reviewer_for_violation = models.BooleanField(
        _("a second reviewer confirms a violation"), default=True,
        help_text=_("A violation voids the result only once a different reviewer "
                    "confirms it."),
    )

    class Meta:
        verbose_name = _("review policy")
        verbose_name_plural = _("review policies")

    def __str__(self) -> str:
        return str(self.exam)


class AttemptReview(BaseModel):
    """The current decision on one attempt. A violation that needs a second reviewer
    waits for ``confirmed_by``; ``voided_at`` says when the decision voided the result
    (after that the decision is final)."""

    attempt = models.OneToOneField(Attempt, on_delete=models.CASCADE, related_name="review",
                                   verbose_name=_("attempt"))
    status = models.CharField(_("decision"), max_length=12, choices=ReviewStatus.choices,
                              default=ReviewStatus.NOT_REVIEWED, db_index=True)
    note = models.TextField(_("note"), max_length=2000, blank=True)
    reviewer = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True,
                                 blank=True, related_name="+", verbose_name=_("reviewer"))
    reviewed_at = models.DateTimeField(_("reviewed at"), null=True, blank=True)
    confirmation_required = models.BooleanField(
        _("needs a second reviewer"), default=False,
        help_text=_("The violation voids the result once a different reviewer confirms it."))
    confirmed_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT,
                                     null=True, blank=True, related_name="+",
                                     verbose_name=_("confirmed by"))
    confirmed_at = models.DateTimeField(_("confirmed at"), null=True, blank=True)
    voided_at = models.DateTimeField(_("result voided at"), null=True, blank=True)

    class Meta:
        verbose_name = _("attempt review")
        verbose_name_plural = _("attempt reviews")
        permissions = [("review_attempts", _("Can review attempts after the exam"))]
        constraints = [
            models.CheckConstraint(
                condition=~models.Q(status__in=["suspicious", "violation"]) | ~models.Q(note=""),
                name="review_note_for_suspicious_or_violation"),
        ]

    def __str__(self) -> str:
        return f"{self.attempt_id}: {self.status}"

    @property
    def awaiting_confirmation(self) -> bool:
        return (self.status == ReviewStatus.VIOLATION and self.confirmation_required
                and self.confirmed_by_id is None)


class ReviewDecision(models.Model):
    """The audit: every decision and confirmation, who, when, what and why."""

    class Kind(models.TextChoices):
        DECIDE = "decide", _("Decided")
        CONFIRM = "confirm", _("Confirmed the violation")

    review = models.ForeignKey(AttemptReview, on_delete=models.CASCADE, related_name="decisions",
                               verbose_name=_("review"))
    at = models.DateTimeField(_("at"), db_index=True)
    reviewer = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT,
                                 related_name="+", verbose_name=_("reviewer"))
    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices)
    status = models.CharField(_("decision"), max_length=12, choices=ReviewStatus.choices)
    note = models.TextField(_("note"), max_length=2000, blank=True)
    voided = models.BooleanField(_("voided the result"), default=False)

    class Meta:
        verbose_name = _("review decision")
        verbose_name_plural = _("review decisions")
        ordering = ["at", "id"]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M} {self.kind} {self.status}"
