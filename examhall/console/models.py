"""The proctor console's records: admissions, messages between proctors and
candidates, irregularity reports, and the audit trail of every proctor action."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from examhall.core.models import BaseModel
from examhall.delivery.models import Attempt
from examhall.exams.models import Room


class Admission(BaseModel):
    """A proctor's decision on a candidate who passed every other check."""

    class Decision(models.TextChoices):
        ADMITTED = "admitted", _("Admitted")
        REFUSED = "refused", _("Refused")

    attempt = models.OneToOneField(Attempt, on_delete=models.CASCADE, related_name="admission",
                                   verbose_name=_("attempt"))
    decision = models.CharField(_("decision"), max_length=10, choices=Decision.choices)
    decided_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT,
                                   related_name="+", verbose_name=_("decided by"))
    decided_at = models.DateTimeField(_("decided at"))
    reason = models.CharField(_("reason"), max_length=300, blank=True)

    class Meta:
        verbose_name = _("admission")
        verbose_name_plural = _("admissions")

    def __str__(self) -> str:
        return f"{self.attempt_id}: {self.decision}"


class Message(BaseModel):
    """One message of the conversation between the room's proctors and a candidate:
    a proctor's message (shown as a modal the candidate must acknowledge; a broadcast
    writes one per candidate so each acknowledgement is known) or the candidate's
    raised hand and replies."""

    class Sender(models.TextChoices):
        PROCTOR = "proctor", _("Proctor")
        CANDIDATE = "candidate", _("Candidate")

    attempt = models.ForeignKey(Attempt, on_delete=models.CASCADE, related_name="messages",
                                verbose_name=_("attempt"))
    sender = models.CharField(_("sender"), max_length=10, choices=Sender.choices)
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True,
                               blank=True, related_name="+", verbose_name=_("proctor"))
    body = models.TextField(_("text"), max_length=1000)
    broadcast = models.BooleanField(_("sent to the whole room"), default=False)
    sent_at = models.DateTimeField(_("sent at"), db_index=True)
    acknowledged_at = models.DateTimeField(_("acknowledged at"), null=True, blank=True)
    read_by_proctor_at = models.DateTimeField(_("read by a proctor at"), null=True, blank=True)

    class Meta:
        verbose_name = _("message")
        verbose_name_plural = _("messages")
        ordering = ["sent_at"]
        indexes = [models.Index(fields=["attempt", "sent_at"], name="message_thread")]

    def __str__(self) -> str:
        return f"{self.sender}: {self.body[:40]}"


class IrregularityReport(BaseModel):
    """What happened in a room that the record should keep (the exam's minutes)."""

    class Category(models.TextChoices):
        ENVIRONMENT = "environment", _("Environment")
        EXAMINEE = "examinee", _("Examinee")
        STAFF = "staff", _("Staff")
        TECHNICAL = "technical", _("Technical")
        OTHER = "other", _("Other")

    room = models.ForeignKey(Room, on_delete=models.PROTECT, related_name="irregularity_reports",
                             verbose_name=_("room"))
    attempt = models.ForeignKey(Attempt, on_delete=models.PROTECT, null=True, blank=True,
                                related_name="irregularity_reports", verbose_name=_("attempt"))
    category = models.CharField(_("category"), max_length=12, choices=Category.choices)
    description = models.TextField(_("description"), max_length=4000)
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT,
                               related_name="+", verbose_name=_("filed by"))
    filed_at = models.DateTimeField(_("filed at"))

    class Meta:
        verbose_name = _("irregularity report")
        verbose_name_plural = _("irregularity reports")
        ordering = ["-filed_at"]

    def __str__(self) -> str:
        return f"{self.get_category_display()} · {self.filed_at:%Y-%m-%d %H:%M}"


class ProctorAction(models.Model):
    """The audit trail: every proctor action, who, when, on what and why."""

    class Kind(models.TextChoices):
        ADMIT = "admit", _("Admitted")
        REFUSE = "refuse", _("Refused admission")
        IDENTITY_APPROVE = "identity_approve", _("Approved identity")
        IDENTITY_REJECT = "identity_reject", _("Rejected identity")
        MESSAGE = "message", _("Sent a message")
        BROADCAST = "broadcast", _("Sent a message to the room")
        PAUSE = "pause", _("Paused")
        RESUME = "resume", _("Resumed")
        EXTEND = "extend", _("Extended the time")
        FORCE_SUBMIT = "force_submit", _("Submitted for the candidate")
        TERMINATE = "terminate", _("Terminated (voided)")
        ALLOW_REENTRY = "allow_reentry", _("Allowed re-entry")
        FLAG_CONFIRM = "flag_confirm", _("Confirmed a flag")
        FLAG_DISMISS = "flag_dismiss", _("Dismissed a flag")
        IRREGULARITY = "irregularity", _("Filed an irregularity report")
        LIVE_VIDEO = "live_video", _("Opened live video")

    at = models.DateTimeField(_("at"), db_index=True)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT,
                              related_name="+", verbose_name=_("proctor"))
    kind = models.CharField(_("action"), max_length=20, choices=Kind.choices)
    room = models.ForeignKey(Room, on_delete=models.PROTECT, related_name="+",
                             verbose_name=_("room"))
    attempt = models.ForeignKey(Attempt, on_delete=models.PROTECT, null=True, blank=True,
                                related_name="proctor_actions", verbose_name=_("attempt"))
    reason = models.CharField(_("reason"), max_length=500, blank=True)
    details = models.JSONField(_("details"), default=dict, blank=True)

    class Meta:
        verbose_name = _("proctor action")
        verbose_name_plural = _("proctor actions")
        ordering = ["-at"]
        permissions = [("proctor_rooms", _("Can proctor rooms (console)"))]

    def __str__(self) -> str:
        return f"{self.at:%H:%M:%S} {self.actor_id} {self.kind}"
