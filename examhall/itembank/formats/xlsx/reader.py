"""Judging the rows of an item sheet: ``parse_items_xlsx`` and the checks on each row
and across rows (编号, 所属案例). The layout and the problem codes are described in
the package docstring."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation

from django.utils.translation import gettext as _

from ..interchange import Blank, Item, Option
from .columns import (
    _ALTERNATIVE_SPLIT,
    _DIFFICULTY_WORDS,
    _GAP,
    _GROUP_SPLIT,
    _KINDS,
    _NUMERIC_ANSWER,
    _TAG_SPLIT,
    _TRUTH,
    ESSAY_ANSWER_PREFIX,
    KIND_LABELS,
    OPTION_KEYS,
    match_key,
)
from .report import RowProblem, RowReport, XlsxParseResult
from .sheet import _read_sheet, _Sheet, _SheetRow


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
    """Read an item sheet (see the package doc). Every data row gets a ``RowReport``;
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
