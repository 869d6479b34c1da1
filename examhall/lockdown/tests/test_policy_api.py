"""The policy API the exam client starts with: public, localised, 404 for an exam that
is not open."""

from __future__ import annotations

import pytest
from django.test import Client
from django.utils import translation

from examhall.devtools import factories
from examhall.lockdown import catalogue
from examhall.lockdown.models import ClientPolicy

pytestmark = pytest.mark.django_db


def _policy(code: str, language: str = "en"):
    return Client().get(f"/api/client/exams/{code}/policy", HTTP_ACCEPT_LANGUAGE=language)


def test_an_exam_without_a_policy_allows_browsers_and_lists_the_built_in_software():
    exam = factories.make_exam(code="mock-exam")

    response = _policy(exam.code)

    assert response.status_code == 200
    body = response.json()
    assert body["schema"] == 1 and body["requires_client"] is False
    assert body["exam"] == {"code": "mock-exam", "name": exam.name, "kind": "mock"}
    assert body["entry_url"] == "http://testserver/exam/mock-exam/"
    assert body["origin"] == "http://testserver"
    assert body["download_url"] == "http://testserver/help/client/"
    ids = {entry["id"] for entry in body["forbidden_processes"]}
    assert {"qq", "wechat", "dingtalk", "feishu", "tencent-pc-manager", "360", "teamviewer",
            "anydesk", "todesk", "sunlogin", "obs", "autohotkey"} <= ids
    wechat = next(e for e in body["forbidden_processes"] if e["id"] == "wechat")
    assert wechat["category"] == "chat" and "WeChat.exe" in wechat["match"]["windows"]
    assert set(wechat["match"]) == {"windows", "macos", "linux"}


def test_a_policy_with_its_own_lists_and_rules():
    exam = factories.make_exam(code="formal-exam")
    policy = ClientPolicy.objects.create(
        exam=exam, min_client_version="0.2.0", allowed_processes=["wemeetapp.exe"],
        forbidden_processes=["wechat", {"id": "notes", "name": "Sticky Notes",
                                        "category": "other", "advice": "Close the notes.",
                                        "match": {"windows": ["StikyNot.exe"]}}],
        max_displays=2, allow_mirrored=True, virtual_machine="warn", remote_session="allow",
        battery_min_percent=30, recheck_interval_seconds=45)

    body = _policy(exam.code).json()

    assert body["requires_client"] is True and body["client_key"] == policy.client_key
    assert body["min_client_version"] == "0.2.0"
    assert body["allowed_processes"] == ["wemeetapp.exe"]
    assert [e["id"] for e in body["forbidden_processes"]] == ["wechat", "notes"]
    assert body["forbidden_processes"][1]["match"] == {
        "windows": ["StikyNot.exe"], "macos": [], "linux": []}
    assert body["displays"] == {"max_displays": 2, "allow_mirrored": True}
    assert (body["virtual_machine"], body["remote_session"]) == ("warn", "allow")
    assert body["battery"] == {"min_percent": 30} and body["recheck_interval_seconds"] == 45


def test_the_advice_is_in_the_language_of_the_request():
    exam = factories.make_exam()
    english = _policy(exam.code, "en")
    chinese = _policy(exam.code, "zh-hans")

    assert english["Content-Language"] == "en" and chinese["Content-Language"] == "zh-hans"
    advice = next(e for e in english.json()["forbidden_processes"] if e["id"] == "wechat")
    with translation.override("en"):
        assert advice["advice"] == str(catalogue.BY_ID["wechat"].advice)
    assert "WeChat" in advice["advice"]
    advice = next(e for e in chinese.json()["forbidden_processes"] if e["id"] == "wechat")
    assert advice["advice"] == "请退出微信（包括系统托盘中的图标）。"


@pytest.mark.parametrize(("language", "message"), [
    ("en", "This exam does not exist or is not open."),
    ("zh-hans", "该考试不存在或未开放。"),
])
def test_an_unknown_or_unpublished_exam_is_not_found(language, message):
    hidden = factories.make_exam(published=False)

    for code in ("no-such-exam", hidden.code):
        response = _policy(code, language)
        assert response.status_code == 404
        assert response.json()["code"] == "not_found"
        assert response.json()["message"] == message
