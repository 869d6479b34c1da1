"""The exam office sees device-check policies (editable) and reports (read-only)."""

import pytest
from django.urls import reverse

from examhall.delivery.tests.helpers import CandidateClient
from examhall.devicecheck import services
from examhall.devicecheck.models import DeviceCheckReport
from examhall.devicecheck.tests.test_device_check_api import GOOD
from examhall.devtools import factories

pytestmark = pytest.mark.django_db


@pytest.fixture
def office(client, django_user_model):
    client.force_login(django_user_model.objects.create_superuser("office", "o@example.com",
                                                                  "pw"))
    return client


def test_policy_and_report_pages_answer(office):
    _e, _s, _se, _r, [(registration, id_number)] = factories.make_sitting()
    candidate = CandidateClient(registration, id_number)
    candidate.login()
    assert candidate.post("/device-check", GOOD).status_code == 200
    policy = services.device_check_policy_get_or_create(exam=registration.exam)
    report = DeviceCheckReport.objects.get()

    for url in (
        reverse("admin:devicecheck_devicecheckpolicy_changelist"),
        reverse("admin:devicecheck_devicecheckpolicy_add"),
        reverse("admin:devicecheck_devicecheckpolicy_change", args=[policy.pk]),
        reverse("admin:devicecheck_devicecheckreport_changelist"),
        reverse("admin:devicecheck_devicecheckreport_change", args=[report.pk]),
    ):
        assert office.get(url).status_code == 200, url
    assert office.get(reverse("admin:devicecheck_devicecheckreport_add")).status_code == 403
