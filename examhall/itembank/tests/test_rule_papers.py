"""Rule-based papers: checked on save, drawn per candidate at start, frozen, graded."""

from decimal import Decimal

import pytest
from django.urls import reverse

from examhall.delivery.tests.helpers import CandidateClient
from examhall.devtools import factories
from examhall.grading.models import AttemptResult
from examhall.itembank import services
from examhall.itembank.models import Paper, PaperSection, Question, Tag

pytestmark = pytest.mark.django_db


@pytest.fixture
def rule_sitting():
    """A subject whose active paper draws 4 singles tagged 核算 and 2 true/false."""
    _exam, subject, _session, _room, people = factories.make_sitting(questions=0, candidates=2)
    subject.papers.all().delete()
    tag = Tag.objects.create(name="核算")
    for n in range(10):
        question = Question.objects.create(
            subject=subject, kind="single", stem=f"单选{n}", score=1, difficulty=1 + n % 5,
            options=[{"key": k, "text": f"{k}{n}"} for k in "ABCD"], answer=["A"])
        question.tags.add(tag)
    for n in range(4):
        Question.objects.create(subject=subject, kind="true_false", stem=f"判断{n}", score=1,
                                options=[{"key": "T", "text": "正确"},
                                         {"key": "F", "text": "错误"}],
                                answer=["T"])
    paper = Paper.objects.create(subject=subject, name="规则卷", kind=Paper.Kind.RULES,
                                 shuffle_questions=True, shuffle_options=True)
    single = PaperSection.objects.create(paper=paper, position=1, name="单选", count=4,
                                         question_kind="single", points=Decimal("2.5"))
    single.tags.add(tag)
    PaperSection.objects.create(paper=paper, position=2, name="判断", count=2,
                                question_kind="true_false", points=Decimal("1"))
    return paper, people


def test_check_and_preview(rule_sitting):
    paper, _people = rule_sitting
    assert services.paper_check(paper=paper) == []
    preview = services.paper_preview(paper=paper)
    assert (preview.count, preview.total) == (6, Decimal("12.0"))
    assert sum(preview.difficulty.values()) == 4 + 2


def test_short_section_is_named_with_numbers(rule_sitting):
    paper, _people = rule_sitting
    PaperSection.objects.create(paper=paper, position=3, name="多选", count=3,
                                question_kind="multiple", points=Decimal("3"))
    [shortfall] = services.paper_check(paper=paper)
    assert (shortfall.section, shortfall.needed, shortfall.available) == ("多选", 3, 0)


def test_each_candidate_gets_a_frozen_drawn_paper_and_is_graded_on_its_points(rule_sitting):
    _paper, people = rule_sitting
    alice, bob = CandidateClient(*people[0]), CandidateClient(*people[1])
    alice.login()
    bob.login()
    a = alice.start()
    b = bob.start()

    assert [q["kind"] for q in a["questions"]] == ["single"] * 4 + ["true_false"] * 2
    assert [Decimal(q["score"]) for q in a["questions"]] == [Decimal("2.5")] * 4 + [1] * 2

    def shown(body):
        return [(q["id"], tuple(o["key"] for o in q["options"])) for q in body["questions"]]

    assert shown(a) != shown(b)  # another seed, another draw (order, questions or options)
    assert alice.get().json()["questions"] == a["questions"]  # frozen: a reload shows the same

    for question in a["questions"]:
        alice.save(question["id"], ["A"] if question["kind"] == "single" else ["T"])
    result = alice.post("/submit").json()["result"]
    assert Decimal(result["score"]) == Decimal(result["max_score"]) == Decimal("12")
    assert AttemptResult.objects.count() == 1


def test_admin_preview_shows_size_and_total(rule_sitting, admin_client):
    paper, _people = rule_sitting
    response = admin_client.post(reverse("admin:itembank_paper_changelist"),
                                 {"action": "preview", "_selected_action": [paper.pk]},
                                 follow=True)
    messages = [str(m) for m in response.context["messages"]]
    assert any("规则卷" in m and "6" in m and "12" in m for m in messages), messages
