"""IMS QTI 2.1/3.0 import and export (examhall.itembank.formats.qti)."""

from __future__ import annotations

import dataclasses
import io
import struct
import zipfile
from decimal import Decimal
from pathlib import Path

import pytest
from django.utils import translation
from qti_convert import downgrade_package, upgrade_package

from examhall.itembank.formats.interchange import (
    MAX_FILE_BYTES,
    Blank,
    FormatError,
    Item,
    Option,
)
from examhall.itembank.formats.qti import parse_qti, safety, write_qti_package

FIXTURES = Path(__file__).resolve().parents[3] / "tests" / "fixtures" / "itembank" / "qti"
QTI21 = "http://www.imsglobal.org/xsd/imsqti_v2p1"
QTI3 = "http://www.imsglobal.org/xsd/imsqtiasi_v3p0"


@pytest.fixture(autouse=True)
def _english():
    """Messages are asserted in English (the default interface language is Chinese)."""
    with translation.override("en"):
        yield


# --- factories ---------------------------------------------------------------------------


def single_item() -> Item:
    return Item(
        kind="single",
        stem="<p>2 + 2 = <b>?</b></p>",
        options=[Option("A", "3"), Option("B", "4", correct=True), Option("C", "<i>5</i>")],
        score=Decimal("2"),
        explanation="<p>Count on your fingers.</p>",
        identifier="Q_single",
        title="Addition",
    )


def multiple_item() -> Item:
    return Item(
        kind="multiple",
        stem="Which are <u>prime</u>?",
        options=[
            Option("A", "2", correct=True, weight=Decimal("0.5")),
            Option("B", "3", correct=True, weight=Decimal("0.5")),
            Option("C", "4", weight=Decimal("-0.5")),
        ],
        score=Decimal("4"),
        identifier="Q_multiple",
        title="Primes",
    )


def true_false_item() -> Item:
    return Item(
        kind="true_false",
        stem="电流的单位是安培。",
        options=[Option("T", "正确", correct=True), Option("F", "错误")],
        score=Decimal("1"),
        identifier="Q_tf",
    )


def fill_blank_item() -> Item:
    return Item(
        kind="fill_blank",
        stem="<p>The capital of France is {{city}}; π ≈ {{pi}}.</p>",
        blanks=[
            Blank("city", ["Paris", "paris"], score=Decimal("1")),
            Blank("pi", ["3.14"], numeric=True, tolerance=Decimal("0.01"), score=Decimal("2")),
        ],
        score=Decimal("3"),
        identifier="Q_fill",
        title="Gaps",
    )


def essay_item() -> Item:
    return Item(
        kind="essay",
        stem='<p>Describe the picture.</p><img src="images/site.png" alt="Site">',
        score=Decimal("10"),
        explanation="Mentions the missing guard rail.",
        identifier="Q_essay",
    )


def case_item() -> Item:
    return Item(
        kind="case",
        stem="<table><tr><td>Voltage</td><td>230 V</td></tr></table>",
        sub_items=[
            Item(
                kind="single",
                stem="Is it mains voltage?",
                options=[Option("A", "Yes", correct=True), Option("B", "No")],
                identifier="S_1",
            ),
            Item(kind="fill_blank", stem="The unit is {{unit}}.", blanks=[Blank("unit", ["V"])]),
            Item(kind="essay", stem="Explain the risk."),
        ],
        score=Decimal("6"),
        identifier="Q_case",
    )


ALL_KINDS = {
    "single": single_item,
    "multiple": multiple_item,
    "true_false": true_false_item,
    "fill_blank": fill_blank_item,
    "essay": essay_item,
    "case": case_item,
}


def without_location(items: list[Item]) -> list[Item]:
    return [dataclasses.replace(item, location="") for item in items]


def zip_of(files: dict[str, bytes | str]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, content in files.items():
            archive.writestr(name, content)
    return buffer.getvalue()


def manifest(*hrefs: str, version: str = "2.1") -> str:
    kind = "imsqti_item_xmlv2p1" if version == "2.1" else "imsqti_item_xmlv3p0"
    resources = "".join(
        f'<resource identifier="R{index}" type="{kind}" href="{href}">'
        f'<file href="{href}"/></resource>'
        for index, href in enumerate(hrefs)
    )
    return (
        '<manifest xmlns="http://www.imsglobal.org/xsd/imscp_v1p1" identifier="M">'
        f"<organizations/><resources>{resources}</resources></manifest>"
    )


def fixture(name: str) -> bytes:
    return (FIXTURES / name).read_bytes()


def refused(data: bytes, filename: str = "upload") -> FormatError:
    with pytest.raises(FormatError) as caught:
        parse_qti(data, filename)
    return caught.value


# --- round trips ---------------------------------------------------------------------------


@pytest.mark.parametrize("version", ["2.1", "3.0"])
@pytest.mark.parametrize("kind", list(ALL_KINDS))
def test_every_kind_re_imports_unchanged(kind, version):
    # given
    item = ALL_KINDS[kind]()

    # when
    result = parse_qti(write_qti_package([item], version=version), "export.zip")

    # then
    assert result.problems == []
    assert without_location(result.items) == [item]


@pytest.mark.parametrize("version", ["2.1", "3.0"])
def test_export_writes_a_manifest_and_one_file_per_item_in_the_version_namespace(version):
    # given
    items = [factory() for factory in ALL_KINDS.values()]

    # when
    data = write_qti_package(items, version=version)

    # then
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        names = sorted(archive.namelist())
        single = archive.read("items/Q_single.xml").decode()
        manifest_xml = archive.read("imsmanifest.xml").decode()
    assert names == sorted(["imsmanifest.xml", *(f"items/{i.identifier}.xml" for i in items)])
    if version == "2.1":
        assert f'xmlns="{QTI21}"' in single and "<choiceInteraction" in single
        assert 'type="imsqti_item_xmlv2p1"' in manifest_xml
        assert "rptemplates/match_correct" in single
    else:
        assert f'xmlns="{QTI3}"' in single and "<qti-choice-interaction" in single
        assert 'type="imsqti_item_xmlv3p0"' in manifest_xml
        assert "v3p0/rptemplates/match_correct.xml" in single


def test_items_without_a_valid_identifier_get_one_and_still_import():
    # given
    items = [
        dataclasses.replace(single_item(), identifier=""),
        dataclasses.replace(single_item(), identifier="7 days"),
    ]

    # when
    result = parse_qti(write_qti_package(items), "export.zip")

    # then
    assert [item.identifier for item in result.items] == ["ITEM_00001", "I_7_days"]
    assert [item.location for item in result.items] == [
        "items/ITEM_00001.xml",
        "items/I_7_days.xml",
    ]


# --- an independent implementation: citolab-qti-convert ----------------------------------


def test_a_2_1_export_upgraded_to_3_0_by_citolab_re_imports_unchanged():
    # given
    items = [factory() for factory in ALL_KINDS.values()]
    exported = write_qti_package(items, version="2.1")

    # when
    upgraded = upgrade_package(exported)
    result = parse_qti(zip_of(upgraded.files), "upgraded.zip")

    # then
    assert 'type="imsqti_item_xmlv3p0"' in upgraded.files["imsmanifest.xml"]
    assert "<qti-assessment-item" in upgraded.files["items/Q_single.xml"]
    assert result.problems == []
    assert without_location(result.items) == items


def test_a_3_0_export_downgraded_to_2_1_by_citolab_re_imports_unchanged():
    # given
    items = [factory() for factory in ALL_KINDS.values()]
    exported = write_qti_package(items, version="3.0")

    # when
    downgraded = downgrade_package(exported)
    result = parse_qti(zip_of(downgraded.files), "downgraded.zip")

    # then
    assert "<assessmentItem" in downgraded.files["items/Q_single.xml"]
    assert result.problems == []
    assert without_location(result.items) == items


# --- single files written by hand ----------------------------------------------------------


def test_a_2_1_multiple_choice_with_map_response_gives_weights_as_shares_of_the_score():
    # when
    result = parse_qti(fixture("choice_multiple_v2p1.xml"), "choice_multiple_v2p1.xml")

    # then
    (item,) = result.items
    assert item.kind == "multiple"
    assert item.identifier == "elec-safety-07"
    assert item.title == "Electrical safety: protective measures"
    assert item.location == "choice_multiple_v2p1.xml"
    assert item.stem == (
        "<p>Which of these protect against electric shock from <em>indirect</em> contact?</p>"
        "<p>Choose all that apply.</p>"
    )
    assert item.correct_keys == ["A", "C"]
    assert [option.weight for option in item.options] == [
        Decimal("0.5"),
        Decimal("-0.5"),
        Decimal("0.5"),
    ]
    assert item.score == Decimal("2")


def test_a_3_0_item_with_text_entries_becomes_fill_blank_with_one_blank_per_gap():
    # when
    result = parse_qti(fixture("text_entry_v3p0.xml"), "text_entry_v3p0.xml")

    # then
    (item,) = result.items
    assert item.kind == "fill_blank"
    assert item.stem == "<p>资产增加记 {{DEBIT}} 方； 增值税基本税率为 {{RATE}}。</p>"
    debit, rate = item.blanks
    assert (debit.key, debit.answers, debit.case_sensitive) == ("DEBIT", ["借", "借方"], False)
    assert debit.score == Decimal("2")
    assert (rate.key, rate.answers, rate.numeric) == ("RATE", ["0.13"], True)
    assert rate.tolerance == Decimal("0.001")
    assert item.score == Decimal("3")


def test_an_inline_choice_becomes_a_gap_accepting_the_correct_choice_text():
    # when
    result = parse_qti(fixture("inline_choice_v2p2.xml"), "inline_choice_v2p2.xml")

    # then
    (item,) = result.items
    assert item.kind == "fill_blank"
    assert (
        item.stem == "<p>TIG welding of aluminium usually uses {{RESPONSE}} as shielding gas.</p>"
    )
    assert item.blanks == [Blank("RESPONSE", ["argon"], case_sensitive=False)]
    assert item.score == Decimal("1")


def test_a_3_0_essay_keeps_its_image_path_and_reads_the_scorer_rubric_as_explanation():
    # when
    result = parse_qti(fixture("essay_v3p0.xml"), "essay_v3p0.xml")

    # then
    (item,) = result.items
    assert item.kind == "essay"
    assert '<img src="images/hands.png" alt="Hands being washed">' in item.stem
    assert item.explanation == "<p>Two points per moment named.</p>"
    assert item.score == Decimal("10")


def test_an_unsupported_interaction_is_skipped_by_name():
    # when
    result = parse_qti(fixture("order_v2p1.xml"), "order_v2p1.xml")

    # then
    assert result.items == []
    (problem,) = result.problems
    assert (problem.status, problem.code) == ("skipped", "unsupported_interaction")
    assert problem.name == "firstaid-order-01"
    assert problem.location == "order_v2p1.xml"
    assert "orderInteraction" in problem.message


def test_custom_response_processing_imports_from_the_correct_response_without_a_problem():
    # given
    xml = f"""<assessmentItem xmlns="{QTI21}" identifier="c1" title="t" adaptive="false"
        timeDependent="false">
      <responseDeclaration identifier="R" cardinality="single" baseType="identifier">
        <correctResponse><value>B</value></correctResponse></responseDeclaration>
      <itemBody><choiceInteraction responseIdentifier="R" maxChoices="1">
        <prompt>Pick B</prompt>
        <simpleChoice identifier="A">a</simpleChoice><simpleChoice identifier="B">b</simpleChoice>
      </choiceInteraction></itemBody>
      <responseProcessing><responseCondition><responseIf><match><variable identifier="R"/>
        <correct identifier="R"/></match><setOutcomeValue identifier="SCORE">
        <baseValue baseType="float">5</baseValue></setOutcomeValue></responseIf>
      </responseCondition></responseProcessing></assessmentItem>"""

    # when
    result = parse_qti(xml.encode(), "custom.xml")

    # then
    assert result.problems == []
    (item,) = result.items
    assert (item.kind, item.stem, item.correct_keys) == ("single", "Pick B", ["B"])
    assert all(option.weight is None for option in item.options)


# --- packages ----------------------------------------------------------------------------


def test_a_package_imports_what_maps_and_skips_the_unsupported_item_by_name():
    # given
    data = zip_of(
        {
            "imsmanifest.xml": manifest(
                "items/choice.xml", "items/order.xml", "items/gaps.xml", "items/essay.xml"
            ),
            "items/choice.xml": fixture("choice_multiple_v2p1.xml"),
            "items/order.xml": fixture("order_v2p1.xml"),
            "items/gaps.xml": fixture("text_entry_v3p0.xml"),
            "items/essay.xml": fixture("essay_v3p0.xml"),
        }
    )

    # when
    result = parse_qti(data, "mixed.zip")

    # then
    assert [(i.identifier, i.location) for i in result.items] == [
        ("elec-safety-07", "items/choice.xml"),
        ("accounting-03", "items/gaps.xml"),
        ("nursing-essay-01", "items/essay.xml"),
    ]
    assert [(p.location, p.status, p.code) for p in result.problems] == [
        ("items/order.xml", "skipped", "unsupported_interaction")
    ]


def test_a_broken_or_missing_item_file_is_an_error_for_that_item_only():
    # given
    data = zip_of(
        {
            "imsmanifest.xml": manifest("items/ok.xml", "items/broken.xml", "items/gone.xml"),
            "items/ok.xml": fixture("inline_choice_v2p2.xml"),
            "items/broken.xml": f'<assessmentItem xmlns="{QTI21}">\n<itemBody>',
        }
    )

    # when
    result = parse_qti(data, "partial.zip")

    # then
    assert [item.identifier for item in result.items] == ["weld-02"]
    broken, gone = result.problems
    assert (broken.location, broken.status, broken.code) == (
        "items/broken.xml",
        "error",
        "xml_malformed",
    )
    assert "line 2" in broken.message
    assert (gone.location, gone.code) == ("items/gone.xml", "missing_file")


def test_a_zip_without_manifest_is_not_qti():
    # when
    error = refused(zip_of({"items/a.xml": fixture("essay_v3p0.xml")}), "loose.zip")

    # then
    assert error.code == "not_qti"
    assert "imsmanifest.xml" in error.message


# --- hostile and wrong input -------------------------------------------------------------


def test_malformed_xml_is_refused_with_file_line_and_column():
    # when
    error = refused(b'<?xml version="1.0"?>\n<assessmentItem>\n  <itemBody>\n</oops>', "q.xml")

    # then
    assert error.code == "xml_malformed"
    assert "q.xml" in error.message
    assert "line 4" in error.message and "column" in error.message


def test_an_external_entity_is_refused():
    # given
    xxe = (
        b'<?xml version="1.0"?><!DOCTYPE a [<!ENTITY x SYSTEM "file:///etc/passwd">]>'
        + f'<assessmentItem xmlns="{QTI21}" identifier="x">&x;</assessmentItem>'.encode()
    )

    # when
    error = refused(xxe, "xxe.xml")

    # then
    assert error.code == "xml_forbidden"


def test_a_billion_laughs_is_refused():
    # given
    laughs = (
        b'<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">'
        b'<!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">'
        b'<!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">]>'
        b"<lolz>&lol3;</lolz>"
    )

    # when
    error = refused(laughs, "lol.xml")

    # then
    assert error.code == "xml_forbidden"


def test_an_entity_inside_a_package_refuses_the_whole_package():
    # given
    data = zip_of(
        {
            "imsmanifest.xml": manifest("items/a.xml"),
            "items/a.xml": b'<!DOCTYPE a [<!ENTITY e "x">]><a>&e;</a>',
        }
    )

    # when
    error = refused(data, "evil.zip")

    # then
    assert error.code == "xml_forbidden"


@pytest.mark.parametrize(
    "xml",
    [
        b"<html><body>hello</body></html>",
        f'<assessmentTest xmlns="{QTI21}" identifier="t" title="t"/>'.encode(),
        b'<assessmentItem xmlns="urn:other" identifier="x"/>',
    ],
)
def test_xml_that_is_not_a_qti_item_is_refused(xml):
    # when
    error = refused(xml, "other.xml")

    # then
    assert error.code == "not_qti"
    assert "other.xml" in error.message


def test_a_broken_zip_is_refused():
    # when
    error = refused(b"PK\x03\x04 this is not really a zip", "broken.zip")

    # then
    assert error.code == "bad_zip"


def test_a_file_over_the_size_limit_is_refused_before_parsing():
    # when
    error = refused(b" " * (MAX_FILE_BYTES + 1), "huge.xml")

    # then
    assert error.code == "file_too_large"
    assert "huge.xml" in error.message


def test_a_highly_compressed_member_is_a_zip_bomb():
    # given: 20 MB of zeros compress about a thousand times
    data = zip_of({"imsmanifest.xml": manifest("a.xml"), "a.xml": b"\0" * (20 * 1024 * 1024)})

    # when
    error = refused(data, "bomb.zip")

    # then
    assert error.code == "zip_bomb"
    assert "a.xml" in error.message


def test_too_many_declared_unpacked_bytes_is_a_zip_bomb(monkeypatch):
    # given
    monkeypatch.setattr(safety, "MAX_UNPACKED_BYTES", 1000)
    data = zip_of({"imsmanifest.xml": manifest("a.xml"), "a.xml": "x" * 2000})

    # when
    error = refused(data, "big.zip")

    # then
    assert error.code == "zip_bomb"


def test_too_many_members_is_a_zip_bomb(monkeypatch):
    # given
    monkeypatch.setattr(safety, "MAX_ARCHIVE_MEMBERS", 5)
    data = zip_of({f"f{index}.txt": "x" for index in range(6)})

    # when
    error = refused(data, "many.zip")

    # then
    assert error.code == "zip_bomb"


def test_a_member_larger_than_declared_is_refused():
    # given: the central directory says the member unpacks to 10 bytes, it holds 5000
    data = bytearray(zip_of({"imsmanifest.xml": "x" * 5000}))
    directory = data.rfind(b"PK\x01\x02")
    struct.pack_into("<I", data, directory + 24, 10)

    # when
    error = refused(bytes(data), "liar.zip")

    # then
    assert error.code == "bad_zip"


@pytest.mark.parametrize("name", ["../escape.xml", "items/../../escape.xml", "/etc/cron.d/x"])
def test_a_member_path_leaving_the_package_is_refused(name):
    # given
    data = zip_of({"imsmanifest.xml": manifest("a.xml"), name: "<a/>"})

    # when
    error = refused(data, "traversal.zip")

    # then
    assert error.code == "unsafe_path"
    assert name in error.message


def test_an_unknown_encoding_is_malformed_xml_not_a_crash():
    # when
    error = refused(b'<?xml version="1.0" encoding="klingon-8"?><a/>', "enc.xml")

    # then
    assert error.code == "xml_malformed"
    assert "enc.xml" in error.message


# --- other shapes of third-party items ---------------------------------------------------


def test_several_choice_interactions_become_a_case_with_one_sub_question_each():
    # given
    xml = f"""<assessmentItem xmlns="{QTI21}" identifier="multi" title="t" adaptive="false"
        timeDependent="false">
      <responseDeclaration identifier="R1" cardinality="single" baseType="identifier">
        <correctResponse><value>A</value></correctResponse></responseDeclaration>
      <responseDeclaration identifier="R2" cardinality="multiple" baseType="identifier">
        <correctResponse><value>B</value><value>C</value></correctResponse></responseDeclaration>
      <itemBody><p>Read the table.</p>
        <choiceInteraction responseIdentifier="R1" maxChoices="1"><prompt>First?</prompt>
          <simpleChoice identifier="A">a</simpleChoice><simpleChoice identifier="B">b</simpleChoice>
        </choiceInteraction>
        <choiceInteraction responseIdentifier="R2" maxChoices="2"><prompt>Second?</prompt>
          <simpleChoice identifier="B">b</simpleChoice><simpleChoice identifier="C">c</simpleChoice>
        </choiceInteraction>
      </itemBody></assessmentItem>"""

    # when
    result = parse_qti(xml.encode(), "multi.xml")

    # then
    (item,) = result.items
    assert (item.kind, item.stem) == ("case", "<p>Read the table.</p>")
    assert [(sub.kind, sub.stem, sub.correct_keys) for sub in item.sub_items] == [
        ("single", "First?", ["A"]),
        ("multiple", "Second?", ["B", "C"]),
    ]


def test_a_two_option_choice_without_the_true_false_class_stays_single():
    # given
    item = dataclasses.replace(true_false_item(), kind="single")

    # when
    result = parse_qti(write_qti_package([item]), "tf.zip")

    # then
    assert [back.kind for back in result.items] == ["single"]


def test_a_choice_without_a_correct_response_is_an_error_naming_the_item():
    # given
    xml = f"""<assessmentItem xmlns="{QTI21}" identifier="nocorrect" title="t">
      <responseDeclaration identifier="RESPONSE" cardinality="single" baseType="identifier"/>
      <itemBody><choiceInteraction responseIdentifier="RESPONSE" maxChoices="1">
        <simpleChoice identifier="A">a</simpleChoice></choiceInteraction></itemBody>
      </assessmentItem>"""

    # when
    result = parse_qti(xml.encode(), "nocorrect.xml")

    # then
    assert result.items == []
    (problem,) = result.problems
    assert (problem.name, problem.status, problem.code) == (
        "nocorrect",
        "error",
        "no_correct_response",
    )
