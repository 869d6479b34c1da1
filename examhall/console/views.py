"""The proctor console's pages. Thin: the room view draws from the JSON API and the
websocket; these views check access and hand over the ids, the labels the page's
module needs and (candidate detail) the evidence timeline."""

from __future__ import annotations

import uuid
from typing import Any

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext as _
from django.views.decorators.csrf import ensure_csrf_cookie

from examhall.console import selectors, services, timeline
from examhall.console.models import IrregularityReport
from examhall.core.errors import ApplicationError
from examhall.core.files import private_image_response
from examhall.delivery.models import AttemptState
from examhall.proctoring.taxonomy import FLAG_TYPES


def _forbidden(request: HttpRequest) -> HttpResponse:
    return render(request, "403.html", status=403)


def _page_config(request: HttpRequest, room_id: uuid.UUID) -> dict[str, Any]:
    """What the page's ES modules need: where things are and the server's labels."""
    return {
        "roomId": str(room_id),
        "api": "/api/",
        "socketPath": "/ws/console/",
        "attemptUrl": reverse("console:attempt", args=[uuid.UUID(int=0)]).replace(
            str(uuid.UUID(int=0)), "{attempt}"),
        "liveUrl": "/console/attempts/{attempt}/live/{camera}/",
        "mayReviewIdentity": request.user.has_perm("identity.review_identity"),
        "stateLabels": {value: str(label) for value, label in AttemptState.choices},
        "flagLabels": {name: str(kind.label) for name, kind in FLAG_TYPES.items()},
    }


def _strings() -> dict[str, str]:
    """The console modules' texts ({name} placeholders are filled in the page)."""
    return {
        "network": _("The connection to the server failed."),
        "server": _("The server could not handle the request."),
        "live": _("Live"), "connecting": _("Connecting…"),
        "reconnecting": _("Reconnecting…"), "stopped": _("Not connected: reload the page"),
        "counts": _("{total} candidates · {inExam} in the exam · {waiting} waiting · "
                    "{flagged} with open flags"),
        "pc": _("PC"), "phone": _("Phone"), "live_button": _("Live"),
        "cameraConnected": _("{camera}: connected"), "cameraLost": _("{camera}: no signal"),
        "cameraNever": _("{camera}: not connected"),
        "paused": _("Paused"), "timeUp": _("Time up"), "timeLeft": _("Time left {time}"),
        "handRaised": _("{count} new"), "reentryAsked": _("Re-entry"),
        "flagHigh": _("{count} high"), "flagMedium": _("{count} medium"),
        "flagLow": _("{count} low"),
        "select": _("Select {name}"), "actionsFor": _("Actions for {name}"),
        "selected": _("{count} selected"),
        "alertFlag": _("{name}: {flag}"), "alertHand": _("{name} raised a hand: {body}"),
        "alertHandWaiting": _("{name} waits for an answer ({count} messages)"),
        "alertReentry": _("{name} asks to sign in again"),
        "alertEnvironment": _("{name}'s exam client found: {problems}"),
        "alertEnvironmentClear": _("{name}'s computer passes the exam client's check "
                                   "again"),
        "alertAck": _("{name} read your message"),
        "alertCameraLost": _("{name}: {camera} camera lost"),
        "alertBroadcast": _("Message sent to {count} candidates"),
        "alertAdmission": _("{name} is waiting for admission"),
        "alertIdentity": _("{name} needs an identity review"),
        "openDetail": _("Open the candidate's timeline"),
        # actions
        "admit": _("Admit"), "refuse": _("Refuse admission…"),
        "identity": _("Review identity…"), "message": _("Messages…"),
        "pause": _("Pause…"), "resume": _("Resume…"), "extend": _("Extend time…"),
        "force_submit": _("Submit for the candidate…"), "terminate": _("Terminate (void)…"),
        "reentry": _("Allow re-entry…"), "irregularityFor": _("Irregularity report…"),
        "detail": _("Timeline and evidence"), "livePc": _("Live video: PC camera"),
        "livePhone": _("Live video: phone camera"),
        "title_refuse": _("Refuse admission: {name}"),
        "text_refuse": _("The candidate keeps waiting and reads your reason. You can "
                         "still admit them later."),
        "title_pause": _("Pause the exam: {name}"),
        "text_pause": _("The candidate's page locks and their clock stops until you resume."),
        "title_resume": _("Resume the exam: {name}"),
        "text_resume": _("The candidate continues; the paused time is added to the deadline."),
        "title_extend": _("Extend the time: {name}"),
        "text_extend": _("The minutes are added to this candidate's deadline."),
        "title_force_submit": _("Submit for the candidate: {name}"),
        "text_force_submit": _("The exam ends now with the answers saved so far. This "
                               "cannot be undone."),
        "title_terminate": _("Terminate and void: {name}"),
        "text_terminate": _("The attempt is voided and has no result. This cannot be "
                            "undone; reviewers read your reason."),
        "title_reentry": _("Allow re-entry: {name}"),
        "text_reentry": _("The candidate may sign in once more (within 15 minutes), for "
                          "example on another computer after a crash."),
        "title_broadcast": _("Message the whole room"),
        "text_broadcast": _("Every candidate in the room sees it until they acknowledge it."),
        "title_bulk": _("{action}: {count} candidates"),
        "text_bulk": _("Applied to each selected candidate on its own; those for whom it is "
                       "not possible are shown."),
        "confirm": _("Confirm"), "send": _("Send"),
        "reasonRequired": _("Give a reason: it is kept in the record."),
        "reasonOptional": _("Reason (optional)"),
        "reasonLabel": _("Reason (kept in the record)"),
        "refuseReason": _("Reason (the candidate reads it)"),
        "bodyRequired": _("Write the message first."),
        "bulkDone": _("{ok} done, {failed} not possible"),
        "admitAllDone": _("{count} admitted"),
        "done": _("Done"),
        # chat
        "chatTitle": _("Messages with {name}"), "chatEmpty": _("No message yet."),
        "you": _("Proctor"), "candidate": _("Candidate"),
        "acknowledged": _("Read by the candidate at {time}"),
        "notAcknowledged": _("Not yet read by the candidate"),
        "broadcastTag": _("to the room"),
        # identity
        "identityTitle": _("Identity review: {name}"),
        "identityNone": _("This candidate is not waiting for an identity review."),
        "identityDistance": _("Face distance {distance} (lower is more alike)"),
        "identityNoDistance": _("No face comparison score."),
        "noPhoto": _("No enrolled photo (the first capture is the reference)."),
        "pictureMissing": _("Picture not available"),
        "noteRequired": _("Say why the identity is rejected."),
        "irregularityAbout": _("About {name}"),
        "irregularityRoom": _("About the whole room"),
        "descriptionRequired": _("Describe what happened."),
        "reportFiled": _("The report is filed."),
        # detail page
        "newEvents": _("New evidence arrived."),
        "flagConfirmed": _("Confirmed"), "flagDismissed": _("Dismissed"),
        "dismissNote": _("Say why the flag is dismissed."),
    }


@login_required
def rooms(request: HttpRequest) -> HttpResponse:
    if not selectors.may_use_console(request.user):
        return _forbidden(request)
    return render(request, "console/rooms.html",
                  {"rooms": selectors.rooms_for_console(request.user)})


@login_required
@ensure_csrf_cookie
def room(request: HttpRequest, room_id: uuid.UUID) -> HttpResponse:
    if not selectors.may_use_console(request.user):
        return _forbidden(request)
    try:
        room = services.proctor_room(actor=request.user, room_id=room_id)
    except ApplicationError as error:
        raise Http404(str(error.message)) from error
    return render(request, "console/room.html",
                  {"room": room, "console_config": _page_config(request, room.pk),
                   "console_strings": _strings(),
                   "categories": IrregularityReport.Category.choices})


@login_required
@ensure_csrf_cookie
def attempt(request: HttpRequest, attempt_id: uuid.UUID) -> HttpResponse:
    if not selectors.may_use_console(request.user):
        return _forbidden(request)
    try:
        attempt = services.proctor_attempt(actor=request.user, attempt_id=attempt_id)
    except ApplicationError as error:
        raise Http404(str(error.message)) from error
    before = parse_datetime(request.GET.get("before", "") or "")
    evidence = timeline.attempt_timeline(attempt=attempt, before=before)
    registration = attempt.registration
    config = _page_config(request, registration.room_id)
    config.update({
        "attemptId": str(attempt.pk),
        "state": attempt.state,
        "deadline": attempt.deadline.isoformat() if attempt.deadline else None,
        "pausedAt": attempt.paused_at.isoformat() if attempt.paused_at else None,
    })
    return render(request, "console/attempt.html", {
        "attempt": attempt, "registration": registration, "room": registration.room,
        "timeline": evidence, "before": before, "console_config": config,
        "console_strings": _strings(), "categories": IrregularityReport.Category.choices,
    })


@login_required
def snapshot(request: HttpRequest, snapshot_id: uuid.UUID) -> HttpResponse:
    """A snapshot's image, for staff who may watch the candidate's room (never via a
    public media URL): console users, and admin users who may view snapshots (the
    admin's thumbnails)."""
    if not selectors.may_view_snapshots(request.user):
        return _forbidden(request)
    picture = selectors.snapshot_for_staff(user=request.user, snapshot_id=snapshot_id)
    return private_image_response(picture.image if picture else None)
