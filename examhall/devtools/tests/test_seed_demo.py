"""The demo seed: a complete, valid data set, and running it twice changes nothing."""

from __future__ import annotations

import io

import pytest
from django.apps import apps
from django.core.management import call_command
from stdnum.cn import ric

from examhall.candidates import idnumbers
from examhall.candidates.models import Registration
from examhall.delivery.tests.helpers import CandidateClient
from examhall.devtools import seed
from examhall.itembank.models import Question

pytestmark = pytest.mark.django_db


def _counts() -> dict[str, int]:
    return {
        model._meta.label: model.objects.count()
        for model in apps.get_models()
        if model._meta.app_label in {"exams", "candidates", "itembank", "auth"}
    }


def test_seed_twice_changes_nothing_and_prints_the_logins():
    out = io.StringIO()
    call_command("devtools_seed_demo", stdout=out)
    first = _counts()
    call_command("devtools_seed_demo", stdout=io.StringIO())

    assert _counts() == first
    for _name, first17, ticket, _subject in seed.CANDIDATES:
        assert ticket in out.getvalue()
        assert seed.full_id_number(first17) in out.getvalue()
    assert "admin / examhall-admin" in out.getvalue()


def test_seed_has_the_demo_catalogue():
    seed.seed_demo()
    assert Question.objects.count() >= 30
    subjects = {r.subject.display_name for r in Registration.objects.select_related("subject")}
    assert {"碳排放管理技术（高级）", "碳资产管理（中级）", "碳排放核查（初级）"} <= subjects
    for _name, first17, _ticket, _subject in seed.CANDIDATES:
        number = seed.full_id_number(first17)
        assert ric.is_valid(number)
        assert idnumbers.validate(number).ok


def test_every_demo_question_is_well_formed():
    seed.seed_demo()
    for question in Question.objects.all():
        keys = question.option_keys
        assert set(question.answer) <= set(keys), question.external_key
        if question.kind in {"single", "true_false"}:
            assert len(question.answer) == 1
        else:
            assert len(question.answer) >= 2


def test_demo_candidate_can_sign_in_and_start():
    seed.seed_demo()
    registration = Registration.objects.get(ticket_number=seed.CANDIDATES[0][2])
    candidate = CandidateClient(registration, seed.full_id_number(seed.CANDIDATES[0][1]))
    assert candidate.login().status_code == 200
    assert len(candidate.start()["questions"]) >= 10


def test_demo_grader_may_open_the_marking_queue(client):
    seed.seed_demo()
    assert client.login(username="grader", password="examhall-grader")
    assert client.get("/marking/").status_code == 200
