"""Identity writes: enrolment photos (one or a zip of many), the candidate's tries
(capture → server verdict), and a proctor's review.

The server decides: the browser only uploads frames. Face work runs outside any
transaction (it takes a fraction of a second per frame); the rows are then
written under a lock, and the attempt's check-stage state follows through
``delivery.services.attempt_refresh_checks``.
"""

from __future__ import annotations

import datetime as dt
import io
import uuid
import zipfile
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from django.contrib.auth.base_user import AbstractBaseUser
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import transaction
from django.utils.translation import gettext as _
from PIL import Image

from examhall import vision
from examhall.candidates.models import Registration
from examhall.candidates.selectors import registration_for_exam_and_id
from examhall.core import clock
from examhall.core.errors import ApplicationError, NotFound
from examhall.delivery import services as delivery_services
from examhall.delivery import statemachine
from examhall.delivery.models import Attempt
from examhall.identity.messages import reason_message
from examhall.identity.models import EnrolmentPhoto, IdentityCapture, IdentityCheck
from examhall.identity.selectors import current_reference, policy_for

CAPTURE_TTL = dt.timedelta(minutes=2)
FRAME_MAX_BYTES = 1024 * 1024  # one JPEG frame from the browser
FRAMES_WITHOUT_LIVENESS = (1, 5)
FRAMES_WITH_LIVENESS = (vision.liveness.MIN_FRAMES, vision.liveness.MAX_FRAMES)
STORED_PHOTO_SIDE = 1024
EVIDENCE_FRAMES = 3
ZIP_MAX_FILES = 20_000
ZIP_MAX_ENTRY_BYTES = vision.images.MAX_IMAGE_BYTES
ZIP_MAX_TOTAL_BYTES = 4 * 1024**3
ZIP_MAX_RATIO = 50  # photos barely compress; a higher ratio is a zip bomb
PHOTO_SUFFIXES = (".jpg", ".jpeg", ".png", ".webp", ".heic", ".heif")


# --- images ------------------------------------------------------------------------


def _decode(data: bytes) -> np.ndarray:
    try:
        return vision.load_image(data)
    except vision.ImageError as error:
        raise ApplicationError("invalid_image", reason_message(error.code), status=422,
                               details={"reason": error.code}) from error


def _jpeg(rgb: np.ndarray, *, max_side: int = STORED_PHOTO_SIDE, quality: int = 88) -> bytes:
    """Re-encoded as a plain JPEG: no metadata (no EXIF location) survives."""
    image = Image.fromarray(rgb)
    image.thumbnail((max_side, max_side))
    out = io.BytesIO()
    image.save(out, format="JPEG", quality=quality)
    return out.getvalue()


def embedding_bytes(embedding: np.ndarray) -> bytes:
    return np.asarray(embedding, dtype=np.float32).tobytes()


def embedding_of(photo: EnrolmentPhoto) -> np.ndarray:
    return np.frombuffer(bytes(photo.embedding), dtype=np.float32)


# --- enrolment photos --------------------------------------------------------------


def _usable_face(rgb: np.ndarray) -> tuple[np.ndarray, vision.QualityVerdict]:
    """The embedding of the one usable face of a reference photo, or a refusal that
    says what is wrong."""
    verdict = vision.assess_quality(rgb)
    if verdict.face_count != 1 or "face_too_small" in verdict.reasons:
        code = ("no_face" if verdict.face_count == 0 else
                "several_faces" if verdict.face_count > 1 else "face_too_small")
        raise ApplicationError("unusable_photo", reason_message(code), status=422,
                               details={"reason": code})
    try:
        embedding = vision.face_embedding(rgb)
    except vision.FaceCountError as error:
        raise ApplicationError("unusable_photo", reason_message(str(error.args[0])),
                               status=422, details={"reason": str(error.args[0])}) from error
    return embedding, verdict


def _store_photo(*, candidate_id: uuid.UUID, rgb: np.ndarray, embedding: np.ndarray,
                 verdict: vision.QualityVerdict, source: str, review: str) -> EnrolmentPhoto:
    with transaction.atomic():
        EnrolmentPhoto.objects.select_for_update().filter(
            candidate_id=candidate_id, is_current=True).update(is_current=False)
        photo = EnrolmentPhoto(candidate_id=candidate_id, embedding=embedding_bytes(embedding),
                               source=source, review=review,
                               quality={"reasons": verdict.reasons,
                                        "measurements": verdict.measurements})
        photo.image.save("photo.jpg", ContentFile(_jpeg(rgb)), save=False)
        photo.save()
    return photo


def enrolment_photo_add(*, candidate_id: uuid.UUID, data: bytes) -> EnrolmentPhoto:
    """Store an office's photo of a candidate as their current reference (JPEG, PNG,
    WebP or HEIC; exactly one usable face), its embedding computed once."""
    rgb = _decode(data)
    embedding, verdict = _usable_face(rgb)
    return _store_photo(candidate_id=candidate_id, rgb=rgb, embedding=embedding,
                        verdict=verdict, source=EnrolmentPhoto.Source.UPLOAD,
                        review=EnrolmentPhoto.Review.NOT_NEEDED)


@dataclass(frozen=True)
class PhotoImportLine:
    file: str
    status: str  # imported | unmatched | refused
    message: str
    ticket_number: str = ""


@dataclass
class PhotoImportReport:
    lines: list[PhotoImportLine] = field(default_factory=list)

    def count(self, status: str) -> int:
        return sum(1 for line in self.lines if line.status == status)


def _registration_for(exam_id: uuid.UUID, name: str) -> Registration | None:
    """The registration a photo's file name names: its ticket number, or the ID number."""
    key = name.strip().upper()
    registration = (Registration.objects.select_related("candidate")
                    .filter(exam_id=exam_id, ticket_number=key).first())
    return registration or registration_for_exam_and_id(exam_id=exam_id, id_number=key)


def _zip_entries(data: bytes) -> tuple[zipfile.ZipFile, list[zipfile.ZipInfo]]:
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
    except zipfile.BadZipFile as error:
        raise ApplicationError("invalid_zip", _("The file is not a readable zip archive."),
                               status=422) from error
    entries = [info for info in archive.infolist()
               if not info.is_dir() and "__MACOSX" not in info.filename
               and not info.filename.rsplit("/", 1)[-1].startswith(".")]
    if len(entries) > ZIP_MAX_FILES:
        raise ApplicationError("zip_too_many_files",
                               _("The zip holds %(count)d files; at most %(max)d are accepted.")
                               % {"count": len(entries), "max": ZIP_MAX_FILES}, status=422)
    total = sum(info.file_size for info in entries)
    packed = sum(info.compress_size for info in entries) or 1
    if total > ZIP_MAX_TOTAL_BYTES or total / packed > ZIP_MAX_RATIO:
        raise ApplicationError("zip_bomb", _("The zip unpacks to far more data than photos "
                                             "need; it was refused."), status=422)
    return archive, entries


def enrolment_photos_import_zip(*, exam_id: uuid.UUID, data: bytes) -> PhotoImportReport:
    """Each photo of a zip whose file name is a ticket or ID number of this exam
    becomes that candidate's reference. Photos are independent: each is imported or
    reported (no registration with that name, not a picture, not exactly one usable
    face)."""
    report = PhotoImportReport()
    archive, entries = _zip_entries(data)
    for info in entries:
        path = info.filename
        base = path.rsplit("/", 1)[-1]
        stem, dot, suffix = base.rpartition(".")
        if not dot or f".{suffix.lower()}" not in PHOTO_SUFFIXES:
            report.lines.append(PhotoImportLine(path, "refused", _(
                "Not a photo file (JPEG, PNG, WebP or HEIC).")))
            continue
        registration = _registration_for(exam_id, stem)
        if registration is None:
            report.lines.append(PhotoImportLine(path, "unmatched", _(
                "No candidate of this exam has this ticket or ID number.")))
            continue
        if info.file_size > ZIP_MAX_ENTRY_BYTES:
            report.lines.append(PhotoImportLine(path, "refused", reason_message("too_large"),
                                                registration.ticket_number))
            continue
        try:
            enrolment_photo_add(candidate_id=registration.candidate_id,
                                data=archive.read(info))
        except ApplicationError as error:
            report.lines.append(PhotoImportLine(path, "refused", error.message,
                                                registration.ticket_number))
            continue
        report.lines.append(PhotoImportLine(path, "imported", _("Imported."),
                                            registration.ticket_number))
    return report


def enrolment_photo_review(*, photo_id: uuid.UUID, approve: bool,
                           actor: AbstractBaseUser) -> EnrolmentPhoto:
    """A proctor approves or rejects a first capture kept as a reference."""
    with transaction.atomic():
        photo = EnrolmentPhoto.objects.select_for_update().filter(pk=photo_id).first()
        if photo is None:
            raise NotFound("photo_not_found", _("This photo does not exist."))
        if photo.review != EnrolmentPhoto.Review.PENDING:
            raise ApplicationError("already_reviewed", _("This photo was already reviewed."),
                                   status=409)
        photo.review = (EnrolmentPhoto.Review.APPROVED if approve
                        else EnrolmentPhoto.Review.REJECTED)
        photo.reviewed_by = actor  # type: ignore[assignment]
        photo.reviewed_at = clock.now()
        if not approve:
            photo.is_current = False  # the next verification takes a new first capture
        photo.save()
    return photo


# --- the candidate's tries ------------------------------------------------------------


def _locked_check(attempt: Attempt) -> IdentityCheck:
    IdentityCheck.objects.get_or_create(attempt=attempt)
    return IdentityCheck.objects.select_for_update().get(attempt=attempt)


def _refuse_unless_open(check: IdentityCheck) -> None:
    if check.status in {IdentityCheck.Status.PASSED, IdentityCheck.Status.APPROVED}:
        raise ApplicationError("identity_already_verified",
                               _("Your identity is already verified."), status=409)
    if check.status == IdentityCheck.Status.REVIEW:
        raise ApplicationError("identity_in_review",
                               _("A proctor is checking your identity. Please wait on the "
                                 "check page."), status=409)
    if check.status == IdentityCheck.Status.REJECTED:
        raise ApplicationError("identity_rejected",
                               _("A proctor could not confirm your identity. Please contact "
                                 "the exam office."), status=409)


def identity_capture_open(*, attempt: Attempt) -> IdentityCapture:
    """Begin a try: the server picks the liveness challenge (if the exam asks for
    one); the browser has ``CAPTURE_TTL`` to send the frames."""
    if attempt.state not in statemachine.PRE_START_STATES:
        raise ApplicationError("attempt_started",
                               _("Identity verification is over: the exam has started."),
                               status=409)
    policy = policy_for(attempt.registration.exam)
    now = clock.now()
    with transaction.atomic():
        check = _locked_check(attempt)
        _refuse_unless_open(check)
        check.captures.filter(status=IdentityCapture.Status.OPEN).update(
            status=IdentityCapture.Status.FAILED, reason="superseded")
        return IdentityCapture.objects.create(
            identity_check=check, expires_at=now + CAPTURE_TTL,
            challenge=vision.pick_challenge() if policy.liveness else "")


@dataclass(frozen=True)
class Judgement:
    passed: bool
    reason: str
    distance: float | None = None
    details: dict[str, Any] = field(default_factory=dict)
    new_reference: bool = False  # the frame becomes the (reviewed) reference
    frame_index: int = 0


def _best_frame(frames: Sequence[np.ndarray]) -> tuple[int, vision.QualityVerdict]:
    """The first of the first few frames whose quality is fine (else the first)."""
    first = None
    for index, rgb in enumerate(frames[:3]):
        verdict = vision.assess_quality(rgb)
        if first is None:
            first = (index, verdict)
        if verdict.ok:
            return index, verdict
    return first  # type: ignore[return-value]


def _judge(*, frames: Sequence[np.ndarray], challenge: str, require_match: bool,
           reference: EnrolmentPhoto | None, mode: str, threshold: float) -> Judgement:
    details: dict[str, Any] = {}
    if challenge:
        liveness = vision.check_liveness(challenge, frames)
        details["liveness"] = {"reason": liveness.reason,
                               "measurements": liveness.measurements}
        if not liveness.passed:
            return Judgement(False, liveness.reason, details=details)
    index, verdict = _best_frame(frames)
    details["quality"] = {"reasons": verdict.reasons, "face_count": verdict.face_count}
    if verdict.face_count != 1:
        return Judgement(False, "no_face" if verdict.face_count == 0 else "several_faces",
                         details=details, frame_index=index)
    if not require_match:
        return Judgement(True, "face_seen", details=details, frame_index=index)
    if reference is None:
        if mode == "first_capture":
            if not verdict.ok:
                return Judgement(False, verdict.reasons[0], details=details, frame_index=index)
            return Judgement(True, "first_capture", details=details, new_reference=True,
                             frame_index=index)
        return Judgement(False, "no_reference", details=details, frame_index=index)
    result = vision.verify(embedding_of(reference), frames[index], threshold=threshold)
    details["verification"] = result.to_dict() | {"face": None}
    if result.passed:
        return Judgement(True, "match", result.distance, details, frame_index=index)
    # A poor picture explains a mismatch better than "not the same person".
    reason = verdict.reasons[0] if verdict.reasons else result.reason
    return Judgement(False, reason, result.distance, details, frame_index=index)


def _evidence_indexes(count: int, chosen: int) -> list[int]:
    picks = [chosen, count // 2, count - 1]
    return list(dict.fromkeys(i for i in picks if 0 <= i < count))[:EVIDENCE_FRAMES]


def _store_evidence(capture: IdentityCapture, frames: Sequence[np.ndarray],
                    chosen: int) -> list[str]:
    paths = []
    for index in _evidence_indexes(len(frames), chosen):
        name = f"identity/captures/{capture.pk.hex}/{index:02d}.jpg"
        paths.append(default_storage.save(name, ContentFile(_jpeg(frames[index],
                                                                  max_side=640))))
    return paths


@dataclass(frozen=True)
class CaptureOutcome:
    capture: IdentityCapture
    check: IdentityCheck
    tries_left: int


def identity_capture_submit(*, attempt: Attempt, capture_id: uuid.UUID,
                            frames: Sequence[bytes]) -> CaptureOutcome:
    """Judge a try from its frames: liveness (if asked), one face of usable quality,
    and the comparison with the reference. A failure costs a try; after the last
    (or with no reference on file) the attempt waits for a proctor's review."""
    capture = (IdentityCapture.objects.select_related("identity_check")
               .filter(pk=capture_id, identity_check__attempt=attempt).first())
    if capture is None:
        raise NotFound("capture_not_found", _("This verification try does not exist."))
    if capture.status != IdentityCapture.Status.OPEN:
        raise ApplicationError("capture_closed", _("This try is over. Start a new one."),
                               status=409)
    if clock.now() > capture.expires_at:
        raise ApplicationError("capture_expired", _("This try took too long. Start a new "
                                                    "one."), status=409)
    low, high = FRAMES_WITH_LIVENESS if capture.challenge else FRAMES_WITHOUT_LIVENESS
    if not low <= len(frames) <= high:
        raise ApplicationError("invalid_input", _("Send between %(low)d and %(high)d pictures.")
                               % {"low": low, "high": high}, status=422)
    if any(len(frame) > FRAME_MAX_BYTES for frame in frames):
        raise ApplicationError("invalid_input", reason_message("too_large"), status=422)
    decoded = [_decode(bytes(frame)) for frame in frames]
    exam = attempt.registration.exam
    policy = policy_for(exam)
    reference = current_reference(candidate_id=attempt.registration.candidate_id,
                                  mode=policy.mode)
    judgement = _judge(frames=decoded, challenge=capture.challenge,
                       require_match=policy.require_face_match, reference=reference,
                       mode=policy.mode, threshold=float(policy.threshold))
    new_reference = None
    if judgement.new_reference:
        rgb = decoded[judgement.frame_index]
        embedding, verdict = _usable_face(rgb)
        new_reference = _store_photo(
            candidate_id=attempt.registration.candidate_id, rgb=rgb, embedding=embedding,
            verdict=verdict, source=EnrolmentPhoto.Source.FIRST_CAPTURE,
            review=EnrolmentPhoto.Review.PENDING)
    evidence = _store_evidence(capture, decoded, judgement.frame_index)
    with transaction.atomic():
        check = _locked_check(attempt)
        capture = IdentityCapture.objects.select_for_update().get(pk=capture.pk)
        if capture.status != IdentityCapture.Status.OPEN:
            raise ApplicationError("capture_closed", _("This try is over. Start a new one."),
                                   status=409)
        capture.status = (IdentityCapture.Status.PASSED if judgement.passed
                          else IdentityCapture.Status.FAILED)
        capture.reason = judgement.reason
        capture.distance = judgement.distance
        capture.details = judgement.details
        capture.frames = evidence
        capture.save()
        check.reference = new_reference or reference  # what the proctor compares with
        if judgement.passed:
            check.status = IdentityCheck.Status.PASSED
            check.distance = judgement.distance
        elif judgement.reason == "no_reference":
            check.status = IdentityCheck.Status.REVIEW
            check.review_reason = judgement.reason
        else:
            check.failed_tries += 1
            if check.failed_tries >= policy.max_tries:
                check.status = IdentityCheck.Status.REVIEW
                check.review_reason = judgement.reason
            check.distance = judgement.distance
        check.save()
    delivery_services.attempt_refresh_checks(attempt_id=attempt.pk)
    return CaptureOutcome(capture=capture, check=check,
                          tries_left=max(policy.max_tries - check.failed_tries, 0))


# --- the proctor's review ----------------------------------------------------------


def identity_review_decide(*, attempt_id: uuid.UUID, approve: bool, actor: AbstractBaseUser,
                           note: str = "") -> IdentityCheck:
    """A proctor confirms (the attempt may start once its other checks pass) or
    rejects (it cannot start) an identity the automatic check could not confirm."""
    if not approve and not note.strip():
        raise ApplicationError("invalid_input", _("Give a reason for the rejection."),
                               status=422)
    with transaction.atomic():
        check = (IdentityCheck.objects.select_for_update()
                 .filter(attempt_id=attempt_id).first())
        if check is None or check.status != IdentityCheck.Status.REVIEW:
            raise ApplicationError("not_in_review",
                                   _("This attempt is not waiting for an identity review."),
                                   status=409)
        check.status = (IdentityCheck.Status.APPROVED if approve
                        else IdentityCheck.Status.REJECTED)
        check.decided_by = actor  # type: ignore[assignment]
        check.decided_at = clock.now()
        check.note = note.strip()[:500]
        check.save()
    delivery_services.attempt_refresh_checks(attempt_id=attempt_id)
    return check
