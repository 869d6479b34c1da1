"""The JSON API (django-ninja): one instance, one error shape.

Every error leaves as ``{"error": {"code", "message", "details"}}`` with a
localised ``message``; routers of the apps are mounted here.
"""

from __future__ import annotations

import logging

from django.db import OperationalError
from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext as _
from ninja import NinjaAPI
from ninja.errors import AuthenticationError, HttpError, ValidationError

from examhall.core.errors import ApplicationError, invalid_input, not_authenticated

logger = logging.getLogger(__name__)

api = NinjaAPI(
    title="ExamHall API",
    version="1",
    urls_namespace="api",
    docs_url="/docs",
)


def error_response(request: HttpRequest, error: ApplicationError) -> HttpResponse:
    return api.create_response(request, {"error": error.as_dict()}, status=error.status)


@api.exception_handler(ApplicationError)
def _application_error(request: HttpRequest, exc: ApplicationError) -> HttpResponse:
    return error_response(request, exc)


@api.exception_handler(ValidationError)
def _validation_error(request: HttpRequest, exc: ValidationError) -> HttpResponse:
    return error_response(request, invalid_input(list(exc.errors)))


@api.exception_handler(AuthenticationError)
def _authentication_error(request: HttpRequest, exc: AuthenticationError) -> HttpResponse:
    return error_response(request, not_authenticated())


@api.exception_handler(OperationalError)
def _database_busy(request: HttpRequest, exc: OperationalError) -> HttpResponse:
    """The database could not be reached or stayed locked (SQLite's one writer on the
    embedded profile, a pool with no free connection): a passing condition. The pages
    keep what the candidate entered and send it again; 503 + Retry-After says when."""
    logger.warning("database busy on %s %s: %s", request.method, request.path, exc)
    response = error_response(request, ApplicationError(
        "server_busy",
        _("The server is busy for a moment. What you entered is kept and will be sent "
          "again; please wait a few seconds."),
        status=503,
    ))
    response["Retry-After"] = "2"
    return response


@api.exception_handler(HttpError)
def _http_error(request: HttpRequest, exc: HttpError) -> HttpResponse:
    if exc.status_code == 400:  # e.g. a body that is not JSON
        error = ApplicationError(
            "invalid_input",
            _("The request could not be read. Please reload the page and try again."),
            status=400,
        )
    elif exc.status_code == 403 and str(exc) == "CSRF check Failed":  # django_auth's check
        error = ApplicationError(
            "csrf_failed",
            _("This page is out of date or your session changed. Please reload the page "
              "and try again."),
            status=403,
        )
    else:
        error = ApplicationError("http_error", str(exc), status=exc.status_code)
    return error_response(request, error)


def _mount_routers() -> None:
    from examhall.console.api import router as console_router
    from examhall.delivery.api import router as delivery_router
    from examhall.devicecheck.api import router as devicecheck_router
    from examhall.identity.api import router as identity_router
    from examhall.proctoring.api import router as proctoring_router
    from examhall.proctoring.api_voice import router as voice_router
    from examhall.proctoring.pairing_api import router as pairing_router

    api.add_router("/", delivery_router)
    api.add_router("/", devicecheck_router)
    api.add_router("/", identity_router)
    api.add_router("/", proctoring_router)
    api.add_router("/", pairing_router)
    api.add_router("/", voice_router)
    api.add_router("/", console_router)


_mount_routers()
