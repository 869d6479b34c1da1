"""SystemProbe on this (Linux) machine, with /sys, /proc, helper programs and psutil's
process list replaced where a test needs other facts."""

from __future__ import annotations

import os
import stat
import subprocess
import sys
from collections import namedtuple
from pathlib import Path

import psutil
import pytest

from examhall_client.probe import (
    BatteryInfo,
    DisplayInfo,
    FakeProbe,
    ProcessInfo,
    SystemProbe,
)

pytestmark = pytest.mark.skipif(sys.platform != "linux", reason="reads Linux's /sys and /proc")


class FakeProcess:
    def __init__(self, pid: int, name: object, exe: object) -> None:
        self.pid, self._name, self._exe = pid, name, exe

    def name(self) -> str:
        return self._answer(self._name)

    def exe(self) -> str:
        return self._answer(self._exe)

    @staticmethod
    def _answer(value: object) -> str:
        if isinstance(value, Exception):
            raise value
        return value  # type: ignore[return-value]


def test_processes_whatever_psutil_refuses() -> None:
    source = [
        FakeProcess(1, "WeChat.exe", "C:\\Program Files\\Tencent\\WeChat\\WeChat.exe"),
        FakeProcess(2, "svchost.exe", psutil.AccessDenied(2)),
        FakeProcess(3, psutil.AccessDenied(3), "/usr/bin/wechat"),
        FakeProcess(4, psutil.ZombieProcess(4), psutil.ZombieProcess(4)),
        FakeProcess(5, psutil.NoSuchProcess(5), "/usr/bin/qq"),  # ended meanwhile
        FakeProcess(6, "zoom", psutil.NoSuchProcess(6)),
        FakeProcess(7, "kworker/0:1", ""),
        FakeProcess(8, "WeChat", "/Applications/WeChat.app/Contents/MacOS/WeChat"),
    ]
    found = SystemProbe(process_source=lambda: source).processes()
    assert found == [
        ProcessInfo("WeChat.exe", "WeChat.exe", 1),
        ProcessInfo("svchost.exe", None, 2),
        ProcessInfo(None, "wechat", 3),
        ProcessInfo("kworker/0:1", None, 7),
        ProcessInfo("WeChat", "WeChat", 8),
    ]


def test_the_real_process_list_holds_this_test() -> None:
    found = SystemProbe().processes()
    me = [p for p in found if p.pid == os.getpid()]
    assert len(me) == 1
    assert me[0].exe == Path(os.path.realpath(sys.executable)).name


@pytest.fixture
def fake_bin(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):  # type: ignore[no-untyped-def]
    """Put made-up helper programs (xrandr, systemd-detect-virt) first on PATH."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    monkeypatch.setenv("PATH", f"{bin_dir}{os.pathsep}{os.environ.get('PATH', '')}")

    def add(name: str, output: str, code: int = 0) -> None:
        script = bin_dir / name
        script.write_text(f"#!/bin/sh\ncat <<'OUT'\n{output}\nOUT\nexit {code}\n")
        script.chmod(script.stat().st_mode | stat.S_IEXEC)

    return add


XRANDR_TWO = """Monitors: 2
 0: +*eDP-1 1920/344x1080/194+0+0  eDP-1
 1: +HDMI-1 2560/597x1440/336+1920+0  HDMI-1"""

XRANDR_MIRRORED = """Monitors: 2
 0: +*eDP-1 1920/344x1080/194+0+0  eDP-1
 1: +HDMI-1 1920/527x1080/296+0+0  HDMI-1"""


def test_displays_from_xrandr(fake_bin, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    fake_bin("xrandr", XRANDR_TWO)
    probe = SystemProbe(environ={"DISPLAY": ":0"}, root=tmp_path)
    assert probe.displays() == [
        DisplayInfo("eDP-1", 1920, 1080, 0, 0, mirrored=False),
        DisplayInfo("HDMI-1", 2560, 1440, 1920, 0, mirrored=False),
    ]


def test_mirrored_displays_from_xrandr(fake_bin, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    fake_bin("xrandr", XRANDR_MIRRORED)
    displays = SystemProbe(environ={"DISPLAY": ":0"}, root=tmp_path).displays()
    assert displays is not None
    assert [d.mirrored for d in displays] == [True, True]


def drm(root: Path, connectors: dict[str, str]) -> None:
    for name, status in connectors.items():
        folder = root / "sys/class/drm" / name
        folder.mkdir(parents=True)
        (folder / "status").write_text(status + "\n")


def test_displays_from_drm_without_x(tmp_path: Path) -> None:
    drm(tmp_path, {"card0-eDP-1": "connected", "card0-HDMI-A-1": "connected",
                   "card0-DP-1": "disconnected"})
    displays = SystemProbe(environ={}, root=tmp_path).displays()
    assert displays == [
        DisplayInfo("HDMI-A-1", mirrored=None, builtin=False),
        DisplayInfo("eDP-1", mirrored=None, builtin=True),
    ]


def test_drm_when_xrandr_fails(fake_bin, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    fake_bin("xrandr", "Can't open display", 1)
    drm(tmp_path, {"card0-HDMI-A-1": "connected"})
    displays = SystemProbe(environ={"DISPLAY": ":9"}, root=tmp_path).displays()
    assert [d.name for d in displays or []] == ["HDMI-A-1"]


def test_unknown_displays(tmp_path: Path) -> None:
    assert SystemProbe(environ={}, root=tmp_path).displays() is None
    drm(tmp_path, {"card0-Virtual-1": "disconnected"})
    assert SystemProbe(environ={}, root=tmp_path).displays() is None


def dmi(root: Path, values: dict[str, str]) -> None:
    folder = root / "sys/class/dmi/id"
    folder.mkdir(parents=True)
    for name, value in values.items():
        (folder / name).write_text(value + "\n")


def test_system_strings(fake_bin, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    fake_bin("systemd-detect-virt", "vmware")
    dmi(tmp_path, {"sys_vendor": "VMware, Inc.", "product_name": "VMware Virtual Platform",
                   "bios_vendor": "Phoenix Technologies LTD"})
    assert SystemProbe(root=tmp_path).system_strings() == [
        ("sys_vendor", "VMware, Inc."),
        ("product_name", "VMware Virtual Platform"),
        ("bios_vendor", "Phoenix Technologies LTD"),
        ("systemd-detect-virt", "vmware"),
    ]


def test_system_strings_of_a_physical_machine(fake_bin, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    fake_bin("systemd-detect-virt", "none", 1)
    dmi(tmp_path, {"sys_vendor": "LENOVO", "product_name": "21HD"})
    strings = SystemProbe(root=tmp_path).system_strings()
    assert strings == [("sys_vendor", "LENOVO"), ("product_name", "21HD"),
                       ("systemd-detect-virt", "none")]


def cpuinfo(root: Path, flags: str) -> None:
    (root / "proc").mkdir(parents=True, exist_ok=True)
    (root / "proc/cpuinfo").write_text(f"processor\t: 0\nflags\t\t: {flags}\n\n")


@pytest.mark.parametrize(("flags", "expected"),
                         [("fpu vme sse2 hypervisor lahf_lm", True), ("fpu vme sse2", False)])
def test_hypervisor_flag(tmp_path: Path, flags: str, expected: bool) -> None:
    cpuinfo(tmp_path, flags)
    assert SystemProbe(root=tmp_path).hypervisor_flag() is expected


def test_hypervisor_flag_unknown(tmp_path: Path) -> None:
    assert SystemProbe(root=tmp_path).hypervisor_flag() is None


def test_network_interfaces() -> None:
    interfaces = SystemProbe().network_interfaces()
    for interface in interfaces:
        assert interface.mac != "00:00:00:00:00:00"
        assert interface.mac == interface.mac.lower()
        assert len(interface.mac.split(":")) == 6
        assert interface.physical is Path("/sys/class/net", interface.name, "device").exists()


@pytest.mark.parametrize(
    ("environ", "expected"),
    [
        ({"SSH_CONNECTION": "10.0.0.2 50000 10.0.0.1 22", "SSH_TTY": "/dev/pts/0"},
         ["SSH_CONNECTION", "SSH_TTY"]),
        ({"XRDP_SESSION": "1", "DISPLAY": ":10"}, ["XRDP_SESSION"]),
        ({"DISPLAY": ":0", "HOME": "/home/candidate"}, []),
    ],
)
def test_remote_session_signals(environ: dict[str, str], expected: list[str]) -> None:
    assert SystemProbe(environ=environ).remote_session_signals() == expected


Battery = namedtuple("Battery", "percent secsleft power_plugged")


@pytest.mark.parametrize(
    ("state", "expected"),
    [
        (Battery(42.5, 3600, False), BatteryInfo(42.5, False)),
        (Battery(42.5, 3600, True), BatteryInfo(42.5, True)),
        (Battery(42.5, 3600, None), BatteryInfo(42.5, None)),
        (None, None),
    ],
)
def test_battery(monkeypatch: pytest.MonkeyPatch, state: object, expected: object) -> None:
    monkeypatch.setattr(psutil, "sensors_battery", lambda: state)
    assert SystemProbe().battery() == expected


def test_collect_never_raises() -> None:
    class Broken(FakeProbe):
        def displays(self) -> list[DisplayInfo] | None:
            raise OSError("no display server")

        def processes(self) -> list[ProcessInfo]:
            raise subprocess.TimeoutExpired("ps", 5)

    facts = Broken(hypervisor=True).collect()
    assert facts.displays is None
    assert facts.processes == ()
    assert facts.hypervisor_flag is True


def test_the_whole_machine_can_be_read() -> None:
    facts = SystemProbe().collect()
    assert facts.os == "linux"
    assert len(facts.processes) > 1
