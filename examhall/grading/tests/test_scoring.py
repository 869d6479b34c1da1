"""Scoring rules: every multiple-choice policy and fill-in-the-blank normalisation."""

from decimal import Decimal

import pytest

from examhall.grading.scoring import BlankKey, normalise_text, score_fill_blank, score_objective

TWO = Decimal("2")
FOUR = Decimal("4")


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
def test_all_or_nothing(kind, correct, given, expected):
    awarded, is_correct = score_objective(kind=kind, correct=correct, given=given, points=TWO)
    assert awarded == Decimal(expected)
    assert is_correct is (expected == TWO)


@pytest.mark.parametrize(
    "given,expected",
    [(["A", "B", "C"], "4"), (["A"], "2.00"), (["A", "C"], "2.00"), (["A", "D"], "0"),
     ([], "0"), (["D"], "0")],
)
def test_partial_subset_gives_half_for_a_correct_subset(given, expected):
    awarded, _ = score_objective(kind="multiple", correct=["A", "B", "C"], given=given,
                                 points=FOUR, policy="partial_subset")
    assert awarded == Decimal(expected)


@pytest.mark.parametrize(
    "given,expected",
    [(["A", "B"], "4"), (["A"], "2.00"), (["A", "C"], "0.00"), (["C", "D"], "0.00"),
     (["A", "B", "C"], "2.00")],
)
def test_per_option_counts_each_option(given, expected):
    awarded, _ = score_objective(kind="multiple", correct=["A", "B"], given=given,
                                 points=FOUR, policy="per_option")
    assert awarded == Decimal(expected)


def test_per_option_with_weights_is_clamped():
    weights = {"A": Decimal("0.5"), "B": Decimal("0.5"), "C": Decimal("-1")}
    awarded, _ = score_objective(kind="multiple", correct=["A", "B"], given=["A", "C"],
                                 points=FOUR, policy="per_option", weights=weights)
    assert awarded == Decimal("0.00")
    awarded, _ = score_objective(kind="multiple", correct=["A", "B"], given=["B"],
                                 points=FOUR, policy="per_option", weights=weights)
    assert awarded == Decimal("2.00")


def test_normalisation_full_width_case_and_spaces():
    assert normalise_text("  ＣＯ２　排放 ") == "co2 排放"
    assert normalise_text("CO2", case_sensitive=True) == "CO2"


def test_fill_blank_per_blank_with_alternatives_and_numbers():
    blanks = [
        BlankKey(answers=["二氧化碳", "CO2"]),
        BlankKey(answers=["3.67"], numeric=True, tolerance=Decimal("0.01")),
    ]
    assert score_fill_blank(blanks=blanks, given=["ｃｏ2", "3.666"], points=FOUR) == (
        Decimal("4.00"), True)
    assert score_fill_blank(blanks=blanks, given=["CO2", "4"], points=FOUR) == (
        Decimal("2.00"), False)
    assert score_fill_blank(blanks=blanks, given=[], points=FOUR) == (Decimal("0.00"), False)


def test_fill_blank_case_sensitive_and_own_points():
    blanks = [BlankKey(answers=["ISO"], case_sensitive=True, points=Decimal("1")),
              BlankKey(answers=["14064"], points=Decimal("3"))]
    assert score_fill_blank(blanks=blanks, given=["iso", "14064"], points=FOUR)[0] == Decimal(
        "3.00")
