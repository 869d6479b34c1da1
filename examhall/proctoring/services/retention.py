"""Retention: the images and audio clips of exams past their retention period are
deleted; the rows stay (marked purged) so that flags and the timeline keep their times
and findings."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from django.db.models import Count, Max, Model, QuerySet, Sum

from examhall.core import clock
from examhall.exams.models import Exam
from examhall.proctoring.models import AudioClip, Snapshot
from examhall.proctoring.selectors import policy_for


@dataclass(frozen=True)
class ExamPurge:
    exam_code: str
    ended_at: dt.datetime
    retention_days: int
    images: int
    bytes: int
    audio_clips: int = 0


@dataclass
class PurgeReport:
    applied: bool
    exams: list[ExamPurge] = field(default_factory=list)

    @property
    def images(self) -> int:
        return sum(exam.images for exam in self.exams)

    @property
    def audio_clips(self) -> int:
        return sum(exam.audio_clips for exam in self.exams)

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
        snapshots = Snapshot.objects.filter(attempt__registration__exam=exam,
                                            purged_at__isnull=True)
        clips = AudioClip.objects.filter(attempt__registration__exam=exam,
                                         purged_at__isnull=True)
        images = snapshots.aggregate(count=Count("pk"), bytes=Sum("size_bytes"))
        audio = clips.aggregate(count=Count("pk"), bytes=Sum("size_bytes"))
        if not images["count"] and not audio["count"]:
            continue
        report.exams.append(ExamPurge(exam.code, ended_at, days, images["count"],
                                      (images["bytes"] or 0) + (audio["bytes"] or 0),
                                      audio["count"]))
        if apply:
            _purge(snapshots, "image", now, batch)
            _purge(clips, "audio", now, batch)
    return report


def _purge(rows: QuerySet[Model], file_field: str, now: dt.datetime, batch: int) -> None:
    storage = rows.model._meta.get_field(file_field).storage
    while True:
        chunk = list(rows.values_list("pk", file_field)[:batch])
        if not chunk:
            return
        for _pk, name in chunk:
            if name:
                storage.delete(name)
        rows.model.objects.filter(pk__in=[pk for pk, _name in chunk]).update(
            purged_at=now, **{file_field: ""})
