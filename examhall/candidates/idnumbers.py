"""ID numbers: normalisation and validation, pure functions.

Mainland resident identity card numbers follow GB 11643-1999: a six-digit
region code, the birth date ``YYYYMMDD``, a three-digit sequence and a check
digit (ISO 7064 MOD 11-2, ``0``-``9`` or ``X``). Residence permits for Hong Kong,
Macao and Taiwan residents (issued since 2018) use the same layout with the
region codes 810000, 820000 and 830000.

``python-stdnum`` computes the check digit and knows the region codes, but it
refuses numbers that are real: residence permits, and codes missing from its
list. Here a region code that is not in the list is only a warning, and a code
that has since been abolished or renamed is accepted as it is, because numbers
are not reissued when a county changes. Only what is certainly wrong is
refused: the length, the characters, the check digit and the birth date.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field

from django.utils import timezone
from django.utils.translation import gettext as _
from stdnum import numdb
from stdnum.cn import ric

from examhall.core import clock

RESIDENT_ID = "resident_id"
HMT_PERMIT = "hmt_permit"
PASSPORT = "passport"
ID_TYPES = (RESIDENT_ID, HMT_PERMIT, PASSPORT)

HMT_REGIONS = {
    "810000": "Hong Kong",
    "820000": "Macao",
    "830000": "Taiwan",
}
EARLIEST_BIRTH_YEAR = 1900

_WHITESPACE = re.compile(r"\s+")
_PASSPORT = re.compile(r"[A-Z0-9]+")
# Full-width ASCII (U+FF01..U+FF5E) to its half-width form (U+0021..U+007E).
_HALF_WIDTH = {code: code - 0xFEE0 for code in range(0xFF01, 0xFF5F)}


@dataclass(frozen=True)
class IdNumberCheck:
    ok: bool
    normalised: str
    id_type: str
    code: str
    message: str
    warnings: list[str] = field(default_factory=list)
    birth_date: dt.date | None = None


def normalise(raw: str) -> str:
    """Strip every whitespace, make full-width characters half-width, uppercase.

    ``" １１０１０５ 19491231002x "`` → ``"11010519491231002X"``. Logins and
    imports both go through here, so stored look-up hashes and typed numbers agree.
    """
    return _WHITESPACE.sub("", (raw or "").translate(_HALF_WIDTH)).upper()


def validate(
    raw: str, id_type: str = RESIDENT_ID, *, today: dt.date | None = None
) -> IdNumberCheck:
    """Check an ID number of the given type; ``today`` defaults to the server's date."""
    number = normalise(raw)
    if not number:
        return _refuse(number, id_type, "empty", _("The ID number is empty."))
    if id_type == PASSPORT:
        return _validate_passport(number)
    if id_type not in (RESIDENT_ID, HMT_PERMIT):
        return _refuse(
            number, id_type, "unknown_id_type", _("The ID type is not one that ExamHall knows.")
        )
    return _validate_resident(number, id_type, today or timezone.localdate(clock.now()))


def check_digit(first_17: str) -> str:
    """The GB 11643 check digit for the first 17 digits (used by tests and demo data)."""
    return ric.calc_check_digit(first_17 + "0")


def _refuse(number: str, id_type: str, code: str, message: str) -> IdNumberCheck:
    return IdNumberCheck(ok=False, normalised=number, id_type=id_type, code=code, message=message)


def _validate_passport(number: str) -> IdNumberCheck:
    if not _PASSPORT.fullmatch(number):
        return _refuse(
            number, PASSPORT, "bad_characters",
            _("A passport number may contain only letters and digits."),
        )
    if not 5 <= len(number) <= 20:
        return _refuse(
            number, PASSPORT, "bad_length",
            _("A passport number has 5 to 20 letters and digits; this one has %(count)d.")
            % {"count": len(number)},
        )
    return IdNumberCheck(
        ok=True, normalised=number, id_type=PASSPORT, code="ok",
        message=_("The passport number is well formed."),
    )


def _validate_resident(number: str, id_type: str, today: dt.date) -> IdNumberCheck:
    refusal = _shape_problem(number, id_type)
    if refusal is not None:
        return refusal
    birth_date, refusal = _birth_date(number, id_type, today)
    if refusal is not None:
        return refusal
    if number[-1] != check_digit(number[:17]):
        return _refuse(
            number, id_type, "bad_checksum",
            _("The last character (check digit) does not match: the number has a typing "
              "error. Compare every digit with the ID card."),
        )
    corrected_type, warnings = _region_notes(number, id_type)
    return IdNumberCheck(
        ok=True, normalised=number, id_type=corrected_type, code="ok",
        message=_("The ID number is valid."), warnings=warnings, birth_date=birth_date,
    )


def _shape_problem(number: str, id_type: str) -> IdNumberCheck | None:
    if len(number) == 15 and number.isdigit():
        return _refuse(
            number, id_type, "old_format",
            _("This is an old 15-digit ID number. An 18-digit number is required: enter "
              "the number printed on the current ID card."),
        )
    if len(number) != 18:
        return _refuse(
            number, id_type, "bad_length",
            _("The ID number has %(count)d characters; it must have 18 (17 digits, then a "
              "digit or X).") % {"count": len(number)},
        )
    if not (number[:17].isascii() and number[:17].isdigit()) or number[-1] not in "0123456789X":
        return _refuse(
            number, id_type, "bad_characters",
            _("The ID number may contain only digits, and an X as the last character."),
        )
    return None


def _birth_date(
    number: str, id_type: str, today: dt.date
) -> tuple[dt.date | None, IdNumberCheck | None]:
    digits = number[6:14]
    try:
        born = dt.date(int(digits[:4]), int(digits[4:6]), int(digits[6:]))
    except ValueError:
        return None, _refuse(
            number, id_type, "impossible_birth_date",
            _("The birth date in the number (characters 7 to 14: %(digits)s) is not a real "
              "date: the number has a typing error.") % {"digits": digits},
        )
    if born.year < EARLIEST_BIRTH_YEAR:
        return None, _refuse(
            number, id_type, "impossible_birth_date",
            _("The birth date in the number (%(date)s) is before 1900: the number has a "
              "typing error.") % {"date": born.isoformat()},
        )
    if born > today:
        return None, _refuse(
            number, id_type, "future_birth_date",
            _("The birth date in the number (%(date)s) is in the future: the number has a "
              "typing error.") % {"date": born.isoformat()},
        )
    return born, None


def _region_notes(number: str, id_type: str) -> tuple[str, list[str]]:
    region = number[:6]
    if region in HMT_REGIONS:
        warnings = []
        if id_type != HMT_PERMIT:
            warnings.append(
                _("The number starts with %(region)s: it is a residence permit for Hong Kong, "
                  "Macao and Taiwan residents, and is recorded as one.") % {"region": region}
            )
        return HMT_PERMIT, warnings
    warnings = []
    if id_type == HMT_PERMIT:
        warnings.append(
            _("A residence permit number starts with 810000, 820000 or 830000; this one "
              "starts with %(region)s and is recorded as a resident identity card.")
            % {"region": region}
        )
    if not _is_known_region(region):
        warnings.append(
            _("Region code %(region)s is not in the list of known codes; check it with the "
              "candidate.") % {"region": region}
        )
    return RESIDENT_ID, warnings


def _is_known_region(region: str) -> bool:
    parts = numdb.get("cn/loc").info(region)
    return any("county" in props for _part, props in parts)
