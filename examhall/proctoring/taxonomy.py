"""The flags monitoring raises: what each is called, its category and severity, and
which browser events raise which flag."""

from __future__ import annotations

from dataclasses import dataclass

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from examhall.proctoring.models import BrowserEvent, Flag

C = Flag.Category
S = Flag.Severity


@dataclass(frozen=True)
class FlagType:
    label: str | Promise
    category: str
    severity: str


FLAG_TYPES: dict[str, FlagType] = {
    "identity_mismatch": FlagType(_("Identity mismatch"), C.IDENTITY, S.HIGH),
    "candidate_absent": FlagType(_("No face on the PC camera (candidate absent)"), C.BEHAVIOUR,
                                 S.MEDIUM),
    "several_faces": FlagType(_("Several faces"), C.ENVIRONMENT, S.HIGH),
    "nobody_at_desk": FlagType(_("Nobody at the desk (phone view)"), C.ENVIRONMENT, S.MEDIUM),
    "voice_activity": FlagType(_("Voices heard"), C.ENVIRONMENT, S.LOW),
    "camera_covered": FlagType(_("Camera covered or black"), C.DEVICE, S.HIGH),
    "camera_frozen": FlagType(_("Camera frozen (the same frame again)"), C.DEVICE, S.HIGH),
    "extra_screen": FlagType(_("Extra screen attached"), C.DEVICE, S.HIGH),
    "left_exam_page": FlagType(_("Left the exam page"), C.BEHAVIOUR, S.LOW),
    "fullscreen_left": FlagType(_("Left full screen"), C.BEHAVIOUR, S.LOW),
    "clipboard_used": FlagType(_("Copy, cut or paste"), C.BEHAVIOUR, S.MEDIUM),
    "print_attempted": FlagType(_("Tried to print"), C.BEHAVIOUR, S.MEDIUM),
    "camera_lost": FlagType(_("Camera lost"), C.TECHNICAL, S.MEDIUM),
    # Reported by the exam client during the exam (ADR 0012).
    "forbidden_software": FlagType(_("Forbidden software running"), C.DEVICE, S.HIGH),
    "extra_display": FlagType(_("Extra or mirrored display (exam client)"), C.DEVICE,
                              S.MEDIUM),
    "virtual_machine": FlagType(_("Running in a virtual machine"), C.DEVICE, S.HIGH),
    "remote_session": FlagType(_("Remote desktop session"), C.DEVICE, S.HIGH),
}

E = BrowserEvent.Type
EVENT_FLAGS: dict[str, str] = {
    E.FOCUS_LOST: "left_exam_page",
    E.PAGE_HIDDEN: "left_exam_page",
    E.FULLSCREEN_LEFT: "fullscreen_left",
    E.COPY: "clipboard_used",
    E.CUT: "clipboard_used",
    E.PASTE: "clipboard_used",
    E.PRINT: "print_attempted",
    E.SCREEN_EXTENDED: "extra_screen",
    E.VOICE_ACTIVITY: "voice_activity",
}
"""Browser events that raise a flag; the others (focus regained, right-click…) are only
kept on the timeline."""


def flag_label(flag_type: str) -> str:
    known = FLAG_TYPES.get(flag_type)
    return str(known.label) if known else flag_type
