"""The demo: the formal exam is taken in the exam client, the mock exam in any browser."""

from __future__ import annotations

import pytest
from django.test import Client

from examhall.devtools import seed

pytestmark = pytest.mark.django_db


def test_the_demo_formal_exam_requires_the_client_and_the_mock_exam_does_not():
    seed.seed_demo()
    browser = Client()

    formal = browser.get(f"/api/client/exams/{seed.FORMAL_EXAM_CODE}/policy").json()
    mock = browser.get(f"/api/client/exams/{seed.EXAM_CODE}/policy").json()

    assert formal["requires_client"] is True and formal["virtual_machine"] == "warn"
    assert mock["requires_client"] is False
    assert browser.get(f"/exam/{seed.FORMAL_EXAM_CODE}/").status_code == 403
    assert browser.get(f"/exam/{seed.EXAM_CODE}/").status_code == 200
