"""Mapping helpers shared by the Moodle formats (``gift`` and ``moodle_xml``): the
``Rejected`` exception, category paths as tags, option keys, true/false options,
Moodle fractions (percent weights), matching pairs, and item names for problems."""

from __future__ import annotations

import re
from decimal import Decimal

from django.utils.translation import gettext as _

from examhall.itembank.formats.html_text import strip_tags
from examhall.itembank.formats.interchange import Item, Option

_HUNDRED = Decimal(100)


class Rejected(Exception):
    """An item refused by a reader (error) or a writer (skipped); ``offset`` is where
    in the GIFT question text, when known."""

    def __init__(self, code: str, message: str, offset: int | None = None) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.offset = offset


_CONTEXTS = re.compile(r"^\$(course|system|module|cat\d*)\$$", re.IGNORECASE)


def category_tags(path: str) -> list[str]:
    """Tags for a Moodle category path: its last segment and the whole path."""
    segments = [segment.strip() for segment in re.split(r"(?<!/)/(?!/)", path.strip())]
    segments = [segment.replace("//", "/") for segment in segments if segment]
    if segments and _CONTEXTS.match(segments[0]):
        segments = segments[1:]
    if segments and segments[0].lower() == "top":
        segments = segments[1:]
    if not segments:
        return []
    return list(dict.fromkeys([segments[-1], "/".join(segments)]))


def excerpt(text: str, length: int = 30) -> str:
    text = " ".join(strip_tags(text).split())
    return text if len(text) <= length else text[:length] + "…"


def item_name(item: Item) -> str:
    return item.title or item.identifier or excerpt(item.stem)


def option_key(index: int) -> str:
    return chr(ord("A") + index) if index < 26 else str(index + 1)


def true_false_options(is_true: bool) -> list[Option]:
    return [Option("T", "正确", is_true), Option("F", "错误", not is_true)]


def true_false_answer(item: Item) -> bool:
    keys = item.correct_keys
    if len(keys) != 1:
        raise Rejected("no_correct_option", _("A true/false item needs exactly one correct "
                                              "option."))
    option = next(option for option in item.options if option.correct)
    return (option.key.strip().lower() in TRUE_WORDS
            or option.text.strip().lower() in TRUE_WORDS)


# What a "true" option is called in the files we read (keys and texts, lower-cased).
TRUE_WORDS = frozenset({"t", "true", "正确", "对", "是", "√"})


def decimal_text(value: Decimal) -> str:
    """A decimal without exponent or trailing zeros: 50, 0.5, 33.33333."""
    text = format(value.normalize(), "f")
    return text if text not in {"-0", ""} else "0"


def require_correct(item: Item) -> None:
    if not item.options or not item.correct_keys:
        raise Rejected("no_correct_option", _("No option is marked correct."))


def fractions(item: Item) -> list[Decimal]:
    """Moodle fractions (percent) of a choice item's options: the weight when set,
    else 100 for a single's correct option or an equal share for a multiple's."""
    correct = len(item.correct_keys) or 1
    share = (_HUNDRED if item.kind == "single" else
             (_HUNDRED / correct).quantize(Decimal("0.00001")))
    return [option.weight * _HUNDRED if option.weight is not None else
            (share if option.correct else Decimal(0)) for option in item.options]


def matching_pairs(item: Item) -> list[tuple[str, str]]:
    """(sub-question, answer) of a matching-shaped case: every sub-item a single
    choice with one correct option, all over the same option texts."""
    texts = [option.text for option in item.sub_items[0].options] if item.sub_items else []
    pairs = []
    for sub_item in item.sub_items:
        correct = [option.text for option in sub_item.options if option.correct]
        if (sub_item.kind != "single" or len(correct) != 1
                or [option.text for option in sub_item.options] != texts):
            raise Rejected("not_expressible", _(
                "Only a case whose sub-items are single choices over the same options maps "
                "to a matching question."))
        pairs.append((sub_item.stem, correct[0]))
    if not pairs:
        raise Rejected("not_expressible", _("A case without sub-items cannot be written."))
    return pairs

