"""Grading reacts to delivery's signals (delivery never imports grading)."""

from typing import Any

from django.dispatch import receiver

from examhall.delivery.models import Attempt
from examhall.delivery.signals import attempt_submitted
from examhall.grading.services import attempt_grade


@receiver(attempt_submitted, sender=Attempt, dispatch_uid="grading.grade_on_submit")
def grade_on_submit(sender: type, attempt: Attempt, **kwargs: Any) -> None:
    attempt_grade(attempt_id=attempt.pk)
