"""Review after the exam in the browser: a reviewer opens the queue, the flagged attempt
is first, marks it "violation"; the exam is formal, so a second reviewer confirms, and
the attempt is voided."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from examhall.core import clock
from examhall.delivery.models import Attempt
from examhall.devtools import factories
from examhall.exams.models import Exam
from examhall.proctoring.models import BrowserEvent
from examhall.review.tests import helpers
from tests.browser.conftest import SCREENSHOTS

pytestmark = pytest.mark.django_db(transaction=True)


def _sign_in(page: Page, server_url: str, username: str) -> None:
    page.goto(f"{server_url}/admin/login/?next=/review/")
    page.fill("#id_username", username)
    page.fill("#id_password", "pw")
    page.click("input[type=submit]")
    expect(page.locator("h1")).to_contain_text("Review after the exam")


def _a_formal_exam_with_a_flagged_attempt():
    exam, _subject, _session, room, people = factories.make_sitting(questions=2, candidates=3)
    exam.kind = Exam.Kind.FORMAL
    exam.name = "双碳职业能力考试（2026 年第四季度）"
    exam.save()
    quiet, flagged, minor = (helpers.finished_attempt(r) for r, _id in people)
    proctor = helpers.staff("proctor-a", rooms=(room,), permissions=("proctor_rooms",))
    for colour in ((70, 90, 120), (120, 100, 80)):
        helpers.flag(flagged, "several_faces", occurrences=2,
                     evidence=helpers.snapshot(flagged, colour=colour))
    helpers.flag(flagged, "clipboard_used", occurrences=3)
    helpers.flag(minor, "fullscreen_left")
    helpers.irregularity(flagged, proctor,
                         description="A second person appeared behind the candidate.")
    BrowserEvent.objects.bulk_create(
        BrowserEvent(attempt=flagged, type=kind, server_at=clock.now())
        for kind in ("copy", "paste", "paste", "focus_lost"))
    helpers.staff("reviewer-1", rooms=(room,))
    helpers.staff("reviewer-2", rooms=(room,))
    return quiet, flagged, minor


def test_a_violation_confirmed_by_a_second_reviewer_voids_the_attempt(
        browser, server_url, screenshot):
    quiet, flagged, minor = _a_formal_exam_with_a_flagged_attempt()
    first = browser.new_context(locale="en-US", viewport={"width": 1280, "height": 900})
    page = first.new_page()

    # The queue: the flagged attempt first, the one with a low flag after it.
    _sign_in(page, server_url, "reviewer-1")
    rows = page.locator("#review-queue tbody tr")
    expect(rows).to_have_count(2)
    expect(rows.nth(0)).to_have_attribute("data-attempt", str(flagged.pk))
    expect(rows.nth(1)).to_have_attribute("data-attempt", str(minor.pk))
    screenshot(page, "review-01-queue")

    # The attempt: evidence pictures load; the decision "violation" with a note waits.
    rows.nth(0).get_by_role("link").click()
    expect(page.locator("h1")).to_contain_text(flagged.registration.ticket_number)
    pictures = page.locator("[data-flag] img")
    expect(pictures).to_have_count(2)
    page.wait_for_function("[...document.querySelectorAll('[data-flag] img')]"
                           ".every(img => img.complete && img.naturalWidth > 0)")
    page.check("#status-violation")
    page.fill("#decision-note", "Two people in front of the PC camera; pasted text.")
    page.click("#decision-button")
    expect(page.locator("#review-message")).to_contain_text("second reviewer")
    expect(page.locator("#current-decision [data-awaiting]")).to_be_visible()
    expect(page.locator("#confirm-form")).to_have_count(0)  # not by the same reviewer
    expect(page.locator("#attempt-state")).to_have_attribute("data-state", "graded")
    screenshot(page, "review-02-detail-waiting")

    # A second reviewer confirms: the attempt is voided and the decision final.
    second = browser.new_context(locale="en-US", viewport={"width": 1280, "height": 900})
    other = second.new_page()
    _sign_in(other, server_url, "reviewer-2")
    other.locator(f'tr[data-attempt="{flagged.pk}"] a').click()
    other.fill("#confirm-note", "Agreed: a second person is visible twice.")
    other.click("#confirm-button")
    expect(other.locator("#review-message")).to_contain_text("voided")
    expect(other.locator("#attempt-state")).to_have_attribute("data-state", "voided")
    expect(other.locator("#decision-final")).to_be_visible()
    expect(other.locator("#decision-history li")).to_have_count(2)
    screenshot(other, "review-03-detail-voided")
    assert Attempt.objects.get(pk=flagged.pk).state == "voided"
    assert Attempt.objects.get(pk=quiet.pk).state == "graded"

    # The integrity report and its PDF.
    other.click("#report-link")
    expect(other.locator("#report-decision")).to_contain_text("Violation")
    expect(other.locator("#report-decisions tr")).to_have_count(2)
    screenshot(other, "review-04-report")
    pdf = other.request.get(f"{server_url}/review/attempts/{flagged.pk}/report.pdf")
    assert pdf.ok and pdf.body().startswith(b"%PDF-")
    (SCREENSHOTS / "review-05-report.pdf").write_bytes(pdf.body())
    assert re.search(r"integrity-.*\.pdf", pdf.headers["content-disposition"])
    first.close()
    second.close()
