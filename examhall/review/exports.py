"""The exam's review summary as an Excel workbook: flags per room and type, decisions
per status, and every attempt to review with its decision (ID numbers masked)."""

from __future__ import annotations

import datetime as dt
import io
from collections import Counter, defaultdict

from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _
from openpyxl import Workbook
from openpyxl.styles import Font
from openpyxl.worksheet.worksheet import Worksheet

from examhall.delivery.models import Attempt
from examhall.exams.models import Exam, Room
from examhall.proctoring.models import Flag
from examhall.proctoring.taxonomy import flag_label
from examhall.review import selectors
from examhall.review.models import AttemptReview, ReviewStatus


def summary_workbook(*, exam: Exam, rooms: QuerySet[Room] | None = None) -> bytes:
    """The summary of ``exam`` over ``rooms`` (default: all its rooms)."""
    rooms = (rooms if rooms is not None else Room.objects.all()).filter(session__exam=exam)
    attempts = list(
        Attempt.objects.filter(pk__in=selectors.attempts_for_review(rooms=rooms).values("pk"))
        .select_related("registration__candidate", "registration__subject",
                        "registration__room", "review__reviewer")
        .order_by("registration__room__name", "registration__ticket_number"))
    reviews = {r.attempt_id: r for r in AttemptReview.objects.filter(
        attempt__in=attempts).select_related("reviewer", "confirmed_by")}
    book = Workbook()
    _flags_sheet(book.active, rooms)
    _decisions_sheet(book.create_sheet(), attempts, reviews)
    _attempts_sheet(book.create_sheet(), attempts, reviews)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def _header(sheet: Worksheet, title: str, columns: list[str]) -> None:
    sheet.title = title[:31]
    sheet.append(columns)
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    sheet.freeze_panes = "A2"


def _flags_sheet(sheet: Worksheet, rooms: QuerySet[Room]) -> None:
    _header(sheet, _("Flags"), [_("room"), _("flag type"), _("severity"), _("flags"),
                                _("dismissed by a proctor"), _("times seen")])
    counted: dict[tuple[str, str], list[int]] = defaultdict(lambda: [0, 0, 0])
    severity: dict[str, str] = {}
    for room_name, flag_type, flag_severity, status, count in (
            Flag.objects.filter(attempt__registration__room__in=rooms)
            .values_list("attempt__registration__room__name", "type", "severity", "status",
                         "count")):
        line = counted[(room_name, flag_type)]
        if status == Flag.Status.DISMISSED:
            line[1] += 1
        else:
            line[0] += 1
            line[2] += count
        severity[flag_type] = flag_severity
    labels = dict(Flag.Severity.choices)
    for (room_name, flag_type), (flags, dismissed, seen) in sorted(counted.items()):
        sheet.append([room_name, flag_label(flag_type), str(labels[severity[flag_type]]),
                      flags, dismissed, seen])


def _decisions_sheet(sheet: Worksheet, attempts: list[Attempt],
                     reviews: dict[object, AttemptReview]) -> None:
    _header(sheet, _("Decisions"), [_("decision"), _("attempts")])
    statuses = Counter(reviews[a.pk].status if a.pk in reviews else ReviewStatus.NOT_REVIEWED
                       for a in attempts)
    for status in ReviewStatus:
        sheet.append([str(status.label), statuses[status.value]])
    waiting = sum(1 for r in reviews.values() if r.awaiting_confirmation)
    voided = sum(1 for r in reviews.values() if r.voided_at)
    sheet.append([_("violation waiting for a second reviewer"), waiting])
    sheet.append([_("results voided by review"), voided])


def _attempts_sheet(sheet: Worksheet, attempts: list[Attempt],
                    reviews: dict[object, AttemptReview]) -> None:
    _header(sheet, _("Attempts"), [
        _("admission ticket number"), _("full name"), _("ID number"), _("subject"), _("room"),
        _("state"), _("high"), _("medium"), _("low"), _("irregularity reports"),
        _("decision"), _("note"), _("reviewer"), _("reviewed at"), _("confirmed by"),
        _("result voided")])
    lines = {line.attempt_id: line for line in selectors.queue_lines(attempts)}
    for attempt in attempts:
        registration, line = attempt.registration, lines[attempt.pk]
        review = reviews.get(attempt.pk)
        sheet.append([
            registration.ticket_number, registration.candidate.name,
            registration.candidate.id_number_masked, registration.subject.display_name,
            registration.room.name, attempt.get_state_display(),
            line.flags["high"], line.flags["medium"], line.flags["low"], line.irregularities,
            line.status_label, review.note if review else "",
            review.reviewer.get_username() if review and review.reviewer else "",
            _naive(review.reviewed_at) if review else None,
            review.confirmed_by.get_username() if review and review.confirmed_by else "",
            _("yes") if review and review.voided_at else "",
        ])


def _naive(value: dt.datetime | None) -> dt.datetime | None:
    """Excel has no time zones: the local time of the server's zone."""
    return timezone.localtime(value).replace(tzinfo=None) if value else None
