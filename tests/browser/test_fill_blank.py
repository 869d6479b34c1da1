"""A fill-in-the-blank question in a real browser: one input per gap inline in the
stem, the texts saved while typing, back after a reload, marked on submit."""

from __future__ import annotations

import re
import time
from decimal import Decimal

import pytest
from playwright.sync_api import expect

from examhall.delivery.models import Answer
from examhall.devtools import factories
from examhall.itembank.models import PaperQuestion, Question
from tests.browser.steps import sign_in_and_start, stored_value, wait_for_stored

pytestmark = pytest.mark.django_db(transaction=True)



def test_candidate_fills_the_gaps_reloads_and_submits(browser, server_url, screenshot):
    _exam, subject, _session, _room, [(registration, id_number)] = factories.make_sitting(
        questions=2
    )
    question = Question.objects.create(
        subject=subject, kind="fill_blank", score=Decimal("4"),
        stem="1 吨碳完全燃烧生成 {{1}}，约 {{2}} 吨。",
        blanks=[{"key": "1", "answers": ["二氧化碳", "CO2"]},
                {"key": "2", "answers": ["3.67"], "numeric": True, "tolerance": "0.01"}],
    )
    PaperQuestion.objects.create(paper=subject.papers.get(), question=question, position=3)

    context = browser.new_context(locale="zh-CN", viewport={"width": 1280, "height": 800})
    page = context.new_page()
    sign_in_and_start(page, server_url, registration, id_number)

    # The fill_blank question: the stem with an input where each gap stands.
    palette_button = page.locator(f'#palette [data-question-id="{question.pk}"]')
    palette_button.click()
    expect(page.locator("#question")).to_have_attribute("data-question-id", str(question.pk))
    stem = page.locator("#question-stem")
    gap_1 = stem.locator(f'input[name="q-{question.pk}-1"]')
    gap_2 = stem.locator(f'input[name="q-{question.pk}-2"]')
    expect(gap_1).to_have_attribute("data-blank-key", "1")
    expect(gap_1).to_have_attribute("maxlength", "200")
    expect(gap_1).to_have_attribute("autocomplete", "off")
    expect(gap_1).to_have_attribute("aria-label", re.compile("1"))
    expect(gap_2).to_have_attribute("aria-label", re.compile("2"))
    expect(stem).to_contain_text("1 吨碳完全燃烧生成")
    assert "{{" not in stem.text_content()
    # The inputs stand inside the sentence where the markers were.
    flat = stem.evaluate(
        """el => {
          const out = [];
          const walk = (node) => node.nodeType === 3 ? out.push(node.data)
            : node.tagName === 'INPUT' ? out.push(`[${node.name}]`)
            : node.childNodes.forEach(walk);
          el.childNodes.forEach(walk);
          return out.join('');
        }"""
    )
    assert flat == f"1 吨碳完全燃烧生成 [q-{question.pk}-1]，约 [q-{question.pk}-2] 吨。"
    expect(page.locator("#question-fieldset")).to_be_hidden()
    expect(palette_button).to_have_attribute("data-answered", "false")
    screenshot(page, "fill-blank-empty")

    # Type in the first gap; moving to the second saves at once (blur).
    gap_1.click()
    gap_1.press_sequentially("ｃｏ２")
    gap_2.click()
    wait_for_stored(registration, question.pk, ["ｃｏ２", ""])
    expect(palette_button).to_have_attribute("data-answered", "true")
    # Typing in the second is saved after a short pause, without leaving it.
    gap_2.press_sequentially("3.666")
    wait_for_stored(registration, question.pk, ["ｃｏ２", "3.666"])
    expect(page.locator("#pending-count")).to_have_attribute("data-count", "0")
    gap_2.blur()
    screenshot(page, "fill-blank-desktop")

    # A phone: the gaps stay inline and nothing overflows sideways.
    page.set_viewport_size({"width": 390, "height": 844})
    expect(gap_2).to_be_visible()
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    screenshot(page, "fill-blank-phone")
    page.set_viewport_size({"width": 1280, "height": 800})

    # Reload: the texts come back.
    page.reload()
    page.locator(f'#palette [data-question-id="{question.pk}"]').click()
    expect(page.locator(f'input[name="q-{question.pk}-1"]')).to_have_value("ｃｏ２")
    expect(page.locator(f'input[name="q-{question.pk}-2"]')).to_have_value("3.666")
    expect(page.locator("#answered-summary")).to_have_text(re.compile(r"1\D+3"))

    # Mark for review keeps the texts.
    page.locator("#mark-toggle").click()
    expect(page.locator(f'#palette [data-question-id="{question.pk}"]')).to_have_attribute(
        "data-marked", "true"
    )
    expect(page.locator("#pending-count")).to_have_attribute("data-count", "0")
    until = time.monotonic() + 10
    while time.monotonic() < until and not Answer.objects.get(
        attempt__registration=registration, question_id=question.pk
    ).marked:
        time.sleep(0.1)
    assert Answer.objects.get(
        attempt__registration=registration, question_id=question.pk
    ).marked

    # Submit: the two other questions are unanswered; the gaps earn the full 4 points.
    page.click("#submit-button")
    expect(page.locator("#submit-modal")).to_be_visible()
    expect(page.locator("#unanswered-count")).to_have_text("2")
    expect(page.locator("#marked-count")).to_have_text("1")
    page.click("#confirm-submit")
    page.wait_for_url(re.compile(r"/attempt/done/$"))
    expect(page.locator("#score")).to_have_attribute("data-score", re.compile(r"^4(\.0+)?$"))
    expect(page.locator("#score")).to_contain_text("4")
    assert stored_value(registration, question.pk) == ["ｃｏ２", "3.666"]
    context.close()


def test_unfinished_typing_is_saved_on_navigation(browser, server_url):
    """Typing then moving on at once (before the pause) still records the texts."""
    _exam, subject, _session, _room, [(registration, id_number)] = factories.make_sitting(
        questions=1
    )
    question = Question.objects.create(
        subject=subject, kind="fill_blank", score=Decimal("2"),
        stem="中国的首都是{{1}}。",
        blanks=[{"key": "1", "answers": ["北京"]}, {"key": "x", "answers": ["甲"]}],
    )
    PaperQuestion.objects.create(paper=subject.papers.get(), question=question, position=2)
    context = browser.new_context(locale="zh-CN")
    page = context.new_page()
    sign_in_and_start(page, server_url, registration, id_number)
    page.locator(f'#palette [data-question-id="{question.pk}"]').click()

    # The gap "x" has no marker: its input comes after the stem.
    extra = page.locator(f'#question-stem input[name="q-{question.pk}-x"]')
    expect(extra).to_be_visible()
    assert page.locator("#question-stem").evaluate(
        "el => el.lastElementChild.dataset.blankKey"
    ) == "x"

    extra.press_sequentially("甲")
    page.keyboard.press("Tab")  # leave the gap: saved at once
    page.locator("#question-stem input").first.press_sequentially("北京")
    page.locator("#prev-button").click()  # before the pause is over
    wait_for_stored(registration, question.pk, ["北京", "甲"])
    expect(page.locator("#pending-count")).to_have_attribute("data-count", "0")
    expect(page.locator("#answered-summary")).to_have_text(re.compile(r"1\D+2"))
    expect(page.locator(f'#palette [data-question-id="{question.pk}"]')).to_have_attribute(
        "data-answered", "true"
    )
    context.close()
