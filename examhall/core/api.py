"""The JSON API (django-ninja): one instance, one error shape.

Every error leaves as ``{"error": {"code", "message", "details"}}`` with a
localised ``message``; routers of the apps are mounted here.
"""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext as _
from ninja import NinjaAPI
from ninja.errors import AuthenticationError, HttpError, ValidationError

from examhall.core.errors import ApplicationError, invalid_input, not_authenticated

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
