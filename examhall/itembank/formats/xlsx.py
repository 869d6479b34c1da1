"""Questions in an Excel sheet (.xlsx): reading with a row-by-row report, the template, export.

One question per row on the first sheet that is not called "说明"; the header row
(within the first 10 rows) names the columns in Chinese or English, in any order.
Only 题型 and 题干 must be there; other headers are ignored and listed in the result.

- 题型 (type): 单选题 多选题 判断题 填空题 简答题 案例题, or single multiple true_false
  fill_blank essay case (also 单选, 问答题, 案例分析题 ...).
- 题干 (stem): the question; for 案例题 the shared material.
- 选项A … 选项H (option_a … option_h, A … H): options of choice questions, filled
  from A on without gaps, at least two.
- 答案 (answer): 单选 "B"; 多选 "ACD", "A,C,D" or "A、C、D"; 判断 正确/错误, 对/错, T/F,
  √/×, 是/否, an Excel TRUE/FALSE, or the letter of an option reading 正确/错误.
  填空: one group per gap, groups separated by "；" or ";" (or a line break),
  alternatives within a group by "|"; "/" is no separator, since answers such as
  "tCO2e/MWh" or "44/12" contain it. A group of plain numbers compares as numbers
  ("99±1" or "99+-1" sets a tolerance); a number in double quotes ("0731") stays
  text. 简答题: the optional reference answer, kept at the start of the explanation
  as "参考答案：…" (the interchange item has no field for it). 案例题: empty.
- 分值 (score): a positive number ("2", 2.0, "1.5分"); empty for the bank's default.
- 难度 (difficulty): 1-5, or 易 较易 中等 较难 难.
- 知识点 (tags): separated by "；" ";" "，" "," "、" or line breaks.
- 解析 (explanation): free text.
- 编号 (identifier): optional, unique in the sheet; required for 案例题.
- 所属案例 (case): for a sub-question, the 编号 of its 案例题 row.

Fill-in-the-blank stems mark gaps with two or more underscores ("____"), empty
brackets "（ ）" / "()", or "{{…}}"; they become ``{{1}}``, ``{{2}}``… in order.
Sub-questions may stand anywhere in the sheet; a case and its sub-questions are
imported together or not at all.

``parse_items_xlsx`` refuses a file as a whole with ``FormatError`` (codes
``xlsx_too_big``, ``xlsx_not_xlsx``, ``xlsx_xls``, ``xlsx_empty``, ``xlsx_no_header``,
``xlsx_missing_columns``, ``xlsx_duplicate_column``, ``xlsx_too_many_rows``); anything
about one row lands in that row's ``RowReport`` as a ``RowProblem`` naming the column
as written in the sheet, with one of the codes ``required``, ``unknown_type``,
``answer_not_letters``, ``answer_not_an_option``, ``single_many_answers``,
``multiple_too_few_answers``, ``too_few_options``, ``option_gap``,
``options_not_allowed``, ``true_false_answer_unknown``, ``blank_count_mismatch``,
``blank_answer_empty``, ``blank_tolerance_mixed``, ``score_invalid``,
``difficulty_invalid``, ``duplicate_identifier``, ``case_not_found``,
``case_without_sub_questions``, ``case_in_case``, ``case_answer``, ``case_incomplete``.
``write_items_xlsx`` writes the same
layout; ``parse(write(items)) == items`` for items as this reader produces them
(option keys A-H, blank keys 1..n). Not expressible in the sheet: option weights,
case-sensitive blanks, per-blank scores, titles.
"""

from __future__ import annotations

import dataclasses
import io
import itertools
import logging
import re
import unicodedata
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import TYPE_CHECKING, Any

import openpyxl
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.datavalidation import DataValidation

from examhall.itembank.formats.interchange import (
    MAX_FILE_BYTES,
    MAX_ITEMS,
    MAX_UNPACKED_BYTES,
    Blank,
    FormatError,
    Item,
    ItemProblem,
    Option,
)

if TYPE_CHECKING:
    from django.utils.functional import Promise

logger = logging.getLogger(__name__)

HEADER_SEARCH_ROWS = 10
NOTES_SHEET = "说明"
OPTION_KEYS = "ABCDEFGH"
KIND_LABELS = {"single": "单选题", "multiple": "多选题", "true_false": "判断题",
               "fill_blank": "填空题", "essay": "简答题", "case": "案例题"}
ESSAY_ANSWER_PREFIX = "参考答案："


@dataclass(frozen=True)
class Column:
    key: str
    label: str
    aliases: tuple[str, ...]
    explanation: Promise


COLUMNS: tuple[Column, ...] = (
    Column("type", "题型", ("type", "题目类型", "题类"), gettext_lazy(
        "Required. 单选题, 多选题, 判断题, 填空题, 简答题 or 案例题 (single, multiple, "
        "true_false, fill_blank, essay, case).")),
    Column("stem", "题干", ("stem", "题目", "题目内容", "question"), gettext_lazy(
        "Required. The question. In 填空题 mark each gap with ____ (two or more underscores) "
        "or empty brackets （ ）. In 案例题 the shared material of its sub-questions.")),
    *(Column(f"option_{key.lower()}", f"选项{key}", (f"option_{key.lower()}", key),
             gettext_lazy("Options of 单选题 and 多选题, filled from 选项A on without gaps "
                          "(at least two). Leave empty for other types."))
      for key in OPTION_KEYS),
    Column("answer", "答案", ("answer", "正确答案", "参考答案"), gettext_lazy(
        "单选题: one letter, e.g. B. 多选题: two or more letters, e.g. ACD or A,C,D. "
        "判断题: 正确 or 错误 (also 对/错, T/F, √/×). 填空题: the answers of the gaps in order, "
        "separated by ；, alternatives for one gap separated by | (not /, which answers such as "
        "tCO2e/MWh contain), e.g. 2030|2030年；2060. "
        "Plain numbers compare as numbers; 99±1 accepts 98 to 100; put a number in double "
        "quotes (\"0731\") to compare it as text. 简答题: the reference answer (optional), "
        "kept at the start of 解析 as 参考答案：…. "
        "案例题: empty.")),
    Column("score", "分值", ("score", "分数", "points"), gettext_lazy(
        "A positive number, e.g. 2 or 1.5. Empty: the default score of the bank.")),
    Column("difficulty", "难度", ("difficulty", "难度系数"), gettext_lazy(
        "1 (easy) to 5 (hard), or 易, 较易, 中等, 较难, 难. Optional.")),
    Column("tags", "知识点", ("tags", "标签", "knowledge points"), gettext_lazy(
        "Knowledge points, separated by ；, comma or 、. Optional.")),
    Column("explanation", "解析", ("explanation", "答案解析", "试题解析"), gettext_lazy(
        "Shown with the result. Optional.")),
    Column("identifier", "编号", ("identifier", "id", "题号", "试题编号"), gettext_lazy(
        "Your own number for the question, unique in the sheet. Optional, except for "
        "案例题: its sub-questions name it in 所属案例.")),
    Column("case", "所属案例", ("case", "parent", "案例编号"), gettext_lazy(
        "Only for sub-questions of a 案例题: the 编号 of the case row. Sub-questions can be "
        "any type except 案例题.")),
)
COLUMN_BY_KEY = {column.key: column for column in COLUMNS}
REQUIRED_COLUMNS = ("type", "stem")


def match_key(text: str) -> str:
    """Compare names loosely: full/half width, case, spaces and brackets do not matter."""
    folded = unicodedata.normalize("NFKC", text or "").casefold()
    return re.sub(r"[\s()\[\]【】·_\-*]", "", folded)


_HEADER_KEYS = {match_key(alias): column.key for column in COLUMNS
                for alias in (column.label, column.key, *column.aliases)}
_KINDS = {match_key(name): kind for kind, names in {
    "single": ("单选题", "单选", "单项选择题", "single", "single_choice"),
    "multiple": ("多选题", "多选", "多项选择题", "multiple", "multiple_choice"),
    "true_false": ("判断题", "判断", "true_false", "truefalse", "tf"),
    "fill_blank": ("填空题", "填空", "fill_blank", "blank"),
    "essay": ("简答题", "简答", "问答题", "论述题", "主观题", "essay"),
    "case": ("案例题", "案例", "案例分析题", "材料题", "case"),
}.items() for name in names}
_TRUTH = {match_key(text): value for value, texts in {
    True: ("正确", "对", "是", "T", "true", "Y", "√", "✓", "✔"),
    False: ("错误", "错", "否", "F", "false", "N", "×", "✗", "✘", "X"),
}.items() for text in texts}
_DIFFICULTY_WORDS = {"易": 1, "容易": 1, "较易": 2, "中等": 3, "中": 3, "较难": 4, "难": 5}
_GAP = re.compile(r"[_＿]{2,}|[（(][\s\u3000]*[)）]|\{\{[^{}]*\}\}")
_GROUP_SPLIT = re.compile(r"[;；\n]")
_ALTERNATIVE_SPLIT = re.compile(r"[|｜]")
_TAG_SPLIT = re.compile(r"[;；,，、\n]")
_NUMBER = r"[+-]?(?:\d+(?:\.\d*)?|\.\d+)"
_NUMERIC_ANSWER = re.compile(rf"({_NUMBER})(?:\s*(?:±|\+-|\+/-)\s*({_NUMBER}))?")


# --- the report


@dataclass(frozen=True)
class RowProblem:
    column: str  # the header as written in the sheet
    code: str
    message: str


@dataclass
class RowReport:
    row: int
    kind: str = ""
    identifier: str = ""
    problems: list[RowProblem] = field(default_factory=list)

    @property
    def location(self) -> str:
        return f"第 {self.row} 行"

    @property
    def status(self) -> str:
        return "error" if self.problems else "ok"


@dataclass
class XlsxParseResult:
    items: list[Item] = field(default_factory=list)
    rows: list[RowReport] = field(default_factory=list)
    ignored_columns: list[str] = field(default_factory=list)

    @property
    def has_errors(self) -> bool:
        return any(row.problems for row in self.rows)

    @property
    def problems(self) -> list[ItemProblem]:
        """The row problems in the shape every format reports (``interchange``)."""
        return [ItemProblem(f"{row.location}，{problem.column}", row.identifier, "error",
                            problem.code, problem.message)
                for row in self.rows for problem in row.problems]


# --- reading the file


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
    if len(data) > MAX_FILE_BYTES:
        raise FormatError("xlsx_too_big", _(
            "The file is larger than %(mb)d MB. Split the questions into several files.")
            % {"mb": MAX_FILE_BYTES // (1024 * 1024)})
    if data.startswith(b"\xd0\xcf\x11\xe0"):
        raise FormatError("xlsx_xls", _(
            "This is an old Excel 97-2003 (.xls) file. Open it in Excel or WPS, save it as "
            "Excel Workbook (.xlsx) and try again."))
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            unpacked = sum(info.file_size for info in archive.infolist())
        if unpacked > MAX_UNPACKED_BYTES:
            raise FormatError("xlsx_too_big", _(
                "The workbook unpacks to more than %(mb)d MB. Split the questions into "
                "several files.") % {"mb": MAX_UNPACKED_BYTES // (1024 * 1024)})
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
        if len(body) == MAX_ITEMS:
            raise FormatError("xlsx_too_many_rows", _(
                "The sheet has more than %(max)d question rows. Split it into several files.")
                % {"max": MAX_ITEMS})
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


# --- judging one row


class _RowReader:
    """Reads one sheet row into an ``Item``, recording every problem in its report."""

    def __init__(self, sheet: _Sheet, row: _SheetRow) -> None:
        self.sheet, self.text, self.raw = sheet, row.text, row.raw
        self.report = RowReport(row=row.number, identifier=row.text.get("identifier", ""))
        self.case_ref = self.text.get("case", "")

    def get(self, key: str) -> str:
        return self.text.get(key, "")

    def add(self, key: str, code: str, message: str) -> None:
        self.report.problems.append(RowProblem(self.sheet.header(key), code, message))

    def require(self, key: str) -> bool:
        if self.get(key):
            return True
        self.add(key, "required", _("%(column)s is empty; a %(kind)s needs it.") % {
            "column": self.sheet.header(key),
            "kind": KIND_LABELS.get(self.report.kind, _("question"))})
        return False

    def read(self) -> Item | None:
        type_text = self.get("type")
        kind = _KINDS.get(match_key(type_text))
        if not type_text:
            self.require("type")
        elif kind is None:
            self.add("type", "unknown_type", _(
                "“%(value)s” is not a question type. Use one of 单选题, 多选题, 判断题, 填空题, "
                "简答题, 案例题.") % {"value": type_text})
        self.report.kind = kind or ""
        self.require("stem")
        item = Item(kind=kind or "essay", stem=self.get("stem"), score=self._score(),
                    difficulty=self._difficulty(), tags=self._tags(),
                    explanation=self.get("explanation"), identifier=self.get("identifier"),
                    location=self.report.location)
        if kind in ("single", "multiple"):
            item.options = self._choices(kind)
        elif kind == "true_false":
            item.options = self._true_false()
        elif kind == "fill_blank":
            self._no_options()
            item.stem, item.blanks = self._fill_blank(item.stem)
        elif kind == "essay":
            self._no_options()
            item.explanation = self._essay_explanation()
        elif kind == "case":
            self._case()
        return None if self.report.problems else item

    def _essay_explanation(self) -> str:
        reference = f"{ESSAY_ANSWER_PREFIX}{self.get('answer')}" if self.get("answer") else ""
        return "\n".join(filter(None, (reference, self.get("explanation"))))

    def _case(self) -> None:
        self._no_options()
        self.require("identifier")
        if self.get("answer"):
            self.add("answer", "case_answer", _(
                "A 案例题 row holds only the shared material; give the answers on its "
                "sub-question rows."))
        if self.case_ref:
            self.add("case", "case_in_case", _(
                "A 案例题 cannot belong to another case; clear %(column)s.")
                % {"column": self.sheet.header("case")})

    def _score(self) -> Decimal | None:
        text = unicodedata.normalize("NFKC", self.get("score")).removesuffix("分").strip()
        if not text:
            return None
        try:
            score = Decimal(text)
        except InvalidOperation:
            score = Decimal("NaN")
        if score.is_finite() and score > 0:
            return score
        self.add("score", "score_invalid", _(
            "“%(value)s” is not a positive number of points.") % {"value": self.get("score")})
        return None

    def _difficulty(self) -> int | None:
        text = unicodedata.normalize("NFKC", self.get("difficulty")).strip()
        if not text:
            return None
        if text in _DIFFICULTY_WORDS:
            return _DIFFICULTY_WORDS[text]
        if text in {"1", "2", "3", "4", "5"}:
            return int(text)
        self.add("difficulty", "difficulty_invalid", _(
            "Difficulty “%(value)s” is not one of 1, 2, 3, 4, 5.") % {"value": text})
        return None

    def _tags(self) -> list[str]:
        tags = (tag.strip() for tag in _TAG_SPLIT.split(self.get("tags")))
        return list(dict.fromkeys(tag for tag in tags if tag))

    def _options(self) -> list[Option]:
        texts = [(key, self.get(f"option_{key.lower()}")) for key in OPTION_KEYS]
        last = max((index for index, (_key, text) in enumerate(texts) if text), default=-1)
        gaps = [key for key, text in texts[:last] if not text]
        if gaps:
            self.add(f"option_{gaps[0].lower()}", "option_gap", _(
                "%(column)s is empty but a later option is filled. Fill the options from A on "
                "without gaps.") % {"column": self.sheet.header(f"option_{gaps[0].lower()}")})
        return [Option(key, text) for key, text in texts if text]

    def _no_options(self) -> None:
        filled = [key for key in OPTION_KEYS if self.get(f"option_{key.lower()}")]
        if filled:
            column = f"option_{filled[0].lower()}"
            self.add(column, "options_not_allowed", _(
                "A %(kind)s has no options; clear %(column)s.") % {
                "kind": KIND_LABELS[self.report.kind], "column": self.sheet.header(column)})

    def _choices(self, kind: str) -> list[Option]:
        options = self._options()
        if len(options) < 2:
            self.add("option_b" if options else "option_a", "too_few_options", _(
                "A choice question needs at least two options (选项A and 选项B)."))
        if not self.require("answer"):
            return options
        letters = re.sub(r"[\s,，、;；/|.．]", "",
                         unicodedata.normalize("NFKC", self.get("answer")).upper())
        if not letters or set(letters) - set(OPTION_KEYS):
            self.add("answer", "answer_not_letters", _(
                "“%(value)s” is not an answer of option letters A–H such as B or ACD.")
                % {"value": self.get("answer")})
            return options
        keys = list(dict.fromkeys(letters))
        unknown = [key for key in keys if key not in {option.key for option in options}]
        if unknown:
            self.add("answer", "answer_not_an_option", _(
                "The answer names option %(letters)s, but that option is empty.")
                % {"letters": "".join(unknown)})
        if kind == "single" and len(keys) > 1:
            self.add("answer", "single_many_answers", _(
                "A 单选题 has exactly one answer, not %(count)d (%(letters)s). Use 多选题 for "
                "several.") % {"count": len(keys), "letters": "".join(keys)})
        if kind == "multiple" and len(keys) < 2:
            self.add("answer", "multiple_too_few_answers", _(
                "A 多选题 needs at least two correct options; “%(value)s” names one. Use 单选题 "
                "for a single answer.") % {"value": self.get("answer")})
        for option in options:
            option.correct = option.key in keys
        return options

    def _true_false(self) -> list[Option]:
        if not self.require("answer"):
            return []
        answer = self.raw.get("answer")
        value = answer if isinstance(answer, bool) else _TRUTH.get(match_key(self.get("answer")))
        letter = self.get("answer").upper()
        if value is None and letter in OPTION_KEYS:  # "A" with 选项A 正确, 选项B 错误
            value = _TRUTH.get(match_key(self.get(f"option_{letter.lower()}")))
        if value is None:
            self.add("answer", "true_false_answer_unknown", _(
                "“%(value)s” is not a true/false answer. Write 正确 or 错误 (also 对/错, T/F, "
                "√/×).") % {"value": self.get("answer")})
            return []
        return [Option("T", "正确", correct=value), Option("F", "错误", correct=not value)]

    def _fill_blank(self, stem: str) -> tuple[str, list[Blank]]:
        gaps = len(_GAP.findall(stem))
        counter = iter(range(1, gaps + 1))
        stem = _GAP.sub(lambda _match: "{{" + str(next(counter)) + "}}", stem)
        if not self.require("answer"):
            return stem, []
        groups = _GROUP_SPLIT.split(self.get("answer").strip().rstrip(";；").rstrip())
        if len(groups) != gaps:
            self.add("answer", "blank_count_mismatch", _(
                "The stem has %(gaps)d gaps (____ or （ ）) but the answer has %(groups)d "
                "answer groups separated by ；.") % {"gaps": gaps, "groups": len(groups)})
        blanks = []
        for number, group in enumerate(groups, start=1):
            blank = self._blank(str(number), group)
            if blank is not None:
                blanks.append(blank)
        return stem, blanks

    def _blank(self, key: str, group: str) -> Blank | None:
        texts = [text.strip() for text in _ALTERNATIVE_SPLIT.split(group) if text.strip()]
        if not texts:
            self.add("answer", "blank_answer_empty", _("Gap %(number)s has no answer.")
                     % {"number": key})
            return None
        numbers = [_NUMERIC_ANSWER.fullmatch(unicodedata.normalize("NFKC", text))
                   for text in texts]
        if not all(numbers):
            return Blank(key, [_unquote(text) for text in texts])
        tolerances = {Decimal(match[2] or "0") for match in numbers if match}
        if len(tolerances) > 1:
            self.add("answer", "blank_tolerance_mixed", _(
                "The alternatives of gap %(number)s give different tolerances; give one.")
                % {"number": key})
        return Blank(key, [match[1] for match in numbers if match], numeric=True,
                     tolerance=abs(max(tolerances)))


def _unquote(text: str) -> str:
    for left, right in ('""', "“”"):
        if len(text) > 2 and text[0] == left and text[-1] == right:
            return text[1:-1]
    return text


# --- the whole sheet


def parse_items_xlsx(data: bytes) -> XlsxParseResult:
    """Read an item sheet (see the module doc). Every data row gets a ``RowReport``;
    ``items`` holds the questions of the rows without problems, in sheet order."""
    sheet = _read_sheet(data)
    readers = [_RowReader(sheet, row) for row in sheet.rows]
    items = {reader.report.row: reader.read() for reader in readers}
    cases = _link_cases(readers)
    result = XlsxParseResult(rows=[reader.report for reader in readers],
                             ignored_columns=sheet.ignored_columns)
    for reader in readers:
        item = items[reader.report.row]
        if item is None or reader.report.problems or reader in cases.sub_rows:
            continue
        if reader.report.kind == "case":
            item.sub_items = [items[sub.report.row] for sub in cases.groups[reader]]
        result.items.append(item)
    return result


@dataclass
class _Cases:
    groups: dict[_RowReader, list[_RowReader]] = field(default_factory=dict)
    sub_rows: set[_RowReader] = field(default_factory=set)


def _link_cases(readers: list[_RowReader]) -> _Cases:
    """Check 编号 and 所属案例 across rows; a case stands or falls with its sub-questions."""
    by_identifier: dict[str, _RowReader] = {}
    for reader in readers:
        identifier = reader.report.identifier
        if identifier in by_identifier:
            reader.add("identifier", "duplicate_identifier", _(
                "编号 “%(id)s” is already used in row %(row)d.")
                % {"id": identifier, "row": by_identifier[identifier].report.row})
        elif identifier:
            by_identifier[identifier] = reader
    cases = _Cases(groups={reader: [] for reader in readers if reader.report.kind == "case"})
    for reader in readers:
        if not reader.case_ref or reader.report.kind == "case":
            continue
        target = by_identifier.get(reader.case_ref)
        if target is None or target.report.kind != "case":
            reader.add("case", "case_not_found", _(
                "No 案例题 row has 编号 “%(id)s”.") % {"id": reader.case_ref})
            continue
        cases.groups[target].append(reader)
        cases.sub_rows.add(reader)
    for case, subs in cases.groups.items():
        if not subs:
            case.add("identifier", "case_without_sub_questions", _(
                "No row names this case in 所属案例, so it has no sub-questions."))
        broken = [row.report.row for row in (case, *subs) if row.report.problems]
        for row in (case, *subs):
            others = [number for number in broken if number != row.report.row]
            if others:
                row.add("case", "case_incomplete", _(
                    "Part of this case has errors (rows %(rows)s); a case and its "
                    "sub-questions are imported together or not at all.")
                    % {"rows": ", ".join(str(number) for number in others)})
    return cases


# --- writing


def write_items_xlsx(items: list[Item]) -> bytes:
    """Export items in the template's layout (see the module doc), with the "说明" sheet.

    Raises ``FormatError`` for an item the layout cannot hold (more than 8 options, a
    gap answer containing a separator)."""
    rows: list[list[Any]] = []
    used = {item.identifier for item in items if item.identifier}
    for number, item in enumerate(items, start=1):
        if item.kind == "case" and not item.identifier:  # its sub-questions must name it
            identifier = next(f"案例{n}" for n in itertools.count(number)
                              if f"案例{n}" not in used)
            used.add(identifier)
            item = dataclasses.replace(item, identifier=identifier)
        rows.append(_item_row(item))
        rows.extend(_item_row(sub, case=item.identifier) for sub in item.sub_items)
    return _workbook(rows)


def items_template() -> bytes:
    """The downloadable template: one example per question type and the "说明" sheet."""
    return write_items_xlsx(_example_items())


def _item_row(item: Item, *, case: str = "") -> list[Any]:
    if len(item.options) > len(OPTION_KEYS):
        raise FormatError("xlsx_too_many_options", _(
            "Question “%(name)s” has %(count)d options; the sheet holds at most 8.")
            % {"name": item.identifier or item.stem[:30], "count": len(item.options)})
    options = [option.text for option in item.options]
    options += [""] * (len(OPTION_KEYS) - len(options))
    stem, answer = item.stem, ""
    if item.kind in ("single", "multiple"):
        answer = "".join(key for key, option in zip(OPTION_KEYS, item.options, strict=False)
                         if option.correct)
    elif item.kind == "true_false":
        answer = "正确" if _true_false_value(item) else "错误"
        options = [""] * len(OPTION_KEYS)
    elif item.kind == "fill_blank":
        stem, answer = _blank_cells(item)
    score = item.score
    if score is not None:
        score = int(score) if score == score.to_integral_value() else float(score)
    return [KIND_LABELS[item.kind], stem, *options, answer, score, item.difficulty,
            "；".join(item.tags), item.explanation, item.identifier, case]


def _true_false_value(item: Item) -> bool:
    for option in item.options:
        if option.correct:
            return option.key.upper() == "T" or _TRUTH.get(match_key(option.text), False)
    return False


def _blank_cells(item: Item) -> tuple[str, str]:
    blanks = {blank.key: blank for blank in item.blanks}
    order: list[Blank] = []

    def gap(match: re.Match[str]) -> str:
        if match[1] in blanks:
            order.append(blanks[match[1]])
        return "____"

    stem = re.sub(r"\{\{([^{}]*)\}\}", gap, item.stem)
    groups = []
    for blank in order:
        texts = []
        quote = not blank.numeric and all(  # else the reader would take them as numbers
            _NUMERIC_ANSWER.fullmatch(unicodedata.normalize("NFKC", answer))
            for answer in blank.answers)
        for answer in blank.answers:
            if _GROUP_SPLIT.search(answer) or _ALTERNATIVE_SPLIT.search(answer):
                raise FormatError("xlsx_unwritable_answer", _(
                    "Answer “%(answer)s” of question “%(name)s” contains ；or |, which the sheet "
                    "uses as separators.") % {"answer": answer,
                                              "name": item.identifier or item.stem[:30]})
            if blank.numeric and blank.tolerance:
                texts.append(f"{answer}±{blank.tolerance}")
            elif quote:
                texts.append(f'"{answer}"')
            else:
                texts.append(answer)
        groups.append("|".join(texts))
    return stem, "；".join(groups)


def _workbook(rows: list[list[Any]]) -> bytes:
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.title = "题目"
    sheet.append([column.label for column in COLUMNS])
    for number, values in enumerate(rows, start=2):
        for index, value in enumerate(values, start=1):
            if value in ("", None):
                continue
            if isinstance(value, str):
                value = ILLEGAL_CHARACTERS_RE.sub("", value)
            cell = sheet.cell(row=number, column=index, value=value)
            if isinstance(value, str):
                cell.data_type = "s"  # a text starting with "=" stays text, never a formula
    _format_items_sheet(sheet, len(rows))
    _add_notes(workbook.create_sheet(NOTES_SHEET))
    output = io.BytesIO()
    workbook.save(output)
    return output.getvalue()


def _format_items_sheet(sheet: Any, count: int) -> None:
    fill = PatternFill("solid", fgColor="DDEBF7")
    for cell in sheet[1]:
        cell.font = Font(bold=True)
        cell.fill = fill
    widths = {"题型": 10, "题干": 60, "答案": 18, "知识点": 18, "解析": 40, "编号": 10,
              "所属案例": 10}
    for index, column in enumerate(COLUMNS, start=1):
        letter = get_column_letter(index)
        sheet.column_dimensions[letter].width = widths.get(column.label, 16)
        if column.key in ("answer", "identifier", "case"):  # Excel must not turn 001 into 1
            sheet.column_dimensions[letter].number_format = "@"
    for row in sheet.iter_rows(min_row=2, max_col=2, min_col=2):
        row[0].alignment = Alignment(wrap_text=True, vertical="top")
    kinds = DataValidation(type="list", formula1='"' + ",".join(KIND_LABELS.values()) + '"',
                           allow_blank=True)
    sheet.add_data_validation(kinds)
    kinds.add(f"A2:A{max(count, 1000) + 1}")
    sheet.freeze_panes = "C2"


def _add_notes(notes: Any) -> None:
    notes.append([_("Column"), _("Also accepted"), _("What to enter")])
    for column in COLUMNS:
        notes.append([column.label, ", ".join(column.aliases), str(column.explanation)])
    notes.append([])
    for line in (
        _("One question per row. Only the first sheet is imported; this sheet is ignored. "
          "Row numbers in the import report are the row numbers of the question sheet."),
        _("案例题: one row with 题型 案例题, the shared material in 题干 and a 编号; then one row "
          "per sub-question with that 编号 in 所属案例. A case is imported with all its "
          "sub-questions or not at all."),
        _("Empty rows are skipped. Columns with other headers are ignored and listed in the "
          "report."),
    ):
        notes.append([line])
    for cell in notes[1]:
        cell.font = Font(bold=True)
    notes.column_dimensions["A"].width = 12
    notes.column_dimensions["B"].width = 24
    notes.column_dimensions["C"].width = 100


def _example_items() -> list[Item]:
    return [
        Item("single", "按照GHG Protocol企业标准，企业外购电力产生的间接排放属于哪个范围？",
             options=[Option("A", "范围一"), Option("B", "范围二", correct=True),
                      Option("C", "范围三"), Option("D", "不计入企业排放")],
             score=Decimal("1"), difficulty=1, tags=["温室气体核算", "排放范围"],
             explanation="外购电力、热力和蒸汽产生的间接排放属于范围二。", identifier="T001"),
        Item("multiple", "《京都议定书》附件A列出的温室气体包括下列哪些？",
             options=[Option("A", "二氧化碳（CO2）", correct=True),
                      Option("B", "甲烷（CH4）", correct=True),
                      Option("C", "氧化亚氮（N2O）", correct=True), Option("D", "一氧化碳（CO）")],
             score=Decimal("2"), difficulty=2, tags=["温室气体"],
             explanation="附件A列出CO2、CH4、N2O、HFCs、PFCs和SF6六种温室气体，不含CO。",
             identifier="T002"),
        Item("true_false", "按GHG Protocol企业标准，生物质燃烧产生的CO2应计入范围一排放总量。",
             options=[Option("T", "正确"), Option("F", "错误", correct=True)],
             score=Decimal("1"), difficulty=2, tags=["排放范围"],
             explanation="生物质燃烧的直接CO2排放不计入范围一，应在范围之外单独报告。",
             identifier="T003"),
        Item("fill_blank", "我国提出二氧化碳排放力争于{{1}}年前达到峰值，努力争取{{2}}年前"
                           "实现碳中和。",
             blanks=[Blank("1", ["2030", "2030年"]), Blank("2", ["2060", "2060年"])],
             score=Decimal("2"), difficulty=1, tags=["双碳目标"], identifier="T004"),
        Item("essay", "简述碳排放核算中“排放因子法”的基本原理及其主要数据来源。",
             score=Decimal("10"), difficulty=3, tags=["核算方法"],
             explanation="参考答案：排放量 = 活动数据 × 排放因子；活动数据来自企业台账和计量"
                         "记录，排放因子取指南缺省值或实测值。", identifier="T005"),
        Item("case", "某燃煤电厂2023年消耗原煤50万吨，原煤低位发热量为20.9 GJ/t，单位热值含碳量"
                     "为0.0262 tC/GJ，碳氧化率为99%。", difficulty=3, tags=["化石燃料燃烧"],
             identifier="C001", sub_items=[
                 Item("fill_blank", "该电厂2023年原煤燃烧产生的二氧化碳排放量约为{{1}}万吨"
                                    "（保留整数）。",
                      blanks=[Blank("1", ["99"], numeric=True, tolerance=Decimal("1"))],
                      score=Decimal("4"), difficulty=3,
                      explanation="50万t × 20.9 GJ/t × 0.0262 tC/GJ × 99% × 44/12 ≈ 99.4万tCO2。"),
                 Item("single", "上述计算中，将碳排放量换算为二氧化碳排放量应乘以哪个系数？",
                      options=[Option("A", "12/44"), Option("B", "44/12", correct=True),
                               Option("C", "16/12"), Option("D", "28/12")],
                      score=Decimal("2"), difficulty=2,
                      explanation="CO2与C的分子量之比为44/12。"),
             ]),
    ]
