"""Builders for roster tests: an exam set up like an exam office's, and xlsx sheets."""

from __future__ import annotations

import datetime as dt
import io
import itertools
from dataclasses import dataclass
from typing import Any

import openpyxl

from examhall.candidates import idnumbers
from examhall.core import clock
from examhall.exams.models import Exam, Organisation, Room, Session, Subject

HEADER = ["姓名", "证件类型", "证件号码", "报考科目", "场次", "考场", "准考证号", "延长时间(分钟)"]
SUBJECT_NAME = "碳排放管理技术（高级）"

_serial = itertools.count(100)


def id_number(region: str = "110105", born: str = "19900307", sequence: int | None = None) -> str:
    """A valid resident ID number, different on every call unless ``sequence`` is given."""
    first_17 = f"{region}{born}{(next(_serial) if sequence is None else sequence) % 1000:03d}"
    return first_17 + idnumbers.check_digit(first_17)


@dataclass
class ExamSetup:
    exam: Exam
    subject: Subject
    other_subject: Subject
    session: Session
    room: Room
    other_session: Session
    other_room: Room

    def row(self, name: str = "张三", number: str | None = None, **overrides: Any) -> list[Any]:
        """A valid roster row; override columns by key (``ticket_number="A1"``)."""
        values = {
            "name": name, "id_type": "居民身份证", "id_number": number or id_number(),
            "subject": SUBJECT_NAME, "session": self.session.name, "room": self.room.name,
            "ticket_number": "", "extra_minutes": "",
        }
        values.update(overrides)
        return list(values.values())


def make_exam_setup(*, code: str = "dc-2025", capacity: int = 50) -> ExamSetup:
    organisation, _ = Organisation.objects.get_or_create(code="org", defaults={"name": "Org"})
    exam = Exam.objects.create(organisation=organisation, code=code, name=f"Exam {code}")
    subject = Subject.objects.create(exam=exam, code="CEM-ADV", specialty="碳排放管理技术",
                                     level="高级")
    other_subject = Subject.objects.create(exam=exam, code="CEM-MID",
                                           specialty="碳排放管理技术", level="中级")
    opens = clock.now() + dt.timedelta(days=7)
    session = Session.objects.create(exam=exam, name="第一场", opens_at=opens,
                                     closes_at=opens + dt.timedelta(hours=3),
                                     duration_minutes=120)
    other_session = Session.objects.create(exam=exam, name="第二场",
                                           opens_at=opens + dt.timedelta(days=1),
                                           closes_at=opens + dt.timedelta(days=1, hours=3),
                                           duration_minutes=120)
    room = Room.objects.create(session=session, name="第1考场", capacity=capacity)
    other_room = Room.objects.create(session=other_session, name="第9考场", capacity=capacity)
    return ExamSetup(exam, subject, other_subject, session, room, other_session, other_room)


def xlsx(rows: list[list[Any]], *, header: list[str] | None = None,
         above: list[list[Any]] | None = None) -> io.BytesIO:
    """An in-memory workbook: optional title rows, the header, then ``rows``."""
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    for line in [*(above or []), header or HEADER, *rows]:
        sheet.append(line)
    data = io.BytesIO()
    workbook.save(data)
    data.seek(0)
    return data
