"""Snapshot pictures: decode (JPEG or WebP only, judged by decoding, never by the
name or the content type), re-encode without metadata, and a tiny grey copy to
recognise the same frame sent again. Pure functions on bytes and arrays."""

from __future__ import annotations

import io
import warnings
from dataclasses import dataclass

import numpy as np
from PIL import Image, ImageOps, UnidentifiedImageError

MAX_BYTES = 2 * 1024 * 1024
MAX_SIDE = 4000
STORED_MAX_SIDE = 1280
STORED_QUALITY = 80
FINGERPRINT_SIZE = (32, 24)
ACCEPTED_FORMATS = {"JPEG", "WEBP"}


class SnapshotImageError(ValueError):
    """``code``: ``too_large``, ``too_many_pixels``, ``unsupported_type`` or ``not_decodable``."""

    def __init__(self, code: str) -> None:
        super().__init__(code)
        self.code = code


@dataclass(frozen=True)
class CleanImage:
    jpeg: bytes
    width: int
    height: int
    fingerprint: bytes


def _signature_format(data: bytes) -> str | None:
    if data[:3] == b"\xff\xd8\xff":
        return "JPEG"
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "WEBP"
    return None


def _open(data: bytes) -> Image.Image:
    if len(data) > MAX_BYTES:
        raise SnapshotImageError("too_large")
    if _signature_format(data) is None:
        raise SnapshotImageError("unsupported_type")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            image = Image.open(io.BytesIO(data))
            if image.format not in ACCEPTED_FORMATS:
                raise SnapshotImageError("unsupported_type")
            if max(image.size) > MAX_SIDE:
                raise SnapshotImageError("too_many_pixels")
            image.load()
    except SnapshotImageError:
        raise
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as error:
        raise SnapshotImageError("too_many_pixels") from error
    except (UnidentifiedImageError, OSError, ValueError, SyntaxError) as error:
        raise SnapshotImageError("not_decodable") from error
    return image


def fingerprint_of(rgb: np.ndarray) -> bytes:
    grey = Image.fromarray(rgb).convert("L").resize(FINGERPRINT_SIZE, Image.Resampling.BOX)
    return grey.tobytes()


def fingerprint_difference(a: bytes, b: bytes) -> float:
    """Mean absolute difference (0–255) of two fingerprints."""
    first = np.frombuffer(bytes(a), dtype=np.uint8).astype(np.int16)
    second = np.frombuffer(bytes(b), dtype=np.uint8).astype(np.int16)
    if first.shape != second.shape or not first.size:
        return 255.0
    return float(np.abs(first - second).mean())


def _upright(image: Image.Image) -> Image.Image:
    """Apply the EXIF orientation only when there is one to apply (a copy costs)."""
    try:
        orientation = image.getexif().get(0x0112, 1)
    except Exception:  # an unreadable EXIF block is dropped with the rest of the metadata
        return image
    return ImageOps.exif_transpose(image) if orientation not in (None, 1) else image


def clean_snapshot(data: bytes) -> CleanImage:
    """Decode an uploaded snapshot and re-encode it as a plain JPEG (no EXIF, no ICC,
    no comments); raises :class:`SnapshotImageError`.

    Every picture is decoded in full and encoded again (a few milliseconds at 640×480
    with libjpeg-turbo): nothing the sender wrote into the file other than its pixels
    reaches storage. Copies are only made when needed (orientation, colour mode, size).
    """
    image = _upright(_open(data))
    if image.mode != "RGB":
        image = image.convert("RGB")
    if max(image.size) > STORED_MAX_SIDE:
        image.thumbnail((STORED_MAX_SIDE, STORED_MAX_SIDE))
    image.info = {}  # Pillow would carry a JPEG comment over from the upload
    out = io.BytesIO()
    image.save(out, format="JPEG", quality=STORED_QUALITY)
    fingerprint = image.convert("L").resize(FINGERPRINT_SIZE, Image.Resampling.BOX).tobytes()
    return CleanImage(jpeg=out.getvalue(), width=image.width, height=image.height,
                      fingerprint=fingerprint)


def luma_stats(rgb: np.ndarray) -> tuple[float, float]:
    """Mean and standard deviation of luma (0–255), on a downscaled copy."""
    small = Image.fromarray(rgb).convert("L")
    small.thumbnail((160, 160))
    values = np.asarray(small, dtype=np.float32)
    return float(values.mean()), float(values.std())
