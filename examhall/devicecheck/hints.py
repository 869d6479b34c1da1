"""Localised labels and fix-it hints for the verdicts' codes (see ``rules.py``)."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

LABELS = {
    "compatibility": gettext_lazy("Compatibility"),
    "permission": gettext_lazy("Permission"),
    "devices": gettext_lazy("Device detection"),
    "availability": gettext_lazy("Device availability"),
    "display": gettext_lazy("Displays"),
    "network": gettext_lazy("Network"),
}


def _permission_help(browser: str) -> str:
    """Short steps to allow the camera and microphone again, for the browser in use."""
    if browser in ("chrome", "edge", "360", "qq", "opera"):
        steps = _("Click the camera icon (or the lock icon) at the left of the address bar, "
                  "set Camera and Microphone to Allow, then reload this page.")
        if browser in ("360", "qq"):
            return _("%(steps)s In the 360 and QQ browsers, use the fast (Chromium) mode: "
                     "click the lightning icon at the right of the address bar.") % {
                         "steps": steps}
        return steps
    if browser == "firefox":
        return _("Click the crossed-out camera icon at the left of the address bar, remove "
                 "the blocks for Camera and Microphone, then reload this page.")
    if browser == "safari":
        return _("Open Safari > Settings for This Website, set Camera and Microphone to "
                 "Allow, then reload this page.")
    return _("Allow this site to use the camera and microphone in your browser's site "
             "settings, then reload this page.")


def _messages(browser: str) -> dict[str, str]:
    help_text = _permission_help(browser)

    def with_help(problem: str) -> str:
        # Translators: a permission problem followed by how to fix it in this browser.
        return _("%(problem)s %(help)s") % {"problem": problem, "help": help_text}

    return {
        "browser_unsupported": _("This browser is too old or not supported. Use a current "
                                 "version of Chrome, Edge or Firefox."),
        "no_getusermedia": _("This browser cannot use the camera from a web page. Use a "
                             "current version of Chrome, Edge or Firefox, and open the exam "
                             "over https."),
        "no_websocket": _("This browser does not support WebSocket connections. Use a current "
                          "version of Chrome, Edge or Firefox."),
        "no_indexeddb": _("This browser cannot store data for the exam (IndexedDB). Leave "
                          "private browsing mode or use another browser."),
        "no_fullscreen": _("This browser cannot show the exam in full screen. Use a current "
                           "version of Chrome, Edge or Firefox."),
        "camera_denied": with_help(_("The camera is blocked for this site.")),
        "microphone_denied": with_help(_("The microphone is blocked for this site.")),
        "camera_not_granted": with_help(_("Allow the camera when your browser asks for it.")),
        "microphone_not_granted": with_help(
            _("Allow the microphone when your browser asks for it.")),
        "no_camera": _("No camera was found. Connect a camera (or switch on the built-in "
                       "one), then check again."),
        "no_microphone": _("No microphone was found. Connect a microphone or a headset, then "
                           "check again."),
        "camera_no_frames": _("The camera sends no picture. Close other programs that use "
                              "the camera (meeting apps, QQ, WeChat), choose another camera "
                              "or reconnect it, then check again."),
        "camera_resolution_low": _("The camera picture is too small. Choose a camera that "
                                   "delivers at least the required resolution."),
        "camera_black": _("The camera picture is black. Remove any cover from the lens, turn "
                          "on a light and face the camera."),
        "camera_frozen": _("The camera picture does not move. Reconnect the camera or choose "
                           "another one, then check again."),
        "microphone_silent": _("The microphone hears nothing. Say a few words while checking, "
                               "unmute the microphone or choose another one."),
        "screen_extended": _("An extra display is connected. Please disconnect any projector "
                             "or other extra display from your computer, then check again."),
        "network_slow": _("Your connection is slower than this exam recommends. Move closer "
                          "to the router, use a cable or close downloads and videos."),
        "network_untested": _("The network speed could not be measured. Check your "
                              "connection."),
    }


def _phone_messages(browser: str) -> dict[str, str]:
    """The phone as second camera: what to tap on a phone, not on a computer."""
    if browser == "wechat":
        steps = _("In WeChat, tap ··· at the top right, open the page in the browser, or "
                  "allow WeChat to use the camera in the phone's Settings, then reload.")
    elif browser == "safari":
        steps = _("Tap “aA” in the address bar > Website Settings > Camera > Allow (or "
                  "Settings > Safari > Camera), then reload this page.")
    else:
        steps = _("Tap the icon at the left of the address bar > Permissions > Camera > "
                  "Allow, then reload this page.")
    return {
        "browser_unsupported": _("This browser is too old or not supported. Use a current "
                                 "Chrome or Safari, or WeChat."),
        "no_getusermedia": _("This browser cannot use the camera from a web page. Open the "
                             "link in Chrome or Safari; the address must start with https."),
        "no_websocket": _("This browser cannot keep a connection open. Open the link in "
                          "Chrome or Safari."),
        "camera_denied": _("%(problem)s %(help)s") % {
            "problem": _("The camera is blocked for this page."), "help": steps},
        "camera_not_granted": _("%(problem)s %(help)s") % {
            "problem": _("Allow the camera when the phone asks for it."), "help": steps},
        "no_camera": _("No camera was found on this phone."),
        "camera_no_frames": _("The camera sends no picture. Close other apps that use the "
                              "camera (video calls, the camera app), then check again."),
        "camera_resolution_low": _("The camera picture is too small. Switch to the other "
                                   "camera, then check again."),
        "camera_black": _("The camera picture is black. Remove any cover from the lens and "
                          "turn on a light."),
        "camera_frozen": _("The camera picture does not move. Switch to the other camera or "
                           "reload this page."),
    }


def explain(verdicts: list[dict[str, Any]], *, browser: str,
            phone: bool = False) -> list[dict[str, Any]]:
    """The verdicts with their label and a hint per code, in the active language
    (``phone``: the hints of the phone as second camera)."""
    messages = {**_messages(browser), **(_phone_messages(browser) if phone else {})}
    return [
        {
            "check": verdict["check"],
            "label": str(LABELS.get(verdict["check"], verdict["check"])),
            "status": verdict["status"],
            "problems": [{"code": code, "message": messages.get(code, code)}
                         for code in verdict["codes"]],
        }
        for verdict in verdicts
    ]
