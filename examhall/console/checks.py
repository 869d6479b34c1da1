"""The "admission" check: a proctor admits a candidate who passed every other check."""

from __future__ import annotations

from django.utils.translation import gettext as _

from examhall.console.models import Admission
from examhall.delivery.checks import CheckStatus, register_check
from examhall.delivery.models import Attempt, AttemptState
from examhall.exams.models import Exam


@register_check(Exam.Check.ADMISSION)
def admission_check(attempt: Attempt) -> CheckStatus:
    admission = Admission.objects.filter(attempt=attempt).first()
    label = str(Exam.Check.ADMISSION.label)
    if admission is not None and admission.decision == Admission.Decision.ADMITTED:
        return CheckStatus(name="admission", label=label, passed=True,
                           detail=_("A proctor admitted you."))
    if admission is not None:
        detail = _("A proctor did not admit you: %(reason)s. Follow the proctor's "
                   "instructions; they can still admit you.") % {"reason": admission.reason}
    else:
        detail = _("Your checks are complete. Please wait: a proctor will admit you "
                   "shortly. This page updates on its own.")
    return CheckStatus(name="admission", label=label, passed=False, detail=detail,
                       stage=AttemptState.AWAITING_ADMISSION)
