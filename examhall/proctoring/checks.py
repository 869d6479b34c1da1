"""The "second camera" pre-start check: passed while a phone is paired, passed its
checks and its placement is confirmed, and is sending heartbeats (a phone that went
silent before the start must be woken up again). Server records only."""

from __future__ import annotations

from django.urls import reverse
from django.utils.translation import gettext as _

from examhall.delivery.checks import CheckStatus, register_check
from examhall.delivery.models import Attempt
from examhall.exams.models import Exam
from examhall.proctoring import selectors
from examhall.proctoring.models import Camera


@register_check(Exam.Check.SECOND_CAMERA)
def second_camera(attempt: Attempt) -> CheckStatus:
    label = str(Exam.Check.SECOND_CAMERA.label)
    action = {"action_url": reverse("proctoring:pairing"),
              "action_label": _("Connect your phone")}
    pairing = selectors.pairing_confirmed(attempt_id=attempt.pk)
    if pairing is None:
        current = selectors.pairing_current(attempt_id=attempt.pk)
        state = selectors.pairing_state(current)
        detail = {
            "connected": _("Your phone is connected: follow the checks on the phone."),
            "checked": _("Place your phone as the guide on the phone shows, then confirm "
                         "on the phone."),
        }.get(state, _("Scan the QR code with your phone: it becomes the second camera."))
        return CheckStatus(Exam.Check.SECOND_CAMERA, label, False, detail, **action)
    phone = next(camera for camera in selectors.monitoring_status(attempt=attempt).cameras
                 if camera.camera == Camera.PHONE)
    if phone.state == "lost":
        return CheckStatus(Exam.Check.SECOND_CAMERA, label, False,
                           _("Your phone has stopped responding. Open the exam page on the "
                             "phone again and keep its screen on."), **action)
    return CheckStatus(Exam.Check.SECOND_CAMERA, label, True,
                       _("Your phone is connected as the second camera."))
