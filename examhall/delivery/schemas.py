"""Input and output schemas of the candidate API."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

from ninja import Field, Schema


class LoginIn(Schema):
    subject_code: str = Field(..., max_length=40)
    ticket_number: str = Field(..., min_length=1, max_length=30)
    id_number: str = Field(..., min_length=1, max_length=40)


class LoginOut(Schema):
    attempt_id: uuid.UUID
    token: str
    next_url: str


class SubjectOut(Schema):
    code: str
    name: str
    specialty: str
    level: str


class ExamOut(Schema):
    code: str
    name: str
    kind: str
    instructions: str
    subjects: list[SubjectOut]


class AnswerSaveIn(Schema):
    question_id: uuid.UUID
    value: list[str] = Field(default_factory=list, max_length=26)
    marked: bool = False
    seq: int = Field(..., ge=1)
    client_saved_at: dt.datetime | None = None


class AnswersIn(Schema):
    saves: list[AnswerSaveIn] = Field(..., min_length=1, max_length=500)


class AnswersOut(Schema):
    acknowledged_seq: int
    server_now: dt.datetime


class CheckOut(Schema):
    name: str
    label: str
    passed: bool
    detail: str
    action_url: str = ""
    action_label: str = ""


class AttemptOut(Schema):
    attempt_id: uuid.UUID
    state: str
    exam: dict[str, Any]
    subject: dict[str, Any]
    candidate: dict[str, Any]
    checks: list[CheckOut]
    can_start: bool
    server_now: dt.datetime
    started_at: dt.datetime | None
    deadline: dt.datetime | None
    paused_at: dt.datetime | None = None
    submitted_at: dt.datetime | None
    submit_reason: str = ""
    questions: list[dict[str, Any]]
    answers: dict[str, dict[str, Any]]
    last_seq: int
    result: dict[str, Any] | None


class AttemptStatusOut(Schema):
    attempt_id: uuid.UUID
    state: str
    server_now: dt.datetime
    deadline: dt.datetime | None
    paused_at: dt.datetime | None = None


class ErrorBody(Schema):
    code: str
    message: str
    details: dict[str, Any]


class ErrorOut(Schema):
    error: ErrorBody
