"""Identity verification: an exam's policy, candidates' reference photos, and each
attempt's check with its tries (captures) and a proctor's review."""

from __future__ import annotations

import uuid
from decimal import Decimal

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from examhall.candidates.models import Candidate
from examhall.core.models import BaseModel
from examhall.delivery.models import Attempt
from examhall.exams.models import Exam


class IdentityPolicy(BaseModel):
    """How an exam verifies identity (used when the exam requires the check
    "identity"). Without a row, the defaults apply."""

    class Mode(models.TextChoices):
        ENROLLED = "enrolled", _("Compare with the enrolled photo")
        FIRST_CAPTURE = "first_capture", _("First capture becomes the reference, reviewed later")

    exam = models.OneToOneField(Exam, on_delete=models.CASCADE, related_name="identity_policy",
                                verbose_name=_("exam"))
    require_face_match = models.BooleanField(
        _("require a face match"), default=True,
        help_text=_("Off: the candidate only has to show one face to the camera."))
    mode = models.CharField(_("reference photo"), max_length=20, choices=Mode.choices,
                            default=Mode.ENROLLED)
    threshold = models.DecimalField(
        _("match threshold"), max_digits=4, decimal_places=3, default=Decimal("0.500"),
        help_text=_("Largest face distance accepted as the same person (lower is stricter). "
                    "Calibrate it with `python -m examhall.vision calibrate`."))
    max_tries = models.PositiveSmallIntegerField(
        _("tries"), default=3,
        help_text=_("After this many failed tries the attempt waits for a proctor's review."))
    liveness = models.BooleanField(
        _("liveness challenge"), default=True,
        help_text=_("The candidate blinks or turns their head on request; a photo fails."))

    class Meta:
        verbose_name = _("identity policy")
        verbose_name_plural = _("identity policies")

    def __str__(self) -> str:
        return str(self.exam)


def enrolment_photo_path(photo: EnrolmentPhoto, filename: str) -> str:
    """A path that does not reveal the candidate."""
    return f"identity/enrolment/{uuid.uuid4().hex}.jpg"


class EnrolmentPhoto(BaseModel):
    """A reference photo of a candidate, with its face embedding computed once. The
    current one is what identity checks compare with."""

    class Source(models.TextChoices):
        UPLOAD = "upload", _("Uploaded by the exam office")
        FIRST_CAPTURE = "first_capture", _("First verified capture")

    class Review(models.TextChoices):
        NOT_NEEDED = "not_needed", _("Not needed")
        PENDING = "pending", _("Waiting for review")
        APPROVED = "approved", _("Approved")
        REJECTED = "rejected", _("Rejected")

    candidate = models.ForeignKey(Candidate, on_delete=models.CASCADE,
                                  related_name="enrolment_photos", verbose_name=_("candidate"))
    image = models.FileField(_("photo"), upload_to=enrolment_photo_path, max_length=200)
    embedding = models.BinaryField(_("face embedding"), editable=False)
    source = models.CharField(_("source"), max_length=20, choices=Source.choices,
                              default=Source.UPLOAD)
    review = models.CharField(_("review"), max_length=20, choices=Review.choices,
                              default=Review.NOT_NEEDED)
    reviewed_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL,
                                    null=True, blank=True, related_name="+",
                                    verbose_name=_("reviewed by"))
    reviewed_at = models.DateTimeField(_("reviewed at"), null=True, blank=True)
    quality = models.JSONField(_("quality measurements"), default=dict, blank=True)
    is_current = models.BooleanField(_("current"), default=True)

    class Meta:
        verbose_name = _("enrolment photo")
        verbose_name_plural = _("enrolment photos")
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(fields=["candidate"], condition=models.Q(is_current=True),
                                    name="one_current_enrolment_photo"),
        ]

    def __str__(self) -> str:
        return f"{self.candidate} · {self.get_source_display()}"


class IdentityCheck(BaseModel):
    """One attempt's identity verification: its tries and how it ended."""

    class Status(models.TextChoices):
        PENDING = "pending", _("Not verified yet")
        PASSED = "passed", _("Verified")
        REVIEW = "review", _("Waiting for a proctor's review")
        APPROVED = "approved", _("Approved by a proctor")
        REJECTED = "rejected", _("Rejected by a proctor")

    attempt = models.OneToOneField(Attempt, on_delete=models.CASCADE,
                                   related_name="identity_check", verbose_name=_("attempt"))
    status = models.CharField(_("status"), max_length=20, choices=Status.choices,
                              default=Status.PENDING, db_index=True)
    failed_tries = models.PositiveSmallIntegerField(_("failed tries"), default=0)
    reference = models.ForeignKey(EnrolmentPhoto, on_delete=models.SET_NULL, null=True,
                                  blank=True, related_name="+",
                                  verbose_name=_("reference photo"))
    distance = models.FloatField(_("face distance"), null=True, blank=True)
    review_reason = models.CharField(_("why it needs a review"), max_length=40, blank=True)
    decided_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL,
                                   null=True, blank=True, related_name="+",
                                   verbose_name=_("decided by"))
    decided_at = models.DateTimeField(_("decided at"), null=True, blank=True)
    note = models.CharField(_("note"), max_length=500, blank=True)

    class Meta:
        verbose_name = _("identity check")
        verbose_name_plural = _("identity checks")
        ordering = ["-created_at"]
        permissions = [("review_identity", _("Can review identity checks"))]

    def __str__(self) -> str:
        return f"{self.attempt_id} · {self.get_status_display()}"


class IdentityCapture(BaseModel):
    """One try: the challenge the server picked, the frames the browser sent (kept
    as evidence) and the server's verdict."""

    class Status(models.TextChoices):
        OPEN = "open", _("Waiting for frames")
        PASSED = "passed", pgettext_lazy("identity try", "Passed")
        FAILED = "failed", _("Failed")

    identity_check = models.ForeignKey(IdentityCheck, on_delete=models.CASCADE,
                                       related_name="captures", verbose_name=_("identity check"))
    challenge = models.CharField(_("liveness challenge"), max_length=20, blank=True)
    expires_at = models.DateTimeField(_("expires at"))
    status = models.CharField(_("status"), max_length=10, choices=Status.choices,
                              default=Status.OPEN)
    reason = models.CharField(_("reason"), max_length=40, blank=True)
    distance = models.FloatField(_("face distance"), null=True, blank=True)
    details = models.JSONField(_("measurements"), default=dict, blank=True)
    frames = models.JSONField(_("evidence frames"), default=list, blank=True,
                              help_text=_("Storage paths of the frames kept as evidence."))

    class Meta:
        verbose_name = _("identity capture")
        verbose_name_plural = _("identity captures")
        ordering = ["identity_check", "created_at"]

    def __str__(self) -> str:
        return f"{self.identity_check_id} · {self.get_status_display()}"
