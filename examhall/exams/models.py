"""The exam catalogue: organisations, exams, subjects, sessions and rooms."""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

from examhall.core.models import BaseModel


class Organisation(BaseModel):
    code = models.SlugField(_("code"), max_length=40, unique=True)
    name = models.CharField(_("name"), max_length=200)

    class Meta:
        verbose_name = _("organisation")
        verbose_name_plural = _("organisations")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Exam(BaseModel):
    class Kind(models.TextChoices):
        MOCK = "mock", _("Mock exam")
        FORMAL = "formal", _("Formal exam")

    class Check(models.TextChoices):
        """Checks an exam may require before start; later issues implement them."""

        ENVIRONMENT = "environment", _("Environment check")
        DEVICE = "device", _("Device check")
        IDENTITY = "identity", _("Identity verification")
        SECOND_CAMERA = "second_camera", _("Second camera")
        # Always evaluated last: a proctor admits a candidate who passed every other check.
        ADMISSION = "admission", _("Admission by a proctor")

    organisation = models.ForeignKey(
        Organisation, on_delete=models.PROTECT, related_name="exams", verbose_name=_("organisation")
    )
    code = models.SlugField(_("code"), max_length=40, unique=True)
    name = models.CharField(_("name"), max_length=200)
    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices, default=Kind.MOCK)
    is_published = models.BooleanField(
        _("published"), default=False, help_text=_("Candidates can see and enter the exam.")
    )
    show_score_on_submit = models.BooleanField(
        _("show score on submit"),
        default=False,
        help_text=_("Candidates see their objective score right after submitting."),
    )
    required_checks = models.JSONField(
        _("required checks"),
        default=list,
        blank=True,
        help_text=_("Checks a candidate must pass before the start button is enabled."),
    )
    instructions = models.TextField(_("instructions for candidates"), blank=True)
    reentry_needs_approval = models.BooleanField(
        _("re-entry needs a proctor"),
        default=False,
        help_text=_("Once the exam has started, signing in again (another browser, after a "
                    "crash) needs a proctor's permission."),
    )
    results_published_at = models.DateTimeField(
        _("results published at"), null=True, blank=True, editable=False,
        help_text=_("From then on candidates can look up their results."),
    )

    class Meta:
        verbose_name = _("exam")
        verbose_name_plural = _("exams")
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return self.name


class Subject(BaseModel):
    """A specialty at a level, e.g. 碳排放管理技术（高级）."""

    exam = models.ForeignKey(
        Exam, on_delete=models.CASCADE, related_name="subjects", verbose_name=_("exam")
    )
    code = models.SlugField(_("code"), max_length=40)
    specialty = models.CharField(_("specialty"), max_length=200)
    level = models.CharField(_("level"), max_length=40, blank=True)
    is_open = models.BooleanField(_("open for entry"), default=True)
    pass_mark = models.DecimalField(
        _("pass mark"), max_digits=8, decimal_places=2, null=True, blank=True,
        help_text=_("A score at or above it passes. Empty: no pass/fail is shown."),
    )
    position = models.PositiveIntegerField(_("position"), default=0)

    class Meta:
        verbose_name = _("subject")
        verbose_name_plural = _("subjects")
        ordering = ["exam", "position", "code"]
        constraints = [
            models.UniqueConstraint(fields=["exam", "code"], name="subject_code_unique_per_exam")
        ]

    def __str__(self) -> str:
        return self.display_name

    @property
    def display_name(self) -> str:
        return f"{self.specialty}（{self.level}）" if self.level else self.specialty


class Session(BaseModel):
    """A sitting with a time window. Candidates may enter until ``late_entry_minutes``
    after ``opens_at``; each attempt lasts ``duration_minutes`` (plus accommodations)."""

    exam = models.ForeignKey(
        Exam, on_delete=models.CASCADE, related_name="sessions", verbose_name=_("exam")
    )
    name = models.CharField(_("name"), max_length=200)
    opens_at = models.DateTimeField(_("opens at"))
    closes_at = models.DateTimeField(_("closes at"))
    duration_minutes = models.PositiveIntegerField(_("duration (minutes)"))
    late_entry_minutes = models.PositiveIntegerField(
        _("late entry limit (minutes)"),
        null=True,
        blank=True,
        help_text=_("Minutes after opening during which candidates may still start. "
                    "Empty: until the session closes."),
    )

    class Meta:
        verbose_name = _("session")
        verbose_name_plural = _("sessions")
        ordering = ["opens_at"]
        constraints = [
            models.CheckConstraint(
                condition=Q(closes_at__gt=F("opens_at")), name="session_closes_after_opening"
            ),
            models.CheckConstraint(
                condition=Q(duration_minutes__gt=0), name="session_duration_positive"
            ),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def late_entry_until(self) -> dt.datetime:
        if self.late_entry_minutes is None:
            return self.closes_at
        return min(self.closes_at, self.opens_at + dt.timedelta(minutes=self.late_entry_minutes))


class Room(BaseModel):
    """A virtual room: a group of candidates watched by the same proctors."""

    session = models.ForeignKey(
        Session, on_delete=models.CASCADE, related_name="rooms", verbose_name=_("session")
    )
    name = models.CharField(_("name"), max_length=100)
    capacity = models.PositiveIntegerField(_("capacity"), default=50)
    meeting_number = models.CharField(_("external meeting number"), max_length=60, blank=True)
    meeting_link = models.URLField(_("external meeting link"), blank=True)
    proctors = models.ManyToManyField(
        settings.AUTH_USER_MODEL, blank=True, related_name="proctored_rooms",
        verbose_name=_("proctors"),
    )

    class Meta:
        verbose_name = _("room")
        verbose_name_plural = _("rooms")
        ordering = ["session", "name"]
        permissions = [("oversee_all_rooms", _("Can oversee every room"))]
        constraints = [
            models.UniqueConstraint(fields=["session", "name"], name="room_name_unique_per_session")
        ]

    def __str__(self) -> str:
        return f"{self.session} · {self.name}"
