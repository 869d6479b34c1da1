"""The exam client gate for Django's requests (ADR 0012).

Placed after the session and locale middleware: a browser signed in to an attempt is
known by its session, and the refusal speaks the candidate's language. Paths that can
never be asked (``gate.in_scope``) pass straight through, without a thread hop under
ASGI.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from asgiref.sync import iscoroutinefunction, sync_to_async
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.utils.decorators import sync_and_async_middleware

from examhall.lockdown import gate


def refusal_response(request: HttpRequest, refusal: gate.Refusal) -> HttpResponse:
    """JSON for the API, a calm page for a page navigation."""
    if request.path_info.startswith("/api/"):
        response: HttpResponse = JsonResponse(refusal.payload, status=refusal.status,
                                              json_dumps_params={"ensure_ascii": False})
    else:
        response = render(request, "lockdown/refused.html",
                          {"refusal": refusal, "download_url": refusal.payload["download_url"]},
                          status=refusal.status)
    response["Cache-Control"] = "no-store"
    return response


@sync_and_async_middleware
def client_gate_middleware(
    get_response: Callable[[HttpRequest], HttpResponse | Awaitable[HttpResponse]],
) -> Callable[[HttpRequest], HttpResponse | Awaitable[HttpResponse]]:
    if iscoroutinefunction(get_response):
        async def async_middleware(request: HttpRequest) -> HttpResponse:
            if gate.in_scope(request.path_info):
                refusal = await sync_to_async(gate.check_request)(request)
                if refusal is not None:
                    return await sync_to_async(refusal_response)(request, refusal)
            return await get_response(request)  # type: ignore[misc]

        return async_middleware

    def middleware(request: HttpRequest) -> HttpResponse:
        refusal = gate.check_request(request)
        if refusal is not None:
            return refusal_response(request, refusal)
        return get_response(request)  # type: ignore[return-value]

    return middleware
