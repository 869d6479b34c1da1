"""The console reacts to changes of who proctors which room: open console sockets of
the rooms concerned re-check their access at once (``console.consumers``)."""

from __future__ import annotations

from typing import Any

from django.contrib.auth import get_user_model
from django.db.models.signals import m2m_changed, post_save
from django.dispatch import receiver

from examhall.console.consumers import ACCESS_CHANGED, room_group
from examhall.core.realtime import send_event_on_commit
from examhall.exams.models import Room


def _tell_rooms(room_ids: set[Any]) -> None:
    for room_id in room_ids:
        send_event_on_commit(room_group(room_id), {"kind": ACCESS_CHANGED})


@receiver(m2m_changed, sender=Room.proctors.through, dispatch_uid="console.room_proctors")
def room_proctors_changed(sender: Any, instance: Any, action: str, reverse: bool,
                          pk_set: set[Any] | None, **kwargs: Any) -> None:
    if action == "pre_clear" and reverse:
        # user.proctored_rooms.clear(): which rooms is only known before.
        instance._examhall_cleared_rooms = set(
            instance.proctored_rooms.values_list("pk", flat=True))
    if action not in ("post_add", "post_remove", "post_clear"):
        return
    if not reverse:
        _tell_rooms({instance.pk})
    elif action == "post_clear":
        _tell_rooms(getattr(instance, "_examhall_cleared_rooms", set()))
    else:
        _tell_rooms(set(pk_set or ()))


@receiver(post_save, sender=get_user_model(), dispatch_uid="console.user_saved")
def user_saved(sender: Any, instance: Any, created: bool,
               update_fields: frozenset[str] | None = None, **kwargs: Any) -> None:
    """A user deactivated (or otherwise changed) re-checks at once where they watch."""
    if created or update_fields == frozenset({"last_login"}):
        return  # a new user watches nothing yet; signing in changes no access
    _tell_rooms(set(Room.objects.filter(proctors=instance).values_list("pk", flat=True)))
