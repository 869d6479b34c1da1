"""Device-check reads."""

from __future__ import annotations

from examhall.delivery.models import Attempt
from examhall.devicecheck.models import DeviceCheckPolicy, DeviceCheckReport
from examhall.exams.models import Exam


def latest_report(*, attempt: Attempt) -> DeviceCheckReport | None:
    return (DeviceCheckReport.objects.filter(attempt=attempt)
            .order_by("-created_at").first())


def policy_or_default(*, exam: Exam) -> DeviceCheckPolicy:
    """The exam's policy, or an unsaved one with the defaults (nothing is written)."""
    return DeviceCheckPolicy.objects.filter(exam=exam).first() or DeviceCheckPolicy(exam=exam)
