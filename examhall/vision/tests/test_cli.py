"""``python -m examhall.vision`` through a subprocess, as an operator runs it."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from .conftest import FACES

ROOT = FACES.parents[2]


def _run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "examhall.vision", *args], cwd=ROOT,
                          capture_output=True, text=True, timeout=300, check=False)


def test_detect_reports_faces_and_verdicts_as_json() -> None:
    done = _run("detect", str(FACES / "astronaut.jpg"), str(FACES / "biden.jpg"), "--json")
    assert done.returncode == 0, done.stderr
    reports = json.loads(done.stdout)
    assert [r["face_count"] for r in reports] == [1, 1]
    assert reports[0]["ok"] is True
    assert set(reports[0]["faces"][0]["box"]) >= {"left", "top", "width", "height"}


def test_detect_prints_a_readable_report() -> None:
    done = _run("detect", str(FACES / "obama.jpg"))
    assert done.returncode == 0, done.stderr
    assert "1 face(s), ok" in done.stdout
    assert "eye_aspect_ratio" in done.stdout


def test_compare_says_same_person_with_exit_status_0() -> None:
    done = _run("compare", str(FACES / "obama.jpg"), str(FACES / "obama2.jpg"), "--json")
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout)
    assert result["match"] is True
    assert result["threshold"] == 0.5


def test_compare_says_different_people_with_exit_status_1() -> None:
    done = _run("compare", str(FACES / "obama.jpg"), str(FACES / "biden.jpg"))
    assert done.returncode == 1
    assert "different people" in done.stdout


def test_compare_threshold_override() -> None:
    done = _run("compare", str(FACES / "obama.jpg"), str(FACES / "obama2.jpg"),
                "--threshold", "0.2", "--json")
    assert done.returncode == 1
    assert json.loads(done.stdout)["threshold"] == 0.2


def test_calibrate_on_the_fixture_pairs() -> None:
    done = _run("calibrate", str(FACES / "pairs.csv"), "--root", str(FACES), "--json")
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout)
    configured = report["configured"]
    assert (configured["genuine"], configured["impostor"]) == (3, 7)
    assert configured["tar"] == 1.0
    assert configured["far"] == 0.0
    assert report["unusable"] == 0
    assert [row["threshold"] for row in report["sweep"]][:2] == [0.3, 0.35]


def test_calibrate_prints_a_table() -> None:
    done = _run("calibrate", str(FACES / "pairs.csv"), "--root", str(FACES))
    assert done.returncode == 0, done.stderr
    assert "<- configured" in done.stdout
    assert "TAR" in done.stdout


def test_an_unreadable_image_exits_2_with_a_message(tmp_path: Path) -> None:
    bad = tmp_path / "photo.jpg"
    bad.write_bytes(b"not a jpeg at all")
    done = _run("detect", str(bad))
    assert done.returncode == 2
    assert "not_an_image" in done.stderr
    assert "Traceback" not in done.stderr


def test_a_missing_file_exits_2_with_a_message(tmp_path: Path) -> None:
    done = _run("compare", str(tmp_path / "missing.jpg"), str(FACES / "obama.jpg"))
    assert done.returncode == 2
    assert "cannot read" in done.stderr


def test_calibrate_with_a_missing_image_exits_2(tmp_path: Path) -> None:
    pairs = tmp_path / "pairs.csv"
    pairs.write_text("img_a,img_b,same\nobama.jpg,nobody.jpg,0\n")
    done = _run("calibrate", str(pairs), "--root", str(FACES))
    assert done.returncode == 2
    assert "nobody.jpg" in done.stderr


def test_calibrate_with_wrong_columns_exits_2(tmp_path: Path) -> None:
    pairs = tmp_path / "pairs.csv"
    pairs.write_text("a,b\nobama.jpg,biden.jpg\n")
    done = _run("calibrate", str(pairs))
    assert done.returncode == 2
    assert "img_a,img_b,same" in done.stderr
