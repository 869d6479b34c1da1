"""The live video viewer page (ADR 0010). Thin: access is checked here and again by the
signalling socket (``examhall.console.video``); the page does the rest."""

from __future__ import annotations

import uuid

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext_lazy as _

from examhall.console import selectors, services
from examhall.console.video import CAMERAS
from examhall.core.errors import ApplicationError

CAMERA_LABELS = {"pc": _("PC camera"), "phone": _("Phone camera")}


def _strings() -> dict[str, str]:
    """What the viewer page (static/console/live_viewer.js) says."""
    return {
        "labelConnecting": _("Connecting…"),
        "labelWaiting": _("Waiting for the camera"),
        "labelNegotiating": _("Connecting to the camera…"),
        "labelConnected": _("Live"),
        "labelRetrying": _("Trying again"),
        "labelStopped": _("Stopped"),
        "labelRefused": _("Not allowed"),
        "labelUnsupported": _("Not supported"),
        "connecting": _("Connecting to the server…"),
        "waiting": _("Asking the candidate's camera…"),
        "negotiating": _("Connecting to the camera…"),
        "live": _("Frames are arriving from the candidate's camera."),
        "noAnswer": _("The camera does not answer yet: the candidate's exam page (or phone) "
                      "may be closed or reconnecting. Still trying…"),
        "cameraOff": _("The candidate's camera is off at the moment. Still trying…"),
        "cameraLeft": _("The candidate's camera went away (page closed or reloaded). "
                        "Trying again…"),
        "failed": _("The video could not get through the network. Trying again… If this "
                    "keeps happening, the exam office needs to set up a TURN server."),
        "stopped": _("Stopped. The candidate's snapshots go on as usual."),
        "notAllowed": _("You may not watch this candidate."),
        "unsupported": _("This browser cannot show live video."),
        "stateNew": _("Not connected"),
        "stateConnecting": _("Connecting"),
        "stateConnected": _("Connected"),
        "stateDisconnected": _("Interrupted, recovering"),
        "stateFailed": _("Failed"),
        "stateClosed": _("Closed"),
        "size": _("{width} × {height} pixels"),
        "duration": _("{minutes} min {seconds} s"),
    }


@login_required
def live_video(request: HttpRequest, attempt_id: uuid.UUID, camera: str) -> HttpResponse:
    if not selectors.may_use_console(request.user):
        return render(request, "403.html", status=403)
    if camera not in CAMERAS:
        raise Http404
    try:
        attempt = services.proctor_attempt(actor=request.user, attempt_id=attempt_id)
    except ApplicationError as error:
        raise Http404(str(error.message)) from error
    other = "phone" if camera == "pc" else "pc"
    return render(request, "console/live_video.html", {
        "attempt": attempt,
        "registration": attempt.registration,
        "camera": camera,
        "camera_label": CAMERA_LABELS[camera],
        "other_camera": other,
        "other_camera_label": CAMERA_LABELS[other],
        "strings": _strings(),
    })
