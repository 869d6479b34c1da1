"""The exam office edits client policies (the key read-only, rotated by an action) and
reads environment reports."""

from __future__ import annotations

import pytest
from django.urls import reverse

from examhall.lockdown.models import ClientEnvironmentReport, ClientPolicy
from examhall.lockdown.tests.helpers import ExamClientUser, client_exam, report

pytestmark = pytest.mark.django_db


@pytest.fixture
def office(client, django_user_model):
    client.force_login(django_user_model.objects.create_superuser("office", "o@example.com",
                                                                  "pw"))
    return client


def test_policy_and_report_pages_answer(office):
    _exam, policy, registration, id_number = client_exam()
    user = ExamClientUser(registration, id_number, key=policy.client_key)
    user.login()
    assert user.post_json(user.attempt_path("/client-environment"), report()).status_code == 200
    row = ClientEnvironmentReport.objects.get()

    for url in (
        reverse("admin:lockdown_clientpolicy_changelist"),
        reverse("admin:lockdown_clientpolicy_add"),
        reverse("admin:lockdown_clientpolicy_change", args=[policy.pk]),
        reverse("admin:lockdown_clientenvironmentreport_changelist"),
        reverse("admin:lockdown_clientenvironmentreport_change", args=[row.pk]),
    ):
        assert office.get(url).status_code == 200, url
    assert office.get(reverse("admin:lockdown_clientenvironmentreport_add")).status_code == 403


def test_rotating_the_key_refuses_the_old_one(office):
    exam, policy, registration, id_number = client_exam()
    old_key = policy.client_key

    response = office.post(reverse("admin:lockdown_clientpolicy_changelist"),
                           {"action": "rotate_key", "_selected_action": [policy.pk]})

    assert response.status_code == 302
    policy.refresh_from_db()
    assert policy.client_key != old_key
    assert ExamClientUser(registration, id_number, key=old_key).get(
        f"/exam/{exam.code}/").status_code == 403
    assert ExamClientUser(registration, id_number, key=policy.client_key).get(
        f"/exam/{exam.code}/").status_code == 200


def test_an_unknown_built_in_entry_is_refused_by_the_form(office):
    exam, _policy, _registration, _id = client_exam(requires_client=None)

    response = office.post(reverse("admin:lockdown_clientpolicy_add"), {
        "exam": exam.pk, "requires_client": "on", "min_client_version": "0.1.0",
        "forbidden_processes": '["wechat", "no-such-program"]', "allowed_processes": "[]",
        "max_displays": 1, "virtual_machine": "refuse", "remote_session": "refuse",
        "battery_min_percent": 20, "recheck_interval_seconds": 30})

    assert response.status_code == 200 and "no-such-program" in response.content.decode()
    assert not ClientPolicy.objects.exists()
