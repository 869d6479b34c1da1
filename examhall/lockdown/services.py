"""Writes of the lockdown app: client policies (key rotation) and environment reports.

A report is stored with what changed since the attempt's previous one. During the exam
a problem that appears raises a proctoring flag (``forbidden_software``,
``extra_display``, ``virtual_machine``, ``remote_session``); one that persists keeps
its episode going; one that disappears ends it (its last time) and is recorded as
resolved. Before the start, a report re-evaluates the attempt's checks at once.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from django.db import transaction
from django.utils.translation import gettext as _

from examhall.core import clock
from examhall.core.errors import ApplicationError
from examhall.core.realtime import send_event_on_commit
from examhall.delivery import services as delivery_services
from examhall.delivery import statemachine
from examhall.delivery.models import Attempt, AttemptState
from examhall.lockdown import selectors, signature
from examhall.lockdown.models import ClientEnvironmentReport, ClientPolicy
from examhall.proctoring import selectors as proctoring_selectors
from examhall.proctoring import services as proctoring_services

IN_EXAM_STATES = frozenset({AttemptState.IN_PROGRESS, AttemptState.PAUSED})

FLAG_FOR_CODE = {
    "forbidden_process": "forbidden_software",
    "too_many_displays": "extra_display",
    "mirrored_display": "extra_display",
    "virtual_machine": "virtual_machine",
    "remote_session": "remote_session",
}
"""Problems that raise a flag during the exam (battery, policy and version problems are
the candidate's to fix, recorded but not flagged)."""


def client_policy_rotate_key(*, policy: ClientPolicy) -> ClientPolicy:
    """A new client key: clients fetch it with the policy; requests signed with the old
    one are refused from now on."""
    policy.client_key = signature.generate_key()
    policy.save(update_fields=["client_key", "updated_at"])
    return policy


@dataclass(frozen=True)
class Problem:
    check: str
    code: str
    subject: str
    title: str
    advice: str
    blocking: bool

    @property
    def key(self) -> tuple[str, str, str]:
        return (self.check, self.code, self.subject)

    def as_dict(self) -> dict[str, Any]:
        return {"check": self.check, "code": self.code, "subject": self.subject,
                "title": self.title, "advice": self.advice, "blocking": self.blocking}


@dataclass(frozen=True)
class EnvironmentReportIn:
    client_version: str
    os: str
    checked_at: dt.datetime
    passed: bool
    problems: list[Problem]
    facts: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class EnvironmentOutcome:
    report: ClientEnvironmentReport
    in_exam: bool
    appeared: list[Problem]
    resolved: list[Problem]


def _problems(rows: list[dict[str, Any]]) -> list[Problem]:
    return [Problem(check=str(row.get("check", "")), code=str(row.get("code", "")),
                    subject=str(row.get("subject", "")), title=str(row.get("title", "")),
                    advice=str(row.get("advice", "")), blocking=bool(row.get("blocking")))
            for row in rows if isinstance(row, dict)]


def _changes(previous: ClientEnvironmentReport | None, current: list[Problem]
             ) -> tuple[list[Problem], list[Problem]]:
    earlier = _problems(previous.problems) if previous else []
    before = {problem.key: problem for problem in earlier}
    now_keys = {problem.key for problem in current}
    appeared = [problem for problem in current if problem.key not in before]
    resolved = [problem for key, problem in before.items() if key not in now_keys]
    return appeared, resolved


def _flag_details(flag_type: str, problems: list[Problem]) -> dict[str, Any]:
    related = [p for p in problems if FLAG_FOR_CODE.get(p.code) == flag_type]
    return {"source": "exam_client", "problems": [p.as_dict() for p in related]}


def _record_flags(attempt: Attempt, *, policy: ClientPolicy, current: list[Problem],
                  appeared: list[Problem], resolved: list[Problem], now: dt.datetime) -> None:
    gap = 2 * policy.recheck_interval_seconds + 30
    raised = {FLAG_FOR_CODE[p.code] for p in appeared if p.code in FLAG_FOR_CODE}
    for flag_type in sorted(raised):
        proctoring_services.flag_raise(
            attempt_id=attempt.pk, flag_type=flag_type, at=now, gap_seconds=gap,
            occurrences=sum(1 for p in appeared if FLAG_FOR_CODE.get(p.code) == flag_type),
            details=_flag_details(flag_type, current))
    # Still there, or just gone: the episode's last time moves on (gone: it ends here).
    ongoing = {FLAG_FOR_CODE[p.code] for p in (*current, *resolved) if p.code in FLAG_FOR_CODE}
    for flag_type in sorted(ongoing - raised):
        flag = proctoring_selectors.open_flag(attempt_id=attempt.pk, flag_type=flag_type)
        if flag is not None:
            proctoring_services.flag_touch(flag=flag, at=now)


def environment_report_record(*, attempt: Attempt, report: EnvironmentReportIn
                              ) -> EnvironmentOutcome:
    """Store what the exam client found; during the exam, raise and end flags for the
    problems that appeared and disappeared; before the start, re-evaluate the checks."""
    if attempt.state in statemachine.FINISHED_STATES:
        raise ApplicationError("attempt_finished", _("This attempt has ended."), status=409)
    now = clock.now()
    policy = selectors.policy_for_exam(attempt.registration.exam)
    with transaction.atomic():
        locked = Attempt.objects.select_for_update().get(pk=attempt.pk)
        previous = selectors.latest_report(attempt=locked)
        appeared, resolved = _changes(previous, report.problems)
        row = ClientEnvironmentReport.objects.create(
            attempt=locked, received_at=now, attempt_state=locked.state,
            client_version=report.client_version, os=report.os,
            checked_at=report.checked_at, passed=report.passed,
            problems=[p.as_dict() for p in report.problems], facts=report.facts,
            appeared=[p.as_dict() for p in appeared],
            resolved=[p.as_dict() for p in resolved])
        in_exam = locked.state in IN_EXAM_STATES
        if in_exam and policy is not None and policy.requires_client:
            _record_flags(locked, policy=policy, current=report.problems, appeared=appeared,
                          resolved=resolved, now=now)
        if appeared or resolved:
            send_event_on_commit(
                f"room.{attempt.registration.room_id}",
                {"kind": "lockdown.environment", "attempt": str(attempt.pk),
                 "passed": report.passed, "appeared": [p.as_dict() for p in appeared],
                 "resolved": [p.as_dict() for p in resolved]})
    if locked.state in statemachine.PRE_START_STATES:
        delivery_services.attempt_refresh_checks(attempt_id=attempt.pk)
    return EnvironmentOutcome(report=row, in_exam=in_exam, appeared=appeared,
                              resolved=resolved)
