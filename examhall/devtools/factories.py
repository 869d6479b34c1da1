"""Test and load-generation factories: plain functions with sensible defaults."""

from __future__ import annotations

import datetime as dt
import itertools

from examhall.candidates import idnumbers
from examhall.candidates.models import Candidate, IdType, Registration
from examhall.core import clock
from examhall.exams.models import Exam, Organisation, Room, Session, Subject
from examhall.itembank.models import Paper, PaperQuestion, Question

_counter = itertools.count(1)


def resident_id_number(n: int | None = None) -> str:
    """A valid (checksummed) fictitious resident ID number, unique per ``n``."""
    n = next(_counter) if n is None else n
    first17 = f"110105{1960 + n % 40:04d}{1 + n % 12:02d}{1 + n % 28:02d}{n % 1000:03d}"
    return first17 + idnumbers.check_digit(first17)


def make_exam(*, code: str | None = None, show_score: bool = True,
              required_checks: list[str] | None = None, published: bool = True) -> Exam:
    n = next(_counter)
    organisation, _ = Organisation.objects.get_or_create(code="test-org",
                                                         defaults={"name": "Test org"})
    return Exam.objects.create(
        organisation=organisation, code=code or f"exam-{n}", name=f"Exam {n}",
        is_published=published, show_score_on_submit=show_score,
        required_checks=required_checks or [],
    )


def make_subject(*, exam: Exam, code: str = "SUBJ", specialty: str = "碳排放管理技术",
                 level: str = "高级") -> Subject:
    return Subject.objects.create(exam=exam, code=code, specialty=specialty, level=level)


def make_session(*, exam: Exam, opens_in: dt.timedelta = dt.timedelta(hours=-1),
                 length: dt.timedelta = dt.timedelta(hours=4), duration_minutes: int = 60,
                 late_entry_minutes: int | None = None) -> Session:
    opens_at = clock.now() + opens_in
    return Session.objects.create(
        exam=exam, name=f"Session {next(_counter)}", opens_at=opens_at,
        closes_at=opens_at + length, duration_minutes=duration_minutes,
        late_entry_minutes=late_entry_minutes,
    )


def make_room(*, session: Session, name: str = "Room 1") -> Room:
    return Room.objects.create(session=session, name=name, capacity=50)


def make_paper(*, subject: Subject, count: int = 5) -> Paper:
    """A paper of ``count`` questions cycling single / multiple / true-false.

    Correct answers: single "A", multiple "A"+"C", true-false "T".
    """
    paper = Paper.objects.create(subject=subject, name=f"Paper {next(_counter)}")
    kinds = [Question.Kind.SINGLE, Question.Kind.MULTIPLE, Question.Kind.TRUE_FALSE]
    for position in range(1, count + 1):
        kind = kinds[(position - 1) % 3]
        if kind == Question.Kind.TRUE_FALSE:
            options = [{"key": "T", "text": "正确"}, {"key": "F", "text": "错误"}]
            answer = ["T"]
        else:
            options = [{"key": k, "text": f"Option {k}"} for k in "ABCD"]
            answer = ["A", "C"] if kind == Question.Kind.MULTIPLE else ["A"]
        question = Question.objects.create(
            subject=subject, kind=kind, stem=f"Question {position}", options=options,
            answer=answer, score=2,
        )
        PaperQuestion.objects.create(paper=paper, question=question, position=position)
    return paper


def make_registration(*, exam: Exam, subject: Subject, session: Session, room: Room,
                      ticket_number: str | None = None, id_number: str | None = None,
                      name: str = "张三", extra_minutes: int = 0) -> Registration:
    id_number = id_number or resident_id_number()
    candidate = Candidate(name=name, id_type=IdType.RESIDENT_ID)
    candidate.set_id_number(id_number)
    candidate.save()
    return Registration.objects.create(
        candidate=candidate, exam=exam, subject=subject, session=session, room=room,
        ticket_number=ticket_number or f"T{next(_counter):08d}", extra_minutes=extra_minutes,
    )


def make_sitting(*, questions: int = 5, candidates: int = 1, **exam_options: object
                 ) -> tuple[Exam, Subject, Session, Room, list[tuple[Registration, str]]]:
    """An open exam with one subject, session, room, paper and registered candidates.

    Returns the registrations with their clear ID numbers (for logging in).
    """
    exam = make_exam(**exam_options)  # type: ignore[arg-type]
    subject = make_subject(exam=exam)
    session = make_session(exam=exam)
    room = make_room(session=session)
    make_paper(subject=subject, count=questions)
    people = []
    for _ in range(candidates):
        id_number = resident_id_number()
        registration = make_registration(exam=exam, subject=subject, session=session,
                                         room=room, id_number=id_number)
        people.append((registration, id_number))
    return exam, subject, session, room, people
