"""The "environment" pre-start check: the exam client found nothing to fix.

Passed when the exam does not require the client, or when the attempt's latest report
from the client is recent (two re-check intervals and 30 s) and passed. Imported by
``LockdownConfig.ready()``; looks at server-side records only.
"""

from __future__ import annotations

from django.urls import reverse
from django.utils.translation import gettext as _

from examhall.core import clock
from examhall.delivery.checks import CheckStatus, register_check
from examhall.delivery.models import Attempt
from examhall.exams.models import Exam
from examhall.lockdown import selectors


@register_check(Exam.Check.ENVIRONMENT)
def environment_check(attempt: Attempt) -> CheckStatus:
    label = str(Exam.Check.ENVIRONMENT.label)
    policy = selectors.policy_for_exam(attempt.registration.exam)
    if policy is None or not policy.requires_client:
        return CheckStatus(name=Exam.Check.ENVIRONMENT, label=label, passed=True,
                           detail=_("This exam does not need the exam client."))
    report = selectors.latest_report(attempt=attempt)
    fresh = report is not None and selectors.report_is_fresh(report, policy=policy,
                                                             now=clock.now())
    if report is None or not fresh:
        detail = _("Open this exam in the exam client; it checks your computer and reports "
                   "here.") if report is None else _(
            "The exam client has not reported for a while. Keep it open; it checks again "
            "on its own.")
        passed = False
    elif report.passed:
        detail = _("The exam client found nothing to fix on this computer.")
        passed = True
    else:
        blocking = [p for p in report.problems if isinstance(p, dict) and p.get("blocking")]
        detail = _("Fix these and check again in the exam client: %(problems)s") % {
            "problems": selectors.problem_lines(blocking)}
        passed = False
    return CheckStatus(name=Exam.Check.ENVIRONMENT, label=label, passed=passed, detail=detail,
                       action_url="" if passed else reverse("lockdown:help_client"),
                       action_label="" if passed else _("Get the exam client"))
