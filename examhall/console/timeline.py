"""One evidence timeline per attempt, for the console's candidate detail page.

Everything that happened to the attempt, newest first: both cameras' pictures (a PC
and a phone picture taken close together share one row, side by side), browser
events, flags, state changes, checks (device check reports, identity tries),
proctor actions and messages. Flags are also listed on their own (the page shows
them apart from ordinary milestones, with confirm / dismiss).

Bounded: each source is read at most ``limit`` rows older than ``before``; the page
asks for the next page with ``before`` = the ``next_before`` of this one.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import uuid

from django.db.models import Prefetch, QuerySet
from django.utils.timezone import localtime
from django.utils.translation import gettext as _

from examhall.console.models import Message, ProctorAction
from examhall.delivery.models import Attempt, AttemptEvent, AttemptState
from examhall.devicecheck.models import DeviceCheckReport
from examhall.identity.models import IdentityCapture
from examhall.lockdown import selectors as lockdown_selectors
from examhall.proctoring.models import BrowserEvent, Camera, Flag, Snapshot
from examhall.proctoring.taxonomy import flag_label

DEFAULT_LIMIT = 60
MAX_FLAGS = 200
# A PC and a phone picture this close together are shown side by side in one row.
PAIR_SECONDS = 30


@dataclasses.dataclass(frozen=True)
class SnapshotRef:
    id: uuid.UUID
    at: dt.datetime
    reason: str
    analysis_status: str


@dataclasses.dataclass
class TimelineEntry:
    at: dt.datetime
    kind: str  # snapshots | browser | flag | state | check | action | message
    title: str
    detail: str = ""
    actor: str = ""
    severity: str = ""
    flag_id: uuid.UUID | None = None
    pc: SnapshotRef | None = None
    phone: SnapshotRef | None = None


@dataclasses.dataclass(frozen=True)
class FlagRow:
    id: uuid.UUID
    type: str
    label: str
    camera: str
    severity: str
    status: str
    status_label: str
    first_at: dt.datetime
    last_at: dt.datetime
    count: int
    resolution_note: str
    resolved_by: str
    evidence_ids: list[uuid.UUID]


@dataclasses.dataclass(frozen=True)
class Timeline:
    entries: list[TimelineEntry]
    flags: list[FlagRow]
    next_before: dt.datetime | None


_SEVERITY_ORDER = {Flag.Severity.HIGH: 0, Flag.Severity.MEDIUM: 1, Flag.Severity.LOW: 2}


def attempt_flags(*, attempt: Attempt) -> list[FlagRow]:
    """The attempt's flags, open ones first, then by severity and time (newest first)."""
    flags = list(Flag.objects.filter(attempt=attempt)
                 .select_related("resolved_by")
                 .prefetch_related(Prefetch("evidence",
                                            queryset=Snapshot.objects.only("pk", "taken_at")
                                            .order_by("-taken_at")))
                 .order_by("-last_at")[:MAX_FLAGS])
    flags.sort(key=lambda f: (f.status != Flag.Status.OPEN, _SEVERITY_ORDER.get(f.severity, 3),
                              -f.last_at.timestamp()))
    return [FlagRow(
        id=flag.pk, type=flag.type, label=flag_label(flag.type), camera=flag.camera,
        severity=flag.severity, status=flag.status, status_label=flag.get_status_display(),
        first_at=flag.first_at, last_at=flag.last_at, count=flag.count,
        resolution_note=flag.resolution_note,
        resolved_by=flag.resolved_by.get_username() if flag.resolved_by else "",
        evidence_ids=[s.pk for s in list(flag.evidence.all())[:4]],
    ) for flag in flags]


def attempt_timeline(*, attempt: Attempt, before: dt.datetime | None = None,
                     limit: int = DEFAULT_LIMIT) -> Timeline:
    """The newest ``limit`` timeline entries older than ``before`` (all sources merged),
    with the attempt's flags and where the next page starts."""
    limit = max(1, min(limit, 200))
    entries: list[TimelineEntry] = []
    exhausted = True
    for source in (_snapshot_rows, _browser_events, _flag_entries, _state_changes,
                   _device_checks, _identity_tries, _client_reports, _proctor_actions,
                   _messages):
        rows, full = source(attempt, before, limit)
        entries.extend(rows)
        exhausted = exhausted and not full
    entries.sort(key=lambda entry: entry.at, reverse=True)
    more = len(entries) > limit or not exhausted
    if len(entries) > limit:
        # Entries at the same instant as the last one kept (the steps of one start)
        # stay on this page: the next one starts strictly before it.
        cut = limit
        while cut < len(entries) and entries[cut].at == entries[limit - 1].at:
            cut += 1
        more = cut < len(entries) or not exhausted
        entries = entries[:cut]
    next_before = entries[-1].at if entries and more else None
    return Timeline(entries=entries, flags=attempt_flags(attempt=attempt),
                    next_before=next_before)


def _older(queryset: QuerySet, field: str, before: dt.datetime | None, limit: int) -> list:
    if before is not None:
        queryset = queryset.filter(**{f"{field}__lt": before})
    # Ties (the steps of one start share an instant) newest-written first.
    return list(queryset.order_by(f"-{field}", "-pk")[:limit])


def _snapshot_rows(attempt: Attempt, before: dt.datetime | None, limit: int
                   ) -> tuple[list[TimelineEntry], bool]:
    pictures = _older(Snapshot.objects.filter(attempt=attempt, purged_at__isnull=True)
                      .exclude(image="")
                      .only("pk", "camera", "taken_at", "reason", "analysis_status"),
                      "taken_at", before, limit)
    rows: list[TimelineEntry] = []
    for picture in pictures:  # newest first
        ref = SnapshotRef(id=picture.pk, at=picture.taken_at, reason=picture.reason,
                          analysis_status=picture.analysis_status)
        slot = "pc" if picture.camera == Camera.PC else "phone"
        row = rows[-1] if rows else None
        if (row is None or getattr(row, slot) is not None
                or (row.at - picture.taken_at).total_seconds() > PAIR_SECONDS):
            row = TimelineEntry(at=picture.taken_at, kind="snapshots", title=_("Pictures"))
            rows.append(row)
        setattr(row, slot, ref)
    return rows, len(pictures) == limit


def _browser_events(attempt: Attempt, before: dt.datetime | None, limit: int
                    ) -> tuple[list[TimelineEntry], bool]:
    events = _older(BrowserEvent.objects.filter(attempt=attempt), "server_at", before, limit)
    return [TimelineEntry(at=event.server_at, kind="browser", title=event.get_type_display(),
                          detail=_browser_detail(event))
            for event in events], len(events) == limit


def _browser_detail(event: BrowserEvent) -> str:
    details = event.details if isinstance(event.details, dict) else {}
    return " · ".join(f"{key}: {value}" for key, value in list(details.items())[:4]
                      if isinstance(value, str | int | float))


def _flag_entries(attempt: Attempt, before: dt.datetime | None, limit: int
                  ) -> tuple[list[TimelineEntry], bool]:
    flags = _older(Flag.objects.filter(attempt=attempt), "first_at", before, limit)
    return [TimelineEntry(
        at=flag.first_at, kind="flag", title=flag_label(flag.type), severity=flag.severity,
        flag_id=flag.pk,
        detail=(_("seen %(count)d times, last at %(last)s")
                % {"count": flag.count, "last": localtime(flag.last_at).strftime("%H:%M:%S")}
                if flag.count > 1 else ""),
    ) for flag in flags], len(flags) == limit


def _state_changes(attempt: Attempt, before: dt.datetime | None, limit: int
                   ) -> tuple[list[TimelineEntry], bool]:
    labels = dict(AttemptState.choices)
    events = _older(AttemptEvent.objects.filter(attempt=attempt), "at", before, limit)
    return [TimelineEntry(
        at=event.at, kind="state",
        title=_("%(from)s → %(to)s") % {"from": labels.get(event.from_state, event.from_state),
                                        "to": labels.get(event.to_state, event.to_state)},
        detail=event.reason, actor=event.actor_label,
    ) for event in events], len(events) == limit


def _device_checks(attempt: Attempt, before: dt.datetime | None, limit: int
                   ) -> tuple[list[TimelineEntry], bool]:
    reports = _older(DeviceCheckReport.objects.filter(attempt=attempt), "created_at", before,
                     limit)
    entries = []
    for report in reports:
        failed = [str(v.get("check") or "") for v in report.verdicts or []
                  if isinstance(v, dict) and v.get("status") == "failed"]
        entries.append(TimelineEntry(
            at=report.created_at, kind="check",
            title=_("Device check passed") if report.passed else _("Device check failed"),
            detail=", ".join(name for name in failed if name)))
    return entries, len(reports) == limit


def _client_reports(attempt: Attempt, before: dt.datetime | None, limit: int
                    ) -> tuple[list[TimelineEntry], bool]:
    """What the exam client saw change on the candidate's computer (ADR 0012)."""
    reports = lockdown_selectors.reports_with_changes(attempt=attempt, before=before,
                                                      limit=limit)
    entries = []
    for report in reports:
        for problems, title in ((report.appeared, _("Exam client: problem found")),
                                (report.resolved, _("Exam client: problem resolved"))):
            if problems:
                entries.append(TimelineEntry(
                    at=report.received_at, kind="check", title=title,
                    detail="; ".join(str(p.get("title") or p.get("subject") or "")
                                     for p in problems if isinstance(p, dict))))
    return entries, len(reports) == limit


def _identity_tries(attempt: Attempt, before: dt.datetime | None, limit: int
                    ) -> tuple[list[TimelineEntry], bool]:
    captures = _older(IdentityCapture.objects.filter(identity_check__attempt=attempt)
                      .exclude(status=IdentityCapture.Status.OPEN), "created_at", before, limit)
    entries = []
    for capture in captures:
        detail = capture.reason
        if capture.distance is not None:
            detail = " · ".join(filter(None, [detail, _("face distance %(d).2f")
                                              % {"d": capture.distance}]))
        entries.append(TimelineEntry(
            at=capture.created_at, kind="check",
            title=(_("Identity check passed") if capture.status == IdentityCapture.Status.PASSED
                   else _("Identity check failed")),
            detail=detail))
    return entries, len(captures) == limit


def _proctor_actions(attempt: Attempt, before: dt.datetime | None, limit: int
                     ) -> tuple[list[TimelineEntry], bool]:
    actions = _older(ProctorAction.objects.filter(attempt=attempt).select_related("actor"),
                     "at", before, limit)
    return [TimelineEntry(at=action.at, kind="action", title=action.get_kind_display(),
                          detail=action.reason, actor=action.actor.get_username())
            for action in actions], len(actions) == limit


def _messages(attempt: Attempt, before: dt.datetime | None, limit: int
              ) -> tuple[list[TimelineEntry], bool]:
    messages = _older(Message.objects.filter(attempt=attempt).select_related("author"),
                      "sent_at", before, limit)
    entries = []
    for message in messages:
        if message.sender == Message.Sender.CANDIDATE:
            title = _("The candidate wrote")
            actor = ""
        else:
            title = (_("Message to the room") if message.broadcast
                     else _("Message to the candidate"))
            actor = message.author.get_username() if message.author else ""
            if message.acknowledged_at:
                title = _("%(title)s (acknowledged)") % {"title": title}
        entries.append(TimelineEntry(at=message.sent_at, kind="message", title=title,
                                     detail=message.body, actor=actor))
    return entries, len(messages) == limit
