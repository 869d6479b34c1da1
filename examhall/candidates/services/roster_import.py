"""The roster import: judge a sheet row by row, then write it in one transaction.

``roster_import`` reads the sheet (``roster.read_roster``), judges every row, and
writes only when ``commit`` is true. ``mode="all_or_nothing"`` writes nothing when
any row has an error; ``mode="valid_rows"`` writes the rows without errors and
skips the others. The same ID number and type is always the same ``Candidate``;
the same exam, candidate and subject is always the same ``Registration``, updated
in place, so importing a sheet twice changes nothing the second time.

A missing ticket number is kept from the existing registration, or generated (see
``registrations.ticket_prefix``): the exam code's letters and digits, uppercased
and cut to 20 characters, then a sequence of at least six digits, one above the
highest such number already used in the exam or in the sheet. Exam
``dc-2025-mock`` gives ``DC2025MOCK000001``, ``DC2025MOCK000002``, ...
"""

from __future__ import annotations

import logging
import re
from collections import defaultdict
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal

from django.contrib.admin.models import CHANGE, LogEntry
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from examhall.candidates import idnumbers, selectors
from examhall.candidates.models import Candidate, IdType, Registration
from examhall.candidates.roster import (
    COLUMNS,
    RosterFile,
    RosterReport,
    RowReport,
    Sheet,
    SheetRow,
    match_key,
    read_roster,
)
from examhall.candidates.services.registrations import TICKET_PATTERN, ticket_prefix
from examhall.core import pii
from examhall.core.errors import ApplicationError
from examhall.exams.models import Exam, Room, Session, Subject

if TYPE_CHECKING:
    from django.contrib.auth.base_user import AbstractBaseUser

logger = logging.getLogger(__name__)

Mode = Literal["all_or_nothing", "valid_rows"]
MODES: tuple[str, ...] = ("all_or_nothing", "valid_rows")
MAX_EXTRA_MINUTES = 600

_ID_TYPES = {
    match_key(text): code
    for code, texts in {
        IdType.RESIDENT_ID: ("居民身份证", "身份证", "resident_id", "resident id card"),
        IdType.HMT_PERMIT: ("港澳台居民居住证", "居住证", "hmt_permit", "residence permit"),
        IdType.PASSPORT: ("护照", "passport"),
    }.items()
    for text in (*texts, str(IdType(code).label))
}


@dataclass
class _Row:
    """One sheet row while it is being judged and written."""

    source: SheetRow
    report: RowReport
    name: str = ""
    check: idnumbers.IdNumberCheck | None = None
    id_hash: str = ""
    subject: Subject | None = None
    session: Session | None = None
    room: Room | None = None
    ticket: str = ""
    extra_minutes: int | None = None
    candidate: Candidate | None = None
    registration: Registration | None = None

    @property
    def ok(self) -> bool:
        return self.report.status != "error"

    @property
    def identity(self) -> tuple[str, str]:
        assert self.check is not None
        return (self.check.id_type, self.id_hash)


def roster_import(
    *,
    exam: Exam,
    file: RosterFile,
    commit: bool,
    mode: Mode = "all_or_nothing",
    actor: AbstractBaseUser | None = None,
) -> RosterReport:
    """Judge a roster sheet row by row and, when ``commit``, write it (see module doc).

    Raises ``ApplicationError`` when the file as a whole cannot be read."""
    if mode not in MODES:
        raise ApplicationError("roster_bad_mode", _("Unknown import mode “%(mode)s”.")
                               % {"mode": mode})
    sheet = read_roster(file)
    report = RosterReport(exam_code=exam.code, mode=mode, dry_run=not commit,
                          ignored_columns=sheet.ignored_columns)
    if not commit:
        _count_planned(_plan(exam, sheet, report), report)
        return report
    try:
        with transaction.atomic():
            Exam.objects.select_for_update().filter(pk=exam.pk).first()  # one import at a time
            rows = _plan(exam, sheet, report)
            writable = [row for row in rows if row.ok]
            if mode == "all_or_nothing" and report.has_errors:
                writable = []
            if writable:
                _count_planned(writable, report)
                _write(exam, writable)
                report.committed = True
                _log_import(exam, report, actor)
    except IntegrityError as exc:
        logger.warning("Roster import for %s hit a conflict: %s", exam.code, exc)
        raise ApplicationError(
            "roster_conflict",
            _("The registrations of this exam changed while the roster was being imported; "
              "nothing was imported. Run the import again."),
            status=409,
        ) from exc
    return report


def _plan(exam: Exam, sheet: Sheet, report: RosterReport) -> list[_Row]:
    catalogue = selectors.exam_catalogue(exam=exam)
    rows = [_check_row(sheet, source, catalogue) for source in sheet.rows]
    report.rows = [row.report for row in rows]
    _check_duplicates(sheet, rows)
    _match_existing(exam, sheet, rows)
    _assign_tickets(exam, sheet, rows)
    _check_capacity(sheet, rows)
    for row in rows:
        row.report.action = _action(row)
    return rows


def _check_row(sheet: Sheet, source: SheetRow, catalogue: selectors.ExamCatalogue) -> _Row:
    row = _Row(source=source, report=RowReport(row=source.number))
    values, report = source.values, row.report
    for column in COLUMNS:
        if column.required and not values.get(column.key):
            report.add(sheet.header(column.key), "required",
                       _("%(column)s is empty; every candidate needs it.")
                       % {"column": sheet.header(column.key)})
    _check_name(sheet, row)
    _check_id(sheet, row)
    _check_catalogue(sheet, row, catalogue)
    _check_ticket_and_minutes(sheet, row)
    return row


def _check_name(sheet: Sheet, row: _Row) -> None:
    name = " ".join(row.source.values.get("name", "").split())
    if len(name) > 100:
        row.report.add(sheet.header("name"), "too_long",
                       _("The name is longer than 100 characters."))
        return
    row.name = row.report.name = name


def _check_id(sheet: Sheet, row: _Row) -> None:
    values, report = row.source.values, row.report
    type_text = values.get("id_type", "")
    id_type = _ID_TYPES.get(match_key(type_text)) if type_text else IdType.RESIDENT_ID
    if id_type is None:
        report.add(sheet.header("id_type"), "unknown_id_type",
                   _("“%(value)s” is not an ID type. Use 居民身份证, 港澳台居民居住证 or 护照.")
                   % {"value": type_text})
        return
    if not values.get("id_number"):
        return
    raw = row.source.raw.get("id_number")
    if isinstance(raw, int | float) and not isinstance(raw, bool) and abs(raw) >= 10**15:
        report.add(sheet.header("id_number"), "id_number_as_number",
                   _("Excel stored this ID number as a number and lost its last digits. Format "
                     "the column as text, type the number again and import again."))
        return
    check = idnumbers.validate(values["id_number"], id_type)
    if not check.ok:
        report.add(sheet.header("id_number"), check.code, check.message)
        return
    row.check, row.id_hash = check, pii.lookup_hash(check.normalised)
    report.id_number_masked = pii.mask(check.normalised)
    for warning in check.warnings:
        report.add(sheet.header("id_number"), "id_number_warning", warning, "warning")


def _known(names: list[str]) -> str:
    shown = ", ".join(names[:10]) + (", …" if len(names) > 10 else "")
    return shown or _("none yet")


def _check_catalogue(sheet: Sheet, row: _Row, catalogue: selectors.ExamCatalogue) -> None:
    values, report = row.source.values, row.report
    if text := values.get("subject"):
        row.subject = catalogue.subject(text)
        if row.subject is None:
            report.add(sheet.header("subject"), "unknown_subject",
                       _("This exam has no subject “%(value)s”. Its subjects are: %(known)s.")
                       % {"value": text, "known": _known(catalogue.subject_names)})
        else:
            report.subject = row.subject.display_name
            if not row.subject.is_open:
                report.add(sheet.header("subject"), "subject_closed",
                           _("The subject is closed for entry; the registration is imported "
                             "anyway."), "warning")
    if text := values.get("session"):
        row.session = catalogue.session(text)
        if row.session is None:
            report.add(sheet.header("session"), "unknown_session",
                       _("This exam has no session “%(value)s”. Its sessions are: %(known)s.")
                       % {"value": text, "known": _known(catalogue.session_names)})
    if (text := values.get("room")) and row.session is not None:
        row.room = catalogue.room(row.session, text)
        elsewhere = catalogue.sessions_with_room(text)
        if row.room is None and elsewhere:
            report.add(sheet.header("room"), "room_not_in_session",
                       _("Room “%(value)s” is not in session “%(session)s”; it is in: "
                         "%(known)s.") % {"value": text, "session": row.session.name,
                                          "known": _known(elsewhere)})
        elif row.room is None:
            report.add(sheet.header("room"), "unknown_room",
                       _("Session “%(session)s” has no room “%(value)s”.")
                       % {"value": text, "session": row.session.name})


def _check_ticket_and_minutes(sheet: Sheet, row: _Row) -> None:
    values, report = row.source.values, row.report
    if text := values.get("ticket_number"):
        ticket = idnumbers.normalise(text)
        if TICKET_PATTERN.fullmatch(ticket):
            row.ticket = report.ticket_number = ticket
        else:
            report.add(sheet.header("ticket_number"), "bad_ticket_number",
                       _("A ticket number has up to 30 letters, digits and hyphens."))
    if text := idnumbers.normalise(values.get("extra_minutes", "")):
        minutes = int(text) if text.isascii() and text.isdigit() else -1
        if 0 <= minutes <= MAX_EXTRA_MINUTES:
            row.extra_minutes = minutes
        else:
            report.add(sheet.header("extra_minutes"), "bad_extra_minutes",
                       _("Extra time is a whole number of minutes from 0 to %(max)d.")
                       % {"max": MAX_EXTRA_MINUTES})


def _rows_text(rows: list[_Row], exclude: _Row) -> str:
    return ", ".join(str(other.source.number) for other in rows if other is not exclude)


def _check_duplicates(sheet: Sheet, rows: list[_Row]) -> None:
    by_identity: dict[tuple[str, str], list[_Row]] = defaultdict(list)
    by_ticket: dict[str, list[_Row]] = defaultdict(list)
    for row in rows:
        if row.check is not None:
            by_identity[row.identity].append(row)
        if row.ticket:
            by_ticket[row.ticket].append(row)
    for group in by_identity.values():
        _check_same_person(sheet, group)
    for ticket, group in by_ticket.items():
        for row in group if len(group) > 1 else []:
            row.report.add(sheet.header("ticket_number"), "duplicate_ticket",
                           _("Ticket number %(ticket)s is also on row %(rows)s. Each "
                             "registration needs its own ticket number.")
                           % {"ticket": ticket, "rows": _rows_text(group, row)})


def _check_same_person(sheet: Sheet, group: list[_Row]) -> None:
    if len(group) < 2:
        return
    for row in group:
        others = [other for other in group if other is not row]
        if any(other.name and row.name and other.name != row.name for other in others):
            row.report.add(sheet.header("name"), "name_mismatch",
                           _("The same ID number is on row %(rows)s with a different name.")
                           % {"rows": _rows_text(group, row)})
        same_subject = [other for other in others
                        if row.subject is not None and other.subject == row.subject]
        if same_subject:
            row.report.add(sheet.header("id_number"), "duplicate_candidate",
                           _("The same candidate (same ID number) is entered for this subject "
                             "again on row %(rows)s. Keep only one of these rows.")
                           % {"rows": _rows_text([row, *same_subject], row)})


def _match_existing(exam: Exam, sheet: Sheet, rows: list[_Row]) -> None:
    with_id = [row for row in rows if row.check is not None]
    candidates = selectors.candidates_by_identity(identities={row.identity for row in with_id})
    registrations = selectors.registrations_by_candidate_subject(
        exam=exam, candidate_ids=[candidate.pk for candidate in candidates.values()]
    )
    for row in with_id:
        row.candidate = candidates.get(row.identity)
        if row.candidate is None:
            continue
        if row.name and row.candidate.name != row.name:
            row.report.add(sheet.header("name"), "name_changed",
                           _("This ID number is recorded with the name “%(old)s”; it will be "
                             "changed to “%(new)s”.")
                           % {"old": row.candidate.name, "new": row.name}, "warning")
        if row.subject is not None:
            key = (str(row.candidate.pk), str(row.subject.pk))
            row.registration = registrations.get(key)
    owners = selectors.registrations_by_ticket(
        exam=exam, tickets=[row.ticket for row in rows if row.ticket]
    )
    for row in rows:
        owner = owners.get(row.ticket)
        if owner is None or (row.registration is not None and owner.pk == row.registration.pk):
            continue
        row.report.add(sheet.header("ticket_number"), "ticket_taken",
                       _("Ticket number %(ticket)s already belongs to %(name)s (%(subject)s) in "
                         "this exam. Use another number, or leave the cell empty to generate "
                         "one.") % {"ticket": row.ticket, "name": owner.candidate.name,
                                    "subject": owner.subject.display_name})


def _assign_tickets(exam: Exam, sheet: Sheet, rows: list[_Row]) -> None:
    prefix = ticket_prefix(exam)
    pattern = re.compile(re.escape(prefix) + r"(\d{6,})")
    in_sheet = [int(match.group(1)) for row in rows if (match := pattern.fullmatch(row.ticket))]
    sequence = max(selectors.highest_ticket_sequence(exam=exam, prefix=prefix), *in_sheet, 0)
    for row in rows:
        if row.ticket or not row.ok:
            continue
        if row.registration is not None:
            row.ticket = row.report.ticket_number = row.registration.ticket_number
            continue
        sequence += 1
        row.ticket = row.report.ticket_number = f"{prefix}{sequence:06d}"
        row.report.add(sheet.header("ticket_number"), "ticket_generated",
                       _("No ticket number given: %(ticket)s is assigned.")
                       % {"ticket": row.ticket}, "info")


def _check_capacity(sheet: Sheet, rows: list[_Row]) -> None:
    placed = [row for row in rows if row.ok and row.room is not None]
    moving = [row for row in placed
              if row.registration is not None and row.registration.room_id != row.room.pk]
    occupancy = selectors.room_occupancy(
        room_ids={row.room.pk for row in placed} | {row.registration.room_id for row in moving}
    )
    for row in moving:
        occupancy[str(row.registration.room_id)] -= 1
    for row in placed:
        if row.registration is not None and row.registration.room_id == row.room.pk:
            continue
        occupancy[str(row.room.pk)] += 1
        if occupancy[str(row.room.pk)] > row.room.capacity:
            row.report.add(sheet.header("room"), "room_full",
                           _("Room “%(room)s” has %(capacity)d places; with this row it has "
                             "%(count)d candidates.")
                           % {"room": row.room.name, "capacity": row.room.capacity,
                              "count": occupancy[str(row.room.pk)]}, "warning")


def _registration_changes(row: _Row) -> dict[str, Any]:
    assert row.registration is not None and row.room is not None and row.session is not None
    wanted = {"session_id": row.session.pk, "room_id": row.room.pk, "ticket_number": row.ticket}
    if row.extra_minutes is not None:
        wanted["extra_minutes"] = row.extra_minutes
    return {name: value for name, value in wanted.items()
            if getattr(row.registration, name) != value}


def _action(row: _Row) -> str:
    if not row.ok:
        return "reject"
    if row.registration is None:
        return "create"
    renamed = row.candidate is not None and row.candidate.name != row.name
    return "update" if renamed or _registration_changes(row) else "unchanged"


def _count_planned(rows: list[_Row], report: RosterReport) -> None:
    actions = [row.report.action for row in rows]
    report.created, report.updated = actions.count("create"), actions.count("update")
    report.unchanged = actions.count("unchanged")
    new_people = {row.identity for row in rows if row.ok and row.candidate is None}
    report.candidates_created = len(new_people)


def _write(exam: Exam, rows: list[_Row]) -> None:
    now = timezone.now()
    new_candidates: dict[tuple[str, str], Candidate] = {}
    renamed: dict[object, Candidate] = {}
    for row in rows:
        assert row.check is not None
        candidate = row.candidate or new_candidates.get(row.identity)
        if candidate is None:
            candidate = Candidate(name=row.name, id_type=row.check.id_type)
            candidate.set_id_number(row.check.normalised)
            new_candidates[row.identity] = candidate
        elif candidate.pk not in renamed and candidate.name != row.name and row.candidate:
            candidate.name, candidate.updated_at = row.name, now
            renamed[candidate.pk] = candidate
        row.candidate = candidate
    Candidate.objects.bulk_create(new_candidates.values(), batch_size=500)
    Candidate.objects.bulk_update(renamed.values(), ["name", "updated_at"], batch_size=500)
    created, updated = [], []
    for row in rows:
        if row.registration is None:
            created.append(Registration(
                candidate=row.candidate, exam=exam, subject=row.subject, session=row.session,
                room=row.room, ticket_number=row.ticket, extra_minutes=row.extra_minutes or 0,
            ))
        elif changes := _registration_changes(row):
            for name, value in changes.items():
                setattr(row.registration, name, value)
            row.registration.updated_at = now
            updated.append(row.registration)
    Registration.objects.bulk_create(created, batch_size=500)
    Registration.objects.bulk_update(
        updated, ["session_id", "room_id", "ticket_number", "extra_minutes", "updated_at"],
        batch_size=500,
    )


def _log_import(exam: Exam, report: RosterReport, actor: AbstractBaseUser | None) -> None:
    counts = report.counts
    logger.info("Roster imported into %s: %s", exam.code, counts)
    if actor is None or not getattr(actor, "pk", None):
        return
    message = _("Roster imported: %(created)d registrations created, %(updated)d updated, "
                "%(errors)d rows skipped.") % counts
    LogEntry.objects.log_actions(actor.pk, [exam], CHANGE, message, single_object=True)
