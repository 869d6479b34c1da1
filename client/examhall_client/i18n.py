"""The client's own texts in Simplified Chinese (the default) and English.

The advice for forbidden processes comes from the server's policy (already in the language
the policy was fetched in); every other text the client shows comes from this catalogue.
Texts may hold ``str.format`` fields, filled by the keyword arguments of ``t()``.
"""

from __future__ import annotations

import os
import sys

ZH = "zh_Hans"
EN = "en"
LANGUAGES = (ZH, EN)
DEFAULT_LANGUAGE = ZH

CATALOGUE: dict[str, dict[str, str]] = {
    # The checks, as the report and the GUI name them.
    "check.processes": {ZH: "禁止运行的程序", EN: "Forbidden programs"},
    "check.displays": {ZH: "显示器", EN: "Displays"},
    "check.virtual_machine": {ZH: "虚拟机", EN: "Virtual machine"},
    "check.remote_session": {ZH: "远程桌面", EN: "Remote desktop"},
    "check.battery": {ZH: "电池电量", EN: "Battery"},
    "check.policy": {ZH: "考试配置", EN: "Exam settings"},
    # What a passed check says.
    "ok.processes": {ZH: "没有发现禁止运行的程序", EN: "No forbidden program is running"},
    "ok.displays": {ZH: "已连接 {count} 台显示器", EN: "{count} display(s) connected"},
    "ok.displays_unknown": {
        ZH: "无法读取显示器数量（考试中将继续检测）",
        EN: "The number of displays could not be read (it is checked again during the exam)",
    },
    "ok.virtual_machine": {ZH: "未发现虚拟机", EN: "Not running in a virtual machine"},
    "ok.virtual_machine_allowed": {
        ZH: "检测到虚拟机，本场考试允许（{evidence}）",
        EN: "A virtual machine, allowed in this exam ({evidence})",
    },
    "ok.remote_session_allowed": {
        ZH: "检测到远程连接，本场考试允许",
        EN: "A remote session, allowed in this exam",
    },
    "ok.remote_session": {ZH: "未发现远程桌面连接", EN: "No remote desktop session"},
    "ok.battery": {ZH: "电量 {percent}%", EN: "Battery at {percent}%"},
    "ok.battery_charging": {ZH: "电量 {percent}%，正在充电", EN: "Battery at {percent}%, charging"},
    "ok.battery_none": {ZH: "使用外接电源", EN: "On mains power"},
    # Problems: a title and what to do.
    "too_many_displays.title": {
        ZH: "连接了 {count} 台显示器（最多允许 {max}）",
        EN: "{count} displays are connected (at most {max} allowed)",
    },
    "too_many_displays.advice": {
        ZH: "请拔掉多余的显示器、投影仪或电视的连接线，只保留一台显示器，然后点击“重新检测”。",
        EN: "Unplug the extra monitors, projectors or TVs so that only one display is left, "
        "then check again.",
    },
    "mirrored_display.title": {
        ZH: "屏幕正在被复制到另一台显示器或投影仪",
        EN: "The screen is mirrored to another display or projector",
    },
    "mirrored_display.advice": {
        ZH: "请关闭屏幕镜像/复制（Windows：Win+P 选择“仅电脑屏幕”；macOS：系统设置 > 显示器），"
        "并拔掉投影仪或第二台显示器。",
        EN: "Turn off mirroring (Windows: Win+P, \"PC screen only\"; macOS: System Settings > "
        "Displays) and unplug the projector or second display.",
    },
    "virtual_machine.title": {
        ZH: "考试客户端运行在虚拟机中",
        EN: "The exam client is running in a virtual machine",
    },
    "virtual_machine.advice": {
        ZH: "本场考试不允许使用虚拟机。请在真实的电脑上直接安装并运行考试客户端。",
        EN: "Virtual machines are not allowed in this exam. Install and run the exam client "
        "directly on a real computer.",
    },
    "virtual_machine.advice_warn": {
        ZH: "已记录此情况，监考员会看到。如果这不是您本人的电脑，请联系考务人员。",
        EN: "This has been noted for the proctors. If this is not your own computer, contact "
        "the exam office.",
    },
    "remote_session.title": {
        ZH: "这台电脑正在被远程连接",
        EN: "This computer is being used through a remote connection",
    },
    "remote_session.advice": {
        ZH: "请断开远程桌面/远程协助连接，坐在这台电脑前直接参加考试。",
        EN: "Disconnect the remote desktop or remote assistance session and take the exam "
        "sitting at this computer.",
    },
    "remote_session.advice_warn": {
        ZH: "已记录此情况，监考员会看到。考试期间请勿让他人远程操作这台电脑。",
        EN: "This has been noted for the proctors. Do not let anyone control this computer "
        "remotely during the exam.",
    },
    "battery_low.title": {
        ZH: "电池电量只有 {percent}%（至少需要 {min}%）",
        EN: "The battery is at {percent}% (at least {min}% needed)",
    },
    "battery_low.advice": {
        ZH: "请连接电源适配器并保持充电，然后点击“重新检测”。",
        EN: "Plug in the power adapter and keep it charging, then check again.",
    },
    "battery_low.advice_unknown_plug": {
        ZH: "无法确定是否正在充电。请连接电源适配器并保持充电。",
        EN: "Whether the battery is charging could not be read. Plug in the power adapter and "
        "keep it charging.",
    },
    "policy_unreachable.title": {
        ZH: "无法连接考试服务器",
        EN: "The exam server cannot be reached",
    },
    "policy_unreachable.advice": {
        ZH: "请检查网络连接和考试服务器地址，稍后重试。如仍无法连接，请联系考务人员。",
        EN: "Check the network connection and the exam server address, then try again. If it "
        "still fails, contact the exam office.",
    },
    "policy_not_found.title": {
        ZH: "找不到这场考试",
        EN: "This exam cannot be found",
    },
    "policy_not_found.advice": {
        ZH: "请核对考试代码；考试可能尚未发布。",
        EN: "Check the exam code; the exam may not be published yet.",
    },
    "policy_invalid.title": {
        ZH: "考试服务器返回的配置无法识别",
        EN: "The exam server sent settings this client cannot read",
    },
    "policy_invalid.advice": {
        ZH: "请下载最新版本的考试客户端；如仍有问题，请联系考务人员。",
        EN: "Download the latest exam client; if the problem remains, contact the exam office.",
    },
    "client_outdated.title": {
        ZH: "客户端版本过低，请下载新版本",
        EN: "This client is too old, please download the new version",
    },
    "client_outdated.advice": {
        ZH: "当前版本 {version}，本场考试至少需要 {min_version}。请从 {url} 下载并安装新版本。",
        EN: "This is version {version}; the exam needs at least {min_version}. Download and "
        "install the new version from {url}.",
    },
    # The terminal report (examhall-client check).
    "cli.heading": {
        ZH: "ExamHall 考试客户端 {version} — 考试环境检测",
        EN: "ExamHall exam client {version} — environment check",
    },
    "cli.exam": {ZH: "考试", EN: "Exam"},
    "cli.server": {ZH: "服务器", EN: "Server"},
    "cli.checked_at": {ZH: "检测时间", EN: "Checked at"},
    "cli.what_to_do": {ZH: "怎么办", EN: "What to do"},
    "cli.warning": {ZH: "提醒", EN: "Note"},
    "cli.pass": {
        ZH: "PASS 通过：考试环境检测通过，可以进入考试。",
        EN: "PASS: the environment check passed, you may enter the exam.",
    },
    "cli.fail": {
        ZH: "FAIL 未通过：有 {count} 个问题需要处理，处理后请重新检测。",
        EN: "FAIL: {count} problem(s) must be fixed; check again afterwards.",
    },
    "cli.fail_policy": {
        ZH: "FAIL 未通过：无法开始检测。",
        EN: "FAIL: the check could not start.",
    },
    "cli.missing_server_exam": {
        ZH: "缺少考试服务器地址或考试代码（--server、--exam，或 examhall-client.json）。",
        EN: "The exam server or exam code is missing (--server, --exam, or "
        "examhall-client.json).",
    },
    # The GUI (helper G's screens).
    "gui.window_title": {ZH: "ExamHall 考试客户端", EN: "ExamHall exam client"},
    "gui.check_again": {ZH: "重新检测", EN: "Check again"},
    "gui.enter_exam": {ZH: "进入考试", EN: "Enter exam"},
    "gui.quit": {ZH: "退出", EN: "Quit"},
    "gui.retry": {ZH: "重试", EN: "Try again"},
    "gui.loading_policy": {ZH: "正在连接考试服务器…", EN: "Connecting to the exam server…"},
    "gui.outdated": {
        ZH: "客户端版本过低，请下载新版本",
        EN: "This client is too old, please download the new version",
    },
    "gui.unreachable": {ZH: "无法连接考试服务器", EN: "The exam server cannot be reached"},
    "gui.checking": {
        ZH: "正在检测考试环境…",
        EN: "Checking your computer…",
    },
    "gui.check_title": {
        ZH: "考试环境检测",
        EN: "Environment check",
    },
    "gui.check_intro": {
        ZH: "进入考试前，请按提示处理下列问题。全部检测通过后才能进入考试。",
        EN: "Before you enter the exam, fix the problems listed below. You can enter the "
        "exam once every check passes.",
    },
    "gui.all_passed": {
        ZH: "检测通过，可以进入考试。",
        EN: "Every check passed. You may enter the exam.",
    },
    "gui.some_failed": {
        ZH: "有 {n} 项需要处理。处理后请点击“重新检测”。",
        EN: "{n} item(s) need your attention. Fix them, then choose “Check again”.",
    },
    "gui.what_to_do": {
        ZH: "处理方法：",
        EN: "What to do: ",
    },
    "gui.warning_only": {
        ZH: "提示（不影响进入考试）",
        EN: "Notice (does not block entry)",
    },
    "gui.version": {
        ZH: "客户端版本 {version}",
        EN: "Client version {version}",
    },
    "gui.server": {
        ZH: "考试服务器 {server}",
        EN: "Exam server {server}",
    },
    "gui.unreachable_body": {
        ZH: "请检查网络连接后点击“重试”。如果问题持续，请联系考点工作人员。",
        EN: "Check your network connection, then choose “Try again”. If the problem "
        "persists, ask the exam staff.",
    },
    "gui.outdated_title": {
        ZH: "请更新考试客户端",
        EN: "Please update the exam client",
    },
    "gui.outdated_body": {
        ZH: "本场考试需要 {required} 或更高版本的考试客户端，当前版本为 {current}。"
        "请从下面的地址下载并安装新版本：",
        EN: "This exam needs exam client {required} or later; this one is {current}. "
        "Download and install the new version from:",
    },
    "gui.confirm_quit_title": {
        ZH: "退出考试客户端？",
        EN: "Quit the exam client?",
    },
    "gui.confirm_quit_body": {
        ZH: "考试尚未结束。退出后考试计时不会暂停，监考员会看到您离开了考试。确定要退出吗？",
        EN: "The exam is not over. Its time keeps running and the proctor will see that "
        "you left. Quit anyway?",
    },
    "gui.confirm_quit_yes": {
        ZH: "退出",
        EN: "Quit",
    },
    "gui.confirm_quit_no": {
        ZH: "继续考试",
        EN: "Back to the exam",
    },
}


def normalize_language(value: str | None) -> str:
    """Map a language tag or locale name (``zh-hans``, ``zh_CN``, ``en-US``, ...) to a
    catalogue language; anything unknown gives the default (Simplified Chinese)."""
    if not value:
        return DEFAULT_LANGUAGE
    tag = value.strip().replace("-", "_").lower()
    if tag.startswith("en"):
        return EN
    return DEFAULT_LANGUAGE


def http_language(language: str) -> str:
    """The Accept-Language tag the server (Django) expects for a catalogue language."""
    return "en" if normalize_language(language) == EN else "zh-hans"


def detect_language() -> str:
    """The system's language: ``EXAMHALL_LANGUAGE``, then Windows' user interface language,
    then the POSIX locale variables. The C/POSIX locale and anything unknown give the
    default (Simplified Chinese)."""
    forced = os.environ.get("EXAMHALL_LANGUAGE")
    if forced:
        return normalize_language(forced)
    if sys.platform == "win32":
        try:
            import ctypes

            lang_id = ctypes.windll.kernel32.GetUserDefaultUILanguage()  # type: ignore[attr-defined]
        except (AttributeError, OSError):
            return DEFAULT_LANGUAGE
        return EN if lang_id & 0x3FF == 0x09 else DEFAULT_LANGUAGE  # LANG_ENGLISH
    for name in ("LC_ALL", "LC_MESSAGES", "LANG", "LANGUAGE"):
        value = os.environ.get(name, "").split(":")[0]
        if value:
            if value in ("C", "POSIX") or value.startswith("C."):
                return DEFAULT_LANGUAGE
            return normalize_language(value)
    return DEFAULT_LANGUAGE


LANGUAGE = detect_language()


def t(key: str, language: str | None = None, **params: object) -> str:
    """The text ``key`` in ``language`` (the system's by default), formatted with ``params``.
    Falls back to Chinese, then to the key itself, so a missing text never crashes."""
    texts = CATALOGUE.get(key)
    if texts is None:
        return key
    lang = normalize_language(language) if language else LANGUAGE
    text = texts.get(lang) or texts[DEFAULT_LANGUAGE]
    return text.format(**params) if params else text
