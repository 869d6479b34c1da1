"""The environment report: every check run once, in the contract's JSON shape."""

from __future__ import annotations

import json
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from typing import Any

from examhall_client import __version__
from examhall_client.checks import (
    ALL_CHECKS,
    POLICY,
    Problem,
    forbidden_running,
    remote_session_evidence,
    vm_evidence,
)
from examhall_client.i18n import t
from examhall_client.policy import NOT_FOUND, UNREACHABLE, ClientPolicy
from examhall_client.probe import MachineFacts, Probe, SystemProbe, current_os

SCHEMA = 1


def _now() -> str:
    return datetime.now(UTC).replace(microsecond=0).isoformat().replace("+00:00", "Z")


@dataclass(frozen=True)
class EnvironmentReport:
    os: str
    problems: tuple[Problem, ...]
    facts: dict[str, Any] = field(default_factory=dict)
    checked_at: str = field(default_factory=_now)
    client_version: str = __version__
    schema: int = SCHEMA

    @property
    def passed(self) -> bool:
        return not any(problem.blocking for problem in self.problems)

    @property
    def blocking(self) -> tuple[Problem, ...]:
        return tuple(p for p in self.problems if p.blocking)

    @property
    def warnings(self) -> tuple[Problem, ...]:
        return tuple(p for p in self.problems if not p.blocking)

    def to_dict(self) -> dict[str, Any]:
        return {
            "schema": self.schema,
            "client_version": self.client_version,
            "os": self.os,
            "checked_at": self.checked_at,
            "passed": self.passed,
            "problems": [problem.to_dict() for problem in self.problems],
            "facts": dict(self.facts),
        }

    def to_json(self, *, indent: int | None = None) -> str:
        return json.dumps(self.to_dict(), ensure_ascii=False, indent=indent)


def _ordered(problems: list[Problem]) -> tuple[Problem, ...]:
    """Blocking problems first; otherwise the checks' order (sorted() is stable)."""
    return tuple(sorted(problems, key=lambda problem: not problem.blocking))


def report_facts(policy: ClientPolicy, facts: MachineFacts) -> dict[str, Any]:
    displays = facts.displays
    battery = facts.battery
    evidence = vm_evidence(facts)
    return {
        "forbidden_running": forbidden_running(policy, facts),
        "display_count": None if displays is None else len(displays),
        "mirrored": None if displays is None else any(bool(d.mirrored) for d in displays),
        "virtual_machine": bool(evidence),
        "vm_evidence": evidence,
        "remote_session": bool(remote_session_evidence(facts)),
        "battery_percent": None if battery is None else round(battery.percent),
        "charging": None if battery is None else battery.charging,
    }


def evaluate(policy: ClientPolicy, facts: MachineFacts) -> EnvironmentReport:
    """The report for facts already collected (pure)."""
    problems = [problem for check in ALL_CHECKS for problem in check(policy, facts)]
    return EnvironmentReport(
        os=facts.os, problems=_ordered(problems), facts=report_facts(policy, facts)
    )


def run_checks(
    policy: ClientPolicy, probe: Probe | None = None, *, language: str | None = None
) -> EnvironmentReport:
    """Read the machine (``SystemProbe`` unless a probe is given) and run every check.
    ``language`` overrides the policy's for the client's own texts."""
    if language is not None:
        policy = replace(policy, language=language)
    facts = (probe or SystemProbe()).collect()
    return evaluate(policy, facts)


def policy_problem(
    code: str, language: str | None = None, *, download_url: str = "", min_version: str = ""
) -> Problem:
    """The problem that stops the check before it starts: the policy cannot be fetched
    (``policy_unreachable``, ``not_found``, ``invalid_policy``) or the client is outdated
    (``client_outdated``). Its code in the report is one of the contract's."""
    if code == "client_outdated":
        return Problem(
            POLICY, "client_outdated", "client_version",
            t("client_outdated.title", language),
            t("client_outdated.advice", language, version=__version__,
              min_version=min_version or "?", url=download_url or "/help/client/"),
            True,
        )
    key = {UNREACHABLE: "policy_unreachable", NOT_FOUND: "policy_not_found"}.get(
        code, "policy_invalid"
    )
    return Problem(
        POLICY, "policy_unreachable", code, t(f"{key}.title", language),
        t(f"{key}.advice", language), True,
    )


def policy_report(problem: Problem) -> EnvironmentReport:
    """A report that holds only the problem that stopped the check."""
    facts = {
        "forbidden_running": [], "display_count": None, "mirrored": None,
        "virtual_machine": None, "vm_evidence": [], "remote_session": None,
        "battery_percent": None, "charging": None,
    }
    return EnvironmentReport(os=current_os(), problems=(problem,), facts=facts)
