"""The built-in list of software a formal exam forbids, per operating system.

An exam's client policy uses this list when its own list is empty. ``match`` holds
process names (psutil ``name()``; with ``.exe`` on Windows) or executable basenames,
compared case-insensitively by the client. Advice is shown to the candidate in the
language of the request.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

CATEGORIES = ("chat", "remote_control", "screen_sharing", "screen_recorder", "virtual_camera",
              "security_suite", "browser_automation", "other")
OPERATING_SYSTEMS = ("windows", "macos", "linux")


@dataclass(frozen=True)
class ForbiddenSoftware:
    id: str
    name: str
    category: str
    advice: str | Promise
    windows: tuple[str, ...] = ()
    macos: tuple[str, ...] = ()
    linux: tuple[str, ...] = ()
    match: dict[str, list[str]] = field(init=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "match", {"windows": list(self.windows),
                                           "macos": list(self.macos),
                                           "linux": list(self.linux)})

    def as_dict(self) -> dict[str, object]:
        return {"id": self.id, "name": self.name, "category": self.category,
                "advice": str(self.advice), "match": self.match}


F = ForbiddenSoftware

BUILT_IN: tuple[ForbiddenSoftware, ...] = (
    # --- chat
    F("qq", "QQ", "chat", _("Quit QQ, including its icon in the system tray."),
      windows=("QQ.exe", "QQProtect.exe", "QQExternal.exe", "QQNT.exe"),
      macos=("QQ",), linux=("qq", "linuxqq")),
    F("tim", "TIM", "chat", _("Quit TIM, including its icon in the system tray."),
      windows=("TIM.exe",), macos=("TIM",)),
    F("wechat", "WeChat / 微信", "chat",
      _("Quit WeChat, including its icon in the system tray."),
      windows=("WeChat.exe", "Weixin.exe", "WeChatAppEx.exe", "WeChatApp.exe"),
      macos=("WeChat", "微信"), linux=("wechat", "weixin")),
    F("wecom", "WeCom / 企业微信", "chat",
      _("Quit WeCom (企业微信), including its icon in the system tray."),
      windows=("WXWork.exe", "WeCom.exe"), macos=("企业微信", "WeCom", "WeWork")),
    F("dingtalk", "DingTalk / 钉钉", "chat",
      _("Quit DingTalk, including its icon in the system tray."),
      windows=("DingTalk.exe", "DingtalkLauncher.exe", "DingTalkSnippingTool.exe"),
      macos=("DingTalk", "钉钉"), linux=("dingtalk", "com.alibabainc.dingtalk")),
    F("feishu", "Feishu / Lark / 飞书", "chat",
      _("Quit Feishu (Lark), including its icon in the system tray."),
      windows=("Feishu.exe", "Lark.exe"), macos=("Feishu", "Lark", "飞书"),
      linux=("feishu", "bytedance-feishu", "lark")),
    F("telegram", "Telegram", "chat", _("Quit Telegram."),
      windows=("Telegram.exe",), macos=("Telegram",), linux=("telegram-desktop", "Telegram")),
    F("discord", "Discord", "chat", _("Quit Discord."),
      windows=("Discord.exe",), macos=("Discord",), linux=("discord", "Discord")),
    F("slack", "Slack", "chat", _("Quit Slack."),
      windows=("slack.exe",), macos=("Slack",), linux=("slack",)),
    # --- remote control
    F("teamviewer", "TeamViewer", "remote_control",
      _("Quit TeamViewer and stop its background service."),
      windows=("TeamViewer.exe", "TeamViewer_Service.exe", "tv_w32.exe", "tv_x64.exe"),
      macos=("TeamViewer", "TeamViewer_Desktop", "TeamViewer_Service"),
      linux=("teamviewer", "teamviewerd", "TeamViewer")),
    F("anydesk", "AnyDesk", "remote_control",
      _("Quit AnyDesk, including its icon in the system tray."),
      windows=("AnyDesk.exe",), macos=("AnyDesk",), linux=("anydesk",)),
    F("todesk", "ToDesk", "remote_control",
      _("Quit ToDesk and stop its background service."),
      windows=("ToDesk.exe", "ToDesk_Service.exe", "ToDesk_Session.exe"),
      macos=("ToDesk", "ToDesk_Service"), linux=("todesk", "ToDesk")),
    F("sunlogin", "Sunlogin / 向日葵", "remote_control",
      _("Quit Sunlogin (向日葵) and stop its background service."),
      windows=("SunloginClient.exe", "SunloginService.exe", "SunloginRemote.exe",
               "AweSun.exe"),
      macos=("SunloginClient", "向日葵远程控制", "AweSun"),
      linux=("sunloginclient", "SunloginClient", "sunlogin")),
    F("rustdesk", "RustDesk", "remote_control", _("Quit RustDesk and stop its service."),
      windows=("rustdesk.exe",), macos=("RustDesk", "rustdesk"), linux=("rustdesk",)),
    F("vnc", "VNC server or viewer", "remote_control",
      _("Quit every VNC server and viewer (RealVNC, TightVNC, UltraVNC, TigerVNC…)."),
      windows=("winvnc.exe", "winvnc4.exe", "tvnserver.exe", "vncserver.exe",
               "vncviewer.exe", "tvnviewer.exe", "uvnc_service.exe"),
      macos=("vncserver", "vncviewer", "VNC Viewer", "VNC Server"),
      linux=("x11vnc", "Xvnc", "vncserver", "vncviewer", "Xtigervnc", "tigervncserver",
             "wayvnc", "krfb", "vino-server")),
    F("chrome-remote-desktop", "Chrome Remote Desktop", "remote_control",
      _("Stop Chrome Remote Desktop (remotedesktop.google.com) on this computer."),
      windows=("remoting_host.exe", "remoting_desktop.exe", "remote_assistance_host.exe"),
      macos=("ChromeRemoteDesktopHost", "remoting_me2me_host"),
      linux=("chrome-remote-desktop", "chrome-remote-desktop-host", "remoting_me2me_host",
             "remoting_user_session")),
    F("parsec", "Parsec", "remote_control", _("Quit Parsec."),
      windows=("parsecd.exe",), macos=("Parsec", "parsecd"), linux=("parsecd",)),
    F("oray-pgy", "Oray / 蒲公英 remote tools", "remote_control",
      _("Quit the Oray remote-access tools."),
      windows=("OrayRemoteShell.exe", "OrayRemoteService.exe")),
    # --- screen sharing (meeting apps)
    F("zoom", "Zoom", "screen_sharing",
      _("Quit Zoom. If the exam office asked you to keep a meeting open, ask them "
        "whether it is allowed for this exam."),
      windows=("Zoom.exe", "CptHost.exe"), macos=("zoom.us", "CptHost"),
      linux=("zoom", "ZoomLauncher")),
    F("tencent-meeting", "Tencent Meeting / 腾讯会议", "screen_sharing",
      _("Quit Tencent Meeting (腾讯会议) unless the exam office asked you to keep it."),
      windows=("wemeetapp.exe", "WeMeet.exe", "wemeet.exe"),
      macos=("TencentMeeting", "腾讯会议", "wemeetapp"), linux=("wemeetapp",)),
    F("teams", "Microsoft Teams", "screen_sharing", _("Quit Microsoft Teams."),
      windows=("Teams.exe", "ms-teams.exe"), macos=("Microsoft Teams", "MSTeams"),
      linux=("teams", "teams-for-linux")),
    F("skype", "Skype", "screen_sharing", _("Quit Skype."),
      windows=("Skype.exe",), macos=("Skype",), linux=("skypeforlinux",)),
    F("webex", "Webex", "screen_sharing", _("Quit Webex."),
      windows=("CiscoCollabHost.exe", "atmgr.exe", "webexmta.exe"),
      macos=("Webex", "Cisco Webex Meetings"), linux=("webex",)),
    F("voov", "VooV Meeting", "screen_sharing", _("Quit VooV Meeting."),
      windows=("voovmeetingapp.exe",), macos=("VooV Meeting",)),
    # --- screen recorders
    F("obs", "OBS Studio", "screen_recorder",
      _("Quit OBS Studio (and its virtual camera)."),
      windows=("obs64.exe", "obs32.exe", "obs.exe"), macos=("OBS", "obs"), linux=("obs",)),
    F("bandicam", "Bandicam", "screen_recorder", _("Quit Bandicam."),
      windows=("bdcam.exe", "bandicam.exe")),
    F("camtasia", "Camtasia", "screen_recorder", _("Quit Camtasia and its recorder."),
      windows=("CamtasiaStudio.exe", "CamRecorder.exe", "Camtasia.exe"),
      macos=("Camtasia", "Camtasia 2023", "Camtasia 2024")),
    F("sharex", "ShareX", "screen_recorder", _("Quit ShareX, including its tray icon."),
      windows=("ShareX.exe",)),
    F("snagit", "Snagit", "screen_recorder", _("Quit Snagit."),
      windows=("Snagit32.exe", "SnagitEditor.exe", "SnagitCapture.exe"),
      macos=("Snagit", "Snagit 2024")),
    F("ev-recorder", "EV录屏", "screen_recorder", _("Quit EV录屏 (EV Capture)."),
      windows=("EVCapture.exe",)),
    F("kazam", "Kazam / SimpleScreenRecorder", "screen_recorder",
      _("Quit the screen recorder."),
      linux=("kazam", "simplescreenrecorder", "vokoscreenNG", "peek", "recordmydesktop")),
    # --- virtual cameras
    F("manycam", "ManyCam", "virtual_camera", _("Quit ManyCam."),
      windows=("ManyCam.exe", "ManyCamService.exe"), macos=("ManyCam",)),
    F("obs-virtualcam", "OBS Virtual Camera", "virtual_camera",
      _("Stop the OBS virtual camera and quit OBS."),
      windows=("obs-virtualcam-module.exe", "obs-virtualcam.exe"),
      macos=("com.obsproject.obs-studio.mac-camera-extension",)),
    F("xsplit-vcam", "XSplit VCam", "virtual_camera", _("Quit XSplit VCam."),
      windows=("XSplit.VCam.exe", "VCam.exe", "XSplit.Core.exe"), macos=("XSplit VCam",)),
    F("snap-camera", "Snap Camera", "virtual_camera", _("Quit Snap Camera."),
      windows=("Snap Camera.exe",), macos=("Snap Camera",)),
    F("droidcam", "DroidCam / iVCam / EpocCam", "virtual_camera",
      _("Quit the phone-as-webcam software (DroidCam, iVCam, EpocCam)."),
      windows=("DroidCamApp.exe", "DroidCam.exe", "iVCam.exe", "EpocCamService.exe"),
      macos=("DroidCam", "EpocCam"), linux=("droidcam", "droidcam-cli")),
    F("v4l2loopback-tools", "akvcam / webcamoid", "virtual_camera",
      _("Quit the virtual camera software."), linux=("webcamoid", "akvcam")),
    # --- security suites (they inject into other programs and pop up screens)
    F("tencent-pc-manager", "Tencent PC Manager / 腾讯电脑管家", "security_suite",
      _("Quit Tencent PC Manager (腾讯电脑管家) from its tray icon."),
      windows=("QQPCTray.exe", "QQPCRTP.exe", "QQPCMgr.exe", "QQPCTray_x64.exe",
               "QMDL.exe")),
    F("360", "360 Safe Guard / 360 安全卫士 / 360 杀毒", "security_suite",
      _("Quit 360 Safe Guard and 360 Antivirus from their tray icons."),
      windows=("360Tray.exe", "360sd.exe", "360Safe.exe", "360rp.exe", "ZhuDongFangYu.exe",
               "360SafeBox.exe", "360leakfixer.exe"),
      macos=("360Safe",)),
    F("huorong", "Huorong / 火绒", "security_suite",
      _("Quit the Huorong (火绒) tray icon for the exam."),
      windows=("HipsTray.exe", "HipsMain.exe")),
    F("kingsoft", "Kingsoft Antivirus / 金山毒霸", "security_suite",
      _("Quit Kingsoft Antivirus (金山毒霸) from its tray icon."),
      windows=("kxetray.exe", "kxescore.exe")),
    # --- automation
    F("autohotkey", "AutoHotkey", "browser_automation",
      _("Quit every AutoHotkey script (the green H icon in the tray)."),
      windows=("AutoHotkey.exe", "AutoHotkeyU64.exe", "AutoHotkeyU32.exe",
               "AutoHotkey64.exe", "AutoHotkey32.exe")),
    F("autoit", "AutoIt", "browser_automation", _("Quit every AutoIt script."),
      windows=("AutoIt3.exe", "AutoIt3_x64.exe")),
    F("keyboard-maestro", "Keyboard Maestro", "browser_automation",
      _("Quit Keyboard Maestro and its engine."),
      macos=("Keyboard Maestro", "Keyboard Maestro Engine")),
    F("selenium", "Browser automation drivers", "browser_automation",
      _("Quit the browser automation tools (ChromeDriver, GeckoDriver…)."),
      windows=("chromedriver.exe", "geckodriver.exe", "msedgedriver.exe"),
      macos=("chromedriver", "geckodriver"), linux=("chromedriver", "geckodriver")),
    F("xdotool", "xdotool / AutoKey", "browser_automation", _("Quit AutoKey and xdotool."),
      linux=("xdotool", "autokey-gtk", "autokey-qt")),
)

BY_ID: dict[str, ForbiddenSoftware] = {entry.id: entry for entry in BUILT_IN}
