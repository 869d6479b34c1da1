"""Results: publication, the candidate's look-up, the office's Excel exports and
the item statistics after an exam."""

from __future__ import annotations

import io
from dataclasses import dataclass
from decimal import Decimal

from django.db import transaction
from django.utils.translation import gettext as _
from openpyxl import Workbook

from examhall.candidates import selectors as candidate_selectors
from examhall.core import clock
from examhall.core.errors import ApplicationError
from examhall.delivery.models import Answer, Attempt, AttemptState
from examhall.exams.models import Exam
from examhall.grading.item_statistics import ItemResponse, ItemStatistics, item_statistics
from examhall.grading.models import AttemptResult, QuestionMark
from examhall.itembank.models import Question


@dataclass(frozen=True)
class CandidateResult:
    name: str
    ticket_number: str
    subject: str
    score: Decimal | None
    max_score: Decimal | None
    passed: bool | None  # None: the subject has no pass mark, or no result
    voided: bool = False  # the attempt was voided (misconduct): no score is shown


def passed(score: Decimal | None, pass_mark: Decimal | None) -> bool | None:
    if score is None or pass_mark is None:
        return None
    return score >= pass_mark


@transaction.atomic
def results_publish(*, exam: Exam) -> Exam:
    """Let candidates look up their results (idempotent: the first time stays)."""
    exam = Exam.objects.select_for_update().get(pk=exam.pk)
    if exam.results_published_at is None:
        exam.results_published_at = clock.now()
        exam.save(update_fields=["results_published_at", "updated_at"])
    return exam


def result_lookup(*, exam: Exam, ticket_number: str, id_number: str) -> CandidateResult:
    """A candidate's published result, found by admission ticket and ID number."""
    registration = candidate_selectors.registration_for_ticket_and_id(
        exam=exam, ticket_number=ticket_number, id_number=id_number)
    if exam.results_published_at is None:
        raise ApplicationError("results_not_published",
                               _("The results of this exam have not been published yet."),
                               status=403)
    result = AttemptResult.objects.filter(attempt__registration=registration).first()
    voided = Attempt.objects.filter(registration=registration,
                                    state=AttemptState.VOIDED).exists()
    if voided:
        result = None
    return CandidateResult(
        name=registration.candidate.name,
        ticket_number=registration.ticket_number,
        subject=registration.subject.display_name,
        score=result.score if result else None,
        max_score=result.max_score if result else None,
        passed=passed(result.score if result else None, registration.subject.pass_mark),
        voided=voided,
    )


def results_workbook(*, exam: Exam, subject_code: str = "", room_name: str = "") -> bytes:
    """Every registration of the exam with its result, for the exam office (ID masked)."""
    attempts = {a.registration_id: a for a in Attempt.objects.filter(
        registration__exam=exam).select_related("result")}
    registrations = exam.registrations.select_related(
        "candidate", "subject", "session", "room").order_by("subject__position", "ticket_number")
    if subject_code:
        registrations = registrations.filter(subject__code=subject_code)
    if room_name:
        registrations = registrations.filter(room__name=room_name)
    book = Workbook()
    sheet = book.active
    sheet.title = _("Results")[:31]
    sheet.append([_("admission ticket number"), _("full name"), _("ID number"), _("subject"),
                  _("session"), _("room"), _("state"), _("score"), _("maximum score"),
                  _("passed")])
    for registration in registrations:
        attempt = attempts.get(registration.pk)
        result = getattr(attempt, "result", None) if attempt else None
        if attempt and attempt.state == AttemptState.VOIDED:
            result = None
        outcome = passed(result.score if result else None, registration.subject.pass_mark)
        sheet.append([
            registration.ticket_number, registration.candidate.name,
            registration.candidate.id_number_masked, registration.subject.display_name,
            registration.session.name, registration.room.name,
            attempt.get_state_display() if attempt else _("not started"),
            float(result.score) if result else None,
            float(result.max_score) if result else None,
            "" if outcome is None else (_("pass") if outcome else _("fail")),
        ])
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


@dataclass(frozen=True)
class ItemReport:
    question_id: str
    subject: str
    kind: str
    stem: str
    statistics: ItemStatistics


def item_reports(*, exam: Exam) -> list[ItemReport]:
    """Item statistics of every question marked in the exam (graded attempts)."""
    totals = dict(AttemptResult.objects.filter(attempt__registration__exam=exam)
                  .values_list("attempt_id", "score"))
    answers = {(a, q): v for a, q, v in Answer.objects.filter(
        attempt_id__in=totals).values_list("attempt_id", "question_id", "value")}
    responses: dict[object, list[ItemResponse]] = {}
    rows = list(QuestionMark.objects.filter(attempt_id__in=totals).values_list(
        "attempt_id", "question_id", "awarded", "maximum", "question__kind"))
    for attempt_id, question_id, awarded, maximum, kind in rows:
        value = answers.get((attempt_id, question_id)) or []
        # option keys for choice questions; texts (gaps, essays) are not "options"
        chosen = tuple(value) if kind in {"single", "multiple", "true_false"} else ()
        responses.setdefault(question_id, []).append(ItemResponse(
            awarded=float(awarded), maximum=float(maximum),
            paper_total=float(totals[attempt_id]), chosen=chosen))
    questions = Question.objects.select_related("subject").in_bulk(list(responses))
    return [
        ItemReport(str(qid), questions[qid].subject.display_name, questions[qid].kind,
                   questions[qid].stem[:80], item_statistics(rows))
        for qid, rows in sorted(responses.items(), key=lambda pair: (
            questions[pair[0]].subject.position, questions[pair[0]].created_at))
    ]


def item_statistics_workbook(*, exam: Exam) -> bytes:
    book = Workbook()
    sheet = book.active
    sheet.title = _("Item statistics")[:31]
    sheet.append([_("subject"), _("type"), _("stem"), _("responses"), _("facility"),
                  _("discrimination"), _("option choices"), _("flags")])
    for report in item_reports(exam=exam):
        stats = report.statistics
        sheet.append([report.subject, report.kind, report.stem, stats.responses, stats.facility,
                      stats.discrimination,
                      "; ".join(f"{key or '—'}: {count}"
                                for key, count in stats.option_counts.items()),
                      ", ".join(stats.flags)])
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()
