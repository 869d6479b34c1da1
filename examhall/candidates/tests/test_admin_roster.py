"""The admin's roster import over HTTP: upload, dry-run report, confirm, template."""

from __future__ import annotations

import io

import openpyxl
import pytest
from django.contrib.admin.models import LogEntry
from django.contrib.auth.models import Permission
from django.core.files.storage import default_storage
from django.urls import reverse

from examhall.candidates.admin import SESSION_KEY, UPLOAD_DIR
from examhall.candidates.models import Candidate, Registration
from examhall.candidates.tests.rosters import make_exam_setup, xlsx

pytestmark = pytest.mark.django_db

IMPORT_URL = reverse("admin:candidates_registration_import")
TEMPLATE_URL = reverse("admin:candidates_registration_import_template")
CHANGELIST_URL = reverse("admin:candidates_registration_changelist")


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.LANGUAGE_CODE = "en"


@pytest.fixture
def setup():
    return make_exam_setup(code="dc-2025")


@pytest.fixture
def office(client, django_user_model):
    user = django_user_model.objects.create_superuser("office", "office@example.com", "pw")
    client.force_login(user)
    return client


def upload(client, setup, rows):
    data = xlsx(rows)
    data.name = "roster.xlsx"
    return client.post(IMPORT_URL, {"step": "upload", "exam": setup.exam.pk, "file": data})


def pending_files() -> list[str]:
    try:
        return default_storage.listdir(UPLOAD_DIR)[1]
    except FileNotFoundError:
        return []


def confirm(client, mode):
    token = client.session[SESSION_KEY]["token"]
    return client.post(IMPORT_URL, {"step": "confirm", "token": token, "mode": mode})


def test_changelist_links_to_the_import_page_and_the_template(office):
    response = office.get(CHANGELIST_URL)

    assert response.status_code == 200
    assert f'href="{IMPORT_URL}"' in response.content.decode()
    assert f'href="{TEMPLATE_URL}"' in response.content.decode()


def test_import_page_offers_exam_and_file(office, setup):
    response = office.get(IMPORT_URL)

    assert response.status_code == 200
    assert b'name="file"' in response.content
    assert setup.exam.name in response.content.decode()


def test_upload_shows_the_dry_run_report_and_writes_nothing(office, setup):
    response = upload(office, setup, [setup.row(), setup.row(subject="不存在的科目")])

    page = response.content.decode()
    assert response.status_code == 200
    assert 'id="roster-problems"' in page
    assert "<td>3</td>" in page and "<td>报考科目</td>" in page
    assert "This exam has no subject “不存在的科目”" in page
    assert "2 rows: 1 ok, 0 with warnings, 1 with errors." in page
    assert Registration.objects.count() == 0
    assert len(pending_files()) == 1


def test_confirm_valid_rows_only_imports_the_good_rows_and_cleans_up(office, setup):
    upload(office, setup, [setup.row("张三"), setup.row("坏行", subject="nope")])

    response = confirm(office, "valid_rows")

    assert response.status_code == 302
    assert response["Location"].startswith(CHANGELIST_URL)
    assert list(Candidate.objects.values_list("name", flat=True)) == ["张三"]
    assert pending_files() == []
    assert SESSION_KEY not in office.session
    assert LogEntry.objects.filter(object_id=str(setup.exam.pk)).exists()


def test_confirm_all_or_nothing_with_a_bad_row_imports_nothing_and_keeps_the_file(
    office, setup
):
    upload(office, setup, [setup.row("张三"), setup.row("坏行", subject="nope")])

    response = confirm(office, "all_or_nothing")

    assert response.status_code == 200
    assert "Nothing was imported" in response.content.decode()
    assert Registration.objects.count() == 0
    assert len(pending_files()) == 1


def test_confirm_of_a_clean_sheet_imports_everything(office, setup):
    upload(office, setup, [setup.row(), setup.row()])

    response = confirm(office, "all_or_nothing")

    assert response.status_code == 302
    assert Registration.objects.count() == 2


def test_a_file_that_is_not_xlsx_gets_a_message_not_an_error_page(office, setup):
    data = io.BytesIO(b"just text")
    data.name = "roster.xlsx"

    response = office.post(IMPORT_URL, {"step": "upload", "exam": setup.exam.pk, "file": data})

    assert response.status_code == 200
    assert "not an Excel workbook" in response.content.decode()
    assert pending_files() == []


def test_cancel_deletes_the_uploaded_file(office, setup):
    upload(office, setup, [setup.row()])

    response = office.post(IMPORT_URL, {"step": "cancel"})

    assert response.status_code == 302
    assert pending_files() == []
    assert Registration.objects.count() == 0


def test_confirm_with_a_stale_token_asks_to_upload_again(office, setup):
    upload(office, setup, [setup.row()])

    response = office.post(IMPORT_URL, {
        "step": "confirm", "token": "00000000-0000-0000-0000-000000000000", "mode": "valid_rows",
    })

    assert response.status_code == 200
    assert "Upload it again" in response.content.decode()
    assert Registration.objects.count() == 0


def test_template_downloads_as_xlsx_and_imports_cleanly(office, setup):
    response = office.get(TEMPLATE_URL, {"exam": setup.exam.pk})

    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    assert "roster-template-dc-2025.xlsx" in response["Content-Disposition"]
    workbook = openpyxl.load_workbook(io.BytesIO(response.content))
    assert workbook.sheetnames == ["考生名单", "说明"]

    data = io.BytesIO(response.content)
    data.name = "template.xlsx"
    office.post(IMPORT_URL, {"step": "upload", "exam": setup.exam.pk, "file": data})
    assert confirm(office, "all_or_nothing").status_code == 302
    assert Registration.objects.count() == 2


def test_staff_without_import_permissions_is_refused(client, django_user_model, setup):
    clerk = django_user_model.objects.create_user("clerk", password="pw", is_staff=True)
    clerk.user_permissions.add(Permission.objects.get(codename="view_registration"))
    client.force_login(clerk)

    assert client.get(IMPORT_URL).status_code == 403
    assert upload(client, setup, [setup.row()]).status_code == 403
    assert client.get(TEMPLATE_URL).status_code == 200
    assert f'href="{IMPORT_URL}"' not in client.get(CHANGELIST_URL).content.decode()
