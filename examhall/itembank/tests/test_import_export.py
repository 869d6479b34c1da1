"""Importing into the bank and exporting from it, through the management commands."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from examhall.devtools import factories, seed
from examhall.itembank import services
from examhall.itembank.formats import xlsx
from examhall.itembank.models import Question

pytestmark = pytest.mark.django_db
FIXTURES = Path(__file__).resolve().parents[3] / "tests" / "fixtures" / "itembank"


@pytest.fixture
def subject():
    exam = factories.make_exam()
    return factories.make_subject(exam=exam, code="IMPORT")


def run(*args: str) -> tuple[int, str]:
    out = io.StringIO()
    try:
        call_command(*args, stdout=out, stderr=io.StringIO())
    except SystemExit as exit_:
        return int(exit_.code or 0), out.getvalue()
    return 0, out.getvalue()


def test_template_dry_run_writes_nothing_and_reports_each_item(subject, tmp_path):
    path = tmp_path / "items.xlsx"
    path.write_bytes(xlsx.items_template())

    status, output = run("itembank_import", str(path), "--subject", "IMPORT", "--dry-run",
                         "--json")

    report = json.loads(output)
    assert report["format"] == "xlsx"
    assert report["committed"] is False
    assert report["imported"] == 6  # one of each kind: the template is clean
    assert report["skipped"] == report["errors"] == 0
    assert status == 0
    assert not Question.objects.exists()


def test_template_import_stores_every_kind_with_tags_and_sub_questions(subject, tmp_path):
    path = tmp_path / "items.xlsx"
    path.write_bytes(xlsx.items_template())

    status, _output = run("itembank_import", str(path), "--subject", "IMPORT")

    assert status == 0
    kinds = set(Question.objects.filter(parent=None).values_list("kind", flat=True))
    assert kinds == {"single", "multiple", "true_false", "fill_blank", "essay", "case"}
    case = Question.objects.get(kind="case")
    assert case.sub_questions.count() == 2
    blank = Question.objects.filter(kind="fill_blank", parent=None).get()
    assert len(blank.blanks) == 2 and blank.blanks[0]["answers"]
    assert Question.objects.filter(tags__isnull=False).exists()


def test_import_then_reimport_changes_nothing(subject):
    data = (FIXTURES / "carbon_demo_moodle.xml").read_bytes()
    first = services.items_import(subject=subject, data=data, fmt="auto", commit=True)
    count = Question.objects.count()
    again = services.items_import(subject=subject, data=data, fmt="auto", commit=True)

    assert first.format == "moodle_xml"
    assert Question.objects.filter(parent=None).count() == first.count("imported") > 0
    assert Question.objects.count() == count
    assert again.count("imported") == 0


def test_bank_export_reimports_to_the_same_questions(tmp_path):
    seed.seed_demo()
    source = Question.objects.filter(subject__code="CEV-JUN")
    exam = factories.make_exam()
    target = factories.make_subject(exam=exam, code="COPY")
    for fmt in services.FORMATS:
        out = tmp_path / f"bank.{fmt}"
        call_command("itembank_export", str(out), "--subject", "CEV-JUN", "--format", fmt,
                     stdout=io.StringIO())
        Question.objects.filter(subject=target).delete()
        report = services.items_import(subject=target, data=out.read_bytes(), fmt="auto",
                                       commit=True)
        assert report.format == fmt
        copied = {(q.kind, q.stem, tuple(sorted(q.answer))) for q in target.questions.all()}
        original = {(q.kind, q.stem, tuple(sorted(q.answer))) for q in source}
        assert copied == original, fmt


def test_every_kind_round_trips_through_qti_and_moodle(subject, tmp_path):
    path = tmp_path / "items.xlsx"
    path.write_bytes(xlsx.items_template())
    services.items_import(subject=subject, data=path.read_bytes(), commit=True)
    before = sorted(Question.objects.values_list("kind", "stem"))
    exam = factories.make_exam()
    for fmt in ("qti", "xlsx"):
        target = factories.make_subject(exam=exam, code=f"COPY-{fmt}")
        data, not_written = services.items_export(subject=subject, fmt=fmt)
        assert not_written == []
        services.items_import(subject=target, data=data, commit=True)
        after = sorted(target.questions.values_list("kind", "stem"))
        assert [kind for kind, _ in after] == [kind for kind, _ in before], fmt


def test_qti_package_imports_with_unsupported_items_named(subject):
    sample = next((FIXTURES / "qti").glob("*.zip"), None) or next((FIXTURES / "qti").iterdir())
    report = services.items_import(subject=subject, data=sample.read_bytes(),
                                   filename=sample.name, commit=False)
    assert report.format == "qti"
    assert report.lines
    assert all(line.location or line.name for line in report.lines)


def test_broken_file_is_a_clear_command_error(subject, tmp_path):
    path = tmp_path / "broken.xml"
    path.write_bytes(b"<quiz><question type='multichoice'>")
    with pytest.raises(CommandError) as error:
        call_command("itembank_import", str(path), "--subject", "IMPORT", stdout=io.StringIO())
    assert "line" in str(error.value).lower() or "行" in str(error.value)


def test_unknown_subject_is_a_clear_command_error(tmp_path):
    path = tmp_path / "x.gift"
    path.write_text("Q{T}")
    with pytest.raises(CommandError, match="NOPE"):
        call_command("itembank_import", str(path), "--subject", "NOPE", stdout=io.StringIO())


def test_all_or_nothing_writes_nothing_when_an_item_has_an_error(subject, tmp_path):
    gift = "::ok:: 双碳目标中的碳达峰年份是？ {=2030 ~2060}\n\n::broken:: 没有正确答案 {~A ~B}\n"
    path = tmp_path / "mixed.gift"
    path.write_text(gift, encoding="utf-8")

    status, output = run("itembank_import", str(path), "--subject", "IMPORT",
                         "--all-or-nothing", "--json")

    report = json.loads(output)
    assert report["errors"] >= 1 and report["committed"] is False
    assert status == 1
    assert not Question.objects.exists()
    run("itembank_import", str(path), "--subject", "IMPORT")  # valid items only
    assert Question.objects.count() == 1
