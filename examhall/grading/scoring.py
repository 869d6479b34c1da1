"""Scoring rules for objective questions: plain functions, no database.

Multiple-choice policies (per paper, issue 3):
- ``all_or_nothing``: the chosen keys must equal the correct keys.
- ``partial_subset``: a non-empty subset of the correct keys with no wrong key
  earns ``partial_ratio`` of the points (少选得部分分); any wrong key earns 0.
- ``per_option``: each correct key chosen earns points / |correct|, each wrong
  key chosen takes as much away, never below 0. When option weights are given
  (QTI map_response, Moodle fractions) the sum of the chosen weights × points
  is used instead, clamped to [0, points].

Fill-in-the-blank: each blank is compared after normalisation (full-width to
half-width, case folded unless the blank is case-sensitive, spaces collapsed)
with its accepted answers, or as a number within the blank's tolerance; each
blank carries its own points (default: the item's points split evenly).
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Literal

MultiplePolicy = Literal["all_or_nothing", "partial_subset", "per_option"]
MULTIPLE_POLICIES: tuple[str, ...] = ("all_or_nothing", "partial_subset", "per_option")
CENT = Decimal("0.01")
_SPACES = re.compile(r"\s+")


def _cents(value: Decimal) -> Decimal:
    return value.quantize(CENT, rounding=ROUND_HALF_UP)


def score_objective(
    *,
    kind: str,
    correct: Sequence[str],
    given: Sequence[str],
    points: Decimal,
    policy: MultiplePolicy = "all_or_nothing",
    partial_ratio: Decimal = Decimal("0.5"),
    weights: Mapping[str, Decimal] | None = None,
) -> tuple[Decimal, bool]:
    """Points awarded for a choice question and whether the answer is fully correct."""
    chosen = set(given)
    right = set(correct)
    is_correct = bool(chosen) and chosen == right
    if kind in {"single", "true_false"}:
        is_correct = is_correct and len(given) == 1
        return (points if is_correct else Decimal("0")), is_correct
    if is_correct:
        return points, True
    if policy == "partial_subset":
        if chosen and chosen < right:
            return _cents(points * partial_ratio), False
        return Decimal("0"), False
    if policy == "per_option":
        if weights:
            share = sum((weights.get(key, Decimal("0")) for key in chosen), Decimal("0"))
        else:
            share = Decimal(len(chosen & right) - len(chosen - right)) / Decimal(len(right) or 1)
        return _cents(min(points, max(Decimal("0"), points * share))), False
    return Decimal("0"), False


def normalise_text(value: str, *, case_sensitive: bool = False) -> str:
    """Full-width → half-width (NFKC), spaces collapsed and trimmed, case folded."""
    text = _SPACES.sub(" ", unicodedata.normalize("NFKC", value)).strip()
    return text if case_sensitive else text.casefold()


@dataclass(frozen=True)
class BlankKey:
    answers: Sequence[str]
    case_sensitive: bool = False
    numeric: bool = False
    tolerance: Decimal = Decimal("0")
    points: Decimal | None = None


def _as_number(value: str) -> Decimal | None:
    try:
        return Decimal(normalise_text(value).replace(",", ""))
    except InvalidOperation:
        return None


def blank_is_right(key: BlankKey, given: str) -> bool:
    if key.numeric:
        number = _as_number(given)
        if number is None:
            return False
        for answer in key.answers:
            expected = _as_number(answer)
            if expected is not None and abs(number - expected) <= key.tolerance:
                return True
        return False
    wanted = normalise_text(given, case_sensitive=key.case_sensitive)
    return bool(wanted) and any(
        wanted == normalise_text(answer, case_sensitive=key.case_sensitive)
        for answer in key.answers
    )


def score_fill_blank(
    *, blanks: Sequence[BlankKey], given: Sequence[str], points: Decimal
) -> tuple[Decimal, bool]:
    """Points for a fill-in-the-blank answer (``given`` in blank order)."""
    if not blanks:
        return Decimal("0"), False
    even_share = points / Decimal(len(blanks))
    total = Decimal("0")
    all_right = True
    for index, key in enumerate(blanks):
        answer = given[index] if index < len(given) else ""
        if blank_is_right(key, answer):
            total += key.points if key.points is not None else even_share
        else:
            all_right = False
    return _cents(min(total, points)), all_right
