"""The integrity report (HTML and PDF) and the exam's review summary (Excel, on the
page and by the command)."""

from __future__ import annotations

import base64
import io
import re
import zlib

import pytest
from django.core.management import CommandError, call_command
from django.test import Client
from openpyxl import load_workbook

from examhall.console import services as console
from examhall.devtools import factories
from examhall.proctoring.taxonomy import flag_label
from examhall.review import services
from examhall.review.tests import helpers

pytestmark = pytest.mark.django_db


@pytest.fixture
def reviewed():
    """A flagged attempt with a picture, a proctor's report and a decision, and an
    attempt with only a low flag, in one room; a flagged attempt in another room."""
    exam, subject, session, room, people = factories.make_sitting(questions=1, candidates=2)
    flagged, quiet = (helpers.finished_attempt(r) for r, _id in people)
    proctor = helpers.staff("proctor-a", rooms=(room,), permissions=("proctor_rooms",))
    reviewer = helpers.staff("reviewer-1", rooms=(room,))
    helpers.flag(flagged, "several_faces", evidence=helpers.snapshot(flagged), occurrences=3)
    clipboard = helpers.flag(flagged, "clipboard_used")
    console.flag_resolve(actor=proctor, flag_id=clipboard.pk, confirm=False,
                         note="Pasted own notes.")
    helpers.flag(quiet, "fullscreen_left")
    console.irregularity_file(actor=proctor, room_id=room.pk, attempt_id=flagged.pk,
                              category="examinee", description="候选人身边有人说话。")
    services.review_decide(reviewer=reviewer, attempt_id=flagged.pk, status="violation",
                           note="Second person.")
    other = factories.make_room(session=session, name="Room 2")
    elsewhere = helpers.finished_attempt(factories.make_registration(
        exam=exam, subject=subject, session=session, room=other))
    helpers.flag(elsewhere, "camera_covered")
    client = Client()
    client.force_login(reviewer)
    return exam, flagged, quiet, client


def _pdf_text(data: bytes) -> str:
    """The text a reportlab PDF shows: each page stream (ASCII85 + Flate) holds the
    STSong-Light text as PDF literal strings of UTF-16BE code units."""
    text = []
    for stream in re.findall(rb"stream\r?\n(.*?)endstream", data, re.S):
        raw = stream.strip().removesuffix(b"~>")
        try:
            content = zlib.decompress(base64.a85decode(raw, ignorechars=b" \t\n\r\x0b"))
        except (ValueError, zlib.error):
            continue  # an image
        for literal in re.findall(rb"\(((?:\\.|[^\\)])*)\)\s*Tj", content, re.S):
            text.append(_unescape(literal).decode("utf-16-be", "replace"))
    return "".join(text)


def _unescape(literal: bytes) -> bytes:
    escapes = {b"n": b"\n", b"r": b"\r", b"t": b"\t", b"b": b"\b", b"f": b"\f"}
    return re.sub(rb"\\([0-7]{1,3}|.)",
                  lambda m: bytes([int(m[1], 8)]) if m[1][:1].isdigit()
                  else escapes.get(m[1], m[1]), literal, flags=re.S)


def test_the_html_report_shows_the_case_with_a_masked_id(reviewed):
    _exam, flagged, _quiet, client = reviewed
    candidate = flagged.registration.candidate

    body = client.get(f"/review/attempts/{flagged.pk}/report/").content.decode()

    assert flagged.registration.ticket_number in body
    assert candidate.id_number_masked in body
    assert candidate.reveal_id_number() not in body
    assert "候选人身边有人说话。" in body and "Second person." in body
    assert "Pasted own notes." in body and "proctor-a" in body  # the proctor's actions
    assert body.count("/review/snapshots/") == 1


def test_the_pdf_report_is_a_pdf_with_the_ticket_name_and_pictures(reviewed):
    _exam, flagged, _quiet, client = reviewed
    registration = flagged.registration

    response = client.get(f"/review/attempts/{flagged.pk}/report.pdf")

    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    data = response.content
    assert data.startswith(b"%PDF-")
    text = _pdf_text(data)
    assert registration.ticket_number in text
    assert registration.candidate.name in text  # Chinese, in STSong-Light
    assert registration.candidate.id_number_masked in text
    assert registration.candidate.reveal_id_number() not in text
    assert "候选人身边有人说话。" in text
    assert "proctor-a" in text and "Second person." in text
    assert data.count(b"/Subtype /Image") == 1  # the one evidence picture


def test_the_summary_workbook_counts_flags_decisions_and_lists_attempts(reviewed):
    exam, flagged, quiet, client = reviewed

    response = client.get(f"/review/exams/{exam.pk}/summary.xlsx")

    assert response.status_code == 200
    book = load_workbook(io.BytesIO(response.content))
    flags, decisions, attempts = (list(sheet.iter_rows(values_only=True))
                                  for sheet in book.worksheets)
    by_room_type = {(row[0], row[1]): row[3:] for row in flags[1:]}
    assert len(by_room_type) == 3  # the reviewer's room only: not Room 2
    assert [key for key in by_room_type if key[0] == "Room 2"] == []
    room = flagged.registration.room.name
    assert by_room_type[(room, flag_label("several_faces"))] == (1, 0, 3)  # seen 3 times
    assert by_room_type[(room, flag_label("clipboard_used"))] == (0, 1, 0)  # dismissed
    assert by_room_type[(room, flag_label("fullscreen_left"))] == (1, 0, 1)
    counts = dict(decisions[1:5])
    assert sorted(counts.values()) == [0, 0, 1, 1]  # one violation, one not reviewed
    assert decisions[6][1] == 1  # voided by review
    rows = {row[0]: row for row in attempts[1:]}
    assert set(rows) == {flagged.registration.ticket_number, quiet.registration.ticket_number}
    mine = rows[flagged.registration.ticket_number]
    assert mine[2] == flagged.registration.candidate.id_number_masked
    assert mine[6:10] == (1, 0, 0, 1)  # high, medium, low, reports
    assert mine[11] == "Second person." and mine[12] == "reviewer-1" and mine[15]
    assert rows[quiet.registration.ticket_number][8] == 1


def test_the_summary_is_refused_for_an_exam_without_a_room_of_the_reviewer(reviewed):
    exam, _flagged, _quiet, _client = reviewed
    stranger = helpers.staff("reviewer-elsewhere")  # the permission, but no room
    client = Client()
    client.force_login(stranger)

    assert client.get(f"/review/exams/{exam.pk}/summary.xlsx").status_code == 404


def test_the_summary_command_writes_every_room_and_fails_clearly(reviewed, tmp_path):
    exam, _flagged, _quiet, _client = reviewed
    out = tmp_path / "summary.xlsx"
    printed = io.StringIO()

    call_command("review_export_summary", str(out), "--exam", exam.code, stdout=printed)

    assert str(out) in printed.getvalue()
    attempts = list(load_workbook(out).worksheets[2].iter_rows(values_only=True))
    assert len(attempts) == 4  # header + both rooms' three attempts
    failures = [
        ([str(tmp_path / "x.xlsx"), "--exam", "nope"], "nope"),
        ([str(tmp_path / "missing" / "x.xlsx"), "--exam", exam.code], "Cannot write"),
        ([str(out)], "--exam"),
    ]
    for argv, said in failures:
        with pytest.raises(CommandError) as failed:
            call_command("review_export_summary", *argv, stdout=io.StringIO())
        assert failed.value.returncode == 1 and said in str(failed.value)  # exit status 1
    assert not (tmp_path / "x.xlsx").exists()
