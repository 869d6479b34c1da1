"""The synthetic head turn (for browser tests) moves the yaw estimate enough to pass."""

from __future__ import annotations

import numpy as np
import pytest

from examhall.vision import liveness, synthetic
from examhall.vision.faces import detect_faces


@pytest.fixture(scope="module")
def box(astronaut: np.ndarray) -> tuple[int, int, int, int]:
    face = detect_faces(astronaut)[0].box
    return (face.left, face.top, face.right, face.bottom)


@pytest.mark.parametrize(("direction", "other"), [("turn_left", "turn_right"),
                                                  ("turn_right", "turn_left")])
def test_a_synthetic_turn_passes_its_challenge_only(astronaut: np.ndarray,
                                                    box: tuple[int, int, int, int],
                                                    direction: str, other: str) -> None:
    frames = synthetic.turning_frames(astronaut, box, direction)
    assert len(frames) == 12
    assert liveness.check_liveness(direction, frames).passed
    assert liveness.check_liveness(other, frames).reason == "wrong_direction"
    assert not liveness.check_liveness("blink", frames).passed


def test_no_turn_leaves_the_image_unchanged(astronaut: np.ndarray,
                                            box: tuple[int, int, int, int]) -> None:
    assert np.abs(synthetic.turn_head(astronaut, box, 0.0).astype(int) - astronaut).max() <= 1
