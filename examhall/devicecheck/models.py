"""Device-check policy per exam and the reports the candidate's browser measured."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from examhall.core.models import BaseModel
from examhall.delivery.models import Attempt
from examhall.exams.models import Exam


class DeviceCheckPolicy(BaseModel):
    """What the device check requires for one exam (created with defaults on demand)."""

    exam = models.OneToOneField(
        Exam, on_delete=models.CASCADE, related_name="device_check_policy",
        verbose_name=_("exam"),
    )
    min_width = models.PositiveIntegerField(_("minimum camera width (px)"), default=640)
    min_height = models.PositiveIntegerField(_("minimum camera height (px)"), default=480)
    min_network_mbps = models.DecimalField(
        _("minimum network speed (Mbit/s)"), max_digits=6, decimal_places=1, default=10,
        help_text=_("Below this the candidate is warned; the check still passes."),
    )
    require_microphone = models.BooleanField(_("require a microphone"), default=True)

    class Meta:
        verbose_name = _("device check policy")
        verbose_name_plural = _("device check policies")
        constraints = [
            models.CheckConstraint(condition=models.Q(min_width__gte=1),
                                   name="devicecheck_policy_min_width_positive"),
            models.CheckConstraint(condition=models.Q(min_height__gte=1),
                                   name="devicecheck_policy_min_height_positive"),
            models.CheckConstraint(condition=models.Q(min_network_mbps__gte=0),
                                   name="devicecheck_policy_min_network_not_negative"),
        ]

    def __str__(self) -> str:
        return str(self.exam)


class DeviceCheckReport(BaseModel):
    """One run of the device check: what the browser measured and the server's verdicts."""

    attempt = models.ForeignKey(
        Attempt, on_delete=models.CASCADE, related_name="device_check_reports",
        verbose_name=_("attempt"),
    )
    measurements = models.JSONField(_("measurements"), default=dict)
    verdicts = models.JSONField(_("verdicts"), default=list)
    passed = models.BooleanField(_("passed"), default=False)

    class Meta:
        verbose_name = _("device check report")
        verbose_name_plural = _("device check reports")
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["attempt", "-created_at"],
                                name="devicecheck_report_latest")]

    def __str__(self) -> str:
        return f"{self.attempt_id} {self.created_at:%Y-%m-%d %H:%M:%S}"
