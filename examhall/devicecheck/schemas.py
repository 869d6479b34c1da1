"""Input and output schemas of the device-check API. Bounds are strict: anything
outside them is a 422 ``invalid_input``, never a 500."""

from __future__ import annotations

import uuid
from typing import Literal

from ninja import Field, Schema
from pydantic import ConfigDict, StrictBool

NETWORK_TEST_MAX_BYTES = 4 * 1024 * 1024

PermissionState = Literal["granted", "denied", "prompt", "unknown"]


class _Strict(Schema):
    model_config = ConfigDict(extra="forbid")


def _level(maximum: float) -> object:
    return Field(None, ge=0, le=maximum, allow_inf_nan=False)


class BrowserIn(_Strict):
    name: str = Field(..., pattern=r"^[a-z0-9][a-z0-9 ._-]{0,39}$")
    version: str = Field("", pattern=r"^(\d{1,5}(\.\d{1,8}){0,3})?$")


class FeaturesIn(_Strict):
    getusermedia: StrictBool
    websocket: StrictBool
    indexeddb: StrictBool
    fullscreen: StrictBool


class PermissionsIn(_Strict):
    camera: PermissionState
    microphone: PermissionState


class DevicesIn(_Strict):
    camera_count: int = Field(..., ge=0, le=64)
    microphone_count: int = Field(..., ge=0, le=64)
    camera_label: str = Field("", max_length=200)
    microphone_label: str = Field("", max_length=200)


class CameraIn(_Strict):
    width: int | None = Field(None, ge=0, le=16384)
    height: int | None = Field(None, ge=0, le=16384)
    brightness: float | None = _level(255)  # mean luma of the sampled frames, 0-255
    frame_difference: float | None = _level(255)  # mean |Δ| between consecutive frames


class MicrophoneIn(_Strict):
    peak_level: float | None = _level(1)  # highest RMS level seen, 0-1


class NetworkIn(_Strict):
    down_mbps: float | None = _level(100_000)
    up_mbps: float | None = _level(100_000)


class DeviceCheckIn(_Strict):
    browser: BrowserIn
    features: FeaturesIn
    permissions: PermissionsIn
    devices: DevicesIn
    camera: CameraIn
    microphone: MicrophoneIn
    screen_extended: StrictBool | None = None
    network: NetworkIn


class ProblemOut(Schema):
    code: str
    message: str


class VerdictOut(Schema):
    check: str
    label: str
    status: Literal["passed", "failed", "warning"]
    problems: list[ProblemOut]


class DeviceCheckOut(Schema):
    report_id: uuid.UUID
    passed: bool
    verdicts: list[VerdictOut]
    min_network_mbps: float


class UploadOut(Schema):
    received_bytes: int
