"""The demo data set: one organisation; the mock exam (three subjects, a session,
a room, a paper per subject, five candidates; identity checked against a first
capture that a proctor reviews later; plain browsers allowed) and a formal exam (one
subject, two of the same people; identity checked against photos the office enrols;
taken in the exam client only); staff accounts.

Idempotent: everything is keyed on natural keys, and existing rows are left as
they are, so running it twice changes nothing.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group, Permission
from django.db import transaction

from examhall.candidates import idnumbers
from examhall.candidates.models import Candidate, IdType, Registration
from examhall.core import clock, pii
from examhall.devtools.demo_questions import DEMO_QUESTIONS
from examhall.exams.models import Exam, Organisation, Room, Session, Subject
from examhall.identity.models import IdentityPolicy
from examhall.itembank.models import Paper, PaperQuestion, Question
from examhall.lockdown.models import ClientPolicy, Rule

EXAM_CODE = "dual-carbon-mock"
FORMAL_EXAM_CODE = "dual-carbon-2026"
# name, first 17 ID digits (as in CANDIDATES), ticket of the formal exam
FORMAL_CANDIDATES = [
    ("张伟", "11010519900307123", "2026120001"),
    ("王芳", "31010419921115234", "2026120002"),
]
SUBJECTS = [
    ("CEMT-ADV", "碳排放管理技术", "高级"),
    ("CAM-MID", "碳资产管理", "中级"),
    ("CEV-JUN", "碳排放核查", "初级"),
]
# name, first 17 digits of a (fictitious) resident ID number, ticket, subject code
CANDIDATES = [
    ("张伟", "11010519900307123", "2026110001", "CEMT-ADV"),
    ("王芳", "31010419921115234", "2026110002", "CEMT-ADV"),
    ("李娜", "44030519880521345", "2026110003", "CAM-MID"),
    ("刘洋", "51010719950630456", "2026110004", "CEV-JUN"),
    ("陈静", "33010619911009567", "2026110005", "CAM-MID"),
]
STAFF = [
    ("admin", "examhall-admin", True, "exam administrator"),
    ("proctor", "examhall-proctor", False, "proctor"),
    ("grader", "examhall-grader", False, "grader"),
    ("reviewer", "examhall-reviewer", False, "reviewer"),
]


@dataclass(frozen=True)
class DemoLogin:
    name: str
    ticket_number: str
    id_number: str
    subject: str


def full_id_number(first17: str) -> str:
    return first17 + idnumbers.check_digit(first17)


def _staff() -> None:
    user_model = get_user_model()
    proctors, _ = Group.objects.get_or_create(name="proctors")
    graders, _ = Group.objects.get_or_create(name="graders")
    graders.permissions.add(Permission.objects.get(codename="mark_answers",
                                                   content_type__app_label="grading"))
    proctors.permissions.add(*Permission.objects.filter(
        content_type__app_label="identity",
        codename__in=["review_identity", "view_identitycheck", "view_identitycapture",
                      "view_enrolmentphoto", "change_enrolmentphoto"]))
    proctors.permissions.add(*Permission.objects.filter(
        content_type__app_label="console", codename="proctor_rooms"))
    # Reviewers decide after the exam which attempts stand, for every room.
    reviewers, _ = Group.objects.get_or_create(name="reviewers")
    reviewers.permissions.add(*Permission.objects.filter(
        content_type__app_label="review", codename="review_attempts"))
    reviewers.permissions.add(*Permission.objects.filter(
        content_type__app_label="exams", codename="oversee_all_rooms"))
    groups = {"proctor": proctors, "grader": graders, "reviewer": reviewers}
    for username, password, is_superuser, role in STAFF:
        if user_model.objects.filter(username=username).exists():
            continue
        user = user_model(username=username, is_staff=True, is_superuser=is_superuser)
        user.set_password(password)
        user.save()
        if role in groups:
            user.groups.add(groups[role])


def _catalogue() -> tuple[Exam, dict[str, Subject], Session, Room]:
    organisation, _ = Organisation.objects.get_or_create(
        code="demo-centre", defaults={"name": "ExamHall 演示考评中心"}
    )
    exam, _ = Exam.objects.get_or_create(
        code=EXAM_CODE,
        defaults={
            "organisation": organisation,
            "name": "双碳职业能力考试（模拟）",
            "kind": Exam.Kind.MOCK,
            "is_published": True,
            "show_score_on_submit": True,
            "required_checks": [Exam.Check.DEVICE, Exam.Check.IDENTITY],
            "instructions": "本场为模拟考试，用于熟悉考试流程。请在规定时间内作答并交卷。",
        },
    )
    IdentityPolicy.objects.get_or_create(exam=exam, defaults={
        "mode": IdentityPolicy.Mode.FIRST_CAPTURE, "liveness": True, "max_tries": 3})
    subjects = {}
    for position, (code, specialty, level) in enumerate(SUBJECTS):
        subjects[code], _ = Subject.objects.get_or_create(
            exam=exam, code=code,
            defaults={"specialty": specialty, "level": level, "position": position},
        )
    today = clock.now().replace(hour=0, minute=0, second=0, microsecond=0)
    session, _ = Session.objects.get_or_create(
        exam=exam, name="模拟考试场次",
        defaults={
            "opens_at": today - dt.timedelta(days=1),
            "closes_at": today + dt.timedelta(days=365),
            "duration_minutes": 60,
        },
    )
    room, _ = Room.objects.get_or_create(session=session, name="第一考场",
                                         defaults={"capacity": 50})
    return exam, subjects, session, room


def _questions_and_papers(subjects: dict[str, Subject],
                          items_by_subject: dict[str, list[dict]] | None = None) -> None:
    for code, items in (items_by_subject or DEMO_QUESTIONS).items():
        subject = subjects[code]
        paper, _ = Paper.objects.get_or_create(
            subject=subject, name=f"{subject.display_name} 模拟卷"
        )
        for position, item in enumerate(items, start=1):
            question = _demo_question(subject, item)
            for part_position, part in enumerate(item.get("parts", []), start=1):
                _demo_question(subject, part, parent=question, position=part_position)
            PaperQuestion.objects.get_or_create(
                paper=paper, question=question, defaults={"position": position}
            )


def _demo_question(subject: Subject, item: dict, *, parent: Question | None = None,
                   position: int = 0) -> Question:
    question, _ = Question.objects.get_or_create(
        subject=subject, external_key=item["key"], is_current=True,
        defaults={
            "kind": item["kind"], "stem": item["stem"], "options": item.get("options", []),
            "answer": item.get("answer", []), "blanks": item.get("blanks", []),
            "reference_answer": item.get("reference_answer", ""), "score": item["score"],
            "explanation": item["explanation"], "parent": parent, "position": position,
        },
    )
    return question


def _candidates(exam: Exam, subjects: dict[str, Subject], session: Session,
                room: Room) -> list[DemoLogin]:
    logins = []
    for name, first17, ticket, subject_code in CANDIDATES:
        id_number = full_id_number(first17)
        candidate = Candidate.objects.filter(
            id_type=IdType.RESIDENT_ID, id_number_hash=pii.lookup_hash(id_number)
        ).first()
        if candidate is None:
            candidate = Candidate(name=name, id_type=IdType.RESIDENT_ID)
            candidate.set_id_number(id_number)
            candidate.save()
        Registration.objects.get_or_create(
            exam=exam, ticket_number=ticket,
            defaults={"candidate": candidate, "subject": subjects[subject_code],
                      "session": session, "room": room},
        )
        logins.append(DemoLogin(name, ticket, id_number, subjects[subject_code].display_name))
    return logins


def _formal_exam(organisation: Organisation) -> list[DemoLogin]:
    """A formal exam of the advanced subject for two of the people; identity is
    compared with photos the office enrols (none are shipped: upload one in the
    admin, or a proctor reviews the identity by hand)."""
    today = clock.now().replace(hour=0, minute=0, second=0, microsecond=0)
    exam, _ = Exam.objects.get_or_create(
        code=FORMAL_EXAM_CODE,
        defaults={
            "organisation": organisation, "name": "双碳职业能力考试（2026 年第四季度）",
            "kind": Exam.Kind.FORMAL, "is_published": True, "show_score_on_submit": False,
            # The phone must reach the server: set PUBLIC_URL to an HTTPS address phones
            # can open (README, "The phone as second camera").
            # The environment check is the exam client's report (ADR 0012).
            "required_checks": [Exam.Check.ENVIRONMENT, Exam.Check.DEVICE,
                                Exam.Check.IDENTITY, Exam.Check.SECOND_CAMERA,
                                Exam.Check.ADMISSION],
            # Signing in again once the exam runs (another browser, after a crash)
            # needs the proctor's permission, given in the console.
            "reentry_needs_approval": True,
            "instructions": "本场为正式考试。请独立作答，考试全程录像并由监考员审核。",
        },
    )
    IdentityPolicy.objects.get_or_create(exam=exam, defaults={
        "mode": IdentityPolicy.Mode.ENROLLED, "liveness": True, "max_tries": 3})
    # Taken in the exam client only (ADR 0012); demo machines are often virtual
    # machines, so a VM is a warning here rather than a refusal.
    ClientPolicy.objects.get_or_create(exam=exam, defaults={
        "requires_client": True, "virtual_machine": Rule.WARN})
    code, specialty, level = SUBJECTS[0]
    subject, _ = Subject.objects.get_or_create(
        exam=exam, code=code, defaults={"specialty": specialty, "level": level, "position": 0})
    session, _ = Session.objects.get_or_create(
        exam=exam, name="正式考试场次",
        defaults={"opens_at": today - dt.timedelta(days=1),
                  "closes_at": today + dt.timedelta(days=365), "duration_minutes": 90})
    room, _ = Room.objects.get_or_create(session=session, name="线上考场 A",
                                         defaults={"capacity": 50})
    _questions_and_papers({code: subject}, items_by_subject={code: DEMO_QUESTIONS[code]})
    logins = []
    for name, first17, ticket in FORMAL_CANDIDATES:
        candidate = Candidate.objects.get(id_type=IdType.RESIDENT_ID,
                                          id_number_hash=pii.lookup_hash(full_id_number(first17)))
        Registration.objects.get_or_create(
            exam=exam, ticket_number=ticket,
            defaults={"candidate": candidate, "subject": subject, "session": session,
                      "room": room})
        logins.append(DemoLogin(name, ticket, full_id_number(first17), subject.display_name))
    return logins


@transaction.atomic
def seed_demo() -> list[DemoLogin]:
    _staff()
    exam, subjects, session, room = _catalogue()
    # The mock exam opens in any browser (the exam client may still be used for it).
    # Browsers welcome; a candidate who practises in the exam client on a virtual
    # machine is warned, as in the formal demo exam.
    ClientPolicy.objects.get_or_create(exam=exam, defaults={
        "requires_client": False, "virtual_machine": Rule.WARN})
    _questions_and_papers(subjects)
    logins = _candidates(exam, subjects, session, room)
    _formal_exam(exam.organisation)
    # The demo proctor watches the demo's rooms (a proctor sees only their own rooms).
    proctor = get_user_model().objects.get(username="proctor")
    proctor.proctored_rooms.add(*Room.objects.filter(
        session__exam__code__in=[EXAM_CODE, FORMAL_EXAM_CODE]))
    return logins


def formal_logins() -> list[DemoLogin]:
    """The formal exam's demo logins (after ``seed_demo``)."""
    subject = Subject.objects.get(exam__code=FORMAL_EXAM_CODE, code=SUBJECTS[0][0])
    return [DemoLogin(name, ticket, full_id_number(first17), subject.display_name)
            for name, first17, ticket in FORMAL_CANDIDATES]
