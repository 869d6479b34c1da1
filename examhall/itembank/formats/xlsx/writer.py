"""Writing items in the sheet's layout: ``write_items_xlsx`` and the downloadable
``items_template`` with its example questions."""

from __future__ import annotations

import dataclasses
import io
import itertools
import re
import unicodedata
from decimal import Decimal
from typing import Any

import openpyxl
from django.utils.translation import gettext as _
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.datavalidation import DataValidation

from ..interchange import Blank, FormatError, Item, Option
from .columns import (
    _ALTERNATIVE_SPLIT,
    _GROUP_SPLIT,
    _NUMERIC_ANSWER,
    _TRUTH,
    COLUMNS,
    KIND_LABELS,
    NOTES_SHEET,
    OPTION_KEYS,
    _add_notes,
    match_key,
)


def write_items_xlsx(items: list[Item]) -> bytes:
    """Export items in the template's layout (see the package doc), with the "说明" sheet.

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
