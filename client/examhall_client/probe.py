"""What the checks look at: facts read from the real machine (``SystemProbe``) or given by a
test (``FakeProbe``).

A probe never raises: a fact it cannot read is ``None`` (unknown) or empty, and the checks
decide what unknown means. Where each fact comes from, per operating system:

- processes: psutil (name and executable basename; AccessDenied/zombie processes keep what
  could be read).
- displays: Linux ``xrandr --listmonitors`` when DISPLAY is set (two monitors at the same
  origin = mirrored), else ``/sys/class/drm/*/status`` (count only); Windows
  ``EnumDisplayMonitors`` (count) and ``EnumDisplayDevices`` (one adapter output driving two
  active monitors = clone/mirror mode); macOS CoreGraphics ``CGGetOnlineDisplayList`` and
  ``CGDisplayIsInMirrorSet``. The GUI replaces this with Qt's screens (override ``displays``).
- virtual machine: Linux ``/sys/class/dmi/id/{sys_vendor,product_name,board_vendor,
  bios_vendor}``, the ``hypervisor`` flag in ``/proc/cpuinfo``, ``systemd-detect-virt --vm``;
  Windows the registry ``HKLM\\HARDWARE\\DESCRIPTION\\System\\BIOS`` (SystemManufacturer,
  SystemProductName, BaseBoardManufacturer, BIOSVendor, ...) and ``SystemBiosVersion``, with
  PowerShell ``Get-CimInstance Win32_ComputerSystem/Win32_BIOS`` as the fallback (no CPU flag
  on Windows: with virtualisation-based security the host itself runs on Hyper-V); macOS
  ``sysctl -n hw.model``, ``kern.hv_vmm_present`` and ``machdep.cpu.features`` (VMM), and
  ``ioreg -rd1 -c IOPlatformExpertDevice`` (manufacturer, model); MAC addresses from psutil.
- remote session: Windows ``GetSystemMetrics(SM_REMOTESESSION)`` and ``SESSIONNAME``;
  Linux/macOS ``SSH_CONNECTION``/``SSH_CLIENT``/``SSH_TTY``, ``XRDP_SESSION``; the remote
  desktop server processes (x11vnc, xrdp, vino, screensharingd, ...) are judged by the check
  from the process list.
- battery: psutil ``sensors_battery()``.
"""

from __future__ import annotations

import contextlib
import functools
import os
import re
import subprocess
import sys
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import psutil

WINDOWS = "windows"
MACOS = "macos"
LINUX = "linux"


def current_os() -> str:
    if sys.platform == "win32":
        return WINDOWS
    if sys.platform == "darwin":
        return MACOS
    return LINUX


@dataclass(frozen=True)
class ProcessInfo:
    name: str | None
    exe: str | None = None  # the executable's basename
    pid: int | None = None


@dataclass(frozen=True)
class DisplayInfo:
    name: str
    width: int | None = None
    height: int | None = None
    x: int | None = None
    y: int | None = None
    mirrored: bool | None = None  # None: unknown
    builtin: bool | None = None


@dataclass(frozen=True)
class NetworkInterface:
    name: str
    mac: str
    physical: bool | None = None  # backed by a device (None: unknown)


@dataclass(frozen=True)
class BatteryInfo:
    percent: float
    charging: bool | None  # None: unknown


@dataclass(frozen=True)
class MachineFacts:
    """One snapshot of everything the checks look at."""

    os: str
    processes: tuple[ProcessInfo, ...] = ()
    displays: tuple[DisplayInfo, ...] | None = None
    system_strings: tuple[tuple[str, str], ...] = ()  # (source, value), e.g. ("sys_vendor", ..)
    hypervisor_flag: bool | None = None
    network_interfaces: tuple[NetworkInterface, ...] = ()
    remote_signals: tuple[str, ...] = ()
    battery: BatteryInfo | None = None


class Probe:
    """The facts of one machine. Subclasses override the methods; ``collect`` never raises."""

    def os_name(self) -> str:
        return current_os()

    def processes(self) -> list[ProcessInfo]:
        return []

    def displays(self) -> list[DisplayInfo] | None:
        return None

    def system_strings(self) -> list[tuple[str, str]]:
        return []

    def hypervisor_flag(self) -> bool | None:
        return None

    def network_interfaces(self) -> list[NetworkInterface]:
        return []

    def remote_session_signals(self) -> list[str]:
        return []

    def battery(self) -> BatteryInfo | None:
        return None

    def collect(self) -> MachineFacts:
        displays = _safe(self.displays, None)
        return MachineFacts(
            os=_safe(self.os_name, current_os()),
            processes=tuple(_safe(self.processes, [])),
            displays=None if displays is None else tuple(displays),
            system_strings=tuple(_safe(self.system_strings, [])),
            hypervisor_flag=_safe(self.hypervisor_flag, None),
            network_interfaces=tuple(_safe(self.network_interfaces, [])),
            remote_signals=tuple(_safe(self.remote_session_signals, [])),
            battery=_safe(self.battery, None),
        )


def _safe(read: Callable[[], Any], default: Any) -> Any:
    try:
        return read()
    except Exception:  # a probe must never stop the check; unknown it is
        return default


@dataclass
class FakeProbe(Probe):
    """Every fact given as an argument (tests, demos)."""

    os: str = LINUX
    process_list: list[ProcessInfo] = field(default_factory=list)
    display_list: list[DisplayInfo] | None = None
    strings: list[tuple[str, str]] = field(default_factory=list)
    hypervisor: bool | None = None
    interfaces: list[NetworkInterface] = field(default_factory=list)
    remote: list[str] = field(default_factory=list)
    battery_info: BatteryInfo | None = None

    def os_name(self) -> str:
        return self.os

    def processes(self) -> list[ProcessInfo]:
        return list(self.process_list)

    def displays(self) -> list[DisplayInfo] | None:
        return None if self.display_list is None else list(self.display_list)

    def system_strings(self) -> list[tuple[str, str]]:
        return list(self.strings)

    def hypervisor_flag(self) -> bool | None:
        return self.hypervisor

    def network_interfaces(self) -> list[NetworkInterface]:
        return list(self.interfaces)

    def remote_session_signals(self) -> list[str]:
        return list(self.remote)

    def battery(self) -> BatteryInfo | None:
        return self.battery_info


# --- the real machine -------------------------------------------------------------------------


def _run(args: list[str], timeout: float = 5.0) -> str | None:
    """A helper program's standard output (whatever its exit code), None if it cannot run.
    No console window flashes up on Windows."""
    flags = getattr(subprocess, "CREATE_NO_WINDOW", 0)
    try:
        done = subprocess.run(
            args,
            capture_output=True,
            text=True,
            timeout=timeout,
            creationflags=flags,
            stdin=subprocess.DEVNULL,
        )
    except (OSError, subprocess.SubprocessError, ValueError):
        return None
    return done.stdout


def _read(path: Path) -> str | None:
    try:
        return path.read_text(encoding="utf-8", errors="replace").strip()
    except OSError:
        return None


class SystemProbe(Probe):
    """The machine the client runs on.

    For tests: ``process_source`` replaces ``psutil.process_iter`` (objects whose
    ``name()``/``exe()`` may raise psutil errors), ``environ`` replaces ``os.environ`` and
    ``root`` is where ``/sys`` and ``/proc`` are read (Linux)."""

    def __init__(
        self,
        *,
        process_source: Callable[[], Iterable[Any]] | None = None,
        environ: Mapping[str, str] | None = None,
        root: Path = Path("/"),
    ) -> None:
        self._process_source = process_source or psutil.process_iter
        self._environ = os.environ if environ is None else environ
        self._root = root

    # processes

    def processes(self) -> list[ProcessInfo]:
        found = []
        for proc in self._process_source():
            name = _process_attribute(proc, "name")
            if name is _GONE:
                continue
            exe = _process_attribute(proc, "exe")
            if exe is _GONE:
                continue
            exe_name = _basename(exe) if exe else None
            if name or exe_name:
                found.append(ProcessInfo(name=name or None, exe=exe_name,
                                         pid=getattr(proc, "pid", None)))
        return found

    # displays

    def displays(self) -> list[DisplayInfo] | None:
        system = self.os_name()
        if system == WINDOWS:
            return _windows_displays()
        if system == MACOS:
            return _macos_displays()
        if self._environ.get("DISPLAY"):
            found = _parse_xrandr_monitors(_run(["xrandr", "--listmonitors"]) or "")
            if found:
                return found
        return _drm_displays(self._root / "sys/class/drm")

    # virtual machine

    # The machine does not become virtual during an exam: these are read once per process
    # (a GUI may make a new probe for every re-check).

    def system_strings(self) -> list[tuple[str, str]]:
        return list(_system_strings(self.os_name(), self._root))

    def hypervisor_flag(self) -> bool | None:
        return _hypervisor_flag(self.os_name(), self._root)

    def network_interfaces(self) -> list[NetworkInterface]:
        link = getattr(psutil, "AF_LINK", None)
        system = self.os_name()
        found = []
        for name, addresses in psutil.net_if_addrs().items():
            for address in addresses:
                if address.family != link or not address.address:
                    continue
                mac = address.address.replace("-", ":").lower()
                if mac == "00:00:00:00:00:00":
                    continue
                physical = (
                    (self._root / "sys/class/net" / name / "device").exists()
                    if system == LINUX
                    else None
                )
                found.append(NetworkInterface(name=name, mac=mac, physical=physical))
        return found

    # remote session

    def remote_session_signals(self) -> list[str]:
        signals = []
        env = self._environ
        if self.os_name() == WINDOWS:
            if _windows_remote_session():
                signals.append("GetSystemMetrics(SM_REMOTESESSION)")
            session = env.get("SESSIONNAME", "")
            if session.upper().startswith("RDP-"):
                signals.append(f"SESSIONNAME={session}")
        else:
            for name in ("SSH_CONNECTION", "SSH_CLIENT", "SSH_TTY", "XRDP_SESSION"):
                if env.get(name):
                    signals.append(name)
        return signals

    # battery

    def battery(self) -> BatteryInfo | None:
        sensors = getattr(psutil, "sensors_battery", None)
        state = sensors() if sensors else None
        if state is None:
            return None
        return BatteryInfo(percent=float(state.percent), charging=state.power_plugged)


@functools.cache
def _system_strings(system: str, root: Path) -> tuple[tuple[str, str], ...]:
    if system == WINDOWS:
        return tuple(_windows_system_strings())
    if system == MACOS:
        return tuple(_macos_system_strings())
    return tuple(_linux_system_strings(root / "sys/class/dmi/id"))


@functools.cache
def _hypervisor_flag(system: str, root: Path) -> bool | None:
    if system == LINUX:
        return _linux_hypervisor_flag(root / "proc/cpuinfo")
    if system == MACOS:
        return _macos_hypervisor_flag()
    return None  # Windows: see the module docstring


_GONE = object()


def _process_attribute(proc: Any, attribute: str) -> Any:
    """``proc.name()``/``proc.exe()``: None when access is denied or the process is a zombie,
    ``_GONE`` when it has ended."""
    try:
        return getattr(proc, attribute)()
    except (psutil.AccessDenied, psutil.ZombieProcess):
        return None
    except psutil.NoSuchProcess:
        return _GONE
    except OSError:
        return None


def _basename(path: str) -> str:
    return re.split(r"[\\/]", path.rstrip("\\/"))[-1]


# Linux


_XRANDR_MONITOR = re.compile(
    r"^\s*\d+:\s+[+*]*(?P<name>\S+)\s+(?P<w>\d+)/\d+x(?P<h>\d+)/\d+(?P<x>[+-]\d+)(?P<y>[+-]\d+)"
)


def _parse_xrandr_monitors(output: str) -> list[DisplayInfo] | None:
    """``xrandr --listmonitors``; monitors sharing the same origin show the same picture."""
    rows = []
    for line in output.splitlines():
        found = _XRANDR_MONITOR.match(line)
        if found:
            rows.append(
                (found["name"], int(found["w"]), int(found["h"]), int(found["x"]), int(found["y"]))
            )
    if not rows:
        return None
    origins = [(x, y) for _, _, _, x, y in rows]
    return [
        DisplayInfo(name=name, width=w, height=h, x=x, y=y, mirrored=origins.count((x, y)) > 1)
        for name, w, h, x, y in rows
    ]


def _drm_displays(root: Path) -> list[DisplayInfo] | None:
    """Connected connectors in ``/sys/class/drm`` (``card0-HDMI-A-1/status``)."""
    try:
        entries = sorted(root.glob("card*-*/status"))
    except OSError:
        return None
    found = []
    for status in entries:
        if _read(status) == "connected":
            connector = status.parent.name.split("-", 1)[1]
            builtin = connector.startswith(("eDP", "LVDS", "DSI"))
            found.append(DisplayInfo(name=connector, mirrored=None, builtin=builtin))
    return found or None


_DMI_FIELDS = ("sys_vendor", "product_name", "board_vendor", "bios_vendor", "product_version")


def _linux_system_strings(dmi: Path) -> list[tuple[str, str]]:
    found = []
    for name in _DMI_FIELDS:
        value = _read(dmi / name)
        if value:
            found.append((name, value))
    virt = _run(["systemd-detect-virt", "--vm"])
    if virt is not None and virt.strip():
        found.append(("systemd-detect-virt", virt.strip()))
    return found


def _linux_hypervisor_flag(cpuinfo: Path) -> bool | None:
    text = _read(cpuinfo)
    if text is None:
        return None
    for line in text.splitlines():
        if line.startswith("flags"):
            return "hypervisor" in line.split(":", 1)[-1].split()
    return None


# macOS


def _macos_system_strings() -> list[tuple[str, str]]:
    found = []
    model = (_run(["sysctl", "-n", "hw.model"]) or "").strip()
    if model:
        found.append(("hw.model", model))
    ioreg = _run(["ioreg", "-rd1", "-c", "IOPlatformExpertDevice"]) or ""
    for key in ("manufacturer", "model", "product-name"):
        match = re.search(rf'"{key}"\s*=\s*<?"?([^">]+)"?>?', ioreg)
        if match:
            found.append((f"ioreg {key}", match[1].strip()))
    return found


def _macos_hypervisor_flag() -> bool | None:
    present = (_run(["sysctl", "-n", "kern.hv_vmm_present"]) or "").strip()
    features = (_run(["sysctl", "-n", "machdep.cpu.features"]) or "").split()
    if present == "1" or "VMM" in features:
        return True
    if present == "0":
        return False
    return None


def _macos_displays() -> list[DisplayInfo] | None:
    import ctypes
    import ctypes.util

    path = ctypes.util.find_library("CoreGraphics") or (
        "/System/Library/Frameworks/CoreGraphics.framework/CoreGraphics"
    )
    cg = ctypes.CDLL(path)
    cg.CGGetOnlineDisplayList.argtypes = [
        ctypes.c_uint32, ctypes.POINTER(ctypes.c_uint32), ctypes.POINTER(ctypes.c_uint32)
    ]
    cg.CGGetOnlineDisplayList.restype = ctypes.c_int32
    for name, restype in (("CGDisplayPixelsWide", ctypes.c_size_t),
                          ("CGDisplayPixelsHigh", ctypes.c_size_t),
                          ("CGDisplayIsInMirrorSet", ctypes.c_uint32),
                          ("CGDisplayIsBuiltin", ctypes.c_uint32)):
        getattr(cg, name).argtypes = [ctypes.c_uint32]
        getattr(cg, name).restype = restype
    ids = (ctypes.c_uint32 * 32)()
    count = ctypes.c_uint32(0)
    if cg.CGGetOnlineDisplayList(32, ids, ctypes.byref(count)) != 0:
        return None
    found = []
    for display in ids[: count.value]:
        found.append(
            DisplayInfo(
                name=f"display-{display}",
                width=int(cg.CGDisplayPixelsWide(display)),
                height=int(cg.CGDisplayPixelsHigh(display)),
                mirrored=bool(cg.CGDisplayIsInMirrorSet(display)),
                builtin=bool(cg.CGDisplayIsBuiltin(display)),
            )
        )
    return found


# Windows


def _windows_system_strings() -> list[tuple[str, str]]:
    found: list[tuple[str, str]] = []
    try:
        import winreg  # type: ignore[import-not-found]

        with winreg.OpenKey(winreg.HKEY_LOCAL_MACHINE, r"HARDWARE\DESCRIPTION\System\BIOS") as k:
            for name in ("SystemManufacturer", "SystemProductName", "BaseBoardManufacturer",
                         "BaseBoardProduct", "BIOSVendor", "BIOSVersion"):
                with contextlib.suppress(OSError):
                    value = winreg.QueryValueEx(k, name)[0]
                    if isinstance(value, str) and value.strip():
                        found.append((name, value.strip()))
        with (
            winreg.OpenKey(winreg.HKEY_LOCAL_MACHINE, r"HARDWARE\DESCRIPTION\System") as k,
            contextlib.suppress(OSError),
        ):
                value = winreg.QueryValueEx(k, "SystemBiosVersion")[0]
                values = value if isinstance(value, list) else [value]
                found.extend(("SystemBiosVersion", str(v).strip()) for v in values if v)
    except (ImportError, OSError):
        pass
    if found:
        return found
    script = (
        "$c = Get-CimInstance Win32_ComputerSystem; $b = Get-CimInstance Win32_BIOS; "
        "$c.Manufacturer; $c.Model; $b.Manufacturer; $b.SMBIOSBIOSVersion"
    )
    output = _run(["powershell", "-NoProfile", "-NonInteractive", "-Command", script], 15.0)
    labels = ("Manufacturer", "Model", "BIOS Manufacturer", "BIOS version")
    for label, line in zip(labels, (output or "").splitlines(), strict=False):
        if line.strip():
            found.append((label, line.strip()))
    return found


def _windows_remote_session() -> bool:
    import ctypes

    sm_remotesession = 0x1000
    user32 = ctypes.WinDLL("user32")  # type: ignore[attr-defined]
    return bool(user32.GetSystemMetrics(sm_remotesession))


def _windows_displays() -> list[DisplayInfo] | None:
    import ctypes
    from ctypes import wintypes

    # A private handle, so the argtypes set here do not leak into other ctypes users.
    user32 = ctypes.WinDLL("user32")  # type: ignore[attr-defined]

    class MonitorInfoEx(ctypes.Structure):
        _fields_ = [
            ("cbSize", wintypes.DWORD),
            ("rcMonitor", wintypes.RECT),
            ("rcWork", wintypes.RECT),
            ("dwFlags", wintypes.DWORD),
            ("szDevice", wintypes.WCHAR * 32),
        ]

    class DisplayDevice(ctypes.Structure):
        _fields_ = [
            ("cb", wintypes.DWORD),
            ("DeviceName", wintypes.WCHAR * 32),
            ("DeviceString", wintypes.WCHAR * 128),
            ("StateFlags", wintypes.DWORD),
            ("DeviceID", wintypes.WCHAR * 128),
            ("DeviceKey", wintypes.WCHAR * 128),
        ]

    user32.EnumDisplayDevicesW.argtypes = [
        wintypes.LPCWSTR, wintypes.DWORD, ctypes.POINTER(DisplayDevice), wintypes.DWORD
    ]
    user32.EnumDisplayDevicesW.restype = wintypes.BOOL
    user32.GetMonitorInfoW.argtypes = [wintypes.HMONITOR, ctypes.POINTER(MonitorInfoEx)]
    user32.GetMonitorInfoW.restype = wintypes.BOOL
    attached_to_desktop, device_active = 0x1, 0x1

    # Outputs driving more than one active monitor (clone mode: one desktop on two screens).
    cloned: set[str] = set()
    adapter_index = 0
    while True:
        adapter = DisplayDevice()
        adapter.cb = ctypes.sizeof(adapter)
        if not user32.EnumDisplayDevicesW(None, adapter_index, ctypes.byref(adapter), 0):
            break
        adapter_index += 1
        if not adapter.StateFlags & attached_to_desktop:
            continue
        active, monitor_index = 0, 0
        while True:
            monitor = DisplayDevice()
            monitor.cb = ctypes.sizeof(monitor)
            if not user32.EnumDisplayDevicesW(
                adapter.DeviceName, monitor_index, ctypes.byref(monitor), 0
            ):
                break
            monitor_index += 1
            if monitor.StateFlags & device_active:
                active += 1
        if active > 1:
            cloned.add(adapter.DeviceName)

    found: list[DisplayInfo] = []
    callback_type = ctypes.WINFUNCTYPE(
        wintypes.BOOL, wintypes.HMONITOR, wintypes.HDC, ctypes.POINTER(wintypes.RECT),
        wintypes.LPARAM,
    )

    def callback(handle: Any, _hdc: Any, _rect: Any, _data: Any) -> bool:
        info = MonitorInfoEx()
        info.cbSize = ctypes.sizeof(info)
        if user32.GetMonitorInfoW(handle, ctypes.byref(info)):
            rect = info.rcMonitor
            found.append(
                DisplayInfo(
                    name=info.szDevice,
                    width=rect.right - rect.left,
                    height=rect.bottom - rect.top,
                    x=rect.left,
                    y=rect.top,
                    mirrored=info.szDevice in cloned,
                )
            )
        return True

    user32.EnumDisplayMonitors.argtypes = [
        wintypes.HDC, ctypes.POINTER(wintypes.RECT), callback_type, wintypes.LPARAM
    ]
    user32.EnumDisplayMonitors.restype = wintypes.BOOL
    if not user32.EnumDisplayMonitors(None, None, callback_type(callback), 0):
        return None
    return found or None
