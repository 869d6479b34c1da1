"""Moodle XML: read into and write from the neutral ``interchange`` model.

Reading
-------
* Parsed with defusedxml's ``DefusedXMLParser`` (what
  ``defusedxml.ElementTree.fromstring`` uses) with DTDs, entity declarations
  and external references forbidden — a Moodle export has none — and a tree
  builder that records the line of each ``<question>``. Refusals as a whole
  (``FormatError``): ``file_too_large`` past ``MAX_FILE_BYTES``,
  ``xml_forbidden`` (DOCTYPE, entities: XXE, billion laughs),
  ``xml_malformed`` (with line and column), ``not_moodle_xml`` (root not
  ``<quiz>``), ``too_many_items``.
* ``<question type="category">`` sets the category of the questions after it;
  categories become tags like GIFT's: the last path segment and the whole path
  without ``$course$``/``top`` (``$course$/top/碳排放/核算`` gives
  ``["核算", "碳排放/核算"]``), followed by the question's own ``<tags>``.
* ``<name>`` is the title, ``<idnumber>`` the identifier, ``<defaultgrade>``
  the score, ``<generalfeedback>`` the explanation (for an essay without one,
  ``<graderinfo>``).
* Texts with ``format="html"`` (or no format) go through
  ``html_text.clean_html``; ``plain_text``, ``moodle_auto_format`` and
  ``markdown`` are escaped as plain text. Embedded files (``@@PLUGINFILE@@/x``
  with ``<file encoding="base64">``) become ``data:`` URIs inside the text for
  now (PNG, JPEG, GIF, WebP; others stay unresolved ``@@PLUGINFILE@@`` links).
* Kinds: multichoice ``<single>true`` → single (fraction 100 correct; a
  partial fraction kept as a weight on a wrong option), ``<single>false`` →
  multiple (weight = fraction/100, correct = weight > 0); truefalse →
  true_false (T 正确 / F 错误); shortanswer → fill_blank (answers at fraction
  100 accepted, ``usecase`` → case_sensitive); numerical → numeric fill_blank
  (answers at 100, the largest tolerance; units ignored); essay → essay;
  matching → case with one single-choice sub-item per sub-question, options
  every answer in order (distractors included). The blank of a shortanswer or
  numerical stem is its ``{{key}}`` if it has one, else its one run of three
  or more underscores, else ``{{1}}`` appended. Short answers are taken
  literally (Moodle's ``*`` wildcard is not interpreted); options are keyed
  A, B, C… in file order; empty answers are ignored, as Moodle does.
* Every other type (description, multianswer/cloze, calculated*, ddwtos,
  gapselect, ddimageortext, ddmarker, randomsamatch, random, ordering, …) is
  skipped as ``unsupported_type`` naming the type; the rest of the file imports.

Writing
-------
``write_moodle_xml(items, category=None)`` returns ``(bytes, problems)``: a
UTF-8 ``<quiz>`` (with a category question first when ``category`` is given),
and a ``not_expressible`` problem per item it skips — a fill_blank with several
blanks (that needs cloze, which ExamHall does not read) or a case that is not
matching-shaped. Texts containing ``<`` or ``&`` are written as html, others as
plain_text; a blank is written as ``_____``; matching answers are plain text.
A multiple-choice option without a weight gets an equal share of 100 % (correct)
or 0 %, so it re-imports with that weight.
"""

from __future__ import annotations

import base64
import binascii
import mimetypes
import re
import xml.etree.ElementTree as ET
from decimal import Decimal, InvalidOperation
from urllib.parse import quote

from defusedxml import DefusedXmlException
from defusedxml.ElementTree import DefusedXMLParser, ParseError
from django.utils.translation import gettext as _

from examhall.itembank.formats.html_text import clean_html, escape_text, strip_tags
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

SUPPORTED_TYPES = ("multichoice", "truefalse", "shortanswer", "numerical", "essay", "matching")
_IMAGE_TYPES = {"image/png", "image/jpeg", "image/gif", "image/webp"}
_GAP = re.compile(r"\{\{([^{}]+)\}\}")
_UNDERSCORES = re.compile(r"_{3,}")
_HUNDRED = Decimal(100)


# --- reading


def parse_moodle_xml(data: bytes | str) -> ParseResult:
    """Read a Moodle XML question file (see the module docstring for the mapping)."""
    root, lines = _parse_xml(data)
    result = ParseResult()
    tags: list[str] = []
    number = 0
    for question, line in zip(root.findall("question"), lines, strict=False):
        kind = (question.get("type") or "").strip()
        if kind == "category":
            tags = category_tags(_inner_text(question.find("category/text")))
            continue
        number += 1
        if number > MAX_ITEMS:
            raise FormatError("too_many_items", _("The file holds more than %(limit)d questions.")
                              % {"limit": MAX_ITEMS})
        _read_question(question, kind, tags, result,
                       _("question %(number)d, line %(line)d") % {"number": number, "line": line})
    return result


class _LineRecorder:
    """A tree builder target that notes the line of each top-level element."""

    def __init__(self) -> None:
        self.builder = ET.TreeBuilder()
        self.parser: DefusedXMLParser | None = None
        self.depth = 0
        self.lines: list[int] = []

    def start(self, tag: str, attrs: dict[str, str]) -> ET.Element:
        self.depth += 1
        if self.depth == 2 and self.parser is not None:
            self.lines.append(self.parser.parser.CurrentLineNumber)
        return self.builder.start(tag, attrs)

    def end(self, tag: str) -> ET.Element:
        self.depth -= 1
        return self.builder.end(tag)

    def data(self, data: str) -> None:
        self.builder.data(data)

    def close(self) -> ET.Element:
        return self.builder.close()


def _parse_xml(data: bytes | str) -> tuple[ET.Element, list[int]]:
    if isinstance(data, str):
        data = data.encode("utf-8")
    if len(data) > MAX_FILE_BYTES:
        raise FormatError("file_too_large", _("The file is larger than %(limit)d MB.")
                          % {"limit": MAX_FILE_BYTES // (1024 * 1024)})
    target = _LineRecorder()
    parser = DefusedXMLParser(target=target, forbid_dtd=True, forbid_entities=True,
                              forbid_external=True)
    target.parser = parser
    try:
        parser.feed(data)
        root = parser.close()
    except DefusedXmlException as exc:
        raise FormatError("xml_forbidden", _(
            "The file declares a DTD, entities or external references, which a Moodle "
            "export never does; refused for safety (%(reason)s).") % {"reason": type(exc).__name__}
        ) from exc
    except LookupError as exc:  # an encoding expat and Python do not know
        raise FormatError("xml_malformed", _("The file declares an unknown text encoding.")
                          ) from exc
    except ParseError as exc:
        line, column = exc.position
        raise FormatError("xml_malformed", _(
            "The file is not well-formed XML: line %(line)d, column %(column)d.")
            % {"line": line, "column": column + 1}) from exc
    if root.tag != "quiz":
        raise FormatError("not_moodle_xml", _(
            "The file is XML but not Moodle XML: its root element is <%(tag)s>, not <quiz>.")
            % {"tag": root.tag})
    # Only <question> children are numbered; lines of other children are dropped.
    lines = [line for child, line in zip(root, target.lines, strict=False)
             if child.tag == "question"]
    return root, lines


def _inner_text(element: ET.Element | None) -> str:
    return (element.text or "") if element is not None else ""


def _files(element: ET.Element) -> dict[str, str]:
    """Embedded files of a text element as data URIs, by name."""
    files = {}
    for file in element.findall("file"):
        name = file.get("name") or ""
        mime = mimetypes.guess_type(name)[0]
        if file.get("encoding") != "base64" or mime not in _IMAGE_TYPES:
            continue
        payload = "".join((file.text or "").split())
        try:
            base64.b64decode(payload, validate=True)
        except (binascii.Error, ValueError):
            continue
        files[name] = f"data:{mime};base64,{payload}"
    return files


def _rich_text(element: ET.Element | None, default_format: str = "html") -> str:
    """The sanitised text of a Moodle text element (format attribute, <text>, <file>s)."""
    if element is None:
        return ""
    text = _inner_text(element.find("text")).strip()
    if element.get("format", default_format) != "html":
        return escape_text(text)
    for name, uri in _files(element).items():
        for reference in {name, quote(name)}:
            text = text.replace(f"@@PLUGINFILE@@/{reference}", uri)
    return clean_html(text).strip()


def _fraction(answer: ET.Element) -> Decimal:
    try:
        return Decimal((answer.get("fraction") or "0").strip())
    except InvalidOperation as exc:
        raise Rejected("invalid_number", _("The answer fraction '%(value)s' is not a number.")
                       % {"value": answer.get("fraction")}) from exc


def _decimal(text: str, what: str) -> Decimal:
    try:
        return Decimal(text.strip()).normalize()
    except InvalidOperation as exc:
        raise Rejected("invalid_number", _("%(what)s '%(value)s' is not a number.")
                       % {"what": what, "value": text}) from exc


def _read_question(question: ET.Element, kind: str, category: list[str], result: ParseResult,
                   location: str) -> None:
    title = " ".join(_inner_text(question.find("name/text")).split())
    identifier = _inner_text(question.find("idnumber")).strip()
    name = title or identifier or excerpt(_inner_text(question.find("questiontext/text")))
    if kind not in SUPPORTED_TYPES:
        result.skip(location, name, "unsupported_type", _(
            "Moodle question type '%(type)s' is not supported; skipped.") % {"type": kind})
        return
    try:
        item = _READERS[kind](question)
        grade = _inner_text(question.find("defaultgrade")).strip()
        item.score = _decimal(grade, _("The default grade")) if grade else None
    except Rejected as exc:
        result.error(location, name, exc.code, exc.message)
        return
    own_tags = [_inner_text(tag.find("text")).strip() for tag in question.findall("tags/tag")]
    item.tags = list(dict.fromkeys([*category, *(tag for tag in own_tags if tag)]))
    item.title, item.identifier, item.location = title, identifier, location
    item.explanation = _rich_text(question.find("generalfeedback"))
    if kind == "essay" and not item.explanation:
        item.explanation = _rich_text(question.find("graderinfo"))
    if not item.stem:
        result.error(location, name, "empty_stem", _("The question has no text."))
        return
    for sub_item in item.sub_items:
        sub_item.location = location
    result.items.append(item)


def _stem(question: ET.Element) -> str:
    return _rich_text(question.find("questiontext"))


def _read_multichoice(question: ET.Element) -> Item:
    single = _inner_text(question.find("single")).strip().lower() in {"true", "1"}
    options = []
    answers = [answer for answer in question.findall("answer")  # blank ones, as Moodle
               if _inner_text(answer.find("text")).strip()]
    for index, answer in enumerate(answers):
        fraction = _fraction(answer)
        if single:
            correct = fraction == _HUNDRED
            weight = None if correct or not fraction else fraction / _HUNDRED
        else:
            weight = fraction / _HUNDRED
            correct = weight > 0
        options.append(Option(option_key(index), _rich_text(answer), correct, weight))
    if not any(option.correct for option in options):
        raise Rejected("no_correct_option", _("No answer has the fraction 100.") if single
                       else _("No answer has a positive fraction."))
    return Item(kind="single" if single else "multiple", stem=_stem(question), options=options)


def _read_truefalse(question: ET.Element) -> Item:
    for answer in question.findall("answer"):
        if _inner_text(answer.find("text")).strip().lower() == "true":
            is_true = _fraction(answer) == _HUNDRED
            return Item(kind="true_false", stem=_stem(question),
                        options=true_false_options(is_true))
    raise Rejected("no_correct_option", _("The true/false question has no 'true' answer."))


def _accepted(question: ET.Element) -> list[ET.Element]:
    accepted = [answer for answer in question.findall("answer")
                if _fraction(answer) == _HUNDRED and _inner_text(answer.find("text")).strip()]
    if not accepted:
        raise Rejected("no_correct_answer", _("No answer has the fraction 100."))
    return accepted


def _with_gap(stem: str) -> tuple[str, str]:
    """The stem with its one gap marked, and the gap's key."""
    gap = _GAP.search(stem)
    if gap:
        return stem, gap.group(1)
    if len(_UNDERSCORES.findall(stem)) == 1:
        return _UNDERSCORES.sub("{{1}}", stem), "1"
    return f"{stem} {{{{1}}}}", "1"


def _read_shortanswer(question: ET.Element) -> Item:
    answers = [_inner_text(answer.find("text")).strip() for answer in _accepted(question)]
    stem, key = _with_gap(_stem(question))
    case_sensitive = _inner_text(question.find("usecase")).strip() == "1"
    return Item(kind="fill_blank", stem=stem,
                blanks=[Blank(key=key, answers=answers, case_sensitive=case_sensitive)])


def _read_numerical(question: ET.Element) -> Item:
    values, tolerance = [], Decimal(0)
    for answer in _accepted(question):
        value = _inner_text(answer.find("text")).strip()
        if value == "*":
            continue
        _decimal(value, _("The answer"))
        values.append(value)
        answer_tolerance = _inner_text(answer.find("tolerance")).strip() or "0"
        tolerance = max(tolerance, abs(_decimal(answer_tolerance, _("The tolerance"))))
    if not values:
        raise Rejected("no_correct_answer", _("No numeric answer has the fraction 100."))
    stem, key = _with_gap(_stem(question))
    return Item(kind="fill_blank", stem=stem,
                blanks=[Blank(key=key, answers=values, numeric=True, tolerance=tolerance)])


def _read_essay(question: ET.Element) -> Item:
    return Item(kind="essay", stem=_stem(question))


def _read_matching(question: ET.Element) -> Item:
    pairs = []
    for subquestion in question.findall("subquestion"):
        answer = escape_text(_inner_text(subquestion.find("answer/text")).strip())
        pairs.append((_rich_text(subquestion), answer))
    answers = list(dict.fromkeys(answer for _stem_text, answer in pairs if answer))
    sub_items = [
        Item(kind="single", stem=left, options=[
            Option(option_key(index), text, text == right) for index, text in enumerate(answers)
        ])
        for left, right in pairs if left
    ]
    if not sub_items:
        raise Rejected("no_sub_questions", _("The matching question has no sub-question."))
    return Item(kind="case", stem=_stem(question), sub_items=sub_items)


_READERS = {
    "multichoice": _read_multichoice,
    "truefalse": _read_truefalse,
    "shortanswer": _read_shortanswer,
    "numerical": _read_numerical,
    "essay": _read_essay,
    "matching": _read_matching,
}


# --- writing


def write_moodle_xml(items: list[Item], category: str | None = None
                     ) -> tuple[bytes, list[ItemProblem]]:
    """Moodle XML for ``items`` and a problem per item it cannot express."""
    quiz = ET.Element("quiz")
    problems: list[ItemProblem] = []
    if category:
        element = ET.SubElement(quiz, "question", type="category")
        _text(ET.SubElement(element, "category"), f"$course$/top/{category}")
    for number, item in enumerate(items, 1):
        try:
            quiz.append(_write_item(item, number))
        except Rejected as exc:
            problems.append(ItemProblem(item.location or _("item %(number)d") % {"number": number},
                                        item_name(item), "skipped", exc.code, exc.message))
    ET.indent(quiz)
    return ET.tostring(quiz, encoding="utf-8", xml_declaration=True) + b"\n", problems


def _text(parent: ET.Element, text: str) -> None:
    ET.SubElement(parent, "text").text = text


def _rich(parent: ET.Element, tag: str, text: str) -> ET.Element:
    element = ET.SubElement(parent, tag, format="html" if "<" in text or "&" in text
                            else "plain_text")
    _text(element, text)
    return element


def _write_item(item: Item, number: int) -> ET.Element:
    moodle_type, fill = _WRITERS[item.kind]
    question = ET.Element("question", type=moodle_type)
    _text(ET.SubElement(question, "name"), item.title or item.identifier
          or excerpt(item.stem, 50) or _("question %(number)d") % {"number": number})
    stem = item.stem
    if item.kind == "fill_blank":
        stem = _blank_stem(item)
    _rich(question, "questiontext", stem)
    if item.explanation:
        _rich(question, "generalfeedback", item.explanation)
    if item.score is not None:
        ET.SubElement(question, "defaultgrade").text = decimal_text(item.score)
    if item.identifier:
        ET.SubElement(question, "idnumber").text = item.identifier
    fill(question, item)
    if item.tags:
        tags = ET.SubElement(question, "tags")
        for tag in item.tags:
            _text(ET.SubElement(tags, "tag"), tag)
    return question


def _blank_stem(item: Item) -> str:
    if len(item.blanks) != 1:
        raise Rejected("not_expressible", _(
            "A Moodle short-answer or numerical question holds one blank; this item has "
            "%(count)d (that needs cloze, which is not supported).") % {"count": len(item.blanks)})
    if not item.blanks[0].answers:
        raise Rejected("no_correct_answer", _("The blank has no accepted answer."))
    gap = "{{" + item.blanks[0].key + "}}"
    written = item.stem.replace(gap, "_____")
    # Keep the literal gap when underscores would not read back to the same stem.
    return written if _with_gap(written) == (item.stem, item.blanks[0].key) else item.stem


def _answer(question: ET.Element, fraction: Decimal, text: str, rich: bool = False
            ) -> ET.Element:
    if rich:
        answer = _rich(question, "answer", text)
    else:
        answer = ET.SubElement(question, "answer", format="moodle_auto_format")
        _text(answer, text)
    answer.set("fraction", decimal_text(fraction))
    return answer


def _fill_choice(question: ET.Element, item: Item) -> None:
    require_correct(item)
    ET.SubElement(question, "single").text = "true" if item.kind == "single" else "false"
    ET.SubElement(question, "shuffleanswers").text = "true"
    ET.SubElement(question, "answernumbering").text = "ABCD"
    for option, fraction in zip(item.options, fractions(item), strict=True):
        _answer(question, fraction, option.text, rich=True)


def _fill_true_false(question: ET.Element, item: Item) -> None:
    is_true = true_false_answer(item)
    _answer(question, _HUNDRED if is_true else Decimal(0), "true")
    _answer(question, Decimal(0) if is_true else _HUNDRED, "false")


def _fill_blank(question: ET.Element, item: Item) -> None:
    blank = item.blanks[0]
    if blank.numeric:
        question.set("type", "numerical")
        for value in blank.answers:
            answer = _answer(question, _HUNDRED, value)
            ET.SubElement(answer, "tolerance").text = decimal_text(blank.tolerance)
        return
    ET.SubElement(question, "usecase").text = "1" if blank.case_sensitive else "0"
    for value in blank.answers:
        _answer(question, _HUNDRED, value)


def _fill_essay(question: ET.Element, item: Item) -> None:
    ET.SubElement(question, "responseformat").text = "editor"
    ET.SubElement(question, "responsefieldlines").text = "15"


def _fill_matching(question: ET.Element, item: Item) -> None:
    pairs = matching_pairs(item)
    used = {right for _left, right in pairs}
    distractors = [option.text for option in item.sub_items[0].options if option.text not in used]
    ET.SubElement(question, "shuffleanswers").text = "true"
    for left, right in [*pairs, *(("", text) for text in distractors)]:
        subquestion = _rich(question, "subquestion", left)
        _text(ET.SubElement(subquestion, "answer"), strip_tags(right))


_WRITERS = {
    "single": ("multichoice", _fill_choice),
    "multiple": ("multichoice", _fill_choice),
    "true_false": ("truefalse", _fill_true_false),
    "fill_blank": ("shortanswer", _fill_blank),
    "essay": ("essay", _fill_essay),
    "case": ("matching", _fill_matching),
}
