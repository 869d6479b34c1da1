"""``examhall-client`` end to end against a local policy server."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import time
import types
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import psutil
import pytest
from policy_samples import PolicyServer, policy_data, unused_port

from examhall_client import cli
from examhall_client.checks import vm_evidence
from examhall_client.probe import SystemProbe

# This machine is a virtual machine, reached remotely, perhaps with several (virtual) displays:
# the served policy allows all that, so only the forbidden processes decide.
LENIENT = {
    "virtual_machine": "allow",
    "remote_session": "allow",
    "displays": {"max_displays": 16, "allow_mirrored": True},
}


MACHINE_VM_EVIDENCE = vm_evidence(SystemProbe().collect())


def dummy_entry(process_name: str) -> dict[str, Any]:
    return {"id": "dummychat", "name": "Dummy Chat / 测试聊天", "category": "chat",
            "advice": "Quit Dummy Chat, including its tray icon.",
            "match": {"windows": [f"{process_name}.exe"], "macos": [process_name],
                      "linux": [process_name]}}


@pytest.fixture
def server() -> Iterator[PolicyServer]:
    with PolicyServer() as running:
        yield running


def run_cli(args: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str]:
    code = cli.main(args)
    return code, capsys.readouterr().out


def test_a_forbidden_process_fails_the_check_until_it_is_closed(
    server: PolicyServer, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    name = f"exh{uuid.uuid4().hex[:8]}"
    server.serve_policy("mock-1", policy_data(**LENIENT, forbidden_processes=[dummy_entry(name)]))
    args = ["check", "--server", server.url, "--exam", "mock-1", "--language", "en"]

    assert run_cli(args, capsys)[0] == 0

    program = tmp_path / name
    shutil.copy("/bin/sleep", program)
    process = subprocess.Popen([str(program), "60"])
    try:
        deadline = time.monotonic() + 5
        while time.monotonic() < deadline and not _running(name):
            time.sleep(0.05)
        code, out = run_cli(args, capsys)
        assert code == 1
        assert "[FAIL] Forbidden programs: Dummy Chat / 测试聊天" in out
        assert "What to do: Quit Dummy Chat, including its tray icon." in out
        assert "FAIL: 1 problem(s) must be fixed" in out
        assert "PASS" not in out

        code, out = run_cli([*args, "--json"], capsys)
        assert code == 1
        report = json.loads(out)
        assert report["facts"]["forbidden_running"] == ["dummychat"]
        assert report["problems"][0]["subject"] == "dummychat"
    finally:
        process.kill()
        process.wait(5)

    code, out = run_cli(args, capsys)
    assert code == 0
    assert "[ OK ] Forbidden programs: No forbidden program is running" in out
    assert out.rstrip().endswith("PASS: the environment check passed, you may enter the exam.")


def _running(name: str) -> bool:
    return any(p.info["name"] == name for p in psutil.process_iter(["name"]))


def test_the_report_in_chinese(server: PolicyServer, capsys: pytest.CaptureFixture[str]) -> None:
    server.serve_policy("mock-1", policy_data(**LENIENT, forbidden_processes=[]))
    code, out = run_cli(["check", "--server", server.url, "--exam", "mock-1",
                         "--language", "zh_Hans"], capsys)
    assert code == 0
    assert "ExamHall 考试客户端 0.1.0 — 考试环境检测" in out
    assert "考试: 双碳知识竞赛 (dual-carbon-2026)" in out
    if MACHINE_VM_EVIDENCE:
        assert "[ OK ] 虚拟机: 检测到虚拟机，本场考试允许" in out
    else:
        assert "[ OK ] 虚拟机: 未发现虚拟机" in out
    assert "PASS 通过" in out
    assert server.seen[-1][1]["Accept-Language"] == "zh-hans"


@pytest.mark.skipif(not MACHINE_VM_EVIDENCE, reason="this machine is not a virtual machine")
def test_a_refused_virtual_machine_is_a_failure_with_its_evidence(
    server: PolicyServer, capsys: pytest.CaptureFixture[str]
) -> None:
    server.serve_policy("formal", policy_data(**{**LENIENT, "virtual_machine": "refuse"},
                                              forbidden_processes=[]))
    code, out = run_cli(["check", "--server", server.url, "--exam", "formal",
                         "--language", "en"], capsys)
    assert code == 1
    assert "[FAIL] Virtual machine: The exam client is running in a virtual machine" in out
    assert "; ".join(MACHINE_VM_EVIDENCE) in out
    assert "What to do: Virtual machines are not allowed" in out


def test_an_unknown_exam(server: PolicyServer, capsys: pytest.CaptureFixture[str]) -> None:
    code, out = run_cli(["check", "--server", server.url, "--exam", "nope",
                         "--language", "en"], capsys)
    assert code == 2
    assert "This exam cannot be found" in out
    assert "Check the exam code" in out
    assert out.rstrip().endswith("FAIL: the check could not start.")


def test_an_unreachable_server(capsys: pytest.CaptureFixture[str]) -> None:
    code, out = run_cli(["check", "--server", f"http://127.0.0.1:{unused_port()}",
                         "--exam", "x", "--language", "en", "--json"], capsys)
    assert code == 2
    report = json.loads(out)
    assert report["passed"] is False
    assert [(p["check"], p["code"]) for p in report["problems"]] == [
        ("policy", "policy_unreachable")]


def test_an_outdated_client(server: PolicyServer, capsys: pytest.CaptureFixture[str]) -> None:
    server.serve_policy("mock-1", policy_data(**LENIENT, min_client_version="0.2.0"))
    code, out = run_cli(["check", "--server", server.url, "--exam", "mock-1",
                         "--language", "zh_Hans"], capsys)
    assert code == 2
    assert "客户端版本过低，请下载新版本" in out
    assert "当前版本 0.1.0，本场考试至少需要 0.2.0" in out
    assert "http://127.0.0.1:8000/help/client/" in out


def test_defaults_from_examhall_client_json(
    server: PolicyServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    server.serve_policy("configured", policy_data(**LENIENT, forbidden_processes=[]))
    (tmp_path / "examhall-client.json").write_text(
        json.dumps({"server": server.url, "exam": "configured", "language": "en"}))
    monkeypatch.chdir(tmp_path)
    code, out = run_cli(["check"], capsys)
    assert code == 0
    assert "Exam: 双碳知识竞赛 (dual-carbon-2026)" in out
    assert server.seen[-1][0] == "/api/client/exams/configured/policy"


def test_a_broken_config_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                              capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "examhall-client.json").write_text("{server:")
    monkeypatch.chdir(tmp_path)
    assert cli.main(["check"]) == 2
    assert "examhall-client.json" in capsys.readouterr().err


def test_nothing_to_check(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                          capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.chdir(tmp_path)
    assert cli.main(["check", "--language", "en"]) == 2
    assert "--server" in capsys.readouterr().err
    assert cli.main([]) == 2
    assert "usage: examhall-client" in capsys.readouterr().out


def test_version(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as done:
        cli.main(["--version"])
    assert done.value.code == 0
    assert capsys.readouterr().out.strip() == "examhall-client 0.1.0"


@pytest.fixture
def fake_gui(monkeypatch: pytest.MonkeyPatch) -> list[dict[str, Any]]:
    calls: list[dict[str, Any]] = []

    def run(server: str, exam: str, **options: Any) -> int:
        calls.append({"server": server, "exam": exam, **options})
        return 7

    app = types.ModuleType("examhall_client.gui.app")
    app.run = run  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "examhall_client.gui", types.ModuleType("gui"))
    monkeypatch.setitem(sys.modules, "examhall_client.gui.app", app)
    return calls


def test_run_opens_the_gui(fake_gui: list[dict[str, Any]]) -> None:
    code = cli.main(["run", "--server", "https://exam.example.org", "--exam", "x",
                     "--language", "en", "--no-kiosk", "--enter-when-passed"])
    assert code == 7
    assert fake_gui == [{"server": "https://exam.example.org", "exam": "x", "kiosk": False,
                         "language": "en", "enter_when_passed": True}]


def test_a_configured_build_runs_without_arguments(
    fake_gui: list[dict[str, Any]], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "examhall-client.json").write_text(
        json.dumps({"server": "https://exam.example.org", "exam": "dual-carbon-2026"}))
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(cli, "LANGUAGE", "zh_Hans")
    assert cli.main([]) == 7
    assert fake_gui == [{"server": "https://exam.example.org", "exam": "dual-carbon-2026",
                         "kiosk": True, "language": "zh_Hans", "enter_when_passed": False}]


def test_the_installed_command(server: PolicyServer) -> None:
    server.serve_policy("mock-1", policy_data(**LENIENT, forbidden_processes=[]))
    done = subprocess.run(
        [sys.executable, "-m", "examhall_client", "check", "--server", server.url,
         "--exam", "mock-1", "--language", "en"],
        capture_output=True, text=True, timeout=60,
    )
    assert done.returncode == 0, done.stderr
    assert "PASS" in done.stdout
