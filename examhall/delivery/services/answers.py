"""Answers: the autosave hot path (idempotent per seq, never older over newer)."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.db import connection, transaction
from django.utils.translation import gettext as _

from examhall.core import clock
from examhall.core.errors import ApplicationError, NotFound
from examhall.delivery.models import Answer, Attempt, AttemptState
from examhall.delivery.selectors import signed_in_elsewhere

# --- answers -------------------------------------------------------------------


@dataclass(frozen=True)
class AnswerChange:
    question_id: uuid.UUID
    value: list[str]
    marked: bool
    seq: int
    client_saved_at: dt.datetime | None


@dataclass(frozen=True)
class SaveReceipt:
    acknowledged_seq: int
    server_now: dt.datetime


def _refuse_save(code: str, message: str) -> ApplicationError:
    return ApplicationError(code, message, status=409)


def _check_save_allowed(
    state: str, deadline: dt.datetime | None, changes: list[AnswerChange], now: dt.datetime
) -> None:
    if state == AttemptState.PAUSED:
        raise _refuse_save("attempt_paused",
                           _("Your exam is paused by the proctor; answers cannot be changed now."))
    if state != AttemptState.IN_PROGRESS or deadline is None:
        raise _refuse_save("attempt_not_in_progress",
                           _("This exam has already been submitted; answers cannot be changed."))
    if now <= deadline:
        return
    grace = dt.timedelta(seconds=settings.EXAMHALL_ANSWER_GRACE_SECONDS)
    stamped_in_time = all(
        change.client_saved_at is not None and change.client_saved_at <= deadline
        for change in changes
    )
    if now > deadline + grace or not stamped_in_time:
        raise _refuse_save("deadline_passed",
                           _("The time for this exam is over; this answer arrived too late."))


# What an answer of each kind may hold: (most entries, longest entry).
_ANSWER_LIMITS = {"fill_blank": (20, 200), "essay": (1, 20_000)}
_CHOICE_LIMITS = (26, 8)


def _validate_changes(changes: list[AnswerChange], kinds: Mapping[str, str]) -> None:
    """``kinds``: the attempt's questions (id → kind)."""
    for change in changes:
        kind = kinds.get(str(change.question_id))
        if kind is None:
            raise ApplicationError("unknown_question",
                                   _("This question is not part of your paper."), status=400)
        if change.seq < 1:
            raise ApplicationError("invalid_input",
                                   _("The sequence number must be positive."), status=422)
        most, longest = _ANSWER_LIMITS.get(kind, _CHOICE_LIMITS)
        if len(change.value) > most or any(len(entry) > longest for entry in change.value):
            raise ApplicationError("invalid_input", _("This answer is too long."), status=422)


_UPSERT_COLUMNS = "(attempt_id, question_id, value, marked, seq, client_saved_at, saved_at)"
_ON_CONFLICT = """
ON CONFLICT (attempt_id, question_id) DO UPDATE SET
    value = excluded.value, marked = excluded.marked, seq = excluded.seq,
    client_saved_at = excluded.client_saved_at, saved_at = excluded.saved_at
WHERE delivery_answer.seq < excluded.seq
"""
_UPSERT_SQL = f"INSERT INTO delivery_answer {_UPSERT_COLUMNS} VALUES (%s, %s, %s, %s, %s, %s, %s)"
_UPSERT_SQL += _ON_CONFLICT
# The common case in one statement: written only while the attempt is in
# progress and before its deadline (checked by the database in the same
# statement, so a submit cannot slip in between a check and the write).
_UPSERT_IF_OPEN_SQL = f"""
INSERT INTO delivery_answer {_UPSERT_COLUMNS}
SELECT %s, %s, %s, %s, %s, %s, %s
WHERE EXISTS (
    SELECT 1 FROM delivery_attempt
    WHERE id = %s AND state = '{AttemptState.IN_PROGRESS.value}' AND deadline >= %s
      AND signin_generation = %s
)
{_ON_CONFLICT}
"""

# An attempt's questions never change once it has started: keep them per process.
_QUESTION_IDS_CACHE: dict[uuid.UUID, dict[str, str]] = {}
_QUESTION_IDS_CACHE_LIMIT = 50_000


def _adapt(field_name: str, value: Any) -> Any:
    field = Answer._meta.get_field(field_name)
    return field.get_db_prep_save(value, connection)


def _row(attempt_id: uuid.UUID, change: AnswerChange, now: dt.datetime) -> tuple[Any, ...]:
    return (
        _adapt("attempt", attempt_id),
        _adapt("question", change.question_id),
        _adapt("value", change.value),
        change.marked,
        change.seq,
        _adapt("client_saved_at", change.client_saved_at),
        _adapt("saved_at", now),
    )


def _question_kinds(question_ids: list[str], spec: dict[str, Any]) -> dict[str, str]:
    """The attempt's questions and their kinds, from the spec frozen at start."""
    questions = (spec or {}).get("questions", {})
    return {qid: questions.get(qid, {}).get("kind", "single") for qid in question_ids}


def _started_question_kinds(attempt_id: uuid.UUID) -> dict[str, str] | None:
    """The attempt's questions (id → kind) once it has started (cached), else None."""
    cached = _QUESTION_IDS_CACHE.get(attempt_id)
    if cached is not None:
        return cached
    row = (
        Attempt.objects.filter(pk=attempt_id, started_at__isnull=False)
        .values_list("question_ids", "paper_spec")
        .first()
    )
    if not row or not row[0]:
        return None
    if len(_QUESTION_IDS_CACHE) >= _QUESTION_IDS_CACHE_LIMIT:
        _QUESTION_IDS_CACHE.clear()
    _QUESTION_IDS_CACHE[attempt_id] = _question_kinds(*row)
    return _QUESTION_IDS_CACHE[attempt_id]


def _save_if_open(attempt_id: uuid.UUID, change: AnswerChange, now: dt.datetime,
                  generation: int) -> bool:
    """One statement, no transaction: True when the change was written."""
    kinds = _started_question_kinds(attempt_id)
    if kinds is None:
        return False
    _validate_changes([change], kinds)
    params = (*_row(attempt_id, change, now), _adapt("attempt", attempt_id),
              Attempt._meta.get_field("deadline").get_db_prep_save(now, connection),
              generation)
    with connection.cursor() as cursor:
        cursor.execute(_UPSERT_IF_OPEN_SQL, params)
        return cursor.rowcount == 1


def answers_save(*, attempt_id: uuid.UUID, changes: list[AnswerChange],
                 generation: int = 0) -> SaveReceipt:
    """Save answer changes in order: idempotent per seq, never older over newer.

    The autosave hot path. A single change to an open attempt is one SQL
    statement; anything else (a batch from the offline queue, a save in the
    grace period, a refusal, a repeated or older seq) takes the full path: one
    read of the attempt, its checks, and one upsert per change in a transaction.
    """
    now = clock.now()
    acknowledged = SaveReceipt(
        acknowledged_seq=max((c.seq for c in changes), default=0), server_now=now
    )
    if len(changes) == 1 and _save_if_open(attempt_id, changes[0], now, generation):
        return acknowledged
    row = (
        Attempt.objects.filter(pk=attempt_id)
        .values_list("state", "deadline", "question_ids", "paper_spec", "signin_generation")
        .first()
    )
    if row is None:
        raise NotFound("attempt_not_found", _("This attempt does not exist."))
    state, deadline, question_ids, spec, current_generation = row
    if current_generation != generation:
        raise signed_in_elsewhere()
    _check_save_allowed(state, deadline, changes, now)
    _validate_changes(changes, _question_kinds(question_ids, spec))
    params = [_row(attempt_id, change, now) for change in sorted(changes, key=lambda c: c.seq)]
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.executemany(_UPSERT_SQL, params)
    return acknowledged
