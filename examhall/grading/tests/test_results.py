"""Results: published by the office, looked up by the candidate, exported to Excel."""

import io
import json
from decimal import Decimal

import pytest
from django.core.management import call_command
from django.urls import reverse
from openpyxl import load_workbook

from examhall.delivery.tests.helpers import CandidateClient
from examhall.devtools import factories
from examhall.grading.models import AttemptResult

pytestmark = pytest.mark.django_db


@pytest.fixture
def graded():
    """Two candidates: one submitted 4 of 10 points, one never started."""
    exam, subject, _se, _r, people = factories.make_sitting(candidates=2, show_score=False)
    subject.pass_mark = Decimal("6")
    subject.save()
    candidate = CandidateClient(*people[0])
    candidate.login()
    questions = [q["id"] for q in candidate.start()["questions"]]
    candidate.save(questions[0], ["A"])
    candidate.save(questions[1], ["A", "C"])
    done = candidate.post("/submit").json()
    assert done["result"] == {"show_score": False, "score": None, "max_score": None}
    return exam, people


def _lookup(client, exam, registration, id_number):
    return client.post(f"/results/{exam.code}/", {"ticket_number": registration.ticket_number,
                                                  "id_number": id_number})


def test_before_publication_the_lookup_says_not_yet(graded, client):
    exam, people = graded
    response = _lookup(client, exam, *people[0])
    assert response.status_code == 200
    assert "尚未公布" in response.content.decode()
    assert "4.00" not in response.content.decode()


def test_after_publication_the_candidate_sees_score_and_outcome(graded, client):
    exam, people = graded
    call_command("grading_publish_results", "--exam", exam.code, stdout=io.StringIO())

    body = _lookup(client, exam, *people[0]).content.decode()

    assert "4.00 / 10.00" in body
    assert 'id="result-outcome"' in body and "text-bg-secondary" in body  # not passed (< 6)
    # the candidate's own done page now shows the score too
    candidate = CandidateClient(*people[0])
    candidate.login()
    assert candidate.get().json()["result"]["score"] == "4.00"


def test_wrong_id_gets_the_same_refusal_and_no_result(graded, client):
    exam, people = graded
    call_command("grading_publish_results", "--exam", exam.code, stdout=io.StringIO())
    registration, _id = people[0]
    body = _lookup(client, exam, registration, factories.resident_id_number(996)).content.decode()
    assert 'id="lookup-error"' in body
    assert "4.00" not in body and registration.candidate.name not in body


def test_export_lists_every_registration_with_masked_ids(graded, tmp_path):
    exam, people = graded
    out = tmp_path / "results.xlsx"
    call_command("grading_export_results", str(out), "--exam", exam.code, stdout=io.StringIO())
    rows = list(load_workbook(out).active.iter_rows(values_only=True))
    assert len(rows) == 3  # header + two registrations
    by_ticket = {row[0]: row for row in rows[1:]}
    first, second = (by_ticket[reg.ticket_number] for reg, _id in people)
    assert first[7] == 4 and first[8] == 10
    assert second[7] is None
    assert all("*" in row[2] for row in rows[1:])
    assert people[0][1] not in str(rows)  # never the full ID number


def test_item_statistics_after_the_exam(graded, tmp_path):
    exam, _people = graded
    out = io.StringIO()
    call_command("grading_item_statistics", "--exam", exam.code, stdout=out)
    reports = json.loads(out.getvalue())
    assert len(reports) == 5  # every question of the one graded attempt
    first = next(r for r in reports if r["statistics"]["option_counts"].get("A"))
    assert first["statistics"]["facility"] == 1.0
    assert "few_responses" in first["statistics"]["flags"]
    unanswered = [r for r in reports if r["statistics"]["option_counts"] == {"": 1}]
    assert len(unanswered) == 3 and all(r["statistics"]["facility"] == 0 for r in unanswered)
    book = tmp_path / "items.xlsx"
    call_command("grading_item_statistics", "--exam", exam.code, "--out", str(book),
                 stdout=io.StringIO())
    assert len(list(load_workbook(book).active.iter_rows(values_only=True))) == 6


def test_admin_actions_publish_and_export(graded, admin_client):
    exam, _people = graded
    url = reverse("admin:grading_attemptresult_changelist")
    selected = list(AttemptResult.objects.values_list("pk", flat=True))
    admin_client.post(url, {"action": "publish_results", "_selected_action": selected})
    exam.refresh_from_db()
    assert exam.results_published_at is not None
    for action in ("export_results", "export_item_statistics"):
        response = admin_client.post(url, {"action": action, "_selected_action": selected})
        assert response["Content-Type"].startswith("application/vnd.openxmlformats")
        assert load_workbook(io.BytesIO(response.content)).active.max_row >= 2


def test_the_exam_page_links_to_the_lookup_once_published(graded, client):
    exam, _people = graded
    assert 'id="result-lookup-link"' not in client.get(f"/exam/{exam.code}/").content.decode()
    call_command("grading_publish_results", "--exam", exam.code, stdout=io.StringIO())
    page = client.get(f"/exam/{exam.code}/").content.decode()
    assert f'href="/results/{exam.code}/"' in page
