"""The "identity" pre-start check, as the server's records say (never the browser)."""

from __future__ import annotations

from django.urls import reverse
from django.utils.translation import gettext as _

from examhall.delivery.checks import CheckStatus, register_check
from examhall.delivery.models import Attempt, AttemptState
from examhall.exams.models import Exam
from examhall.identity.messages import reason_message
from examhall.identity.models import IdentityCheck
from examhall.identity.selectors import identity_check_of


@register_check(Exam.Check.IDENTITY)
def identity_status(attempt: Attempt) -> CheckStatus:
    label = str(Exam.Check.IDENTITY.label)
    check = identity_check_of(attempt.pk)
    status = check.status if check else IdentityCheck.Status.PENDING
    if status == IdentityCheck.Status.PASSED:
        return CheckStatus(Exam.Check.IDENTITY, label, True, _("Your identity is verified."))
    if status == IdentityCheck.Status.APPROVED:
        return CheckStatus(Exam.Check.IDENTITY, label, True,
                           _("A proctor confirmed your identity."))
    if status == IdentityCheck.Status.REVIEW:
        return CheckStatus(Exam.Check.IDENTITY, label, False,
                           _("A proctor is checking your identity. Please wait on this "
                             "page; it updates by itself."),
                           stage=AttemptState.IDENTITY_REVIEW)
    if status == IdentityCheck.Status.REJECTED:
        return CheckStatus(Exam.Check.IDENTITY, label, False,
                           _("A proctor could not confirm your identity. Please contact the "
                             "exam office."),
                           stage=AttemptState.IDENTITY_REVIEW)
    detail = _("Look into the camera and follow the instructions.")
    last = (check.captures.filter(status="failed").exclude(reason="superseded")
            .order_by("-created_at").first() if check else None)
    if last is not None:
        detail = reason_message(last.reason)
    return CheckStatus(Exam.Check.IDENTITY, label, False, detail,
                       action_url=reverse("identity:page"),
                       action_label=_("Verify your identity"),
                       stage=AttemptState.IDENTITY_CHECK)
