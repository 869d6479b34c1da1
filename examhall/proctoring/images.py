"""Snapshot pictures: decode (JPEG or WebP only, judged by decoding, never by the
name or the content type), store without metadata, and a tiny grey copy to
recognise the same frame sent again. Pure functions on bytes and arrays.

A plain JPEG (what a browser's canvas makes: YCbCr or grey, upright, at most
``STORED_MAX_SIDE``) keeps its compressed pixels: its metadata segments (APPn, COM)
and anything after the end marker are cut out at byte level, and it is decoded at an
eighth of its size (libjpeg's DCT scaling: every block is still read) for the check
and the fingerprint — about a sixth of the CPU of a full decode and re-encode (ADR
0007). Anything else is decoded in full and encoded again."""

from __future__ import annotations

import io
import warnings
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

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


def _open(data: bytes, *, decode: bool = True,
          then: Callable[[Image.Image], object] | None = None) -> Any:
    """The decoded picture; with ``then``, what ``then`` makes of the opened (not yet
    decoded, unless ``decode``) picture, its decoding errors mapped as for a full one."""
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
            if decode:
                image.load()
            if then is not None:
                return then(image)
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


# Segments cut out of a kept JPEG: APP0–APP15 (JFIF, EXIF, XMP, ICC, maker notes...) and
# comments. APP14 (Adobe) can carry the colour transform: such a file is re-encoded.
_METADATA_MARKERS = frozenset(range(0xE0, 0xF0)) | {0xFE}
_ADOBE = 0xEE
_SOS, _EOI = 0xDA, 0xD9


def _scan_end(data: bytes, pos: int) -> int | None:
    """Where the entropy-coded data starting at ``pos`` ends (the next marker)."""
    while True:
        at = data.find(b"\xff", pos)
        if at < 0 or at + 1 >= len(data):
            return None
        following = data[at + 1]
        if following == 0x00 or 0xD0 <= following <= 0xD7:  # stuffed byte, restart marker
            pos = at + 2
            continue
        return at


def jpeg_without_metadata(data: bytes) -> bytes | None:
    """The JPEG's own segments (tables, frame, scans) without metadata and without
    anything after the end marker; None when its structure is not plain (the caller
    re-encodes it then)."""
    if data[:2] != b"\xff\xd8":
        return None
    kept = [b"\xff\xd8"]
    pos, size = 2, len(data)
    while pos + 2 <= size:
        if data[pos] != 0xFF:
            return None
        marker = data[pos + 1]
        if marker == 0xFF:  # fill byte
            pos += 1
            continue
        if marker == _EOI:
            kept.append(b"\xff\xd9")
            return b"".join(kept)
        if marker == _ADOBE or 0xD0 <= marker <= 0xD8 or marker == 0x01 or pos + 4 > size:
            return None
        end = pos + 2 + int.from_bytes(data[pos + 2:pos + 4], "big")
        if end <= pos + 3 or end > size:
            return None
        if marker not in _METADATA_MARKERS:
            kept.append(data[pos:end])
        pos = end
        if marker == _SOS:
            scan_end = _scan_end(data, pos)
            if scan_end is None:
                return None
            kept.append(data[pos:scan_end])
            pos = scan_end
    return None


def _kept_jpeg(image: Image.Image, data: bytes) -> CleanImage | None:
    """A plain upright JPEG within the stored size, kept without its metadata."""
    if (image.format != "JPEG" or image.mode not in ("RGB", "L")
            or max(image.size) > STORED_MAX_SIDE):
        return None
    try:
        if image.getexif().get(0x0112, 1) not in (None, 1):
            return None  # to be turned upright: decoded and encoded again
    except Exception:
        return None
    stripped = jpeg_without_metadata(data)
    if stripped is None:
        return None
    width, height = image.size
    image.draft("L", (max(1, width // 8), max(1, height // 8)))
    image.load()
    grey = image if image.mode == "L" else image.convert("L")
    fingerprint = grey.resize(FINGERPRINT_SIZE, Image.Resampling.BOX).tobytes()
    return CleanImage(jpeg=stripped, width=width, height=height, fingerprint=fingerprint)


def clean_snapshot(data: bytes) -> CleanImage:
    """Decode an uploaded snapshot and re-encode it as a plain JPEG (no EXIF, no ICC,
    no comments); raises :class:`SnapshotImageError`.

    A plain JPEG keeps its compressed pixels without its metadata (see the module's
    note); any other picture is decoded in full and encoded again (a few milliseconds
    at 640×480 with libjpeg-turbo). Either way nothing the sender wrote into the file
    other than its pixels reaches storage. Copies are only made when needed
    (orientation, colour mode, size).
    """
    kept = _open(data, decode=False, then=lambda image: _kept_jpeg(image, data))
    if isinstance(kept, CleanImage):
        return kept
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
