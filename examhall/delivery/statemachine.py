"""The attempt lifecycle: the one table of allowed transitions.

Each transition is carried out by a service in ``services.py`` through
``transition()``, which locks the row, checks this table and writes an
``AttemptEvent``. Later issues add check and admission states here.
"""

from __future__ import annotations

from examhall.delivery.models import AttemptState as S

TRANSITIONS: dict[tuple[str, str], str] = {
    (S.REGISTERED, S.CHECKING): "begin checks",
    (S.CHECKING, S.READY): "every required check passed",
    (S.READY, S.CHECKING): "a required check no longer passes",
    (S.READY, S.IN_PROGRESS): "start",
    (S.IN_PROGRESS, S.PAUSED): "pause",
    (S.PAUSED, S.IN_PROGRESS): "resume",
    (S.IN_PROGRESS, S.SUBMITTED): "submit",
    (S.PAUSED, S.SUBMITTED): "submit while paused",
    (S.SUBMITTED, S.GRADED): "graded",
    **{
        (state, S.VOIDED): "void"
        for state in (S.REGISTERED, S.CHECKING, S.READY, S.IN_PROGRESS, S.PAUSED, S.SUBMITTED,
                      S.GRADED)
    },
}

TERMINAL_STATES = frozenset({S.VOIDED})
STARTED_STATES = frozenset({S.IN_PROGRESS, S.PAUSED, S.SUBMITTED, S.GRADED})
FINISHED_STATES = frozenset({S.SUBMITTED, S.GRADED, S.VOIDED})


def is_allowed(from_state: str, to_state: str) -> bool:
    return (from_state, to_state) in TRANSITIONS
