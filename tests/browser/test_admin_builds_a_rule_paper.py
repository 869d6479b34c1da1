"""The exam office imports a QTI package in the admin, builds a rule-based paper,
and a candidate takes it (issue 3's end-to-end path)."""

from __future__ import annotations

import re
from decimal import Decimal

import pytest
from playwright.sync_api import expect

from examhall.delivery.models import Attempt
from examhall.devtools import factories
from examhall.itembank.formats import qti
from examhall.itembank.formats.interchange import Item, Option
from examhall.itembank.models import Question
from tests.browser.steps import sign_in_and_start

pytestmark = pytest.mark.django_db(transaction=True)


def _package(tmp_path) -> str:
    items = [
        Item(kind="single", stem=f"第{n}题：范围一排放包括哪一项？", identifier=f"qti-{n}",
             score=Decimal(1), options=[Option("A", "自有锅炉燃烧", correct=True),
                                        Option("B", "外购电力"), Option("C", "员工通勤")])
        for n in range(1, 7)
    ]
    path = tmp_path / "carbon-items.zip"
    path.write_bytes(qti.write_qti_package(items, version="2.1"))
    return str(path)


def test_office_imports_qti_builds_rule_paper_candidate_takes_it(
    browser, server_url, screenshot, tmp_path, django_user_model
):
    _exam, subject, _session, _room, [(registration, id_number)] = factories.make_sitting(
        questions=0)
    subject.papers.all().delete()
    django_user_model.objects.create_superuser("office", "office@example.org", "office-pass-1")

    office = browser.new_context(locale="zh-CN", viewport={"width": 1280, "height": 900})
    page = office.new_page()
    page.goto(f"{server_url}/admin/login/")
    page.fill("#id_username", "office")
    page.fill("#id_password", "office-pass-1")
    page.click("input[type=submit]")

    # 1. Import the QTI package: check first, then confirm.
    page.goto(f"{server_url}/admin/itembank/question/import/")
    page.select_option("#id_subject", str(subject.pk))
    page.set_input_files("#id_file", _package(tmp_path))
    page.click("input[type=submit]")
    expect(page.locator("#items-counts")).to_contain_text("6")
    screenshot(page, "office-01-import-report")
    page.click("button[name=step][value=confirm]")
    expect(page.locator(".messagelist")).to_contain_text("6")
    assert Question.objects.filter(subject=subject).count() == 6

    # 2. Build a rule paper: one section drawing 4 single-choice questions at 2.5 points.
    page.goto(f"{server_url}/admin/itembank/paper/add/")
    page.select_option("#id_subject", str(subject.pk))
    page.fill("#id_name", "规则卷（双碳）")
    page.select_option("#id_kind", "rules")
    page.check("#id_shuffle_questions")
    page.check("#id_shuffle_options")
    page.locator("#sections-group .add-row a").click()
    page.fill("#id_sections-0-position", "1")
    page.fill("#id_sections-0-name", "单选题")
    page.select_option("#id_sections-0-question_kind", "single")
    page.fill("#id_sections-0-count", "4")
    page.fill("#id_sections-0-points", "2.5")
    screenshot(page, "office-02-rule-paper")
    page.click("input[name=_save]")
    expect(page.locator(".messagelist")).to_be_visible()
    assert "warning" not in (page.locator(".messagelist").inner_html())  # the bank can fill it
    office.close()

    # 3. The candidate takes the drawn paper.
    candidate = browser.new_context(locale="zh-CN")
    page = candidate.new_page()
    sign_in_and_start(page, server_url, registration, id_number)
    expect(page.locator("#palette [data-question-id]")).to_have_count(4)
    for index in range(4):
        page.locator("#palette [data-question-id]").nth(index).click()
        page.locator("#question label", has_text="自有锅炉燃烧").click()
    expect(page.locator("#pending-count")).to_have_attribute("data-count", "0", timeout=10_000)
    page.click("#submit-button")
    page.click("#confirm-submit")
    page.wait_for_url(re.compile(r"/attempt/done/$"))
    expect(page.locator("#score")).to_contain_text("10")
    screenshot(page, "office-03-candidate-done")
    attempt = Attempt.objects.get(registration=registration)
    assert len(attempt.question_ids) == 4
    assert attempt.paper_spec["questions"][attempt.question_ids[0]]["points"] == "2.50"
    candidate.close()
