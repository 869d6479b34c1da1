"""Rule-based papers: enough / not enough questions, overlaps, seeds, no duplicates."""

from decimal import Decimal

import pytest

from examhall.itembank.paper_rules import (
    PoolItem,
    SectionRule,
    check_rules,
    draw_paper,
    paper_total,
    prepare,
)

TWO = Decimal("2")


def _pool(kind: str, count: int, *, tags: frozenset[str] = frozenset(), difficulty: int = 3,
          prefix: str = "") -> list[PoolItem]:
    return [PoolItem(id=f"{prefix or kind}-{n}", kind=kind, difficulty=difficulty, tags=tags,
                     option_keys=("A", "B", "C", "D")) for n in range(count)]


POOL = (
    _pool("single", 30, tags=frozenset({"scope"}))
    + _pool("single", 10, tags=frozenset({"market"}), prefix="single-market", difficulty=5)
    + _pool("multiple", 12)
    + _pool("true_false", 8)
)
RULES = [
    SectionRule("单选", "single", 20, TWO),
    SectionRule("多选", "multiple", 5, Decimal("3")),
    SectionRule("判断", "true_false", 5, Decimal("1")),
]


def test_enough_questions_passes_the_check():
    assert check_rules(POOL, RULES) == []


def test_short_rule_says_which_and_by_how_many():
    rules = [*RULES, SectionRule("难题", "single", 12, TWO, difficulty_min=5)]
    shortfalls = check_rules(POOL, rules)
    assert [(s.section, s.needed, s.available) for s in shortfalls] == [("难题", 12, 10)]


def test_overlapping_sections_are_checked_exactly():
    # Tagged section needs 8 "market" items; the untagged one takes 25 singles of any tag.
    rules = [SectionRule("任意单选", "single", 32, TWO),
             SectionRule("市场", "single", 8, TWO, tags=frozenset({"market"}))]
    assert check_rules(POOL, rules) == []
    paper = draw_paper(POOL, rules, seed="x")
    market = [q for q in paper if q.section == "市场"]
    assert len(market) == 8
    assert all(q.id.startswith("single-market") for q in market)
    assert len({q.id for q in paper}) == 40  # every single used once, none twice


def test_same_seed_same_paper_other_seed_other_paper():
    first = draw_paper(POOL, RULES, seed="exam-1/2026110001")
    again = draw_paper(POOL, RULES, seed="exam-1/2026110001")
    other = draw_paper(POOL, RULES, seed="exam-1/2026110002")
    assert first == again
    assert [q.id for q in first] != [q.id for q in other]


def test_paper_has_sections_in_order_no_duplicates_and_the_total():
    paper = draw_paper(POOL, RULES, seed="s")
    assert [q.section for q in paper] == ["单选"] * 20 + ["多选"] * 5 + ["判断"] * 5
    assert len({q.id for q in paper}) == len(paper)
    assert paper_total(paper) == Decimal("60")


def test_options_shuffled_per_candidate_unless_disabled_and_never_for_true_false():
    shuffled = draw_paper(POOL, RULES, seed="s")
    assert any(q.option_order != ("A", "B", "C", "D") for q in shuffled if q.section == "单选")
    plain = draw_paper(POOL, RULES, seed="s", shuffle_options=False, shuffle_questions=False)
    assert all(q.option_order == ("A", "B", "C", "D") for q in plain)
    plain_ids = [q.id for q in plain if q.section == "判断"]
    assert plain_ids == sorted(plain_ids, key=lambda qid: int(qid.rsplit("-", 1)[1]))
    assert all(q.option_order == ("A", "B", "C", "D") for q in shuffled if q.section == "判断")


def test_prepared_rules_draw_the_same_papers():
    prepared = prepare(POOL, RULES)
    assert draw_paper(prepared, seed="k") == draw_paper(POOL, RULES, seed="k")


def test_unfillable_rule_set_refuses_to_draw():
    with pytest.raises(ValueError):
        draw_paper(POOL, [SectionRule("太多", "multiple", 13, TWO)], seed="s")
