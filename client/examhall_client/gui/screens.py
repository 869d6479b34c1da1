"""The screens before the exam: connecting, an error with "try again", "please update",
and the environment check (each problem with what to do; "enter exam" only when every
check passes)."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QFrame,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QScrollArea,
    QSizePolicy,
    QVBoxLayout,
    QWidget,
)

from examhall_client import i18n
from examhall_client.gui.texts import text

CHECKS = ("processes", "displays", "virtual_machine", "remote_session", "battery")

STYLE = """
QWidget#screen { background: #f3f5f8; }
QFrame#card { background: #ffffff; border: 1px solid #dfe3ea; border-radius: 10px; }
QLabel { color: #1f2933; font-size: 15px; }
QLabel#brand { color: #52606d; font-size: 14px; letter-spacing: 1px; }
QLabel#title { font-size: 24px; font-weight: 600; color: #102a43; }
QLabel#intro { color: #52606d; font-size: 15px; }
QLabel#summary-ok { color: #1e6b3a; background: #e6f4ea; border-radius: 6px; padding: 10px 14px;
                    font-size: 16px; font-weight: 600; }
QLabel#summary-bad { color: #8a1c1c; background: #fdecea; border-radius: 6px; padding: 10px 14px;
                     font-size: 16px; font-weight: 600; }
QLabel#row-title { font-size: 16px; font-weight: 600; }
QLabel#row-detail { color: #52606d; font-size: 14px; }
QLabel#problem { color: #8a1c1c; font-size: 15px; font-weight: 600; }
QLabel#warning { color: #8a5a00; font-size: 15px; font-weight: 600; }
QLabel#advice { color: #1f2933; font-size: 14px; }
QLabel#badge-ok { color: #ffffff; background: #2f8f4e; border-radius: 14px; font-size: 16px;
                  font-weight: 700; }
QLabel#badge-bad { color: #ffffff; background: #c62828; border-radius: 14px; font-size: 16px;
                   font-weight: 700; }
QLabel#badge-warn { color: #ffffff; background: #d48806; border-radius: 14px; font-size: 16px;
                    font-weight: 700; }
QLabel#footer { color: #7b8794; font-size: 13px; }
QFrame#row { border-top: 1px solid #edf0f4; }
QPushButton { font-size: 16px; padding: 9px 26px; border-radius: 6px; border: 1px solid #bcccdc;
              background: #ffffff; color: #243b53; }
QPushButton:hover { background: #f0f4f8; }
QPushButton:disabled { color: #9aa5b1; background: #f0f2f5; border-color: #e1e5ea; }
QPushButton#primary { background: #1d4ed8; border-color: #1d4ed8; color: #ffffff;
                      font-weight: 600; }
QPushButton#primary:hover { background: #1e40af; }
QPushButton#primary:disabled { background: #b6c3dd; border-color: #b6c3dd; color: #f5f7fa; }
"""


def _field(problem: Any, name: str) -> Any:
    if isinstance(problem, dict):
        return problem.get(name)
    return getattr(problem, name, None)


def _label(value: str, name: str, *, wrap: bool = True) -> QLabel:
    label = QLabel(value)
    label.setObjectName(name)
    label.setWordWrap(wrap)
    label.setTextInteractionFlags(Qt.TextInteractionFlag.NoTextInteraction)
    return label


class Screen(QWidget):
    """A centred white card on a calm grey page."""

    def __init__(self, language: str) -> None:
        super().__init__()
        self.language = language
        self.setObjectName("screen")
        self.setAttribute(Qt.WidgetAttribute.WA_StyledBackground, True)
        self.setStyleSheet(STYLE)
        outer = QVBoxLayout(self)
        outer.setContentsMargins(24, 20, 24, 20)
        self.card = QFrame()
        self.card.setObjectName("card")
        self.card.setMaximumWidth(760)
        self.card.setSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Maximum)
        centre = QHBoxLayout()
        centre.addStretch(1)
        centre.addWidget(self.card, 10)
        centre.addStretch(1)
        outer.addStretch(1)
        outer.addLayout(centre)
        outer.addStretch(2)
        self.body = QVBoxLayout(self.card)
        self.body.setContentsMargins(40, 32, 40, 28)
        self.body.setSpacing(14)
        self.body.addWidget(_label(text("window_title", language), "brand"))

    def t(self, key: str, **values: object) -> str:
        return text(key, self.language, **values)

    def buttons(self, *buttons: QPushButton) -> QHBoxLayout:
        row = QHBoxLayout()
        row.setSpacing(12)
        row.addStretch(1)
        for button in buttons:
            button.setCursor(Qt.CursorShape.PointingHandCursor)
            button.setMinimumHeight(42)
            row.addWidget(button)
        return row


class MessageScreen(Screen):
    """Connecting / cannot connect / please update: a title, a text, buttons."""

    def __init__(self, language: str, title: str, body: str = "", *,
                 link: str | None = None, detail: str = "",
                 actions: Iterable[tuple[str, Callable[[], None], bool]] = ()) -> None:
        super().__init__(language)
        self.setObjectName("screen")
        self.body.addWidget(_label(title, "title"))
        if body:
            self.body.addWidget(_label(body, "intro"))
        if link:
            anchor = _label(f'<a style="color: #1d4ed8" href="{link}">{link}</a>', "advice")
            anchor.setTextInteractionFlags(Qt.TextInteractionFlag.TextBrowserInteraction)
            anchor.setOpenExternalLinks(True)
            self.body.addWidget(anchor)
        if detail:  # the technical reason, for the exam staff
            self.body.addWidget(_label(detail, "footer"))
        buttons = []
        for caption, callback, primary in actions:
            button = QPushButton(caption)
            if primary:
                button.setObjectName("primary")
            button.clicked.connect(callback)
            buttons.append(button)
        if buttons:
            self.body.addSpacing(10)
            self.body.addLayout(self.buttons(*buttons))


class CheckScreen(Screen):
    """The environment check: one row per check, its problems with what to do."""

    def __init__(self, language: str, *, exam_name: str, server: str, version: str,
                 on_recheck: Callable[[], None], on_enter: Callable[[], None],
                 on_quit: Callable[[], None]) -> None:
        super().__init__(language)
        self.body.addWidget(_label(f"{exam_name} · {self.t('check_title')}", "title"))
        self.body.addWidget(_label(self.t("check_intro"), "intro"))
        self.summary = _label(self.t("checking"), "summary-ok")
        self.body.addWidget(self.summary)
        self.rows_host = QWidget()
        self.rows = QVBoxLayout(self.rows_host)
        self.rows.setContentsMargins(0, 0, 0, 0)
        self.rows.setSpacing(0)
        scroll = QScrollArea()
        scroll.setWidget(self.rows_host)
        scroll.setWidgetResizable(True)
        scroll.setFrameShape(QFrame.Shape.NoFrame)
        scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        scroll.setMinimumHeight(400)
        scroll.setStyleSheet(
            "QScrollArea, QScrollArea > QWidget > QWidget { background: #ffffff; }"
            "QScrollBar:vertical { background: #f3f5f8; width: 8px; border: none;"
            " border-radius: 4px; }"
            "QScrollBar::handle:vertical { background: #bcccdc; border-radius: 4px;"
            " min-height: 30px; }"
            "QScrollBar::add-line:vertical, QScrollBar::sub-line:vertical { height: 0; }"
            "QScrollBar::add-page:vertical, QScrollBar::sub-page:vertical"
            " { background: none; }")
        self.body.addWidget(scroll)
        self.recheck_button = QPushButton(self.t("check_again"))
        self.enter_button = QPushButton(self.t("enter_exam"))
        self.enter_button.setObjectName("primary")
        self.enter_button.setEnabled(False)
        self.quit_button = QPushButton(self.t("quit"))
        self.recheck_button.clicked.connect(on_recheck)
        self.enter_button.clicked.connect(on_enter)
        self.quit_button.clicked.connect(on_quit)
        self.body.addLayout(self.buttons(self.quit_button, self.recheck_button,
                                         self.enter_button))
        self.footer = _label(f"{self.t('version', version=version)}    "
                             f"{self.t('server', server=server)}", "footer")
        self.body.addWidget(self.footer)

    def checking(self) -> None:
        self.summary.setObjectName("summary-ok")
        self.summary.setText(self.t("checking"))
        self.summary.setStyleSheet(STYLE)
        self.recheck_button.setEnabled(False)
        self.enter_button.setEnabled(False)

    def show_report(self, passed: bool, problems: list[Any],
                    facts: dict[str, Any] | None = None) -> None:
        while self.rows.count():
            item = self.rows.takeAt(0)
            if item.widget() is not None:
                item.widget().deleteLater()
        blocking = [p for p in problems if _field(p, "blocking")]
        for check in CHECKS + tuple(sorted({str(_field(p, "check")) for p in problems}
                                           - set(CHECKS))):
            mine = [p for p in problems if _field(p, "check") == check]
            row = self._row(check, mine, facts or {})
            self.rows.addWidget(row)
            row.show()
        self.rows.addStretch(1)
        if passed:
            self.summary.setObjectName("summary-ok")
            self.summary.setText("✓  " + self.t("all_passed"))
        else:
            self.summary.setObjectName("summary-bad")
            self.summary.setText("✕  " + self.t("some_failed", n=len(blocking)))
        self.summary.setStyleSheet(STYLE)  # re-polish for the new object name
        self.recheck_button.setEnabled(True)
        self.enter_button.setEnabled(passed)
        self.setProperty("passed", passed)

    def _ok_text(self, check: str, facts: dict[str, Any]) -> str | None:
        """What a passed check found (the same words as ``examhall-client check``)."""
        language = self.language
        if check == "displays":
            count = facts.get("display_count")
            if count is None:
                return i18n.t("ok.displays_unknown", language)
            return i18n.t("ok.displays", language, count=count)
        if check == "battery":
            percent = facts.get("battery_percent")
            if percent is None:
                return i18n.t("ok.battery_none", language)
            key = "ok.battery_charging" if facts.get("charging") else "ok.battery"
            return i18n.t(key, language, percent=percent)
        if check == "virtual_machine" and facts.get("virtual_machine"):
            return i18n.t("ok.virtual_machine_allowed", language,
                          evidence="; ".join(facts.get("vm_evidence") or []))
        if check == "remote_session" and facts.get("remote_session"):
            return i18n.t("ok.remote_session_allowed", language)
        if f"ok.{check}" in i18n.CATALOGUE:
            return i18n.t(f"ok.{check}", language)
        return None

    def _row(self, check: str, problems: list[Any], facts: dict[str, Any]) -> QFrame:
        row = QFrame()
        row.setObjectName("row")
        layout = QHBoxLayout(row)
        layout.setContentsMargins(4, 12, 4, 12)
        layout.setSpacing(14)
        blocking = any(_field(p, "blocking") for p in problems)
        badge = _label("✕" if blocking else ("!" if problems else "✓"),
                       "badge-bad" if blocking else ("badge-warn" if problems else "badge-ok"),
                       wrap=False)
        badge.setFixedSize(28, 28)
        badge.setAlignment(Qt.AlignmentFlag.AlignCenter)
        layout.addWidget(badge, 0, Qt.AlignmentFlag.AlignTop)
        column = QVBoxLayout()
        column.setSpacing(4)
        title_key = f"check_{check}"
        try:
            title = self.t(title_key)
        except KeyError:
            title = check
        column.addWidget(_label(title, "row-title"))
        if not problems:
            detail = self._ok_text(check, facts)
            if detail:
                column.addWidget(_label(detail, "row-detail"))
        for problem in problems:
            name = "problem" if _field(problem, "blocking") else "warning"
            heading = str(_field(problem, "title") or _field(problem, "code") or "")
            if not _field(problem, "blocking"):
                heading = f"{heading}（{self.t('warning_only')}）" if self.language.startswith(
                    "zh") else f"{heading} ({self.t('warning_only')})"
            column.addWidget(_label(heading, name))
            advice = _field(problem, "advice")
            if advice:
                column.addWidget(_label(self.t("what_to_do") + str(advice), "advice"))
        layout.addLayout(column, 1)
        row.setProperty("check", check)
        row.setProperty("passed", not blocking)
        return row
