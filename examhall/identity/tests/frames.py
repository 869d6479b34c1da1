"""Camera-like frames from the face fixtures: what the verification page uploads."""

from __future__ import annotations

import io
from pathlib import Path

import numpy as np
from PIL import Image

FACES = Path(__file__).resolve().parents[3] / "tests" / "fixtures" / "faces"


def face_photo(name: str) -> Image.Image:
    return Image.open(FACES / f"{name}.jpg").convert("RGB")


def frame_array(name: str, size: tuple[int, int] = (640, 480)) -> np.ndarray:
    """The photo centred on a grey 640×480 frame, as a webcam would deliver it."""
    canvas = Image.new("RGB", size, (128, 128, 128))
    photo = face_photo(name)
    photo.thumbnail((size[1], size[1]))
    canvas.paste(photo, ((size[0] - photo.width) // 2, (size[1] - photo.height) // 2))
    return np.asarray(canvas)


def jpeg(array: np.ndarray, *, fmt: str = "JPEG") -> bytes:
    out = io.BytesIO()
    Image.fromarray(array).save(out, format=fmt)
    return out.getvalue()


def frame(name: str) -> bytes:
    return jpeg(frame_array(name))


def photo_bytes(name: str, *, fmt: str = "JPEG") -> bytes:
    out = io.BytesIO()
    face_photo(name).save(out, format=fmt)
    return out.getvalue()
