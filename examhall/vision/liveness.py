"""Active liveness: the candidate is asked to blink or turn their head, within a short burst.

A challenge is picked at random (:func:`pick_challenge`) and shown to the
candidate; the browser then sends a burst of frames (8–30). :func:`judge`
decides from per-frame measurements only (a pure function, testable on
synthetic landmark sequences); :func:`check_liveness` measures real frames
and calls it.

**Directions are the candidate's own**: ``turn_left`` means the candidate
turns their head to *their* left. In the unmirrored camera image the server
receives (browsers mirror only the on-screen preview, never the frames) the
nose then moves towards the image's *right* edge, and
:func:`~examhall.vision.geometry.yaw_estimate` grows.

A photo or screen held still in front of the camera produces neither a blink
nor a change of yaw and fails with ``no_motion``. Moving or tilting a flat
picture keeps the nose where it is relative to the jaw outline and fails too.
This does not stop a video replay or a virtual camera (see ``synthetic.py``).

Reason codes: ``passed``, ``not_enough_frames``, ``face_lost``, ``no_motion``,
``wrong_direction``, ``turn_too_small``, ``incomplete_blink``.
"""

from __future__ import annotations

import secrets
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from examhall.vision import faces as faces_mod
from examhall.vision.geometry import eye_aspect_ratio, yaw_estimate
from examhall.vision.images import ImageInput, WorkingImage

CHALLENGES = ("blink", "turn_left", "turn_right")
MIN_FRAMES = 8
MAX_FRAMES = 30
MAX_LOST_SHARE = 0.25
"""Share of frames allowed without a face (a turned head can escape the HOG detector)."""
YAW_TURN_MIN = 0.30
"""Yaw change from the first frames needed to pass a turn (about 15–20° of head turn)."""
YAW_NOISE = 0.10
"""Yaw changes below this are landmark jitter: no motion at all."""
BLINK_DROP_MIN = 0.30
"""The eye aspect ratio must fall by this share of its open value during a blink."""
BLINK_REOPEN = 0.85
"""…and be back to this share of the open value, before and after the closed frame."""
BASELINE_FRAMES = 3


@dataclass(frozen=True)
class FrameMeasure:
    """What one frame says: whether a face was found, its eye aspect ratio and yaw."""

    face_found: bool
    ear: float | None = None
    yaw: float | None = None
    face_count: int = 0

    @classmethod
    def from_landmarks(cls, landmarks: np.ndarray | None, face_count: int = 1) -> FrameMeasure:
        if landmarks is None:
            return cls(False, face_count=0)
        return cls(True, eye_aspect_ratio(landmarks), yaw_estimate(landmarks), face_count)

    def to_dict(self) -> dict[str, Any]:
        return {"face_found": self.face_found, "face_count": self.face_count,
                "ear": None if self.ear is None else round(self.ear, 4),
                "yaw": None if self.yaw is None else round(self.yaw, 4)}


@dataclass
class LivenessResult:
    challenge: str
    passed: bool
    reason: str
    measurements: dict[str, float] = field(default_factory=dict)
    frames: list[FrameMeasure] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return {"challenge": self.challenge, "passed": self.passed, "reason": self.reason,
                "measurements": {k: round(v, 4) for k, v in self.measurements.items()},
                "frames": [frame.to_dict() for frame in self.frames]}


def pick_challenge(choose: Any = secrets.choice) -> str:
    """One of :data:`CHALLENGES`, unpredictably (``choose`` replaceable in tests)."""
    return str(choose(CHALLENGES))


def _judge_blink(ears: list[float], m: dict[str, float]) -> str:
    values = np.array(ears)
    open_ear = float(np.percentile(values, 90))
    lowest = int(values.argmin())
    drop = 1.0 - float(values[lowest]) / open_ear if open_ear > 0 else 0.0
    m.update(ear_open=open_ear, ear_min=float(values[lowest]), ear_drop=drop)
    if drop < BLINK_DROP_MIN:
        return "no_motion"
    reopened = open_ear * BLINK_REOPEN
    before, after = values[:lowest], values[lowest + 1:]
    if not (before.size and before.max() >= reopened and after.size and after.max() >= reopened):
        return "incomplete_blink"
    return "passed"


def _judge_turn(challenge: str, yaws: list[float], m: dict[str, float]) -> str:
    values = np.array(yaws)
    baseline = float(np.median(values[:BASELINE_FRAMES]))
    sign = 1.0 if challenge == "turn_left" else -1.0
    towards = float((sign * (values - baseline)).max())
    away = float((-sign * (values - baseline)).max())
    m.update(yaw_baseline=baseline, yaw_min=float(values.min()), yaw_max=float(values.max()),
             yaw_towards=towards, yaw_away=away)
    if towards >= YAW_TURN_MIN:
        return "passed"
    if away >= YAW_TURN_MIN:
        return "wrong_direction"
    return "turn_too_small" if towards >= YAW_NOISE else "no_motion"


def judge(challenge: str, frames: Sequence[FrameMeasure]) -> LivenessResult:
    """Decide a challenge from per-frame measurements, in the order they were taken."""
    if challenge not in CHALLENGES:
        raise ValueError(f"unknown challenge {challenge!r}; expected one of {CHALLENGES}")
    frames = list(frames)
    ears = [f.ear for f in frames if f.face_found and f.ear is not None]
    yaws = [f.yaw for f in frames if f.face_found and f.yaw is not None]
    m: dict[str, float] = {"frames": float(len(frames)), "frames_with_face": float(len(ears))}
    if len(frames) < MIN_FRAMES:
        reason = "not_enough_frames"
    elif len(frames) - len(ears) > MAX_LOST_SHARE * len(frames):
        reason = "face_lost"
    elif challenge == "blink":
        reason = _judge_blink(ears, m)
    else:
        reason = _judge_turn(challenge, yaws, m)
    return LivenessResult(challenge, reason == "passed", reason, m, frames)


def measure_frame(image: ImageInput | WorkingImage) -> FrameMeasure:
    """Detect the largest face of one frame and measure it (no face: ``face_found`` False)."""
    work = faces_mod.prepare(image)
    found = faces_mod.detect_faces(work)
    if not found:
        return FrameMeasure(False)
    points = faces_mod.working_landmarks(work, found[0], points=68)
    return FrameMeasure.from_landmarks(points, face_count=len(found))


def check_liveness(challenge: str,
                   images: Sequence[ImageInput | WorkingImage]) -> LivenessResult:
    """Measure a burst of frames (at most :data:`MAX_FRAMES`) and judge the challenge."""
    if challenge not in CHALLENGES:
        raise ValueError(f"unknown challenge {challenge!r}; expected one of {CHALLENGES}")
    if len(images) > MAX_FRAMES:
        raise ValueError(f"{len(images)} frames; at most {MAX_FRAMES} are measured")
    return judge(challenge, [measure_frame(image) for image in images])
