"""True-accept and false-accept rates of the match threshold over labelled image pairs.

``PAIRS.csv`` has the columns ``img_a,img_b,same`` (``same`` is 1 or 0);
image paths are relative to a root directory. Each image is embedded once.
Pairs where an image has no face or several faces are counted apart
(``unusable``), not as rejects.
"""

from __future__ import annotations

import csv
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from examhall.vision.faces import MATCH_THRESHOLD, FaceCountError, face_distance, face_embedding

DEFAULT_THRESHOLDS = tuple(round(0.30 + 0.05 * i, 2) for i in range(11))  # 0.30 … 0.80


@dataclass(frozen=True)
class Pair:
    img_a: str
    img_b: str
    same: bool


@dataclass(frozen=True)
class PairResult:
    pair: Pair
    distance: float | None
    error: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return {"img_a": self.pair.img_a, "img_b": self.pair.img_b, "same": self.pair.same,
                "distance": None if self.distance is None else round(self.distance, 4),
                "error": self.error}


@dataclass(frozen=True)
class Rates:
    threshold: float
    true_accepts: int
    genuine: int
    false_accepts: int
    impostor: int

    @property
    def tar(self) -> float:
        return self.true_accepts / self.genuine if self.genuine else float("nan")

    @property
    def far(self) -> float:
        return self.false_accepts / self.impostor if self.impostor else float("nan")

    def to_dict(self) -> dict[str, Any]:
        return {"threshold": self.threshold, "tar": self.tar, "far": self.far,
                "true_accepts": self.true_accepts, "genuine": self.genuine,
                "false_accepts": self.false_accepts, "impostor": self.impostor}


@dataclass
class CalibrationReport:
    configured: Rates
    sweep: list[Rates]
    pairs: list[PairResult] = field(default_factory=list)

    @property
    def unusable(self) -> int:
        return sum(1 for result in self.pairs if result.distance is None)

    def to_dict(self) -> dict[str, Any]:
        return {"configured": self.configured.to_dict(),
                "sweep": [rates.to_dict() for rates in self.sweep],
                "unusable": self.unusable, "pairs": [result.to_dict() for result in self.pairs]}


def read_pairs(path: str | Path) -> list[Pair]:
    """Read ``img_a,img_b,same``; raises ``ValueError`` on a malformed file."""
    with open(path, newline="", encoding="utf-8") as handle:
        reader = csv.DictReader(handle)
        if not reader.fieldnames or not {"img_a", "img_b", "same"} <= set(reader.fieldnames):
            raise ValueError(f"{path}: expected the columns img_a,img_b,same")
        pairs = []
        for line, row in enumerate(reader, start=2):
            same = (row["same"] or "").strip()
            if same not in ("0", "1"):
                raise ValueError(f"{path}:{line}: same must be 1 or 0, not {same!r}")
            pairs.append(Pair(row["img_a"].strip(), row["img_b"].strip(), same == "1"))
    return pairs


def rates_at(results: Sequence[PairResult], threshold: float) -> Rates:
    genuine = [r.distance for r in results if r.distance is not None and r.pair.same]
    impostor = [r.distance for r in results if r.distance is not None and not r.pair.same]
    return Rates(
        threshold=threshold,
        true_accepts=sum(1 for d in genuine if d <= threshold),
        genuine=len(genuine),
        false_accepts=sum(1 for d in impostor if d <= threshold),
        impostor=len(impostor),
    )


def _file_embedder(root: Path) -> Callable[[str], np.ndarray]:
    cache: dict[str, np.ndarray] = {}

    def embed(name: str) -> np.ndarray:
        if name not in cache:
            cache[name] = face_embedding((root / name).read_bytes())
        return cache[name]

    return embed


def measure_pairs(pairs: Sequence[Pair], root: str | Path) -> list[PairResult]:
    """Distance of every pair; an unreadable file raises (``OSError`` or ``ImageError``)."""
    embed = _file_embedder(Path(root))
    results = []
    for pair in pairs:
        try:
            distance = face_distance(embed(pair.img_a), embed(pair.img_b))
        except FaceCountError as exc:
            results.append(PairResult(pair, None, exc.code))
        else:
            results.append(PairResult(pair, distance))
    return results


def calibrate(pairs: Sequence[Pair], root: str | Path, *,
              threshold: float = MATCH_THRESHOLD,
              thresholds: Sequence[float] = DEFAULT_THRESHOLDS) -> CalibrationReport:
    """TAR/FAR at ``threshold`` and over ``thresholds``."""
    results = measure_pairs(pairs, root)
    return CalibrationReport(configured=rates_at(results, threshold),
                             sweep=[rates_at(results, t) for t in thresholds], pairs=results)
