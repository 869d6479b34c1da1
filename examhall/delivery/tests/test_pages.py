"""Candidate pages send the browser to the page that fits the attempt's state."""

import pytest
from django.test import Client

from examhall.delivery.tests.helpers import CandidateClient
from examhall.devtools import factories

pytestmark = pytest.mark.django_db


@pytest.fixture
def candidate() -> CandidateClient:
    _e, _s, _se, _r, [(registration, id_number)] = factories.make_sitting()
    client = CandidateClient(registration, id_number)
    client.login()
    return client


def _where(candidate: CandidateClient, path: str) -> str:
    response = candidate.client.get(path)
    return response.url if response.status_code == 302 else path


def test_not_signed_in_goes_home():
    for path in ("/attempt/check/", "/attempt/", "/attempt/done/"):
        assert Client().get(path).url == "/"


def test_before_start_every_page_leads_to_the_check_page(candidate):
    assert _where(candidate, "/attempt/") == "/attempt/check/"
    assert _where(candidate, "/attempt/done/") == "/attempt/check/"
    assert _where(candidate, "/attempt/check/") == "/attempt/check/"


def test_in_progress_leads_to_the_exam_page(candidate):
    candidate.start()
    assert _where(candidate, "/attempt/check/") == "/attempt/"
    page = candidate.client.get("/attempt/")
    assert page.status_code == 200
    assert candidate.registration.ticket_number in page.content.decode()  # watermark


def test_submitted_leads_to_the_done_page_and_never_back(candidate):
    candidate.start()
    candidate.post("/submit")
    assert _where(candidate, "/attempt/") == "/attempt/done/"
    assert _where(candidate, "/attempt/check/") == "/attempt/done/"


def test_logout_forgets_the_attempt(candidate):
    candidate.client.post("/attempt/logout/")
    assert _where(candidate, "/attempt/check/") == "/"


def test_home_lists_published_exams_only():
    shown = factories.make_exam(code="shown-exam")
    hidden = factories.make_exam(code="hidden-exam", published=False)
    body = Client().get("/").content.decode()
    assert shown.name in body
    assert hidden.name not in body
