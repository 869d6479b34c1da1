"""Review tests: reviewers, finished attempts, and the evidence that queues an attempt
(flags with pictures, irregularity reports)."""

from __future__ import annotations

import datetime as dt
import io
from typing import Any

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Permission
from django.core.files.base import ContentFile
from PIL import Image

from examhall.candidates.models import Registration
from examhall.console.models import IrregularityReport
from examhall.core import clock
from examhall.delivery import services as delivery
from examhall.delivery.models import Attempt
from examhall.exams.models import Room
from examhall.proctoring.models import Flag, Snapshot
from examhall.proctoring.services.flags import flag_raise


def staff(username: str, *, rooms: tuple[Room, ...] = (),
          permissions: tuple[str, ...] = ("review_attempts",), superuser: bool = False) -> Any:
    """A staff user with the given permission codenames, proctor of ``rooms``."""
    model = get_user_model()
    if superuser:
        user = model.objects.create_superuser(username, f"{username}@example.org", "pw")
    else:
        user = model.objects.create_user(username, f"{username}@example.org", "pw",
                                         is_staff=True)
    user.user_permissions.add(*Permission.objects.filter(codename__in=permissions))
    for room in rooms:
        room.proctors.add(user)
    return model.objects.get(pk=user.pk)  # fresh permission cache


def finished_attempt(registration: Registration) -> Attempt:
    """The candidate started and submitted (graded at once: objective questions)."""
    attempt = delivery.attempt_start(
        attempt_id=Attempt.objects.create(registration=registration).pk)
    return delivery.attempt_submit(attempt_id=attempt.pk)


def started_attempt(registration: Registration) -> Attempt:
    return delivery.attempt_start(
        attempt_id=Attempt.objects.create(registration=registration).pk)


def snapshot(attempt: Attempt, *, camera: str = "pc", colour: tuple[int, int, int] = (90, 120, 160)
             ) -> Snapshot:
    """A stored 320×240 JPEG from ``camera``."""
    buffer = io.BytesIO()
    Image.new("RGB", (320, 240), colour).save(buffer, "JPEG", quality=80)
    picture = Snapshot(attempt=attempt, camera=camera, taken_at=clock.now(), width=320,
                       height=240, size_bytes=len(buffer.getvalue()), fingerprint=b"")
    picture.image.save("evidence.jpg", ContentFile(buffer.getvalue()), save=False)
    picture.save()
    return picture


def flag(attempt: Attempt, flag_type: str, *, status: str = Flag.Status.OPEN,
         evidence: Snapshot | None = None, occurrences: int = 1,
         at: dt.datetime | None = None) -> Flag:
    raised = flag_raise(attempt_id=attempt.pk, flag_type=flag_type, at=at or clock.now(),
                        gap_seconds=0, camera=evidence.camera if evidence else "",
                        snapshot=evidence, occurrences=occurrences)
    if status != Flag.Status.OPEN:
        Flag.objects.filter(pk=raised.pk).update(status=status, resolution_note="checked")
        raised.refresh_from_db()
    return raised


def irregularity(attempt: Attempt, author: Any, *, category: str = "examinee",
                 description: str = "A second person entered the room.") -> IrregularityReport:
    return IrregularityReport.objects.create(
        room=attempt.registration.room, attempt=attempt, category=category,
        description=description, author=author, filed_at=clock.now())
