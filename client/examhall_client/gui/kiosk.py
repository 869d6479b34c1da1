"""The kiosk web view: one signed, locked-down QtWebEngine page on the exam server.

Every request the engine makes (pages, XHR/fetch with their bodies, the websocket
handshake, the favicon) passes the :class:`SigningInterceptor`, which adds the
``X-ExamHall-Client`` header of the exam's policy. Navigation stays inside the
server's origin; new windows, downloads, printing, the context menu and dev tools are
refused; camera and microphone are granted to the exam origin only.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable

from PySide6.QtCore import QEvent, QObject, Qt, QUrl
from PySide6.QtGui import QKeyEvent, QKeySequence
from PySide6.QtWebEngineCore import (
    QWebEngineDownloadRequest,
    QWebEngineFullScreenRequest,
    QWebEnginePage,
    QWebEnginePermission,
    QWebEngineProfile,
    QWebEngineScript,
    QWebEngineSettings,
    QWebEngineUrlRequestInfo,
    QWebEngineUrlRequestInterceptor,
)
from PySide6.QtWebEngineWidgets import QWebEngineView
from PySide6.QtWidgets import QApplication, QWidget

from examhall_client import __version__, signing

log = logging.getLogger(__name__)

DEFAULT_PORTS = {"http": 80, "https": 443, "ws": 80, "wss": 443}
NETWORK_SCHEMES = {"https": "https", "wss": "https", "http": "http", "ws": "http"}
# Larger than any request of the exam (the device check's upload test is 4 MiB); a body
# this large is sent unsigned (and refused).
MAX_SIGNED_BODY = 32 * 1024 * 1024


def origin_of(url: QUrl) -> tuple[str, str, int] | None:
    """(scheme, host, port) with websocket schemes folded onto http(s); None for
    schemes without a network origin. ``blob:`` URLs take their creator's origin."""
    scheme = url.scheme().lower()
    if scheme == "blob":
        return origin_of(QUrl(url.path()))
    if scheme not in NETWORK_SCHEMES:
        return None
    folded = NETWORK_SCHEMES[scheme]
    return folded, url.host().lower(), url.port(DEFAULT_PORTS[folded])


def wire_url(url: QUrl) -> str:
    """The URL as sent on the wire: percent-encoded, without the fragment."""
    return url.toEncoded().data().decode("ascii").split("#", 1)[0]


class SigningInterceptor(QWebEngineUrlRequestInterceptor):
    """Signs every request of the profile to the exam server's origin with the exam's
    client key (requests elsewhere, which only subresources can make, go unsigned)."""

    def __init__(self, key: bytes, origin: QUrl, version: str = __version__,
                 parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._key = key
        self._origin = origin_of(origin)
        self._version = version
        self.signed = 0

    def interceptRequest(self, info: QWebEngineUrlRequestInfo) -> None:  # Qt's name
        url = info.requestUrl()
        if url.scheme().lower() not in NETWORK_SCHEMES or origin_of(url) != self._origin:
            return  # data:, blob: never reach the network; other hosts get no signature
        method = info.requestMethod().data().decode("ascii").upper() or "GET"
        body = b""
        if method not in {"GET", "HEAD"}:
            device = info.requestBody()
            if device is not None:
                if not device.isOpen():
                    device.open(device.OpenModeFlag.ReadOnly)
                # One read of at most MAX_SIGNED_BODY. Measured with Qt 6.12: the device
                # ignores its position (each read() starts again at the first byte), so
                # readAll() or a read loop never ends on a body over 64 KiB; one large
                # read() returns the whole body. Never seek (the engine still sends it).
                body = device.read(MAX_SIGNED_BODY).data()
                if len(body) >= MAX_SIGNED_BODY:
                    log.error("body of %s %s too large to sign", method, url.toString())
                    return
        try:
            header = signing.sign_request(self._key, self._version, method, wire_url(url), body)
        except (ValueError, UnicodeError) as exc:  # the server refuses it unsigned
            log.error("cannot sign %s %s: %s", method, url.toString(), exc)
            return
        info.setHttpHeader(signing.HEADER_NAME.encode("ascii"), header.encode("ascii"))
        self.signed += 1


class _WindowCatcher(QWebEnginePage):
    """The page a ``window.open``/``target=_blank`` gets: it never shows; a same-origin
    address is loaded in the kiosk page instead, anything else is dropped."""

    def __init__(self, profile: QWebEngineProfile, opener: KioskPage) -> None:
        super().__init__(profile, opener)
        self._opener = opener

    def acceptNavigationRequest(self, url: QUrl | str,
                                navigation_type: QWebEnginePage.NavigationType,
                                is_main_frame: bool) -> bool:
        url = QUrl(url)
        if self._opener.is_allowed(url):
            self._opener.setUrl(url)
        self.deleteLater()
        return False


class KioskPage(QWebEnginePage):
    """A page that never leaves the exam server's origin."""

    def __init__(self, profile: QWebEngineProfile, origin: QUrl,
                 parent: QObject | None = None) -> None:
        super().__init__(profile, parent)
        self._origin = origin_of(origin)
        self.origin_key = self._origin
        self.refused: list[str] = []
        self.printRequested.connect(self._refuse_print)
        self.permissionRequested.connect(self._on_permission)

    def is_allowed(self, url: QUrl) -> bool:
        if url.toString() in {"about:blank", "about:srcdoc"}:
            return True
        return origin_of(url) == self._origin

    def acceptNavigationRequest(self, url: QUrl | str,
                                navigation_type: QWebEnginePage.NavigationType,
                                is_main_frame: bool) -> bool:
        url = QUrl(url)
        if self.is_allowed(url):
            return True
        self.refused.append(url.toString())
        log.warning("navigation refused: %s", url.toString())
        return False

    def createWindow(self, window_type: QWebEnginePage.WebWindowType
                     ) -> QWebEnginePage | None:
        return _WindowCatcher(self.profile(), self)

    def _refuse_print(self, *args: object) -> None:
        log.warning("printing refused")

    def _on_permission(self, permission: QWebEnginePermission) -> None:
        kind = permission.permissionType()
        media = {QWebEnginePermission.PermissionType.MediaAudioCapture,
                 QWebEnginePermission.PermissionType.MediaVideoCapture,
                 QWebEnginePermission.PermissionType.MediaAudioVideoCapture}
        if kind in media and origin_of(permission.origin()) == self._origin:
            permission.grant()
        else:
            log.warning("permission refused: %s for %s", kind, permission.origin().toString())
            permission.deny()

    def javaScriptConsoleMessage(self, level: QWebEnginePage.JavaScriptConsoleMessageLevel,
                                 message: str, line: int, source: str) -> None:
        log.debug("console %s:%s %s", source, line, message)


def _blocked(sequence: str) -> tuple[int, Qt.KeyboardModifier]:
    combo = QKeySequence(sequence)[0]
    return int(combo.key()), combo.keyboardModifiers()


# What user mode can refuse; Alt+Tab, the Windows key, Ctrl+Alt+Del, Cmd+Tab, PrintScreen
# and switching TTYs never reach the application (see packaging/BUILDING.md).
BLOCKED_SHORTCUTS = [_blocked(s) for s in (
    "Ctrl+P", "Ctrl+S", "Ctrl+U", "Ctrl+N", "Ctrl+T", "Ctrl+W", "Ctrl+R", "Ctrl+Shift+R",
    "Ctrl+O", "Ctrl+F", "Ctrl+G", "Ctrl+H", "Ctrl+J", "Ctrl+L", "Ctrl+Q", "Ctrl+Shift+N",
    "Ctrl+Shift+T", "Ctrl+Shift+I", "Ctrl+Shift+J", "Ctrl+Shift+C", "Ctrl+Shift+Delete",
    "Ctrl++", "Ctrl+-", "Ctrl+=", "Ctrl+0",
    "Alt+Left", "Alt+Right", "Alt+Home", "F1", "F3", "F5", "Ctrl+F5", "Shift+F5", "F6", "F7",
    "F11", "F12", "Meta+Q", "Meta+W", "Meta+H", "Meta+M", "Meta+P", "Meta+S", "Meta+R",
)]
BLOCKED_KEYS = {int(Qt.Key.Key_Back), int(Qt.Key.Key_Forward), int(Qt.Key.Key_Refresh),
                int(Qt.Key.Key_Print), int(Qt.Key.Key_HomePage), int(Qt.Key.Key_Search),
                int(Qt.Key.Key_Reload), int(Qt.Key.Key_ZoomIn), int(Qt.Key.Key_ZoomOut)}


def is_blocked(event: QKeyEvent) -> bool:
    key = int(event.key())
    if key in BLOCKED_KEYS:
        return True
    modifiers = event.modifiers() & ~Qt.KeyboardModifier.KeypadModifier
    return (key, modifiers) in BLOCKED_SHORTCUTS


class ShortcutBlocker(QObject):
    """An event filter swallowing the blocked shortcuts and Ctrl+wheel zoom. It is
    installed on the kiosk view and on each of its children (the engine's focus proxy
    receives the keys; it is replaced when the renderer changes), never on the whole
    application: with QtWebEngine, a Python filter there crashes (measured with
    PySide6 6.12) on the engine's internal events."""

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.swallowed = 0

    def watch(self, widget: QObject) -> None:
        widget.installEventFilter(self)
        for child in widget.findChildren(QWidget):
            child.installEventFilter(self)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # Qt's name
        kind = event.type()
        if kind == QEvent.Type.ChildAdded:
            child = event.child()  # type: ignore[attr-defined]
            if isinstance(child, QWidget):
                child.installEventFilter(self)
        elif kind in (QEvent.Type.KeyPress, QEvent.Type.ShortcutOverride,
                      QEvent.Type.KeyRelease) and isinstance(event, QKeyEvent):
            if is_blocked(event):
                self.swallowed += kind == QEvent.Type.KeyPress
                return True
        elif kind == QEvent.Type.Wheel and (
                event.modifiers() & Qt.KeyboardModifier.ControlModifier):  # type: ignore[attr-defined]
            return True
        return False


def client_info_script(version: str) -> QWebEngineScript:
    """``window.ExamHallClientInfo`` in every page, before its own scripts run."""
    script = QWebEngineScript()
    script.setName("examhall-client-info")
    script.setInjectionPoint(QWebEngineScript.InjectionPoint.DocumentCreation)
    script.setWorldId(QWebEngineScript.ScriptWorldId.MainWorld)
    script.setRunsOnSubFrames(False)
    info = json.dumps({"version": version})
    script.setSourceCode(
        "Object.defineProperty(window, 'ExamHallClientInfo', "
        f"{{value: Object.freeze({info}), writable: false, configurable: false}});")
    return script


def make_profile(key: bytes, origin: QUrl, version: str = __version__,
                 parent: QObject | None = None) -> QWebEngineProfile:
    """An off-the-record profile: nothing of the exam stays on the disk."""
    profile = QWebEngineProfile(parent)  # no storage name: off the record
    profile.setHttpUserAgent(f"{profile.httpUserAgent()} ExamHallClient/{version}")
    interceptor = SigningInterceptor(key, origin, version, profile)
    profile.setUrlRequestInterceptor(interceptor)
    profile.examhall_interceptor = interceptor  # type: ignore[attr-defined] # keep it alive
    profile.downloadRequested.connect(_refuse_download)
    profile.scripts().insert(client_info_script(version))
    settings = profile.settings()
    for attribute, value in (
        (QWebEngineSettings.WebAttribute.JavascriptCanOpenWindows, False),
        (QWebEngineSettings.WebAttribute.JavascriptCanAccessClipboard, False),
        (QWebEngineSettings.WebAttribute.JavascriptCanPaste, False),
        (QWebEngineSettings.WebAttribute.ScreenCaptureEnabled, False),
        (QWebEngineSettings.WebAttribute.PdfViewerEnabled, False),
        (QWebEngineSettings.WebAttribute.PluginsEnabled, False),
        (QWebEngineSettings.WebAttribute.NavigateOnDropEnabled, False),
        (QWebEngineSettings.WebAttribute.FullScreenSupportEnabled, True),
        (QWebEngineSettings.WebAttribute.PlaybackRequiresUserGesture, False),
        (QWebEngineSettings.WebAttribute.LocalContentCanAccessRemoteUrls, False),
    ):
        settings.setAttribute(attribute, value)
    return profile


def _refuse_download(download: QWebEngineDownloadRequest) -> None:
    log.warning("download refused: %s", download.url().toString())
    download.cancel()


class KioskView(QWebEngineView):
    """The exam in a locked-down view. ``on_url`` hears every address change."""

    def __init__(self, profile: QWebEngineProfile, origin: QUrl,
                 on_url: Callable[[QUrl], None] | None = None,
                 on_full_screen: Callable[[bool], None] | None = None) -> None:
        super().__init__()
        self.setPage(KioskPage(profile, origin, self))
        self._on_full_screen = on_full_screen
        # The exam page asks for full screen (and watches it): granted; in kiosk mode the
        # window is full screen anyway and stays so when the page leaves it.
        self.page().fullScreenRequested.connect(self._full_screen)
        self.setContextMenuPolicy(Qt.ContextMenuPolicy.NoContextMenu)
        for action in (QWebEnginePage.WebAction.Back, QWebEnginePage.WebAction.Forward,
                       QWebEnginePage.WebAction.Reload,
                       QWebEnginePage.WebAction.ReloadAndBypassCache,
                       QWebEnginePage.WebAction.ViewSource,
                       QWebEnginePage.WebAction.SavePage,
                       QWebEnginePage.WebAction.InspectElement,
                       QWebEnginePage.WebAction.OpenLinkInNewWindow,
                       QWebEnginePage.WebAction.OpenLinkInNewTab,
                       QWebEnginePage.WebAction.DownloadLinkToDisk,
                       QWebEnginePage.WebAction.DownloadImageToDisk,
                       QWebEnginePage.WebAction.DownloadMediaToDisk):
            self.pageAction(action).setEnabled(False)
        self.page().zoomFactorChanged.connect(self._keep_zoom)
        if on_url is not None:
            self.urlChanged.connect(on_url)
        self.blocker: ShortcutBlocker | None = None

    def block_shortcuts(self) -> None:
        """Kiosk mode: swallow the blocked shortcuts before the page sees them."""
        if self.blocker is None:
            self.blocker = ShortcutBlocker(self)
            self.blocker.watch(self)

    def _full_screen(self, request: QWebEngineFullScreenRequest) -> None:
        if origin_of(request.origin()) != self.page().origin_key:
            request.reject()
            return
        request.accept()
        if self._on_full_screen is not None:
            self._on_full_screen(request.toggleOn())

    def _keep_zoom(self, factor: float) -> None:
        if factor != 1.0:
            self.page().setZoomFactor(1.0)

    def push_report(self, report_json: str) -> None:
        """Hand the environment report to the page's bridge (if the page has one)."""
        self.page().runJavaScript(
            f"window.ExamHallClient && window.ExamHallClient.receiveReport({report_json})")


def clear_clipboard() -> None:
    clipboard = QApplication.clipboard()
    clipboard.clear()
    if clipboard.supportsSelection():
        clipboard.clear(clipboard.Mode.Selection)
