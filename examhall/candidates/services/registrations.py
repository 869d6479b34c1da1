"""Single registrations: consistency checks, ticket numbers, saving."""

from __future__ import annotations

import re

from django.db import transaction
from django.utils.translation import gettext as _

from examhall.candidates import idnumbers, selectors
from examhall.candidates.models import Registration
from examhall.core.errors import ApplicationError
from examhall.exams.models import Exam

TICKET_PATTERN = re.compile(r"[A-Z0-9-]{1,30}")


def ticket_prefix(exam: Exam) -> str:
    """Generated ticket numbers are this prefix and a sequence of at least six digits:
    exam ``dc-2025-mock`` gives ``DC2025MOCK000001``."""
    return re.sub(r"[^A-Z0-9]", "", exam.code.upper())[:20] or "T"


def ticket_number_generate(*, exam: Exam) -> str:
    prefix = ticket_prefix(exam)
    sequence = selectors.highest_ticket_sequence(exam=exam, prefix=prefix) + 1
    return f"{prefix}{sequence:06d}"


def registration_problems(*, registration: Registration) -> dict[str, str]:
    """Field name → message for a registration whose parts do not fit together."""
    problems: dict[str, str] = {}
    exam_id = registration.exam_id
    if exam_id is None:
        return problems
    if registration.subject_id and registration.subject.exam_id != exam_id:
        problems["subject"] = _("This subject belongs to another exam.")
    if registration.session_id and registration.session.exam_id != exam_id:
        problems["session"] = _("This session belongs to another exam.")
    if registration.room_id and registration.room.session_id != registration.session_id:
        problems["room"] = _("This room belongs to another session.")
    ticket = idnumbers.normalise(registration.ticket_number)
    if ticket and not TICKET_PATTERN.fullmatch(ticket):
        problems["ticket_number"] = _("A ticket number has up to 30 letters, digits and hyphens.")
    elif ticket and selectors.ticket_taken(
        exam=registration.exam, ticket_number=ticket, exclude_pk=registration.pk
    ):
        problems["ticket_number"] = _("This ticket number is already used in this exam.")
    return problems


def registration_save(*, registration: Registration) -> Registration:
    """Save a registration, generating its ticket number when it has none."""
    problems = registration_problems(registration=registration)
    if problems:
        field_name, message = next(iter(problems.items()))
        raise ApplicationError("registration_invalid", message,
                               details={"field": field_name, "problems": problems})
    with transaction.atomic():
        registration.ticket_number = (
            idnumbers.normalise(registration.ticket_number)
            or ticket_number_generate(exam=registration.exam)
        )
        registration.save()
    return registration
