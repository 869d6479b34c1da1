"""Moodle XML reader and writer, and the HTML sanitiser they use: every kind
round-trips, unsupported types are skipped by name, hostile files are refused."""

from __future__ import annotations

import dataclasses
from decimal import Decimal
from pathlib import Path

import pytest
from django.utils import translation

from examhall.devtools.demo_questions import DEMO_QUESTIONS
from examhall.itembank.formats.html_text import clean_html
from examhall.itembank.formats.interchange import MAX_FILE_BYTES, Blank, FormatError, Item, Option
from examhall.itembank.formats.moodle_xml import parse_moodle_xml, write_moodle_xml

FIXTURES = Path(__file__).resolve().parents[3] / "tests" / "fixtures" / "itembank"
PNG = ("iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5Er"
       "kJggg==")


@pytest.fixture(autouse=True)
def _english():
    with translation.override("en"):
        yield


def without_location(item: Item) -> Item:
    return dataclasses.replace(item, location="",
                               sub_items=[without_location(sub) for sub in item.sub_items])


def round_trip(items: list[Item], category: str | None = None) -> list[Item]:
    data, problems = write_moodle_xml(items, category)
    result = parse_moodle_xml(data)
    assert problems == []
    assert result.problems == []
    return [without_location(item) for item in result.items]


def fixture_result():
    return parse_moodle_xml((FIXTURES / "carbon_demo_moodle.xml").read_bytes())


def quiz(body: str) -> bytes:
    return f'<?xml version="1.0" encoding="UTF-8"?>\n<quiz>\n{body}\n</quiz>\n'.encode()


def tf_options(is_true: bool) -> list[Option]:
    return [Option("T", "正确", is_true), Option("F", "错误", not is_true)]


def item(kind, stem, **fields) -> Item:
    fields.setdefault("title", f"{kind} 题")
    return Item(kind=kind, stem=stem, **fields)


ROUND_TRIP_ITEMS = {
    "single": item("single", "CO2的化学名称是：", identifier="cemt-001", score=Decimal(2),
                   tags=["排放计算"], explanation="<p>CO2 = 二氧化碳</p>",
                   options=[Option("A", "二氧化碳", True), Option("B", "一氧化碳"),
                            Option("C", "甲烷", weight=Decimal("0.5"))]),
    "multiple": item("multiple", "下列属于温室气体的有：", score=Decimal("1.5"),
                     options=[Option("A", "CO2", True, Decimal("0.5")),
                              Option("B", "CH4", True, Decimal("0.5")),
                              Option("C", "O2", False, Decimal("-0.25"))]),
    "true_false": item("true_false", "碳市场采用基准法。", options=tf_options(True)),
    "false": item("true_false", "配额全部拍卖。", options=tf_options(False), score=Decimal(1)),
    "fill_blank": item("fill_blank", "中国的首都是{{1}}。", explanation="首都：北京",
                       blanks=[Blank("1", ["北京", "Beijing"])]),
    "case_sensitive": item("fill_blank", "化学式：{{1}}",
                           blanks=[Blank("1", ["CO2"], case_sensitive=True)]),
    "numeric": item("fill_blank", "π 约等于{{1}}",
                    blanks=[Blank("1", ["3.14", "3.15"], numeric=True,
                                  tolerance=Decimal("0.01"))]),
    "essay": item("essay", "<p>简述配额清缴流程。</p>", explanation="核查、清缴、履约",
                  score=Decimal(10)),
    "case": item("case", "将气体与化学式配对。", sub_items=[
        Item(kind="single", stem="二氧化碳",
             options=[Option("A", "CO2", True), Option("B", "CH4"), Option("C", "SF6")]),
        Item(kind="single", stem="甲烷",
             options=[Option("A", "CO2"), Option("B", "CH4", True), Option("C", "SF6")]),
    ]),
    "image": item("single", f'<p>读图 <img src="data:image/png;base64,{PNG}" alt="图"></p>',
                  options=[Option("A", "H<sub>2</sub>O", True), Option("B", "x &amp; y")]),
}


@pytest.mark.parametrize("name", ROUND_TRIP_ITEMS)
def test_every_kind_round_trips(name):
    original = ROUND_TRIP_ITEMS[name]

    [back] = round_trip([original])

    assert back == original


def test_a_category_is_written_and_read_back_as_tags_before_the_items_own():
    original = ROUND_TRIP_ITEMS["single"]

    [back] = round_trip([original], category="碳排放/核算")

    assert back.tags == ["核算", "碳排放/核算", "排放计算"]


def test_the_chinese_demo_bank_survives_a_round_trip():
    items = [
        Item(kind=question["kind"], stem=question["stem"], title=question["key"],
             identifier=question["key"], explanation=question.get("explanation", ""),
             score=Decimal(question["score"]),
             options=[Option(option["key"], option["text"], option["key"] in question["answer"])
                      for option in question["options"]])
        for questions in DEMO_QUESTIONS.values() for question in questions
        if question["kind"] != "case"  # Moodle XML has no cases
    ]

    back = round_trip(items)

    assert len(back) == len(items) > 50
    for original, copy in zip(items, back, strict=True):
        if original.kind == "multiple":  # weights come back as equal shares
            share = (Decimal(100) / len(original.correct_keys)).quantize(Decimal("0.00001"))
            assert [o.weight for o in copy.options] == [
                share / 100 if o.correct else 0 for o in original.options]
            copy = dataclasses.replace(copy, options=[
                dataclasses.replace(o, weight=None) for o in copy.options])
        assert copy == original


def test_the_sample_file_imports_every_supported_kind():
    result = fixture_result()

    assert [(i.kind, i.title) for i in result.items] == [
        ("single", "锅炉排放量计算"), ("multiple", "京都议定书气体"), ("true_false", "基准法"),
        ("fill_blank", "CH4 GWP"), ("fill_blank", "CH4 折算"), ("essay", "配额清缴"),
        ("case", "化学式配对")]
    single, _multiple, _tf, short, numeric, essay, matching = result.items
    assert (single.identifier, single.score, single.correct_keys) == ("cemt-001", 2, ["A"])
    assert short.stem == "CH4在IPCC AR5中的100年GWP为{{1}}。"
    assert short.blanks == [Blank("1", ["28", "二十八"])]  # the 50 % answer is not accepted
    assert numeric.stem.endswith("tCO2e？ {{1}}")
    assert numeric.blanks == [Blank("1", ["280"], numeric=True, tolerance=Decimal("0.5"))]
    assert essay.explanation == "要点：核查、确认、清缴、履约。"
    assert [sub.stem for sub in matching.sub_items] == ["二氧化碳", "甲烷"]
    assert [o.text for o in matching.sub_items[0].options] == ["CO2", "CH4", "SF6"]
    assert [sub.correct_keys for sub in matching.sub_items] == [["A"], ["B"]]


def test_each_unsupported_type_is_skipped_by_name_and_the_rest_imports():
    result = fixture_result()

    skipped = [(p.name, p.code, p.message) for p in result.problems if p.status == "skipped"]
    assert [(name, code) for name, code, _message in skipped] == [
        ("完形填空", "unsupported_type"), ("计算题", "unsupported_type"),
        ("拖放题", "unsupported_type"), ("下拉选择", "unsupported_type")]
    for (_name, _code, message), moodle_type in zip(
            skipped, ["multianswer", "calculated", "ddwtos", "gapselect"], strict=True):
        assert f"'{moodle_type}'" in message
    assert len(result.items) == 7


def test_a_broken_question_is_an_error_with_its_number_and_line():
    result = fixture_result()

    [error] = [p for p in result.problems if p.status == "error"]

    assert (error.name, error.code, error.location) == (
        "无正确答案", "no_correct_option", "question 12, line 84")
    assert result.items[0].location == "question 1, line 9"


def test_fractions_become_option_weights():
    multiple = fixture_result().items[1]

    assert [o.weight for o in multiple.options] == [
        Decimal("0.5"), Decimal("0.5"), Decimal("-0.25")]
    assert multiple.correct_keys == ["A", "B"]


def test_categories_and_own_tags_become_tags():
    result = fixture_result()

    assert result.items[0].tags == ["核算方法", "碳排放管理/核算方法", "排放计算"]
    assert result.items[1].tags == ["核算方法", "碳排放管理/核算方法"]


def test_html_is_sanitised_and_embedded_images_become_data_uris():
    single, multiple = fixture_result().items[:2]

    assert "script" not in multiple.stem and "onclick" not in multiple.stem
    assert "javascript" not in multiple.stem
    assert multiple.stem == "<p>下列属于《京都议定书》管控的温室气体的有：详情</p>"
    assert f'<img src="data:image/png;base64,{PNG}" alt="图">' in single.stem
    assert "onerror" not in single.stem


def test_plain_text_is_escaped_so_it_cannot_inject_markup():
    data = quiz('<question type="essay"><name><text>e</text></name>'
                '<questiontext format="plain_text"><text>&lt;script&gt;x&lt;/script&gt; &amp;'
                "</text></questiontext></question>")

    [essay] = parse_moodle_xml(data).items

    assert essay.stem == "&lt;script>x&lt;/script> &amp;"


def test_malformed_xml_is_refused_with_line_and_column():
    with pytest.raises(FormatError) as refused:
        parse_moodle_xml(b"<quiz>\n  <question type='essay'>\n</quiz>")

    assert refused.value.code == "xml_malformed"
    assert "line 3, column 3" in refused.value.message


XXE = b"""<?xml version="1.0"?>
<!DOCTYPE quiz [<!ENTITY e SYSTEM "file:///etc/passwd">]>
<quiz><question type="essay"><questiontext><text>&e;</text></questiontext></question></quiz>"""

BILLION_LAUGHS = b"""<?xml version="1.0"?>
<!DOCTYPE lolz [
 <!ENTITY lol "lol">
 <!ENTITY lol1 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
 <!ENTITY lol2 "&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;">
 <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
]>
<quiz>&lol3;</quiz>"""

EXTERNAL_DTD = b"""<?xml version="1.0"?>
<!DOCTYPE quiz SYSTEM "http://example.org/evil.dtd"><quiz/>"""


@pytest.mark.parametrize("document", [XXE, BILLION_LAUGHS, EXTERNAL_DTD],
                         ids=["xxe", "billion_laughs", "external_dtd"])
def test_entity_and_dtd_attacks_are_refused(document):
    with pytest.raises(FormatError) as refused:
        parse_moodle_xml(document)

    assert refused.value.code == "xml_forbidden"


def test_a_root_other_than_quiz_is_refused():
    with pytest.raises(FormatError) as refused:
        parse_moodle_xml(b"<assessmentItem><itemBody/></assessmentItem>")

    assert refused.value.code == "not_moodle_xml"
    assert "<assessmentItem>" in refused.value.message


def test_an_oversized_file_is_refused_before_parsing():
    data = quiz("") + b" " * MAX_FILE_BYTES

    with pytest.raises(FormatError) as refused:
        parse_moodle_xml(data)

    assert refused.value.code == "file_too_large"


def test_the_writer_skips_what_moodle_xml_cannot_hold_and_writes_the_rest():
    two_blanks = Item(kind="fill_blank", stem="{{a}} 和 {{b}}", title="two",
                      blanks=[Blank("a", ["x"]), Blank("b", ["y"])])
    mixed_case = Item(kind="case", stem="案例", title="mixed", sub_items=[
        Item(kind="essay", stem="分析")])
    essay = ROUND_TRIP_ITEMS["essay"]

    data, problems = write_moodle_xml([two_blanks, mixed_case, essay])

    assert [(p.name, p.status, p.code) for p in problems] == [
        ("two", "skipped", "not_expressible"), ("mixed", "skipped", "not_expressible")]
    assert [i.title for i in parse_moodle_xml(data).items] == [essay.title]


def test_an_untitled_item_is_named_after_its_stem():
    untitled = Item(kind="essay", stem="<p>简述碳排放权交易的基本原理。</p>")

    [back] = round_trip([untitled])

    assert back.title == "简述碳排放权交易的基本原理。"


# --- the sanitiser every format shares


def test_the_sanitiser_drops_scripts_styles_and_event_handlers():
    dirty = ('<p onclick="steal()" style="color:red">文本<script>alert(1)</script>'
             "<style>p{}</style><iframe src='x'>框</iframe></p>")

    assert clean_html(dirty) == "<p>文本</p>"


def test_the_sanitiser_drops_javascript_urls_and_keeps_safe_images():
    dirty = ('<img src="javascript:alert(1)" alt="a"><img src=" java\nscript:x" alt="b">'
             '<img src="data:image/svg+xml;base64,AAAA" alt="c">'
             '<img src="https://example.org/a.png" alt="d" width="20" onload="x()">')

    assert clean_html(dirty) == ('<img alt="a"><img alt="b"><img alt="c">'
                                 '<img src="https://example.org/a.png" alt="d" width="20">')


def test_the_sanitiser_keeps_simple_formatting_and_tables_and_is_stable():
    text = ('<p>H<sub>2</sub>O <b>粗</b> <strong>强</strong> <i>斜</i> <em>重</em> <u>下</u>'
            'x<sup>2</sup><br></p><table><tr><th>项</th><td colspan="2">值 &lt; 5 &amp; 6</td>'
            "</tr></table>")

    cleaned = clean_html(text)

    assert cleaned == text
    assert clean_html(cleaned) == cleaned


def test_the_sanitiser_unwraps_unknown_tags_and_closes_open_ones():
    assert clean_html('<div><span class="x">a</span><a href="/x">b</a><b>c') == "ab<b>c</b>"
