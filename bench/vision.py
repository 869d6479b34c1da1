"""Vision benchmark (examhall.vision): per-frame cost against raw dlib, and accuracy.

On 640×480 frames made from the face fixtures, the same run times, frame by
frame and interleaved so that drift hits both alike:
  verify  examhall.vision.verify (detect + 5 landmarks + embed + compare)
          against detector.run() + shape_predictor() + compute_face_descriptor() + norm
  count   examhall.vision.detect_faces (the proctoring face count)
          against detector.run()
(both raw paths use the package's detection score cut-off, so both find the same faces).
Latency is wall time (median, p95); frames/s per core comes from the CPU time
of this process per frame. Then TAR and FAR on tests/fixtures/faces/pairs.csv.
Goals: overhead ≤ 10 % over raw dlib; no false accept at the default threshold.

    .venv/bin/python bench/vision.py [--quick]
"""

from __future__ import annotations

import argparse
import io
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

import _common as c  # noqa: E402
import numpy as np  # noqa: E402
from PIL import Image  # noqa: E402

from examhall import vision  # noqa: E402
from examhall.vision import models  # noqa: E402
from examhall.vision.calibration import calibrate, read_pairs  # noqa: E402

FACES = ROOT / "tests" / "fixtures" / "faces"
FIXTURES = ("astronaut.jpg", "obama.jpg", "obama2.jpg", "obama3.jpg", "biden.jpg")


def webcam_frame(name: str) -> np.ndarray:
    """A fixture fitted into 640×480 (scaled to the height, centred, grey sides), as a webcam."""
    image = Image.open(FACES / name).convert("RGB")
    scale = 480 / image.height
    image = image.resize((round(image.width * scale), 480), Image.Resampling.BILINEAR)
    if image.width > 640:
        left = (image.width - 640) // 2
        image = image.crop((left, 0, left + 640, 480))
    canvas = Image.new("RGB", (640, 480), (110, 110, 110))
    canvas.paste(image, ((640 - image.width) // 2, 0))
    return np.asarray(canvas)


def measure(pairs: list[tuple[Callable[[np.ndarray], object], Callable[[np.ndarray], object]]],
            frames: list[np.ndarray], rounds: int) -> list[dict[str, list[float]]]:
    """Wall and CPU seconds per call of each function, interleaved frame by frame."""
    out = [{"ours_wall": [], "ours_cpu": [], "raw_wall": [], "raw_cpu": []} for _ in pairs]
    for n in range(rounds):
        for frame in frames:
            for index, (ours, raw) in enumerate(pairs):
                order = (("ours", ours), ("raw", raw)) if n % 2 else (("raw", raw), ("ours", ours))
                for label, function in order:
                    wall, cpu = time.perf_counter(), time.process_time()
                    function(frame)
                    out[index][f"{label}_cpu"].append(time.process_time() - cpu)
                    out[index][f"{label}_wall"].append(time.perf_counter() - wall)
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--rounds", type=int)
    args = parser.parse_args()
    rounds = args.rounds or (6 if args.quick else 40)
    c.log(f"vision benchmark on {c.machine_description()}; code {c.code_version()}")

    started = time.perf_counter()
    models.preload()
    c.log(f"models loaded in {time.perf_counter() - started:.2f} s")
    frames = [webcam_frame(name) for name in FIXTURES]
    reference = vision.face_embedding(webcam_frame("obama2.jpg"))
    detector, shape_5 = models.face_detector(), models.shape_predictor_5()
    encoder = models.face_encoder()

    min_score = vision.DETECTION_MIN_SCORE  # the same cut-off, so both find the same faces

    def raw_verify(frame: np.ndarray) -> bool:
        rects, _, _ = detector.run(frame, 0, min_score)
        if len(rects) != 1:
            return False
        shape = shape_5(frame, rects[0])
        embedding = np.array(encoder.compute_face_descriptor(frame, shape))
        return bool(np.linalg.norm(embedding - reference) <= vision.MATCH_THRESHOLD)

    def ours_verify(frame: np.ndarray) -> bool:
        return vision.verify(reference, frame).passed

    def raw_count(frame: np.ndarray) -> int:
        return len(detector.run(frame, 0, min_score)[0])

    def ours_count(frame: np.ndarray) -> int:
        return len(vision.detect_faces(frame))

    for frame in frames:  # same answers, and warm caches
        assert ours_count(frame) == raw_count(frame) == 1
        assert ours_verify(frame) == raw_verify(frame)
    c.log(f"{len(frames)} frames of 640×480 × {rounds} rounds, interleaved …")
    verify_t, count_t = measure([(ours_verify, raw_verify), (ours_count, raw_count)],
                                frames, rounds)

    rows, goals = [], []
    for label, timing in (("verify", verify_t), ("count", count_t)):
        summary = {}
        for who in ("raw", "ours"):
            wall = sorted(timing[f"{who}_wall"])
            cpu_mean = statistics.fmean(timing[f"{who}_cpu"])
            summary[who] = (c.percentile(wall, 50) * 1000, c.percentile(wall, 95) * 1000,
                            1 / cpu_mean if cpu_mean else float("nan"))
            rows.append([label, "raw dlib" if who == "raw" else "examhall.vision", len(wall),
                         summary[who][0], summary[who][1], summary[who][2], ""])
        overhead = summary["ours"][0] / summary["raw"][0] - 1
        rows[-1][-1] = f"{overhead:+.1%} (median)"
        goals.append(c.goal(f"{label}: overhead ≤ 10 % over raw dlib ({overhead:+.1%})",
                            overhead <= 0.10))
    c.print_table(["path", "code", "frames", "median ms", "p95 ms", "frames/s/core",
                   "overhead"], rows, "Per frame, 640×480")

    jpeg = io.BytesIO()
    Image.fromarray(frames[0]).save(jpeg, format="JPEG", quality=85)
    data = jpeg.getvalue()
    decode = []
    for _ in range(50):
        t = time.perf_counter()
        vision.load_image(data)
        decode.append(time.perf_counter() - t)
    c.log(f"decoding a 640×480 JPEG ({len(data):,} bytes): median "
          f"{statistics.median(decode) * 1000:.2f} ms (not in the figures above)")

    report = calibrate(read_pairs(FACES / "pairs.csv"), FACES)
    at = report.configured
    distances = [(r.pair.same, r.distance) for r in report.pairs if r.distance is not None]
    genuine = [d for same, d in distances if same]
    impostor = [d for same, d in distances if not same]
    c.print_table(["threshold", "TAR", "FAR", "genuine pairs", "impostor pairs",
                   "max genuine d", "min impostor d"],
                  [[at.threshold, f"{at.tar:.0%}", f"{at.far:.0%}", at.genuine, at.impostor,
                    max(genuine), min(impostor)]],
                  "Accuracy on tests/fixtures/faces/pairs.csv")
    goals.append(c.goal(f"no false accept at the default threshold {at.threshold} "
                        f"({at.false_accepts}/{at.impostor})", at.false_accepts == 0))
    for line in goals:
        print(line)


if __name__ == "__main__":
    main()
