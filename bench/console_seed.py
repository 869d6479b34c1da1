"""Arrange the bench database for the console benchmark: the first P×R registrations of
the bench exam (by ticket number) are put into P new rooms of R candidates, each room
watched by one new proctor (a staff user with the console permission, in the group
``bench-proctors``), signed in by a session made here. Earlier layouts' proctors lose
their rooms.

Prints one JSON line: the session cookie's name and, per room, its id, the proctor's
session key and the ticket numbers in it.

Run with the server's environment (same database, Redis and SECRET_KEY), after
``bench/seed.py``; ``bench/console.py`` runs it once per layout while the server runs.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from importlib import import_module
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.production")

import django

django.setup()

from django.conf import settings  # noqa: E402
from django.contrib.auth import (  # noqa: E402
    BACKEND_SESSION_KEY,
    HASH_SESSION_KEY,
    SESSION_KEY,
    get_user_model,
)
from django.contrib.auth.models import Group, Permission  # noqa: E402
from django.db import transaction  # noqa: E402

from examhall.candidates.models import Registration  # noqa: E402
from examhall.exams.models import Room  # noqa: E402

BACKEND = "django.contrib.auth.backends.ModelBackend"


def proctor_session(user: object) -> str:
    """A signed-in session for ``user`` (what the login view would store); its key."""
    store = import_module(settings.SESSION_ENGINE).SessionStore()
    store[SESSION_KEY] = str(user.pk)  # type: ignore[attr-defined]
    store[BACKEND_SESSION_KEY] = BACKEND
    store[HASH_SESSION_KEY] = user.get_session_auth_hash()  # type: ignore[attr-defined]
    store.create()
    return str(store.session_key)


def arrange(proctors: int, per_room: int, label: str) -> dict[str, object]:
    user_model = get_user_model()
    with transaction.atomic():
        group, _ = Group.objects.get_or_create(name="bench-proctors")
        group.permissions.add(Permission.objects.get(content_type__app_label="console",
                                                     codename="proctor_rooms"))
        registrations = list(Registration.objects.filter(exam__code="bench")
                             .order_by("ticket_number")
                             .values_list("pk", "ticket_number", "session_id"))
        needed = proctors * per_room
        if len(registrations) < needed:
            raise SystemExit(f"{needed} candidates needed, {len(registrations)} seeded")
        for room_model in Room.objects.filter(proctors__groups=group).distinct():
            room_model.proctors.clear()
        rooms = []
        for index in range(proctors):
            chunk = registrations[index * per_room:(index + 1) * per_room]
            room = Room.objects.create(session_id=chunk[0][2], name=f"{label}-{index:03d}",
                                       capacity=per_room)
            Registration.objects.filter(pk__in=[pk for pk, _t, _s in chunk]).update(room=room)
            user = user_model(username=f"{label}-proctor-{index:03d}", is_staff=True)
            user.set_unusable_password()
            user.save()
            user.groups.add(group)
            room.proctors.add(user)
            rooms.append({"room": str(room.pk), "session_key": "", "user": user,
                          "tickets": [ticket for _pk, ticket, _s in chunk]})
    for room in rooms:  # after commit: the cached_db store reads the user back
        room["session_key"] = proctor_session(room.pop("user"))
    return {"cookie_name": settings.SESSION_COOKIE_NAME, "rooms": rooms}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--proctors", type=int, required=True)
    parser.add_argument("--per-room", type=int, required=True)
    parser.add_argument("--label", required=True, help="prefix of room and user names")
    args = parser.parse_args()
    print(json.dumps(arrange(args.proctors, args.per_room, args.label)))


if __name__ == "__main__":
    main()
