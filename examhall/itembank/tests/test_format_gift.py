"""GIFT reader and writer: every kind round-trips, Chinese content survives,
broken and unsupported questions are reported by name and line while the rest
imports."""

from __future__ import annotations

import dataclasses
from decimal import Decimal
from pathlib import Path

import pytest
from django.utils import translation

from examhall.devtools.demo_questions import DEMO_QUESTIONS
from examhall.itembank.formats.gift import parse_gift, write_gift
from examhall.itembank.formats.interchange import (
    MAX_FILE_BYTES,
    Blank,
    FormatError,
    Item,
    Option,
)

FIXTURES = Path(__file__).resolve().parents[3] / "tests" / "fixtures" / "itembank"


@pytest.fixture(autouse=True)
def _english():
    with translation.override("en"):
        yield


def tf_options(is_true: bool) -> list[Option]:
    return [Option("T", "正确", is_true), Option("F", "错误", not is_true)]


def without_location(item: Item) -> Item:
    return dataclasses.replace(item, location="",
                               sub_items=[without_location(sub) for sub in item.sub_items])


def round_trip(items: list[Item]) -> list[Item]:
    text, problems = write_gift(items)
    result = parse_gift(text)
    assert problems == []
    assert result.problems == []
    return [without_location(item) for item in result.items]


def fixture_items():
    return parse_gift((FIXTURES / "carbon_demo.gift").read_bytes())


ROUND_TRIP_ITEMS = {
    "single": Item(kind="single", stem="CO2的化学名称是：", title="q1", identifier="q1",
                   options=[Option("A", "二氧化碳", True), Option("B", "一氧化碳"),
                            Option("C", "甲烷", weight=Decimal("0.5"))],
                   explanation="CO2 = 二氧化碳"),
    "multiple": Item(kind="multiple", stem="下列属于温室气体的有：", title="q2", identifier="q2",
                     options=[Option("A", "CO2", True, Decimal("0.5")),
                              Option("B", "CH4", True, Decimal("0.5")),
                              Option("C", "O2", False, Decimal("-0.25")),
                              Option("D", "N2", False, Decimal("0"))]),
    "true_false": Item(kind="true_false", stem="碳市场采用基准法。", options=tf_options(True),
                       title="q3", identifier="q3"),
    "false": Item(kind="true_false", stem="配额全部拍卖。", options=tf_options(False)),
    "fill_blank": Item(kind="fill_blank", stem="中国的首都是{{1}}。",
                       blanks=[Blank("1", ["北京", "Beijing"])], explanation="首都：北京"),
    "fill_blank_at_end": Item(kind="fill_blank", stem="What is 2+2? {{1}}",
                              blanks=[Blank("1", ["4", "four"])]),
    "numeric": Item(kind="fill_blank", stem="π 约等于{{1}}（保留两位）",
                    blanks=[Blank("1", ["3.14"], numeric=True, tolerance=Decimal("0.01"))]),
    "numeric_exact": Item(kind="fill_blank", stem="1+1={{1}}",
                          blanks=[Blank("1", ["2", "2.0"], numeric=True)]),
    "essay": Item(kind="essay", stem="简述配额清缴流程。", explanation="核查、清缴、履约"),
    "case": Item(kind="case", stem="将气体与化学式配对。", title="match", identifier="match",
                 sub_items=[
                     Item(kind="single", stem="二氧化碳",
                          options=[Option("A", "CO2", True), Option("B", "CH4")]),
                     Item(kind="single", stem="甲烷",
                          options=[Option("A", "CO2"), Option("B", "CH4", True)]),
                 ]),
    "html": Item(kind="single", stem='<p>读图 <img src="data:image/png;base64,AAAA" alt="图">'
                 "<b>a &lt; b</b></p>",
                 options=[Option("A", "<sub>2</sub>", True), Option("B", "x &amp; y")]),
    "escapes": Item(kind="single", stem=r"Escapes ~ = # { } : \ and a" + "\nsecond line",
                    title="a:b", identifier="a:b",
                    options=[Option("A", "1=1", True), Option("B", "~#{}")]),
}


@pytest.mark.parametrize("name", ROUND_TRIP_ITEMS)
def test_every_kind_round_trips(name):
    item = ROUND_TRIP_ITEMS[name]

    [back] = round_trip([item])

    assert back == item


def test_a_multiple_choice_without_weights_comes_back_with_equal_shares():
    item = Item(kind="multiple", stem="选出正确项", options=[
        Option("A", "甲", True), Option("B", "乙", True), Option("C", "丙", True),
        Option("D", "丁")])

    [back] = round_trip([item])

    assert back.correct_keys == ["A", "B", "C"]
    assert [option.weight for option in back.options] == [Decimal("0.3333333")] * 3 + [0]


def demo_items() -> list[Item]:
    items = []
    for questions in DEMO_QUESTIONS.values():
        for question in questions:
            if question["kind"] == "case":
                continue  # GIFT has no cases; the choice questions are the test
            items.append(Item(
                kind=question["kind"], stem=question["stem"], title=question["key"],
                identifier=question["key"], explanation=question.get("explanation", ""),
                options=[Option(option["key"], option["text"], option["key"] in question["answer"])
                         for option in question["options"]]))
    return items


def test_the_chinese_demo_bank_survives_a_round_trip():
    items = demo_items()

    back = round_trip(items)

    assert len(back) == len(items) > 50
    for original, copy in zip(items, back, strict=True):
        assert (copy.kind, copy.title, copy.stem, copy.explanation) == (
            original.kind, original.title, original.stem, original.explanation)
        assert [(o.key, o.text, o.correct) for o in copy.options] == [
            (o.key, o.text, o.correct) for o in original.options]


def test_the_sample_file_imports_every_supported_kind_with_its_content():
    result = fixture_items()

    by_title = {item.title: item for item in result.items}
    assert [item.kind for item in result.items] == [
        "single", "multiple", "true_false", "fill_blank", "fill_blank", "fill_blank", "essay",
        "case", "true_false"]
    assert by_title["cemt-001"].correct_keys == ["A"]
    assert by_title["cemt-001"].explanation.startswith("排放量=活动数据")
    assert by_title["cemt-001"].stem.endswith("其化石燃料燃烧CO2排放量为:")
    assert by_title["cemt-004"].stem == "CH4在IPCC AR5中的100年全球变暖潜势（GWP）为{{1}}。"
    assert by_title["cemt-004"].blanks == [Blank("1", ["28", "二十八"])]
    assert by_title["cemt-005"].blanks == [
        Blank("1", ["280"], numeric=True, tolerance=Decimal("0.5"))]
    assert by_title["cemt-006"].blanks == [
        Blank("1", ["0.99"], numeric=True, tolerance=Decimal("0.01"))]
    assert by_title["cemt-007"].explanation == "要点：核查、确认、清缴、履约。"
    matching = by_title["cemt-008"]
    assert [sub.stem for sub in matching.sub_items] == ["二氧化碳", "甲烷", "氧化亚氮"]
    assert [sub.correct_keys for sub in matching.sub_items] == [["A"], ["B"], ["C"]]
    assert [o.text for o in matching.sub_items[2].options] == ["CO2", "CH4", "N2O"]


def test_weights_become_option_weights_and_positive_ones_are_correct():
    result = fixture_items()

    multiple = next(item for item in result.items if item.title == "cemt-002")

    assert [option.weight for option in multiple.options] == [
        Decimal("0.3333333"), Decimal("0.3333333"), Decimal("0.3333334"), Decimal("-0.5")]
    assert multiple.correct_keys == ["A", "B", "C"]


def test_a_partial_weight_on_a_wrong_single_choice_option_is_kept():
    result = parse_gift("Q {=right ~%50%half ~wrong}")

    [item] = result.items

    assert item.kind == "single"
    assert [(o.correct, o.weight) for o in item.options] == [
        (True, None), (False, Decimal("0.5")), (False, None)]


def test_categories_become_the_last_segment_and_the_full_path_as_tags():
    result = fixture_items()

    assert {tuple(item.tags) for item in result.items} == {("核算方法", "碳排放管理/核算方法")}


def test_a_category_applies_to_the_questions_after_it_only():
    text = "Before {T}\n\n$CATEGORY: 法规\n\nAfter {F}\n\n$CATEGORY: $system$/top/a/b\nLast {T}\n"

    result = parse_gift(text)

    assert [item.tags for item in result.items] == [[], ["法规"], ["b", "a/b"]]


def test_an_unclosed_brace_is_an_error_with_its_line_and_the_rest_imports():
    result = fixture_items()

    [error] = [problem for problem in result.problems if problem.status == "error"]
    assert (error.name, error.code) == ("cemt-009", "gift_syntax")
    assert error.location == "question 9, line 40"
    assert "cemt-011" in {item.title for item in result.items}


def test_a_question_without_answers_is_skipped_by_name_as_unsupported():
    result = fixture_items()

    [skipped] = [problem for problem in result.problems if problem.status == "skipped"]
    assert (skipped.name, skipped.code, skipped.location) == (
        "cemt-010", "unsupported_type", "question 10, line 42")


def test_locations_name_the_question_and_its_first_line():
    result = fixture_items()

    assert [item.location for item in result.items][:2] == [
        "question 1, line 6", "question 2, line 16"]
    assert result.items[7].sub_items[0].location == "question 8, line 33"


def test_html_questions_are_sanitised():
    result = fixture_items()

    item = next(item for item in result.items if item.title == "cemt-011")

    assert item.stem == "<p>碳足迹核算遵循 <b>ISO 14067</b>。</p>"


def test_plain_text_is_escaped_so_it_cannot_inject_markup():
    [item] = parse_gift("<script>alert(1)</script> & more {T}").items

    assert item.stem == "&lt;script>alert(1)&lt;/script> &amp; more"


def test_escapes_and_comments_are_read_and_urls_are_not_comments():
    text = ("// a comment line\n"
            "::t\\:1::See http://example.org \\{x\\} a\\=b c\\~d e\\#f\\nnext {=ok ~no}\n")

    [item] = parse_gift(text).items

    assert item.title == "t:1"
    assert item.stem == "See http://example.org {x} a=b c~d e#f\nnext"


def test_gb18030_and_utf8_with_bom_are_decoded():
    gb = parse_gift((FIXTURES / "carbon_gb18030.gift").read_bytes())
    bom = parse_gift("\ufeff::b::范围二 {T}".encode())

    assert gb.items[0].stem == "温室气体核算的“范围二”指的是外购电力、热力产生的间接排放。"
    assert (bom.items[0].title, bom.items[0].stem) == ("b", "范围二")


def test_a_bad_number_is_an_error_naming_the_question():
    result = parse_gift("::n1::Value? {#abc}\n\n::n2::Ok {#1}")

    assert [item.title for item in result.items] == ["n2"]
    [problem] = result.problems
    assert (problem.name, problem.code, problem.status) == ("n1", "invalid_number", "error")


def test_a_multiple_choice_without_a_correct_answer_is_an_error():
    result = parse_gift("::z::Pick {~a ~b}")

    assert result.items == []
    assert [(p.name, p.code) for p in result.problems] == [("z", "no_correct_option")]


def test_an_oversized_file_is_refused_as_a_whole():
    with pytest.raises(FormatError) as refused:
        parse_gift(b" " * (MAX_FILE_BYTES + 1))

    assert refused.value.code == "file_too_large"


def test_the_writer_skips_what_gift_cannot_hold_and_writes_the_rest():
    two_blanks = Item(kind="fill_blank", stem="{{a}} 和 {{b}}", title="two",
                      blanks=[Blank("a", ["x"]), Blank("b", ["y"])])
    with_distractor = Item(kind="case", stem="配对", title="distractor", sub_items=[
        Item(kind="single", stem="甲", options=[Option("A", "1", True), Option("B", "2")])])
    essay = Item(kind="essay", stem="论述")

    text, problems = write_gift([two_blanks, with_distractor, essay])

    assert [(p.name, p.status, p.code) for p in problems] == [
        ("two", "skipped", "not_expressible"), ("distractor", "skipped", "not_expressible")]
    assert [item.stem for item in parse_gift(text).items] == ["论述"]


def test_the_writer_puts_a_category_line_first():
    text, _problems = write_gift([ROUND_TRIP_ITEMS["essay"]], category="碳排放/核算")

    [item] = parse_gift(text).items

    assert item.tags == ["核算", "碳排放/核算"]
