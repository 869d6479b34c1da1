"""Item-bank writes: importing items from the interchange formats, and exporting.

The format modules (``formats/``) turn files into neutral ``Item`` objects; here
they become questions of a subject. Every item ends in the report as imported,
skipped (with the reason) or error (with its location) — never dropped silently.

Every kind the formats read is stored: choices (with option weights), true/false,
fill-in-the-blank (blanks with accepted answers), essays, and cases with their
sub-questions; knowledge points become tags, difficulty is kept.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import uuid
import zipfile
from collections.abc import Iterable
from dataclasses import asdict, dataclass, field
from decimal import Decimal
from typing import Any, Literal

from django.db import transaction
from django.db.models import Exists, OuterRef, Q
from django.utils.translation import gettext as _

from examhall.core.errors import ApplicationError
from examhall.exams.models import Subject
from examhall.itembank.formats import gift, moodle_xml, qti, xlsx
from examhall.itembank.formats.interchange import Blank, FormatError, Item, Option, ParseResult
from examhall.itembank.formats.mapping import Rejected, true_false_answer
from examhall.itembank.models import Paper, PaperQuestion, Question, Tag
from examhall.itembank.paper_rules import (
    DrawnQuestion,
    PoolItem,
    SectionRule,
    Shortfall,
    check_rules,
    draw_paper,
    paper_total,
    rng_for,
)

Format = Literal["xlsx", "qti", "moodle_xml", "gift"]
FORMATS: tuple[str, ...] = ("xlsx", "qti", "moodle_xml", "gift")
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


def _true_false_key(item: Item) -> str:
    """The bank's key (T/F) of a true/false item's correct option."""
    try:
        return "T" if true_false_answer(item) else "F"
    except Rejected:
        return "F"  # the format readers already refuse such items; never reached in practice


def _fingerprint(item: Item) -> str:
    """A key for an item that has no identifier of its own, so that importing the
    same file twice finds it again."""
    content = "\x1f".join([item.kind, item.stem, *(f"{o.key}={o.text}" for o in item.options)])
    return "sha256:" + hashlib.sha256(content.encode()).hexdigest()[:32]


def _options(item: Item) -> list[dict[str, Any]]:
    if item.kind == "true_false":
        return [{"key": "T", "text": "正确"}, {"key": "F", "text": "错误"}]
    options = []
    for option in item.options:
        entry: dict[str, Any] = {"key": option.key, "text": option.text}
        if option.weight is not None:
            entry["weight"] = str(option.weight)
        options.append(entry)
    return options


def _blanks(item: Item) -> list[dict[str, Any]]:
    return [
        {"key": blank.key, "answers": list(blank.answers), "case_sensitive": blank.case_sensitive,
         "numeric": blank.numeric, "tolerance": str(blank.tolerance),
         "points": None if blank.score is None else str(blank.score)}
        for blank in item.blanks
    ]


def _question(subject: Subject, item: Item, *, key: str, parent: Question | None = None,
              position: int = 0) -> Question:
    if item.kind == "true_false":
        answer = [_true_false_key(item)]
    elif item.kind in {"single", "multiple"}:
        answer = item.correct_keys
    else:
        answer = []
    question = Question(
        subject=subject, kind=item.kind, stem=item.stem, options=_options(item), answer=answer,
        blanks=_blanks(item),
        score=item.score if item.score and item.score > 0 else DEFAULT_SCORE,
        difficulty=item.difficulty if item.difficulty in range(1, 6) else 3,
        explanation=item.explanation, external_key=key[:80], parent=parent, position=position,
    )
    question.family_id = question.id  # bulk_create does not call save()
    return question


def _questions_of(subject: Subject, item: Item, key: str) -> list[tuple[Question, list[str]]]:
    """The question of an item and, for a case, its sub-questions (with their tags)."""
    top = _question(subject, item, key=key)
    rows = [(top, item.tags)]
    for position, sub_item in enumerate(item.sub_items, start=1):
        rows.append((_question(subject, sub_item, key="", parent=top, position=position),
                     sub_item.tags or item.tags))
    return rows


def _save_questions(rows: list[tuple[Question, list[str]]]) -> None:
    Question.objects.bulk_create([question for question, _tags in rows], batch_size=1000)
    names = {name.strip()[:100] for _q, tags in rows for name in tags if name.strip()}
    if not names:
        return
    Tag.objects.bulk_create([Tag(name=name) for name in names], ignore_conflicts=True)
    tag_ids = dict(Tag.objects.filter(name__in=names).values_list("name", "id"))
    links = [Question.tags.through(question_id=question.pk, tag_id=tag_ids[name.strip()[:100]])
             for question, tags in rows for name in dict.fromkeys(tags) if name.strip()]
    Question.tags.through.objects.bulk_create(links, batch_size=5000, ignore_conflicts=True)


def items_import(
    *, subject: Subject, data: bytes, filename: str = "", fmt: str = "auto", commit: bool,
    all_or_nothing: bool = False,
) -> ImportReport:
    """Import the items of a file into ``subject``: a dry run unless ``commit``.

    Items whose identifier (or, without one, whose content fingerprint) the subject
    already holds are skipped: re-importing a file changes nothing. The valid items
    are written in one transaction — or, with ``all_or_nothing``, nothing at all
    when any item has an error.
    """
    try:
        fmt, parsed = parse_items(data, filename=filename, fmt=fmt)
    except FormatError as error:
        raise ApplicationError(error.code, error.message, status=400) from error
    report = ImportReport(format=fmt, committed=False)
    for problem in parsed.problems:
        report.lines.append(ImportLine(problem.location, problem.name, problem.status,
                                       problem.code, problem.message))
    known = set(Question.objects.filter(subject=subject, is_current=True).exclude(
        external_key="").values_list("external_key", flat=True))
    rows: list[tuple[Question, list[str]]] = []
    for item in parsed.items:
        name = _item_name(item)
        key = item.identifier or _fingerprint(item)
        if key[:80] in known:
            report.lines.append(ImportLine(
                item.location, name, "skipped", "already_in_bank",
                _("A question with this identifier is already in the bank.")))
            continue
        known.add(key[:80])
        rows.extend(_questions_of(subject, item, key))
        report.lines.append(ImportLine(item.location, name, "imported"))
    if all_or_nothing and report.count("error"):
        return report
    if commit and rows:
        with transaction.atomic():
            _save_questions(rows)
        report.committed = True
    return report


def _as_item(question: Question, tags: list[str], subs: list[Question]) -> Item:
    options = [Option(str(o["key"]), str(o["text"]), correct=o["key"] in question.answer,
                      weight=Decimal(o["weight"]) if o.get("weight") is not None else None)
               for o in question.options]
    blanks = [Blank(key=str(b["key"]), answers=list(b["answers"]),
                    case_sensitive=bool(b.get("case_sensitive")), numeric=bool(b.get("numeric")),
                    tolerance=Decimal(b.get("tolerance") or "0"),
                    score=Decimal(b["points"]) if b.get("points") else None)
              for b in question.blanks]
    return Item(kind=question.kind, stem=question.stem, options=options, blanks=blanks,
                sub_items=[_as_item(sub, tags, []) for sub in subs],
                score=question.score, explanation=question.explanation, tags=tags,
                difficulty=question.difficulty,
                identifier=question.external_key or str(question.pk))


def items_export(*, subject: Subject, fmt: str) -> tuple[bytes, list[str]]:
    """The subject's questions as a file of ``fmt``; also the names of items the
    format could not hold."""
    questions = list(Question.objects.filter(subject=subject, is_current=True)
                     .prefetch_related("tags").order_by("created_at", "position"))
    subs: dict[uuid.UUID, list[Question]] = {}
    for question in questions:
        if question.parent_id:
            subs.setdefault(question.parent_id, []).append(question)
    items = [_as_item(q, [t.name for t in q.tags.all()], sorted(subs.get(q.pk, []),
                                                                key=lambda s: s.position))
             for q in questions if q.parent_id is None]
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
    # A case's current sub-questions follow its new material; attempts that showed
    # the old material keep it (they record the case version they showed).
    Question.objects.filter(parent=locked, is_current=True).update(parent=new)
    return new


# --- papers ---------------------------------------------------------------------


def _sub_questions(case_ids: Iterable[str]) -> dict[str, list[Question]]:
    """The current sub-questions of these cases, in their order in each case."""
    subs: dict[str, list[Question]] = {}
    rows = (Question.objects.filter(parent_id__in=list(case_ids), is_current=True,
                                    kind__in=Question.SUB_QUESTION_KINDS)
            .only("id", "parent_id", "kind", "options", "score", "difficulty")
            .order_by("position", "created_at"))
    for sub in rows:
        subs.setdefault(str(sub.parent_id), []).append(sub)
    return subs


def _rule_pool(paper: Paper) -> list[PoolItem]:
    questions = (
        Question.objects.filter(subject_id=paper.subject_id, is_current=True, parent=None,
                                kind__in=Question.DELIVERABLE_KINDS)
        # a case without a sub-question to answer is nothing to deliver
        .exclude(Q(kind=Question.Kind.CASE) & ~Exists(Question.objects.filter(
            parent=OuterRef("pk"), is_current=True, kind__in=Question.SUB_QUESTION_KINDS)))
        .only("id", "kind", "difficulty", "options").prefetch_related("tags")
        .order_by("created_at")
    )
    return [PoolItem(id=str(q.pk), kind=q.kind, difficulty=q.difficulty,
                     tags=frozenset(t.name for t in q.tags.all()),
                     option_keys=tuple(str(o["key"]) for o in q.options))
            for q in questions]


def _rules(paper: Paper) -> list[SectionRule]:
    return [SectionRule(name=s.name, kind=s.question_kind, count=s.count, points=s.points,
                        tags=frozenset(t.name for t in s.tags.all()),
                        difficulty_min=s.difficulty_min, difficulty_max=s.difficulty_max)
            for s in paper.sections.prefetch_related("tags").order_by("position")]


def paper_check(*, paper: Paper) -> list[Shortfall]:
    """For a rule-based paper: the sections the bank cannot fill (empty: ready)."""
    if paper.kind != Paper.Kind.RULES:
        return []
    return check_rules(_rule_pool(paper), _rules(paper))


def paper_draw(*, paper: Paper, seed: str) -> list[DrawnQuestion]:
    """One candidate's paper, reproducible from ``seed``: drawn by the rules, or the
    fixed questions (each at its own score), shuffled as the paper says."""
    if paper.kind == Paper.Kind.RULES:
        rules = _rules(paper)
        if not rules or check_rules(pool := _rule_pool(paper), rules):
            raise ApplicationError(
                "paper_rules_short",
                _("The item bank cannot fill this subject's paper rules. Please contact the "
                  "exam office."), status=409)
        drawn = draw_paper(pool, rules, seed=seed, shuffle_questions=paper.shuffle_questions,
                           shuffle_options=paper.shuffle_options)
        return _expand_cases(drawn, seed=seed, shuffle_options=paper.shuffle_options,
                             section_points=True)
    entries = list(paper.entries.order_by("position").select_related("question"))
    pool = [PoolItem(id=str(e.question_id), kind=e.question.kind,
                     difficulty=e.question.difficulty,
                     option_keys=tuple(str(o["key"]) for o in e.question.options))
            for e in entries]
    drawn = []
    rng = rng_for(seed)
    order = list(range(len(pool)))
    if paper.shuffle_questions:
        rng.shuffle(order)
    for index in order:
        item, question = pool[index], entries[index].question
        options = list(item.option_keys)
        if paper.shuffle_options and item.kind in {"single", "multiple"}:
            rng.shuffle(options)
        drawn.append(DrawnQuestion(item.id, "", question.score, tuple(options), item.kind,
                                   case_id=str(question.parent_id or "")))
    return _expand_cases(drawn, seed=seed, shuffle_options=paper.shuffle_options,
                         section_points=False)


def _split_points(total: Decimal, weights: list[Decimal]) -> list[Decimal]:
    """``total`` shared in proportion to ``weights`` (equal shares when they are all
    zero), to the cent, the rounding remainder on the last share."""
    count = len(weights)
    whole = sum(weights, Decimal("0"))
    shares = [
        ((total * weight / whole) if whole else (total / count)).quantize(Decimal("0.01"))
        for weight in weights
    ]
    shares[-1] += total - sum(shares, Decimal("0"))
    return shares


def _expand_cases(drawn: list[DrawnQuestion], *, seed: str, shuffle_options: bool,
                  section_points: bool) -> list[DrawnQuestion]:
    """Each case of a drawn paper in the place of its sub-questions (in their order
    in the case; their options shuffled like any other's). Their points are their
    own scores, or with ``section_points`` the case's section points shared in
    proportion to those scores. A case with nothing to answer is refused (the
    rule pool never holds one; a fixed paper may)."""
    case_ids = [question.id for question in drawn if question.kind == Question.Kind.CASE]
    if not case_ids:
        return drawn
    subs = _sub_questions(case_ids)
    expanded: list[DrawnQuestion] = []
    for question in drawn:
        if question.kind != Question.Kind.CASE:
            expanded.append(question)
            continue
        parts = subs.get(question.id, [])
        if not parts:
            raise ApplicationError(
                "paper_not_deliverable",
                _("This subject's paper holds a case question without sub-questions. "
                  "Please contact the exam office."), status=409)
        points = (_split_points(question.points, [sub.score for sub in parts])
                  if section_points else [sub.score for sub in parts])
        rng = rng_for(f"{seed}:{question.id}")
        for sub, sub_points in zip(parts, points, strict=True):
            options = [str(option["key"]) for option in sub.options]
            if shuffle_options and sub.kind in {Question.Kind.SINGLE, Question.Kind.MULTIPLE}:
                rng.shuffle(options)
            expanded.append(DrawnQuestion(str(sub.pk), question.section, sub_points,
                                          tuple(options), sub.kind, case_id=question.id))
    return expanded


@dataclass(frozen=True)
class PaperPreview:
    count: int
    total: Decimal
    difficulty: dict[int, int]  # difficulty level → number of questions


def paper_preview(*, paper: Paper, seed: str = "preview") -> PaperPreview:
    """An example of the paper a candidate would get: size, total, difficulty spread."""
    drawn = paper_draw(paper=paper, seed=seed)
    levels = dict(Question.objects.filter(pk__in=[q.id for q in drawn])
                  .values_list("id", "difficulty"))
    spread: dict[int, int] = {}
    for question in drawn:
        level = levels[uuid.UUID(question.id)]
        spread[level] = spread.get(level, 0) + 1
    return PaperPreview(count=len(drawn), total=paper_total(drawn),
                        difficulty=dict(sorted(spread.items())))
