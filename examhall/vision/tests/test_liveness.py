"""The liveness judge on landmark sequences made from the astronaut's real landmarks."""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image

from examhall.vision import liveness
from examhall.vision.faces import find_faces
from examhall.vision.geometry import yaw_estimate
from examhall.vision.liveness import CHALLENGES, FrameMeasure, judge

UPPER_LIDS = [37, 38, 43, 44]
LOWER_LIDS = [41, 40, 47, 46]  # below 37, 38, 43, 44 in that order
INNER = list(range(17, 68))  # brows, nose, eyes, mouth: what moves when the head turns


@pytest.fixture(scope="module")
def base(astronaut: np.ndarray) -> np.ndarray:
    landmarks = find_faces(astronaut)[0].landmarks
    assert landmarks is not None
    return landmarks


def _jitter(points: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    return points + rng.normal(0, 0.3, points.shape)  # the landmark model's frame-to-frame noise


def _closed(points: np.ndarray, amount: float) -> np.ndarray:
    """Lids moved towards each other by ``amount`` (0 open … 1 shut)."""
    out = points.copy()
    for upper, lower in zip(UPPER_LIDS, LOWER_LIDS, strict=True):
        middle = (points[upper, 1] + points[lower, 1]) / 2
        out[upper, 1] += (middle - points[upper, 1]) * amount
        out[lower, 1] += (middle - points[lower, 1]) * amount
    return out


def _turned(points: np.ndarray, yaw_change: float) -> np.ndarray:
    """Inner points shifted sideways so that the yaw estimate changes by about ``yaw_change``."""
    out = points.copy()
    span = points[16, 0] - points[0, 0]
    out[INNER, 0] += yaw_change * span / 2
    return out


def _sequence(base: np.ndarray, shapes: list[np.ndarray], seed: int = 1) -> list[FrameMeasure]:
    rng = np.random.default_rng(seed)
    return [FrameMeasure.from_landmarks(_jitter(shape, rng)) for shape in shapes]


def _blink(base: np.ndarray) -> list[np.ndarray]:
    amounts = [0, 0, 0, 0, 0.5, 0.9, 0.9, 0.4, 0, 0, 0, 0]
    return [_closed(base, a) for a in amounts]


def _turn(base: np.ndarray, sign: float) -> list[np.ndarray]:
    changes = [0, 0, 0, 0.1, 0.2, 0.3, 0.4, 0.45, 0.45, 0.3, 0.15, 0]
    return [_turned(base, sign * c) for c in changes]


def test_the_turn_model_moves_the_yaw_estimate_as_intended(base: np.ndarray) -> None:
    assert yaw_estimate(_turned(base, 0.4)) - yaw_estimate(base) == pytest.approx(0.4, abs=0.05)


def test_a_blink_passes_the_blink_challenge(base: np.ndarray) -> None:
    result = judge("blink", _sequence(base, _blink(base)))
    assert (result.passed, result.reason) == (True, "passed")
    assert result.measurements["ear_drop"] > 0.5


@pytest.mark.parametrize(("challenge", "sign"), [("turn_left", 1.0), ("turn_right", -1.0)])
def test_a_turn_passes_its_own_challenge(base: np.ndarray, challenge: str, sign: float) -> None:
    result = judge(challenge, _sequence(base, _turn(base, sign)))
    assert (result.passed, result.reason) == (True, "passed")


@pytest.mark.parametrize(("challenge", "sign"), [("turn_left", -1.0), ("turn_right", 1.0)])
def test_a_turn_the_other_way_is_wrong_direction(base: np.ndarray, challenge: str,
                                                 sign: float) -> None:
    result = judge(challenge, _sequence(base, _turn(base, sign)))
    assert (result.passed, result.reason) == (False, "wrong_direction")


@pytest.mark.parametrize("challenge", CHALLENGES)
def test_identical_frames_fail_every_challenge(base: np.ndarray, challenge: str) -> None:
    result = judge(challenge, _sequence(base, [base] * 12))
    assert (result.passed, result.reason) == (False, "no_motion")


def test_a_turn_does_not_pass_the_blink_challenge(base: np.ndarray) -> None:
    result = judge("blink", _sequence(base, _turn(base, 1.0)))
    assert not result.passed


def test_a_blink_does_not_pass_a_turn_challenge(base: np.ndarray) -> None:
    result = judge("turn_left", _sequence(base, _blink(base)))
    assert (result.passed, result.reason) == (False, "no_motion")


def test_eyes_that_close_and_stay_closed_are_an_incomplete_blink(base: np.ndarray) -> None:
    shapes = [_closed(base, a) for a in [0, 0, 0, 0, 0.5, 0.9, 0.9, 0.9, 0.9, 0.9]]
    result = judge("blink", _sequence(base, shapes))
    assert (result.passed, result.reason) == (False, "incomplete_blink")


def test_a_slight_turn_is_too_small(base: np.ndarray) -> None:
    shapes = [_turned(base, c) for c in [0, 0, 0, 0.05, 0.1, 0.15, 0.2, 0.15, 0.1, 0]]
    result = judge("turn_left", _sequence(base, shapes))
    assert (result.passed, result.reason) == (False, "turn_too_small")


def test_too_few_frames_are_not_enough(base: np.ndarray) -> None:
    result = judge("blink", _sequence(base, _blink(base)[:7]))
    assert (result.passed, result.reason) == (False, "not_enough_frames")


def test_a_face_missing_from_many_frames_is_lost(base: np.ndarray) -> None:
    frames = _sequence(base, _blink(base))
    frames[2:6] = [FrameMeasure(False)] * 4
    result = judge("blink", frames)
    assert (result.passed, result.reason) == (False, "face_lost")


def test_one_missing_frame_is_tolerated(base: np.ndarray) -> None:
    frames = _sequence(base, _turn(base, 1.0))
    frames[7] = FrameMeasure(False)
    assert judge("turn_left", frames).passed


def test_an_unknown_challenge_is_refused(base: np.ndarray) -> None:
    with pytest.raises(ValueError, match="unknown challenge"):
        judge("smile", _sequence(base, [base] * 10))


def test_challenges_are_picked_among_the_three() -> None:
    assert liveness.pick_challenge() in CHALLENGES
    assert liveness.pick_challenge(lambda options: options[-1]) == "turn_right"


# --- on real frames -------------------------------------------------------------------------


@pytest.mark.parametrize("challenge", CHALLENGES)
def test_a_still_photo_fails_every_challenge(astronaut: np.ndarray, challenge: str) -> None:
    result = liveness.check_liveness(challenge, [astronaut] * 10)
    assert (result.passed, result.reason) == (False, "no_motion")
    assert result.measurements["frames_with_face"] == 10


def _tilted(image: np.ndarray, amount: float) -> np.ndarray:
    """The photo turned about a vertical axis, as a printed picture held at an angle."""
    pil = Image.fromarray(image)
    w, h = pil.size
    k = abs(amount) * h
    quad = ((0, 0, 0, h, w, h + k, w, -k) if amount >= 0 else (0, -k, 0, h + k, w, h, w, 0))
    return np.asarray(pil.transform((w, h), Image.Transform.QUAD, quad,
                                    Image.Resampling.BILINEAR))


@pytest.mark.parametrize("challenge", ["turn_left", "turn_right"])
def test_a_photo_tilted_back_and_forth_fails_the_turns(astronaut: np.ndarray,
                                                       challenge: str) -> None:
    amounts = [0, 0, 0, 0.05, 0.1, 0.15, -0.05, -0.1, -0.15, 0]
    result = liveness.check_liveness(challenge, [_tilted(astronaut, a) for a in amounts])
    assert not result.passed
    assert result.reason == "no_motion"


def test_more_frames_than_measured_are_refused(astronaut: np.ndarray) -> None:
    with pytest.raises(ValueError, match="at most"):
        liveness.check_liveness("blink", [astronaut] * (liveness.MAX_FRAMES + 1))
