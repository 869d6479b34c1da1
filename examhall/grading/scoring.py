"""Scoring rules for objective questions: plain functions, no database."""

from __future__ import annotations

from decimal import Decimal


def score_objective(
    *, kind: str, correct: list[str], given: list[str], points: Decimal
) -> tuple[Decimal, bool]:
    """All-or-nothing for now: the chosen keys must equal the correct keys.

    Partial-credit rules for multiple choice come with the item-bank issue.
    """
    is_correct = bool(given) and sorted(set(given)) == sorted(set(correct))
    if kind in {"single", "true_false"} and len(given) != 1:
        is_correct = False
    return (points if is_correct else Decimal("0")), is_correct
