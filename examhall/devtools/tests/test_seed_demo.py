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
from examhall.devicecheck.tests.helpers import pass_device_check
from examhall.devtools import seed
from examhall.identity.tests.helpers import identity_try, pass_identity, turning_burst
from examhall.itembank.models import Question
from examhall.lockdown.models import ClientPolicy
from examhall.proctoring.tests.pairing_helpers import paired_phone

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
        elif question.kind == "multiple":
            assert len(question.answer) >= 2
        elif question.kind == "fill_blank":
            assert question.blanks and all(blank["answers"] for blank in question.blanks)
            assert all(f"{{{{{blank['key']}}}}}" in question.stem for blank in question.blanks)
        elif question.kind == "essay":
            assert question.reference_answer, question.external_key
        else:
            assert question.kind == "case"
            assert question.sub_questions.count() >= 2, question.external_key


def test_demo_candidate_can_sign_in_and_start():
    seed.seed_demo()
    registration = Registration.objects.get(ticket_number=seed.CANDIDATES[0][2])
    candidate = CandidateClient(registration, seed.full_id_number(seed.CANDIDATES[0][1]))
    assert candidate.login().status_code == 200
    assert candidate.post("/start").status_code == 409  # the device and identity first
    pass_device_check(candidate)
    pass_identity(candidate)  # the mock exam takes a first capture, with liveness
    assert len(candidate.start()["questions"]) >= 10


def test_demo_grader_marks_the_essay_of_a_demo_candidate(client):
    """The advanced subject's paper holds a case with an essay: once a demo candidate
    submits, the demo grader finds the answer in the queue and marks it."""
    seed.seed_demo()
    name, first17, ticket, _subject = next(
        row for row in seed.CANDIDATES if row[3] == "CEMT-ADV")
    registration = Registration.objects.get(ticket_number=ticket)
    candidate = CandidateClient(registration, seed.full_id_number(first17))
    assert candidate.login().status_code == 200
    pass_device_check(candidate)
    pass_identity(candidate)
    questions = candidate.start()["questions"]
    essay = next(q for q in questions if q["kind"] == "essay")
    assert "<table>" in essay["case"]["material"]
    candidate.save(essay["id"], ["燃煤消耗量、低位发热量、单位热值含碳量。"])
    assert candidate.post("/submit").json()["state"] == "submitted"

    assert client.login(username="grader", password="examhall-grader")
    assert "核查机构核查该企业燃煤燃烧排放时" in client.get("/marking/").content.decode()
    page = client.get(f"/marking/{essay['id']}/").content.decode()
    assert "燃煤消耗量、低位发热量、单位热值含碳量。" in page
    assert name not in page and ticket not in page


def test_the_formal_exam_compares_with_enrolled_photos_and_the_proctor_reviews(client):
    """No photo ships with the demo: a formal candidate lands in review, and the demo
    proctor may approve them; the phone as second camera is required as well, and the
    proctor admits the candidate in the console. (The exam client's part is tested in
    examhall/lockdown and tests/client: here the exam is opened to browsers.)"""
    seed.seed_demo()
    policy = ClientPolicy.objects.get(exam__code=seed.FORMAL_EXAM_CODE)
    assert policy.requires_client
    policy.requires_client = False
    policy.save()  # save(), not update(): the gate's cache is cleared by the save signal
    name, first17, ticket = seed.FORMAL_CANDIDATES[0]
    registration = Registration.objects.get(ticket_number=ticket)
    assert registration.exam.kind == "formal"
    assert registration.exam.identity_policy.mode == "enrolled"
    candidate = CandidateClient(registration, seed.full_id_number(first17))
    assert candidate.login().status_code == 200
    pass_device_check(candidate)
    body = identity_try(candidate, turning_burst(), challenge="turn_left").json()
    assert (body["status"], body["reason"]) == ("review", "no_reference")

    assert client.login(username="proctor", password="examhall-proctor")
    [waiting] = client.get("/api/proctor/identity-reviews").json()
    assert waiting["candidate"] == name
    response = client.post(f"/api/proctor/attempts/{candidate.attempt_id}/identity-review",
                           {"decision": "approve"}, content_type="application/json")
    assert response.status_code == 200
    assert candidate.get("").json()["can_start"] is False  # the phone is required too
    paired_phone(candidate)
    # Every check passed: the candidate waits for the proctor to admit them.
    assert candidate.get("").json()["state"] == "awaiting_admission"
    response = client.post(f"/api/console/attempts/{candidate.attempt_id}/admission",
                           {"decision": "admit"}, content_type="application/json")
    assert response.status_code == 200, response.content
    assert len(candidate.start()["questions"]) >= 10
