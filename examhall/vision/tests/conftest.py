"""Face fixtures (``tests/fixtures/faces``) and images derived from them."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from PIL import Image

FACES = Path(__file__).resolve().parents[3] / "tests" / "fixtures" / "faces"


def rgb(name: str) -> np.ndarray:
    return np.asarray(Image.open(FACES / name).convert("RGB"))


@pytest.fixture(scope="session")
def faces_dir() -> Path:
    return FACES


@pytest.fixture(scope="session")
def astronaut() -> np.ndarray:
    return rgb("astronaut.jpg")


@pytest.fixture(scope="session")
def obama() -> np.ndarray:
    return rgb("obama.jpg")


def face_crop(name: str, face_width: int) -> Image.Image:
    """The face of a fixture with a margin, scaled so that the face is ``face_width`` wide."""
    from examhall.vision.faces import detect_faces

    image = Image.open(FACES / name).convert("RGB")
    box = detect_faces(np.asarray(image))[0].box
    margin = box.width // 2
    crop = image.crop((max(0, box.left - margin), max(0, box.top - margin),
                       min(image.width, box.right + margin),
                       min(image.height, box.bottom + margin)))
    scale = face_width / box.width
    return crop.resize((round(crop.width * scale), round(crop.height * scale)))


@pytest.fixture(scope="session")
def two_faces() -> np.ndarray:
    """Obama and Biden side by side on a 640×480 canvas, faces 130 px wide."""
    canvas = Image.new("RGB", (640, 480), (120, 120, 120))
    left, right = face_crop("obama.jpg", 130), face_crop("biden.jpg", 130)
    canvas.paste(left, (40, 240 - left.height // 2))
    canvas.paste(right, (600 - right.width, 240 - right.height // 2))
    return np.asarray(canvas)
