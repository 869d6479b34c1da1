"""Face detection (dlib HOG), landmarks, 128-d embeddings and their comparison.

Boxes and landmark points are in the coordinates of the image given (the
original), although detection runs on a copy downscaled to
:data:`~examhall.vision.images.WORKING_MAX_SIDE`; ``Face.working_box`` keeps
the box at working size for the functions that need it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from examhall.vision import models
from examhall.vision.images import ImageInput, WorkingImage, working_image

MATCH_THRESHOLD = 0.5
"""Largest embedding distance accepted as the same person (dlib's usual value is 0.6).

Stricter than dlib's 0.6 because a false accept (an impostor sitting the exam)
costs more than a false reject (a proctor looks at the photo), because dlib's
model is known to separate East Asian faces less well than the LFW faces 0.6
was tuned on, and because on the fixtures every genuine pair is well under
0.5 (see ``tests/fixtures/faces/pairs.csv`` and ``python -m examhall.vision
calibrate``).
"""

DETECTION_MIN_SCORE = 0.3
"""Smallest HOG detector score counted as a face.

dlib's own cut-off is 0.0; at that level the mission patch on the astronaut's
suit (``tests/fixtures/faces/astronaut.jpg``) is a "face" (score 0.10), while
the real faces of the fixtures score 1.0–1.9.
"""


class FaceCountError(ValueError):
    """Not exactly one face where one is needed; ``code`` is ``no_face`` or ``several_faces``."""

    def __init__(self, code: str, count: int) -> None:
        super().__init__(code, count)  # args[0] is the code
        self.code = code
        self.count = count

    def __str__(self) -> str:
        return f"{self.code}: {self.count} faces found"


@dataclass(frozen=True)
class Box:
    left: int
    top: int
    right: int
    bottom: int

    @property
    def width(self) -> int:
        return self.right - self.left

    @property
    def height(self) -> int:
        return self.bottom - self.top

    @property
    def area(self) -> int:
        return max(0, self.width) * max(0, self.height)

    def to_dict(self) -> dict[str, int]:
        return {"left": self.left, "top": self.top, "right": self.right, "bottom": self.bottom,
                "width": self.width, "height": self.height}


@dataclass
class Face:
    """One detected face. ``landmarks`` (N×2) and ``embedding`` (128,) when asked for."""

    box: Box
    score: float
    working_box: Box = field(repr=False)
    landmarks: np.ndarray | None = field(default=None, repr=False)
    embedding: np.ndarray | None = field(default=None, repr=False)

    def to_dict(self, *, landmarks: bool = True) -> dict[str, Any]:
        out: dict[str, Any] = {"box": self.box.to_dict(), "score": round(self.score, 3)}
        if landmarks and self.landmarks is not None:
            out["landmarks"] = np.round(self.landmarks, 1).tolist()
        if self.embedding is not None:
            out["embedding"] = [round(float(v), 6) for v in self.embedding]
        return out


@dataclass(frozen=True)
class Comparison:
    distance: float
    threshold: float
    match: bool

    def to_dict(self) -> dict[str, Any]:
        return {"distance": round(self.distance, 4), "threshold": self.threshold,
                "match": self.match}


@dataclass(frozen=True)
class Verification:
    """A live frame checked against a reference embedding.

    ``reason``: ``match``, ``no_match``, ``no_face`` or ``several_faces``.
    """

    passed: bool
    reason: str
    face_count: int
    distance: float | None
    threshold: float
    face: Face | None = None

    def to_dict(self) -> dict[str, Any]:
        return {"passed": self.passed, "reason": self.reason, "face_count": self.face_count,
                "distance": None if self.distance is None else round(self.distance, 4),
                "threshold": self.threshold,
                "face": None if self.face is None else self.face.to_dict()}


def prepare(image: ImageInput | WorkingImage) -> WorkingImage:
    """Decode and downscale once, to call several functions of this module on one image."""
    return image if isinstance(image, WorkingImage) else working_image(image)


def _rectangle(box: Box) -> Any:
    import dlib

    return dlib.rectangle(box.left, box.top, box.right, box.bottom)


def detect_faces(image: ImageInput | WorkingImage, *, upsample: int = 0,
                 min_score: float = DETECTION_MIN_SCORE) -> list[Face]:
    """Faces found by the HOG detector, largest first (boxes only: the cheap face count).

    ``upsample=0`` finds faces down to about 80 px at working size; each
    upsampling halves that and costs about four times as much.
    """
    work = prepare(image)
    rects, scores, _ = models.face_detector().run(work.array, upsample, min_score)
    faces = []
    height, width = work.original_size[1], work.original_size[0]
    for rect, score in zip(rects, scores, strict=True):
        working = Box(rect.left(), rect.top(), rect.right(), rect.bottom())
        box = Box(
            max(0, round(rect.left() * work.scale)), max(0, round(rect.top() * work.scale)),
            min(width, round(rect.right() * work.scale)),
            min(height, round(rect.bottom() * work.scale)),
        )
        faces.append(Face(box=box, score=float(score), working_box=working))
    faces.sort(key=lambda face: face.working_box.area, reverse=True)
    return faces


def _shape(work: WorkingImage, face: Face, points: int) -> Any:
    predictor = models.shape_predictor_68() if points == 68 else models.shape_predictor_5()
    return predictor(work.array, _rectangle(face.working_box))


def _points(shape: Any) -> np.ndarray:
    return np.array([(p.x, p.y) for p in shape.parts()], dtype=np.float64)


def working_landmarks(work: WorkingImage, face: Face, *, points: int = 68) -> np.ndarray:
    """Landmarks (``points``×2) in working coordinates; ``points`` is 68 or 5."""
    if points not in (5, 68):
        raise ValueError("points must be 5 or 68")
    return _points(_shape(work, face, points))


def face_landmarks(image: ImageInput | WorkingImage, face: Face, *,
                   points: int = 68) -> np.ndarray:
    """Landmarks (``points``×2) of ``face`` in original image coordinates."""
    work = prepare(image)
    return working_landmarks(work, face, points=points) * work.scale


def _embed(work: WorkingImage, face: Face) -> np.ndarray:
    shape = _shape(work, face, 5)
    encoder = models.face_encoder()
    with models.ENCODER_LOCK:  # one thread at a time in the shared network
        return np.array(encoder.compute_face_descriptor(work.array, shape))


def find_faces(image: ImageInput | WorkingImage, *, landmarks: int | None = 68,
               embeddings: bool = False, upsample: int = 0,
               min_score: float = DETECTION_MIN_SCORE) -> list[Face]:
    """Detect, then fill ``landmarks`` (68, 5 or None) and, if asked, ``embedding``.

    Embeddings are always computed on the 5-point alignment dlib's model was trained with.
    """
    work = prepare(image)
    faces = detect_faces(work, upsample=upsample, min_score=min_score)
    for face in faces:
        if landmarks:
            face.landmarks = working_landmarks(work, face, points=landmarks) * work.scale
        if embeddings:
            face.embedding = _embed(work, face)
    return faces


def _single_face(faces: list[Face]) -> Face:
    if len(faces) != 1:
        raise FaceCountError("no_face" if not faces else "several_faces", len(faces))
    return faces[0]


def face_embedding(image: ImageInput | WorkingImage, *,
                   min_score: float = DETECTION_MIN_SCORE) -> np.ndarray:
    """The 128-d embedding of the one face in ``image``; :class:`FaceCountError` otherwise.

    For a reference photo (registration, ID photo), where a second face is an error.
    """
    work = prepare(image)
    face = _single_face(detect_faces(work, min_score=min_score))
    return _embed(work, face)


def face_distance(a: np.ndarray, b: np.ndarray) -> float:
    """Euclidean distance between two embeddings (0 = identical; dlib: < 0.6 same person)."""
    return float(np.linalg.norm(np.asarray(a, dtype=np.float64) - np.asarray(b, dtype=np.float64)))


def compare_embeddings(a: np.ndarray, b: np.ndarray, *,
                       threshold: float = MATCH_THRESHOLD) -> Comparison:
    distance = face_distance(a, b)
    return Comparison(distance=distance, threshold=threshold, match=distance <= threshold)


def compare_images(a: ImageInput | WorkingImage, b: ImageInput | WorkingImage, *,
                   threshold: float = MATCH_THRESHOLD) -> Comparison:
    """Compare the single faces of two images (:class:`FaceCountError` if not one each)."""
    return compare_embeddings(face_embedding(a), face_embedding(b), threshold=threshold)


def verify(reference: np.ndarray, image: ImageInput | WorkingImage, *,
           threshold: float = MATCH_THRESHOLD,
           min_score: float = DETECTION_MIN_SCORE) -> Verification:
    """Is the one person in ``image`` the one of the ``reference`` embedding?

    Detect, align on 5 landmarks, embed, compare. Several faces fail
    (``several_faces``) without comparing: someone else is in the picture.
    """
    work = prepare(image)
    faces = detect_faces(work, min_score=min_score)
    if len(faces) != 1:
        reason = "no_face" if not faces else "several_faces"
        return Verification(False, reason, len(faces), None, threshold,
                            faces[0] if faces else None)
    face = faces[0]
    face.embedding = _embed(work, face)
    distance = face_distance(reference, face.embedding)
    passed = distance <= threshold
    return Verification(passed, "match" if passed else "no_match", 1, distance, threshold, face)
