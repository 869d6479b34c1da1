"""A device check that passes, as a healthy PC's browser would report it."""

from __future__ import annotations

from typing import Any

from examhall.delivery.tests.helpers import CandidateClient

GOOD_REPORT: dict[str, Any] = {
    "browser": {"name": "chrome", "version": "120.0.6099.109"},
    "features": {"getusermedia": True, "websocket": True, "indexeddb": True,
                 "fullscreen": True},
    "permissions": {"camera": "granted", "microphone": "granted"},
    "devices": {"camera_count": 1, "microphone_count": 1,
                "camera_label": "Integrated Camera", "microphone_label": "Built-in Mic"},
    "camera": {"width": 1280, "height": 720, "brightness": 118.5, "frame_difference": 1.7},
    "microphone": {"peak_level": 0.21},
    "screen_extended": False,
    "network": {"down_mbps": 85.2, "up_mbps": 22.4},
}


def pass_device_check(client: CandidateClient) -> Any:
    response = client.post("/device-check", GOOD_REPORT)
    assert response.status_code == 200 and response.json()["passed"], response.content
    return response
