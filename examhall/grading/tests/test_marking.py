"""Essays: marked by people through the queue; double marking and arbitration."""

from decimal import Decimal

import pytest
from django.contrib.auth.models import Permission

from examhall.core.errors import ApplicationError
from examhall.delivery.models import Attempt
from examhall.delivery.tests.helpers import CandidateClient
from examhall.devtools import factories
from examhall.grading import marking, services
from examhall.grading.models import AttemptResult, Marking
from examhall.itembank.models import PaperQuestion, Question

pytestmark = pytest.mark.django_db


def _sitting(*, double: bool = False):
    """One choice question (answered right: 2 points) and one 10-point essay."""
    _e, subject, _se, _r, [(registration, id_number)] = factories.make_sitting(questions=1)
    paper = subject.papers.get()
    paper.double_marking = double
    paper.arbitration_threshold = Decimal("2")
    paper.save()
    essay = Question.objects.create(subject=subject, kind="essay", score=10,
                                    stem="简述碳排放核查的主要步骤。")
    PaperQuestion.objects.create(paper=paper, question=essay, position=2)
    candidate = CandidateClient(registration, id_number)
    candidate.login()
    first, second = (q["id"] for q in candidate.start()["questions"])
    candidate.save(first, ["A"])
    candidate.save(second, ["文件评审、现场核查、出具核查报告。"])
    body = candidate.post("/submit").json()
    return candidate, essay, body


@pytest.fixture
def graders(django_user_model):
    return [django_user_model.objects.create_user(f"grader{n}") for n in range(3)]


def test_submit_with_an_essay_waits_for_marking(graders):
    _candidate, essay, body = _sitting()
    assert body["state"] == "submitted"
    assert body["result"] == {"show_score": False, "score": None, "max_score": None}
    assert Marking.objects.filter(question=essay, round=1, score__isnull=True).count() == 1


def test_single_marking_completes_the_attempt(graders):
    candidate, essay, _body = _sitting()
    task = marking.marking_claim_next(question_id=essay.pk, grader=graders[0])
    assert marking.answer_text(task) == "文件评审、现场核查、出具核查报告。"
    assert len(marking.anonymous_code(task)) == 8

    services.marking_submit(marking_id=task.pk, grader=graders[0], score=Decimal("7.5"),
                           comment="步骤齐全，缺少细节")

    attempt = Attempt.objects.get(pk=candidate.attempt_id)
    assert attempt.state == "graded"
    assert AttemptResult.objects.get(attempt=attempt).score == Decimal("9.50")


def test_double_marking_close_marks_are_averaged(graders):
    candidate, essay, _body = _sitting(double=True)
    first = marking.marking_claim_next(question_id=essay.pk, grader=graders[0])
    assert marking.marking_claim_next(question_id=essay.pk, grader=graders[0]) == first
    second = marking.marking_claim_next(question_id=essay.pk, grader=graders[1])
    assert {first.round, second.round} == {1, 2}
    services.marking_submit(marking_id=first.pk, grader=graders[0], score=Decimal("7"))
    # the same grader never gets the other round of the same answer
    assert marking.marking_claim_next(question_id=essay.pk, grader=graders[0]) is None
    services.marking_submit(marking_id=second.pk, grader=graders[1], score=Decimal("8"))

    result = AttemptResult.objects.get(attempt_id=candidate.attempt_id)
    assert result.score == Decimal("9.50")  # 2 + (7 + 8) / 2


def test_double_marking_far_apart_goes_to_a_third_grader(graders):
    candidate, essay, _body = _sitting(double=True)
    first = marking.marking_claim_next(question_id=essay.pk, grader=graders[0])
    second = marking.marking_claim_next(question_id=essay.pk, grader=graders[1])
    services.marking_submit(marking_id=first.pk, grader=graders[0], score=Decimal("3"))
    services.marking_submit(marking_id=second.pk, grader=graders[1], score=Decimal("9"))
    assert not AttemptResult.objects.filter(attempt_id=candidate.attempt_id).exists()

    assert marking.marking_claim_next(question_id=essay.pk, grader=graders[0]) is None
    third = marking.marking_claim_next(question_id=essay.pk, grader=graders[2])
    assert third.round == Marking.Round.ARBITRATION
    services.marking_submit(marking_id=third.pk, grader=graders[2], score=Decimal("6"))

    assert AttemptResult.objects.get(attempt_id=candidate.attempt_id).score == Decimal("8.00")


def test_a_score_outside_the_points_is_refused(graders):
    _candidate, essay, _body = _sitting()
    task = marking.marking_claim_next(question_id=essay.pk, grader=graders[0])
    with pytest.raises(ApplicationError) as error:
        services.marking_submit(marking_id=task.pk, grader=graders[0], score=Decimal("11"))
    assert error.value.code == "invalid_score"
    with pytest.raises(ApplicationError):
        services.marking_submit(marking_id=task.pk, grader=graders[1], score=Decimal("5"))


def test_grader_pages_mark_an_answer_without_seeing_the_candidate(graders, client):
    candidate, essay, _body = _sitting()
    grader = graders[0]
    grader.user_permissions.add(Permission.objects.get(codename="mark_answers"))
    client.force_login(grader)

    queue = client.get("/marking/").content.decode()
    assert essay.stem[:10] in queue
    page = client.get(f"/marking/{essay.pk}/").content.decode()
    assert "文件评审、现场核查、出具核查报告。" in page
    assert candidate.registration.candidate.name not in page
    assert candidate.registration.ticket_number not in page
    task = Marking.objects.get(question=essay, grader=grader)
    response = client.post(f"/marking/{essay.pk}/", {"marking": task.pk, "score": "6"})
    assert response.status_code == 302
    assert AttemptResult.objects.get(attempt_id=candidate.attempt_id).score == Decimal("8.00")
    assert 'id="nothing-to-mark"' in client.get(f"/marking/{essay.pk}/").content.decode()


def test_marking_pages_need_the_permission(graders, client):
    _candidate, essay, _body = _sitting()
    assert client.get("/marking/").status_code == 302  # not signed in: to the sign-in page
    client.force_login(graders[1])
    assert client.get("/marking/").status_code == 403
    assert client.get(f"/marking/{essay.pk}/").status_code == 403


def test_a_broken_marking_form_gets_a_message_a_grader_can_act_on(graders, client):
    _candidate, essay, _body = _sitting()
    graders[0].user_permissions.add(Permission.objects.get(codename="mark_answers"))
    client.force_login(graders[0])
    client.get(f"/marking/{essay.pk}/")
    for data in ({"marking": "", "score": "5"}, {"marking": "x", "score": "abc"}):
        response = client.post(f"/marking/{essay.pk}/", data, follow=True)
        [message] = [str(m) for m in response.context["messages"]]
        assert "invalid literal" not in message and message


def test_an_essay_in_a_case_is_marked_beside_its_material(graders, client):
    _e, subject, _se, _r, [(registration, id_number)] = factories.make_sitting(questions=0)
    case = Question.objects.create(
        subject=subject, kind="case", score=10,
        stem="<p>某水泥厂的核查资料如下：</p><table><tr><td>熟料产量</td><td>120 万吨</td></tr>"
             "</table>")
    essay = Question.objects.create(subject=subject, kind="essay", score=10, parent=case,
                                    stem="<p>指出核查中应关注的 <b>两项</b> 数据。</p>")
    PaperQuestion.objects.create(paper=subject.papers.get(), question=case, position=1)
    candidate = CandidateClient(registration, id_number)
    candidate.login()
    [shown] = candidate.start()["questions"]
    candidate.save(shown["id"], ["熟料产量与燃料消耗量。"])
    assert candidate.post("/submit").json()["state"] == "submitted"

    grader = graders[0]
    grader.user_permissions.add(Permission.objects.get(codename="mark_answers"))
    client.force_login(grader)
    queue = client.get("/marking/").content.decode()
    assert "指出核查中应关注的 两项 数据。" in queue  # the text, without its markup
    page = client.get(f"/marking/{essay.pk}/").content.decode()
    assert "<td>熟料产量</td>" in page  # the case's material, as a table
    assert "<b>两项</b>" in page and "&lt;b&gt;" not in page
