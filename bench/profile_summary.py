"""Summarise a py-spy profile in folded form (``py-spy record --format raw``).

Prints the functions that were on the stack in the largest share of samples
(inclusive), then the innermost frames (self). With ``--gil`` profiles, a sample
is a moment a thread held the GIL: the shares are where the worker's Python CPU
went.

    .venv/bin/python bench/profile_summary.py /tmp/prof/examhall-peak-worker.folded [--top 40]
"""

from __future__ import annotations

import argparse
from collections import Counter
from pathlib import Path


def frame_key(frame: str) -> str:
    name, _sep, where = frame.partition(" (")
    module = where.split(":")[0] if where else ""
    return f"{name} ({module})" if module else name


def summarise(path: Path, top: int, match: str | None) -> None:
    stacks: list[tuple[list[str], int]] = []
    for line in path.read_text().splitlines():
        stack, _sep, count = line.rstrip().rpartition(" ")
        if stack and count.isdigit():
            stacks.append((stack.split(";"), int(count)))
    if match:
        stacks = [(s, n) for s, n in stacks if any(match in f for f in s)]
    total = sum(n for _s, n in stacks)
    print(f"{path}: {total} samples" + (f" with a frame matching {match!r}" if match else ""))
    if not total:
        return
    inclusive: Counter[str] = Counter()
    leaf: Counter[str] = Counter()
    for stack, n in stacks:
        for key in {frame_key(f) for f in stack}:
            inclusive[key] += n
        leaf[frame_key(stack[-1])] += n
    print(f"\nInclusive (on the stack), top {top}:")
    for key, n in inclusive.most_common(top):
        print(f"  {100 * n / total:5.1f}%  {key}")
    print(f"\nSelf (innermost frame), top {top}:")
    for key, n in leaf.most_common(top):
        print(f"  {100 * n / total:5.1f}%  {key}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("folded", type=Path)
    parser.add_argument("--top", type=int, default=40)
    parser.add_argument("--match", default=None,
                        help="keep only samples with a frame containing this text")
    args = parser.parse_args()
    summarise(args.folded, args.top, args.match)


if __name__ == "__main__":
    main()
