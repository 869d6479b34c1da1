"""Retention: the images of exams past their retention period are deleted; the rows stay
(marked purged) so that flags and the timeline keep their times and findings."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from django.db.models import Count, Max, QuerySet, Sum

from examhall.core import clock
from examhall.exams.models import Exam
from examhall.proctoring.models import Snapshot
from examhall.proctoring.selectors import policy_for


@dataclass(frozen=True)
class ExamPurge:
    exam_code: str
    ended_at: dt.datetime
    retention_days: int
    images: int
    bytes: int


@dataclass
class PurgeReport:
    applied: bool
    exams: list[ExamPurge] = field(default_factory=list)

    @property
    def images(self) -> int:
        return sum(exam.images for exam in self.exams)

    @property
    def bytes(self) -> int:
        return sum(exam.bytes for exam in self.exams)


def _expired_exams(now: dt.datetime) -> list[tuple[Exam, dt.datetime, int]]:
    """Exams whose last session closed more than their retention period ago."""
    expired = []
    for exam in Exam.objects.annotate(ended_at=Max("sessions__closes_at")).filter(
            ended_at__isnull=False, ended_at__lt=now):
        days = policy_for(exam).retention_days
        if exam.ended_at + dt.timedelta(days=days) < now:
            expired.append((exam, exam.ended_at, days))
    return expired


def evidence_purge(*, apply: bool = False, batch: int = 500) -> PurgeReport:
    """What would be deleted (``apply`` False, the default), or delete it. Idempotent."""
    now = clock.now()
    report = PurgeReport(applied=apply)
    for exam, ended_at, days in _expired_exams(now):
        kept = Snapshot.objects.filter(attempt__registration__exam=exam, purged_at__isnull=True)
        totals = kept.aggregate(images=Count("pk"), bytes=Sum("size_bytes"))
        if not totals["images"]:
            continue
        report.exams.append(ExamPurge(exam.code, ended_at, days, totals["images"],
                                      totals["bytes"] or 0))
        if apply:
            _purge(kept, now, batch)
    return report


def _purge(snapshots: QuerySet[Snapshot], now: dt.datetime, batch: int) -> None:
    while True:
        chunk = list(snapshots.values_list("pk", "image")[:batch])
        if not chunk:
            return
        for _pk, name in chunk:
            if name:
                Snapshot._meta.get_field("image").storage.delete(name)
        Snapshot.objects.filter(pk__in=[pk for pk, _name in chunk]).update(
            purged_at=now, image="")
