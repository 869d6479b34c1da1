"""The neutral item model every format reads into and writes from.

Plain dataclasses, no Django. A format parser returns a ``ParseResult``: the
items it could map, and for everything else a ``ItemProblem`` naming the item
and why it was skipped (an interaction we do not support) or rejected (broken
content) — never a silent drop.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from typing import Literal

ItemKind = Literal["single", "multiple", "true_false", "fill_blank", "essay", "case"]
ITEM_KINDS: tuple[str, ...] = ("single", "multiple", "true_false", "fill_blank", "essay", "case")

# Limits every reader enforces (a clear refusal past them, never a crash).
MAX_FILE_BYTES = 50 * 1024 * 1024
MAX_UNPACKED_BYTES = 200 * 1024 * 1024
MAX_ARCHIVE_MEMBERS = 20_000
MAX_ITEMS = 50_000


@dataclass
class Option:
    """A choice. ``weight`` is the share of the item's score this option gives
    (map_response / Moodle fraction as 0..1, negative for penalties); None means
    the plain correct / incorrect of ``correct``."""

    key: str
    text: str
    correct: bool = False
    weight: Decimal | None = None


@dataclass
class Blank:
    """One gap of a fill-in-the-blank item with its accepted answers.

    ``numeric`` answers compare as numbers within ``tolerance``.
    """

    key: str
    answers: list[str]
    case_sensitive: bool = False
    numeric: bool = False
    tolerance: Decimal = Decimal("0")
    score: Decimal | None = None


@dataclass
class Item:
    """One question, or a case question holding ``sub_items``.

    ``stem`` and option texts are simple HTML (p, br, b/strong, i/em, u, sub,
    sup, img, table); plain text is fine. For ``fill_blank`` the stem marks
    each gap as ``{{key}}`` matching ``Blank.key``.
    """

    kind: ItemKind
    stem: str
    options: list[Option] = field(default_factory=list)
    blanks: list[Blank] = field(default_factory=list)
    sub_items: list[Item] = field(default_factory=list)
    score: Decimal | None = None
    explanation: str = ""
    tags: list[str] = field(default_factory=list)
    difficulty: int | None = None  # 1..5
    identifier: str = ""  # the source's own id (QTI identifier, Moodle idnumber, GIFT title)
    title: str = ""
    location: str = ""  # where in the source: "question 3", "line 12", "items/q7.xml"

    @property
    def correct_keys(self) -> list[str]:
        return [option.key for option in self.options if option.correct]


@dataclass(frozen=True)
class ItemProblem:
    """An item not imported: ``status`` skipped (unsupported) or error (broken)."""

    location: str
    name: str
    status: Literal["skipped", "error"]
    code: str
    message: str


@dataclass
class ParseResult:
    items: list[Item] = field(default_factory=list)
    problems: list[ItemProblem] = field(default_factory=list)

    def skip(self, location: str, name: str, code: str, message: str) -> None:
        self.problems.append(ItemProblem(location, name, "skipped", code, message))

    def error(self, location: str, name: str, code: str, message: str) -> None:
        self.problems.append(ItemProblem(location, name, "error", code, message))


class FormatError(Exception):
    """The whole file is refused (not a file of this format, malformed XML, too big,
    a zip bomb, an XXE attempt). ``code`` is stable; ``message`` is for people."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
