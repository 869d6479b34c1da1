"""Fill-in-the-blank questions: delivered with their gaps (never the answers), saved
as one text per gap, marked per gap with normalisation."""

from decimal import Decimal

import pytest

from examhall.delivery.tests.helpers import CandidateClient
from examhall.devtools import factories
from examhall.itembank.models import PaperQuestion, Question

pytestmark = pytest.mark.django_db


@pytest.fixture
def candidate() -> tuple[CandidateClient, str]:
    _e, subject, _se, _r, [(registration, id_number)] = factories.make_sitting(questions=1)
    question = Question.objects.create(
        subject=subject, kind="fill_blank", score=Decimal("4"),
        stem="1 吨碳完全燃烧生成 {{1}}，约 {{2}} 吨。",
        blanks=[{"key": "1", "answers": ["二氧化碳", "CO2"]},
                {"key": "2", "answers": ["3.67"], "numeric": True, "tolerance": "0.01"}],
    )
    PaperQuestion.objects.create(paper=subject.papers.get(), question=question, position=2)
    client = CandidateClient(registration, id_number)
    client.login()
    return client, str(question.pk)


def test_gaps_are_shown_without_answers(candidate):
    client, question_id = candidate
    body = client.start()
    shown = next(q for q in body["questions"] if q["id"] == question_id)
    assert shown["kind"] == "fill_blank"
    assert shown["blanks"] == ["1", "2"]
    assert "二氧化碳" not in str(body) and "3.67" not in str(body)


def test_answers_are_marked_per_gap_with_normalisation(candidate):
    client, question_id = candidate
    client.start()
    assert client.save(question_id, ["ｃｏ２", "3.666"]).status_code == 200
    body = client.post("/submit").json()
    assert Decimal(body["result"]["score"]) == Decimal("4")


def test_one_wrong_gap_earns_the_other_half(candidate):
    client, question_id = candidate
    client.start()
    client.save(question_id, ["二氧化碳", "4"])
    body = client.post("/submit").json()
    assert Decimal(body["result"]["score"]) == Decimal("2")


def test_an_overlong_gap_answer_is_refused(candidate):
    client, question_id = candidate
    client.start()
    response = client.save(question_id, ["x" * 201])
    assert response.status_code == 422
    assert response.json()["error"]["code"] == "invalid_input"
