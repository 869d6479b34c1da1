"""The candidates_import_roster command: table and JSON output, exit status."""

from __future__ import annotations

import io
import json
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings
from django.core.management import CommandError, call_command
from django.utils import translation

from examhall.candidates.models import Candidate, Registration
from examhall.candidates.tests.rosters import make_exam_setup, xlsx
from tests.servers import subprocess_env


@pytest.fixture(autouse=True)
def _english():
    with translation.override("en"):
        yield


@pytest.fixture
def setup(db):
    return make_exam_setup(code="dc-2025")


def sheet_file(tmp_path: Path, rows) -> str:
    path = tmp_path / "roster.xlsx"
    path.write_bytes(xlsx(rows).getvalue())
    return str(path)


def run(*args: str) -> tuple[str, CommandError | None]:
    out = io.StringIO()
    try:
        call_command("candidates_import_roster", *args, stdout=out)
    except CommandError as error:
        return out.getvalue(), error
    return out.getvalue(), None


def test_dry_run_of_a_clean_sheet_exits_0_and_writes_nothing(setup, tmp_path):
    path = sheet_file(tmp_path, [setup.row(), setup.row()])

    output, error = run(path, "--exam", "dc-2025", "--dry-run")

    assert error is None
    assert "2 rows: 2 ok" in output
    assert "Dry run" in output
    assert Registration.objects.count() == 0


def test_import_of_a_clean_sheet_exits_0_and_writes_the_rows(setup, tmp_path):
    path = sheet_file(tmp_path, [setup.row(), setup.row()])

    output, error = run(path, "--exam", "dc-2025")

    assert error is None
    assert "Roster imported." in output
    assert Registration.objects.count() == 2


def test_a_rejected_row_exits_1_writes_nothing_and_is_listed(setup, tmp_path):
    path = sheet_file(tmp_path, [setup.row(), setup.row(subject="nope")])

    output, error = run(path, "--exam", "dc-2025")

    assert error is not None and error.returncode == 1
    assert "Nothing was imported" in str(error)
    assert "报考科目" in output and "     3  error" in output
    assert Candidate.objects.count() == 0


def test_valid_rows_only_writes_the_good_rows_and_still_exits_1(setup, tmp_path):
    path = sheet_file(tmp_path, [setup.row(), setup.row(subject="nope")])

    _output, error = run(path, "--exam", "dc-2025", "--valid-rows-only")

    assert error is not None and error.returncode == 1
    assert Registration.objects.count() == 1


def test_json_prints_the_same_report_for_scripts(setup, tmp_path):
    path = sheet_file(tmp_path, [setup.row(), setup.row(room="第7考场")])

    output, error = run(path, "--exam", "dc-2025", "--dry-run", "--json")

    report = json.loads(output)
    assert error is not None and error.returncode == 1
    assert report["counts"]["total"] == 2 and report["counts"]["errors"] == 1
    assert report["rows"][1]["row"] == 3
    assert report["rows"][1]["status"] == "error"
    assert report["rows"][1]["problems"][0]["column"] == "考场"
    assert report["rows"][1]["problems"][0]["code"] == "unknown_room"
    assert report["dry_run"] is True


def test_json_report_masks_id_numbers(setup, tmp_path):
    number = "11010519491231002X"
    path = sheet_file(tmp_path, [setup.row(number=number)])

    output, _error = run(path, "--exam", "dc-2025", "--dry-run", "--json")

    assert number not in output
    assert json.loads(output)["rows"][0]["id_number_masked"] == "1101**********002X"


def test_unknown_exam_is_a_clear_error(setup, tmp_path):
    path = sheet_file(tmp_path, [setup.row()])

    _output, error = run(path, "--exam", "nope")

    assert error is not None
    assert "There is no exam with the code “nope”" in str(error)
    assert "dc-2025" in str(error)


def test_a_file_that_is_not_xlsx_is_a_clear_error_also_in_json(setup, tmp_path):
    path = tmp_path / "roster.csv"
    path.write_text("姓名,证件号码\n")

    output, error = run(str(path), "--exam", "dc-2025", "--json")

    assert error is not None and ".xlsx" in str(error)
    assert json.loads(output)["error"]["code"] == "roster_not_xlsx"


@pytest.mark.django_db(transaction=True)
def test_bad_input_from_the_shell_exits_1_without_a_traceback(tmp_path):
    make_exam_setup(code="dc-shell")
    not_xlsx = tmp_path / "roster.xlsx"
    not_xlsx.write_bytes(b"not a workbook")
    env = subprocess_env(LANGUAGE_CODE="en")

    result = subprocess.run(
        [sys.executable, "manage.py", "candidates_import_roster", str(not_xlsx),
         "--exam", "dc-shell"],
        cwd=settings.BASE_DIR, env=env, capture_output=True, text=True, timeout=120,
    )

    assert result.returncode == 1
    assert "Traceback" not in result.stderr
    assert "not an Excel workbook" in result.stderr
