"""An essay question in a real browser: a large text box with a character count,
the text saved while typing, back after a reload, and the exam submitted (the
essay is marked later by people)."""

from __future__ import annotations

import re
import time
from decimal import Decimal

import pytest
from playwright.sync_api import expect

from examhall.devtools import factories
from examhall.itembank.models import PaperQuestion, Question
from tests.browser.steps import sign_in_and_start, stored_value, wait_for_stored

pytestmark = [
    pytest.mark.django_db(transaction=True),
    # The server (a uvicorn subprocess) reads DELIVERABLE_KINDS itself: a
    # monkeypatch in this process cannot reach it.
    pytest.mark.skipif("essay" not in Question.DELIVERABLE_KINDS,
                       reason="essays are not deliverable yet"),
]

PARAGRAPH_1 = "排放因子法是将活动数据与对应的排放因子相乘，得到温室气体排放量的方法。"
PARAGRAPH_2 = "活动数据来自企业的能源消耗台账和购销凭证；排放因子取自国家发布的缺省值或实测值。"
ESSAY = f"{PARAGRAPH_1}\n{PARAGRAPH_2}"



def test_candidate_writes_an_essay_reloads_and_submits(browser, server_url, screenshot):
    _exam, subject, _session, _room, [(registration, id_number)] = factories.make_sitting(
        questions=2
    )
    question = Question.objects.create(
        subject=subject, kind="essay", score=Decimal("10"),
        stem="简述碳排放核算中“排放因子法”的基本原理及其主要数据来源。",
    )
    PaperQuestion.objects.create(paper=subject.papers.get(), question=question, position=3)

    context = browser.new_context(locale="zh-CN", viewport={"width": 1280, "height": 800})
    page = context.new_page()
    sign_in_and_start(page, server_url, registration, id_number)

    # The essay: the stem as text, no options, one large text box with a count.
    palette_button = page.locator(f'#palette [data-question-id="{question.pk}"]')
    palette_button.click()
    expect(page.locator("#question")).to_have_attribute("data-question-id", str(question.pk))
    expect(page.locator("#question-stem")).to_have_text(question.stem)
    expect(page.locator("#question-fieldset")).to_be_hidden()
    textarea = page.locator(f'#question-essay textarea[name="q-{question.pk}-text"]')
    expect(textarea).to_be_visible()
    expect(textarea).to_have_attribute("maxlength", "20000")
    expect(textarea).to_have_attribute("aria-label", re.compile(r"\S"))
    expect(textarea).to_have_value("")
    counter = page.locator("#question-essay .eh-essay-count")
    expect(counter).to_have_attribute("data-count", "0")
    expect(counter).to_contain_text("20000")
    expect(palette_button).to_have_attribute("data-answered", "false")
    # Full width of the question card's body.
    box = textarea.bounding_box()
    stem_box = page.locator("#question-stem").bounding_box()
    assert box and stem_box and box["width"] >= stem_box["width"] - 2
    screenshot(page, "essay-empty")

    # Type two paragraphs; saved after a pause in typing, without leaving the box.
    textarea.click()
    textarea.press_sequentially(PARAGRAPH_1)
    textarea.press("Enter")
    textarea.press_sequentially(PARAGRAPH_2)
    expect(counter).to_have_attribute("data-count", str(len(ESSAY)))
    expect(counter).to_contain_text(str(len(ESSAY)))
    wait_for_stored(registration, question.pk, [ESSAY])
    expect(page.locator("#pending-count")).to_have_attribute("data-count", "0")
    expect(palette_button).to_have_attribute("data-answered", "true")
    screenshot(page, "essay-desktop")

    # A phone: the box fits and nothing overflows sideways.
    page.set_viewport_size({"width": 390, "height": 844})
    expect(textarea).to_be_visible()
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    screenshot(page, "essay-phone")
    page.set_viewport_size({"width": 1280, "height": 800})

    # Reload: the text comes back, and counts as answered.
    page.reload()
    page.locator(f'#palette [data-question-id="{question.pk}"]').click()
    textarea = page.locator(f'textarea[name="q-{question.pk}-text"]')
    expect(textarea).to_have_value(ESSAY)
    expect(page.locator("#question-essay .eh-essay-count")).to_have_attribute(
        "data-count", str(len(ESSAY))
    )
    expect(page.locator("#answered-summary")).to_have_text(re.compile(r"1\D+3"))
    assert stored_value(registration, question.pk) == [ESSAY]

    # Another question shows no essay box.
    page.locator("#prev-button").click()
    expect(page.locator("#question-essay")).to_be_hidden()
    expect(page.locator("#question-fieldset")).to_be_visible()

    # Submit; the essay is marked later by people.
    page.click("#submit-button")
    expect(page.locator("#submit-modal")).to_be_visible()
    expect(page.locator("#unanswered-count")).to_have_text("2")
    page.click("#confirm-submit")
    page.wait_for_url(re.compile(r"/attempt/done/$"))
    expect(page.locator("#done-submitted")).to_be_visible()
    screenshot(page, "essay-done")
    assert stored_value(registration, question.pk) == [ESSAY]
    context.close()


def test_essay_typed_then_left_at_once_is_saved(browser, server_url):
    """Typing then moving on before the pause is over still records the text;
    white space alone does not count as answered."""
    _exam, subject, _session, _room, [(registration, id_number)] = factories.make_sitting(
        questions=1
    )
    question = Question.objects.create(
        subject=subject, kind="essay", score=Decimal("5"), stem="谈谈你对碳中和的理解。",
    )
    PaperQuestion.objects.create(paper=subject.papers.get(), question=question, position=2)
    context = browser.new_context(locale="zh-CN")
    page = context.new_page()
    sign_in_and_start(page, server_url, registration, id_number)
    palette_button = page.locator(f'#palette [data-question-id="{question.pk}"]')
    palette_button.click()

    textarea = page.locator(f'textarea[name="q-{question.pk}-text"]')
    textarea.press_sequentially("   ")
    page.keyboard.press("Tab")  # leave the box: saved at once
    wait_for_stored(registration, question.pk, ["   "])
    expect(palette_button).to_have_attribute("data-answered", "false")

    textarea.fill("")
    textarea.press_sequentially("碳达峰")
    page.locator("#prev-button").click()  # before the pause is over
    wait_for_stored(registration, question.pk, ["碳达峰"])
    expect(page.locator("#pending-count")).to_have_attribute("data-count", "0")
    expect(palette_button).to_have_attribute("data-answered", "true")

    # An input method: nothing is saved while it composes, its result is.
    palette_button.click()
    textarea.click()
    textarea.press("End")
    cdp = context.new_cdp_session(page)
    cdp.send("Input.imeSetComposition", {"text": "zhong", "selectionStart": 5,
                                         "selectionEnd": 5})
    expect(textarea).to_have_value("碳达峰zhong")
    time.sleep(1.5)  # longer than the pause after typing
    assert stored_value(registration, question.pk) == ["碳达峰"]
    cdp.send("Input.insertText", {"text": "中和"})
    expect(textarea).to_have_value("碳达峰中和")
    wait_for_stored(registration, question.pk, ["碳达峰中和"])
    context.close()
