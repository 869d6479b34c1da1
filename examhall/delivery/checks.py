"""Pre-start checks an exam may require, and the registry later issues fill.

An evaluator looks at server-side records only (never at what the browser
claims) and says whether its check has passed for an attempt.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from django.utils.translation import gettext as _

from examhall.delivery.models import Attempt
from examhall.exams.models import Exam


@dataclass(frozen=True)
class CheckStatus:
    """A check's state for an attempt. ``action_url``/``action_label``: where the
    candidate goes to do it (a page of its own, e.g. identity verification)."""


    name: str
    label: str
    passed: bool
    detail: str
    action_url: str = ""
    action_label: str = ""
    # The attempt's state while this is the first required check not passed
    # (an AttemptState value; empty: plain "checking").
    stage: str = ""


Evaluator = Callable[[Attempt], CheckStatus]
_EVALUATORS: dict[str, Evaluator] = {}


def register_check(name: str) -> Callable[[Evaluator], Evaluator]:
    def decorator(evaluator: Evaluator) -> Evaluator:
        _EVALUATORS[name] = evaluator
        return evaluator

    return decorator


def evaluate_checks(attempt: Attempt) -> list[CheckStatus]:
    labels = dict(Exam.Check.choices)
    statuses = []
    # Admission by a proctor comes after every other check, whatever the list's order.
    names = sorted(attempt.registration.exam.required_checks, key=lambda name: name == "admission")
    for name in names:
        evaluator = _EVALUATORS.get(name)
        if evaluator is None:
            statuses.append(
                CheckStatus(
                    name=name,
                    label=str(labels.get(name, name)),
                    passed=False,
                    detail=_("This check is not available on this server yet. "
                             "Please contact the exam office."),
                )
            )
        else:
            statuses.append(evaluator(attempt))
    return statuses
