"""The access walk: every URL pattern of the project (pages, the JSON API's operations,
the admin) and every websocket route is tried as each role — nobody signed in,
candidate A (with A's attempt token and page session), a proctor of room A (who is
also an identity reviewer and a reviewer), a staff user without the console and the
exam office — with the path parameters filled by real objects of ROOM B (another
room, another candidate). Each answer must be the refusal the route's rule expects
(401 / 403 / 404 / a redirect to the sign-in page), never a page with B's data,
never a server error; the exam office gets B's objects (so the ids are real).

A route is either checked by the rule of its prefix (new routes under a known prefix
are covered at once) or public by design (``PUBLIC``, with the reason). A route in
neither fails ``test_every_route_is_classified``: classify it when you add it.
"""

from __future__ import annotations

import datetime as dt
import inspect
import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from channels.db import database_sync_to_async
from channels.routing import URLRouter
from channels.testing import WebsocketCommunicator
from django.conf import settings
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver

from config.routing import websocket_urlpatterns
from examhall.candidates.models import Candidate
from examhall.console.models import Message, ProctorAction
from examhall.console.tests.staff import StaffClient, room_of_candidates, staff_user
from examhall.core import clock
from examhall.identity import services as identity_services
from examhall.identity.models import IdentityCapture, IdentityCheck
from examhall.identity.tests.frames import frame, photo_bytes
from examhall.itembank.models import Question
from examhall.proctoring import services as proctoring_services
from examhall.proctoring.models import Snapshot
from examhall.proctoring.tests.helpers import upload

MISSING = "00000000-0000-4000-8000-000000000000"
STAFF_LOGIN = "/admin/login/"

# Public by design: what anyone may open, and why that is safe.
PUBLIC: dict[str, str] = {
    "": "the candidates' front page (choose an exam)",
    "exam/<slug:exam_code>/": "an exam's entry page for candidates",
    "exam/<slug:exam_code>/login/": "the candidate's sign-in form (ticket + ID number)",
    "results/<slug:exam_code>/": "result lookup: asks for the ticket and ID number itself",
    "api/exams/<exam_code>": "a published exam's public description (entry page)",
    "api/exams/<exam_code>/login": "the candidate's sign-in (ticket + ID; rate-limited)",
    "api/phone/pair": "the phone trades a one-time pairing code for its credential",
    "m/<str:token>/": "the phone's page; the one-time pairing code is in the URL",
    "m/": "the phone's page after a reload; its credential is in its own storage",
    "i18n/setlang/": "Django's language switch",
    "help/": "the candidates' help centre",
    "help/client/": "the exam client's downloads and installation steps",
    "api/client/exams/<exam_code>/policy": "a published exam's client policy: what the exam "
                                           "client checks, fetched before anyone signs in",
    "api/": "the API root (lists nothing)",
    "api/docs": "the API documentation (OpenAPI; lists routes, no data)",
    "api/openapi.json": "the API schema (routes, no data)",
    "admin/login/": "the staff sign-in page",
    "admin/logout/": "signing out",
    "admin/password_reset/": "Django admin's password reset, when configured",
}

# Checked: the first prefix that matches names the rule.
RULES: list[tuple[str, str]] = [
    ("api/console/", "staff_api"),
    ("api/proctor/", "staff_api"),
    ("api/review/", "staff_api"),
    ("api/attempts/<attempt_id>", "candidate_api"),
    ("api/phone/", "phone_api"),
    ("console/", "staff_page"),
    ("review/", "staff_page"),
    ("staff/", "staff_page"),
    ("marking/", "marker_page"),
    ("attempt/", "candidate_page"),
    ("admin/", "admin"),
]

# Routes that only list what the user may see (no id in the path): a proctor of room A
# gets them, without anything of room B.
LISTS = {"api/console/rooms", "api/proctor/identity-reviews", "console/", "review/"}

ROLES = ("anonymous", "candidate_a", "no_console", "proctor_a", "office")

# What each rule answers each role (for a route with ids of room B).
EXPECTED: dict[str, dict[str, set[int]]] = {
    "staff_api": {"anonymous": {401}, "candidate_a": {401}, "no_console": {403},
                  "proctor_a": {404}},
    # A's token on B's attempt: 404; or 422 where the body is read before the attempt
    # (an upload without its file): that answer says nothing of B's attempt.
    "candidate_api": {"anonymous": {401}, "candidate_a": {404, 422}, "no_console": {401},
                      "proctor_a": {401}, "office": {401}},
    "phone_api": {"anonymous": {401}, "candidate_a": {401}, "no_console": {401},
                  "proctor_a": {401}, "office": {401}},
    "staff_page": {"anonymous": {302}, "candidate_a": {302}, "no_console": {403},
                   "proctor_a": {404}},
    "marker_page": {"anonymous": {302}, "candidate_a": {302}, "no_console": {403},
                    "proctor_a": {403}},
    "candidate_page": {"anonymous": {302}, "no_console": {302}, "proctor_a": {302},
                       "office": {302}},
    "admin": {"anonymous": {302}, "candidate_a": {302}},
}

# The decision each operation expects, so a valid body reaches the access check.
DECISIONS = {"console_admission": "admit", "console_identity": "approve",
             "identity_review": "approve", "enrolment_photo_review": "approve"}


# --- the routes ----------------------------------------------------------------------


@dataclass(frozen=True)
class Route:
    template: str  # as the resolver spells it, e.g. "console/rooms/<uuid:room_id>/"
    name: str
    methods: tuple[str, ...]
    pattern: URLPattern

    @property
    def params(self) -> list[str]:
        return [a or b for a, b in re.findall(r"<(?:\w+:)?(\w+)>|\(\?P<(\w+)>",
                                               self.template)]


def _methods(pattern: URLPattern) -> tuple[str, ...]:
    """The HTTP methods of a ninja operation (from its PathView); GET and POST else."""
    callback = pattern.callback
    closure = (inspect.getclosurevars(callback).nonlocals
               if getattr(callback, "__closure__", None) else {})
    path_view = closure.get("self")
    operations = getattr(path_view, "operations", None)
    if operations:
        return tuple(sorted({method for op in operations for method in op.methods}))
    return ("GET", "POST")


def _walk(patterns: list[Any], prefix: str = "") -> Iterator[Route]:
    for entry in patterns:
        if isinstance(entry, URLResolver):
            yield from _walk(entry.url_patterns, prefix + str(entry.pattern))
        elif isinstance(entry, URLPattern):
            yield Route(prefix + str(entry.pattern), entry.name or "", _methods(entry), entry)


def all_routes() -> list[Route]:
    unique: dict[str, Route] = {}
    for route in _walk(get_resolver().url_patterns):
        unique.setdefault(route.template, route)  # ninja: one pattern per operation
    return list(unique.values())


def rule_for(template: str) -> str | None:
    if template in PUBLIC:
        return "public"
    for prefix, rule in RULES:
        if template.startswith(prefix):
            return rule
    return None


def test_every_route_is_classified() -> None:
    unclassified = [r.template for r in all_routes() if rule_for(r.template) is None]
    assert not unclassified, (
        "new routes: add each to RULES (checked) or PUBLIC (with a reason): "
        f"{unclassified}")


def test_the_public_list_names_only_existing_routes() -> None:
    templates = {route.template for route in all_routes()}
    stale = set(PUBLIC) - templates - {"admin/password_reset/"}
    assert not stale, f"PUBLIC lists routes that no longer exist: {stale}"


# --- the world: room A and room B ---------------------------------------------------


class World:
    def __init__(self) -> None:
        _exam, self.room_a, [self.candidate_a] = room_of_candidates(candidates=1)
        self.exam_b, self.room_b, [self.candidate_b] = room_of_candidates(candidates=1)
        Candidate.objects.filter(pk=self.candidate_b.registration.candidate_id).update(
            name="Bertha Elsewhere")
        self.proctor = staff_user(
            "proctor_a", rooms=(self.room_a,),
            permissions=("proctor_rooms", "review_identity", "review_attempts"))
        self.no_console = staff_user("clerk", permissions=())
        self.office = staff_user("office", superuser=True)
        b = self.candidate_b
        shot = upload(b, frame("obama"))
        assert shot.status_code == 202, shot.content
        self.snapshot = Snapshot.objects.get(pk=shot.json()["snapshot_id"])
        self.flag = proctoring_services.flag_raise(
            attempt_id=b.attempt_id, flag_type="several_faces", at=clock.now(),
            gap_seconds=60, camera="pc")
        self.message = b.post("/messages", {"body": "help"}).json()["id"]
        office = StaffClient(self.office)
        self.proctor_message = office.post(f"/api/console/attempts/{b.attempt_id}/messages",
                                           {"body": "hello"}).json()["id"]
        check = IdentityCheck.objects.create(attempt_id=b.attempt_id,
                                             status=IdentityCheck.Status.REVIEW,
                                             review_reason="no_reference")
        frame_path = default_storage.save("identity/captures/walk/00.jpg",
                                          ContentFile(photo_bytes("obama")))
        self.capture = IdentityCapture.objects.create(
            identity_check=check, expires_at=clock.now() + dt.timedelta(hours=1),
            frames=[frame_path])
        self.photo = identity_services.enrolment_photo_add(
            candidate_id=b.registration.candidate_id, data=photo_bytes("obama"))
        self.question = Question.objects.filter(subject=b.registration.subject).first()
        self.actions_before = ProctorAction.objects.count()
        self.secrets = [str(self.room_b.pk), b.attempt_id, "Bertha Elsewhere",
                        b.registration.ticket_number]

    def value(self, param: str) -> str:
        b = self.candidate_b
        values = {
            "room_id": str(self.room_b.pk), "attempt_id": b.attempt_id,
            "flag_id": str(self.flag.pk), "snapshot_id": str(self.snapshot.pk),
            "message_id": self.proctor_message, "capture_id": str(self.capture.pk),
            "photo_id": str(self.photo.pk), "question_id": str(self.question.pk),
            "exam_id": str(self.exam_b.pk), "exam_code": self.exam_b.code,
            "camera": "pc", "token": "not-a-token", "index": "0",
        }
        if param not in values:
            raise AssertionError(f"no object of room B for the path parameter {param!r}: "
                                 "add one to World.value")
        return values[param]

    def body(self, route: Route) -> dict[str, Any]:
        return {"reason": "walk", "body": "walk", "note": "walk", "minutes": 5,
                "category": "other", "description": "walk", "action": "pause",
                "attempt_ids": [self.candidate_b.attempt_id],
                "decision": DECISIONS.get(route.name, "confirm"),
                "status": "passed"}


def _path(route: Route, world: World) -> str:
    path = route.template
    for param in route.params:
        path = re.sub(rf"<(?:\w+:)?{param}>", world.value(param), path)
    return "/" + path


def _request(world: World, role: str, method: str, path: str, body: dict[str, Any],
             rule: str) -> Any:
    if role in ("no_console", "proctor_a", "office"):
        user = {"no_console": world.no_console, "proctor_a": world.proctor,
                "office": world.office}[role]
        client = StaffClient(user)
        return client.get(path) if method == "GET" else client.post(path, body)
    if role == "candidate_a":
        client = world.candidate_a.client  # the candidate's page session
        headers = {"HTTP_AUTHORIZATION": f"Bearer {world.candidate_a.token}"}
    else:
        client, headers = Client(), {}
    if method == "GET":
        return client.get(path, **headers)
    return client.generic(method, path, data=json.dumps(body),
                          content_type="application/json", **headers)


def _checked_routes() -> list[Route]:
    return [r for r in all_routes() if rule_for(r.template) not in (None, "public")]


@pytest.mark.django_db
def test_every_checked_route_refuses_each_role_what_is_not_theirs() -> None:
    world = World()
    failures: list[str] = []
    for route in _checked_routes():
        rule = rule_for(route.template)
        assert rule is not None
        path = _path(route, world) if rule != "admin" else _admin_path(route)
        for method in route.methods:
            for role, expected in EXPECTED[rule].items():
                if route.template in LISTS and role == "proctor_a":
                    expected = {200}
                response = _request(world, role, method, path, world.body(route), rule)
                status = response.status_code
                ok = status in expected or (status == 405 and rule in (
                    "staff_page", "marker_page", "candidate_page", "admin"))
                if ok and status == 302:
                    ok = _refused_redirect(response, rule)
                if ok and status == 200:
                    ok = not _mentions(response, world.secrets)
                if not ok:
                    failures.append(f"{method} {path} as {role}: {status} "
                                    f"(expected {sorted(expected)})")
    assert not failures, "\n".join(failures)
    assert ProctorAction.objects.count() == world.actions_before  # nothing was done
    assert Message.objects.filter(attempt_id=world.candidate_b.attempt_id).count() == 2


def _refused_redirect(response: Any, rule: str) -> bool:
    location = response["Location"]
    if rule in ("staff_page", "marker_page", "admin"):
        return location.startswith(STAFF_LOGIN)
    return location == "/"  # a candidate page without a signed-in candidate: home


def _mentions(response: Any, secrets: list[str]) -> bool:
    if response.get("Content-Type", "").split(";")[0] not in ("text/html",
                                                              "application/json"):
        return True  # a file of room B's candidate
    text = response.content.decode()
    return any(secret in text for secret in secrets)


def _admin_path(route: Route) -> str:
    path = route.template
    path = re.sub(r"\(\?P<app_label>([\w|]+)\)", lambda m: m.group(1).split("|")[0], path)
    path = re.sub(r"\(\?P<url>\.\*\)", "nothing-here/", path)
    path = re.sub(r"<int:(\w+)>", "1", path)
    path = re.sub(r"<(?:path:|str:)?(\w+)>", MISSING, path)
    return "/" + path.replace("^", "").replace("$", "")


@pytest.mark.django_db
def test_the_exam_office_reaches_room_bs_objects() -> None:
    """The positive control: the ids the walk uses are real (the office sees them)."""
    world = World()
    failures = []
    for route in _checked_routes():
        rule = rule_for(route.template)
        if rule not in ("staff_api", "staff_page") or "GET" not in route.methods:
            continue
        response = _request(world, "office", "GET", _path(route, world), {}, rule)
        if response.status_code == 405:
            continue  # a form's POST target (review decide / confirm)
        if response.status_code != 200:
            failures.append(f"GET {route.template}: {response.status_code}")
        elif route.template in LISTS and not _mentions(response, world.secrets):
            failures.append(f"GET {route.template}: the office's list lacks room B")
    assert not failures, "\n".join(failures)


@pytest.mark.django_db
def test_candidate_b_reaches_their_own_attempt() -> None:
    """The positive control for the candidate API: B's own token opens B's attempt."""
    world = World()
    b = world.candidate_b
    for route in _checked_routes():
        if rule_for(route.template) != "candidate_api" or "GET" not in route.methods:
            continue
        response = b.client.get(_path(route, world), HTTP_AUTHORIZATION=f"Bearer {b.token}")
        assert response.status_code not in (401, 403, 404), (route.template,
                                                               response.content)


# --- websockets ------------------------------------------------------------------------

WEBSOCKETS: dict[str, str] = {
    "ws/attempts/": "token_first",
    "ws/phone/": "credential_first",
    "ws/console/": "staff_session",
    "ws/video/watch/": "staff_session",
    "ws/video/send/": "token_first",
}

application = URLRouter(websocket_urlpatterns)


def test_every_websocket_route_is_classified() -> None:
    routes = {str(entry.pattern) for entry in websocket_urlpatterns}
    assert routes <= set(WEBSOCKETS), f"classify: {routes - set(WEBSOCKETS)}"


def _cookie(user: Any) -> bytes:
    client = Client()
    client.force_login(user)
    return f"{settings.SESSION_COOKIE_NAME}={client.cookies[settings.SESSION_COOKIE_NAME].value}"\
        .encode()


async def _socket(path: str, user: Any | None = None) -> tuple[WebsocketCommunicator, bool,
                                                                Any]:
    headers = [(b"origin", b"http://localhost")]
    if user is not None:
        headers.append((b"cookie", await database_sync_to_async(_cookie)(user)))
    socket = WebsocketCommunicator(application, "/" + path, headers=headers)
    connected, code = await socket.connect(timeout=5)
    return socket, connected, code


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("path", sorted(WEBSOCKETS))
async def test_every_websocket_refuses_who_is_not_its_user(path: str) -> None:
    world = await database_sync_to_async(World)()
    rule = WEBSOCKETS[path]
    if rule in ("token_first", "credential_first"):
        for auth in ({}, {"token": "forged"}, {"credential": "forged"}):
            socket, connected, _code = await _socket(path)
            assert connected
            await socket.send_json_to({"type": "auth", **auth})
            assert (await socket.receive_output(timeout=5))["code"] == 4401
        if rule == "credential_first":  # a PC token is not a phone credential
            socket, _c, _code = await _socket(path)
            await socket.send_json_to({"type": "auth", "credential": world.candidate_a.token})
            assert (await socket.receive_output(timeout=5))["code"] == 4401
        return
    for user in (None, world.no_console):
        _refused, connected, code = await _socket(path, user)
        assert not connected and code == 4403, (path, user)
    socket, connected, _code = await _socket(path, world.proctor)
    assert connected
    b = world.candidate_b.attempt_id
    if path == "ws/console/":
        await socket.send_json_to({"type": "subscribe", "room": str(world.room_b.pk)})
        answer = await socket.receive_json_from(timeout=5)
        assert answer["type"] == "error" and answer["code"] == "room_not_found"
    else:
        greeting = await socket.receive_json_from(timeout=5)
        assert greeting["type"] == "ready"
        await socket.send_json_to({"type": "watch", "attempt": b, "camera": "pc"})
        answer = await socket.receive_json_from(timeout=5)
        assert answer["type"] == "error", answer
        assert await database_sync_to_async(ProctorAction.objects.filter(
            kind="live_video").count)() == 0
    await socket.disconnect()
