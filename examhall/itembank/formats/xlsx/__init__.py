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

Modules: ``columns`` (the columns, header and word matching, the "说明" sheet),
``sheet`` (opening the file, the header row), ``reader`` (``parse_items_xlsx`` and
the row checks), ``report`` (``RowReport``, ``RowProblem``, ``XlsxParseResult``),
``writer`` (``write_items_xlsx``, ``items_template``).
"""

from __future__ import annotations

from ..interchange import MAX_FILE_BYTES, MAX_ITEMS, MAX_UNPACKED_BYTES
from .columns import (
    COLUMN_BY_KEY,
    COLUMNS,
    ESSAY_ANSWER_PREFIX,
    HEADER_SEARCH_ROWS,
    KIND_LABELS,
    NOTES_SHEET,
    OPTION_KEYS,
    REQUIRED_COLUMNS,
    Column,
    match_key,
)
from .reader import parse_items_xlsx
from .report import RowProblem, RowReport, XlsxParseResult
from .writer import items_template, write_items_xlsx

__all__ = [
    "COLUMNS",
    "COLUMN_BY_KEY",
    "ESSAY_ANSWER_PREFIX",
    "HEADER_SEARCH_ROWS",
    "KIND_LABELS",
    "MAX_FILE_BYTES",
    "MAX_ITEMS",
    "MAX_UNPACKED_BYTES",
    "NOTES_SHEET",
    "OPTION_KEYS",
    "REQUIRED_COLUMNS",
    "Column",
    "RowProblem",
    "RowReport",
    "XlsxParseResult",
    "items_template",
    "match_key",
    "parse_items_xlsx",
    "write_items_xlsx",
]
