"""Decoding, limits and the working size."""

from __future__ import annotations

import io

import numpy as np
import pytest
from PIL import Image

from examhall.vision.images import (
    WORKING_MAX_SIDE,
    ImageError,
    decode_image,
    load_image,
    working_image,
)


def _encode(array: np.ndarray, fmt: str) -> bytes:
    buffer = io.BytesIO()
    Image.fromarray(array).save(buffer, format=fmt)
    return buffer.getvalue()


@pytest.mark.parametrize("fmt", ["JPEG", "PNG", "WEBP"])
def test_common_formats_decode_to_rgb(astronaut: np.ndarray, fmt: str) -> None:
    decoded = decode_image(_encode(astronaut, fmt))
    assert decoded.shape == astronaut.shape
    assert decoded.dtype == np.uint8


def test_heic_decodes_through_pillow_heif(astronaut: np.ndarray) -> None:
    pillow_heif = pytest.importorskip("pillow_heif")
    buffer = io.BytesIO()
    pillow_heif.from_pillow(Image.fromarray(astronaut)).save(buffer, quality=90)
    decoded = decode_image(buffer.getvalue())
    assert decoded.shape == astronaut.shape


def test_bytes_that_are_not_an_image_raise_not_an_image() -> None:
    with pytest.raises(ImageError) as caught:
        load_image(b"%PDF-1.7 this is not a picture")
    assert caught.value.code == "not_an_image"


def test_empty_bytes_raise_not_an_image() -> None:
    with pytest.raises(ImageError) as caught:
        load_image(b"")
    assert caught.value.code == "not_an_image"


def test_bytes_over_the_limit_raise_too_large(astronaut: np.ndarray) -> None:
    data = _encode(astronaut, "PNG")
    with pytest.raises(ImageError) as caught:
        load_image(data, max_bytes=len(data) - 1)
    assert caught.value.code == "too_large"


def test_too_many_pixels_raise_too_large_before_decoding() -> None:
    data = _encode(np.zeros((300, 400, 3), dtype=np.uint8), "PNG")
    with pytest.raises(ImageError) as caught:
        load_image(data, max_pixels=300 * 400 - 1)
    assert caught.value.code == "too_large"


def test_arrays_are_checked_and_made_rgb() -> None:
    grey = np.full((10, 12), 7, dtype=np.uint8)
    assert load_image(grey).shape == (10, 12, 3)
    rgba = np.zeros((10, 12, 4), dtype=np.uint8)
    assert load_image(rgba).shape == (10, 12, 3)
    with pytest.raises(ImageError) as caught:
        load_image(np.zeros((10, 12, 3), dtype=np.float32))
    assert caught.value.code == "bad_array"


def test_large_images_are_downscaled_with_their_scale() -> None:
    big = np.zeros((1500, 2000, 3), dtype=np.uint8)
    work = working_image(big)
    assert max(work.width, work.height) == WORKING_MAX_SIDE
    assert work.scale == pytest.approx(2000 / WORKING_MAX_SIDE)
    assert work.original_size == (2000, 1500)


def test_small_images_are_kept_as_they_are(astronaut: np.ndarray) -> None:
    work = working_image(astronaut)
    assert work.scale == 1.0
    assert work.array is astronaut or np.array_equal(work.array, astronaut)


def test_heif_without_pillow_heif_is_unsupported(monkeypatch: pytest.MonkeyPatch) -> None:
    from examhall.vision import images

    monkeypatch.setattr(images, "_heif_state", [False])
    heif_header = b"\x00\x00\x00\x18ftypheic\x00\x00\x00\x00mif1heic"
    with pytest.raises(ImageError) as caught:
        load_image(heif_header + b"\x00" * 64)
    assert caught.value.code == "unsupported_format"


def test_exif_orientation_is_applied() -> None:
    tall = np.zeros((40, 20, 3), dtype=np.uint8)
    image = Image.fromarray(tall)
    exif = image.getexif()
    exif[0x0112] = 6  # rotate 90° clockwise to display
    buffer = io.BytesIO()
    image.save(buffer, format="JPEG", exif=exif.tobytes())
    assert decode_image(buffer.getvalue()).shape == (20, 40, 3)
