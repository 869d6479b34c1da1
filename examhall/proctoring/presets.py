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
    pc_detect_side: int | None = None
    """Longer side (px) of the PC camera's first face-detection pass, or None to look at
    working size (640 px) only. The HOG detector costs about a quarter at 320 px, but
    finds only faces whose box is about 105–125 px or more in a 640 px frame (at 640:
    about 70 px; measured on the fixtures, ``docs/adr/0007-snapshot-upload-path.md``).
    When the first pass finds no face, a second one at working size follows, so a
    candidate sitting far back is not called absent; when it finds one, a second,
    smaller face in the background goes unseen (``several_faces`` is less sensitive).
    The phone camera, 1–1.5 m from the candidate, is always looked at at working size,
    and so is a PC snapshot due for an identity check (the comparison needs it)."""


PRESETS: dict[str, Thresholds] = {
    Sensitivity.STRICT: Thresholds(grace_seconds=30, covered_luma_max=40.0,
                                   covered_std_max=20.0, uniform_std_max=6.0,
                                   frozen_diff_max=0.4, episode_gap_seconds=180,
                                   pc_detect_side=None),  # a small second face matters
    Sensitivity.STANDARD: Thresholds(grace_seconds=60, covered_luma_max=25.0,
                                     covered_std_max=15.0, uniform_std_max=4.0,
                                     frozen_diff_max=0.2, episode_gap_seconds=120,
                                     pc_detect_side=320),
    Sensitivity.RELAXED: Thresholds(grace_seconds=120, covered_luma_max=15.0,
                                    covered_std_max=10.0, uniform_std_max=2.5,
                                    frozen_diff_max=0.05, episode_gap_seconds=90,
                                    pc_detect_side=320),
}
