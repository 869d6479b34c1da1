"""Reading the workbook: the size and type checks on the file, the header row, and
the data rows as text, before any row is judged (``reader``)."""

from __future__ import annotations

import io
import logging
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import openpyxl
from django.utils.translation import gettext as _

# The size limits are looked up on the package when used, not imported here, so that
# ``xlsx.MAX_FILE_BYTES``, ``xlsx.MAX_UNPACKED_BYTES`` and ``xlsx.MAX_ITEMS`` stay the
# one place to change them (the tests patch them there), as when xlsx was one module.
from .. import xlsx as package
from ..interchange import FormatError
from .columns import (
    _HEADER_KEYS,
    COLUMN_BY_KEY,
    HEADER_SEARCH_ROWS,
    NOTES_SHEET,
    REQUIRED_COLUMNS,
    match_key,
)

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class _SheetRow:
    number: int
    raw: dict[str, Any]
    text: dict[str, str]


@dataclass(frozen=True)
class _Sheet:
    headers: dict[str, str]
    rows: list[_SheetRow]
    ignored_columns: list[str]

    def header(self, key: str) -> str:
        return self.headers.get(key) or COLUMN_BY_KEY[key].label


def _read_sheet(data: bytes) -> _Sheet:
    workbook = _open_workbook(data)
    try:
        sheets = [sheet for sheet in workbook.worksheets if sheet.title != NOTES_SHEET]
        return _read_rows((sheets or workbook.worksheets)[0].iter_rows(values_only=True))
    except FormatError:
        raise
    except Exception as exc:  # a damaged part of the file shows only while reading rows
        logger.info("Unreadable item sheet: %s", exc)
        raise _not_xlsx() from exc
    finally:
        workbook.close()


def _not_xlsx() -> FormatError:
    return FormatError("xlsx_not_xlsx", _(
        "The file is not an Excel workbook (.xlsx) or it is damaged. Open it in Excel or WPS, "
        "save it as .xlsx and try again, or start from the template."))


def _open_workbook(data: bytes) -> Any:
    if not data:
        raise FormatError("xlsx_empty", _("The file is empty."))
    if len(data) > package.MAX_FILE_BYTES:
        raise FormatError("xlsx_too_big", _(
            "The file is larger than %(mb)d MB. Split the questions into several files.")
            % {"mb": package.MAX_FILE_BYTES // (1024 * 1024)})
    if data.startswith(b"\xd0\xcf\x11\xe0"):
        raise FormatError("xlsx_xls", _(
            "This is an old Excel 97-2003 (.xls) file. Open it in Excel or WPS, save it as "
            "Excel Workbook (.xlsx) and try again."))
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            unpacked = sum(info.file_size for info in archive.infolist())
        if unpacked > package.MAX_UNPACKED_BYTES:
            raise FormatError("xlsx_too_big", _(
                "The workbook unpacks to more than %(mb)d MB. Split the questions into "
                "several files.") % {"mb": package.MAX_UNPACKED_BYTES // (1024 * 1024)})
        return openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except FormatError:
        raise
    except Exception as exc:  # zipfile and openpyxl raise many types for a file that is not xlsx
        logger.info("Unreadable item workbook: %s", exc)
        raise _not_xlsx() from exc


def _cell_text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() else format(Decimal(repr(value)), "f")
    return str(value).strip()


def _read_rows(rows: Iterator[tuple[Any, ...]]) -> _Sheet:
    header_at, positions, headers, ignored = _find_header(rows)
    body: list[_SheetRow] = []
    for number, cells in enumerate(rows, start=header_at + 1):
        raw = {key: cells[index] if index < len(cells) else None
               for key, index in positions.items()}
        text = {key: _cell_text(value) for key, value in raw.items()}
        if not any(text.values()):
            continue
        if len(body) == package.MAX_ITEMS:
            raise FormatError("xlsx_too_many_rows", _(
                "The sheet has more than %(max)d question rows. Split it into several files.")
                % {"max": package.MAX_ITEMS})
        body.append(_SheetRow(number, raw, text))
    if not body:
        raise FormatError("xlsx_empty", _(
            "The sheet has a header row but no question rows below it."))
    return _Sheet(headers, body, ignored)


def _find_header(
    rows: Iterator[tuple[Any, ...]],
) -> tuple[int, dict[str, int], dict[str, str], list[str]]:
    seen_text = False
    for number, cells in enumerate(rows, start=1):
        texts = [_cell_text(cell) for cell in cells]
        seen_text = seen_text or any(texts)
        keys = [_HEADER_KEYS.get(match_key(text)) if text else None for text in texts]
        if sum(key is not None for key in keys) >= 2:
            positions: dict[str, int] = {}
            headers: dict[str, str] = {}
            for index, (key, text) in enumerate(zip(keys, texts, strict=True)):
                if key in positions:
                    raise FormatError("xlsx_duplicate_column", _(
                        "The header row has two columns for %(column)s (“%(first)s” and "
                        "“%(second)s”). Delete one of them.") % {
                        "column": COLUMN_BY_KEY[key].label, "first": headers[key],
                        "second": text})
                if key is not None:
                    positions[key], headers[key] = index, text
            missing = [f"{COLUMN_BY_KEY[key].label} ({key})" for key in REQUIRED_COLUMNS
                       if key not in positions]
            if missing:
                raise FormatError("xlsx_missing_columns", _(
                    "The header row has no column for: %(columns)s. Add the missing columns, "
                    "or start from the template.") % {"columns": ", ".join(missing)})
            ignored = [text for key, text in zip(keys, texts, strict=True) if key is None and text]
            return number, positions, headers, ignored
        if number == HEADER_SEARCH_ROWS:
            break
    if not seen_text:
        raise FormatError("xlsx_empty", _("The first sheet is empty."))
    raise FormatError("xlsx_no_header", _(
        "No header row was found in the first %(rows)d rows of the first sheet. The header row "
        "names the columns, at least 题型 and 题干 (or type and stem). Download the template to "
        "see the layout.") % {"rows": HEADER_SEARCH_ROWS})

