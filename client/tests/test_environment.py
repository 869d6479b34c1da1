"""run_checks: the contract's report from a probe's facts."""

from __future__ import annotations

import json
import re

from policy_samples import make_policy

from examhall_client.environment import policy_problem, policy_report, run_checks
from examhall_client.probe import BatteryInfo, DisplayInfo, FakeProbe, ProcessInfo

CLEAN = FakeProbe(os="windows", process_list=[ProcessInfo("explorer.exe", "explorer.exe")],
                  display_list=[DisplayInfo("\\\\.\\DISPLAY1", mirrored=False)])


def test_a_clean_machine_passes() -> None:
    report = run_checks(make_policy(), CLEAN)
    assert report.passed is True
    data = json.loads(report.to_json())
    assert data == {
        "schema": 1,
        "client_version": "0.1.0",
        "os": "windows",
        "checked_at": data["checked_at"],
        "passed": True,
        "problems": [],
        "facts": {"forbidden_running": [], "display_count": 1, "mirrored": False,
                  "virtual_machine": False, "vm_evidence": [], "remote_session": False,
                  "battery_percent": None, "charging": None},
    }
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", data["checked_at"])


def test_a_failing_machine() -> None:
    probe = FakeProbe(
        os="windows",
        process_list=[ProcessInfo("WeChat.exe", "WeChat.exe")],
        display_list=[DisplayInfo("A", mirrored=False), DisplayInfo("B", mirrored=False)],
        strings=[("SystemProductName", "VirtualBox")],
        remote=["GetSystemMetrics(SM_REMOTESESSION)"],
        battery_info=BatteryInfo(9.6, charging=False),
    )
    policy = make_policy(virtual_machine="warn", language="zh_Hans")
    report = run_checks(policy, probe)
    data = json.loads(report.to_json())
    assert report.passed is False
    assert data["passed"] is False
    # Blocking problems first, then the warning.
    assert [(p["check"], p["code"], p["blocking"]) for p in data["problems"]] == [
        ("processes", "forbidden_process", True),
        ("displays", "too_many_displays", True),
        ("remote_session", "remote_session", True),
        ("battery", "battery_low", True),
        ("virtual_machine", "virtual_machine", False),
    ]
    assert data["problems"][0] == {
        "check": "processes", "code": "forbidden_process", "subject": "wechat",
        "title": "WeChat / 微信", "advice": "请退出微信（包括托盘图标）", "blocking": True,
    }
    assert data["problems"][1]["advice"].startswith("请拔掉多余的显示器")
    assert data["facts"] == {
        "forbidden_running": ["wechat"], "display_count": 2, "mirrored": False,
        "virtual_machine": True, "vm_evidence": ["SystemProductName: VirtualBox (VirtualBox)"],
        "remote_session": True, "battery_percent": 10, "charging": False,
    }


def test_warnings_alone_pass() -> None:
    probe = FakeProbe(hypervisor=True, remote=["SSH_CONNECTION"])
    policy = make_policy(virtual_machine="warn", remote_session="warn")
    report = run_checks(policy, probe)
    assert report.passed is True
    assert [p.code for p in report.warnings] == ["virtual_machine", "remote_session"]


def test_the_language_can_be_chosen_per_run() -> None:
    probe = FakeProbe(display_list=[DisplayInfo("A"), DisplayInfo("B")])
    policy = make_policy(language="zh_Hans")
    assert run_checks(policy, probe).problems[0].title.startswith("连接了 2 台显示器")
    assert run_checks(policy, probe, language="en").problems[0].title.startswith("2 displays")


def test_the_real_machine() -> None:
    # This test machine is a VM: allowed here, so only facts are reported.
    policy = make_policy(virtual_machine="allow", remote_session="allow",
                         displays={"max_displays": 16, "allow_mirrored": True},
                         forbidden_processes=[])
    report = run_checks(policy)
    assert report.passed is True
    assert report.problems == ()


def test_policy_problems() -> None:
    outdated = policy_report(policy_problem("client_outdated", "en",
                                            download_url="https://x/help/client/",
                                            min_version="0.3.0"))
    data = json.loads(outdated.to_json())
    assert data["passed"] is False
    assert data["problems"][0]["check"] == "policy"
    assert data["problems"][0]["code"] == "client_outdated"
    assert "0.3.0" in data["problems"][0]["advice"]
    assert "https://x/help/client/" in data["problems"][0]["advice"]
    for code in ("policy_unreachable", "not_found", "invalid_policy"):
        problem = policy_problem(code, "en")
        assert (problem.check, problem.code, problem.blocking) == (
            "policy", "policy_unreachable", True)
    assert policy_problem("not_found", "en").title == "This exam cannot be found"
    assert policy_problem("policy_unreachable", "zh_Hans").title == "无法连接考试服务器"
