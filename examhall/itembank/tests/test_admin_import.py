"""The admin's question import page over HTTP: upload, dry-run report, confirm,
template download and export."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import Permission
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from examhall.devtools import factories
from examhall.itembank import admin as itembank_admin
from examhall.itembank import services
from examhall.itembank.admin import SESSION_KEY, UPLOAD_DIR
from examhall.itembank.formats import xlsx
from examhall.itembank.models import Question

pytestmark = pytest.mark.django_db

IMPORT_URL = reverse("admin:itembank_question_import")
TEMPLATE_URL = reverse("admin:itembank_question_import_template")
EXPORT_URL = reverse("admin:itembank_question_export")
CHANGELIST_URL = reverse("admin:itembank_question_changelist")
XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.LANGUAGE_CODE = "en"


@pytest.fixture
def subject():
    return factories.make_subject(exam=factories.make_exam(), code="IMPORT")


@pytest.fixture
def staff(client, django_user_model):
    """A staff user who may only view questions."""
    user = django_user_model.objects.create_user("clerk", "clerk@example.com", "pw",
                                                 is_staff=True)
    user.user_permissions.add(Permission.objects.get(codename="view_question"))
    client.force_login(user)
    return client


def upload(client, subject, data: bytes, name: str = "items.xlsx", fmt: str = "auto"):
    return client.post(IMPORT_URL, {"step": "upload", "subject": subject.pk, "format": fmt,
                                    "file": SimpleUploadedFile(name, data)})


def confirm(client):
    return client.post(IMPORT_URL, {"step": "confirm",
                                    "token": client.session[SESSION_KEY]["token"]})


def pending_files() -> list[str]:
    try:
        return default_storage.listdir(UPLOAD_DIR)[1]
    except FileNotFoundError:
        return []


def test_changelist_offers_import_template_and_export(admin_client):
    page = admin_client.get(CHANGELIST_URL).content.decode()

    assert f'href="{IMPORT_URL}"' in page
    assert f'href="{TEMPLATE_URL}"' in page
    assert f'href="{EXPORT_URL}"' in page


def test_import_page_loads_with_the_subjects_and_their_exam(admin_client, subject):
    response = admin_client.get(IMPORT_URL)

    page = response.content.decode()
    assert response.status_code == 200
    assert 'name="file"' in page and 'name="format"' in page
    assert subject.exam.name in page and subject.display_name in page


def test_uploading_the_template_shows_six_importable_items_and_writes_nothing(admin_client,
                                                                              subject):
    response = upload(admin_client, subject, xlsx.items_template())

    page = response.content.decode()
    assert response.status_code == 200
    assert 'id="items-report"' in page
    assert "6 items: 6 can be imported, 0 skipped, 0 with errors" in page
    assert "Import the 6 importable items" in page
    assert not Question.objects.exists()
    assert len(pending_files()) == 1


def test_confirming_imports_the_items_and_returns_to_the_subject(admin_client, subject):
    upload(admin_client, subject, xlsx.items_template())

    response = confirm(admin_client)

    assert response.status_code == 302
    assert response["Location"] == f"{CHANGELIST_URL}?subject__id__exact={subject.pk}"
    assert Question.objects.filter(subject=subject, parent=None).count() == 6
    assert pending_files() == []
    assert SESSION_KEY not in admin_client.session
    page = admin_client.get(response["Location"]).content.decode()
    assert "6 imported, 0 skipped, 0 with errors" in page


def test_reupload_reports_the_items_as_skipped_and_offers_no_import(admin_client, subject):
    services.items_import(subject=subject, data=xlsx.items_template(), commit=True)

    page = upload(admin_client, subject, xlsx.items_template()).content.decode()

    assert "6 items: 0 can be imported, 6 skipped" in page
    assert 'value="confirm"' not in page


def test_cancel_deletes_the_kept_file(admin_client, subject):
    upload(admin_client, subject, xlsx.items_template())

    response = admin_client.post(IMPORT_URL, {"step": "cancel"})

    assert response.status_code == 302
    assert pending_files() == []
    assert not Question.objects.exists()


def test_confirm_without_a_kept_file_asks_for_the_upload_again(admin_client, subject):
    response = admin_client.post(IMPORT_URL, {"step": "confirm",
                                              "token": "00000000-0000-0000-0000-000000000000"})

    assert response.status_code == 200
    assert "no longer available" in response.content.decode()


def test_malformed_moodle_xml_shows_the_refusal(admin_client, subject):
    data = b'<?xml version="1.0"?><quiz><question type="multichoice"><name>'

    response = upload(admin_client, subject, data, name="broken.xml")

    assert response.status_code == 200
    assert "XML" in response.content.decode()
    assert 'class="errorlist' in response.content.decode()
    assert pending_files() == []
    assert SESSION_KEY not in admin_client.session


def test_a_file_over_the_limit_is_refused(admin_client, subject, monkeypatch):
    monkeypatch.setattr(itembank_admin, "MAX_FILE_BYTES", 10)

    response = upload(admin_client, subject, xlsx.items_template())

    assert response.status_code == 200
    assert "The file is larger than" in response.content.decode()
    assert pending_files() == []


def test_staff_without_add_permission_may_not_import(staff, subject):
    assert staff.get(IMPORT_URL).status_code == 403
    assert upload(staff, subject, xlsx.items_template()).status_code == 403
    assert f'href="{IMPORT_URL}"' not in staff.get(CHANGELIST_URL).content.decode()
    assert not Question.objects.exists()


def test_staff_without_view_permission_may_not_download(client, django_user_model, subject):
    user = django_user_model.objects.create_user("nobody", "n@example.com", "pw", is_staff=True)
    client.force_login(user)

    assert client.get(TEMPLATE_URL).status_code == 403
    assert client.get(EXPORT_URL).status_code == 403


def test_template_download_reimports_cleanly(staff, subject):
    response = staff.get(TEMPLATE_URL)

    assert response.status_code == 200
    assert response["Content-Type"] == XLSX_TYPE
    assert "attachment" in response["Content-Disposition"]
    assert ".xlsx" in response["Content-Disposition"]
    report = services.items_import(subject=subject, data=response.content, commit=False)
    assert report.count("imported") == 6 and report.clean


def test_export_page_loads(staff, subject):
    response = staff.get(EXPORT_URL, {"subject": subject.pk})

    assert response.status_code == 200
    assert 'name="format"' in response.content.decode()


@pytest.mark.parametrize(("fmt", "content_type", "extension"), [
    ("xlsx", XLSX_TYPE, ".xlsx"),
    ("qti", "application/zip", ".zip"),
    ("moodle_xml", "application/xml; charset=utf-8", ".xml"),
    ("gift", "text/plain; charset=utf-8", ".gift.txt"),
])
def test_export_downloads_a_file_that_reimports(staff, subject, fmt, content_type, extension):
    services.items_import(subject=subject, data=xlsx.items_template(), commit=True)
    other = factories.make_subject(exam=subject.exam, code="AGAIN")

    response = staff.get(EXPORT_URL, {"subject": subject.pk, "format": fmt})

    assert response.status_code == 200
    assert response["Content-Type"] == content_type
    disposition = response["Content-Disposition"]
    assert disposition.startswith("attachment") and f'IMPORT-questions{extension}"' in disposition
    again = services.items_import(subject=other, data=response.content,
                                  filename=f"export{extension}", commit=True)
    assert again.format == fmt
    assert again.count("error") == 0 and again.count("imported") > 0
    # re-importing into the same subject finds every item already there
    same = services.items_import(subject=subject, data=response.content,
                                 filename=f"export{extension}", commit=False)
    assert same.count("imported") == 0


def test_all_or_nothing_choice_imports_nothing_when_an_item_has_an_error(admin_client, subject):
    gift = "::ok:: 碳达峰年份？ {=2030 ~2060}\n\n::broken:: 没有正确答案 {~A ~B}\n".encode()
    page = upload(admin_client, subject, gift, name="mixed.gift").content.decode()
    assert 'name="mode"' in page  # the choice is offered when some items have errors

    response = admin_client.post(IMPORT_URL, {
        "step": "confirm", "token": admin_client.session[SESSION_KEY]["token"],
        "mode": "all_or_nothing"})

    assert response.status_code == 200
    assert not Question.objects.exists()
    messages = [str(m) for m in response.context["messages"]]
    assert any("error" in m.lower() or "错误" in m for m in messages), messages
