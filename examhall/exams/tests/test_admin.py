"""The exam catalogue admin (examhall/exams/admin.py) as an exam office uses it."""

from __future__ import annotations

import pytest
from django.urls import reverse

from examhall.candidates.tests.rosters import make_exam_setup
from examhall.devtools.factories import make_registration
from examhall.exams.models import Exam

pytestmark = pytest.mark.django_db


@pytest.fixture
def setup():
    return make_exam_setup(code="dc-2025", capacity=1)


@pytest.fixture
def office(client, django_user_model):
    client.force_login(django_user_model.objects.create_superuser("root", "r@example.com", "pw"))
    return client


@pytest.mark.parametrize("model", ["organisation", "exam", "subject", "session", "room"])
def test_every_catalogue_list_opens_and_searches(office, setup, model):
    url = reverse(f"admin:exams_{model}_changelist")

    assert office.get(url).status_code == 200
    assert office.get(url, {"q": "dc"}).status_code == 200


def test_exam_page_shows_its_subjects_and_sessions_inline(office, setup):
    page = office.get(reverse("admin:exams_exam_change", args=[setup.exam.pk])).content.decode()

    assert "CEM-ADV" in page and "CEM-MID" in page
    assert "第一场" in page and "第二场" in page
    assert 'name="required_checks"' in page


def test_session_page_shows_its_rooms_inline(office, setup):
    page = office.get(
        reverse("admin:exams_session_change", args=[setup.session.pk])).content.decode()

    assert "第1考场" in page
    assert "第9考场" not in page


def test_room_list_flags_a_room_over_capacity(office, setup):
    for _ in range(2):
        make_registration(exam=setup.exam, subject=setup.subject, session=setup.session,
                          room=setup.room)

    page = office.get(reverse("admin:exams_room_changelist")).content.decode()

    assert "2 / 1 ⚠" in page
    assert "0 / 1" in page


def test_required_checks_are_chosen_from_the_known_checks(office, setup):
    url = reverse("admin:exams_exam_change", args=[setup.exam.pk])
    form = {
        "organisation": setup.exam.organisation.pk, "code": "dc-2025", "name": "Exam",
        "kind": "formal", "required_checks": ["device", "second_camera"], "instructions": "",
        "subjects-TOTAL_FORMS": "0", "subjects-INITIAL_FORMS": "0",
        "sessions-TOTAL_FORMS": "0", "sessions-INITIAL_FORMS": "0",
    }

    response = office.post(url, form)

    assert response.status_code == 302
    assert Exam.objects.get(pk=setup.exam.pk).required_checks == ["device", "second_camera"]
    assert office.post(url, {**form, "required_checks": ["telepathy"]}).status_code == 200
