"""Device-check writes: an exam's policy (created on demand) and a report per run."""

from __future__ import annotations

import uuid
from typing import Any

from django.db import transaction
from django.utils.translation import gettext as _

from examhall.core.errors import ApplicationError, NotFound
from examhall.delivery import services as delivery_services
from examhall.delivery import statemachine
from examhall.delivery.models import Attempt
from examhall.devicecheck import rules
from examhall.devicecheck.models import DeviceCheckPolicy, DeviceCheckReport
from examhall.exams.models import Exam


def device_check_policy_get_or_create(*, exam: Exam) -> DeviceCheckPolicy:
    """The exam's policy; one with the defaults the first time it is needed."""
    policy, _created = DeviceCheckPolicy.objects.get_or_create(exam=exam)
    return policy


def limits_of(policy: DeviceCheckPolicy) -> rules.Limits:
    return rules.Limits(
        min_width=policy.min_width,
        min_height=policy.min_height,
        min_network_mbps=float(policy.min_network_mbps),
        require_microphone=policy.require_microphone,
    )


def ensure_before_start(attempt: Attempt) -> None:
    """The device check belongs to the check stage: refused once the attempt started."""
    if attempt.state not in statemachine.PRE_START_STATES:  # started, finished or voided
        raise ApplicationError(
            "attempt_started",
            _("The exam has already started; the device check can no longer be run."),
            status=409,
        )


def device_check_report_create(*, attempt_id: uuid.UUID,
                               measurements: dict[str, Any]) -> DeviceCheckReport:
    """Judge the browser's measurements by the exam's policy and keep them with the
    verdicts. The attempt row is locked so that a start cannot slip in between; the
    attempt's check-stage state follows at once (not only at the next poll)."""
    report = _report_create(attempt_id=attempt_id, measurements=measurements)
    delivery_services.attempt_refresh_checks(attempt_id=attempt_id)
    return report


@transaction.atomic
def _report_create(*, attempt_id: uuid.UUID, measurements: dict[str, Any]) -> DeviceCheckReport:
    attempt = (
        Attempt.objects.select_for_update(of=("self",))
        .select_related("registration__exam")
        .filter(pk=attempt_id)
        .first()
    )
    if attempt is None:
        raise NotFound("attempt_not_found", _("This attempt does not exist."))
    ensure_before_start(attempt)
    policy = device_check_policy_get_or_create(exam=attempt.registration.exam)
    verdicts = rules.evaluate(measurements, limits_of(policy))
    return DeviceCheckReport.objects.create(
        attempt=attempt, measurements=measurements, verdicts=verdicts,
        passed=rules.passed(verdicts),
    )
