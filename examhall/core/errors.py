"""One application error type with a stable code and a localised message.

Services raise ``ApplicationError``; one handler (``examhall.core.api``) turns it
into ``{"error": {"code": ..., "message": ..., "details": ...}}`` with the
status given here, and page views show ``message``.
"""

from __future__ import annotations

from typing import Any

from django.utils.functional import Promise


class ApplicationError(Exception):
    def __init__(
        self,
        code: str,
        message: str | Promise,
        *,
        status: int = 400,
        details: dict[str, Any] | None = None,
    ) -> None:
        super().__init__(code)
        self.code = code
        self.message = message
        self.status = status
        self.details = details or {}

    def as_dict(self) -> dict[str, Any]:
        return {"code": self.code, "message": str(self.message), "details": self.details}


def invalid_input(errors: list[dict[str, Any]]) -> ApplicationError:
    """The one 422 for input that does not fit a schema (pydantic/ninja error list)."""
    from django.utils.translation import gettext

    fields = []
    for item in errors:
        loc = [str(part) for part in item.get("loc", []) if part not in ("body", "payload")]
        fields.append({"field": ".".join(loc), "problem": item.get("msg", "")})
    return ApplicationError(
        "invalid_input",
        gettext("Some fields are missing or invalid."),
        status=422,
        details={"fields": fields},
    )


def not_authenticated() -> ApplicationError:
    from django.utils.translation import gettext

    return ApplicationError(
        "not_authenticated",
        gettext("Your sign-in has expired. Please sign in again with your ticket number."),
        status=401,
    )


class NotFound(ApplicationError):
    def __init__(self, code: str, message: str | Promise) -> None:
        super().__init__(code, message, status=404)


class PermissionDenied(ApplicationError):
    def __init__(self, code: str, message: str | Promise) -> None:
        super().__init__(code, message, status=403)
