"""Reads: an exam's client policy (cached for the request gate), its public document
for the client, and an attempt's environment reports."""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass
from typing import Any

from django.db.models.signals import post_delete, post_save

from examhall.core.ttlcache import TTLCache
from examhall.delivery.models import Attempt
from examhall.exams.models import Exam
from examhall.lockdown import catalogue, signature
from examhall.lockdown.models import ClientEnvironmentReport, ClientPolicy

# --- the gate's view of a policy, cached per process ------------------------------------


@dataclass(frozen=True)
class Gate:
    """What the request gate needs to know of an exam that requires the client."""

    exam_id: uuid.UUID
    client_key: str
    min_version: tuple[int, ...]


GATE_TTL_SECONDS = 10.0
"""The gate asks on every request of a candidate; the answer changes only when an office
edits a policy (then it is cleared in the saving process; others see the change within
this time)."""
_gates = TTLCache(GATE_TTL_SECONDS, 8192)
# An attempt's exam never changes: kept a day (bounded).
_attempt_exams = TTLCache(24 * 3600.0, 65536)


def clear_gate_cache(**_kwargs: Any) -> None:
    _gates.clear()
    _attempt_exams.clear()


def connect_invalidation() -> None:
    for model in (ClientPolicy, Exam):
        post_save.connect(clear_gate_cache, sender=model, dispatch_uid=f"lockdown-{model}-save")
        post_delete.connect(clear_gate_cache, sender=model,
                            dispatch_uid=f"lockdown-{model}-delete")


def _gate_of(policy: ClientPolicy | None) -> Gate | None:
    if policy is None or not policy.requires_client:
        return None
    return Gate(exam_id=policy.exam_id, client_key=policy.client_key,
                min_version=signature.version_tuple(policy.min_client_version))


def gate_for_exam_code(code: str) -> Gate | None:
    """The gate of the exam with this code (published or not), or None when plain
    browsers may take it (no policy, the client not required, no such exam)."""
    return _gates.get_or_read(("code", code), lambda: _gate_of(
        ClientPolicy.objects.filter(exam__code=code).first()))


def gate_for_exam(exam_id: uuid.UUID) -> Gate | None:
    return _gates.get_or_read(("exam", exam_id), lambda: _gate_of(
        ClientPolicy.objects.filter(exam_id=exam_id).first()))


def _exam_of_attempt(attempt_id: uuid.UUID) -> uuid.UUID | None:
    return _attempt_exams.get_or_read(attempt_id, lambda: (
        Attempt.objects.filter(pk=attempt_id)
        .values_list("registration__exam_id", flat=True).first()))


def gate_for_attempt(attempt_id: uuid.UUID) -> Gate | None:
    """The gate of the attempt's exam, or None (plain browsers allowed, no attempt)."""
    exam_id = _exam_of_attempt(attempt_id)
    return gate_for_exam(exam_id) if exam_id is not None else None


def cached_gate_for_attempt(attempt_id: uuid.UUID) -> tuple[bool, Gate | None]:
    """(known, gate) without touching the database: for the ASGI fast paths, which
    read the database only on a miss (off the event loop)."""
    known, exam_id = _attempt_exams.lookup(attempt_id)
    if not known:
        return False, None
    if exam_id is None:
        return True, None
    return _gates.lookup(("exam", exam_id))


# --- the policy document the client fetches ---------------------------------------------


def policy_for_exam(exam: Exam) -> ClientPolicy | None:
    return ClientPolicy.objects.filter(exam=exam).first()


def forbidden_entries(policy: ClientPolicy | None) -> list[dict[str, Any]]:
    """The deny-list of a policy: its own entries (built-in ids resolved), or every
    built-in entry when it lists none. Advice in the active language."""
    listed = policy.forbidden_processes if policy is not None else []
    if not listed:
        return [entry.as_dict() for entry in catalogue.BUILT_IN]
    out = []
    for entry in listed:
        if isinstance(entry, str):
            if entry in catalogue.BY_ID:
                out.append(catalogue.BY_ID[entry].as_dict())
        elif isinstance(entry, dict):
            match = entry.get("match") or {}
            out.append({"id": str(entry.get("id", "")), "name": str(entry.get("name", "")),
                        "category": str(entry.get("category") or "other"),
                        "advice": str(entry.get("advice", "")),
                        "match": {os_name: list(match.get(os_name) or [])
                                  for os_name in catalogue.OPERATING_SYSTEMS}})
    return out


@dataclass(frozen=True)
class PolicyLinks:
    entry_url: str
    origin: str
    download_url: str


def policy_document(*, exam: Exam, links: PolicyLinks) -> dict[str, Any]:
    """The policy API's answer (schema 1; see the contract in ADR 0012)."""
    policy = policy_for_exam(exam)
    defaults = ClientPolicy()  # the field defaults, for an exam without a policy
    source = policy or defaults
    return {
        "schema": 1,
        "exam": {"code": exam.code, "name": exam.name, "kind": exam.kind},
        "requires_client": bool(policy and policy.requires_client),
        "client_key": policy.client_key if policy else "",
        "min_client_version": source.min_client_version,
        "entry_url": links.entry_url,
        "origin": links.origin,
        "recheck_interval_seconds": source.recheck_interval_seconds,
        "forbidden_processes": forbidden_entries(policy),
        "allowed_processes": [str(name) for name in (source.allowed_processes or [])],
        "displays": {"max_displays": source.max_displays,
                     "allow_mirrored": source.allow_mirrored},
        "virtual_machine": source.virtual_machine,
        "remote_session": source.remote_session,
        "battery": {"min_percent": source.battery_min_percent},
        "download_url": links.download_url,
    }


# --- environment reports ------------------------------------------------------------------


def problem_lines(problems: list[dict[str, Any]]) -> str:
    """Problems as a candidate reads them: "title: what to do; …"."""
    lines = []
    for problem in problems:
        title, advice = problem.get("title", ""), problem.get("advice", "")
        lines.append(f"{title}: {advice}" if advice else str(title))
    return "; ".join(lines)


def latest_report(*, attempt: Attempt) -> ClientEnvironmentReport | None:
    return (ClientEnvironmentReport.objects.filter(attempt=attempt)
            .order_by("-received_at").first())


def report_is_fresh(report: ClientEnvironmentReport, *, policy: ClientPolicy,
                    now: dt.datetime) -> bool:
    """A report counts for the environment check for two re-check intervals and 30 s."""
    window = dt.timedelta(seconds=2 * policy.recheck_interval_seconds + 30)
    return report.received_at >= now - window


def reports_with_changes(*, attempt: Attempt, before: dt.datetime | None = None,
                         limit: int = 60) -> list[ClientEnvironmentReport]:
    """The attempt's reports in which a problem appeared or was resolved, newest first
    (for a timeline: what the exam client saw change, and when)."""
    rows = ClientEnvironmentReport.objects.filter(attempt=attempt).exclude(
        appeared=[], resolved=[])
    if before is not None:
        rows = rows.filter(received_at__lt=before)
    return list(rows.order_by("-received_at")[:limit])
