"""The attempt lifecycle: the one table of allowed transitions.

Each transition is carried out by a service in ``services.py`` through
``transition()``, which locks the row, checks this table and writes an
``AttemptEvent``.
"""

from __future__ import annotations

from examhall.delivery.models import AttemptState as S

# Before start the attempt is in the state of the first required check that has not
# passed (device check, identity verification, identity review by a proctor,
# admission by a proctor, or
# plain "checking" for the others), and "ready" once all have.
CHECK_STATES = (S.CHECKING, S.DEVICE_CHECK, S.IDENTITY_CHECK, S.IDENTITY_REVIEW,
                S.AWAITING_ADMISSION)

TRANSITIONS: dict[tuple[str, str], str] = {
    (S.REGISTERED, S.CHECKING): "begin checks",
    **{
        (from_state, to_state): "the first check not passed changed"
        for from_state in CHECK_STATES for to_state in CHECK_STATES if from_state != to_state
    },
    **{(state, S.READY): "every required check passed" for state in CHECK_STATES},
    **{(S.READY, state): "a required check no longer passes" for state in CHECK_STATES},
    (S.READY, S.IN_PROGRESS): "start",
    (S.IN_PROGRESS, S.PAUSED): "pause",
    (S.PAUSED, S.IN_PROGRESS): "resume",
    (S.IN_PROGRESS, S.SUBMITTED): "submit",
    (S.PAUSED, S.SUBMITTED): "submit while paused",
    (S.SUBMITTED, S.GRADED): "graded",
    **{
        (state, S.VOIDED): "void"
        for state in (S.REGISTERED, *CHECK_STATES, S.READY, S.IN_PROGRESS, S.PAUSED,
                      S.SUBMITTED, S.GRADED)
    },
}

TERMINAL_STATES = frozenset({S.VOIDED})
STARTED_STATES = frozenset({S.IN_PROGRESS, S.PAUSED, S.SUBMITTED, S.GRADED})
PRE_START_STATES = frozenset({S.REGISTERED, *CHECK_STATES, S.READY})
FINISHED_STATES = frozenset({S.SUBMITTED, S.GRADED, S.VOIDED})


def is_allowed(from_state: str, to_state: str) -> bool:
    return (from_state, to_state) in TRANSITIONS
