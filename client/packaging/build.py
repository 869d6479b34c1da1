"""Build the exam client for the OS this runs on (PyInstaller, onedir), then smoke-run it.

    python packaging/build.py [--smoke-server URL --smoke-exam CODE]

Run from anywhere with the client's virtualenv (``pip install -e 'client[build]'``). The
result is ``client/dist/examhall-client/`` (``examhall-client`` inside; on macOS also
``client/dist/ExamHall Client.app``). It prints the build time and the size; the smoke run
checks ``examhall-client --version`` and, given a server, ``examhall-client check``.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
CLIENT = HERE.parent
DIST = CLIENT / "dist"
WORK = CLIENT / "build"
NAME = "examhall-client"


def say(line: str) -> None:
    sys.stdout.write(line + "\n")
    sys.stdout.flush()


def executable() -> Path:
    suffix = ".exe" if sys.platform == "win32" else ""
    console = "examhall-check" if sys.platform == "win32" else NAME
    return DIST / NAME / f"{console}{suffix}"


def size_of(path: Path) -> int:
    return sum(f.stat().st_size for f in path.rglob("*") if f.is_file() and not f.is_symlink())


def build() -> float:
    started = time.monotonic()
    subprocess.run(
        [sys.executable, "-m", "PyInstaller", "--noconfirm", "--clean", "--log-level", "WARN",
         "--distpath", str(DIST), "--workpath", str(WORK), str(HERE / f"{NAME}.spec")],
        cwd=CLIENT, check=True)
    return time.monotonic() - started


def smoke(server: str | None, exam: str | None) -> None:
    binary = executable()
    env = dict(os.environ, QT_QPA_PLATFORM=os.environ.get("QT_QPA_PLATFORM", "offscreen"))
    version = subprocess.run([str(binary), "--version"], capture_output=True, text=True,
                             env=env, timeout=120, check=True).stdout.strip()
    say(f"smoke: {binary.name} --version -> {version}")
    if server and exam:
        done = subprocess.run([str(binary), "check", "--server", server, "--exam", exam],
                              capture_output=True, text=True, env=env, timeout=120, check=False)
        say(done.stdout)
        say(f"smoke: check exited {done.returncode}")
        if done.returncode not in (0, 1):
            raise SystemExit(f"the packaged check failed: {done.stderr}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--skip-build", action="store_true", help="only the smoke run")
    parser.add_argument("--smoke-server", help="a server with a client policy")
    parser.add_argument("--smoke-exam", help="the exam code on that server")
    options = parser.parse_args()
    if not options.skip_build:
        seconds = build()
        megabytes = size_of(DIST / NAME) / 1e6
        say(f"built {DIST / NAME} in {seconds:.0f} s, {megabytes:.0f} MB")
    smoke(options.smoke_server, options.smoke_exam)
    return 0


if __name__ == "__main__":
    sys.exit(main())
