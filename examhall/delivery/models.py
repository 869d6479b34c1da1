"""Attempts (one state machine, see ``statemachine``), their events and answers."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from examhall.candidates.models import Registration
from examhall.core.models import BaseModel
from examhall.itembank.models import Paper, Question


class AttemptState(models.TextChoices):
    REGISTERED = "registered", _("Registered")
    CHECKING = "checking", _("Checking")
    DEVICE_CHECK = "device_check", _("Device check")
    IDENTITY_CHECK = "identity_check", _("Identity verification")
    IDENTITY_REVIEW = "identity_review", _("Identity review by a proctor")
    AWAITING_ADMISSION = "awaiting_admission", _("Awaiting admission by a proctor")
    READY = "ready", _("Ready to start")
    IN_PROGRESS = "in_progress", _("In progress")
    PAUSED = "paused", _("Paused")
    SUBMITTED = "submitted", _("Submitted")
    GRADED = "graded", _("Graded")
    VOIDED = "voided", _("Voided")


class SubmitReason(models.TextChoices):
    CANDIDATE = "candidate", _("Submitted by the candidate")
    TIME_UP = "time_up", _("Time up")
    PROCTOR = "proctor", _("Ended by a proctor")


class Attempt(BaseModel):
    registration = models.OneToOneField(
        Registration, on_delete=models.PROTECT, related_name="attempt",
        verbose_name=_("registration"),
    )
    state = models.CharField(
        _("state"), max_length=20, choices=AttemptState.choices,
        default=AttemptState.REGISTERED, db_index=True,
    )
    paper = models.ForeignKey(
        Paper, on_delete=models.PROTECT, null=True, blank=True, related_name="attempts",
        verbose_name=_("paper"),
    )
    question_ids = models.JSONField(
        _("question order"), default=list, blank=True,
        help_text=_("The questions this attempt shows, in the order shown."),
    )
    paper_spec = models.JSONField(
        _("paper as delivered"), default=dict, blank=True,
        help_text=_("Frozen at start: the seed, and per question its section, points and "
                    "option order."),
    )
    started_at = models.DateTimeField(_("started at"), null=True, blank=True)
    deadline = models.DateTimeField(_("deadline"), null=True, blank=True, db_index=True)
    paused_at = models.DateTimeField(_("paused at"), null=True, blank=True)
    reentry_requested_at = models.DateTimeField(
        _("re-entry requested at"), null=True, blank=True,
        help_text=_("The candidate tried to sign in again and waits for a proctor."),
    )
    reentry_allowed_until = models.DateTimeField(
        _("re-entry allowed until"), null=True, blank=True,
        help_text=_("A proctor allowed the candidate to sign in again until then (once)."),
    )
    signin_generation = models.PositiveIntegerField(
        _("sign-in generation"), default=0,
        help_text=_("Raised when a proctor's re-entry permission is used: the browser "
                    "signed in before holds an older one and is signed out."),
    )
    submitted_at = models.DateTimeField(_("submitted at"), null=True, blank=True)
    submit_reason = models.CharField(
        _("submit reason"), max_length=20, choices=SubmitReason.choices, blank=True
    )

    class Meta:
        verbose_name = _("attempt")
        verbose_name_plural = _("attempts")
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["state", "deadline"], name="attempt_state_deadline")]

    def __str__(self) -> str:
        return f"{self.registration.ticket_number} · {self.get_state_display()}"


class AttemptEvent(models.Model):
    """Audit row written by every state transition."""

    attempt = models.ForeignKey(Attempt, on_delete=models.CASCADE, related_name="events")
    at = models.DateTimeField(_("at"))
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
        related_name="+", verbose_name=_("staff actor"),
    )
    actor_label = models.CharField(_("actor"), max_length=60)
    from_state = models.CharField(_("from"), max_length=20, choices=AttemptState.choices)
    to_state = models.CharField(_("to"), max_length=20, choices=AttemptState.choices)
    reason = models.CharField(_("reason"), max_length=300, blank=True)

    class Meta:
        verbose_name = _("attempt event")
        verbose_name_plural = _("attempt events")
        ordering = ["attempt", "at", "id"]

    def __str__(self) -> str:
        return f"{self.from_state} → {self.to_state}"


class Answer(models.Model):
    """The latest answer of an attempt to one question.

    ``seq`` is the client's per-attempt sequence number: saving the same seq twice
    is one write, and an older seq never overwrites a newer one.
    """

    attempt = models.ForeignKey(Attempt, on_delete=models.CASCADE, related_name="answers")
    question = models.ForeignKey(Question, on_delete=models.PROTECT, related_name="+")
    value = models.JSONField(_("value"), default=list)
    marked = models.BooleanField(_("marked for review"), default=False)
    seq = models.BigIntegerField(_("client sequence"))
    client_saved_at = models.DateTimeField(_("changed on the client at"), null=True, blank=True)
    saved_at = models.DateTimeField(_("saved at"))

    class Meta:
        verbose_name = _("answer")
        verbose_name_plural = _("answers")
        constraints = [
            models.UniqueConstraint(fields=["attempt", "question"], name="answer_one_per_question")
        ]

    def __str__(self) -> str:
        return f"{self.question_id}: {self.value}"
