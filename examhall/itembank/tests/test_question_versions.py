"""Editing a delivered question makes a new version; attempts keep what they showed."""

import pytest
from django.urls import reverse

from examhall.core.errors import ApplicationError
from examhall.delivery import services as delivery
from examhall.delivery.models import Attempt
from examhall.devtools import factories
from examhall.itembank import services
from examhall.itembank.models import Question, Tag

pytestmark = pytest.mark.django_db


@pytest.fixture
def started_attempt():
    _e, subject, _se, _r, [(registration, _id)] = factories.make_sitting(questions=2)
    attempt = delivery.attempt_start(
        attempt_id=Attempt.objects.create(registration=registration).pk)
    return subject, attempt


def test_start_marks_the_questions_delivered(started_attempt):
    _subject, attempt = started_attempt
    assert Question.objects.filter(pk__in=attempt.question_ids,
                                   delivered_at__isnull=False).count() == 2


def test_undelivered_question_is_edited_in_place():
    exam = factories.make_exam()
    paper = factories.make_paper(subject=factories.make_subject(exam=exam), count=1)
    question = paper.entries.get().question
    revised = services.question_revise(question=question, changes={"stem": "改过的题干"})
    assert revised.pk == question.pk
    assert revised.version == 1
    assert Question.objects.get(pk=question.pk).stem == "改过的题干"


def test_delivered_question_gets_a_new_version_in_the_paper(started_attempt):
    subject, attempt = started_attempt
    old = Question.objects.get(pk=attempt.question_ids[0])
    old.tags.add(Tag.objects.create(name="范围一"))

    new = services.question_revise(question=old, changes={"stem": "新版本", "difficulty": 5})

    old.refresh_from_db()
    assert (new.pk != old.pk, new.family_id, new.version) == (True, old.family_id, 2)
    assert (old.is_current, new.is_current, old.stem != "新版本") == (False, True, True)
    assert [t.name for t in new.tags.all()] == ["范围一"]
    paper = subject.papers.get()
    assert new.pk in set(paper.entries.values_list("question_id", flat=True))
    assert str(old.pk) in Attempt.objects.get(pk=attempt.pk).question_ids  # unchanged


def test_admin_edit_of_a_delivered_question_saves_a_version(started_attempt, admin_client):
    _subject, attempt = started_attempt
    old = Question.objects.get(pk=attempt.question_ids[0])
    url = reverse("admin:itembank_question_change", args=[old.pk])
    form = admin_client.get(url).context["adminform"].form
    data = {name: form.initial.get(name, "") for name in form.fields}
    data.update({"subject": old.subject_id, "stem": "管理员改的题干", "options": '[{"key": "A", '
                 '"text": "a"}, {"key": "B", "text": "b"}]', "answer": '["A"]', "blanks": "[]",
                 "tags": [], "parent": ""})
    response = admin_client.post(url, data)
    assert response.status_code == 302, response.content[:2000]
    assert Question.objects.filter(family_id=old.family_id).count() == 2
    assert Question.objects.get(family_id=old.family_id, is_current=True).stem == "管理员改的题干"


def test_paper_with_a_case_without_sub_questions_is_refused_clearly():
    _exam, subject, _se, _r, [(registration, _id)] = factories.make_sitting(questions=1)
    paper = subject.papers.get()
    case = Question.objects.create(subject=subject, kind="case", stem="案例材料", score=10)
    paper.entries.create(question=case, position=2)
    with pytest.raises(ApplicationError) as error:
        delivery.attempt_start(attempt_id=Attempt.objects.create(registration=registration).pk)
    assert error.value.code == "paper_not_deliverable"
