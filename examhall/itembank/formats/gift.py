"""GIFT (Moodle's plain-text question format): read into and write from the
neutral ``interchange`` model.

Reading
-------
* Questions are separated by blank lines; lines starting with ``//`` are
  comments; a question may span several lines. ``$CATEGORY: a/b`` sets the
  category of the questions after it.
* Escapes ``\\~ \\= \\# \\{ \\} \\: \\\\`` give the literal character and ``\\n`` a
  line break.
* ``::title::`` becomes both ``Item.title`` and ``Item.identifier`` (GIFT has no
  other id).
* ``[html]`` texts go through ``html_text.clean_html``; ``[plain]``,
  ``[moodle]``, ``[markdown]`` and unprefixed texts are plain text, escaped as
  HTML (markdown is not rendered).
* Kinds: ``{=a ~b}`` single (``~%50%b`` keeps a partial weight 0.5 on a wrong
  option); only ``~%n%`` answers: multiple, ``Option.weight`` = n/100 and
  correct = weight > 0; ``{T}``/``{FALSE}``: true_false (options T 正确 / F
  错误); only ``=`` answers: fill_blank with one blank ``{{1}}`` (answers at
  100 % accepted, case-insensitive as in Moodle); ``{#3.14:0.01}``,
  ``{#1..2}`` (midpoint and half-width) or ``{#=a:t =b:t}``: numeric
  fill_blank (answers at 100 %, the largest tolerance); ``{}``: essay;
  ``{=q -> a ...}`` matching: a case with one single-choice sub-item per pair,
  options the distinct right-hand answers in order.
* The gap of a fill_blank is where the answer braces stand (``首都是{=北京}。``
  gives ``首都是{{1}}。``); for other kinds braces inside the text become
  ``_____``.
* Per-answer feedback (``#text``) is dropped; ``####text`` general feedback is
  the explanation. Options are keyed A, B, C… in file order; empty answers are
  ignored, as Moodle does.
* Categories become tags: the last path segment and the whole path (Moodle's
  ``$course$``/``$system$`` context and ``top`` removed), e.g.
  ``$CATEGORY: $course$/top/碳排放/核算`` gives ``["核算", "碳排放/核算"]``.
* A question without braces (a Moodle "description") is skipped as
  ``unsupported_type``; broken syntax (an unclosed brace, an unknown answer
  form) is an error naming the question and its line, and the other questions
  still import.
* Bytes are decoded as UTF-8 (with or without BOM), else GB18030 (files saved
  by Chinese Windows editors).

Writing
-------
``write_gift(items, category=None)`` returns ``(text, problems)``: items GIFT
cannot express are skipped with a ``not_expressible`` problem — a fill_blank
with several blanks, a case that is not matching-shaped (every sub-item a
single choice over the same options, no distractors). GIFT holds no score,
tags, difficulty or per-blank case sensitivity; those are not written. Texts
containing ``<`` or ``&`` are written as ``[html]``. A multiple-choice option
without a weight is written with an equal share of 100 % (correct) or 0 %, so
it re-imports with that weight.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from django.utils.translation import gettext as _

from examhall.itembank.formats.html_text import clean_html, escape_text
from examhall.itembank.formats.interchange import (
    MAX_FILE_BYTES,
    MAX_ITEMS,
    Blank,
    FormatError,
    Item,
    ItemProblem,
    Option,
    ParseResult,
)
from examhall.itembank.formats.mapping import (
    Rejected,
    category_tags,
    decimal_text,
    excerpt,
    fractions,
    item_name,
    matching_pairs,
    option_key,
    require_correct,
    true_false_answer,
    true_false_options,
)

_ESCAPABLE = "\\~=#{}:n"
_PLACEHOLDER = 0xE000  # private-use characters stand for escaped ones while parsing
_RESTORE = {chr(_PLACEHOLDER + i): ("\n" if c == "n" else c) for i, c in enumerate(_ESCAPABLE)}
_GAP_MARK = "\ue0ff"
_FORMAT = re.compile(r"^\s*\[(html|moodle|plain|markdown)\]", re.IGNORECASE)
_WEIGHT = re.compile(r"^\s*%(-?\d+(?:\.\d+)?)%")
_TRUE_FALSE = re.compile(r"^\s*(T|TRUE|F|FALSE)\s*(#.*)?$", re.IGNORECASE | re.DOTALL)
_HUNDRED = Decimal(100)


# --- reading


def parse_gift(data: bytes | str) -> ParseResult:
    """Read a GIFT file (see the module docstring for the mapping)."""
    text = _decode(data)
    result = ParseResult()
    tags: list[str] = []
    number = 0
    for lines in _blocks(text):
        _first_number, first_line = lines[0]
        if first_line.strip().upper().startswith("$CATEGORY:"):
            path = first_line.strip()[len("$CATEGORY:"):]
            tags = category_tags(path)
            lines = lines[1:]
            if not lines:
                continue
        number += 1
        if number > MAX_ITEMS:
            raise FormatError("too_many_items", _("The file holds more than %(limit)d questions.")
                              % {"limit": MAX_ITEMS})
        _Question(lines, number, tags, result).read()
    return result


def _decode(data: bytes | str) -> str:
    if len(data) > MAX_FILE_BYTES:
        raise FormatError("file_too_large", _("The file is larger than %(limit)d MB.")
                          % {"limit": MAX_FILE_BYTES // (1024 * 1024)})
    if isinstance(data, str):
        text = data
    else:
        try:
            text = data.decode("utf-8")
        except UnicodeDecodeError:
            try:
                text = data.decode("gb18030")
            except UnicodeDecodeError as exc:
                raise FormatError("undecodable", _(
                    "The file is neither UTF-8 nor GB18030 text (byte %(position)d)."
                ) % {"position": exc.start}) from exc
    return text.removeprefix("\ufeff")


def _blocks(text: str) -> list[list[tuple[int, str]]]:
    """Non-comment lines with their numbers, grouped by blank lines."""
    blocks: list[list[tuple[int, str]]] = []
    current: list[tuple[int, str]] = []
    for line_number, line in enumerate(text.splitlines(), 1):
        if line.lstrip().startswith("//"):
            continue
        if not line.strip():
            if current:
                blocks.append(current)
                current = []
            continue
        current.append((line_number, line))
    if current:
        blocks.append(current)
    return blocks


def _protect(text: str) -> str:
    """Replace each escape by one private-use character (offsets and lines unchanged)."""
    return re.sub(r"\\([\\~=#{}:n])",
                  lambda match: chr(_PLACEHOLDER + _ESCAPABLE.index(match.group(1))), text)


def _restore(text: str) -> str:
    return "".join(_RESTORE.get(char, char) for char in text)


@dataclass
class _Answer:
    marker: str
    weight: Decimal | None
    text: str  # still protected


class _Question:
    def __init__(self, lines: list[tuple[int, str]], number: int, category_tags: list[str],
                 result: ParseResult) -> None:
        self.line_numbers = [line_number for line_number, _line in lines]
        self.text = _protect("\n".join(line for _line_number, line in lines))
        self.number = number
        self.category_tags = category_tags
        self.result = result
        self.title = ""
        self.html = False

    def line_at(self, offset: int) -> int:
        return self.line_numbers[self.text.count("\n", 0, offset)]

    def location(self, offset: int = 0) -> str:
        return _("question %(number)d, line %(line)d") % {
            "number": self.number, "line": self.line_at(offset)}

    def name(self, before: str = "") -> str:
        return self.title or excerpt(_restore(before or self.text.partition("{")[0]))

    def read(self) -> None:
        try:
            item = self.parse()
        except Rejected as exc:
            self.result.error(self.location(exc.offset or 0), self.name(), exc.code, exc.message)
            return
        if item is not None:
            self.result.items.append(item)

    def parse(self) -> Item | None:
        text = self.text
        body_start = 0
        if text.lstrip().startswith("::"):
            start = text.index("::")
            end = text.find("::", start + 2)
            if end < 0:
                raise Rejected("gift_syntax", _("The title is not closed with '::'."), start)
            self.title = _restore(text[start + 2:end]).strip()
            body_start = end + 2
        match = _FORMAT.match(text[body_start:])
        if match:
            self.html = match.group(1).lower() == "html"
            body_start += match.end()
        open_at = text.find("{", body_start)
        close_at = text.find("}", body_start)
        if open_at < 0 and close_at < 0:
            self.result.skip(self.location(), self.name(text[body_start:]), "unsupported_type",
                             _("A description (a text without answers) is not a question; "
                               "skipped."))
            return None
        if close_at >= 0 and (open_at < 0 or close_at < open_at):
            raise Rejected("gift_syntax", _("'}' without an opening '{'."), close_at)
        next_open = text.find("{", open_at + 1)
        if close_at < 0 or 0 <= next_open < close_at:
            raise Rejected("gift_syntax", _("The answer block opened here is not closed "
                                             "with '}'."), open_at)
        after = text[close_at + 1:]
        if "{" in after or "}" in after:
            raise Rejected("gift_syntax", _("A question holds one answer block; found "
                                             "another after it."), close_at + 1)
        return self.build(text[body_start:open_at], text[open_at + 1:close_at], after, open_at)

    def convert(self, raw: str) -> str:
        text = _restore(raw).strip()
        return clean_html(text).strip() if self.html else escape_text(text)

    def stem(self, before: str, after: str, gap: str | None) -> str:
        if not after.strip() and gap is None:
            return self.convert(before)
        return self.convert(before + _GAP_MARK + after).replace(_GAP_MARK, gap or "_____")

    def build(self, before: str, inner: str, after: str, offset: int) -> Item:
        inner, _sep, feedback = inner.partition("####")
        kind, payload = _classify(inner, offset)
        gap = "{{1}}" if kind == "fill_blank" else None
        item = Item(kind=kind, stem=self.stem(before, after, gap), title=self.title,
                    identifier=self.title, explanation=self.convert(feedback),
                    tags=list(self.category_tags), location=self.location())
        if kind == "true_false":
            item.options = true_false_options(payload)
        elif kind in {"single", "multiple"}:
            item.options = self.choice_options(kind, payload, offset)
        elif kind == "fill_blank":
            item.blanks = [payload]
        elif kind == "case":
            item.sub_items = self.matching_sub_items(payload, item.location)
            if not item.sub_items:
                raise Rejected("gift_syntax", _("The matching question has no sub-question."),
                               offset)
        if not item.stem:
            raise Rejected("empty_stem", _("The question has no text."), offset)
        return item

    def choice_options(self, kind: str, answers: list[_Answer], offset: int) -> list[Option]:
        options = []
        answers = [answer for answer in answers if _restore(answer.text).strip()]  # as Moodle
        for index, answer in enumerate(answers):
            if kind == "single":
                correct = answer.marker == "="
                weight = None if correct or not answer.weight else answer.weight / _HUNDRED
            else:
                weight = (answer.weight or Decimal(0)) / _HUNDRED
                correct = weight > 0
            options.append(Option(option_key(index), self.convert(answer.text),
                                  correct, weight))
        if not any(option.correct for option in options):
            raise Rejected("no_correct_option", _("No answer is marked correct."), offset)
        return options

    def matching_sub_items(self, pairs: list[tuple[str, str]], location: str) -> list[Item]:
        converted = [(self.convert(left), self.convert(right)) for left, right in pairs]
        answers = list(dict.fromkeys(right for _left, right in converted))
        return [
            Item(kind="single", stem=left, location=location, options=[
                Option(option_key(index), text, text == right)
                for index, text in enumerate(answers)
            ])
            for left, right in converted if left  # an empty left side is a distractor
        ]


def _classify(inner: str, offset: int) -> tuple[str, object]:
    """The kind of an answer block and what it holds (answers, a Blank, pairs)."""
    if not inner.strip():
        return "essay", None
    if inner.lstrip().startswith("#"):
        return "fill_blank", _numerical(inner.lstrip()[1:], offset)
    match = _TRUE_FALSE.match(inner)
    if match:
        return "true_false", match.group(1).upper().startswith("T")
    answers = _answers(inner, offset)
    if any("->" in answer.text for answer in answers):
        if any(answer.marker != "=" or "->" not in answer.text for answer in answers):
            raise Rejected("gift_syntax", _("Every answer of a matching question must be "
                                             "'=question -> answer'."), offset)
        pairs = [tuple(part.strip() for part in answer.text.split("->", 1)) for answer in answers]
        if not all(right for _left, right in pairs):
            raise Rejected("gift_syntax", _("A matching pair has no answer after '->'."), offset)
        return "case", pairs
    if any(answer.marker == "~" for answer in answers):
        kind = "single" if any(answer.marker == "=" for answer in answers) else "multiple"
        return kind, answers
    accepted = [_restore(answer.text).strip() for answer in answers
                if (answer.weight is None or answer.weight == _HUNDRED)
                and _restore(answer.text).strip()]
    if not accepted:
        raise Rejected("no_correct_answer", _("No answer is worth 100%."), offset)
    return "fill_blank", Blank(key="1", answers=accepted)


def _answers(inner: str, offset: int) -> list[_Answer]:
    parts = re.split(r"([=~])", inner)
    if parts[0].strip():
        raise Rejected("gift_syntax", _("Unknown answer form: answers start with '=' or "
                                         "'~'."), offset)
    answers = []
    for marker, chunk in zip(parts[1::2], parts[2::2], strict=True):
        raw = chunk.partition("#")[0]
        weight = None
        match = _WEIGHT.match(raw)
        if match:
            weight = Decimal(match.group(1))
            raw = raw[match.end():]
        answers.append(_Answer(marker, weight, raw))
    if not answers:
        raise Rejected("gift_syntax", _("The answer block holds no answer."), offset)
    return answers


def _numerical(body: str, offset: int) -> Blank:
    raws = _answers(body, offset) if "=" in body else [
        _Answer("=", None, body.partition("#")[0])]
    values: list[str] = []
    tolerance = Decimal(0)
    for answer in raws:
        if answer.weight is not None and answer.weight != _HUNDRED:
            continue
        value, answer_tolerance = _number(_restore(answer.text).strip(), offset)
        values.append(value)
        tolerance = max(tolerance, answer_tolerance)
    if not values:
        raise Rejected("no_correct_answer", _("No answer is worth 100%."), offset)
    return Blank(key="1", answers=values, numeric=True, tolerance=tolerance)


def _number(text: str, offset: int) -> tuple[str, Decimal]:
    try:
        if ".." in text:
            low, high = (Decimal(part.strip()) for part in text.split("..", 1))
            return decimal_text((low + high) / 2), abs(high - low) / 2
        value, _sep, tolerance = text.partition(":")
        Decimal(value.strip())
        return value.strip(), abs(Decimal(tolerance.strip() or "0"))
    except InvalidOperation as exc:
        raise Rejected("invalid_number", _("'%(text)s' is not a number, a number:tolerance "
                                            "or a range low..high.") % {"text": text},
                        offset) from exc


# --- writing


def looks_like_html(item: Item) -> bool:
    texts = [item.stem, item.explanation, *(option.text for option in item.options)]
    texts += [text for sub in item.sub_items for text in
              (sub.stem, *(option.text for option in sub.options))]
    return any("<" in text or "&" in text for text in texts)


def write_gift(items: list[Item], category: str | None = None) -> tuple[str, list[ItemProblem]]:
    """GIFT text for ``items`` and a problem per item it cannot express."""
    blocks: list[str] = []
    problems: list[ItemProblem] = []
    if category:
        blocks.append(f"$CATEGORY: {category}")
    for number, item in enumerate(items, 1):
        try:
            blocks.append(_write_item(item))
        except Rejected as exc:
            problems.append(ItemProblem(item.location or _("item %(number)d") % {"number": number},
                                        item_name(item), "skipped", exc.code, exc.message))
    return "\n\n".join(blocks) + "\n", problems


def _escape(text: str) -> str:
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    return "".join("\\n" if char == "\n" else ("\\" + char if char in "\\~=#{}:" else char)
                   for char in text)


def _write_item(item: Item) -> str:
    head = f"::{_escape(item.title or item.identifier)}::" if item.title or item.identifier else ""
    if looks_like_html(item):
        head += "[html]"
    feedback = f"####{_escape(item.explanation)}" if item.explanation else ""
    if item.kind == "fill_blank":
        before, after, block = _fill_blank(item)
        return f"{head}{_escape(before)}{{{block}{feedback}}}{_escape(after)}"
    block = _WRITERS[item.kind](item)
    return f"{head}{_escape(item.stem)} {{{block}{feedback}}}"


def _write_choice(item: Item) -> str:
    require_correct(item)
    shares = fractions(item)
    parts = []
    for option, fraction in zip(item.options, shares, strict=True):
        if item.kind == "single" and option.correct:
            parts.append("=" + _escape(option.text))
        elif fraction:
            parts.append(f"~%{decimal_text(fraction)}%{_escape(option.text)}")
        else:
            parts.append("~" + _escape(option.text))
    return " ".join(parts)


def _write_true_false(item: Item) -> str:
    return "TRUE" if true_false_answer(item) else "FALSE"


def _write_essay(item: Item) -> str:
    return ""


def _write_matching(item: Item) -> str:
    pairs = matching_pairs(item)
    if {right for _left, right in pairs} != {option.text for option in item.sub_items[0].options}:
        raise Rejected("not_expressible", _("GIFT matching questions cannot hold distractors "
                                            "(options that answer no sub-question)."))
    return " ".join(f"={_escape(left)} -> {_escape(right)}" for left, right in pairs)


def _fill_blank(item: Item) -> tuple[str, str, str]:
    if len(item.blanks) != 1:
        raise Rejected("not_expressible", _(
            "GIFT holds one blank per question; this item has %(count)d."
        ) % {"count": len(item.blanks)})
    blank = item.blanks[0]
    if not blank.answers:
        raise Rejected("no_correct_answer", _("The blank has no accepted answer."))
    gap = "{{" + blank.key + "}}"
    before, found, after = item.stem.partition(gap)
    if not found:
        before, after = item.stem + " ", ""
    if blank.numeric:
        tolerance = f":{decimal_text(blank.tolerance)}" if blank.tolerance else ""
        if len(blank.answers) == 1:
            return before, after, f"#{_escape(blank.answers[0])}{tolerance}"
        return before, after, "#" + " ".join(f"={_escape(answer)}{tolerance}"
                                             for answer in blank.answers)
    return before, after, " ".join("=" + _escape(answer) for answer in blank.answers)


_WRITERS = {
    "single": _write_choice,
    "multiple": _write_choice,
    "true_false": _write_true_false,
    "essay": _write_essay,
    "case": _write_matching,
}
