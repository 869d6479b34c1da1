"""Roster sheets: the columns, reading an exam office's xlsx, the template, the report.

Reading refuses a file as a whole (``ApplicationError``) only when it cannot be a
roster at all: not an xlsx, too big, no header row, no rows, too many rows.
Everything about single rows is judged by ``services.roster_import`` and lands
in a ``RosterReport``.
"""

from __future__ import annotations

import io
import logging
import os
import re
import unicodedata
import zipfile
from collections.abc import Iterator
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any

import openpyxl
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from openpyxl.styles import Font, PatternFill
from openpyxl.worksheet.datavalidation import DataValidation

from examhall.candidates import idnumbers
from examhall.core.errors import ApplicationError

if TYPE_CHECKING:
    from django.utils.functional import Promise

    from examhall.exams.models import Exam

logger = logging.getLogger(__name__)

MAX_BYTES = 10 * 1024 * 1024
MAX_UNCOMPRESSED_BYTES = 200 * 1024 * 1024
MAX_ROWS = 20_000
HEADER_SEARCH_ROWS = 10
XLSX_CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"

RosterFile = IO[bytes] | str | os.PathLike[str]


@dataclass(frozen=True)
class Column:
    key: str
    label: str
    required: bool
    aliases: tuple[str, ...]
    explanation: Promise


COLUMNS: tuple[Column, ...] = (
    Column("name", "姓名", True, ("name", "考生姓名"),
           gettext_lazy("The candidate's name as printed on the ID document.")),
    Column("id_type", "证件类型", False, ("id_type", "id type"),
           gettext_lazy("居民身份证 (resident identity card), 港澳台居民居住证 (residence "
                        "permit for Hong Kong, Macao and Taiwan residents) or 护照 "
                        "(passport). Empty: 居民身份证.")),
    Column("id_number", "证件号码", True, ("id_number", "身份证号", "身份证号码", "证件号"),
           gettext_lazy("18 characters for identity cards and residence permits, the last "
                        "one may be X. Format the column as text so that Excel keeps every "
                        "digit.")),
    Column("subject", "报考科目", True, ("subject", "科目", "报考专业"),
           gettext_lazy("The subject code or its full name, e.g. 碳排放管理技术（高级）.")),
    Column("session", "场次", True, ("session",),
           gettext_lazy("The name of the session, exactly as set up for the exam.")),
    Column("room", "考场", True, ("room",),
           gettext_lazy("The name of a room of that session.")),
    Column("ticket_number", "准考证号", False, ("ticket_number", "ticket", "ticket no"),
           gettext_lazy("Letters, digits and hyphens. Empty: a number is generated (exam "
                        "code + six digits), or the existing one is kept.")),
    Column("extra_minutes", "延长时间(分钟)", False, ("extra_minutes", "延长时间", "extra time"),
           gettext_lazy("Extra minutes granted as an accommodation, 0 to 600. Empty: 0 for "
                        "new candidates, unchanged for known ones.")),
)
COLUMN_BY_KEY = {column.key: column for column in COLUMNS}


def match_key(text: str) -> str:
    """Compare names loosely: full/half width, case, spaces and brackets do not matter."""
    folded = unicodedata.normalize("NFKC", text or "").casefold()
    return re.sub(r"[\s()\[\]【】·_\-*]", "", folded)


_HEADER_KEYS = {
    match_key(alias): column.key
    for column in COLUMNS
    for alias in (column.label, column.key, *column.aliases)
}


@dataclass(frozen=True)
class SheetRow:
    number: int
    values: dict[str, str]
    raw: dict[str, Any]


@dataclass(frozen=True)
class Sheet:
    headers: dict[str, str]
    rows: list[SheetRow]
    ignored_columns: list[str]

    def header(self, key: str) -> str:
        """The column's header as written in the sheet, or its template label."""
        return self.headers.get(key) or COLUMN_BY_KEY[key].label


# --- the report


@dataclass
class Problem:
    column: str
    code: str
    message: str
    severity: str = "error"


@dataclass
class RowReport:
    row: int
    name: str = ""
    id_number_masked: str = ""
    subject: str = ""
    ticket_number: str = ""
    action: str = ""
    problems: list[Problem] = field(default_factory=list)

    @property
    def status(self) -> str:
        severities = {problem.severity for problem in self.problems}
        if "error" in severities:
            return "error"
        return "warning" if "warning" in severities else "ok"

    def add(self, column: str, code: str, message: str, severity: str = "error") -> None:
        self.problems.append(Problem(column, code, str(message), severity))

    def as_dict(self) -> dict[str, Any]:
        return {**asdict(self), "status": self.status}


@dataclass
class RosterReport:
    exam_code: str
    mode: str
    dry_run: bool
    committed: bool = False
    rows: list[RowReport] = field(default_factory=list)
    ignored_columns: list[str] = field(default_factory=list)
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    candidates_created: int = 0

    @property
    def counts(self) -> dict[str, int]:
        statuses = [row.status for row in self.rows]
        return {
            "total": len(self.rows),
            "ok": statuses.count("ok"),
            "warnings": statuses.count("warning"),
            "errors": statuses.count("error"),
            "created": self.created,
            "updated": self.updated,
            "unchanged": self.unchanged,
            "candidates_created": self.candidates_created,
        }

    @property
    def has_errors(self) -> bool:
        return any(row.status == "error" for row in self.rows)

    def as_dict(self) -> dict[str, Any]:
        return {
            "exam": self.exam_code,
            "mode": self.mode,
            "dry_run": self.dry_run,
            "committed": self.committed,
            "counts": self.counts,
            "ignored_columns": self.ignored_columns,
            "rows": [row.as_dict() for row in self.rows],
        }


# --- reading


def read_roster(file: RosterFile) -> Sheet:
    """Read the first worksheet of an xlsx roster."""
    data = _read_bytes(file)
    workbook = _open_workbook(data)
    try:
        return _read_sheet(workbook.worksheets[0])
    except ApplicationError:
        raise
    except Exception as exc:  # a damaged part of the file shows only while reading rows
        logger.info("Unreadable roster sheet: %s", exc)
        raise _not_xlsx() from exc
    finally:
        workbook.close()


def _read_bytes(file: RosterFile) -> bytes:
    if isinstance(file, str | os.PathLike):
        path = Path(file)
        if not path.is_file():
            raise ApplicationError("roster_not_found", _("The file %(path)s does not exist.")
                                   % {"path": path})
        if path.stat().st_size > MAX_BYTES:
            raise _too_big()
        return path.read_bytes()
    data = file.read(MAX_BYTES + 1)
    if len(data) > MAX_BYTES:
        raise _too_big()
    return data


def _too_big() -> ApplicationError:
    return ApplicationError(
        "roster_too_big",
        _("The file is larger than 10 MB. Split the roster into several files and import "
          "them one after the other."),
        status=413,
    )


def _not_xlsx() -> ApplicationError:
    return ApplicationError(
        "roster_not_xlsx",
        _("The file is not an Excel workbook (.xlsx) or it is damaged. Open it in Excel or "
          "WPS, save it as .xlsx and try again, or start from the template."),
    )


def _open_workbook(data: bytes) -> Any:
    if not data:
        raise ApplicationError("roster_empty", _("The file is empty."))
    if data.startswith(b"\xd0\xcf\x11\xe0"):
        raise ApplicationError(
            "roster_xls",
            _("This is an old Excel 97-2003 (.xls) file. Open it in Excel or WPS, save it as "
              "Excel Workbook (.xlsx) and try again."),
        )
    if not zipfile.is_zipfile(io.BytesIO(data)):
        raise _not_xlsx()
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            unpacked = sum(info.file_size for info in archive.infolist())
        if unpacked > MAX_UNCOMPRESSED_BYTES:
            raise _too_big()
        return openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except ApplicationError:
        raise
    except Exception as exc:  # openpyxl raises many types for a file that is not xlsx
        logger.info("Unreadable roster workbook: %s", exc)
        raise _not_xlsx() from exc


def _cell_text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


def _read_sheet(worksheet: Any) -> Sheet:
    rows = worksheet.iter_rows(values_only=True)
    header_at, positions, headers, ignored = _find_header(rows)
    body: list[SheetRow] = []
    for number, cells in enumerate(rows, start=header_at + 1):
        raw = {key: cells[index] if index < len(cells) else None
               for key, index in positions.items()}
        values = {key: _cell_text(value) for key, value in raw.items()}
        if not any(values.values()):
            continue
        if len(body) == MAX_ROWS:
            raise ApplicationError(
                "roster_too_many_rows",
                _("The sheet has more than %(max)d candidate rows. Split it into several "
                  "files and import them one after the other.") % {"max": MAX_ROWS},
            )
        body.append(SheetRow(number=number, values=values, raw=raw))
    if not body:
        raise ApplicationError(
            "roster_empty",
            _("The sheet has a header row but no candidate rows below it."),
        )
    return Sheet(headers=headers, rows=body, ignored_columns=ignored)


def _find_header(
    rows: Iterator[tuple[Any, ...]],
) -> tuple[int, dict[str, int], dict[str, str], list[str]]:
    for number, cells in enumerate(rows, start=1):
        if number > HEADER_SEARCH_ROWS:
            break
        texts = [_cell_text(cell) for cell in cells]
        keys = [_HEADER_KEYS.get(match_key(text)) for text in texts]
        if sum(key is not None for key in keys) < 2:
            continue
        positions: dict[str, int] = {}
        headers: dict[str, str] = {}
        for index, (key, text) in enumerate(zip(keys, texts, strict=True)):
            if key is None:
                continue
            if key in positions:
                raise ApplicationError(
                    "roster_duplicate_column",
                    _("The header row has two columns for %(column)s (“%(first)s” and "
                      "“%(second)s”). Delete one of them.")
                    % {"column": COLUMN_BY_KEY[key].label, "first": headers[key], "second": text},
                )
            positions[key] = index
            headers[key] = text
        _require_columns(headers)
        ignored = [text for key, text in zip(keys, texts, strict=True) if key is None and text]
        return number, positions, headers, ignored
    raise ApplicationError(
        "roster_no_header",
        _("No header row was found in the first %(rows)d rows of the first sheet. The header "
          "row names the columns: 姓名, 证件号码, 报考科目, 场次, 考场 (or name, id_number, "
          "subject, session, room). Download the template to see the layout.")
        % {"rows": HEADER_SEARCH_ROWS},
    )


def _require_columns(headers: dict[str, str]) -> None:
    missing = [f"{column.label} ({column.key})" for column in COLUMNS
               if column.required and column.key not in headers]
    if missing:
        raise ApplicationError(
            "roster_missing_columns",
            _("The header row has no column for: %(columns)s. Add the missing columns, or "
              "start from the template.") % {"columns": ", ".join(missing)},
            details={"missing": missing},
        )


# --- the template


def roster_template(*, exam: Exam | None = None) -> bytes:
    """An xlsx with the header row, two example rows and a sheet "说明" explaining
    each column. Given an exam, the examples use its first subject, session and room,
    so that the template imports as it is."""
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.title = "考生名单"
    sheet.append([column.label for column in COLUMNS])
    for row in _example_rows(exam):
        sheet.append(row)
    _format_roster_sheet(sheet)
    notes = workbook.create_sheet("说明")
    notes.append([_("Column"), _("Required"), _("What to enter")])
    for column in COLUMNS:
        notes.append([column.label, _("yes") if column.required else _("no"),
                      str(column.explanation)])
    notes.append([])
    notes.append([_("Only the first sheet is imported. Row numbers in the import report are "
                    "the row numbers of this sheet.")])
    for cell in notes[1]:
        cell.font = Font(bold=True)
    notes.column_dimensions["A"].width = 18
    notes.column_dimensions["C"].width = 90
    output = io.BytesIO()
    workbook.save(output)
    return output.getvalue()


def _example_rows(exam: Exam | None) -> list[list[Any]]:
    subject, session_name, room_name = "碳排放管理技术（高级）", "第一场", "第1考场"
    if exam is not None:
        first_subject = exam.subjects.order_by("position", "code").first()
        first_session = exam.sessions.filter(rooms__isnull=False).order_by("opens_at").first()
        if first_subject is not None:
            subject = first_subject.display_name
        if first_session is not None:
            session_name = first_session.name
            room_name = first_session.rooms.order_by("name")[0].name
    permit = "81000019940823002"
    return [
        ["张三", "居民身份证", "11010519491231002X", subject, session_name, room_name, "", 0],
        ["李四", "港澳台居民居住证", permit + idnumbers.check_digit(permit),
         subject, session_name, room_name, "", 30],
    ]


def _format_roster_sheet(sheet: Any) -> None:
    fill = PatternFill("solid", fgColor="DDEBF7")
    for cell in sheet[1]:
        cell.font = Font(bold=True)
        cell.fill = fill
    for letter, width in zip("ABCDEFGH", (12, 18, 24, 28, 16, 14, 18, 16), strict=True):
        sheet.column_dimensions[letter].width = width
    for letter in ("C", "G"):  # ID and ticket numbers stay text: Excel drops digits of numbers
        sheet.column_dimensions[letter].number_format = "@"
        for cell in sheet[letter][1:]:
            cell.number_format = "@"
    id_types = DataValidation(type="list", formula1='"居民身份证,港澳台居民居住证,护照"',
                              allow_blank=True)
    sheet.add_data_validation(id_types)
    id_types.add(f"B2:B{MAX_ROWS + 1}")
    sheet.freeze_panes = "A2"
