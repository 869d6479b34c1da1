"""Case questions: the shared material is delivered with each of its sub-questions,
which are answered, saved and marked like any other question; the attempt keeps
the material (and its version) it showed."""

from decimal import Decimal

import pytest

from examhall.delivery.models import Attempt
from examhall.delivery.tests.helpers import CandidateClient
from examhall.devtools import factories
from examhall.itembank import services as itembank
from examhall.itembank.models import Paper, PaperQuestion, PaperSection, Question

pytestmark = pytest.mark.django_db

MATERIAL = (
    "<p>某企业 2025 年的能源消耗如下表。</p>"
    "<table><tr><th>能源</th><th>消耗量</th></tr><tr><td>天然气</td><td>100 万 m³</td></tr>"
    "</table><script>alert(1)</script>"
)


def _case(subject, *, stem: str = MATERIAL) -> tuple[Question, Question, Question]:
    case = Question.objects.create(subject=subject, kind="case", stem=stem, score=5)
    single = Question.objects.create(
        subject=subject, kind="single", parent=case, position=1, score=Decimal("2"),
        stem="该企业主要能源是？", answer=["B"],
        options=[{"key": "A", "text": "煤"}, {"key": "B", "text": "<b>天然气</b>"}])
    blank = Question.objects.create(
        subject=subject, kind="fill_blank", parent=case, position=2, score=Decimal("3"),
        stem="天然气属于 {{1}} 能源。", blanks=[{"key": "1", "answers": ["化石"]}])
    return case, single, blank


@pytest.fixture
def sitting():
    _e, subject, _se, _r, people = factories.make_sitting(questions=1, candidates=2)
    case, single, blank = _case(subject)
    PaperQuestion.objects.create(paper=subject.papers.get(), question=case, position=2)
    return subject, case, single, blank, people


def _client(person) -> CandidateClient:
    client = CandidateClient(*person)
    assert client.login().status_code == 200
    return client


def test_sub_questions_are_delivered_under_their_material(sitting):
    _subject, case, single, blank, people = sitting
    body = _client(people[0]).start()
    shown = body["questions"]
    assert [q["id"] for q in shown[1:]] == [str(single.pk), str(blank.pk)]
    assert shown[0]["case"] is None
    first, second = shown[1]["case"], shown[2]["case"]
    assert first["id"] == second["id"] == str(case.pk)
    assert (first["number"], first["position"], first["size"]) == (1, 1, 2)
    assert (second["position"], second["size"]) == (2, 2)
    assert "<table>" in first["material"] and "<th>能源</th>" in first["material"]
    assert "script" not in first["material"] and "alert" not in first["material"]
    assert [q["number"] for q in shown] == [1, 2, 3]
    assert shown[1]["options"][1]["text"] == "<b>天然气</b>"
    assert "化石" not in str(body)  # the answers never leave
    assert Decimal(shown[1]["score"]) == 2 and Decimal(shown[2]["score"]) == 3


def test_sub_questions_are_saved_and_marked_on_their_own_points(sitting):
    _subject, _case_q, single, blank, people = sitting
    client = _client(people[0])
    client.start()
    assert client.save(str(single.pk), ["B"]).status_code == 200
    assert client.save(str(blank.pk), ["化石"]).status_code == 200
    result = client.post("/submit").json()["result"]
    assert Decimal(result["score"]) == Decimal("5")  # 2 + 3; the first question unanswered


def test_plain_text_keeps_its_line_breaks_and_is_escaped(sitting):
    _subject, case, *_rest, people = sitting
    case.stem = "第一行 a < b\n第二行 <not a tag>"
    case.save()
    material = _client(people[0]).start()["questions"][1]["case"]["material"]
    assert material == "第一行 a &lt; b<br>第二行 &lt;not a tag>"


def test_an_attempt_keeps_the_material_it_showed_after_the_case_is_revised(sitting):
    _subject, case, single, blank, people = sitting
    _client(people[0]).start()
    case.refresh_from_db()
    assert case.delivered_at is not None  # showing the material delivers it
    revised = itembank.question_revise(question=case, changes={"stem": "<p>修订后的材料</p>"})
    assert revised.pk != case.pk
    assert set(revised.sub_questions.values_list("pk", flat=True)) == {single.pk, blank.pk}

    first_again = CandidateClient(*people[0])
    first_again.login()
    again = first_again.get().json()["questions"][1]["case"]
    assert again["id"] == str(case.pk) and "天然气" in again["material"]

    second = _client(people[1]).start()["questions"][1]["case"]
    assert second["id"] == str(revised.pk) and second["material"] == "<p>修订后的材料</p>"


def test_a_revised_sub_question_stays_in_its_case(sitting):
    _subject, case, single, _blank, people = sitting
    _client(people[0]).start()
    single.refresh_from_db()
    new = itembank.question_revise(question=single, changes={"stem": "新的小题"})
    assert new.pk != single.pk and new.parent_id == case.pk
    shown = _client(people[1]).start()["questions"]
    assert [q["stem"] for q in shown[1:]] == ["新的小题", "天然气属于 {{1}} 能源。"]


def test_a_rule_section_of_cases_shares_its_points_by_sub_question_scores():
    _e, subject, _se, _r, [person] = factories.make_sitting(questions=0)
    subject.papers.all().delete()
    _case(subject)
    Question.objects.create(subject=subject, kind="case", stem="没有小题的案例", score=5)
    paper = Paper.objects.create(subject=subject, name="案例卷", kind=Paper.Kind.RULES)
    section = PaperSection.objects.create(paper=paper, position=1, name="案例分析", count=1,
                                          question_kind="case", points=Decimal("10"))
    assert itembank.paper_check(paper=paper) == []
    section.count = 2
    section.save()
    [short] = itembank.paper_check(paper=paper)  # the empty case cannot be drawn
    assert (short.section, short.needed, short.available) == ("案例分析", 2, 1)
    section.count = 1
    section.save()

    body = _client(person).start()
    points = [Decimal(q["score"]) for q in body["questions"]]
    assert points == [Decimal("4"), Decimal("6")]  # 10 shared 2 : 3
    spec = Attempt.objects.get().paper_spec["questions"]
    assert {entry["section"] for entry in spec.values()} == {"案例分析"}


def test_points_shared_in_thirds_still_add_up_to_the_section():
    _e, subject, _se, _r, [person] = factories.make_sitting(questions=0)
    subject.papers.all().delete()
    case = Question.objects.create(subject=subject, kind="case", stem="材料", score=3)
    for position in range(3):
        Question.objects.create(subject=subject, kind="true_false", parent=case,
                                position=position, stem=f"判断{position}", score=1,
                                options=[{"key": "T", "text": "正确"},
                                         {"key": "F", "text": "错误"}], answer=["T"])
    paper = Paper.objects.create(subject=subject, name="案例卷", kind=Paper.Kind.RULES)
    PaperSection.objects.create(paper=paper, position=1, name="案例", count=1,
                                question_kind="case", points=Decimal("10"))
    points = [Decimal(q["score"]) for q in _client(person).start()["questions"]]
    assert points == [Decimal("3.33"), Decimal("3.33"), Decimal("3.34")]
    preview = itembank.paper_preview(paper=paper)
    assert (preview.count, preview.total) == (3, Decimal("10"))


def test_a_sub_question_put_in_a_fixed_paper_alone_shows_its_material():
    _e, subject, _se, _r, [person] = factories.make_sitting(questions=0)
    case, single, _blank = _case(subject)
    PaperQuestion.objects.create(paper=subject.papers.get(), question=single, position=1)
    [shown] = _client(person).start()["questions"]
    assert shown["case"]["id"] == str(case.pk) and shown["case"]["size"] == 1
