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


class NotFound(ApplicationError):
    def __init__(self, code: str, message: str | Promise) -> None:
        super().__init__(code, message, status=404)


class PermissionDenied(ApplicationError):
    def __init__(self, code: str, message: str | Promise) -> None:
        super().__init__(code, message, status=403)
