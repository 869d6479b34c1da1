"""A case question in a real browser: the shared material (a table) above each
sub-question, kept in place while moving between its parts, gone for a question
outside the case; the parts are answered and marked like any other question."""

from __future__ import annotations

import re
from decimal import Decimal

import pytest
from playwright.sync_api import expect

from examhall.devtools import factories
from examhall.grading.models import AttemptResult
from examhall.itembank.models import PaperQuestion, Question
from tests.browser.steps import sign_in_and_start, wait_for_stored

pytestmark = pytest.mark.django_db(transaction=True)

MATERIAL = (
    "<p>某企业 2025 年消耗的能源如下表所示，请据此回答后面的小题。</p>"
    "<table><caption>能源消耗</caption>"
    "<tr><th>能源</th><th>消耗量</th><th>排放因子</th></tr>"
    "<tr><td>天然气</td><td>100 万 m³</td><td>2.16 tCO₂/万 m³</td></tr>"
    "<tr><td>外购电力</td><td>500 MWh</td><td>0.5703 tCO₂/MWh</td></tr></table>"
)


@pytest.mark.parametrize("viewport", [{"width": 1280, "height": 800},
                                      {"width": 390, "height": 844}], ids=["desktop", "phone"])
def test_candidate_answers_a_case_under_its_material(browser, server_url, screenshot,
                                                     viewport):
    _exam, subject, _session, _room, [(registration, id_number)] = factories.make_sitting(
        questions=1
    )
    case = Question.objects.create(subject=subject, kind="case", stem=MATERIAL, score=5)
    single = Question.objects.create(
        subject=subject, kind="single", parent=case, position=1, score=Decimal("2"),
        stem="天然气燃烧的排放量约为多少吨 CO₂？", answer=["B"],
        options=[{"key": "A", "text": "21.6"}, {"key": "B", "text": "216"},
                 {"key": "C", "text": "2160"}])
    blank = Question.objects.create(
        subject=subject, kind="fill_blank", parent=case, position=2, score=Decimal("3"),
        stem="外购电力的间接排放约为 {{1}} 吨 CO₂。",
        blanks=[{"key": "1", "answers": ["285.15"], "numeric": True, "tolerance": "0.5"}])
    PaperQuestion.objects.create(paper=subject.papers.get(), question=case, position=2)

    context = browser.new_context(locale="zh-CN", viewport=viewport,
                                  is_mobile=viewport["width"] < 500,
                                  has_touch=viewport["width"] < 500)
    page = context.new_page()
    sign_in_and_start(page, server_url, registration, id_number)

    # The first question is outside the case: no material.
    expect(page.locator("#question-case")).to_be_hidden()

    page.locator(f'#palette [data-question-id="{single.pk}"]').click()
    expect(page.locator("#question")).to_have_attribute("data-question-id", str(single.pk))
    material = page.locator("#case-material")
    expect(page.locator("#question-case")).to_be_visible()
    expect(page.locator("#case-title")).to_contain_text("案例 1")
    expect(page.locator("#case-title")).to_contain_text("1/2")
    expect(material.locator("table th").first).to_have_text("能源")
    expect(material.locator("caption")).to_have_text("能源消耗")
    page.locator(f'label[for="q-{single.pk}-B"]').click()
    wait_for_stored(registration, single.pk, ["B"])
    screenshot(page, f"case-part-1-{viewport['width']}")

    # Next: the second part under the same material.
    page.locator("#next-button").click()
    expect(page.locator("#question")).to_have_attribute("data-question-id", str(blank.pk))
    expect(page.locator("#case-title")).to_contain_text("2/2")
    expect(material.locator("table")).to_be_visible()
    gap = page.locator(f'#question-stem input[name="q-{blank.pk}-1"]')
    gap.click()
    gap.press_sequentially("285")
    gap.blur()
    wait_for_stored(registration, blank.pk, ["285"])
    screenshot(page, f"case-part-2-{viewport['width']}")

    # Back to the first question: the material goes away.
    page.locator("#palette button").first.click()
    expect(page.locator("#question-case")).to_be_hidden()

    page.locator("#submit-button").click()
    expect(page.locator("#submit-modal")).to_be_visible()
    page.locator("#confirm-submit").click()
    page.wait_for_url(re.compile(r"/attempt/done/$"))
    result = AttemptResult.objects.get(attempt__registration=registration)
    assert result.score == Decimal("5")  # 2 + 3 (tolerance 0.5); question 1 unanswered
    context.close()
