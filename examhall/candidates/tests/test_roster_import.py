"""Roster import service: the row-by-row report, dry run, commit modes, idempotence."""

from __future__ import annotations

import io

import openpyxl
import pytest
from django.utils import translation

from examhall.candidates import roster
from examhall.candidates.models import Candidate, Registration
from examhall.candidates.services import roster_import
from examhall.candidates.tests.rosters import id_number, make_exam_setup, xlsx
from examhall.core import pii
from examhall.core.errors import ApplicationError
from examhall.devtools.factories import make_registration

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _english():
    with translation.override("en"):
        yield


@pytest.fixture
def setup():
    return make_exam_setup()


def run(setup, rows, *, commit=False, mode="all_or_nothing", **sheet_options):
    return roster_import(exam=setup.exam, file=xlsx(rows, **sheet_options), commit=commit,
                         mode=mode)


def problems_of(report, row_number):
    row = next(row for row in report.rows if row.row == row_number)
    return {(problem.column, problem.code): problem.message for problem in row.problems}


def with_wrong_check_digit(number):
    return number[:-1] + ("1" if number[-1] != "1" else "2")


# --- a clean sheet


def test_dry_run_reports_every_row_and_writes_nothing(setup):
    rows = [setup.row("张三"), setup.row("李四")]

    report = run(setup, rows)

    assert [row.row for row in report.rows] == [2, 3]
    assert [row.status for row in report.rows] == ["ok", "ok"]
    assert report.counts["created"] == 2
    assert report.dry_run and not report.committed
    assert Candidate.objects.count() == 0
    assert Registration.objects.count() == 0


def test_commit_creates_candidates_and_registrations(setup):
    number = id_number()
    rows = [setup.row("张三", number, ticket_number="dc0001", extra_minutes=30)]

    report = run(setup, rows, commit=True)

    assert report.committed
    assert report.counts["created"] == 1
    assert report.counts["candidates_created"] == 1
    registration = Registration.objects.select_related("candidate").get()
    assert registration.candidate.name == "张三"
    assert registration.candidate.id_number_hash == pii.lookup_hash(number)
    assert registration.candidate.reveal_id_number() == number
    assert (registration.subject, registration.session, registration.room) == (
        setup.subject, setup.session, setup.room)
    assert registration.ticket_number == "DC0001"
    assert registration.extra_minutes == 30


def test_missing_ticket_numbers_are_generated_from_the_exam_code(setup):
    rows = [setup.row("张三"), setup.row("李四")]

    report = run(setup, rows, commit=True)

    assert [row.ticket_number for row in report.rows] == ["DC2025000001", "DC2025000002"]
    assert set(Registration.objects.values_list("ticket_number", flat=True)) == {
        "DC2025000001", "DC2025000002"}
    assert ("准考证号", "ticket_generated") in problems_of(report, 2)
    assert report.rows[0].status == "ok"


def test_generated_ticket_numbers_continue_after_the_highest_in_use(setup):
    make_registration(exam=setup.exam, subject=setup.subject, session=setup.session,
                      room=setup.room, ticket_number="DC2025000041")

    report = run(setup, [setup.row(ticket_number="DC2025000050"), setup.row()])

    assert report.rows[1].ticket_number == "DC2025000051"


def test_english_headers_title_rows_subject_code_and_half_width_brackets_are_accepted(setup):
    header = ["name", "id_type", "id_number", "subject", "session", "room"]
    rows = [["王五", "resident_id", id_number(), "碳排放管理技术(高级)", "第一场", "第1考场"],
            ["赵六", "", id_number(), "cem-mid", "第一场", "第1考场"]]

    report = run(setup, rows, header=header, above=[["2025年考生名单"]])

    assert [row.status for row in report.rows] == ["ok", "ok"]
    assert [row.row for row in report.rows] == [3, 4]
    assert report.rows[1].subject == "碳排放管理技术（中级）"


# --- problems, each named by row and column


@pytest.mark.parametrize("column", ["姓名", "证件号码", "报考科目", "场次", "考场"])
def test_an_empty_required_cell_is_reported_by_column(setup, column):
    keys = {"姓名": "name", "证件号码": "id_number", "报考科目": "subject", "场次": "session",
            "考场": "room"}
    row = setup.row(**{keys[column]: ""})

    report = run(setup, [setup.row(), row])

    assert report.rows[0].status == "ok"
    assert report.rows[1].status == "error"
    assert problems_of(report, 3)[(column, "required")] == (
        f"{column} is empty; every candidate needs it.")


def test_bad_id_checksum_is_reported_with_the_validation_message(setup):
    report = run(setup, [setup.row(number=with_wrong_check_digit(id_number()))])

    message = problems_of(report, 2)[("证件号码", "bad_checksum")]
    assert "check digit" in message


def test_impossible_birth_date_is_reported(setup):
    report = run(setup, [setup.row(number=id_number(born="19900230"))])

    assert ("证件号码", "impossible_birth_date") in problems_of(report, 2)


def test_id_number_mangled_by_excel_into_a_number_is_explained(setup):
    report = run(setup, [setup.row(number=110105199003071234)])

    assert ("证件号码", "id_number_as_number") in problems_of(report, 2)


def test_unknown_id_type_is_reported(setup):
    report = run(setup, [setup.row(id_type="驾驶证")])

    assert ("证件类型", "unknown_id_type") in problems_of(report, 2)


def test_unknown_subject_lists_the_exam_subjects(setup):
    report = run(setup, [setup.row(subject="碳排放管理技术（初级）")])

    message = problems_of(report, 2)[("报考科目", "unknown_subject")]
    assert "碳排放管理技术（初级）" in message
    assert "碳排放管理技术（高级）" in message


def test_unknown_session_is_reported(setup):
    report = run(setup, [setup.row(session="第三场")])

    assert ("场次", "unknown_session") in problems_of(report, 2)


def test_unknown_room_is_reported(setup):
    report = run(setup, [setup.row(room="第7考场")])

    assert ("考场", "unknown_room") in problems_of(report, 2)


def test_room_of_another_session_is_reported_with_where_it_is(setup):
    report = run(setup, [setup.row(room="第9考场")])

    message = problems_of(report, 2)[("考场", "room_not_in_session")]
    assert "第二场" in message


def test_same_candidate_twice_for_one_subject_names_both_rows(setup):
    number = id_number()
    rows = [setup.row("张三", number), setup.row(), setup.row("张三", number)]

    report = run(setup, rows)

    assert "row 4" in problems_of(report, 2)[("证件号码", "duplicate_candidate")]
    assert "row 2" in problems_of(report, 4)[("证件号码", "duplicate_candidate")]
    assert report.rows[1].status == "ok"


def test_same_candidate_for_two_subjects_is_two_registrations(setup):
    number = id_number()
    rows = [setup.row("张三", number), setup.row("张三", number, subject="CEM-MID")]

    report = run(setup, rows, commit=True)

    assert report.counts["errors"] == 0
    assert Candidate.objects.count() == 1
    assert Registration.objects.count() == 2


def test_same_id_number_with_different_names_is_refused(setup):
    number = id_number()
    rows = [setup.row("张三", number), setup.row("张山", number, subject="CEM-MID")]

    report = run(setup, rows)

    assert ("姓名", "name_mismatch") in problems_of(report, 2)
    assert ("姓名", "name_mismatch") in problems_of(report, 3)


def test_ticket_number_twice_in_the_sheet_names_both_rows(setup):
    rows = [setup.row(ticket_number="A1"), setup.row(ticket_number="a1")]

    report = run(setup, rows)

    assert "row 3" in problems_of(report, 2)[("准考证号", "duplicate_ticket")]
    assert "row 2" in problems_of(report, 3)[("准考证号", "duplicate_ticket")]


def test_ticket_number_of_another_candidate_in_the_exam_is_refused(setup):
    make_registration(exam=setup.exam, subject=setup.subject, session=setup.session,
                      room=setup.room, ticket_number="A1", name="钱七")

    report = run(setup, [setup.row(ticket_number="A1")])

    assert "钱七" in problems_of(report, 2)[("准考证号", "ticket_taken")]


def test_full_room_is_a_warning_from_the_first_row_over_capacity():
    setup = make_exam_setup(capacity=2)
    make_registration(exam=setup.exam, subject=setup.subject, session=setup.session,
                      room=setup.room)

    report = run(setup, [setup.row(), setup.row(), setup.row()], commit=True)

    assert [row.status for row in report.rows] == ["ok", "warning", "warning"]
    assert ("考场", "room_full") in problems_of(report, 3)
    assert Registration.objects.count() == 4


def test_unknown_region_is_a_warning_and_the_row_is_imported(setup):
    report = run(setup, [setup.row(number=id_number(region="990000"))], commit=True)

    assert report.rows[0].status == "warning"
    assert "990000" in problems_of(report, 2)[("证件号码", "id_number_warning")]
    assert Registration.objects.count() == 1


def test_residence_permit_is_stored_as_such(setup):
    run(setup, [setup.row(number=id_number(region="820000"), id_type="")], commit=True)

    assert Candidate.objects.get().id_type == "hmt_permit"


@pytest.mark.parametrize("value", ["-5", "half an hour", "601"])
def test_bad_extra_minutes_are_reported(setup, value):
    report = run(setup, [setup.row(extra_minutes=value)])

    assert ("延长时间(分钟)", "bad_extra_minutes") in problems_of(report, 2)


# --- commit modes


def test_all_or_nothing_writes_nothing_when_a_row_is_bad(setup):
    rows = [setup.row(), setup.row(subject="nope"), setup.row()]

    report = run(setup, rows, commit=True, mode="all_or_nothing")

    assert not report.committed
    assert report.counts["errors"] == 1
    assert report.counts["created"] == 0
    assert Candidate.objects.count() == 0
    assert Registration.objects.count() == 0


def test_valid_rows_mode_writes_only_the_good_rows(setup):
    rows = [setup.row("张三"), setup.row("坏行", subject="nope"), setup.row("李四")]

    report = run(setup, rows, commit=True, mode="valid_rows")

    assert report.committed
    assert report.counts["created"] == 2
    assert [row.action for row in report.rows] == ["create", "reject", "create"]
    assert set(Candidate.objects.values_list("name", flat=True)) == {"张三", "李四"}


def test_unknown_mode_is_refused(setup):
    with pytest.raises(ApplicationError) as error:
        run(setup, [setup.row()], commit=True, mode="some")

    assert error.value.code == "roster_bad_mode"


# --- importing again


def test_importing_the_same_sheet_twice_changes_nothing_the_second_time(setup):
    rows = [setup.row("张三"), setup.row("李四", ticket_number="X-2")]
    run(setup, rows, commit=True)
    tickets = set(Registration.objects.values_list("ticket_number", flat=True))

    report = run(setup, rows, commit=True)

    assert report.counts["created"] == 0
    assert report.counts["unchanged"] == 2
    assert Candidate.objects.count() == 2
    assert Registration.objects.count() == 2
    assert set(Registration.objects.values_list("ticket_number", flat=True)) == tickets


def test_importing_again_updates_the_registration_in_place(setup):
    number = id_number()
    run(setup, [setup.row("张三", number)], commit=True)
    first = Registration.objects.get()

    report = run(setup, [setup.row("张三丰", number, session="第二场", room="第9考场",
                                   extra_minutes=15)], commit=True)

    updated = Registration.objects.select_related("candidate").get()
    assert report.counts["updated"] == 1
    assert ("姓名", "name_changed") in problems_of(report, 2)
    assert updated.pk == first.pk
    assert updated.ticket_number == first.ticket_number
    assert (updated.room, updated.extra_minutes) == (setup.other_room, 15)
    assert updated.candidate.name == "张三丰"


def test_id_number_typed_differently_finds_the_same_candidate(setup):
    run(setup, [setup.row("张三", "11010519491231002X")], commit=True)

    report = run(setup, [setup.row("张三", " １１０１０５１９４９１２３１００２x ")], commit=True)

    assert report.counts["unchanged"] == 1
    assert Candidate.objects.count() == 1


# --- files that are not a roster


def refusal(setup, data) -> ApplicationError:
    with pytest.raises(ApplicationError) as error:
        roster_import(exam=setup.exam, file=data, commit=False)
    return error.value


def test_a_file_that_is_not_xlsx_is_refused_cleanly(setup):
    error = refusal(setup, io.BytesIO("姓名,证件号码\n张三,1\n".encode()))

    assert error.code == "roster_not_xlsx"
    assert ".xlsx" in str(error.message)


def test_a_damaged_zip_is_refused_as_not_xlsx(setup):
    assert refusal(setup, io.BytesIO(b"PK\x03\x04" + b"\0" * 100)).code == "roster_not_xlsx"


def test_an_old_xls_file_is_refused_with_how_to_convert(setup):
    error = refusal(setup, io.BytesIO(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 500))

    assert error.code == "roster_xls"


def test_an_empty_file_is_refused(setup):
    assert refusal(setup, io.BytesIO(b"")).code == "roster_empty"


def test_a_sheet_without_header_is_refused(setup):
    assert refusal(setup, xlsx([["a", "b"]], header=["foo", "bar"])).code == "roster_no_header"


def test_a_header_missing_a_required_column_names_it(setup):
    error = refusal(setup, xlsx([["张三", id_number()]], header=["姓名", "证件号码"]))

    assert error.code == "roster_missing_columns"
    assert "报考科目" in str(error.message)


def test_a_header_naming_a_column_twice_is_refused(setup):
    header = ["姓名", "证件号码", "身份证号", "报考科目", "场次", "考场"]
    row = ["张三", id_number(), id_number(), "CEM-ADV", "第一场", "第1考场"]

    error = refusal(setup, xlsx([row], header=header))

    assert error.code == "roster_duplicate_column"
    assert "身份证号" in str(error.message)


def test_columns_the_import_does_not_know_are_listed_as_ignored(setup):
    header = ["姓名", "证件号码", "报考科目", "场次", "考场", "备注"]

    report = run(setup, [["张三", id_number(), "CEM-ADV", "第一场", "第1考场", "补考"]],
                 header=header)

    assert report.ignored_columns == ["备注"]
    assert report.rows[0].status == "ok"


def test_a_header_without_rows_is_refused(setup):
    assert refusal(setup, xlsx([])).code == "roster_empty"


def test_a_file_over_the_size_limit_is_refused(setup, monkeypatch):
    monkeypatch.setattr(roster, "MAX_BYTES", 1000)

    assert refusal(setup, xlsx([setup.row()])).code == "roster_too_big"


def test_a_path_to_a_file_over_the_size_limit_is_refused(setup, monkeypatch, tmp_path):
    monkeypatch.setattr(roster, "MAX_BYTES", 1000)
    path = tmp_path / "roster.xlsx"
    path.write_bytes(xlsx([setup.row()]).getvalue())

    assert refusal(setup, path).code == "roster_too_big"


def test_too_many_rows_are_refused(setup, monkeypatch):
    monkeypatch.setattr(roster, "MAX_ROWS", 3)

    error = refusal(setup, xlsx([setup.row() for _ in range(4)]))

    assert error.code == "roster_too_many_rows"


def test_a_missing_path_is_refused(setup, tmp_path):
    assert refusal(setup, tmp_path / "missing.xlsx").code == "roster_not_found"


# --- the template


def test_template_imports_cleanly_into_the_exam_it_was_made_for(setup):
    data = roster.roster_template(exam=setup.exam)

    report = roster_import(exam=setup.exam, file=io.BytesIO(data), commit=True)

    assert report.counts["errors"] == 0
    assert report.counts["created"] == 2
    assert {c.id_type for c in Candidate.objects.all()} == {"resident_id", "hmt_permit"}


def test_template_explains_every_column_on_a_second_sheet():
    workbook = openpyxl.load_workbook(io.BytesIO(roster.roster_template()))

    assert workbook.sheetnames == ["考生名单", "说明"]
    header = [cell.value for cell in workbook["考生名单"][1]]
    assert header == [column.label for column in roster.COLUMNS]
    explained = {row[0].value for row in workbook["说明"].iter_rows(min_row=2) if row[0].value}
    assert set(header) <= explained
