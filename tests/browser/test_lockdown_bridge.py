"""The page side of the exam client in a real browser: Chromium stands in for the
client (``ExamHallClientInfo`` injected, every request signed on its way out, as the
client's interceptor does); a plain Chromium gets the refusal page."""

from __future__ import annotations

import json
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import expect

from examhall.lockdown import signature
from examhall.lockdown.tests.helpers import VERSION, WECHAT, client_exam, report
from examhall.proctoring.models import Flag
from tests.browser.steps import sign_in_and_start, wait_until

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.browser]


def _exam_client_context(browser, server: str, key: str):
    """A browser context that behaves like the exam client's web view."""
    context = browser.new_context(locale="en", viewport={"width": 1280, "height": 800})
    context.add_init_script(f"window.ExamHallClientInfo = {{version: '{VERSION}'}};")

    def sign(route, request):
        if not request.url.startswith(server):
            route.continue_()
            return
        parts = urlsplit(request.url)
        url = signature.canonical_url(scheme=parts.scheme, host=parts.netloc,
                                      path=parts.path or "/", query=parts.query)
        value = signature.header_value(key=key, version=VERSION, method=request.method,
                                       url=url, body=request.post_data_buffer or b"")
        route.continue_(headers={**request.headers, "x-examhall-client": value})

    context.route("**/*", sign)
    return context


def test_the_exam_page_shows_what_the_client_found_and_the_proctor_gets_a_flag(
        browser, server_url):
    _exam, policy, registration, id_number = client_exam()
    context = _exam_client_context(browser, server_url, policy.client_key)
    page = context.new_page()

    sign_in_and_start(page, server_url, registration, id_number)
    page.evaluate(f"window.ExamHallClient.receiveReport({json.dumps(report())})")
    page.evaluate(
        f"window.ExamHallClient.receiveReport({json.dumps(report(problems=[WECHAT]))})")

    banner = page.locator("#client-environment-banner")
    expect(banner).to_contain_text("WeChat / 微信", timeout=10_000)
    expect(banner).to_contain_text("请退出微信")
    assert banner.get_attribute("role") == "alert"
    flag = wait_until(lambda: Flag.objects.filter(attempt__registration=registration).first())
    assert flag.type == "forbidden_software"
    context.close()


@pytest.mark.parametrize("viewport", [{"width": 1280, "height": 800},
                                      {"width": 390, "height": 844}],
                         ids=["desktop", "phone"])
def test_a_plain_browser_is_sent_to_the_download_page(
        browser, server_url, screenshot, viewport):
    exam, _policy, _registration, _id_number = client_exam()
    context = browser.new_context(viewport=viewport, locale="zh-CN")
    page = context.new_page()
    size = "desktop" if viewport["width"] > 800 else "phone"

    page.goto(f"{server_url}/exam/{exam.code}/")

    expect(page.locator("#client-required-title")).to_have_text("请使用考试客户端参加本场考试")
    screenshot(page, f"lockdown-01-client-required-{size}")
    page.click("#client-download-link")
    page.wait_for_url(f"{server_url}/help/client/")
    expect(page.locator("#downloads-title")).to_be_visible()
    screenshot(page, f"lockdown-02-help-client-{size}")
    page.goto(f"{server_url}/help/")
    screenshot(page, f"lockdown-03-help-{size}")
    context.close()
