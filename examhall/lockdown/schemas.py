"""Input and output of the lockdown API (the contract of ADR 0012)."""

from __future__ import annotations

import datetime as dt
import json
from typing import Literal

from ninja import Field, Schema
from pydantic import ConfigDict, StrictBool, field_validator, model_validator

from examhall.lockdown import signature

CHECKS = ("processes", "displays", "virtual_machine", "remote_session", "battery", "policy")
CODES = ("forbidden_process", "too_many_displays", "mirrored_display", "virtual_machine",
         "remote_session", "battery_low", "policy_unreachable", "client_outdated")
MAX_PROBLEMS = 100
MAX_FACTS_BYTES = 16 * 1024


class ProblemIn(Schema):
    model_config = ConfigDict(extra="forbid")

    check: Literal["processes", "displays", "virtual_machine", "remote_session", "battery",
                   "policy"]
    code: Literal["forbidden_process", "too_many_displays", "mirrored_display",
                  "virtual_machine", "remote_session", "battery_low", "policy_unreachable",
                  "client_outdated"]
    subject: str = Field("", max_length=100)
    title: str = Field(..., min_length=1, max_length=200)
    advice: str = Field("", max_length=500)
    blocking: StrictBool


class FactsIn(Schema):
    """What the client measured; further facts a newer client adds are kept as sent."""

    model_config = ConfigDict(extra="allow")

    forbidden_running: list[str] = Field(default_factory=list, max_length=200)
    display_count: int | None = Field(None, ge=0, le=64)
    mirrored: StrictBool | None = None
    virtual_machine: StrictBool | None = None
    vm_evidence: list[str] = Field(default_factory=list, max_length=50)
    remote_session: StrictBool | None = None
    battery_percent: float | None = Field(None, ge=0, le=100)
    charging: StrictBool | None = None


class EnvironmentReportIn(Schema):
    model_config = ConfigDict(extra="forbid")

    schema_: Literal[1] = Field(..., alias="schema")
    client_version: str = Field(..., max_length=20, pattern=signature.VERSION.pattern)
    os: Literal["windows", "macos", "linux"]
    checked_at: dt.datetime
    passed: StrictBool
    problems: list[ProblemIn] = Field(..., max_length=MAX_PROBLEMS)
    facts: FactsIn

    @field_validator("checked_at")
    @classmethod
    def _aware(cls, value: dt.datetime) -> dt.datetime:
        if value.tzinfo is None:
            raise ValueError("checked_at needs a time zone (e.g. 2026-11-26T08:00:00Z)")
        return value

    @field_validator("facts")
    @classmethod
    def _small(cls, value: FactsIn) -> FactsIn:
        if len(json.dumps(value.model_dump(), default=str)) > MAX_FACTS_BYTES:
            raise ValueError("facts are too large")
        return value

    @model_validator(mode="after")
    def _passed_matches_problems(self) -> EnvironmentReportIn:
        if self.passed == any(problem.blocking for problem in self.problems):
            raise ValueError("passed must be true exactly when no problem is blocking")
        return self


class ProblemOut(Schema):
    check: str
    code: str
    subject: str
    title: str
    advice: str
    blocking: bool


class EnvironmentReportOut(Schema):
    report_id: str
    passed: bool
    in_exam: bool
    problems: list[ProblemOut]
    appeared: list[ProblemOut]
    resolved: list[ProblemOut]
    message: str
    level: str
