"""Item-bank writes: importing items from the interchange formats, and exporting.

The format modules (``formats/``) turn files into neutral ``Item`` objects; here
they become questions of a subject. Every item ends in the report as imported,
skipped (with the reason) or error (with its location) — never dropped silently.

The bank holds single choice, multiple choice and true/false questions for now;
the other kinds the formats read (fill-in-the-blank, essay, case) are reported
as skipped until the bank's question model grows them (issue 3).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import uuid
import zipfile
from dataclasses import asdict, dataclass, field
from decimal import Decimal
from typing import Any, Literal

from django.db import transaction
from django.utils.translation import gettext as _

from examhall.core.errors import ApplicationError
from examhall.exams.models import Subject
from examhall.itembank.formats import gift, moodle_xml, qti, xlsx
from examhall.itembank.formats.interchange import FormatError, Item, Option, ParseResult
from examhall.itembank.models import PaperQuestion, Question

Format = Literal["xlsx", "qti", "moodle_xml", "gift"]
FORMATS: tuple[str, ...] = ("xlsx", "qti", "moodle_xml", "gift")
BANK_KINDS = {"single", "multiple", "true_false"}
DEFAULT_SCORE = Decimal("1")


@dataclass(frozen=True)
class ImportLine:
    location: str
    name: str
    status: Literal["imported", "skipped", "error"]
    code: str = ""
    message: str = ""


@dataclass
class ImportReport:
    format: str
    committed: bool
    lines: list[ImportLine] = field(default_factory=list)

    def count(self, status: str) -> int:
        return sum(1 for line in self.lines if line.status == status)

    @property
    def clean(self) -> bool:
        return all(line.status == "imported" for line in self.lines)

    def as_dict(self) -> dict[str, Any]:
        return {
            "format": self.format,
            "committed": self.committed,
            "imported": self.count("imported"),
            "skipped": self.count("skipped"),
            "errors": self.count("error"),
            "items": [asdict(line) for line in self.lines],
        }


def detect_format(data: bytes, filename: str = "") -> str:
    """xlsx and QTI packages are zips (told apart by their members); XML by its root."""
    if data[:4] == b"PK\x03\x04":
        try:
            names = set(zipfile.ZipFile(io.BytesIO(data)).namelist())
        except zipfile.BadZipFile:
            names = set()
        return "xlsx" if "[Content_Types].xml" in names and any(
            name.startswith("xl/") for name in names) else "qti"
    head = data[:2048].lstrip(b"\xef\xbb\xbf \t\r\n").lower()
    if head.startswith(b"<"):
        return "moodle_xml" if b"<quiz" in head else "qti"
    return "gift"


def parse_items(data: bytes, *, filename: str = "", fmt: str = "auto") -> tuple[str, ParseResult]:
    """Read a file in any supported format; FormatError when refused as a whole."""
    fmt = detect_format(data, filename) if fmt == "auto" else fmt
    if fmt == "xlsx":
        sheet = xlsx.parse_items_xlsx(data)
        return fmt, ParseResult(items=sheet.items, problems=sheet.problems)
    if fmt == "qti":
        return fmt, qti.parse_qti(data, filename)
    if fmt == "moodle_xml":
        return fmt, moodle_xml.parse_moodle_xml(data)
    if fmt == "gift":
        return fmt, gift.parse_gift(data)
    raise ApplicationError("unknown_format", _("Unknown format “%(format)s”.") % {"format": fmt})


def _item_name(item: Item) -> str:
    return item.identifier or item.title or item.stem[:30]


_TRUE_WORDS = {"t", "true", "正确", "对", "是", "√"}


def _true_false_key(item: Item) -> str:
    right = next((o for o in item.options if o.correct), None)
    if right is None:
        return "F"
    return "T" if right.key.lower() in _TRUE_WORDS or right.text.strip().lower() in _TRUE_WORDS \
        else "F"


def _question_fields(item: Item) -> dict[str, Any]:
    kind = item.kind
    options = [{"key": o.key, "text": o.text} for o in item.options]
    if kind == "true_false":
        options = [{"key": "T", "text": "正确"}, {"key": "F", "text": "错误"}]
    return {
        "kind": kind,
        "stem": item.stem,
        "options": options,
        "answer": item.correct_keys if kind != "true_false" else [_true_false_key(item)],
        "score": item.score if item.score and item.score > 0 else DEFAULT_SCORE,
        "explanation": item.explanation,
        "external_key": (item.identifier or _fingerprint(item))[:80],
    }


def _fingerprint(item: Item) -> str:
    """A key for an item that has no identifier of its own, so that importing the
    same file twice finds it again."""
    content = "\x1f".join([item.kind, item.stem, *(f"{o.key}={o.text}" for o in item.options)])
    return "sha256:" + hashlib.sha256(content.encode()).hexdigest()[:32]


def items_import(
    *, subject: Subject, data: bytes, filename: str = "", fmt: str = "auto", commit: bool
) -> ImportReport:
    """Import the items of a file into ``subject``: a dry run unless ``commit``.

    Items whose identifier (or, without one, whose content fingerprint) the subject
    already holds are skipped: re-importing a file changes nothing. The valid items
    are written in one transaction.
    """
    try:
        fmt, parsed = parse_items(data, filename=filename, fmt=fmt)
    except FormatError as error:
        raise ApplicationError(error.code, error.message, status=400) from error
    report = ImportReport(format=fmt, committed=False)
    for problem in parsed.problems:
        report.lines.append(ImportLine(problem.location, problem.name, problem.status,
                                       problem.code, problem.message))
    known = set(Question.objects.filter(subject=subject).exclude(external_key="")
                .values_list("external_key", flat=True))
    to_create = []
    for item in parsed.items:
        name = _item_name(item)
        if item.kind not in BANK_KINDS:
            report.lines.append(ImportLine(
                item.location, name, "skipped", "kind_not_supported_yet",
                _("The item bank cannot hold this question type (%(kind)s) yet.")
                % {"kind": item.kind}))
            continue
        fields = _question_fields(item)
        if fields["external_key"] and fields["external_key"] in known:
            report.lines.append(ImportLine(
                item.location, name, "skipped", "already_in_bank",
                _("A question with this identifier is already in the bank.")))
            continue
        known.add(fields["external_key"])
        question = Question(subject=subject, **fields)
        question.family_id = question.id  # bulk_create does not call save()
        to_create.append(question)
        report.lines.append(ImportLine(item.location, name, "imported"))
    if commit and to_create:
        with transaction.atomic():
            Question.objects.bulk_create(to_create)
        report.committed = True
    return report


def _as_item(question: Question) -> Item:
    options = [Option(str(o["key"]), str(o["text"]), correct=o["key"] in question.answer)
               for o in question.options]
    return Item(kind=question.kind, stem=question.stem, options=options,
                score=question.score, explanation=question.explanation,
                identifier=question.external_key or str(question.pk))


def items_export(*, subject: Subject, fmt: str) -> tuple[bytes, list[str]]:
    """The subject's questions as a file of ``fmt``; also the names of items the
    format could not hold."""
    items = [_as_item(q) for q in Question.objects.filter(subject=subject).order_by("created_at")]
    if fmt == "xlsx":
        return xlsx.write_items_xlsx(items), []
    if fmt == "qti":
        return qti.write_qti_package(items), []
    if fmt in {"moodle_xml", "gift"}:
        writer = moodle_xml.write_moodle_xml if fmt == "moodle_xml" else gift.write_gift
        text, problems = writer(items, category=subject.display_name)
        payload = text if isinstance(text, bytes) else text.encode()
        return payload, [problem.name for problem in problems]
    raise ApplicationError("unknown_format", _("Unknown format “%(format)s”.") % {"format": fmt})


# --- versions -------------------------------------------------------------------

QUESTION_EDITABLE_FIELDS = ("kind", "stem", "options", "answer", "blanks", "reference_answer",
                            "score", "difficulty", "explanation", "subject", "external_key",
                            "parent", "position")


def questions_mark_delivered(*, question_ids: list[str], at: dt.datetime) -> None:
    """Remember that these questions were shown to a candidate (from then on an
    edit makes a new version). Only rows not yet marked are written."""
    Question.objects.filter(pk__in=question_ids, delivered_at__isnull=True).update(delivered_at=at)


@transaction.atomic
def question_revise(*, question: Question, changes: dict[str, Any]) -> Question:
    """Apply ``changes`` to a question. A question never delivered is edited in
    place; a delivered one gets a new version, which takes its place in the
    active papers, while attempts keep the version they showed."""
    unknown = set(changes) - set(QUESTION_EDITABLE_FIELDS)
    if unknown:
        raise ApplicationError("invalid_input", _("These fields cannot be changed: %(fields)s.")
                               % {"fields": ", ".join(sorted(unknown))})
    locked = Question.objects.select_for_update().get(pk=question.pk)
    if locked.delivered_at is None:
        for name, value in changes.items():
            setattr(locked, name, value)
        locked.save()
        return locked
    tags = list(locked.tags.all())
    new = Question.objects.get(pk=locked.pk)
    new.pk = new.id = uuid.uuid4()
    new._state.adding = True
    for name, value in changes.items():
        setattr(new, name, value)
    new.version = locked.version + 1
    new.delivered_at = None
    new.is_current = True
    Question.objects.filter(pk=locked.pk).update(is_current=False)
    new.save()
    new.tags.set(tags)
    PaperQuestion.objects.filter(question=locked, paper__is_active=True).update(question=new)
    return new
