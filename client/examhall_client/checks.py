"""The environment checks: pure functions of (policy, facts) returning problems.

Nothing here reads the machine (that is ``probe``); every check can be tested with made-up
facts. Texts: forbidden programs carry the policy's own title and advice (in the language the
policy was fetched in); the other checks take theirs from the client's catalogue.
"""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass

from examhall_client.i18n import t
from examhall_client.policy import ClientPolicy
from examhall_client.probe import WINDOWS, MachineFacts, NetworkInterface, ProcessInfo

PROCESSES = "processes"
DISPLAYS = "displays"
VIRTUAL_MACHINE = "virtual_machine"
REMOTE_SESSION = "remote_session"
BATTERY = "battery"
POLICY = "policy"
CHECKS = (PROCESSES, DISPLAYS, VIRTUAL_MACHINE, REMOTE_SESSION, BATTERY)


@dataclass(frozen=True)
class Problem:
    check: str
    code: str
    subject: str
    title: str
    advice: str
    blocking: bool

    def to_dict(self) -> dict[str, object]:
        return asdict(self)


# --- forbidden processes ----------------------------------------------------------------------


def _process_key(name: str, os_name: str) -> str:
    """Case-insensitive; on Windows ``WeChat`` and ``WeChat.exe`` are the same program."""
    key = name.strip().lower()
    if os_name == WINDOWS and key.endswith(".exe"):
        key = key[:-4]
    return key


def _process_keys(process: ProcessInfo, os_name: str) -> set[str]:
    return {_process_key(n, os_name) for n in (process.name, process.exe) if n}


def forbidden_running(policy: ClientPolicy, facts: MachineFacts) -> list[str]:
    """Ids of the policy's forbidden programs running now, in the policy's order. A process
    whose name or executable is on the allow-list is never counted."""
    allowed = {_process_key(name, facts.os) for name in policy.allowed_processes}
    running: set[str] = set()
    for process in facts.processes:
        keys = _process_keys(process, facts.os)
        if not keys.isdisjoint(allowed):
            continue
        running |= keys
    return [
        entry.id
        for entry in policy.forbidden_processes
        if any(_process_key(n, facts.os) in running for n in entry.names_for(facts.os))
    ]


def check_processes(policy: ClientPolicy, facts: MachineFacts) -> list[Problem]:
    running = set(forbidden_running(policy, facts))
    return [
        Problem(PROCESSES, "forbidden_process", entry.id, entry.name, entry.advice, True)
        for entry in policy.forbidden_processes
        if entry.id in running
    ]


# --- displays ---------------------------------------------------------------------------------


def check_displays(policy: ClientPolicy, facts: MachineFacts) -> list[Problem]:
    """Too many displays, or a mirrored one (a projector) when the policy does not allow it.
    Unknown displays give nothing: the GUI's own count (Qt) is used during the exam."""
    if facts.displays is None:
        return []
    language, rule = policy.language, policy.displays
    problems = []
    count = len(facts.displays)
    if count > rule.max_displays:
        problems.append(
            Problem(DISPLAYS, "too_many_displays", "displays",
                    t("too_many_displays.title", language, count=count, max=rule.max_displays),
                    t("too_many_displays.advice", language), True)
        )
    if not rule.allow_mirrored and any(d.mirrored for d in facts.displays):
        problems.append(
            Problem(DISPLAYS, "mirrored_display", "displays",
                    t("mirrored_display.title", language),
                    t("mirrored_display.advice", language), True)
        )
    return problems


# --- virtual machine --------------------------------------------------------------------------

VM_PATTERNS: tuple[tuple[str, str], ...] = (
    (r"vmware", "VMware"),
    (r"virtualbox|innotek|\bvbox\b", "VirtualBox"),
    (r"\bqemu\b", "QEMU"),
    (r"\bkvm\b", "KVM"),
    (r"\bvirtual machine\b|hyper-v", "Hyper-V"),
    (r"parallels", "Parallels"),
    (r"\bxen\b|\bhvm domu\b", "Xen"),
    (r"\bbochs\b", "Bochs"),
    (r"\bbhyve\b", "bhyve"),
    (r"amazon ec2", "Amazon EC2"),
    (r"google compute engine", "Google Compute Engine"),
    (r"alibaba cloud|aliyun", "Alibaba Cloud ECS"),
    (r"tencent cloud", "Tencent Cloud"),
    (r"huawei cloud", "Huawei Cloud"),
    (r"openstack", "OpenStack"),
    (r"digitalocean", "DigitalOcean"),
    (r"virtualmac|apple virtual", "Apple Virtualization"),
)

# The first three bytes of the virtual network cards hypervisors give their guests.
VM_MAC_PREFIXES: dict[str, str] = {
    "00:05:69": "VMware",
    "00:0c:29": "VMware",
    "00:1c:14": "VMware",
    "00:50:56": "VMware",
    "08:00:27": "VirtualBox",
    "52:54:00": "QEMU/KVM",
    "00:15:5d": "Hyper-V",
    "00:1c:42": "Parallels",
    "00:16:3e": "Xen",
}

# A physical machine that runs a hypervisor has host-side adapters with these prefixes
# (VMware's VMnet1/VMnet8 are 00:50:56:c0:00:xx, Hyper-V's "vEthernet (WSL)", libvirt's virbr0):
# they say nothing about the machine itself.
_HOST_ADAPTER_NAMES = re.compile(
    r"^(vethernet|vmnet|vboxnet|virbr|docker|br-|veth|vnet|tap|tun|utun|bridge|"
    r"vmware network adapter|virtualbox host-only)",
    re.IGNORECASE,
)
_HOST_ADAPTER_MACS = ("00:50:56:c0:00:",)


def _normal_mac(mac: str) -> str:
    return mac.strip().lower().replace("-", ":")


def _guest_mac(interface: NetworkInterface) -> str | None:
    """The hypervisor that made this network card, if it is a guest's card."""
    mac = _normal_mac(interface.mac)
    if interface.physical is False or _HOST_ADAPTER_NAMES.match(interface.name):
        return None
    if mac.startswith(_HOST_ADAPTER_MACS):
        return None
    return VM_MAC_PREFIXES.get(mac[:8])


def vm_evidence(facts: MachineFacts) -> list[str]:
    """What says this machine is virtual: system vendor strings, the hypervisor CPU flag,
    a guest network card. Empty for a physical machine."""
    evidence = []
    for source, value in facts.system_strings:
        if source == "systemd-detect-virt":
            if value.strip().lower() not in ("", "none"):
                evidence.append(f"systemd-detect-virt: {value.strip()}")
            continue
        for pattern, vendor in VM_PATTERNS:
            if re.search(pattern, value, re.IGNORECASE):
                evidence.append(f"{source}: {value} ({vendor})")
                break
    if facts.hypervisor_flag:
        evidence.append("CPU hypervisor flag")
    for interface in facts.network_interfaces:
        vendor = _guest_mac(interface)
        if vendor:
            evidence.append(f"MAC {_normal_mac(interface.mac)} ({interface.name}): {vendor}")
    return evidence


def _ruled_problem(check: str, rule: str, evidence: list[str],
                   language: str) -> list[Problem]:
    """A finding the policy refuses (blocking), warns about, or allows (nothing)."""
    if rule == "allow" or not evidence:
        return []
    refuse = rule == "refuse"
    advice = f"{check}.advice" if refuse else f"{check}.advice_warn"
    return [Problem(check, check, check, t(f"{check}.title", language), t(advice, language),
                    refuse)]


def check_virtual_machine(policy: ClientPolicy, facts: MachineFacts) -> list[Problem]:
    return _ruled_problem(VIRTUAL_MACHINE, policy.virtual_machine, vm_evidence(facts),
                          policy.language)


# --- remote session ---------------------------------------------------------------------------

# Processes that only run while someone is (or can be) connected to this desktop remotely.
# Remote-control programs a candidate starts (TeamViewer, ToDesk, Sunlogin, ...) are on the
# server's forbidden list instead.
REMOTE_SESSION_PROCESSES: dict[str, tuple[str, ...]] = {
    "linux": ("x11vnc", "xrdp", "xrdp-sesman", "vino-server", "krfb", "Xvnc", "x0vncserver",
              "wayvnc"),
    "macos": ("screensharingd", "ScreensharingAgent"),
    "windows": ("rdpclip.exe", "tvnserver.exe", "winvnc.exe", "vncserver.exe"),
}


def remote_session_evidence(facts: MachineFacts) -> list[str]:
    evidence = list(facts.remote_signals)
    watched = {_process_key(n, facts.os): n for n in REMOTE_SESSION_PROCESSES.get(facts.os, ())}
    seen = set()
    for process in facts.processes:
        for key in _process_keys(process, facts.os):
            if key in watched and key not in seen:
                seen.add(key)
                evidence.append(f"process {watched[key]}")
    return evidence


def check_remote_session(policy: ClientPolicy, facts: MachineFacts) -> list[Problem]:
    return _ruled_problem(REMOTE_SESSION, policy.remote_session,
                          remote_session_evidence(facts), policy.language)


# --- battery ----------------------------------------------------------------------------------


def check_battery(policy: ClientPolicy, facts: MachineFacts) -> list[Problem]:
    """Below the minimum and not charging: blocking. Below the minimum and the charger state
    unknown: a warning. No battery (a desktop) or no rule (0): nothing."""
    battery, minimum = facts.battery, policy.battery.min_percent
    if battery is None or minimum <= 0 or battery.percent >= minimum or battery.charging:
        return []
    language = policy.language
    unknown = battery.charging is None
    return [
        Problem(BATTERY, "battery_low", "battery",
                t("battery_low.title", language, percent=round(battery.percent), min=minimum),
                t("battery_low.advice_unknown_plug" if unknown else "battery_low.advice",
                  language),
                not unknown)
    ]


ALL_CHECKS = (
    check_processes,
    check_displays,
    check_virtual_machine,
    check_remote_session,
    check_battery,
)
