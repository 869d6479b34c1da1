"""Monitoring during the exam: snapshots of both cameras, their last-seen times, the
page's browser events, the flags raised from them, and each exam's policy."""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from examhall.core.models import BaseModel
from examhall.delivery.models import Attempt
from examhall.exams.models import Exam


class Camera(models.TextChoices):
    PC = "pc", _("PC camera")
    PHONE = "phone", _("Phone camera")


class Sensitivity(models.TextChoices):
    STRICT = "strict", _("Strict")
    STANDARD = "standard", _("Standard")
    RELAXED = "relaxed", _("Relaxed")


class MonitoringPolicy(BaseModel):
    """How an exam is monitored. Without a row, the defaults apply."""

    exam = models.OneToOneField(Exam, on_delete=models.CASCADE, related_name="monitoring_policy",
                                verbose_name=_("exam"))
    pc_interval_seconds = models.PositiveSmallIntegerField(
        _("PC snapshot interval (seconds)"), default=15)
    phone_interval_seconds = models.PositiveSmallIntegerField(
        _("phone snapshot interval (seconds)"), default=20)
    identity_every = models.PositiveSmallIntegerField(
        _("identity check every Nth PC snapshot"), default=4,
        help_text=_("Comparing a face with the reference photo is costly; 1 checks every "
                    "snapshot."))
    sensitivity = models.CharField(
        _("sensitivity"), max_length=10, choices=Sensitivity.choices,
        default=Sensitivity.STANDARD,
        help_text=_("Sets the thresholds for a covered or frozen camera and the grace period "
                    "for a lost one."))
    grace_seconds = models.PositiveSmallIntegerField(
        _("grace period for a lost camera (seconds)"), null=True, blank=True,
        help_text=_("Empty: the sensitivity's grace period (strict 30, standard 60, relaxed "
                    "120)."))
    retention_days = models.PositiveSmallIntegerField(
        _("keep evidence images (days after the exam)"), default=90)

    class Meta:
        verbose_name = _("monitoring policy")
        verbose_name_plural = _("monitoring policies")
        constraints = [
            models.CheckConstraint(condition=models.Q(pc_interval_seconds__gte=3),
                                   name="monitoring_pc_interval_min"),
            models.CheckConstraint(condition=models.Q(phone_interval_seconds__gte=3),
                                   name="monitoring_phone_interval_min"),
            models.CheckConstraint(condition=models.Q(identity_every__gte=1),
                                   name="monitoring_identity_every_min"),
        ]

    def __str__(self) -> str:
        return str(self.exam)


def snapshot_path(snapshot: Snapshot, filename: str) -> str:
    """A path that does not reveal the candidate (two hex characters spread the files)."""
    name = uuid.uuid4().hex
    return f"snapshots/{name[:2]}/{name}.jpg"


class Snapshot(BaseModel):
    """One picture from a camera during the exam, re-encoded as a plain JPEG."""

    class Reason(models.TextChoices):
        INTERVAL = "interval", _("At the interval")
        EVENT = "event", _("On a suspicious event")

    class Analysis(models.TextChoices):
        PENDING = "pending", _("Waiting")
        DONE = "done", _("Analysed")
        SKIPPED = "skipped", _("Skipped (a newer one was analysed)")
        FAILED = "failed", _("Failed")

    attempt = models.ForeignKey(Attempt, on_delete=models.CASCADE, related_name="snapshots",
                                verbose_name=_("attempt"))
    camera = models.CharField(_("camera"), max_length=10, choices=Camera.choices)
    taken_at = models.DateTimeField(_("received at"))
    reason = models.CharField(_("reason"), max_length=10, choices=Reason.choices,
                              default=Reason.INTERVAL)
    image = models.FileField(_("image"), upload_to=snapshot_path, max_length=200, blank=True)
    width = models.PositiveIntegerField(_("width"))
    height = models.PositiveIntegerField(_("height"))
    size_bytes = models.PositiveIntegerField(_("bytes"))
    fingerprint = models.BinaryField(
        _("grey thumbnail"), editable=False,
        help_text=_("A tiny grey copy, to notice the same frame sent again."))
    analysis_status = models.CharField(_("analysis"), max_length=10, choices=Analysis.choices,
                                       default=Analysis.PENDING)
    analysis = models.JSONField(_("analysis result"), default=dict, blank=True)
    analysed_at = models.DateTimeField(_("analysed at"), null=True, blank=True)
    purged_at = models.DateTimeField(_("image deleted at"), null=True, blank=True)

    class Meta:
        verbose_name = _("snapshot")
        verbose_name_plural = _("snapshots")
        ordering = ["-taken_at"]
        indexes = [
            models.Index(fields=["attempt", "camera", "taken_at"],
                         name="snapshot_attempt_camera"),
            models.Index(fields=["analysis_status", "taken_at"], name="snapshot_analysis"),
        ]

    def __str__(self) -> str:
        return f"{self.get_camera_display()} · {self.taken_at:%Y-%m-%d %H:%M:%S}"


class CameraPresence(models.Model):
    """When a camera of an attempt was last heard from (snapshot or heartbeat): one row
    per attempt and camera, updated in place."""

    attempt = models.ForeignKey(Attempt, on_delete=models.CASCADE, related_name="+",
                                verbose_name=_("attempt"))
    camera = models.CharField(_("camera"), max_length=10, choices=Camera.choices)
    first_seen_at = models.DateTimeField(_("first seen at"))
    last_seen_at = models.DateTimeField(_("last seen at"), db_index=True)
    last_snapshot_at = models.DateTimeField(_("last snapshot at"), null=True, blank=True)

    class Meta:
        verbose_name = _("camera presence")
        verbose_name_plural = _("camera presences")
        constraints = [
            models.UniqueConstraint(fields=["attempt", "camera"],
                                    name="camera_presence_one_per_camera"),
        ]

    def __str__(self) -> str:
        return f"{self.camera} · {self.last_seen_at:%H:%M:%S}"


class BrowserEvent(models.Model):
    """Something the exam page noticed (focus lost, full screen left, paste…)."""

    class Type(models.TextChoices):
        FOCUS_LOST = "focus_lost", _("Focus lost")
        FOCUS_REGAINED = "focus_regained", _("Focus regained")
        PAGE_HIDDEN = "page_hidden", _("Page hidden")
        PAGE_VISIBLE = "page_visible", _("Page visible again")
        FULLSCREEN_LEFT = "fullscreen_left", _("Full screen left")
        FULLSCREEN_ENTERED = "fullscreen_entered", _("Full screen entered")
        COPY = "copy", _("Copy")
        CUT = "cut", _("Cut")
        PASTE = "paste", _("Paste")
        CONTEXT_MENU = "context_menu", _("Right-click menu")
        PRINT = "print", _("Print")
        SCREEN_EXTENDED = "screen_extended", _("Extra screen attached")
        VOICE_ACTIVITY = "voice_activity", _("Voice heard")

    attempt = models.ForeignKey(Attempt, on_delete=models.CASCADE, related_name="+",
                                verbose_name=_("attempt"))
    type = models.CharField(_("type"), max_length=20, choices=Type.choices)
    client_at = models.DateTimeField(_("time on the candidate's computer"), null=True,
                                     blank=True)
    server_at = models.DateTimeField(_("received at"))
    details = models.JSONField(_("details"), default=dict, blank=True)

    class Meta:
        verbose_name = _("browser event")
        verbose_name_plural = _("browser events")
        ordering = ["attempt", "server_at", "id"]
        indexes = [models.Index(fields=["attempt", "server_at"], name="browser_event_attempt")]

    def __str__(self) -> str:
        return self.get_type_display()


class Flag(BaseModel):
    """A finding that a reviewer should look at: one episode of one kind of finding
    (repeated findings within the gap window extend it), with evidence snapshots."""

    class Category(models.TextChoices):
        IDENTITY = "identity", _("Identity")
        ENVIRONMENT = "environment", _("Environment")
        DEVICE = "device", _("Device")
        BEHAVIOUR = "behaviour", _("Behaviour")
        TECHNICAL = "technical", _("Technical")

    class Severity(models.TextChoices):
        LOW = "low", _("Low")
        MEDIUM = "medium", _("Medium")
        HIGH = "high", _("High")

    class Status(models.TextChoices):
        OPEN = "open", pgettext_lazy("flag status", "Open")
        CONFIRMED = "confirmed", _("Confirmed")
        DISMISSED = "dismissed", _("Dismissed")

    attempt = models.ForeignKey(Attempt, on_delete=models.CASCADE, related_name="flags",
                                verbose_name=_("attempt"))
    type = models.CharField(_("type"), max_length=30, db_index=True)
    camera = models.CharField(_("camera"), max_length=10, choices=Camera.choices, blank=True)
    category = models.CharField(_("category"), max_length=12, choices=Category.choices)
    severity = models.CharField(_("severity"), max_length=6, choices=Severity.choices)
    first_at = models.DateTimeField(_("first seen at"))
    last_at = models.DateTimeField(_("last seen at"))
    count = models.PositiveIntegerField(_("times seen"), default=1)
    evidence = models.ManyToManyField(Snapshot, blank=True, related_name="flags",
                                      verbose_name=_("evidence"))
    details = models.JSONField(_("details"), default=dict, blank=True)
    status = models.CharField(_("status"), max_length=10, choices=Status.choices,
                              default=Status.OPEN, db_index=True)
    resolution_note = models.CharField(_("proctor's note"), max_length=500, blank=True)
    resolved_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT,
                                    null=True, blank=True, related_name="+",
                                    verbose_name=_("confirmed or dismissed by"))
    resolved_at = models.DateTimeField(_("confirmed or dismissed at"), null=True, blank=True)

    class Meta:
        verbose_name = _("flag")
        verbose_name_plural = _("flags")
        ordering = ["-last_at"]
        indexes = [models.Index(fields=["attempt", "type", "camera", "status"],
                                name="flag_episode")]

    def __str__(self) -> str:
        return f"{self.type} ×{self.count}"


class PhonePairing(BaseModel):
    """The candidate's phone as the second camera of one attempt.

    The PC shows a QR code with a one-time token (only its SHA-256 is kept) that a
    phone may claim for ``expires_at`` (10 minutes). The phone claims it by entering
    the ticket and ID number again; from then on it holds a credential naming this
    pairing until the pairing ends. One phone at a time: pairing another ends this
    one (``end_reason`` "replaced") and the old phone is told so.
    """

    class EndReason(models.TextChoices):
        REPLACED = "replaced", _("Another phone was paired")
        FINISHED = "finished", _("The exam is over")
        UNPAIRED = "unpaired", _("Unpaired by the candidate")

    attempt = models.ForeignKey(Attempt, on_delete=models.CASCADE,
                                related_name="phone_pairings", verbose_name=_("attempt"))
    token_digest = models.CharField(_("token digest"), max_length=64, unique=True,
                                    editable=False)
    expires_at = models.DateTimeField(_("QR code valid until"))
    claimed_at = models.DateTimeField(_("phone connected at"), null=True, blank=True)
    confirmed_at = models.DateTimeField(_("placement confirmed at"), null=True, blank=True)
    ended_at = models.DateTimeField(_("ended at"), null=True, blank=True)
    end_reason = models.CharField(_("end reason"), max_length=10, choices=EndReason.choices,
                                  blank=True)
    user_agent = models.CharField(_("phone browser"), max_length=300, blank=True)
    checks = models.JSONField(_("phone checks"), default=dict, blank=True,
                              help_text=_("What the phone measured and the server's verdicts."))
    checks_passed = models.BooleanField(_("phone checks passed"), default=False)

    class Meta:
        verbose_name = _("phone pairing")
        verbose_name_plural = _("phone pairings")
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["attempt", "-created_at"], name="phone_pairing_latest")]

    def __str__(self) -> str:
        return f"{self.attempt_id} {self.created_at:%Y-%m-%d %H:%M:%S}"


def audio_clip_path(clip: AudioClip, filename: str) -> str:
    name = uuid.uuid4().hex
    return f"audio/{name[:2]}/{name}.wav"


class AudioClip(BaseModel):
    """A few seconds of the PC microphone, sent when the page heard something; the
    server decides with a voice-activity model whether it was speech."""

    class Analysis(models.TextChoices):
        PENDING = "pending", _("Waiting")
        DONE = "done", _("Analysed")
        FAILED = "failed", _("Failed")

    attempt = models.ForeignKey(Attempt, on_delete=models.CASCADE, related_name="audio_clips",
                                verbose_name=_("attempt"))
    taken_at = models.DateTimeField(_("received at"))
    audio = models.FileField(_("audio"), upload_to=audio_clip_path, max_length=200, blank=True)
    duration_ms = models.PositiveIntegerField(_("duration (ms)"))
    size_bytes = models.PositiveIntegerField(_("bytes"))
    analysis_status = models.CharField(_("analysis"), max_length=10, choices=Analysis.choices,
                                       default=Analysis.PENDING)
    speech_seconds = models.FloatField(_("speech (seconds)"), null=True, blank=True)
    analysis = models.JSONField(_("analysis result"), default=dict, blank=True)
    analysed_at = models.DateTimeField(_("analysed at"), null=True, blank=True)
    purged_at = models.DateTimeField(_("audio deleted at"), null=True, blank=True)

    class Meta:
        verbose_name = _("audio clip")
        verbose_name_plural = _("audio clips")
        ordering = ["-taken_at"]
        indexes = [models.Index(fields=["attempt", "taken_at"], name="audio_clip_attempt")]

    def __str__(self) -> str:
        return f"{self.attempt_id} {self.taken_at:%H:%M:%S}"
