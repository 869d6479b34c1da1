"""Item statistics: facility, corrected point-biserial, option counts, flags."""

import pytest

from examhall.grading.item_statistics import BLANK, ItemResponse, item_statistics


def _responses(rows):
    return [ItemResponse(awarded=a, maximum=2, paper_total=t, chosen=c) for a, t, c in rows]


def test_a_good_item_discriminates_positively():
    rows = [(2, 90, ("A",)), (2, 80, ("A",)), (2, 75, ("A",)), (0, 40, ("B",)),
            (0, 35, ("C",)), (2, 70, ("A",)), (0, 30, ()), (0, 45, ("B",)),
            (2, 85, ("A",)), (0, 50, ("D",))]
    stats = item_statistics(_responses(rows))
    assert stats.facility == 0.5
    assert stats.discrimination > 0.8
    assert stats.option_counts == {BLANK: 1, "A": 5, "B": 2, "C": 1, "D": 1}
    assert stats.flags == ()


def test_a_wrong_key_shows_as_negative_discrimination():
    rows = [(0, 90, ("A",)), (0, 85, ("A",)), (0, 80, ("A",)), (2, 40, ("B",)),
            (2, 35, ("B",)), (0, 75, ("A",)), (2, 30, ("B",)), (2, 45, ("B",)),
            (0, 88, ("A",)), (2, 38, ("B",))]
    stats = item_statistics(_responses(rows))
    assert stats.discrimination < 0
    assert "negative_discrimination" in stats.flags


def test_nobody_correct_and_few_responses_are_flagged():
    stats = item_statistics(_responses([(0, 50, ("B",)), (0, 60, ("C",))]))
    assert stats.facility == 0
    assert set(stats.flags) >= {"nobody_correct", "few_responses", "no_discrimination"}


def test_partial_credit_counts_as_a_share():
    stats = item_statistics(_responses([(1, 50, ("A",)), (2, 60, ("A", "C"))]))
    assert stats.facility == pytest.approx(0.75)


def test_no_responses():
    stats = item_statistics([])
    assert stats.responses == 0
    assert stats.facility is None
