"""The client's window: policy, environment check, then the exam in the kiosk view.

``run()`` is what ``examhall-client`` (without ``check``) starts.
"""

from __future__ import annotations

import json
import logging
import os
import sys
import threading
from collections.abc import Callable
from typing import Any

from examhall_client import __version__

log = logging.getLogger(__name__)

# Chromium flags the packaged client keeps from QTWEBENGINE_CHROMIUM_FLAGS: graphics
# work-arounds for broken drivers only. Everything else is dropped: remote debugging
# (dev tools), and flags that would let a candidate cheat the proctoring, such as
# --use-file-for-fake-video-capture (a recorded video as the camera) or --proxy-server.
KEPT_CHROMIUM_FLAGS = ("--disable-gpu", "--disable-gpu-compositing", "--ignore-gpu-blocklist",
                       "--disable-software-rasterizer", "--enable-gpu-rasterization")
DEBUG_ARGUMENTS = ("--remote-debugging", "--remote-allow-origins", "--auto-open-devtools",
                   "--webEngineArgs", "-platform", "-plugin")


def is_frozen() -> bool:
    """True in the packaged client (PyInstaller), where nothing may open dev tools."""
    return bool(getattr(sys, "frozen", False))


def harden_environment(environ: dict[str, str] | os._Environ[str],
                       argv: list[str]) -> list[str]:
    """The packaged client's defences against a tampered start: no remote debugging, no
    Chromium flags but graphics work-arounds, no VNC platform (which would show the exam
    to someone else), no foreign Qt plugins. Returns the arguments to give Qt."""
    environ.pop("QTWEBENGINE_REMOTE_DEBUGGING", None)
    environ.pop("QT_QPA_PLATFORM_PLUGIN_PATH", None)
    flags = environ.get("QTWEBENGINE_CHROMIUM_FLAGS", "").split()
    kept = [flag for flag in flags if flag.split("=", 1)[0] in KEPT_CHROMIUM_FLAGS]
    if kept:
        environ["QTWEBENGINE_CHROMIUM_FLAGS"] = " ".join(kept)
    else:
        environ.pop("QTWEBENGINE_CHROMIUM_FLAGS", None)
    if environ.get("QT_QPA_PLATFORM", "").lower().startswith(("vnc", "minimal")):
        environ.pop("QT_QPA_PLATFORM")
    return [arg for arg in argv[:1] if not arg.startswith(DEBUG_ARGUMENTS)]


def run(server: str, exam: str, *, kiosk: bool = True, language: str = "zh_Hans",
        enter_when_passed: bool = False) -> int:
    """Open the client window for ``exam`` on ``server``; the exit status of the app."""
    # Qt sees no command-line arguments of ours (--webEngineArgs, -platform, ...).
    argv = [sys.argv[0] if sys.argv else "examhall-client"]
    if is_frozen():
        argv = harden_environment(os.environ, argv) or ["examhall-client"]
    if sys.platform.startswith("linux") and os.geteuid() == 0:
        # Chromium's sandbox refuses to run as root (exam PCs never should; CI does).
        os.environ.setdefault("QTWEBENGINE_DISABLE_SANDBOX", "1")

    from PySide6.QtCore import Qt
    from PySide6.QtGui import QFont, QGuiApplication
    from PySide6.QtWidgets import QApplication

    QGuiApplication.setHighDpiScaleFactorRoundingPolicy(
        Qt.HighDpiScaleFactorRoundingPolicy.PassThrough)
    app = QApplication.instance() or QApplication(argv)
    app.setApplicationName("ExamHall Client")
    app.setApplicationVersion(__version__)
    font = QFont()
    font.setFamilies(["Noto Sans CJK SC", "Microsoft YaHei", "PingFang SC", "Source Han Sans SC",
                      "WenQuanYi Micro Hei", "Segoe UI", "Helvetica Neue", "sans-serif"])
    app.setFont(font)

    from examhall_client.gui.window import ClientWindow

    window = ClientWindow(server.rstrip("/"), exam, kiosk=kiosk, language=language,
                          enter_when_passed=enter_when_passed)
    window.start()
    status = app.exec()
    window.leave()
    window.dispose()
    return int(status)


def in_background(work: Callable[[], Any], done: Callable[[Any, BaseException | None], None],
                  emit: Callable[[Callable[[], None]], None]) -> None:
    """Run ``work`` on a thread; ``done(result, error)`` is called back on the GUI thread
    through ``emit`` (a queued signal)."""

    def target() -> None:
        try:
            result, error = work(), None
        except BaseException as exc:
            result, error = None, exc
        emit(lambda: done(result, error))

    threading.Thread(target=target, name="examhall-check", daemon=True).start()


def report_json(report: Any) -> str:
    """The report as the contract's JSON text (whatever ``to_json`` returns)."""
    value = report.to_json()
    return value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)
