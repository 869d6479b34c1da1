"""The GUI's own strings (Simplified Chinese by default, English for development).

The environment problems' titles and advice come from the server's policy (already in the
candidate's language) and from the client core's i18n; these are the screen's labels.
"""

from __future__ import annotations

from examhall_client import i18n

_TEXTS: dict[str, dict[str, str]] = {
    "window_title": {"zh_Hans": "ExamHall 考试客户端", "en": "ExamHall exam client"},
    "loading": {"zh_Hans": "正在连接考试服务器…", "en": "Connecting to the exam server…"},
    "checking": {"zh_Hans": "正在检测考试环境…", "en": "Checking your computer…"},
    "check_title": {"zh_Hans": "考试环境检测", "en": "Environment check"},
    "check_intro": {
        "zh_Hans": "进入考试前，请按提示处理下列问题。全部检测通过后才能进入考试。",
        "en": "Before you enter the exam, fix the problems listed below. You can enter "
              "the exam once every check passes.",
    },
    "all_passed": {"zh_Hans": "检测通过，可以进入考试。",
                   "en": "Every check passed. You may enter the exam."},
    "some_failed": {"zh_Hans": "有 {n} 项需要处理。处理后请点击“重新检测”。",
                    "en": "{n} item(s) need your attention. Fix them, then choose "
                          "“Check again”."},
    "check_again": {"zh_Hans": "重新检测", "en": "Check again"},
    "enter_exam": {"zh_Hans": "进入考试", "en": "Enter exam"},
    "quit": {"zh_Hans": "退出", "en": "Quit"},
    "retry": {"zh_Hans": "重试", "en": "Try again"},
    "what_to_do": {"zh_Hans": "处理方法：", "en": "What to do: "},
    "warning_only": {"zh_Hans": "提示（不影响进入考试）", "en": "Notice (does not block entry)"},
    "version": {"zh_Hans": "客户端版本 {version}", "en": "Client version {version}"},
    "server": {"zh_Hans": "考试服务器 {server}", "en": "Exam server {server}"},
    "check_processes": {"zh_Hans": "禁止运行的程序", "en": "Forbidden programs"},
    "check_displays": {"zh_Hans": "显示器", "en": "Displays"},
    "check_virtual_machine": {"zh_Hans": "虚拟机", "en": "Virtual machine"},
    "check_remote_session": {"zh_Hans": "远程桌面", "en": "Remote desktop"},
    "check_battery": {"zh_Hans": "电源", "en": "Power"},
    "check_policy": {"zh_Hans": "考试规则", "en": "Exam rules"},
    "unreachable_title": {"zh_Hans": "无法连接考试服务器",
                          "en": "The exam server cannot be reached"},
    "unreachable_body": {
        "zh_Hans": "请检查网络连接后点击“重试”。如果问题持续，请联系考点工作人员。",
        "en": "Check your network connection, then choose “Try again”. If the problem "
              "persists, ask the exam staff.",
    },
    "outdated_title": {"zh_Hans": "请更新考试客户端", "en": "Please update the exam client"},
    "outdated_body": {
        "zh_Hans": "本场考试需要 {required} 或更高版本的考试客户端，当前版本为 {current}。"
                   "请从下面的地址下载并安装新版本：",
        "en": "This exam needs exam client {required} or later; this one is {current}. "
              "Download and install the new version from:",
    },
    "confirm_quit_title": {"zh_Hans": "退出考试客户端？", "en": "Quit the exam client?"},
    "confirm_quit_body": {
        "zh_Hans": "考试尚未结束。退出后考试计时不会暂停，监考员会看到您离开了考试。"
                   "确定要退出吗？",
        "en": "The exam is not over. Its time keeps running and the proctor will see that "
              "you left. Quit anyway?",
    },
    "confirm_quit_yes": {"zh_Hans": "退出", "en": "Quit"},
    "confirm_quit_no": {"zh_Hans": "继续考试", "en": "Back to the exam"},
}


# Labels the client core's catalogue (examhall_client.i18n) already has: one wording for
# the terminal and the window.
_CORE_KEYS = {
    "window_title": "gui.window_title", "check_again": "gui.check_again",
    "enter_exam": "gui.enter_exam", "quit": "gui.quit", "retry": "gui.retry",
    "loading": "gui.loading_policy", "unreachable_title": "gui.unreachable",
    "check_processes": "check.processes", "check_displays": "check.displays",
    "check_virtual_machine": "check.virtual_machine", "check_remote_session":
    "check.remote_session", "check_battery": "check.battery", "check_policy": "check.policy",
}


def text(key: str, language: str, **values: object) -> str:
    """The label ``key`` in ``language`` (Simplified Chinese when unknown)."""
    core = _CORE_KEYS.get(key)
    if core is not None and core in i18n.CATALOGUE:
        return i18n.t(core, language, **values)
    entry = _TEXTS[key]
    value = entry.get(language) or entry.get(language.split("_")[0]) or entry["zh_Hans"]
    return value.format(**values) if values else value
