"""What a sensitivity preset sets: thresholds of the image checks and time windows."""

from __future__ import annotations

from dataclasses import dataclass

from examhall.proctoring.models import Sensitivity


@dataclass(frozen=True)
class Thresholds:
    grace_seconds: int
    """A camera not heard from for this long is lost."""
    covered_luma_max: float
    """Mean luma (0–255) below which a low-contrast picture counts as covered / black."""
    covered_std_max: float
    """Spread of luma below which a dark picture counts as covered (a dark room has more)."""
    uniform_std_max: float
    """Spread of luma below which any picture is blank (covered by paper, a hand, a lid)."""
    frozen_diff_max: float
    """Mean absolute difference (0–255) of two grey thumbnails below which the second is
    the same frame again: a live camera's noise and movement stay above it."""
    episode_gap_seconds: int
    """A finding within this time of the last one of its kind extends that flag."""


PRESETS: dict[str, Thresholds] = {
    Sensitivity.STRICT: Thresholds(grace_seconds=30, covered_luma_max=40.0,
                                   covered_std_max=20.0, uniform_std_max=6.0,
                                   frozen_diff_max=0.4, episode_gap_seconds=180),
    Sensitivity.STANDARD: Thresholds(grace_seconds=60, covered_luma_max=25.0,
                                     covered_std_max=15.0, uniform_std_max=4.0,
                                     frozen_diff_max=0.2, episode_gap_seconds=120),
    Sensitivity.RELAXED: Thresholds(grace_seconds=120, covered_luma_max=15.0,
                                    covered_std_max=10.0, uniform_std_max=2.5,
                                    frozen_diff_max=0.05, episode_gap_seconds=90),
}
