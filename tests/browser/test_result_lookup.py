"""A candidate looks up a published result in the browser (phone-sized)."""

from __future__ import annotations

from decimal import Decimal

import pytest
from playwright.sync_api import expect

from examhall.delivery import services as delivery
from examhall.delivery.models import Attempt
from examhall.devtools import factories
from examhall.grading import results

pytestmark = pytest.mark.django_db(transaction=True)


def test_published_result_is_shown_for_ticket_and_id(browser, server_url, screenshot):
    exam, subject, _se, _r, [(registration, id_number)] = factories.make_sitting()
    subject.pass_mark = Decimal("1")
    subject.save()
    attempt = delivery.attempt_start(
        attempt_id=Attempt.objects.create(registration=registration).pk)
    delivery.attempt_submit(attempt_id=attempt.pk)
    results.results_publish(exam=exam)

    context = browser.new_context(locale="zh-CN", viewport={"width": 390, "height": 844},
                                  is_mobile=True)
    page = context.new_page()
    page.goto(f"{server_url}/results/{exam.code}/")
    page.fill("#ticket_number", registration.ticket_number)
    page.fill("#id_number", id_number)
    page.click("#lookup-button")
    expect(page.locator("#result-score")).to_contain_text("0.00 / 10.00")
    expect(page.locator("#result-outcome")).to_contain_text("不合格")
    screenshot(page, "result-lookup-phone")
    context.close()
