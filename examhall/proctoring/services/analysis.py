"""Background analysis of snapshots with the vision package, and the order in which a
backlog is worked off (the newest snapshot of each camera first; older ones skipped).

``analyse_snapshot`` judges one snapshot and turns its findings into flags; it is
idempotent (a re-delivered task finds the snapshot done and does nothing).
``analysis_run`` is what the Celery task and the in-process worker call;
``analysis_requeue`` is the periodic sweep that hands snapshots left pending (broker
unreachable at upload, worker lost, process restarted) to the background again.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import io
import logging
import math
import uuid
import warnings
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from django.conf import settings
from django.core.files.storage import default_storage
from django.db import transaction
from django.db.models import OuterRef, QuerySet, Subquery
from PIL import Image

from examhall import vision
from examhall.core import clock
from examhall.core.ttlcache import TTLCache
from examhall.identity import selectors as identity_selectors
from examhall.identity.services import embedding_of
from examhall.proctoring import images
from examhall.proctoring.models import Camera, MonitoringPolicy, Snapshot
from examhall.proctoring.presets import Thresholds
from examhall.proctoring.selectors import policy_for, thresholds_for
from examhall.proctoring.services.flags import flag_raise
from examhall.vision.images import WORKING_MAX_SIDE, WorkingImage, working_image

logger = logging.getLogger(__name__)

PENDING = Snapshot.Analysis.PENDING


@dataclass(frozen=True)
class Finding:
    flag_type: str
    details: dict[str, Any] = field(default_factory=dict)


@dataclass
class Inspection:
    result: dict[str, Any] = field(default_factory=dict)
    findings: list[Finding] = field(default_factory=list)


POLICY_TTL_SECONDS = 60.0
"""An exam's monitoring and identity policies, and a candidate's reference embedding (or
that there is none), are read at most once a minute per process (as the upload fast
path does for the intervals): an office's change of sensitivity, of identity checks or
of the reference photo reaches the analysis within a minute, and each analysis saves
its queries."""
_policies = TTLCache(POLICY_TTL_SECONDS)


def _cached(kind: str, key: Any, read: Callable[[], Any]) -> Any:
    """``read()``'s value, kept for ``POLICY_TTL_SECONDS`` in this process."""
    return _policies.get_or_read((kind, key), read)


def _monitoring_policy(exam_id: uuid.UUID) -> MonitoringPolicy:
    return _cached("monitoring", exam_id, lambda: policy_for(exam_id))


JPEG_SIGNATURE = b"\xff\xd8\xff"


class Picture:
    """A snapshot's pixels, decoded at most once per size asked for.

    A stored snapshot is a JPEG (the upload keeps a plain JPEG without its metadata and
    re-encodes anything else): a smaller copy is decoded at a reduced DCT scale
    (Pillow's ``draft``: a 640×480 picture at 320 px in well under a millisecond instead
    of about two), then brought down to the size asked for. Anything else (an array,
    another format) goes through the vision package's decoder."""

    def __init__(self, source: bytes | np.ndarray) -> None:
        self._source = source
        self._sizes: dict[int, WorkingImage] = {}

    def _decode(self, max_side: int) -> tuple[np.ndarray, tuple[int, int]]:
        """RGB pixels (longer side ≥ ``max_side`` unless the picture is smaller) and
        the (width, height) of the picture itself."""
        source = self._source
        if isinstance(source, np.ndarray) or not source.startswith(JPEG_SIGNATURE):
            rgb = vision.load_image(source)
            return rgb, (int(rgb.shape[1]), int(rgb.shape[0]))
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            image = Image.open(io.BytesIO(source))
            width, height = image.size
            longest = max(width, height)
            if longest > images.MAX_SIDE:
                raise vision.ImageError("too_large", f"{width}×{height} pixels")
            if longest > max_side:
                image.draft("RGB", (math.ceil(width * max_side / longest),
                                    math.ceil(height * max_side / longest)))
            if image.mode != "RGB":
                image = image.convert("RGB")
            return np.asarray(image), (width, height)

    def at(self, max_side: int = WORKING_MAX_SIDE) -> WorkingImage:
        """The picture with its longer side at most ``max_side``; boxes found on it
        scale back to the stored picture."""
        work = self._sizes.get(max_side)
        if work is None:
            rgb, size = self._decode(max_side)
            small = working_image(rgb, max_side=max_side)
            work = self._sizes[max_side] = WorkingImage(
                small.array, max(size) / max(small.width, small.height), size)
        return work


def _is_covered(work: WorkingImage, limits: Thresholds, out: Inspection) -> bool:
    mean, std = images.luma_stats(work.array)
    out.result.update(luma_mean=round(mean, 2), luma_std=round(std, 2))
    dark = mean <= limits.covered_luma_max and std <= limits.covered_std_max
    if dark or std <= limits.uniform_std_max:
        out.findings.append(Finding("camera_covered", {"luma_mean": round(mean, 2),
                                                       "luma_std": round(std, 2)}))
        return True
    return False


def _is_frozen(snapshot: Snapshot, limits: Thresholds, out: Inspection) -> bool:
    """The same frame as this camera's previous snapshot (a still image or a stuck feed)."""
    previous = (Snapshot.objects.filter(attempt_id=snapshot.attempt_id, camera=snapshot.camera,
                                        taken_at__lt=snapshot.taken_at)
                .order_by("-taken_at").values_list("pk", "fingerprint").first())
    if previous is None:
        return False
    difference = images.fingerprint_difference(snapshot.fingerprint, previous[1])
    out.result["frozen_difference"] = round(difference, 3)
    if difference <= limits.frozen_diff_max:
        out.findings.append(Finding("camera_frozen", {"previous": str(previous[0]),
                                                      "difference": round(difference, 3)}))
        return True
    return False


def _identity_due(snapshot: Snapshot, policy: MonitoringPolicy) -> bool:
    """Every Nth PC snapshot: none of the last N−1 analysed ones compared a face with the
    reference. Counted over analysed snapshots (skipped ones do not postpone the check),
    and a try without exactly one face does not count: the next snapshot tries again."""
    if snapshot.camera != Camera.PC:
        return False
    if policy.identity_every <= 1:
        return True
    recent = (Snapshot.objects.filter(attempt_id=snapshot.attempt_id, camera=Camera.PC,
                                      analysis_status=Snapshot.Analysis.DONE,
                                      taken_at__lt=snapshot.taken_at)
              .order_by("-taken_at").values_list("analysis", flat=True)
              [:policy.identity_every - 1])
    return not any("distance" in analysis.get("identity", {}) for analysis in recent)


def _reference(snapshot: Snapshot) -> tuple[np.ndarray | None, float]:
    registration = snapshot.attempt.registration
    identity_policy = _cached("identity", registration.exam_id,
                              lambda: identity_selectors.policy_for(registration.exam))

    def reference() -> np.ndarray | None:
        photo = identity_selectors.current_reference(
            candidate_id=registration.candidate_id, mode=identity_policy.mode)
        return embedding_of(photo) if photo else None

    embedding = _cached("reference", (registration.candidate_id, identity_policy.mode),
                        reference)
    return embedding, float(identity_policy.threshold)


def _identity(snapshot: Snapshot, picture: Picture, policy: MonitoringPolicy,
              out: Inspection) -> int | None:
    """Compare the face with the reference when due (at working size); the face count,
    or None when no comparison was made (not due, or no reference photo)."""
    if not _identity_due(snapshot, policy):
        return None
    reference, threshold = _reference(snapshot)
    if reference is None:
        out.result["identity"] = {"skipped": "no_reference"}
        return None
    verification = vision.verify(reference, picture.at(), threshold=threshold)
    if verification.face_count != 1:
        out.result["identity"] = {"skipped": verification.reason}
        return verification.face_count
    distance = round(float(verification.distance), 4)
    out.result["identity"] = {"distance": distance, "threshold": threshold,
                              "match": verification.passed}
    if not verification.passed:
        out.findings.append(Finding("identity_mismatch",
                                    {"distance": distance, "threshold": threshold}))
    return 1


def _detect_side(snapshot: Snapshot, limits: Thresholds) -> int | None:
    """The longer side of the first detection pass; None: at working size only."""
    side = limits.pc_detect_side if snapshot.camera == Camera.PC else None
    return side if side is not None and side < WORKING_MAX_SIDE else None


def _count_faces(snapshot: Snapshot, picture: Picture, limits: Thresholds,
                 out: Inspection) -> int:
    """Faces found: first on the cheap small copy when the preset asks for one, then at
    working size when that found none (a face too small for the first pass)."""
    side = _detect_side(snapshot, limits)
    if side is not None:
        count = len(vision.detect_faces(picture.at(side)))
        if count:
            out.result["detect_side"] = side
            return count
    out.result["detect_side"] = WORKING_MAX_SIDE
    return len(vision.detect_faces(picture.at()))


def _faces(snapshot: Snapshot, picture: Picture, policy: MonitoringPolicy,
           limits: Thresholds, out: Inspection) -> None:
    count = _identity(snapshot, picture, policy, out)
    if count is None:
        count = _count_faces(snapshot, picture, limits, out)
    out.result["face_count"] = count
    if count > 1:
        out.findings.append(Finding("several_faces", {"face_count": count}))
    elif count == 0 and snapshot.camera == Camera.PC:
        out.findings.append(Finding("candidate_absent"))
    elif count == 0:
        # The phone view has no person detector: no face seen is the proxy for nobody
        # at the desk (a candidate turned fully away from the phone also counts).
        out.findings.append(Finding("nobody_at_desk", {"proxy": "no_face_detected"}))


def inspect_snapshot(snapshot: Snapshot, image: bytes | np.ndarray | Picture,
                     policy: MonitoringPolicy) -> Inspection:
    """What a snapshot shows: covered; else frozen or not, and the faces (count, and
    identity when due). ``image``: the stored file's bytes or its RGB pixels."""
    limits = thresholds_for(policy)
    picture = image if isinstance(image, Picture) else Picture(image)
    out = Inspection()
    side = _detect_side(snapshot, limits)
    if _is_covered(picture.at(side or WORKING_MAX_SIDE), limits, out):
        return out  # no face is expected on a covered camera: one finding says it all
    _is_frozen(snapshot, limits, out)
    _faces(snapshot, picture, policy, limits, out)
    return out


def _mark(snapshot_id: uuid.UUID, status: str, analysis: dict[str, Any]
          ) -> dt.datetime | None:
    """Record the outcome of a pending snapshot; when it was recorded (None: it was no
    longer pending — another delivery got there first)."""
    now = clock.now()
    if Snapshot.objects.filter(pk=snapshot_id, analysis_status=PENDING).update(
            analysis_status=status, analysis=analysis, analysed_at=now):
        return now
    return None


def _snapshots() -> QuerySet[Snapshot]:
    """Snapshots with of their attempt only what the analysis needs (the exam and the
    candidate; not the attempt's paper and question lists)."""
    return (Snapshot.objects.select_related("attempt__registration")
            .only(*(f.name for f in Snapshot._meta.concrete_fields), "attempt__id",
                  "attempt__registration__id", "attempt__registration__exam",
                  "attempt__registration__candidate"))


def _analyse(snapshot: Snapshot) -> Snapshot:
    policy = _monitoring_policy(snapshot.attempt.registration.exam_id)
    try:
        with default_storage.open(snapshot.image.name, "rb") as stored:
            data = stored.read()
        inspection = inspect_snapshot(snapshot, data, policy)
    except Exception as error:  # a broken file or a missing model must not stop the queue
        logger.exception("analysis of snapshot %s failed", snapshot.pk)
        _mark(snapshot.pk, Snapshot.Analysis.FAILED, {"error": type(error).__name__})
        snapshot.refresh_from_db()
        return snapshot
    inspection.result["findings"] = [finding.flag_type for finding in inspection.findings]
    gap = thresholds_for(policy).episode_gap_seconds
    with transaction.atomic() if inspection.findings else contextlib.nullcontext():
        done_at = _mark(snapshot.pk, Snapshot.Analysis.DONE, inspection.result)
        if done_at is not None:
            for finding in inspection.findings:
                flag_raise(attempt_id=snapshot.attempt_id, flag_type=finding.flag_type,
                           camera=snapshot.camera, at=snapshot.taken_at, gap_seconds=gap,
                           snapshot=snapshot, details=finding.details)
    if done_at is None:
        snapshot.refresh_from_db()
    else:  # what the update wrote, without reading it back
        snapshot.analysis_status = Snapshot.Analysis.DONE
        snapshot.analysis = inspection.result
        snapshot.analysed_at = done_at
    return snapshot


def analyse_snapshot(snapshot_id: uuid.UUID) -> Snapshot:
    """Analyse one snapshot now and raise flags for its findings (idempotent)."""
    snapshot = _snapshots().get(pk=snapshot_id)
    if snapshot.analysis_status != PENDING:
        return snapshot
    return _analyse(snapshot)


def analysis_run(*, snapshot_id: uuid.UUID) -> str:
    """Analyse a queued snapshot; the status it ends with.

    When a newer snapshot of the same camera waits too, analysis is behind: the newest
    one is analysed now in this one's place, and this one and any other older pending
    ones of the camera are marked skipped (``superseded_by`` the newest). Skipping
    alone — leaving the newer one to its own turn in the queue — starved a camera as
    soon as the queue's lag exceeded its interval: by the time the newer one's turn
    came, a newer one still was waiting, and so on (docs/performance.md). The newest's
    own task later finds it done and costs one read.

    One query tells both (the snapshot, and the newest pending one of its camera)."""
    newer = (Snapshot.objects.filter(attempt_id=OuterRef("attempt_id"),
                                     camera=OuterRef("camera"), analysis_status=PENDING,
                                     taken_at__gt=OuterRef("taken_at"))
             .order_by("-taken_at").values("pk")[:1])
    snapshot = _snapshots().annotate(newer_pending=Subquery(newer)).get(pk=snapshot_id)
    if snapshot.analysis_status != PENDING:
        return snapshot.analysis_status
    if snapshot.newer_pending is None:
        return _analyse(snapshot).analysis_status
    try:
        newest = _snapshots().get(pk=snapshot.newer_pending)
    except Snapshot.DoesNotExist:  # purged in between: analyse this one after all
        return _analyse(snapshot).analysis_status
    Snapshot.objects.filter(attempt_id=newest.attempt_id, camera=newest.camera,
                            analysis_status=PENDING, taken_at__lt=newest.taken_at).update(
        analysis_status=Snapshot.Analysis.SKIPPED,
        analysis={"superseded_by": str(newest.pk)}, analysed_at=clock.now())
    if newest.analysis_status == PENDING:
        _analyse(newest)
    return Snapshot.Analysis.SKIPPED


def analysis_plan(*, snapshot_ids: Iterable[uuid.UUID] | None = None,
                  limit: int = 10_000) -> list[uuid.UUID]:
    """Work off a backlog: of the cameras concerned (those of ``snapshot_ids``, or every
    camera with a pending snapshot), the newest pending snapshot of each is to be
    analysed — the oldest-waiting camera first — and the older ones are marked skipped."""
    pending = Snapshot.objects.filter(analysis_status=PENDING)
    if snapshot_ids is not None:
        ids = list(snapshot_ids)
        attempts = set(Snapshot.objects.filter(pk__in=ids).values_list("attempt_id", flat=True))
        pending = pending.filter(attempt_id__in=attempts)
    rows = pending.order_by("-taken_at").values_list("pk", "attempt_id", "camera",
                                                      "taken_at")[:limit]
    newest: dict[tuple[uuid.UUID, str], tuple[uuid.UUID, Any]] = {}
    older: dict[uuid.UUID, uuid.UUID] = {}
    for pk, attempt_id, camera, taken_at in rows:
        key = (attempt_id, camera)
        if key in newest:
            older[pk] = newest[key][0]
        else:
            newest[key] = (pk, taken_at)
    for pk, newer in older.items():
        _mark(pk, Snapshot.Analysis.SKIPPED, {"superseded_by": str(newer)})
    return [pk for pk, _taken in sorted(newest.values(), key=lambda item: item[1])]


def analysis_enqueue(*, snapshot_id: uuid.UUID) -> None:
    """Hand a stored snapshot to the background: the Celery workers when a broker is
    configured (in batches: ``proctoring.publisher``), else this process's analysis
    thread. Never waits for the analysis."""
    if getattr(settings, "EXAMHALL_ANALYSIS_INPROCESS", settings.CELERY_TASK_ALWAYS_EAGER):
        from examhall.proctoring import worker

        worker.submit(snapshot_id)
        return
    from examhall.proctoring.publisher import publisher

    publisher.add(snapshot_id)  # published with others within 0.2 s, one message


REQUEUE_AFTER_SECONDS = 120.0
"""A snapshot pending for this long after its upload (or its last re-queue) is taken to
be lost by the queue. Longer than the analysis lag a loaded system works with, so that
the sweep rarely doubles a task still waiting in the broker (a double is harmless: the
analysis is idempotent, the second delivery finds the snapshot done)."""
REQUEUE_SCAN_MAX = 20_000


def _requeued_at(analysis: Any) -> dt.datetime | None:
    value = analysis.get("requeued_at") if isinstance(analysis, dict) else None
    try:
        return dt.datetime.fromisoformat(value) if isinstance(value, str) else None
    except ValueError:
        return None


def analysis_requeue(*, older_than_seconds: float | None = None) -> list[uuid.UUID]:
    """Queue again the analysis of snapshots left pending: of each camera with a snapshot
    waiting longer than ``older_than_seconds`` (default ``REQUEUE_AFTER_SECONDS``) and
    not re-queued within that time, the newest pending one (older ones are marked
    skipped, as in any backlog: ``analysis_plan``), oldest-waiting camera first.
    Pending snapshots younger than that are left alone (their task is still on its
    way). The ids queued; a broker still unreachable leaves them pending for the next
    sweep."""
    if older_than_seconds is None:
        older_than_seconds = float(getattr(settings, "EXAMHALL_ANALYSIS_REQUEUE_AFTER_SECONDS",
                                           REQUEUE_AFTER_SECONDS))
    now = clock.now()
    cutoff = now - dt.timedelta(seconds=older_than_seconds)
    stale = {pk: analysis for pk, analysis in
             Snapshot.objects.filter(analysis_status=PENDING, taken_at__lt=cutoff)
             .order_by("-taken_at").values_list("pk", "analysis")[:REQUEUE_SCAN_MAX]
             if (_requeued_at(analysis) or cutoff) <= cutoff}
    if not stale:
        return []
    queued = []
    for pk in analysis_plan(snapshot_ids=list(stale)):
        if pk not in stale:
            continue  # the newest of its camera is recent: its own task is on its way
        analysis = stale[pk] if isinstance(stale[pk], dict) else {}
        if Snapshot.objects.filter(pk=pk, analysis_status=PENDING).update(
                analysis={**analysis, "requeued_at": now.isoformat()}):
            queued.append(pk)
    for pk in queued:
        try:
            analysis_enqueue(snapshot_id=pk)
        except Exception:
            logger.exception("could not queue the analysis of snapshot %s again", pk)
    if queued:
        logger.info("re-queued the analysis of %d pending snapshots", len(queued))
    return queued
