"""Command line: ``python -m examhall.vision {detect,compare,calibrate,voice} ... [--json]``.

Exit status: 0 done, 1 for compare when the faces do not match and for voice when
no speech was found, 2 for an unreadable input or bad arguments, 3 when dlib, the
models or onnxruntime and the Silero VAD model are missing.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from examhall.vision.calibration import calibrate, read_pairs
from examhall.vision.faces import MATCH_THRESHOLD, FaceCountError, compare_images, prepare
from examhall.vision.images import ImageError
from examhall.vision.models import ModelsMissingError
from examhall.vision.quality import assess_quality
from examhall.vision.voice import THRESHOLD, AudioError, analyse_wav


class InputError(Exception):
    """An input the command cannot use; printed on stderr, exit status 2."""


def _read(path: str) -> bytes:
    try:
        return Path(path).read_bytes()
    except OSError as exc:
        raise InputError(f"{path}: cannot read ({exc.strerror or exc})") from exc


def _prepare(path: str) -> Any:
    try:
        return prepare(_read(path))
    except ImageError as exc:
        raise InputError(f"{path}: {exc.code} ({exc.detail})") from exc


def _out(text: str = "") -> None:
    sys.stdout.write(text + "\n")


def cmd_detect(args: argparse.Namespace) -> int:
    reports = []
    for path in args.images:
        verdict = assess_quality(_prepare(path))
        reports.append({"image": path} | verdict.to_dict())
    if args.json:
        _out(json.dumps(reports, indent=2))
        return 0
    for report in reports:
        _out(f"{report['image']}: {report['face_count']} face(s), "
             f"{'ok' if report['ok'] else ', '.join(report['reasons'])}")
        for face in report["faces"]:
            box = face["box"]
            _out(f"  face at ({box['left']}, {box['top']}) {box['width']}×{box['height']} "
                 f"score {face['score']:.2f}")
        for key, value in report["measurements"].items():
            _out(f"  {key:<22} {value:10.3f}")
    return 0


def cmd_compare(args: argparse.Namespace) -> int:
    a, b = _prepare(args.image_a), _prepare(args.image_b)
    try:
        result = compare_images(a, b, threshold=args.threshold)
    except FaceCountError as exc:
        raise InputError(f"need one face in each image: {exc.code} ({exc.count} found)") from exc
    if args.json:
        _out(json.dumps({"image_a": args.image_a, "image_b": args.image_b} | result.to_dict(),
                        indent=2))
    else:
        _out(f"distance {result.distance:.4f}, threshold {result.threshold:.2f}: "
             f"{'same person' if result.match else 'different people'}")
    return 0 if result.match else 1


def _print_rates_table(report: Any) -> None:
    _out(f"{'threshold':>9}  {'TAR':>6}  {'FAR':>6}  {'accepted genuine':>16}  "
         f"{'accepted impostor':>17}")
    for rates in [*report.sweep, report.configured]:
        mark = "  <- configured" if rates is report.configured else ""
        _out(f"{rates.threshold:9.2f}  {rates.tar:6.1%}  {rates.far:6.1%}  "
             f"{rates.true_accepts:>7} / {rates.genuine:<6}  "
             f"{rates.false_accepts:>8} / {rates.impostor:<6}{mark}")


def cmd_calibrate(args: argparse.Namespace) -> int:
    try:
        pairs = read_pairs(args.pairs)
    except OSError as exc:
        raise InputError(f"{args.pairs}: cannot read ({exc.strerror or exc})") from exc
    except (ValueError, KeyError) as exc:
        raise InputError(str(exc)) from exc
    root = Path(args.root) if args.root else Path(args.pairs).parent
    try:
        report = calibrate(pairs, root, threshold=args.threshold)
    except OSError as exc:
        raise InputError(f"cannot read {exc.filename}: {exc.strerror or exc}") from exc
    except ImageError as exc:
        raise InputError(f"an image of {args.pairs}: {exc.code} ({exc.detail})") from exc
    if args.json:
        _out(json.dumps(report.to_dict(), indent=2))
        return 0
    for result in report.pairs:
        distance = "-" if result.distance is None else f"{result.distance:.4f}"
        _out(f"{result.pair.img_a:<24} {result.pair.img_b:<24} "
             f"{'same' if result.pair.same else 'diff':<5} {distance:>8} {result.error or ''}")
    _out()
    _print_rates_table(report)
    if report.unusable:
        _out(f"{report.unusable} pair(s) unusable (no face or several faces)")
    return 0


def cmd_voice(args: argparse.Namespace) -> int:
    try:
        activity = analyse_wav(_read(args.clip), threshold=args.threshold)
    except AudioError as exc:
        raise InputError(f"{args.clip}: {exc.code} ({exc.detail})") from exc
    if args.json:
        _out(json.dumps({"clip": args.clip} | activity.to_dict(), indent=2))
        return 0 if activity.has_speech else 1
    _out(f"{args.clip}: {activity.duration_seconds:.2f} s, "
         f"{'speech' if activity.has_speech else 'no speech'} "
         f"({activity.speech_seconds:.2f} s; highest probability "
         f"{activity.max_probability:.2f})")
    for segment in activity.segments:
        _out(f"  speech {segment.start:6.2f} – {segment.end:6.2f} s")
    return 0 if activity.has_speech else 1


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m examhall.vision",
                                     description="Face detection, comparison and calibration; "
                                                 "voice activity in audio clips.")
    sub = parser.add_subparsers(dest="command", required=True)
    detect = sub.add_parser("detect", help="faces found, boxes and quality verdicts")
    detect.add_argument("images", nargs="+", metavar="IMAGE")
    detect.add_argument("--json", action="store_true")
    detect.set_defaults(handler=cmd_detect)
    compare = sub.add_parser("compare", help="distance between the faces of two images")
    compare.add_argument("image_a", metavar="A")
    compare.add_argument("image_b", metavar="B")
    compare.add_argument("--threshold", type=float, default=MATCH_THRESHOLD)
    compare.add_argument("--json", action="store_true")
    compare.set_defaults(handler=cmd_compare)
    cal = sub.add_parser("calibrate", help="TAR and FAR over labelled pairs")
    cal.add_argument("pairs", metavar="PAIRS.csv")
    cal.add_argument("--root", help="directory of the images (default: the CSV's)")
    cal.add_argument("--threshold", type=float, default=MATCH_THRESHOLD)
    cal.add_argument("--json", action="store_true")
    cal.set_defaults(handler=cmd_calibrate)
    voice = sub.add_parser("voice", help="speech in a WAV clip (Silero VAD)")
    voice.add_argument("clip", metavar="CLIP.wav")
    voice.add_argument("--threshold", type=float, default=THRESHOLD,
                       help="speech probability that opens a segment (default 0.5)")
    voice.add_argument("--json", action="store_true")
    voice.set_defaults(handler=cmd_voice)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return int(args.handler(args))
    except InputError as exc:
        sys.stderr.write(f"error: {exc}\n")
        return 2
    except ModelsMissingError as exc:
        sys.stderr.write(f"error: {exc}\n")
        return 3


if __name__ == "__main__":
    sys.exit(main())
