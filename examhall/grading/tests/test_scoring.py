from decimal import Decimal

import pytest

from examhall.grading.scoring import score_objective

TWO = Decimal("2")


@pytest.mark.parametrize(
    "kind,correct,given,expected",
    [
        ("single", ["B"], ["B"], TWO),
        ("single", ["B"], ["A"], 0),
        ("single", ["B"], [], 0),
        ("single", ["B"], ["B", "C"], 0),
        ("true_false", ["T"], ["T"], TWO),
        ("true_false", ["T"], ["F"], 0),
        ("multiple", ["A", "C"], ["C", "A"], TWO),
        ("multiple", ["A", "C"], ["A"], 0),
        ("multiple", ["A", "C"], ["A", "B", "C"], 0),
        ("multiple", ["A", "C"], ["A", "A", "C"], TWO),
    ],
)
def test_objective_scoring_is_all_or_nothing(kind, correct, given, expected):
    awarded, is_correct = score_objective(kind=kind, correct=correct, given=given, points=TWO)
    assert awarded == Decimal(expected)
    assert is_correct is (expected == TWO)
