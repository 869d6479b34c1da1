"""The columns of the item sheet: their names and aliases, how headers and cell words
are matched, and the texts of the "说明" sheet. The layout itself is described in
the package docstring (``examhall.itembank.formats.xlsx``)."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from openpyxl.styles import Font

if TYPE_CHECKING:
    from django.utils.functional import Promise

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


# --- the "说明" sheet


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

