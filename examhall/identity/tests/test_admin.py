"""The exam office's photo pages in the admin: one photo, a zip, first captures."""

from __future__ import annotations

import io
import zipfile

import numpy as np
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from examhall.devtools import factories
from examhall.identity import services
from examhall.identity.models import EnrolmentPhoto
from examhall.identity.tests.frames import jpeg, photo_bytes

pytestmark = pytest.mark.django_db


@pytest.fixture
def office(admin_client):
    exam, _subject, _se, _r, people = factories.make_sitting(questions=1, candidates=2)
    return admin_client, exam, people


def test_the_office_uploads_one_photo(office):
    client, _exam, [(registration, _id), _other] = office
    page = client.get("/admin/identity/enrolmentphoto/upload/")
    assert page.status_code == 200
    response = client.post("/admin/identity/enrolmentphoto/upload/", {
        "registration": registration.pk,
        "photo": SimpleUploadedFile("p.jpg", photo_bytes("obama"), "image/jpeg")})
    assert response.status_code == 302
    assert EnrolmentPhoto.objects.get().candidate_id == registration.candidate_id
    listing = client.get("/admin/identity/enrolmentphoto/").content.decode()
    assert registration.candidate.name in listing


def test_a_photo_without_a_face_is_refused_on_the_form(office):
    client, _exam, [(registration, _id), _other] = office
    grey = jpeg(np.full((480, 640, 3), 128, np.uint8))
    response = client.post("/admin/identity/enrolmentphoto/upload/", {
        "registration": registration.pk,
        "photo": SimpleUploadedFile("p.jpg", grey, "image/jpeg")})
    assert response.status_code == 200
    assert "errorlist" in response.content.decode()
    assert not EnrolmentPhoto.objects.exists()


def test_the_office_imports_a_zip_and_reads_the_report(office):
    client, exam, [(first, _id), (second, _id2)] = office
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr(f"{first.ticket_number}.jpg", photo_bytes("obama"))
        archive.writestr("nobody.jpg", photo_bytes("biden"))
    response = client.post("/admin/identity/enrolmentphoto/import-zip/", {
        "exam": exam.pk,
        "archive": SimpleUploadedFile("photos.zip", buffer.getvalue(), "application/zip")})
    page = response.content.decode()
    assert response.status_code == 200
    assert 'id="photo-report"' in page and "nobody.jpg" in page
    assert EnrolmentPhoto.objects.filter(candidate_id=first.candidate_id).exists()
    assert not EnrolmentPhoto.objects.filter(candidate_id=second.candidate_id).exists()


def test_first_captures_are_approved_by_an_action(office):
    client, _exam, [(registration, _id), _other] = office
    photo = services.enrolment_photo_add(candidate_id=registration.candidate_id,
                                         data=photo_bytes("obama"))
    EnrolmentPhoto.objects.filter(pk=photo.pk).update(source="first_capture", review="pending")
    response = client.post("/admin/identity/enrolmentphoto/", {
        "action": "approve_first_captures", "_selected_action": [photo.pk]})
    assert response.status_code == 302
    photo.refresh_from_db()
    assert photo.review == "approved" and photo.reviewed_by is not None
