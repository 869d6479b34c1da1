"""Each check against made-up facts (FakeProbe): processes, displays, virtual machine, remote
session, battery."""

from __future__ import annotations

import pytest
from policy_samples import make_policy

from examhall_client.checks import (
    check_battery,
    check_displays,
    check_processes,
    check_remote_session,
    check_virtual_machine,
    forbidden_running,
    vm_evidence,
)
from examhall_client.policy import ClientPolicy
from examhall_client.probe import (
    BatteryInfo,
    DisplayInfo,
    FakeProbe,
    MachineFacts,
    NetworkInterface,
    ProcessInfo,
)

P = ProcessInfo


def facts(**kwargs: object) -> MachineFacts:
    return FakeProbe(**kwargs).collect()  # type: ignore[arg-type]


# --- forbidden processes ----------------------------------------------------------------------

COMMON = [P("systemd", "systemd"), P("explorer.exe", "explorer.exe"), P("Finder", "Finder")]


@pytest.mark.parametrize(
    ("os_name", "process", "expected"),
    [
        ("windows", P("WeChat.exe", "WeChat.exe"), ["wechat"]),
        ("windows", P("wechat.EXE", None), ["wechat"]),  # case
        ("windows", P("Weixin.exe"), ["wechat"]),  # second name of the entry
        ("windows", P(None, "WeChat.exe"), ["wechat"]),  # name unreadable, exe known
        ("windows", P("WeChat", None), ["wechat"]),  # without .exe
        ("windows", P("ToDesk.exe", "ToDesk.exe"), ["todesk"]),
        ("windows", P("WeChatHelper.exe", None), []),  # a different program
        ("macos", P("WeChat", "WeChat"), ["wechat"]),
        ("macos", P("zoom.us", "zoom.us"), ["zoom"]),
        ("macos", P("WeChat.exe", None), []),  # Windows names do not count on macOS
        ("macos", P("ToDesk", "ToDesk"), []),  # the entry has no macOS names
        ("linux", P("wechat", "wechat"), ["wechat"]),
        ("linux", P("bash", "linuxqq"), ["qq"]),  # the executable's basename
        ("linux", P("WeChat", None), ["wechat"]),
        ("linux", P("wechat.exe", None), []),  # .exe only counts on Windows
        ("linux", P("wechat-uos", None), []),  # no partial matches
    ],
)
def test_forbidden_processes(
    policy: ClientPolicy, os_name: str, process: ProcessInfo, expected: list[str]
) -> None:
    found = facts(os=os_name, process_list=[*COMMON, process])
    problems = check_processes(policy, found)
    assert [p.subject for p in problems] == expected
    assert forbidden_running(policy, found) == expected


def test_a_forbidden_process_problem_carries_the_policys_texts(policy: ClientPolicy) -> None:
    found = facts(os="windows", process_list=[P("WeChat.exe"), P("WeChat.exe"), P("QQ.exe")])
    problems = check_processes(policy, found)
    assert [(p.check, p.code, p.subject, p.title, p.advice, p.blocking) for p in problems] == [
        ("processes", "forbidden_process", "wechat", "WeChat / 微信",
         "请退出微信（包括托盘图标）", True),
        ("processes", "forbidden_process", "qq", "QQ", "请退出 QQ", True),
    ]


def test_nothing_forbidden_running(policy: ClientPolicy) -> None:
    assert check_processes(policy, facts(os="windows", process_list=COMMON)) == []


@pytest.mark.parametrize(
    ("os_name", "allowed", "process"),
    [
        ("windows", ["Zoom.exe"], P("Zoom.exe", "Zoom.exe")),
        ("windows", ["zoom"], P("ZOOM.EXE", None)),
        ("macos", ["zoom.us"], P("zoom.us", "zoom.us")),
        ("linux", ["zoom"], P("zoom", "zoom")),
        ("linux", ["zoom"], P("ZoomLauncher", "zoom")),  # allowed by its executable
    ],
)
def test_the_allow_list_wins_over_the_deny_list(
    os_name: str, allowed: list[str], process: ProcessInfo
) -> None:
    denied = facts(os=os_name, process_list=[process])
    assert [p.subject for p in check_processes(make_policy(), denied)] == ["zoom"]
    policy = make_policy(allowed_processes=allowed)
    assert check_processes(policy, denied) == []
    assert forbidden_running(policy, denied) == []


def test_the_allow_list_spares_only_the_allowed_process() -> None:
    policy = make_policy(allowed_processes=["Zoom.exe"])
    found = facts(os="windows", process_list=[P("Zoom.exe"), P("WeChat.exe")])
    assert [p.subject for p in check_processes(policy, found)] == ["wechat"]


# --- displays ---------------------------------------------------------------------------------

ONE = DisplayInfo("eDP-1", 1920, 1080, 0, 0, mirrored=False, builtin=True)
SECOND = DisplayInfo("HDMI-1", 1920, 1080, 1920, 0, mirrored=False)


def codes(problems: list) -> list[str]:  # type: ignore[type-arg]
    return [p.code for p in problems]


def test_one_display(policy: ClientPolicy) -> None:
    assert check_displays(policy, facts(display_list=[ONE])) == []


def test_two_displays(policy: ClientPolicy) -> None:
    problems = check_displays(policy, facts(display_list=[ONE, SECOND]))
    assert codes(problems) == ["too_many_displays"]
    assert problems[0].blocking is True
    assert problems[0].title == "2 displays are connected (at most 1 allowed)"
    assert "Unplug" in problems[0].advice


def test_two_displays_allowed_by_the_policy() -> None:
    policy = make_policy(displays={"max_displays": 2, "allow_mirrored": False})
    assert check_displays(policy, facts(display_list=[ONE, SECOND])) == []


def test_a_mirrored_display(policy: ClientPolicy) -> None:
    mirrored = [DisplayInfo("eDP-1", mirrored=True), DisplayInfo("HDMI-1", mirrored=True)]
    assert codes(check_displays(policy, facts(display_list=mirrored))) == [
        "too_many_displays", "mirrored_display",
    ]
    allowed = make_policy(displays={"max_displays": 2, "allow_mirrored": True})
    assert check_displays(allowed, facts(display_list=mirrored)) == []
    not_allowed = make_policy(displays={"max_displays": 2, "allow_mirrored": False})
    assert codes(check_displays(not_allowed, facts(display_list=mirrored))) == [
        "mirrored_display"
    ]


def test_a_mirror_reported_on_one_display_only(policy: ClientPolicy) -> None:
    # Windows clone mode: one desktop monitor whose output drives a projector too.
    assert codes(check_displays(policy, facts(display_list=[DisplayInfo("\\\\.\\DISPLAY1",
                                                                        mirrored=True)]))) == [
        "mirrored_display"
    ]


def test_unknown_displays_give_nothing(policy: ClientPolicy) -> None:
    assert check_displays(policy, facts(display_list=None)) == []
    unknown_mirror = [DisplayInfo("card0-HDMI-A-1", mirrored=None)]
    assert check_displays(policy, facts(display_list=unknown_mirror)) == []


def test_chinese_texts() -> None:
    policy = make_policy(language="zh_Hans")
    problem = check_displays(policy, facts(display_list=[ONE, SECOND]))[0]
    assert problem.title == "连接了 2 台显示器（最多允许 1）"


# --- virtual machine --------------------------------------------------------------------------

PHYSICAL_STRINGS = [
    ("sys_vendor", "Dell Inc."), ("product_name", "Latitude 7440"),
    ("board_vendor", "Dell Inc."), ("bios_vendor", "Dell Inc."),
    ("SystemManufacturer", "LENOVO"), ("SystemProductName", "21HD"),
    ("BIOSVendor", "American Megatrends International, LLC."),
    ("sys_vendor", "Microsoft Corporation"), ("product_name", "Surface Laptop 5"),
    ("board_vendor", "To Be Filled By O.E.M."), ("hw.model", "MacBookPro18,3"),
    ("ioreg manufacturer", "Apple Inc."), ("systemd-detect-virt", "none"),
]


@pytest.mark.parametrize(
    ("source", "value", "vendor"),
    [
        ("sys_vendor", "VMware, Inc.", "VMware"),
        ("product_name", "VMware Virtual Platform", "VMware"),
        ("product_name", "VirtualBox", "VirtualBox"),
        ("sys_vendor", "innotek GmbH", "VirtualBox"),
        ("SystemBiosVersion", "VBOX   - 1", "VirtualBox"),
        ("sys_vendor", "QEMU", "QEMU"),
        ("product_name", "KVM", "KVM"),
        ("product_name", "Virtual Machine", "Hyper-V"),
        ("SystemProductName", "Virtual Machine", "Hyper-V"),
        ("sys_vendor", "Parallels Software International Inc.", "Parallels"),
        ("hw.model", "Parallels-ARM", "Parallels"),
        ("sys_vendor", "Xen", "Xen"),
        ("product_name", "HVM domU", "Xen"),
        ("bios_vendor", "Bochs", "Bochs"),
        ("sys_vendor", "Amazon EC2", "Amazon EC2"),
        ("product_name", "Google Compute Engine", "Google Compute Engine"),
        ("sys_vendor", "Alibaba Cloud", "Alibaba Cloud ECS"),
        ("product_name", "OpenStack Nova", "OpenStack"),
        ("hw.model", "VirtualMac2,1", "Apple Virtualization"),
        ("hw.model", "VMware7,1", "VMware"),
    ],
)
def test_vm_vendor_strings(source: str, value: str, vendor: str) -> None:
    found = facts(strings=[*PHYSICAL_STRINGS[:2], (source, value)])
    assert vm_evidence(found) == [f"{source}: {value} ({vendor})"]
    problems = check_virtual_machine(make_policy(), found)
    assert [(p.code, p.blocking) for p in problems] == [("virtual_machine", True)]


def test_systemd_detect_virt() -> None:
    assert vm_evidence(facts(strings=[("systemd-detect-virt", "oracle")])) == [
        "systemd-detect-virt: oracle"
    ]


def test_the_hypervisor_cpu_flag() -> None:
    assert vm_evidence(facts(hypervisor=True)) == ["CPU hypervisor flag"]
    assert vm_evidence(facts(hypervisor=False)) == []
    assert vm_evidence(facts(hypervisor=None)) == []


@pytest.mark.parametrize(
    ("mac", "vendor"),
    [
        ("00:05:69:12:34:56", "VMware"),
        ("00:0C:29:AB:CD:EF", "VMware"),
        ("00-1C-14-00-00-01", "VMware"),
        ("00:50:56:8a:00:01", "VMware"),
        ("08:00:27:4e:66:a1", "VirtualBox"),
        ("52:54:00:12:34:56", "QEMU/KVM"),
        ("00:15:5d:01:02:03", "Hyper-V"),
        ("00:1c:42:00:00:08", "Parallels"),
        ("00:16:3e:5e:6c:00", "Xen"),
    ],
)
def test_vm_mac_prefixes(mac: str, vendor: str) -> None:
    found = facts(interfaces=[NetworkInterface("wlan0", "a4:83:e7:00:00:01", True),
                              NetworkInterface("eth0", mac, True)])
    assert vm_evidence(found) == [f"MAC {mac.lower().replace('-', ':')} (eth0): {vendor}"]


@pytest.mark.parametrize(
    "interface",
    [
        NetworkInterface("vEthernet (WSL)", "00:15:5d:a0:00:01", None),  # WSL on a real PC
        NetworkInterface("VMware Network Adapter VMnet8", "00:50:56:c0:00:08", None),
        NetworkInterface("vmnet1", "00:50:56:c0:00:01", None),
        NetworkInterface("Ethernet 3", "00:50:56:c0:00:01", None),  # VMware host adapter MAC
        NetworkInterface("virbr0", "52:54:00:aa:bb:cc", False),  # libvirt on a real Linux
        NetworkInterface("vboxnet0", "0a:00:27:00:00:00", False),
        NetworkInterface("tap0", "52:54:00:aa:bb:cd", None),
    ],
)
def test_host_side_adapters_of_a_hypervisor_are_not_evidence(
    interface: NetworkInterface,
) -> None:
    assert vm_evidence(facts(interfaces=[interface])) == []


def test_a_physical_machine_gives_nothing() -> None:
    found = facts(
        strings=PHYSICAL_STRINGS,
        hypervisor=False,
        interfaces=[NetworkInterface("en0", "3c:22:fb:00:00:01", None),
                    NetworkInterface("eth0", "98:fa:9b:12:34:56", True)],
    )
    assert vm_evidence(found) == []
    assert check_virtual_machine(make_policy(), found) == []


def test_all_evidence_is_listed() -> None:
    found = facts(strings=[("sys_vendor", "QEMU"), ("systemd-detect-virt", "kvm")],
                  hypervisor=True, interfaces=[NetworkInterface("ens3", "52:54:00:00:00:01")])
    assert vm_evidence(found) == [
        "sys_vendor: QEMU (QEMU)", "systemd-detect-virt: kvm", "CPU hypervisor flag",
        "MAC 52:54:00:00:00:01 (ens3): QEMU/KVM",
    ]


@pytest.mark.parametrize(("rule", "expected"), [("refuse", [True]), ("warn", [False]),
                                                ("allow", [])])
def test_the_vm_rule(rule: str, expected: list[bool]) -> None:
    found = facts(hypervisor=True)
    problems = check_virtual_machine(make_policy(virtual_machine=rule), found)
    assert [p.blocking for p in problems] == expected


# --- remote session ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("os_name", "remote", "process_list"),
    [
        ("windows", ["GetSystemMetrics(SM_REMOTESESSION)"], []),
        ("windows", [], [P("rdpclip.exe")]),
        ("windows", [], [P("RDPCLIP.EXE")]),
        ("linux", ["SSH_CONNECTION"], []),
        ("linux", ["XRDP_SESSION"], []),
        ("linux", [], [P("x11vnc", "x11vnc")]),
        ("linux", [], [P("vino-server", None)]),
        ("macos", [], [P("screensharingd", "screensharingd")]),
    ],
)
def test_a_remote_session(os_name: str, remote: list[str], process_list: list[ProcessInfo]) -> None:
    found = facts(os=os_name, remote=remote, process_list=[*COMMON, *process_list])
    problems = check_remote_session(make_policy(), found)
    assert [(p.code, p.blocking) for p in problems] == [("remote_session", True)]
    warned = check_remote_session(make_policy(remote_session="warn"), found)
    assert [(p.code, p.blocking) for p in warned] == [("remote_session", False)]
    assert check_remote_session(make_policy(remote_session="allow"), found) == []


def test_no_remote_session() -> None:
    # A remote-desktop server's name on another system means nothing here.
    found = facts(os="windows", process_list=[*COMMON, P("x11vnc", None)])
    assert check_remote_session(make_policy(), found) == []


# --- battery ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("battery", "expected"),
    [
        (BatteryInfo(15, charging=False), [("battery_low", True)]),
        (BatteryInfo(19.6, charging=False), [("battery_low", True)]),
        (BatteryInfo(15, charging=None), [("battery_low", False)]),  # charger state unknown
        (BatteryInfo(15, charging=True), []),
        (BatteryInfo(20, charging=False), []),
        (BatteryInfo(80, charging=False), []),
        (None, []),  # a desktop without a battery, or unknown
    ],
)
def test_battery(battery: BatteryInfo | None, expected: list[tuple[str, bool]]) -> None:
    problems = check_battery(make_policy(), facts(battery_info=battery))
    assert [(p.code, p.blocking) for p in problems] == expected


def test_battery_texts() -> None:
    problem = check_battery(make_policy(), facts(battery_info=BatteryInfo(12.4, False)))[0]
    assert problem.title == "The battery is at 12% (at least 20% needed)"
    assert "power adapter" in problem.advice


def test_no_battery_rule() -> None:
    policy = make_policy(battery={"min_percent": 0})
    assert check_battery(policy, facts(battery_info=BatteryInfo(1, charging=False))) == []
