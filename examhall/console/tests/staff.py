"""Console tests: staff users (proctors of a room, the exam office, users without the
console), a browser-like client that sends the CSRF token, and rooms of candidates."""

from __future__ import annotations

from typing import Any

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Permission
from django.middleware.csrf import _get_new_csrf_string
from django.test import Client

from examhall.delivery.tests.helpers import CandidateClient
from examhall.devtools import factories
from examhall.exams.models import Exam, Room


def staff_user(username: str, *, rooms: tuple[Room, ...] = (),
               permissions: tuple[str, ...] = ("proctor_rooms",),
               superuser: bool = False) -> Any:
    """A staff user with the given permission codenames, proctor of ``rooms``."""
    model = get_user_model()
    if superuser:
        user = model.objects.create_superuser(username, f"{username}@example.org", "x")
    else:
        user = model.objects.create_user(username, f"{username}@example.org", "x",
                                         is_staff=True)
    user.user_permissions.add(*Permission.objects.filter(codename__in=permissions))
    for room in rooms:
        room.proctors.add(user)
    return model.objects.get(pk=user.pk)  # fresh permission cache


class StaffClient:
    """The console page's calls: session cookie plus the CSRF header, CSRF enforced."""

    def __init__(self, user: Any | None = None) -> None:
        self.client = Client(enforce_csrf_checks=True)
        self.csrf = _get_new_csrf_string()
        self.client.cookies["csrftoken"] = self.csrf
        if user is not None:
            self.client.force_login(user)

    def get(self, path: str) -> Any:
        return self.client.get(path)

    def post(self, path: str, body: Any = None, *, csrf: bool = True) -> Any:
        headers = {"HTTP_X_CSRFTOKEN": self.csrf} if csrf else {}
        return self.client.post(path, body if body is not None else {},
                                content_type="application/json", **headers)


def room_of_candidates(*, candidates: int = 2, start: bool = True,
                       **exam_options: Any) -> tuple[Exam, Room, list[CandidateClient]]:
    """An open exam with one room of signed-in candidates (started unless ``start``
    is false)."""
    exam, _subject, _session, room, people = factories.make_sitting(
        questions=1, candidates=candidates, **exam_options)
    clients = []
    for person in people:
        client = CandidateClient(*person)
        assert client.login().status_code == 200
        if start:
            client.start()
        clients.append(client)
    return exam, room, clients
