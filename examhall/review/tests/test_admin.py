"""The admin: the exam's review policy is set there; decisions are shown, never edited."""

from __future__ import annotations

import pytest
from django.test import Client

from examhall.devtools import factories
from examhall.review import services
from examhall.review.models import ReviewPolicy
from examhall.review.tests import helpers

pytestmark = pytest.mark.django_db


def test_the_office_sets_the_policy_and_reads_decisions_without_editing_them():
    exam, _subject, _session, room, [(registration, _id)] = factories.make_sitting(questions=1)
    attempt = helpers.finished_attempt(registration)
    helpers.flag(attempt, "several_faces")
    reviewer = helpers.staff("reviewer-1", rooms=(room,))
    review = services.review_decide(reviewer=reviewer, attempt_id=attempt.pk,
                                    status="suspicious", note="Looks away.")
    client = Client()
    client.force_login(helpers.staff("office", superuser=True))

    added = client.post("/admin/review/reviewpolicy/add/",
                        {"exam": exam.pk, "second_reviewer_for_violation": ""})

    assert added.status_code == 302
    assert ReviewPolicy.objects.get(exam=exam).second_reviewer_for_violation is False
    page = client.get(f"/admin/review/attemptreview/{review.pk}/change/")
    assert page.status_code == 200
    assert "Looks away." in page.content.decode()
    assert 'name="status"' not in page.content.decode()  # read-only
    assert client.get("/admin/review/attemptreview/add/").status_code == 403
