"""Delivery writes: candidate sign-in, the attempt's transitions, answers, expiry.

Split by topic; callers import from here.
"""

from examhall.delivery.services.answers import AnswerChange, SaveReceipt, answers_save
from examhall.delivery.services.attempts import (
    MAX_EXTENSION_MINUTES,
    Step,
    attempt_allow_reentry,
    attempt_extend,
    attempt_mark_graded,
    attempt_pause,
    attempt_refresh_checks,
    attempt_resume,
    attempt_start,
    attempt_submit,
    attempt_void,
    submit_expired_attempts,
    transition,
)
from examhall.delivery.services.login import LoginResult, candidate_login

__all__ = [
    "MAX_EXTENSION_MINUTES",
    "AnswerChange",
    "LoginResult",
    "SaveReceipt",
    "Step",
    "answers_save",
    "attempt_allow_reentry",
    "attempt_extend",
    "attempt_mark_graded",
    "attempt_pause",
    "attempt_refresh_checks",
    "attempt_resume",
    "attempt_start",
    "attempt_submit",
    "attempt_void",
    "candidate_login",
    "submit_expired_attempts",
    "transition",
]
