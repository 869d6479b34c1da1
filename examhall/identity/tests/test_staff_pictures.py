"""Identity pictures reach staff only through checked views: the reviewer of the
candidate's room gets the enrolment photo and the evidence frames the review API
names; a proctor of another room, a user without the permission and an anonymous
visitor do not; the admin's thumbnails point at the same views."""

from __future__ import annotations

import io

import pytest
from django.contrib.auth.models import Permission
from django.test import Client
from PIL import Image

from examhall.identity.models import EnrolmentPhoto, IdentityCapture
from examhall.identity.tests.frames import frame
from examhall.identity.tests.test_verification import _sitting, _try

pytestmark = pytest.mark.django_db


def _reviewer(django_user_model, name: str, *, room=None):
    user = django_user_model.objects.create_user(name, is_staff=True)
    user.user_permissions.add(Permission.objects.get(codename="review_identity"))
    if room is not None:
        room.proctors.add(user)
    return django_user_model.objects.get(pk=user.pk)


def _signed_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def _is_jpeg(response) -> bool:
    return Image.open(io.BytesIO(response.content)).format == "JPEG"


@pytest.fixture
def waiting(django_user_model):
    _exam, [candidate] = _sitting(tries=1)
    _try(candidate, [frame("biden")])
    reviewer = _reviewer(django_user_model, "reviewer", room=candidate.registration.room)
    [review] = _signed_in(reviewer).get("/api/proctor/identity-reviews").json()
    return candidate, reviewer, review


def test_the_reviewer_of_the_room_sees_the_photo_and_the_frames(waiting):
    _candidate, reviewer, review = waiting
    client = _signed_in(reviewer)
    urls = [review["reference_photo"], *review["evidence"]]
    assert all(url.startswith("/staff/identity/") for url in urls)
    assert not any("/media/" in url for url in urls)
    for url in urls:
        response = client.get(url)
        assert response.status_code == 200, url
        assert response["Content-Type"] == "image/jpeg"
        assert "private" in response["Cache-Control"]
        assert _is_jpeg(response)


def test_nobody_else_sees_them(waiting, django_user_model):
    _candidate, _reviewer_user, review = waiting
    urls = [review["reference_photo"], *review["evidence"]]
    elsewhere = _reviewer(django_user_model, "other-room")  # the permission, not the room
    no_permission = django_user_model.objects.create_user("clerk", is_staff=True)
    for url in urls:
        assert _signed_in(elsewhere).get(url).status_code == 404
        assert _signed_in(no_permission).get(url).status_code == 403
        anonymous = Client().get(url)
        assert anonymous.status_code == 302 and "/login" in anonymous["Location"]


def test_a_frame_index_out_of_range_or_an_unknown_id_is_404(waiting):
    _candidate, reviewer, _review = waiting
    client = _signed_in(reviewer)
    capture = IdentityCapture.objects.first()
    assert client.get(f"/staff/identity/captures/{capture.pk}/{len(capture.frames)}/"
                      ).status_code == 404
    photo = EnrolmentPhoto.objects.first()
    assert client.get(f"/staff/identity/photos/{capture.pk}/").status_code == 404
    assert client.get(f"/staff/identity/photos/{photo.pk}/").status_code == 200


def test_a_photo_missing_from_storage_is_404_not_500(waiting):
    _candidate, reviewer, review = waiting
    photo = EnrolmentPhoto.objects.first()
    photo.image.storage.delete(photo.image.name)
    assert _signed_in(reviewer).get(review["reference_photo"]).status_code == 404


def test_the_admin_shows_the_pictures_through_the_checked_views(waiting, admin_client):
    photo = EnrolmentPhoto.objects.first()
    page = admin_client.get(f"/admin/identity/enrolmentphoto/{photo.pk}/change/")
    assert page.status_code == 200
    assert f'src="/staff/identity/photos/{photo.pk}/"' in page.content.decode()
    capture = IdentityCapture.objects.first()
    check_page = admin_client.get(
        f"/admin/identity/identitycheck/{capture.identity_check_id}/change/").content.decode()
    assert f'src="/staff/identity/captures/{capture.pk}/0/"' in check_page
    assert "/media/" not in check_page
    assert admin_client.get(f"/staff/identity/captures/{capture.pk}/0/").status_code == 200
