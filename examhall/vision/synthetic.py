"""Fake head turns from one still photo, for browser tests (pure numpy/Pillow, no dlib).

The head is modelled as a vertical cylinder of radius ``0.6 × face box width``
centred on the face; turning it by θ re-projects every column of the face
region (``x = cx + R·sin(arcsin((x' − cx)/R) − θ)``), fading out above and
below the face. On ``tests/fixtures/faces/astronaut.jpg`` this moves
:func:`~examhall.vision.geometry.yaw_estimate` from 0.00 to about +0.38 at
θ = +30° and −0.36 at −30°, past the 0.30 a turn challenge needs, so a burst
from :func:`turning_frames` passes ``turn_left``/``turn_right`` — which also
shows that the liveness check stops a photo held up to the camera, not a
manipulated video fed through a virtual camera.

A flat perspective tilt of the photo (what holding a printed picture at an
angle does) leaves the yaw estimate within ±0.01 and fails.
"""

from __future__ import annotations

import math

import numpy as np

HEAD_RADIUS = 0.6
"""Cylinder radius as a share of the face box width (0.8 and 1.0 moved the yaw too little)."""


def turn_head(image: np.ndarray, face_box: tuple[int, int, int, int], degrees: float) -> np.ndarray:
    """``image`` (H×W×3 uint8) with the face in ``face_box`` (left, top, right, bottom) turned.

    Positive ``degrees`` turn the person to their own left (nose towards the
    image's right edge, unmirrored), as ``turn_left`` asks.
    """
    pixels = np.asarray(image, dtype=np.float32)
    height, width = pixels.shape[:2]
    left, top, right, bottom = face_box
    centre_x, radius = (left + right) / 2, (right - left) * HEAD_RADIUS
    xs = np.arange(width, dtype=np.float32)
    offset = np.clip((xs - centre_x) / radius, -1.0, 1.0)
    turned = np.clip(np.arcsin(offset) - math.radians(degrees), -math.pi / 2, math.pi / 2)
    source_x = np.where(np.abs(xs - centre_x) < radius, centre_x + radius * np.sin(turned), xs)
    ys = (np.arange(height, dtype=np.float32) - (top + bottom) / 2) / max(1, bottom - top)
    weight = np.clip((1.1 - np.abs(ys)) / 0.4, 0.0, 1.0)
    sample_x = xs[None, :] + (source_x - xs)[None, :] * weight[:, None]
    x0 = np.clip(np.floor(sample_x).astype(np.intp), 0, width - 2)
    frac = (sample_x - x0)[..., None]
    rows = np.arange(height)[:, None]
    out = pixels[rows, x0] * (1 - frac) + pixels[rows, x0 + 1] * frac
    return np.clip(out + 0.5, 0, 255).astype(np.uint8)


def turning_frames(image: np.ndarray, face_box: tuple[int, int, int, int], direction: str, *,
                   count: int = 12, max_degrees: float = 30.0) -> list[np.ndarray]:
    """A burst: three frontal frames, a turn to ``max_degrees``, a hold, and back to frontal.

    ``direction`` is ``turn_left`` or ``turn_right`` (the person's own side).
    """
    if direction not in ("turn_left", "turn_right"):
        raise ValueError("direction must be turn_left or turn_right")
    if count < 6:
        raise ValueError("count must be at least 6")
    sign = 1.0 if direction == "turn_left" else -1.0
    moving = count - 3
    up = (moving + 1) // 2
    angles = [0.0] * 3 + [max_degrees * min(1.0, (i + 1) / max(1, up - 1)) for i in range(up)]
    angles += [max_degrees * (1 - (i + 1) / (moving - up + 1)) for i in range(moving - up)]
    return [turn_head(image, face_box, sign * angle) for angle in angles]
