"""ID number normalisation and validation (GB 11643-1999, residence permits, passports)."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import translation

from examhall.candidates import idnumbers

TODAY = dt.date(2025, 6, 1)


@pytest.fixture(autouse=True)
def _english():
    with translation.override("en"):
        yield


def resident_number(region: str = "110105", born: str = "19900307", sequence: str = "123") -> str:
    """A number with the right check digit for the given parts."""
    first_17 = region + born + sequence
    return first_17 + idnumbers.check_digit(first_17)


def check(raw: str, id_type: str = "resident_id"):
    return idnumbers.validate(raw, id_type, today=TODAY)


# --- normalise


def test_normalise_strips_whitespace_uppercases_and_converts_full_width():
    raw = " １１０１０５ 1949\u30001231\t002x\n"

    assert idnumbers.normalise(raw) == "11010519491231002X"


def test_normalise_of_empty_input_is_empty():
    assert idnumbers.normalise("") == ""
    assert idnumbers.normalise("   ") == ""


# --- valid numbers


def test_classic_example_number_is_valid():
    result = check("11010519491231002X")

    assert result.ok
    assert result.code == "ok"
    assert result.id_type == "resident_id"
    assert result.birth_date == dt.date(1949, 12, 31)
    assert result.warnings == []


@pytest.mark.parametrize(
    ("region", "born", "sequence"),
    [("440305", "20000229", "004"), ("310101", "19851010", "555"), ("510104", "19700101", "009")],
)
def test_numbers_with_a_computed_check_digit_are_valid(region, born, sequence):
    number = resident_number(region, born, sequence)

    result = check(number)

    assert result.ok, result.message
    assert result.normalised == number


def test_lowercase_x_check_digit_is_accepted_and_stored_uppercase():
    result = check("11010519491231002x")

    assert result.ok
    assert result.normalised == "11010519491231002X"


def test_full_width_digits_are_accepted():
    result = check("１１０１０５１９４９１２３１００２Ｘ")

    assert result.ok
    assert result.normalised == "11010519491231002X"


# --- refusals


def test_wrong_check_digit_is_refused_as_a_typing_error():
    number = resident_number()
    wrong = number[:-1] + ("1" if number[-1] != "1" else "2")

    result = check(wrong)

    assert not result.ok
    assert result.code == "bad_checksum"
    assert "check digit" in result.message


def test_swapped_digits_are_caught_by_the_checksum():
    number = resident_number(sequence="128")
    swapped = number[:14] + number[15] + number[14] + number[16:]

    result = check(swapped)

    assert result.code == "bad_checksum"


def test_february_30_is_an_impossible_birth_date():
    result = check(resident_number(born="19900230"))

    assert not result.ok
    assert result.code == "impossible_birth_date"
    assert "19900230" in result.message
    assert result.birth_date is None


def test_birth_date_before_1900_is_refused():
    result = check(resident_number(born="18991231"))

    assert result.code == "impossible_birth_date"


def test_birth_date_in_the_future_is_refused():
    result = check(resident_number(born="20250602"))

    assert not result.ok
    assert result.code == "future_birth_date"


def test_birth_date_today_is_accepted():
    assert check(resident_number(born="20250601")).ok


@pytest.mark.parametrize("raw", ["11010519491231002", "11010519491231002X1", "1234"])
def test_wrong_length_is_refused_with_the_count(raw):
    result = check(raw)

    assert result.code == "bad_length"
    assert str(len(raw)) in result.message


def test_old_15_digit_number_asks_for_the_18_digit_one():
    result = check("110105491231002")

    assert not result.ok
    assert result.code == "old_format"
    assert "18-digit" in result.message


@pytest.mark.parametrize("raw", ["1101051949123100XX", "11010519491231O02X", "11010519491231002Y"])
def test_letters_in_the_wrong_place_are_refused(raw):
    assert check(raw).code == "bad_characters"


def test_empty_number_is_refused():
    assert check("  ").code == "empty"


# --- Hong Kong, Macao and Taiwan residence permits


@pytest.mark.parametrize("region", ["810000", "820000", "830000"])
def test_residence_permit_regions_are_accepted_as_hmt_permit(region):
    result = check(resident_number(region=region, born="19880808"), "hmt_permit")

    assert result.ok, result.message
    assert result.id_type == "hmt_permit"
    assert result.warnings == []


def test_residence_permit_entered_as_resident_id_is_corrected_with_a_warning():
    result = check(resident_number(region="810000"), "resident_id")

    assert result.ok
    assert result.id_type == "hmt_permit"
    assert len(result.warnings) == 1
    assert "810000" in result.warnings[0]


def test_mainland_number_entered_as_permit_is_corrected_to_resident_id():
    result = check(resident_number(region="110105"), "hmt_permit")

    assert result.ok
    assert result.id_type == "resident_id"
    assert result.warnings


def test_residence_permit_with_a_bad_check_digit_is_refused():
    number = resident_number(region="820000")
    wrong = number[:-1] + ("0" if number[-1] != "0" else "1")

    assert check(wrong, "hmt_permit").code == "bad_checksum"


# --- region codes


def test_unknown_region_code_is_a_warning_not_a_refusal():
    result = check(resident_number(region="990000"))

    assert result.ok
    assert result.warnings == [
        "Region code 990000 is not in the list of known codes; check it with the candidate."
    ]


def test_abolished_region_code_is_accepted_without_warning():
    # 110103 (Chongwen district, Beijing) was merged in 2010; its numbers remain valid.
    result = check(resident_number(region="110103", born="20150101"))

    assert result.ok
    assert result.warnings == []


# --- passports


@pytest.mark.parametrize("raw", ["E12345678", "g1234567", "AB123", "A" * 20])
def test_passport_numbers_of_5_to_20_letters_and_digits_are_accepted(raw):
    result = check(raw, "passport")

    assert result.ok
    assert result.id_type == "passport"
    assert result.normalised == raw.upper()
    assert result.birth_date is None


@pytest.mark.parametrize(("raw", "code"), [("AB12", "bad_length"), ("A" * 21, "bad_length"),
                                           ("E1234-5678", "bad_characters")])
def test_malformed_passport_numbers_are_refused(raw, code):
    assert check(raw, "passport").code == code


def test_unknown_id_type_is_refused():
    assert check("11010519491231002X", "driving_licence").code == "unknown_id_type"


def test_default_today_is_the_server_date():
    number = resident_number(born="19900101")

    assert idnumbers.validate(number).ok
