"""Candidate and registration admin: masked ID numbers, validated forms, logged reveals."""

from __future__ import annotations

import pytest
from django.contrib.admin.models import LogEntry
from django.contrib.auth.models import Permission
from django.urls import reverse

from examhall.candidates.models import Candidate, Registration
from examhall.candidates.tests.rosters import id_number, make_exam_setup
from examhall.core import pii
from examhall.devtools.factories import make_registration

pytestmark = pytest.mark.django_db

CANDIDATES_URL = reverse("admin:candidates_candidate_changelist")
ADD_CANDIDATE_URL = reverse("admin:candidates_candidate_add")
ADD_REGISTRATION_URL = reverse("admin:candidates_registration_add")


@pytest.fixture(autouse=True)
def _english(settings):
    settings.LANGUAGE_CODE = "en"


@pytest.fixture
def setup():
    return make_exam_setup(code="dc-2025")


@pytest.fixture
def person(setup):
    number = id_number()
    registration = make_registration(exam=setup.exam, subject=setup.subject,
                                     session=setup.session, room=setup.room, id_number=number,
                                     name="张三")
    return registration.candidate, number


@pytest.fixture
def superuser_client(client, django_user_model):
    client.force_login(django_user_model.objects.create_superuser("root", "r@example.com", "pw"))
    return client


def staff_client(client, django_user_model, *codenames):
    user = django_user_model.objects.create_user("staff", password="pw", is_staff=True)
    user.user_permissions.add(*Permission.objects.filter(codename__in=codenames))
    client.force_login(user)
    return client, user


def reveal_url(candidate):
    return reverse("admin:candidates_candidate_reveal", args=[candidate.pk])


# --- masked everywhere


def test_candidate_list_and_page_show_the_masked_number_only(superuser_client, person):
    candidate, number = person

    listing = superuser_client.get(CANDIDATES_URL).content.decode()
    page = superuser_client.get(
        reverse("admin:candidates_candidate_change", args=[candidate.pk])).content.decode()

    assert candidate.id_number_masked in listing
    assert number not in listing
    assert candidate.id_number_masked in page
    assert number not in page


def test_candidates_can_be_found_by_their_whole_id_number(superuser_client, person, setup):
    _candidate, number = person
    make_registration(exam=setup.exam, subject=setup.subject, session=setup.session,
                      room=setup.room, name="李四")

    listing = superuser_client.get(CANDIDATES_URL, {"q": number.lower()}).content.decode()

    assert "张三" in listing
    assert "李四" not in listing


def test_registrations_can_be_found_by_ticket_or_id_number(superuser_client, person, setup):
    _candidate, number = person
    url = reverse("admin:candidates_registration_changelist")

    assert "张三" in superuser_client.get(url, {"q": number}).content.decode()
    assert "张三" not in superuser_client.get(url, {"q": "nobody"}).content.decode()


# --- the add / change form


def test_adding_a_candidate_validates_and_stores_the_number(superuser_client):
    number = id_number()

    response = superuser_client.post(ADD_CANDIDATE_URL, {
        "name": "王五", "id_type": "resident_id", "id_number": f" {number.lower()} ",
        "registrations-TOTAL_FORMS": "0", "registrations-INITIAL_FORMS": "0",
    })

    assert response.status_code == 302
    candidate = Candidate.objects.get(name="王五")
    assert candidate.id_number_hash == pii.lookup_hash(number)
    assert candidate.reveal_id_number() == number


def test_a_bad_number_is_refused_with_the_validation_message(superuser_client):
    number = id_number()
    wrong = number[:-1] + ("1" if number[-1] != "1" else "2")

    response = superuser_client.post(ADD_CANDIDATE_URL, {
        "name": "王五", "id_type": "resident_id", "id_number": wrong,
        "registrations-TOTAL_FORMS": "0", "registrations-INITIAL_FORMS": "0",
    })

    assert response.status_code == 200
    assert "check digit" in response.content.decode()
    assert not Candidate.objects.exists()


def test_a_number_of_another_candidate_is_refused(superuser_client, person):
    _candidate, number = person

    response = superuser_client.post(ADD_CANDIDATE_URL, {
        "name": "王五", "id_type": "resident_id", "id_number": number,
        "registrations-TOTAL_FORMS": "0", "registrations-INITIAL_FORMS": "0",
    })

    assert "already belongs to the candidate 张三" in response.content.decode()
    assert Candidate.objects.count() == 1


def test_region_warnings_are_shown_after_saving(superuser_client):
    response = superuser_client.post(ADD_CANDIDATE_URL, {
        "name": "王五", "id_type": "resident_id", "id_number": id_number(region="990000"),
        "registrations-TOTAL_FORMS": "0", "registrations-INITIAL_FORMS": "0",
    }, follow=True)

    assert "Region code 990000" in response.content.decode()
    assert Candidate.objects.filter(name="王五").exists()


def test_changing_the_name_keeps_the_stored_number(superuser_client, person):
    candidate, number = person

    response = superuser_client.post(
        reverse("admin:candidates_candidate_change", args=[candidate.pk]),
        {"name": "张三丰", "id_type": "resident_id", "id_number": "",
         "registrations-TOTAL_FORMS": "1", "registrations-INITIAL_FORMS": "1",
         "registrations-0-id": candidate.registrations.get().pk,
         "registrations-0-candidate": candidate.pk},
    )

    assert response.status_code == 302
    candidate.refresh_from_db()
    assert candidate.name == "张三丰"
    assert candidate.reveal_id_number() == number


# --- revealing


def test_superuser_reveals_the_number_and_the_reveal_is_logged(superuser_client, person):
    candidate, number = person

    confirm_page = superuser_client.get(reveal_url(candidate)).content.decode()
    response = superuser_client.post(reveal_url(candidate))

    assert number not in confirm_page
    assert number in response.content.decode()
    assert response["Cache-Control"].startswith("max-age=0")
    entry = LogEntry.objects.get(object_id=str(candidate.pk))
    assert entry.user.username == "root"
    assert entry.change_message == "Revealed the ID number."


def test_staff_without_the_permission_cannot_reveal(client, django_user_model, person):
    candidate, number = person
    client, _user = staff_client(client, django_user_model, "view_candidate", "change_candidate")

    change_page = client.get(reverse("admin:candidates_candidate_change", args=[candidate.pk]))

    assert change_page.status_code == 200
    assert reveal_url(candidate) not in change_page.content.decode()
    assert client.get(reveal_url(candidate)).status_code == 403
    response = client.post(reveal_url(candidate))
    assert response.status_code == 403
    assert number not in response.content.decode()
    assert not LogEntry.objects.exists()


def test_staff_with_the_reveal_permission_can_reveal(client, django_user_model, person):
    candidate, number = person
    client, user = staff_client(client, django_user_model, "view_candidate", "reveal_id_number")

    change_page = client.get(reverse("admin:candidates_candidate_change", args=[candidate.pk]))
    response = client.post(reveal_url(candidate))

    assert reveal_url(candidate) in change_page.content.decode()
    assert number in response.content.decode()
    assert LogEntry.objects.filter(user=user, object_id=str(candidate.pk)).count() == 1


def test_reveal_of_an_unknown_candidate_is_not_found(superuser_client):
    url = reverse("admin:candidates_candidate_reveal", args=["not-a-uuid"])

    assert superuser_client.post(url).status_code == 404
    assert not LogEntry.objects.exists()


# --- registrations by hand


def registration_form(candidate, setup, **overrides):
    values = {"candidate": candidate.pk, "exam": setup.exam.pk, "subject": setup.other_subject.pk,
              "session": setup.session.pk, "room": setup.room.pk, "ticket_number": "",
              "extra_minutes": "0"}
    values.update(overrides)
    return values


def test_a_registration_added_without_ticket_gets_a_generated_one(superuser_client, person,
                                                                  setup):
    candidate, _number = person

    response = superuser_client.post(ADD_REGISTRATION_URL, registration_form(candidate, setup))

    assert response.status_code == 302
    registration = Registration.objects.get(subject=setup.other_subject)
    assert registration.ticket_number == "DC2025000001"


def test_a_room_of_another_session_is_refused(superuser_client, person, setup):
    candidate, _number = person

    response = superuser_client.post(
        ADD_REGISTRATION_URL, registration_form(candidate, setup, room=setup.other_room.pk)
    )

    assert response.status_code == 200
    assert "This room belongs to another session." in response.content.decode()
    assert not Registration.objects.filter(subject=setup.other_subject).exists()


def test_a_ticket_number_used_in_the_exam_is_refused(superuser_client, person, setup):
    candidate, _number = person
    taken = candidate.registrations.get().ticket_number

    response = superuser_client.post(
        ADD_REGISTRATION_URL, registration_form(candidate, setup, ticket_number=taken.lower())
    )

    assert "already used in this exam" in response.content.decode()
