"""Is a photo good enough to verify a face? Verdicts with stable codes and measured values.

Codes (in the order :attr:`QualityVerdict.reasons` lists them, most important
first): ``no_face``, ``several_faces``, ``too_dark``, ``too_bright``,
``backlit``, ``face_too_small``, ``face_off_centre``, ``blurred``,
``eyes_closed``. The Django side turns codes into messages; nothing here is
meant for the candidate's eyes.

All measurements are taken on the working-size image (see
:data:`~examhall.vision.images.WORKING_MAX_SIDE`); ratios do not depend on it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from examhall.vision import faces as faces_mod
from examhall.vision.faces import DETECTION_MIN_SCORE, Face, prepare
from examhall.vision.geometry import eye_aspect_ratio
from examhall.vision.images import ImageInput, WorkingImage

REASONS = ("no_face", "several_faces", "too_dark", "too_bright", "backlit", "face_too_small",
           "face_off_centre", "blurred", "eyes_closed")

DARK_MAX = 60.0
"""Mean luma (0–255) of the face (of the whole image without a face) below which: too_dark."""
BRIGHT_MIN = 200.0
"""Mean luma of the face (of the whole image without a face) above which: too_bright."""
CLIPPED_MAX = 0.25
"""Share of the face's pixels at luma ≥ 250 above which: too_bright."""
IMAGE_CLIPPED_MAX = 0.30
"""Without a face: share of the image's pixels at luma ≥ 250 above which: too_bright."""
BACKLIT_RATIO = 0.6
"""Face luma below this share of the background's (background ≥ 120): backlit."""
BACKLIT_BACKGROUND_MIN = 120.0
FACE_MIN_FRACTION = 0.15
"""Face box width below this share of the image's shorter side: face_too_small."""
CENTRE_MAX_X = 0.25
CENTRE_MAX_Y = 0.35
"""Largest offset of the face centre from the image centre, as a share of width / height."""
OUTSIDE_MAX = 0.15
"""Share of the face box allowed outside the frame before it counts as off-centre."""
SHARPNESS_MIN = 30.0
"""Variance of the Laplacian of the face (working size) below which: blurred.

On the fixtures sharp faces measure 470–850, a Gaussian blur of radius 1 px
about 50, of 1.5 px 13–24. The measure falls with contrast, so it is not
reported on a face already too dark or too bright.
"""
EYES_CLOSED_MAX = 0.15
"""Mean eye aspect ratio below which: eyes_closed (open eyes measure 0.20–0.36)."""


@dataclass
class QualityVerdict:
    """``ok`` when ``reasons`` is empty; ``measurements`` holds the values behind each code."""

    ok: bool
    reasons: list[str]
    face_count: int
    measurements: dict[str, float] = field(default_factory=dict)
    faces: list[Face] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return {"ok": self.ok, "reasons": self.reasons, "face_count": self.face_count,
                "measurements": {k: round(v, 4) for k, v in self.measurements.items()},
                "faces": [face.to_dict(landmarks=False) for face in self.faces]}


def _luma(rgb: np.ndarray) -> np.ndarray:
    return rgb.astype(np.float32) @ np.array([0.299, 0.587, 0.114], dtype=np.float32)


def laplacian_variance(grey: np.ndarray) -> float:
    """Variance of the 4-neighbour Laplacian: low when the region is blurred."""
    g = np.asarray(grey, dtype=np.float32)
    if g.shape[0] < 3 or g.shape[1] < 3:
        return 0.0
    lap = -4 * g[1:-1, 1:-1] + g[:-2, 1:-1] + g[2:, 1:-1] + g[1:-1, :-2] + g[1:-1, 2:]
    return float(lap.var())


def _lighting(luma: np.ndarray, face: Face | None, m: dict[str, float]) -> list[str]:
    m["brightness"] = float(luma.mean())
    m["clipped"] = float((luma >= 250).mean())
    if face is None:
        reasons = []
        if m["brightness"] < DARK_MAX:
            reasons.append("too_dark")
        elif m["brightness"] > BRIGHT_MIN or m["clipped"] > IMAGE_CLIPPED_MAX:
            reasons.append("too_bright")
        return reasons
    box = face.working_box
    top, left = max(0, box.top), max(0, box.left)
    region = luma[top:box.bottom, left:box.right]
    mask = np.ones(luma.shape, dtype=bool)
    mask[top:box.bottom, left:box.right] = False
    face_mean = float(region.mean()) if region.size else m["brightness"]
    background = float(luma[mask].mean()) if mask.any() else face_mean
    m.update(face_brightness=face_mean, background_brightness=background,
             face_clipped=float((region >= 250).mean()) if region.size else 0.0,
             sharpness=laplacian_variance(region))
    reasons = []
    if face_mean < DARK_MAX:
        reasons.append("too_dark")
    elif face_mean > BRIGHT_MIN or m["face_clipped"] > CLIPPED_MAX:
        reasons.append("too_bright")
    if background >= BACKLIT_BACKGROUND_MIN and face_mean < BACKLIT_RATIO * background:
        reasons.append("backlit")
    return reasons


def _framing(work: WorkingImage, face: Face, m: dict[str, float]) -> list[str]:
    box = face.working_box
    m["face_fraction"] = box.width / min(work.width, work.height)
    m["centre_offset_x"] = ((box.left + box.right) / 2) / work.width - 0.5
    m["centre_offset_y"] = ((box.top + box.bottom) / 2) / work.height - 0.5
    inside_w = min(box.right, work.width) - max(box.left, 0)
    inside_h = min(box.bottom, work.height) - max(box.top, 0)
    m["face_outside"] = 1.0 - max(0, inside_w) * max(0, inside_h) / max(1, box.area)
    reasons = []
    if m["face_fraction"] < FACE_MIN_FRACTION:
        reasons.append("face_too_small")
    if (abs(m["centre_offset_x"]) > CENTRE_MAX_X or abs(m["centre_offset_y"]) > CENTRE_MAX_Y
            or m["face_outside"] > OUTSIDE_MAX):
        reasons.append("face_off_centre")
    return reasons


def assess_quality(image: ImageInput | WorkingImage, *,
                   min_score: float = DETECTION_MIN_SCORE) -> QualityVerdict:
    """Check one photo (enrolment or a proctoring snapshot) and say what is wrong with it.

    Detection runs without upsampling first; when that finds nothing it runs
    again upsampled once, so that a face too small for the fast pass is
    reported as ``face_too_small`` rather than ``no_face``.
    """
    work = prepare(image)
    found = faces_mod.detect_faces(work, min_score=min_score)
    if not found:
        found = faces_mod.detect_faces(work, upsample=1, min_score=min_score)
    m: dict[str, float] = {"face_count": float(len(found))}
    luma = _luma(work.array)
    face = found[0] if found else None
    reasons = _lighting(luma, face, m)
    if face is None:
        reasons.insert(0, "no_face")
    else:
        m["detection_score"] = face.score
        if len(found) > 1:
            reasons.append("several_faces")
        reasons += _framing(work, face, m)
        lighting_bad = "too_dark" in reasons or "too_bright" in reasons
        if m["sharpness"] < SHARPNESS_MIN and not lighting_bad:
            reasons.append("blurred")
        points = faces_mod.working_landmarks(work, face, points=68)
        face.landmarks = points * work.scale
        m["eye_aspect_ratio"] = eye_aspect_ratio(points)
        if m["eye_aspect_ratio"] < EYES_CLOSED_MAX:
            reasons.append("eyes_closed")
    reasons.sort(key=REASONS.index)
    return QualityVerdict(ok=not reasons, reasons=reasons, face_count=len(found),
                          measurements=m, faces=found)
