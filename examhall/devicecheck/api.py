"""The candidate API of the devicecheck app (mounted under /api/).

- ``POST /attempts/{id}/device-check``: the browser's measurements; the server judges
  them by the exam's policy, stores a report and answers with per-check verdicts.
- ``GET  /attempts/{id}/network-test?bytes=N``: N random bytes (at most 4 MiB).
- ``POST /attempts/{id}/network-test``: any body up to 4 MiB; answers its size.
"""

from __future__ import annotations

import os
import uuid
from typing import Any

from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext as _
from ninja import Field, Query, Router, Schema

from examhall.core.errors import ApplicationError
from examhall.delivery.api import ERRORS, attempt_auth, own_attempt
from examhall.delivery.schemas import ErrorOut
from examhall.devicecheck import hints, ratelimits, services
from examhall.devicecheck.schemas import (
    NETWORK_TEST_MAX_BYTES,
    DeviceCheckIn,
    DeviceCheckOut,
    UploadOut,
)

router = Router(tags=["devicecheck"])

_CHUNK = 64 * 1024


class DownloadQuery(Schema):
    size: int = Field(..., alias="bytes", ge=1, le=NETWORK_TEST_MAX_BYTES)


def _too_large() -> ApplicationError:
    return ApplicationError(
        "payload_too_large",
        _("The test upload is larger than the server accepts."),
        status=413,
        details={"max_bytes": NETWORK_TEST_MAX_BYTES},
    )


@router.post("/attempts/{attempt_id}/device-check", response={200: DeviceCheckOut, **ERRORS},
             auth=attempt_auth)
def device_check_report(request: HttpRequest, attempt_id: uuid.UUID,
                        payload: DeviceCheckIn) -> dict[str, Any]:
    attempt = own_attempt(request, attempt_id)
    services.ensure_before_start(attempt)
    ratelimits.spend_report(request, attempt_id=attempt.pk)
    measurements = payload.model_dump()
    report = services.device_check_report_create(attempt_id=attempt.pk,
                                                 measurements=measurements)
    policy = services.device_check_policy_get_or_create(exam=attempt.registration.exam)
    return {
        "report_id": report.pk,
        "passed": report.passed,
        "verdicts": hints.explain(report.verdicts, browser=payload.browser.name),
        "min_network_mbps": float(policy.min_network_mbps),
    }


@router.get("/attempts/{attempt_id}/network-test", response={200: None, **ERRORS},
            auth=attempt_auth)
def network_test_download(request: HttpRequest, attempt_id: uuid.UUID,
                          query: Query[DownloadQuery]) -> HttpResponse:
    attempt = own_attempt(request, attempt_id)
    services.ensure_before_start(attempt)
    ratelimits.spend_network_test(request, attempt_id=attempt.pk)
    response = HttpResponse(os.urandom(query.size), content_type="application/octet-stream")
    response["Cache-Control"] = "no-store"
    return response


@router.post("/attempts/{attempt_id}/network-test",
             response={200: UploadOut, 413: ErrorOut, **ERRORS},
             auth=attempt_auth)
def network_test_upload(request: HttpRequest, attempt_id: uuid.UUID) -> dict[str, Any]:
    attempt = own_attempt(request, attempt_id)
    services.ensure_before_start(attempt)
    ratelimits.spend_network_test(request, attempt_id=attempt.pk)
    declared = request.META.get("CONTENT_LENGTH") or "0"
    if not declared.isdigit():
        raise ApplicationError("invalid_input", _("The test upload could not be read."),
                               status=400)
    if int(declared) > NETWORK_TEST_MAX_BYTES:
        raise _too_large()
    received = 0
    while chunk := request.read(_CHUNK):
        received += len(chunk)
        if received > NETWORK_TEST_MAX_BYTES:
            raise _too_large()
    return {"received_bytes": received}
