"""Where dlib's model files are, and the dlib objects built from them (once per process).

The ``face_recognition_models`` package only ships the ``.dat`` files. Its
``__init__`` imports ``pkg_resources``, which is gone with setuptools 81 and
then ends the process with status 0, so it is never imported here: the
package directory is found with ``importlib.util.find_spec`` instead.

Each model is loaded on first use, under a lock with a double check, so that
threads of one process share one copy (the ResNet model is ~22 MB).
"""

from __future__ import annotations

import importlib.util
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any, Generic, TypeVar

MODELS_PACKAGE = "face_recognition_models"
SHAPE_5_FILE = "shape_predictor_5_face_landmarks.dat"
SHAPE_68_FILE = "shape_predictor_68_face_landmarks.dat"
ENCODER_FILE = "dlib_face_recognition_resnet_model_v1.dat"

T = TypeVar("T")


class ModelsMissingError(RuntimeError):
    """dlib or the ``face_recognition_models`` package (or one of its files) is not installed."""

    code = "models_missing"


def models_dir() -> Path:
    """The ``models/`` directory of ``face_recognition_models``, without importing it."""
    try:
        spec = importlib.util.find_spec(MODELS_PACKAGE)
    except (ImportError, ValueError):
        spec = None
    locations = list(spec.submodule_search_locations or []) if spec else []
    for location in locations:
        candidate = Path(location) / "models"
        if candidate.is_dir():
            return candidate
    raise ModelsMissingError(
        f"the {MODELS_PACKAGE} package is not installed (pip install {MODELS_PACKAGE}==0.3.0)"
    )


def model_path(filename: str) -> Path:
    """The path of one model file, checked to exist."""
    path = models_dir() / filename
    if not path.is_file():
        raise ModelsMissingError(f"model file missing: {path}")
    return path


def _dlib() -> Any:
    try:
        import dlib
    except ImportError as exc:  # pragma: no cover - depends on the environment
        raise ModelsMissingError("dlib is not installed (pip install dlib-bin)") from exc
    return dlib


class _Lazy(Generic[T]):
    """A value built on first use, once per process, thread-safe (double-checked lock)."""

    def __init__(self, build: Callable[[], T]) -> None:
        self._build = build
        self._value: T | None = None
        self._lock = threading.Lock()

    def get(self) -> T:
        value = self._value
        if value is None:
            with self._lock:
                value = self._value
                if value is None:
                    value = self._build()
                    self._value = value
        return value

    @property
    def loaded(self) -> bool:
        return self._value is not None


# dlib objects may not be used by two threads at once unless documented so
# (davisking/dlib#340, #998; a shared HOG detector crashes with a double free,
# #1149). Under ASGI each request's synchronous code runs on its own thread, so:
# the detector (small) is built once per thread; the ResNet encoder (22 MB) is
# shared and used under ENCODER_LOCK; the shape predictors are documented as
# safe to share ("a single instance can be used from multiple threads").
_thread_models = threading.local()
ENCODER_LOCK = threading.Lock()
_shape_5 = _Lazy(lambda: _dlib().shape_predictor(str(model_path(SHAPE_5_FILE))))
_shape_68 = _Lazy(lambda: _dlib().shape_predictor(str(model_path(SHAPE_68_FILE))))
_encoder = _Lazy(lambda: _dlib().face_recognition_model_v1(str(model_path(ENCODER_FILE))))


def face_detector() -> Any:
    """dlib's HOG frontal face detector (never the CNN one: far too slow on a CPU),
    this thread's own instance."""
    detector = getattr(_thread_models, "detector", None)
    if detector is None:
        detector = _thread_models.detector = _dlib().get_frontal_face_detector()
    return detector


def shape_predictor_5() -> Any:
    """The 5-point landmark model, used to align faces for the embedding."""
    return _shape_5.get()


def shape_predictor_68() -> Any:
    """The 68-point landmark model, used for eyes (blink) and head yaw."""
    return _shape_68.get()


def face_encoder() -> Any:
    """dlib's ResNet model giving 128-d face embeddings (shared: call it while
    holding ``ENCODER_LOCK``)."""
    return _encoder.get()


def preload() -> None:
    """Load every model now (e.g. in a worker's start-up) rather than on the first request."""
    face_detector()
    shape_predictor_5()
    shape_predictor_68()
    face_encoder()
