from __future__ import annotations

import pytest

from examhall_client.i18n import CATALOGUE, detect_language, normalize_language, t


@pytest.mark.parametrize(
    ("value", "expected"),
    [("zh-hans", "zh_Hans"), ("zh_CN.UTF-8", "zh_Hans"), ("en", "en"), ("en-US", "en"),
     ("en_GB.UTF-8", "en"), ("de_DE", "zh_Hans"), ("", "zh_Hans"), (None, "zh_Hans")],
)
def test_normalize_language(value: str | None, expected: str) -> None:
    assert normalize_language(value) == expected


@pytest.mark.parametrize(
    ("environ", "expected"),
    [
        ({"LANG": "en_US.UTF-8"}, "en"),
        ({"LANG": "zh_CN.UTF-8"}, "zh_Hans"),
        ({"LANG": "C.UTF-8"}, "zh_Hans"),
        ({"LC_ALL": "en_US.UTF-8", "LANG": "zh_CN.UTF-8"}, "en"),
        ({"EXAMHALL_LANGUAGE": "en", "LANG": "zh_CN.UTF-8"}, "en"),
        ({}, "zh_Hans"),
    ],
)
def test_detect_language(
    monkeypatch: pytest.MonkeyPatch, environ: dict[str, str], expected: str
) -> None:
    for name in ("EXAMHALL_LANGUAGE", "LC_ALL", "LC_MESSAGES", "LANG", "LANGUAGE"):
        monkeypatch.delenv(name, raising=False)
    for name, value in environ.items():
        monkeypatch.setenv(name, value)
    assert detect_language() == expected


def test_texts() -> None:
    assert t("gui.check_again", "zh_Hans") == "重新检测"
    assert t("gui.check_again", "en") == "Check again"
    assert t("gui.enter_exam", "zh-hans") == "进入考试"
    assert t("gui.quit", "en") == "Quit"
    assert t("gui.outdated", "zh_Hans") == "客户端版本过低，请下载新版本"
    assert t("gui.unreachable", "zh_Hans") == "无法连接考试服务器"
    assert t("ok.displays", "en", count=2) == "2 display(s) connected"
    assert t("no.such.key", "en") == "no.such.key"


def test_every_text_has_both_languages_and_the_same_fields() -> None:
    import string

    for key, texts in CATALOGUE.items():
        assert set(texts) == {"zh_Hans", "en"}, key
        fields = [{f for _, f, _, _ in string.Formatter().parse(text) if f} for text in
                  texts.values()]
        assert fields[0] == fields[1], key
