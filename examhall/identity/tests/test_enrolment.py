"""Enrolment photos: one at a time or a zip named by ticket or ID number; each
photo needs exactly one usable face; the embedding is computed once."""

from __future__ import annotations

import io
import zipfile

import numpy as np
import pillow_heif
import pytest
from PIL import Image

from examhall.core.errors import ApplicationError
from examhall.devtools import factories
from examhall.identity import services
from examhall.identity.models import EnrolmentPhoto
from examhall.identity.tests.frames import face_photo, frame_array, jpeg, photo_bytes

pytestmark = pytest.mark.django_db


@pytest.fixture
def people():
    exam, _subject, _se, _r, people = factories.make_sitting(questions=1, candidates=3)
    return exam, people


def _exif_jpeg() -> bytes:
    image = face_photo("obama")
    exif = Image.Exif()
    exif[0x010F] = "SecretCam"  # Make
    out = io.BytesIO()
    image.save(out, format="JPEG", exif=exif)
    return out.getvalue()


@pytest.mark.parametrize("fmt", ["JPEG", "PNG", "WEBP", "HEIF"])
def test_a_photo_in_each_format_becomes_the_reference(people, fmt):
    _exam, [(registration, _id), *_rest] = people
    if fmt == "HEIF":
        pillow_heif.register_heif_opener()
    photo = services.enrolment_photo_add(candidate_id=registration.candidate_id,
                                         data=photo_bytes("obama", fmt=fmt))
    assert photo.is_current and photo.source == "upload"
    assert len(services.embedding_of(photo)) == 128
    with photo.image.open("rb") as stored:
        assert Image.open(stored).format == "JPEG"


def test_the_stored_photo_carries_no_metadata(people):
    _exam, [(registration, _id), *_rest] = people
    photo = services.enrolment_photo_add(candidate_id=registration.candidate_id,
                                         data=_exif_jpeg())
    with photo.image.open("rb") as stored:
        assert not Image.open(stored).getexif()
    assert registration.ticket_number not in photo.image.name
    assert str(registration.candidate_id) not in photo.image.name


def test_a_new_photo_replaces_the_current_one(people):
    _exam, [(registration, _id), *_rest] = people
    first = services.enrolment_photo_add(candidate_id=registration.candidate_id,
                                         data=photo_bytes("obama"))
    second = services.enrolment_photo_add(candidate_id=registration.candidate_id,
                                          data=photo_bytes("obama2"))
    first.refresh_from_db()
    assert (first.is_current, second.is_current) == (False, True)


@pytest.mark.parametrize(("data", "code", "reason"), [
    (b"GIF89a not really", "invalid_image", "not_an_image"),
    (jpeg(np.full((480, 640, 3), 128, np.uint8)), "unusable_photo", "no_face"),
    (jpeg(np.hstack([frame_array("obama", (320, 480)), frame_array("biden", (320, 480))])),
     "unusable_photo", "several_faces"),
])
def test_a_photo_without_one_usable_face_is_refused_with_its_reason(people, data, code, reason):
    _exam, [(registration, _id), *_rest] = people
    with pytest.raises(ApplicationError) as error:
        services.enrolment_photo_add(candidate_id=registration.candidate_id, data=data)
    assert (error.value.code, error.value.details["reason"]) == (code, reason)
    assert error.value.message
    assert not EnrolmentPhoto.objects.exists()


def test_a_zip_is_matched_by_ticket_or_id_number_and_reports_the_rest(people):
    exam, [(first, _id1), (second, id2), (third, _id3)] = people
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr(f"photos/{first.ticket_number}.jpg", photo_bytes("obama"))
        archive.writestr(f"photos/{id2.lower()}.PNG", photo_bytes("biden", fmt="PNG"))
        archive.writestr(f"{third.ticket_number}.jpg",
                         jpeg(np.full((480, 640, 3), 128, np.uint8)))
        archive.writestr("T99999999.jpg", photo_bytes("obama2"))
        archive.writestr("readme.txt", b"hello")
        archive.writestr("__MACOSX/._x.jpg", b"junk")
    report = services.enrolment_photos_import_zip(exam_id=exam.pk, data=buffer.getvalue())

    by_file = {line.file: line for line in report.lines}
    assert by_file[f"photos/{first.ticket_number}.jpg"].status == "imported"
    assert by_file[f"photos/{id2.lower()}.PNG"].status == "imported"
    assert by_file[f"photos/{id2.lower()}.PNG"].ticket_number == second.ticket_number
    assert by_file[f"{third.ticket_number}.jpg"].status == "refused"
    assert by_file["T99999999.jpg"].status == "unmatched"
    assert by_file["readme.txt"].status == "refused"
    assert "__MACOSX/._x.jpg" not in by_file
    assert (report.count("imported"), report.count("refused"), report.count("unmatched")) == (
        2, 2, 1)
    assert set(EnrolmentPhoto.objects.values_list("candidate_id", flat=True)) == {
        first.candidate_id, second.candidate_id}


def test_a_zip_bomb_and_a_broken_zip_are_refused(people):
    exam, _people = people
    with pytest.raises(ApplicationError) as error:
        services.enrolment_photos_import_zip(exam_id=exam.pk, data=b"PK\x03\x04 broken")
    assert error.value.code == "invalid_zip"
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("bomb.jpg", b"\0" * (20 * 1024 * 1024))
    with pytest.raises(ApplicationError) as error:
        services.enrolment_photos_import_zip(exam_id=exam.pk, data=buffer.getvalue())
    assert error.value.code == "zip_bomb"
