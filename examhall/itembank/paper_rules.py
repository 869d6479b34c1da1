"""Rule-based papers: check that a bank can fill a rule set, and draw a paper.

Plain functions on plain data (no database), so that 5,000 papers can be drawn
quickly and every draw is reproducible from its recorded seed.

A rule set is a list of sections; each takes ``count`` questions of one kind,
carrying any of the section's tags (no tags: any), with a difficulty in the
section's range, at ``points`` each. No question appears twice in a paper.
Sections may overlap (a question may fit several); the check is exact
(maximum matching of questions to section places), and a draw that the quick
greedy pass cannot complete falls back to the same matching, so a rule set that
passes the check always yields a paper.
"""

from __future__ import annotations

import hashlib
import random
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal


@dataclass(frozen=True)
class PoolItem:
    id: str
    kind: str
    difficulty: int
    tags: frozenset[str] = frozenset()
    option_keys: tuple[str, ...] = ()


@dataclass(frozen=True)
class SectionRule:
    name: str
    kind: str
    count: int
    points: Decimal
    tags: frozenset[str] = frozenset()
    difficulty_min: int = 1
    difficulty_max: int = 5

    def accepts(self, item: PoolItem) -> bool:
        return (
            item.kind == self.kind
            and self.difficulty_min <= item.difficulty <= self.difficulty_max
            and (not self.tags or bool(self.tags & item.tags))
        )


@dataclass(frozen=True)
class Shortfall:
    """A section the bank cannot fill: it needs ``needed`` and can get ``available``."""

    section: str
    needed: int
    available: int


@dataclass(frozen=True)
class DrawnQuestion:
    id: str
    section: str
    points: Decimal
    option_order: tuple[str, ...] = ()
    kind: str = ""
    case_id: str = ""  # a sub-question: the case whose material it is shown under


@dataclass
class _Matching:
    """Places (one per question a section needs) matched to distinct pool items."""

    places: list[int]  # section index of each place
    eligible: list[list[int]]  # per section, pool indexes in preference order
    item_of_place: list[int | None] = field(default_factory=list)
    place_of_item: dict[int, int] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.item_of_place = [None] * len(self.places)

    def _augment(self, place: int, seen: set[int]) -> bool:
        for item in self.eligible[self.places[place]]:
            if item in seen:
                continue
            seen.add(item)
            other = self.place_of_item.get(item)
            if other is None or self._augment(other, seen):
                self.item_of_place[place] = item
                self.place_of_item[item] = place
                return True
        return False

    def solve(self) -> None:
        for place in range(len(self.places)):
            if self.item_of_place[place] is None:
                self._augment(place, set())


def _eligible(pool: Sequence[PoolItem], rules: Sequence[SectionRule]) -> list[list[int]]:
    return [[i for i, item in enumerate(pool) if rule.accepts(item)] for rule in rules]


def _places(rules: Sequence[SectionRule]) -> list[int]:
    return [index for index, rule in enumerate(rules) for _ in range(rule.count)]


def check_rules(pool: Sequence[PoolItem], rules: Sequence[SectionRule]) -> list[Shortfall]:
    """The sections that cannot be filled, with how many they can get (empty: fine)."""
    matching = _Matching(_places(rules), _eligible(pool, rules))
    matching.solve()
    filled = [0] * len(rules)
    for place, item in enumerate(matching.item_of_place):
        if item is not None:
            filled[matching.places[place]] += 1
    return [
        Shortfall(section=rule.name, needed=rule.count, available=filled[index])
        for index, rule in enumerate(rules)
        if filled[index] < rule.count
    ]


def rng_for(seed: str) -> random.Random:
    """A generator that gives the same draw for the same seed on every machine."""
    return random.Random(int.from_bytes(hashlib.sha256(seed.encode()).digest()[:8], "big"))


def _greedy(eligible: list[list[int]], rules: Sequence[SectionRule]) -> list[list[int]] | None:
    used: set[int] = set()
    chosen: list[list[int]] = [[] for _ in rules]
    # The most constrained sections first leaves the most room for the others.
    for index in sorted(range(len(rules)), key=lambda i: len(eligible[i])):
        picks = [item for item in eligible[index] if item not in used][: rules[index].count]
        if len(picks) < rules[index].count:
            return None
        used.update(picks)
        chosen[index] = picks
    return chosen


@dataclass(frozen=True)
class PreparedRules:
    """A pool and rule set with each section's eligible questions worked out once,
    for drawing many papers (one per candidate) from the same bank."""

    pool: Sequence[PoolItem]
    rules: Sequence[SectionRule]
    eligible: tuple[tuple[int, ...], ...]


def prepare(pool: Sequence[PoolItem], rules: Sequence[SectionRule]) -> PreparedRules:
    return PreparedRules(pool, rules, tuple(tuple(items) for items in _eligible(pool, rules)))


def draw_paper(
    pool: Sequence[PoolItem] | PreparedRules,
    rules: Sequence[SectionRule] = (),
    *,
    seed: str,
    shuffle_questions: bool = True,
    shuffle_options: bool = True,
) -> list[DrawnQuestion]:
    """One candidate's paper, reproducible from ``seed``. Raises ValueError when the
    rule set cannot be filled (call ``check_rules`` first to say why). Pass a
    ``PreparedRules`` to draw many papers from the same bank quickly."""
    prepared = pool if isinstance(pool, PreparedRules) else prepare(pool, rules)
    pool, rules = prepared.pool, prepared.rules
    rng = rng_for(seed)
    eligible = [list(items) for items in prepared.eligible]
    for items in eligible:
        rng.shuffle(items)
    chosen = _greedy(eligible, rules)
    if chosen is None:
        matching = _Matching(_places(rules), eligible)
        matching.solve()
        if any(item is None for item in matching.item_of_place):
            raise ValueError("the rule set cannot be filled from this pool")
        chosen = [[] for _ in rules]
        for place, item in enumerate(matching.item_of_place):
            chosen[matching.places[place]].append(item)  # type: ignore[arg-type]
    paper: list[DrawnQuestion] = []
    for index, rule in enumerate(rules):
        picks = list(chosen[index])
        if shuffle_questions:
            rng.shuffle(picks)
        else:
            picks.sort()  # bank order within the section
        for item_index in picks:
            item = pool[item_index]
            order = list(item.option_keys)
            if shuffle_options and item.kind in {"single", "multiple"}:
                rng.shuffle(order)
            paper.append(DrawnQuestion(item.id, rule.name, rule.points, tuple(order), item.kind))
    return paper


def paper_total(paper: Iterable[DrawnQuestion]) -> Decimal:
    return sum((question.points for question in paper), Decimal("0"))
