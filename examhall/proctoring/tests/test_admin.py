"""The office's admin pages of monitoring: flags (filters, evidence thumbnails),
snapshots (thumbnail) and exam policies."""

from __future__ import annotations

import pytest
from django.urls import reverse

from examhall.proctoring import services
from examhall.proctoring.models import Flag, MonitoringPolicy, Snapshot
from examhall.proctoring.tests.helpers import black, started_attempt, upload

pytestmark = pytest.mark.django_db


@pytest.fixture
def office(client, django_user_model):
    user = django_user_model.objects.create_superuser("office", "office@example.org", "pw")
    client.force_login(user)
    return client


def test_flags_list_filters_and_show_evidence(office):
    exam, [client] = started_attempt()
    MonitoringPolicy.objects.create(exam=exam)
    assert upload(client, black()).status_code == 202
    snapshot = services.analyse_snapshot(Snapshot.objects.get().pk)
    flag = Flag.objects.get()

    listing = office.get(reverse("admin:proctoring_flag_changelist"),
                         {"status__exact": "open", "category__exact": "device"})
    empty = office.get(reverse("admin:proctoring_flag_changelist"),
                       {"category__exact": "identity"})
    page = office.get(reverse("admin:proctoring_flag_change", args=[flag.pk]))
    snapshot_page = office.get(reverse("admin:proctoring_snapshot_changelist"))
    policy_page = office.get(reverse("admin:proctoring_monitoringpolicy_changelist"))

    assert listing.status_code == 200 and client.registration.ticket_number in (
        listing.content.decode())
    assert empty.status_code == 200 and client.registration.ticket_number not in (
        empty.content.decode())
    picture = reverse("console:snapshot", args=[snapshot.pk])  # checked, not /media/
    assert page.status_code == 200 and f'src="{picture}"' in page.content.decode()
    assert snapshot_page.status_code == 200 and f'src="{picture}"' in (
        snapshot_page.content.decode())
    assert snapshot.image.url not in snapshot_page.content.decode()
    assert office.get(picture)["Content-Type"] == "image/jpeg"
    assert policy_page.status_code == 200 and exam.name in policy_page.content.decode()
