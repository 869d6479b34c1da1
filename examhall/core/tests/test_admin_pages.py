"""Every admin page an exam office opens answers (no 500), with the demo data loaded."""

import pytest
from django.contrib import admin
from django.urls import reverse

from examhall.devtools import seed

pytestmark = pytest.mark.django_db

MODELS = sorted(admin.site._registry, key=lambda model: model._meta.label)


@pytest.fixture
def office(client, django_user_model):
    seed.seed_demo()
    client.force_login(django_user_model.objects.get(username="admin"))
    return client


@pytest.mark.parametrize("model", MODELS, ids=lambda model: model._meta.label)
def test_changelist_and_search_answer(office, model):
    opts = model._meta
    url = reverse(f"admin:{opts.app_label}_{opts.model_name}_changelist")
    assert office.get(url).status_code == 200
    assert office.get(url, {"q": "2026110001"}).status_code == 200


@pytest.mark.parametrize("model", MODELS, ids=lambda model: model._meta.label)
def test_change_page_of_first_row_answers(office, model):
    obj = model.objects.first()
    if obj is None:
        pytest.skip("no row of this model in the demo data")
    opts = model._meta
    url = reverse(f"admin:{opts.app_label}_{opts.model_name}_change", args=[obj.pk])
    assert office.get(url).status_code == 200


def test_admin_is_in_chinese_by_default(office):
    assert "考务管理" in office.get(reverse("admin:index")).content.decode()
