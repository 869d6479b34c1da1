from __future__ import annotations

import json
from typing import Any

import pytest
from policy_samples import POLICY, PolicyServer, make_policy, policy_data, unused_port

from examhall_client import __version__
from examhall_client.policy import (
    ClientPolicy,
    PolicyError,
    fetch_policy,
    is_outdated,
    version_tuple,
)


def invalid(data: Any) -> str:
    with pytest.raises(PolicyError) as caught:
        ClientPolicy.from_dict(data)
    assert caught.value.code == "invalid_policy"
    return caught.value.message


def test_a_valid_policy() -> None:
    policy = ClientPolicy.from_dict(policy_data(), language="zh-hans")
    assert policy.exam.code == "dual-carbon-2026"
    assert policy.exam.kind == "formal"
    assert policy.key_bytes == bytes(range(32))
    assert policy.forbidden_processes[0].id == "wechat"
    assert policy.forbidden_processes[0].names_for("windows") == ("WeChat.exe", "Weixin.exe")
    assert policy.forbidden_processes[3].names_for("linux") == ()
    assert policy.displays.max_displays == 1
    assert policy.displays.allow_mirrored is False
    assert policy.virtual_machine == "refuse"
    assert policy.battery.min_percent == 20
    assert policy.recheck_interval_seconds == 30
    assert policy.language == "zh_Hans"


@pytest.mark.parametrize(
    "key",
    ["schema", "exam", "client_key", "min_client_version", "entry_url", "forbidden_processes",
     "allowed_processes", "displays", "virtual_machine", "remote_session", "battery",
     "download_url", "requires_client", "recheck_interval_seconds", "origin"],
)
def test_a_missing_field(key: str) -> None:
    data = policy_data()
    del data[key]
    assert key in invalid(data)


@pytest.mark.parametrize(
    ("changes", "where"),
    [
        ({"schema": 2}, "schema"),
        ({"schema": "1"}, "schema"),
        ({"requires_client": 1}, "requires_client"),
        ({"recheck_interval_seconds": True}, "recheck_interval_seconds"),
        ({"recheck_interval_seconds": 0}, "recheck_interval_seconds"),
        ({"forbidden_processes": {"wechat": {}}}, "forbidden_processes"),
        ({"allowed_processes": "Zoom"}, "allowed_processes"),
        ({"allowed_processes": [3]}, "allowed_processes"),
        ({"displays": {"max_displays": "1", "allow_mirrored": False}}, "max_displays"),
        ({"displays": {"max_displays": 0, "allow_mirrored": False}}, "max_displays"),
        ({"displays": {"max_displays": 1, "allow_mirrored": "no"}}, "allow_mirrored"),
        ({"virtual_machine": "block"}, "virtual_machine"),
        ({"remote_session": None}, "remote_session"),
        ({"battery": {"min_percent": 120}}, "min_percent"),
        ({"battery": {"min_percent": 20.5}}, "min_percent"),
        ({"min_client_version": "1.x"}, "min_client_version"),
        ({"client_key": "AAEC"}, "client_key"),
        ({"client_key": "not base64!"}, "client_key"),
        ({"entry_url": "javascript:alert(1)"}, "entry_url"),
        ({"exam": {"code": "x", "name": "x"}}, "exam.kind"),
    ],
)
def test_wrong_types_and_values(changes: dict[str, Any], where: str) -> None:
    assert where in invalid(policy_data(**changes))


@pytest.mark.parametrize(
    ("entry", "where"),
    [
        ({"name": "X", "category": "chat", "advice": "", "match": {}}, ".id"),
        ({"id": "x", "name": "X", "category": "chat", "advice": "", "match": {"linux": "x"}},
         "match.linux"),
        ({"id": "x", "name": "X", "category": "chat", "advice": "", "match": {"dos": ["x"]}},
         "unknown systems"),
        ("wechat", "forbidden_processes[0]"),
    ],
)
def test_a_bad_forbidden_entry(entry: Any, where: str) -> None:
    assert where in invalid(policy_data(forbidden_processes=[entry]))


def test_not_an_object() -> None:
    assert "object" in invalid([POLICY])


def test_versions() -> None:
    assert __version__ == "0.1.0"
    assert version_tuple("0.10.2") > version_tuple("0.9.9")
    assert version_tuple("1.0") == version_tuple("1.0.0") == version_tuple("1")
    with pytest.raises(ValueError):
        version_tuple("1.2-beta")
    assert is_outdated(make_policy(min_client_version="0.1.0")) is False
    assert is_outdated(make_policy(min_client_version="0.0.9")) is False
    assert is_outdated(make_policy(min_client_version="0.1.1")) is True
    assert is_outdated(make_policy(min_client_version="0.2")) is True
    assert is_outdated(make_policy(min_client_version="0.2"), version="0.2.0") is False


# --- fetching ---------------------------------------------------------------------------------


def test_fetch_a_policy() -> None:
    with PolicyServer() as server:
        server.serve_policy("dual-carbon-2026", policy_data())
        policy = fetch_policy(server.url + "/", "dual-carbon-2026", language="en")
        path, headers = server.seen[-1]
    assert policy.exam.name == "双碳知识竞赛"
    assert policy.language == "en"
    assert path == "/api/client/exams/dual-carbon-2026/policy"
    assert headers["Accept-Language"] == "en"
    assert headers["User-Agent"] == f"ExamHallClient/{__version__}"


def test_fetch_asks_in_chinese_by_default() -> None:
    with PolicyServer() as server:
        server.serve_policy("dual-carbon-2026", policy_data())
        assert fetch_policy(server.url, "dual-carbon-2026").language == "zh_Hans"
        assert server.seen[-1][1]["Accept-Language"] == "zh-hans"


def test_an_exam_code_is_escaped_in_the_url() -> None:
    with PolicyServer() as server, pytest.raises(PolicyError):
        fetch_policy(server.url, "../../admin")
    assert server.seen[-1][0] == "/api/client/exams/..%2F..%2Fadmin/policy"


def test_an_unknown_exam() -> None:
    with PolicyServer() as server, pytest.raises(PolicyError) as caught:
        fetch_policy(server.url, "nope")
    assert caught.value.code == "not_found"
    assert caught.value.message == "no such exam"


def fetch_error(status: int, body: bytes) -> PolicyError:
    with PolicyServer({"/api/client/exams/x/policy": (status, body)}) as server:
        try:
            fetch_policy(server.url, "x")
        except PolicyError as exc:
            return exc
    raise AssertionError("no PolicyError")


def test_not_json() -> None:
    assert fetch_error(200, b"<html>login</html>").code == "invalid_policy"


def test_json_that_is_not_a_policy() -> None:
    error = fetch_error(200, json.dumps(policy_data(schema=7)).encode())
    assert error.code == "invalid_policy"
    assert "schema 7" in error.message


def test_a_server_error() -> None:
    error = fetch_error(502, b"bad gateway")
    assert error.code == "policy_unreachable"
    assert "502" in error.message


def test_an_unreachable_server() -> None:
    with pytest.raises(PolicyError) as caught:
        fetch_policy(f"http://127.0.0.1:{unused_port()}", "x", timeout=3)
    assert caught.value.code == "policy_unreachable"
    assert "cannot reach" in caught.value.message


@pytest.mark.parametrize("server", ["127.0.0.1:8000", "ftp://exam.example.org", ""])
def test_not_a_server_address(server: str) -> None:
    with pytest.raises(PolicyError) as caught:
        fetch_policy(server, "x")
    assert caught.value.code == "policy_unreachable"
