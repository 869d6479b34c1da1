"""The "device" pre-start check: passed when the attempt's latest report passed.

Imported by ``DeviceCheckConfig.ready()``; looks at server-side records only.
"""

from __future__ import annotations

from django.urls import reverse
from django.utils.translation import gettext as _

from examhall.delivery.checks import CheckStatus, register_check
from examhall.delivery.models import Attempt, AttemptState
from examhall.devicecheck import selectors
from examhall.exams.models import Exam


@register_check(Exam.Check.DEVICE)
def device_check(attempt: Attempt) -> CheckStatus:
    report = selectors.latest_report(attempt=attempt)
    if report is None:
        detail = _("Check your browser, camera, microphone and network.")
    elif report.passed:
        detail = _("Your browser, camera and microphone work.")
    else:
        detail = _("The last device check did not pass. Open it to see what to fix.")
    return CheckStatus(
        name=Exam.Check.DEVICE,
        label=str(Exam.Check.DEVICE.label),
        passed=bool(report and report.passed),
        detail=detail,
        action_url=reverse("devicecheck:page"),
        action_label=_("Run the device check"),
        stage=AttemptState.DEVICE_CHECK,
    )
