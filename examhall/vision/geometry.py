"""Measurements on dlib's 68 landmarks: eye aspect ratio and a head-yaw estimate.

Landmark indices are dlib's (iBUG 300-W): jaw 0–16 (0 on the image's left,
i.e. the person's right cheek in an unmirrored camera image), nose tip 30,
eyes 36–41 (image left) and 42–47 (image right).
"""

from __future__ import annotations

import numpy as np

RIGHT_EYE = slice(36, 42)  # the person's right eye: the image's left
LEFT_EYE = slice(42, 48)
NOSE_TIP = 30
NOSE_BRIDGE = slice(27, 31)
JAW_FIRST = 0
JAW_LAST = 16


def _check(landmarks: np.ndarray) -> np.ndarray:
    points = np.asarray(landmarks, dtype=np.float64)
    if points.shape != (68, 2):
        raise ValueError(f"expected 68×2 landmarks, got {points.shape}")
    return points


def _eye_ratio(eye: np.ndarray) -> float:
    """(|p2−p6| + |p3−p5|) / (2 |p1−p4|) — Soukupová & Čech, 2016."""
    vertical = np.linalg.norm(eye[1] - eye[5]) + np.linalg.norm(eye[2] - eye[4])
    horizontal = np.linalg.norm(eye[0] - eye[3])
    return float(vertical / (2.0 * horizontal)) if horizontal > 0 else 0.0


def eye_aspect_ratio(landmarks: np.ndarray) -> float:
    """Mean eye aspect ratio of both eyes: about 0.25–0.35 open, under ~0.15 closed."""
    points = _check(landmarks)
    return (_eye_ratio(points[RIGHT_EYE]) + _eye_ratio(points[LEFT_EYE])) / 2.0


def yaw_estimate(landmarks: np.ndarray) -> float:
    """Head yaw in −1…1 from where the nose lies between the two ends of the jaw outline.

    0 is a frontal face. **Positive means the person turned to their own left**
    in an unmirrored camera image (the nose moves towards the image's right
    edge); negative means they turned to their right. About ±0.5 at a 30°
    turn; the value is a ratio, not an angle.
    """
    points = _check(landmarks)
    nose_x = float(points[NOSE_BRIDGE, 0].mean() * 0.25 + points[NOSE_TIP, 0] * 0.75)
    left_x, right_x = float(points[JAW_FIRST, 0]), float(points[JAW_LAST, 0])
    span = right_x - left_x
    if span <= 0:
        return 0.0
    return float(np.clip(2.0 * (nose_x - left_x) / span - 1.0, -1.0, 1.0))
