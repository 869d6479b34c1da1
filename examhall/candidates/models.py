"""Candidates (people) and their registrations for an exam subject."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from examhall.core import pii
from examhall.core.models import BaseModel
from examhall.exams.models import Exam, Room, Session, Subject


class IdType(models.TextChoices):
    RESIDENT_ID = "resident_id", _("Resident identity card")
    HMT_PERMIT = "hmt_permit", _("Residence permit for Hong Kong, Macao and Taiwan residents")
    PASSPORT = "passport", _("Passport")


class Candidate(BaseModel):
    """A person. The ID number is personal data: stored encrypted plus a keyed hash
    for look-up, shown masked; never stored or logged in clear."""

    name = models.CharField(_("full name"), max_length=100)
    id_type = models.CharField(
        _("ID type"), max_length=20, choices=IdType.choices, default=IdType.RESIDENT_ID
    )
    id_number_encrypted = models.TextField(_("ID number (encrypted)"), editable=False)
    id_number_hash = models.CharField(
        _("ID number look-up hash"), max_length=64, editable=False, db_index=True
    )
    id_number_masked = models.CharField(_("ID number"), max_length=40, editable=False)
    photo = models.ImageField(_("enrolled photo"), upload_to="enrolment/", blank=True)

    class Meta:
        verbose_name = _("candidate")
        verbose_name_plural = _("candidates")
        ordering = ["name"]
        permissions = [("reveal_id_number", _("Can reveal a full ID number"))]
        constraints = [
            models.UniqueConstraint(
                fields=["id_type", "id_number_hash"], name="candidate_id_number_unique"
            )
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.id_number_masked})"

    def set_id_number(self, normalised: str) -> None:
        self.id_number_encrypted = pii.encrypt(normalised)
        self.id_number_hash = pii.lookup_hash(normalised)
        self.id_number_masked = pii.mask(normalised)

    def reveal_id_number(self) -> str:
        return pii.decrypt(self.id_number_encrypted)


class Registration(BaseModel):
    """A candidate entered for one subject of one exam, in a session and room."""

    candidate = models.ForeignKey(
        Candidate, on_delete=models.PROTECT, related_name="registrations",
        verbose_name=_("candidate"),
    )
    exam = models.ForeignKey(
        Exam, on_delete=models.PROTECT, related_name="registrations", verbose_name=_("exam")
    )
    subject = models.ForeignKey(
        Subject, on_delete=models.PROTECT, related_name="registrations", verbose_name=_("subject")
    )
    session = models.ForeignKey(
        Session, on_delete=models.PROTECT, related_name="registrations", verbose_name=_("session")
    )
    room = models.ForeignKey(
        Room, on_delete=models.PROTECT, related_name="registrations", verbose_name=_("room")
    )
    ticket_number = models.CharField(_("admission ticket number"), max_length=30)
    extra_minutes = models.PositiveIntegerField(
        _("extra minutes (accommodation)"), default=0,
        help_text=_("Added to the attempt's duration, e.g. for a documented disability."),
    )

    class Meta:
        verbose_name = _("registration")
        verbose_name_plural = _("registrations")
        ordering = ["exam", "ticket_number"]
        constraints = [
            models.UniqueConstraint(
                fields=["exam", "ticket_number"], name="registration_ticket_unique_per_exam"
            ),
            models.UniqueConstraint(
                fields=["exam", "candidate", "subject"],
                name="registration_candidate_subject_unique",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.ticket_number} · {self.candidate.name}"
