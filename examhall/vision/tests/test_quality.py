"""Quality verdicts: each defect gives its code; the fixtures are fine."""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image, ImageDraw, ImageEnhance, ImageFilter

from examhall.vision.quality import assess_quality

from .conftest import face_crop, rgb


def _image(array: np.ndarray) -> Image.Image:
    return Image.fromarray(array)


@pytest.mark.parametrize("name", ["astronaut.jpg", "obama.jpg", "obama2.jpg", "obama3.jpg",
                                  "biden.jpg"])
def test_the_fixture_portraits_are_good_enough(name: str) -> None:
    verdict = assess_quality(rgb(name))
    assert verdict.ok, verdict.reasons
    assert verdict.face_count == 1


def test_a_plain_grey_image_has_no_face() -> None:
    verdict = assess_quality(np.full((480, 640, 3), 128, dtype=np.uint8))
    assert verdict.reasons == ["no_face"]
    assert not verdict.ok


def test_two_people_are_several_faces(two_faces: np.ndarray) -> None:
    verdict = assess_quality(two_faces)
    assert verdict.reasons[0] == "several_faces"
    assert verdict.face_count == 2


def test_a_small_face_in_a_corner_is_too_small_and_off_centre() -> None:
    canvas = Image.new("RGB", (1024, 768), (90, 90, 90))
    canvas.paste(face_crop("astronaut.jpg", 80), (10, 10))
    verdict = assess_quality(np.asarray(canvas))
    assert verdict.face_count == 1
    assert "face_too_small" in verdict.reasons
    assert "face_off_centre" in verdict.reasons


def test_a_face_at_the_edge_is_off_centre_only() -> None:
    canvas = Image.new("RGB", (640, 480), (90, 90, 90))
    canvas.paste(face_crop("astronaut.jpg", 150), (420, 140))
    verdict = assess_quality(np.asarray(canvas))
    assert verdict.reasons == ["face_off_centre"]


def test_a_darkened_photo_is_too_dark(astronaut: np.ndarray) -> None:
    verdict = assess_quality(np.asarray(ImageEnhance.Brightness(_image(astronaut)).enhance(0.3)))
    assert verdict.reasons == ["too_dark"]
    assert verdict.measurements["face_brightness"] < 60


def test_an_overexposed_photo_is_too_bright(astronaut: np.ndarray) -> None:
    verdict = assess_quality(np.asarray(ImageEnhance.Brightness(_image(astronaut)).enhance(1.6)))
    assert verdict.reasons == ["too_bright"]


def test_a_washed_out_photo_without_a_face_is_too_bright(astronaut: np.ndarray) -> None:
    verdict = assess_quality(np.asarray(ImageEnhance.Brightness(_image(astronaut)).enhance(3.0)))
    assert verdict.reasons == ["no_face", "too_bright"]


def test_a_dark_face_before_a_bright_window_is_backlit(astronaut: np.ndarray) -> None:
    dark = np.asarray(ImageEnhance.Brightness(_image(astronaut)).enhance(0.45)).copy()
    box = assess_quality(astronaut).faces[0].box
    mask = np.ones(dark.shape[:2], dtype=bool)
    mask[box.top - 40:box.bottom + 60, box.left - 40:box.right + 40] = False
    dark[mask] = 235
    verdict = assess_quality(dark)
    assert verdict.face_count == 1
    assert verdict.reasons == ["backlit"]


def test_a_blurred_photo_is_blurred(astronaut: np.ndarray) -> None:
    verdict = assess_quality(np.asarray(_image(astronaut).filter(ImageFilter.GaussianBlur(2))))
    assert verdict.reasons == ["blurred"]
    assert verdict.measurements["sharpness"] < 30


def test_closed_eyes_are_eyes_closed(astronaut: np.ndarray) -> None:
    """Paint skin over both eyes and a dark lash line across: what closed lids look like."""
    points = assess_quality(astronaut).faces[0].landmarks
    assert points is not None
    image = astronaut.copy()
    eyes = (points[36:42], points[42:48])
    for eye in eyes:
        left, top = eye.min(axis=0).astype(int) - np.array([3, 4])
        right, bottom = eye.max(axis=0).astype(int) + np.array([3, 4])
        image[top:bottom, left:right] = image[top - 3, (left + right) // 2]
    painted = Image.fromarray(image)
    draw = ImageDraw.Draw(painted)
    for eye in eyes:
        line = [tuple(eye[0]), tuple((eye[4] + eye[5]) / 2), tuple(eye[3])]
        draw.line(line, fill=(60, 40, 35), width=2)
    verdict = assess_quality(np.asarray(painted))
    assert verdict.reasons == ["eyes_closed"], verdict.measurements
    assert assess_quality(astronaut).measurements["eye_aspect_ratio"] > 0.15
