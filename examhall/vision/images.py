"""Turning bytes or arrays into RGB ``uint8`` arrays, with limits, and the working size.

Accepted: JPEG, PNG, WebP (and anything else Pillow opens), HEIC/HEIF when
``pillow-heif`` is installed (its opener is registered on the first HEIF
input), and numpy arrays (H×W grey, H×W×3 RGB, H×W×4 RGBA, ``uint8``).
EXIF orientation is applied, as phones rely on it.
"""

from __future__ import annotations

import io
import threading
import warnings
from dataclasses import dataclass

import numpy as np
from PIL import Image, ImageOps, UnidentifiedImageError

MAX_IMAGE_BYTES = 15 * 1024 * 1024
MAX_IMAGE_PIXELS = 50_000_000
WORKING_MAX_SIDE = 640
"""Images larger than this (longer side, pixels) are downscaled before detection."""

ImageInput = bytes | bytearray | memoryview | np.ndarray

_HEIF_BRANDS = (b"heic", b"heix", b"hevc", b"hevx", b"heim", b"heis", b"mif1", b"msf1", b"avif")
_heif_lock = threading.Lock()
_heif_state: list[bool] = []  # empty: not tried; [True]: registered; [False]: unavailable


class ImageError(ValueError):
    """An input that cannot be used as an image; ``code`` is stable, for translation.

    Codes: ``not_an_image``, ``too_large``, ``unsupported_format`` (HEIF without
    pillow-heif), ``bad_array`` (an array of the wrong shape or type).
    """

    def __init__(self, code: str, detail: str) -> None:
        super().__init__(f"{code}: {detail}")
        self.code = code
        self.detail = detail


@dataclass(frozen=True)
class WorkingImage:
    """An image at working size: ``array`` (RGB uint8) and ``scale`` = original / working."""

    array: np.ndarray
    scale: float
    original_size: tuple[int, int]  # (width, height)

    @property
    def width(self) -> int:
        return int(self.array.shape[1])

    @property
    def height(self) -> int:
        return int(self.array.shape[0])


def _looks_like_heif(data: bytes) -> bool:
    return len(data) >= 12 and data[4:8] == b"ftyp" and data[8:12] in _HEIF_BRANDS


def _register_heif() -> bool:
    """Register pillow-heif's opener once, on the first HEIF input; False when not installed."""
    if not _heif_state:
        with _heif_lock:
            if not _heif_state:
                try:
                    import pillow_heif
                except ImportError:
                    _heif_state.append(False)
                else:
                    pillow_heif.register_heif_opener()
                    _heif_state.append(True)
    return _heif_state[0]


def decode_image(
    data: bytes | bytearray | memoryview,
    *,
    max_bytes: int = MAX_IMAGE_BYTES,
    max_pixels: int = MAX_IMAGE_PIXELS,
) -> np.ndarray:
    """Decode image bytes to an RGB ``uint8`` array (H×W×3), EXIF orientation applied."""
    data = bytes(data)
    if len(data) > max_bytes:
        raise ImageError("too_large", f"{len(data)} bytes, the limit is {max_bytes}")
    if not data:
        raise ImageError("not_an_image", "empty input")
    if _looks_like_heif(data) and not _register_heif():
        raise ImageError("unsupported_format", "HEIF/HEIC needs pillow-heif")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            image = Image.open(io.BytesIO(data))
            width, height = image.size
            if width * height > max_pixels:
                raise ImageError("too_large", f"{width}×{height} pixels, the limit is {max_pixels}")
            image = ImageOps.exif_transpose(image)
            rgb = image.convert("RGB")
    except ImageError:
        raise
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
        raise ImageError("too_large", str(exc)) from exc
    except UnidentifiedImageError as exc:
        raise ImageError("not_an_image", "not a recognised image format") from exc
    except (OSError, ValueError, SyntaxError) as exc:
        raise ImageError("not_an_image", f"cannot decode: {exc or type(exc).__name__}") from exc
    return np.asarray(rgb, dtype=np.uint8)


def as_rgb_array(image: np.ndarray, *, max_pixels: int = MAX_IMAGE_PIXELS) -> np.ndarray:
    """Check an array and return it as a C-contiguous RGB ``uint8`` array (no copy if it is)."""
    if not isinstance(image, np.ndarray) or image.dtype != np.uint8:
        raise ImageError("bad_array", "expected a numpy uint8 array")
    if image.ndim == 2:
        image = np.repeat(image[:, :, None], 3, axis=2)
    elif image.ndim == 3 and image.shape[2] == 4:
        image = image[:, :, :3]
    elif image.ndim != 3 or image.shape[2] != 3:
        raise ImageError("bad_array", f"expected H×W, H×W×3 or H×W×4, got {image.shape}")
    if image.shape[0] < 1 or image.shape[1] < 1:
        raise ImageError("bad_array", "empty array")
    if image.shape[0] * image.shape[1] > max_pixels:
        raise ImageError("too_large", f"{image.shape[1]}×{image.shape[0]} pixels")
    return np.ascontiguousarray(image)


def load_image(image: ImageInput, *, max_bytes: int = MAX_IMAGE_BYTES,
               max_pixels: int = MAX_IMAGE_PIXELS) -> np.ndarray:
    """Bytes or an array → RGB ``uint8`` array; raises :class:`ImageError`."""
    if isinstance(image, np.ndarray):
        return as_rgb_array(image, max_pixels=max_pixels)
    if isinstance(image, bytes | bytearray | memoryview):
        return decode_image(image, max_bytes=max_bytes, max_pixels=max_pixels)
    raise ImageError("not_an_image", f"unsupported input type {type(image).__name__}")


def working_image(image: ImageInput, *, max_side: int = WORKING_MAX_SIDE) -> WorkingImage:
    """The image at working size (longer side ≤ ``max_side``), with its scale back."""
    rgb = load_image(image)
    height, width = rgb.shape[:2]
    longest = max(width, height)
    if longest <= max_side:
        return WorkingImage(rgb, 1.0, (width, height))
    scale = longest / max_side
    size = (max(1, round(width / scale)), max(1, round(height / scale)))
    small = Image.fromarray(rgb).resize(size, Image.Resampling.BILINEAR, reducing_gap=2.0)
    return WorkingImage(np.asarray(small), scale, (width, height))
