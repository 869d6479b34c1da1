"""The client's one window: connecting → environment check → the exam (kiosk)."""

from __future__ import annotations

import logging
import os
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import shiboken6
from PySide6.QtCore import QObject, Qt, QTimer, QUrl, Signal
from PySide6.QtGui import QCloseEvent, QGuiApplication
from PySide6.QtWebEngineCore import QWebEngineProfile
from PySide6.QtWidgets import QApplication, QMainWindow, QMessageBox, QStackedWidget, QWidget

from examhall_client import __version__, environment, i18n
from examhall_client import policy as policy_api
from examhall_client import probe as probe_api
from examhall_client.gui import kiosk as lockdown
from examhall_client.gui.app import in_background, is_frozen, report_json
from examhall_client.gui.screens import CheckScreen, MessageScreen
from examhall_client.gui.texts import text

log = logging.getLogger(__name__)

DONE_PATH = re.compile(r"/attempt/done/?$")
# Development and tests only (never in the packaged client): save each screen as a PNG.
SCREENSHOT_DIR = "EXAMHALL_CLIENT_SCREENSHOTS"


class QtProbe(probe_api.SystemProbe):
    """The system probe, with the displays as Qt sees them (read on the GUI thread before
    the checks run on a worker thread). Qt folds mirrored outputs into one screen on some
    platforms, so what the system itself reports wins when it sees more, or a mirror."""

    def __init__(self, qt_screens: list[probe_api.DisplayInfo]) -> None:
        super().__init__()
        self._qt_screens = qt_screens

    def displays(self) -> list[probe_api.DisplayInfo] | None:
        system = super().displays()
        if system is None:
            return list(self._qt_screens) or None
        if len(system) > len(self._qt_screens) or any(d.mirrored for d in system):
            return system
        return list(self._qt_screens)


def qt_displays() -> list[probe_api.DisplayInfo]:
    """Every screen Qt knows; two screens showing the same area are mirrored copies."""
    screens = QGuiApplication.screens()
    result = []
    for screen in screens:
        geometry = screen.geometry()
        copies = sum(1 for other in screens if other.geometry() == geometry)
        result.append(probe_api.DisplayInfo(
            name=screen.name(), width=geometry.width(), height=geometry.height(),
            x=geometry.x(), y=geometry.y(), mirrored=copies > 1))
    return result


class _Relay(QObject):
    """Runs callbacks from worker threads on the GUI thread (a queued signal)."""

    call = Signal(object)

    def __init__(self) -> None:
        super().__init__()
        self.call.connect(lambda callback: callback())


class ClientWindow(QMainWindow):
    """Connecting, the check screen, the exam."""

    def __init__(self, server: str, exam: str, *, kiosk: bool, language: str,
                 enter_when_passed: bool) -> None:
        super().__init__()
        self.server = server
        self.exam = exam
        self.kiosk = kiosk
        self.language = language
        self.enter_when_passed = enter_when_passed
        self.policy: Any = None
        self.report: Any = None
        self.view: lockdown.KioskView | None = None
        self.profile: QWebEngineProfile | None = None
        self.check_screen: CheckScreen | None = None
        self.exam_done = False
        self._checking = False
        self._relay = _Relay()
        self._recheck = QTimer(self)
        self._recheck.timeout.connect(self._recheck_in_exam)
        self._stack = QStackedWidget()
        self.setCentralWidget(self._stack)
        self.setWindowTitle(text("window_title", language))
        if kiosk:
            self.setWindowFlag(Qt.WindowType.WindowStaysOnTopHint, True)
            self.setWindowFlag(Qt.WindowType.FramelessWindowHint, True)
            QApplication.instance().applicationStateChanged.connect(self._keep_in_front)
        else:
            self.resize(1280, 860)

    # -- the steps ----------------------------------------------------------------------

    def start(self) -> None:
        if self.kiosk:
            self.showFullScreen()
        else:
            self.show()
        self._fetch_policy()

    def _show(self, widget: QWidget, name: str) -> None:
        old = self._stack.currentWidget()
        self._stack.addWidget(widget)
        self._stack.setCurrentWidget(widget)
        self.setProperty("screen", name)
        if old is not None and old is not self.view and old is not self.check_screen:
            self._stack.removeWidget(old)
            old.deleteLater()
        QTimer.singleShot(300, lambda: self._save_screenshot(name))

    def _fetch_policy(self) -> None:
        self._show(MessageScreen(self.language, text("loading", self.language)), "loading")
        in_background(lambda: policy_api.fetch_policy(self.server, self.exam,
                                                       language=self.language),
                      self._policy_fetched, self._relay.call.emit)

    def _policy_fetched(self, policy: Any, error: BaseException | None) -> None:
        if error is not None:
            log.warning("policy: %s", error)
            code = getattr(error, "code", "")
            core = {"not_found": "policy_not_found", "invalid_policy": "policy_invalid"}.get(code)
            if core is not None:
                title = i18n.t(f"{core}.title", self.language)
                body = i18n.t(f"{core}.advice", self.language)
            else:
                title = text("unreachable_title", self.language)
                body = text("unreachable_body", self.language)
            detail = getattr(error, "message", "") or str(error)
            self._show(MessageScreen(self.language, title, body, detail=detail, actions=[
                (text("quit", self.language), self.close, False),
                (text("retry", self.language), self._fetch_policy, True),
            ]), "error")
            return
        self.policy = policy
        if policy_api.is_outdated(policy):
            self._show(MessageScreen(
                self.language, text("outdated_title", self.language),
                text("outdated_body", self.language, required=policy.min_client_version,
                     current=__version__),
                link=policy.download_url,
                actions=[(text("quit", self.language), self.close, True)]), "outdated")
            return
        self.check_screen = CheckScreen(
            self.language, exam_name=policy.exam.name, server=self.server,
            version=__version__, on_recheck=self._check, on_enter=self.enter_exam,
            on_quit=self.close)
        self._show(self.check_screen, "check")
        self._check()

    def _run_checks(self, done: Callable[[Any, BaseException | None], None]) -> None:
        displays = qt_displays()
        policy = self.policy
        in_background(lambda: environment.run_checks(policy, QtProbe(displays),
                                                     language=self.language), done,
                      self._relay.call.emit)

    def _check(self) -> None:
        if self._checking or self.check_screen is None:
            return
        self._checking = True
        self.check_screen.checking()
        self._run_checks(self._checked)

    def _checked(self, report: Any, error: BaseException | None) -> None:
        self._checking = False
        if error is not None or self.check_screen is None:
            log.exception("environment check failed", exc_info=error)
            return
        self.report = report
        self.check_screen.show_report(report.passed, list(report.problems), dict(report.facts))
        self._save_screenshot("check")
        if report.passed and self.enter_when_passed and self.view is None:
            self.enter_exam()

    def enter_exam(self) -> None:
        """From the check screen into the exam (only once every check passed)."""
        if self.view is not None or self.report is None or not self.report.passed:
            return
        policy = self.policy
        lockdown.clear_clipboard()
        self.profile = profile = lockdown.make_profile(policy.key_bytes, QUrl(policy.origin))
        self.view = lockdown.KioskView(profile, QUrl(policy.origin), on_url=self._on_url,
                                       on_full_screen=self._page_full_screen)
        self.view.loadFinished.connect(self._loaded)
        if self.kiosk:
            self.view.block_shortcuts()
        self._stack.addWidget(self.view)
        self._stack.setCurrentWidget(self.view)
        self.setProperty("screen", "exam")
        self.view.setUrl(QUrl(policy.entry_url))
        self.view.setFocus()
        self._recheck.start(max(1, int(policy.recheck_interval_seconds)) * 1000)

    # -- during the exam ----------------------------------------------------------------

    def _on_url(self, url: QUrl) -> None:
        if DONE_PATH.search(url.path()):
            self.exam_done = True

    def _page_full_screen(self, on: bool) -> None:
        if on:
            self.showFullScreen()
        elif not self.kiosk:
            self.showNormal()

    def _loaded(self, ok: bool) -> None:
        if ok and self.view is not None and self.report is not None:
            self.view.push_report(report_json(self.report))
            QTimer.singleShot(500, lambda: self._save_screenshot("exam"))

    def _recheck_in_exam(self) -> None:
        if self._checking or self.view is None:
            return
        self._checking = True
        self._run_checks(self._rechecked)

    def _rechecked(self, report: Any, error: BaseException | None) -> None:
        self._checking = False
        if error is not None:
            log.error("environment re-check failed: %s", error)
            return
        self.report = report
        if self.view is not None:
            self.view.push_report(report_json(report))

    def _keep_in_front(self, state: Qt.ApplicationState) -> None:
        """In kiosk mode the window takes the focus back when another one took it (the
        page's own monitoring records the focus loss as a proctoring event)."""
        if self.view is not None and state != Qt.ApplicationState.ApplicationActive:
            QTimer.singleShot(200, self._raise)

    def _raise(self) -> None:
        self.raise_()
        self.activateWindow()

    # -- leaving ------------------------------------------------------------------------

    def closeEvent(self, event: QCloseEvent) -> None:
        if self.view is not None and not self.exam_done and not self._confirm_quit():
            event.ignore()
            return
        self._recheck.stop()
        self.leave()
        event.accept()

    def _confirm_quit(self) -> bool:
        box = QMessageBox(self)
        box.setIcon(QMessageBox.Icon.Warning)
        box.setWindowTitle(text("confirm_quit_title", self.language))
        box.setText(text("confirm_quit_title", self.language))
        box.setInformativeText(text("confirm_quit_body", self.language))
        quit_button = box.addButton(text("confirm_quit_yes", self.language),
                                    QMessageBox.ButtonRole.DestructiveRole)
        back = box.addButton(text("confirm_quit_no", self.language),
                             QMessageBox.ButtonRole.RejectRole)
        box.setDefaultButton(back)
        box.setWindowFlag(Qt.WindowType.WindowStaysOnTopHint, True)
        box.exec()
        return box.clickedButton() is quit_button

    def leave(self) -> None:
        """Clear the clipboard on the way out (also after the event loop ended)."""
        if QApplication.instance() is not None:
            lockdown.clear_clipboard()

    def dispose(self) -> None:
        """Delete the page before its profile (the engine insists on that order)."""
        if self.view is not None:
            shiboken6.delete(self.view)
            self.view = None
        if self.profile is not None:
            shiboken6.delete(self.profile)
            self.profile = None

    def _save_screenshot(self, name: str) -> None:
        directory = os.environ.get(SCREENSHOT_DIR)
        if not directory or is_frozen() or self.property("screen") != name:
            return
        Path(directory).mkdir(parents=True, exist_ok=True)
        self.grab().save(str(Path(directory) / f"client-{name}.png"))
