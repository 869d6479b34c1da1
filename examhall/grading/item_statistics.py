"""Item statistics after an exam: plain functions on plain data.

For each question: facility (the mean share of its points candidates got, the
classical p-value), discrimination (the point-biserial / Pearson correlation
between the item's score and the candidate's score on the rest of the paper —
"corrected", so the item does not correlate with itself), how often each option
was chosen, and flags an exam office should look at.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass

MIN_RESPONSES = 10
BLANK = ""  # the option "count" of candidates who left the question empty


@dataclass(frozen=True)
class ItemResponse:
    """One candidate's result on one item, with the candidate's paper total."""

    awarded: float
    maximum: float
    paper_total: float
    chosen: tuple[str, ...] = ()


@dataclass(frozen=True)
class ItemStatistics:
    responses: int
    facility: float | None
    discrimination: float | None
    option_counts: dict[str, int]
    flags: tuple[str, ...]


def _pearson(xs: Sequence[float], ys: Sequence[float]) -> float | None:
    n = len(xs)
    if n < 2:
        return None
    mean_x = sum(xs) / n
    mean_y = sum(ys) / n
    cov = sum((x - mean_x) * (y - mean_y) for x, y in zip(xs, ys, strict=True))
    var_x = sum((x - mean_x) ** 2 for x in xs)
    var_y = sum((y - mean_y) ** 2 for y in ys)
    if var_x == 0 or var_y == 0:
        return None
    return cov / math.sqrt(var_x * var_y)


def item_statistics(responses: Sequence[ItemResponse]) -> ItemStatistics:
    """Facility, corrected point-biserial discrimination, option counts and flags.

    Flags: ``few_responses`` (fewer than 10), ``nobody_correct`` (facility 0),
    ``everybody_correct`` (facility 1), ``negative_discrimination`` (stronger
    candidates did worse on it: often a wrong key), ``no_discrimination``
    (cannot be computed: every candidate scored the same on it or on the rest).
    """
    counts: Counter[str] = Counter()
    for response in responses:
        if response.chosen:
            counts.update(response.chosen)
        else:
            counts[BLANK] += 1
    if not responses:
        return ItemStatistics(0, None, None, {}, ("few_responses",))
    shares = [r.awarded / r.maximum if r.maximum else 0.0 for r in responses]
    facility = sum(shares) / len(shares)
    rest = [r.paper_total - r.awarded for r in responses]
    discrimination = _pearson(shares, rest)
    flags = []
    if len(responses) < MIN_RESPONSES:
        flags.append("few_responses")
    if facility == 0:
        flags.append("nobody_correct")
    elif facility == 1:
        flags.append("everybody_correct")
    if discrimination is None:
        flags.append("no_discrimination")
    elif discrimination < 0:
        flags.append("negative_discrimination")
    return ItemStatistics(
        responses=len(responses),
        facility=round(facility, 4),
        discrimination=None if discrimination is None else round(discrimination, 4),
        option_counts=dict(sorted(counts.items())),
        flags=tuple(flags),
    )
