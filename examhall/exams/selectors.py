"""Exam catalogue reads."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from django.utils.translation import gettext as _

from examhall.core.errors import NotFound
from examhall.exams.models import Exam, Room, Subject


def published_exams() -> QuerySet[Exam]:
    return Exam.objects.filter(is_published=True).select_related("organisation")


def published_exam(*, code: str) -> Exam:
    exam = published_exams().filter(code=code).first()
    if exam is None:
        raise NotFound("exam_not_found", _("This exam does not exist or is not open."))
    return exam


def open_subjects(*, exam: Exam) -> QuerySet[Subject]:
    return exam.subjects.filter(is_open=True).order_by("position", "code")


def open_subject(*, exam: Exam, code: str) -> Subject:
    subject = open_subjects(exam=exam).filter(code=code).first()
    if subject is None:
        raise NotFound("subject_not_found", _("This subject is not open in this exam."))
    return subject


def oversees_all_rooms(user: Any) -> bool:
    """Exam office staff (superusers, or the permission ``exams.oversee_all_rooms``)
    see every room; a proctor sees only the rooms assigned to them."""
    return bool(user.is_active and (user.is_superuser
                                    or user.has_perm("exams.oversee_all_rooms")))


def rooms_visible_to(user: Any) -> QuerySet[Room]:
    """The rooms a staff user may watch: every room for the exam office, else the
    rooms the user is a proctor of (none for anyone else)."""
    if oversees_all_rooms(user):
        return Room.objects.all()
    if not user.is_active:
        return Room.objects.none()
    return Room.objects.filter(proctors=user)
