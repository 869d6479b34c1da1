"""The server's rules for the device check: measurements in, verdicts with codes out.

Pure (no database): ``evaluate(measurements, limits)`` decides each check from what
the browser measured; it never takes the browser's word that a check passed.
Verdicts carry stable codes only; ``hints.py`` turns them into localised text.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

PASSED = "passed"
FAILED = "failed"
WARNING = "warning"

# The checks in the order the page lists them. "network" only ever warns.
CHECKS = ("compatibility", "permission", "devices", "availability", "display", "network")

# Oldest versions known to run the check and the exam page (getUserMedia, ES modules,
# full-screen API without prefixes). The 360 and QQ browsers report their Chromium core.
MIN_VERSIONS = {"chrome": 80, "edge": 80, "firefox": 78, "safari": 14, "opera": 67,
                "360": 80, "qq": 80}
UNSUPPORTED_BROWSERS = frozenset({"ie"})

BLACK_BELOW = 12.0  # mean brightness 0-255: a covered lens or a camera sending black
FROZEN_BELOW = 0.05  # mean absolute difference 0-255 between consecutive frames
SILENT_BELOW = 0.01  # peak RMS level 0-1 of the microphone while measuring


@dataclass(frozen=True)
class Limits:
    min_width: int = 640
    min_height: int = 480
    min_network_mbps: float = 10.0
    require_microphone: bool = True


def _verdict(check: str, codes: list[str], *, warn_only: bool = False) -> dict[str, Any]:
    status = (WARNING if warn_only else FAILED) if codes else PASSED
    return {"check": check, "status": status, "codes": codes}


def _major(version: str) -> int | None:
    head = (version or "").split(".", 1)[0]
    return int(head) if head.isdigit() else None


def _compatibility(m: dict[str, Any]) -> list[str]:
    codes = []
    browser = m["browser"]
    name = browser["name"].lower()
    major = _major(browser["version"])
    minimum = MIN_VERSIONS.get(name)
    if name in UNSUPPORTED_BROWSERS or (
        minimum is not None and major is not None and major < minimum
    ):
        codes.append("browser_unsupported")
    features = m["features"]
    for feature in ("getusermedia", "websocket", "indexeddb", "fullscreen"):
        if not features[feature]:
            codes.append(f"no_{feature}")
    return codes


def _permission(m: dict[str, Any], limits: Limits) -> list[str]:
    codes = []
    wanted = ["camera", "microphone"] if limits.require_microphone else ["camera"]
    for device in wanted:
        state = m["permissions"][device]
        if state == "denied":
            codes.append(f"{device}_denied")
        elif state != "granted" and m["devices"][f"{device}_count"] > 0:
            # With no such device there is nothing to allow: "devices" says what to do.
            codes.append(f"{device}_not_granted")
    return codes


def _devices(m: dict[str, Any], limits: Limits) -> list[str]:
    codes = []
    if m["devices"]["camera_count"] < 1:
        codes.append("no_camera")
    if limits.require_microphone and m["devices"]["microphone_count"] < 1:
        codes.append("no_microphone")
    return codes


def _camera(camera: dict[str, Any], limits: Limits) -> list[str]:
    width, height = camera["width"], camera["height"]
    if not width or not height or camera["brightness"] is None:
        return ["camera_no_frames"]
    codes = []
    if width < limits.min_width or height < limits.min_height:
        codes.append("camera_resolution_low")
    if camera["brightness"] < BLACK_BELOW:
        codes.append("camera_black")
    elif camera["frame_difference"] is None or camera["frame_difference"] < FROZEN_BELOW:
        codes.append("camera_frozen")
    return codes


def _availability(m: dict[str, Any], limits: Limits) -> list[str]:
    codes = _camera(m["camera"], limits)
    if limits.require_microphone:
        peak = m["microphone"]["peak_level"]
        if peak is None or peak < SILENT_BELOW:
            codes.append("microphone_silent")
    return codes


def _display(m: dict[str, Any]) -> list[str]:
    return ["screen_extended"] if m["screen_extended"] else []


def _network(m: dict[str, Any], limits: Limits) -> list[str]:
    down, up = m["network"]["down_mbps"], m["network"]["up_mbps"]
    if down is None or up is None:
        return ["network_untested"]
    if min(down, up) < limits.min_network_mbps:
        return ["network_slow"]
    return []


def evaluate(measurements: dict[str, Any], limits: Limits) -> list[dict[str, Any]]:
    """Each check's verdict ``{"check", "status", "codes"}`` in the order of CHECKS."""
    m = measurements
    return [
        _verdict("compatibility", _compatibility(m)),
        _verdict("permission", _permission(m, limits)),
        _verdict("devices", _devices(m, limits)),
        _verdict("availability", _availability(m, limits)),
        _verdict("display", _display(m)),
        _verdict("network", _network(m, limits), warn_only=True),
    ]


def passed(verdicts: list[dict[str, Any]]) -> bool:
    return all(verdict["status"] != FAILED for verdict in verdicts)


# The phone, as second camera, is checked for what it does: it films. No microphone,
# no full screen (iPhones have none for pages), no second display; either orientation.
PHONE_CHECKS = ("compatibility", "permission", "devices", "availability")


def evaluate_phone(measurements: dict[str, Any], limits: Limits) -> list[dict[str, Any]]:
    """The phone's four checks, ``{"check", "status", "codes"}`` in the order of
    PHONE_CHECKS. ``measurements`` has browser, features (getusermedia, websocket),
    permissions (camera), devices (camera_count) and camera."""
    m = measurements
    browser = m["browser"]
    name, major = browser["name"].lower(), _major(browser["version"])
    minimum = MIN_VERSIONS.get(name)
    compatibility = []
    if name in UNSUPPORTED_BROWSERS or (minimum is not None and major is not None
                                        and major < minimum):
        compatibility.append("browser_unsupported")
    compatibility += [f"no_{feature}" for feature in ("getusermedia", "websocket")
                      if not m["features"][feature]]
    permission = []
    state = m["permissions"]["camera"]
    if state == "denied":
        permission.append("camera_denied")
    elif state != "granted" and m["devices"]["camera_count"] > 0:
        permission.append("camera_not_granted")
    devices = [] if m["devices"]["camera_count"] > 0 else ["no_camera"]
    camera = dict(m["camera"])
    if camera["width"] and camera["height"] and camera["height"] > camera["width"]:
        # Portrait: compare the long side with the long side.
        camera["width"], camera["height"] = camera["height"], camera["width"]
    return [
        _verdict("compatibility", compatibility),
        _verdict("permission", permission),
        _verdict("devices", devices),
        _verdict("availability", _camera(camera, limits)),
    ]
