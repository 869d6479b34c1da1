"""The console's records in the admin: read-only (they are written by the console's
services, never edited), each list limited to the rooms the user may watch."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest

from examhall.console.models import Admission, IrregularityReport, Message, ProctorAction
from examhall.exams import selectors as exam_selectors


class _ReadOnlyScopedAdmin(admin.ModelAdmin):
    room_path = "attempt__registration__room"

    def get_queryset(self, request: HttpRequest) -> QuerySet[Any]:
        rooms = exam_selectors.rooms_visible_to(request.user)
        return super().get_queryset(request).filter(**{f"{self.room_path}__in": rooms})

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(ProctorAction)
class ProctorActionAdmin(_ReadOnlyScopedAdmin):
    room_path = "room"
    list_display = ["at", "actor", "kind", "room", "attempt", "reason"]
    list_filter = ["kind", "room__session__exam"]
    search_fields = ["attempt__registration__ticket_number", "actor__username", "reason"]
    list_select_related = ["actor", "room__session", "attempt__registration"]
    date_hierarchy = "at"


@admin.register(IrregularityReport)
class IrregularityReportAdmin(_ReadOnlyScopedAdmin):
    room_path = "room"
    list_display = ["filed_at", "category", "room", "attempt", "author", "description"]
    list_filter = ["category", "room__session__exam"]
    search_fields = ["description", "attempt__registration__ticket_number"]
    list_select_related = ["author", "room__session", "attempt__registration"]
    date_hierarchy = "filed_at"


@admin.register(Message)
class MessageAdmin(_ReadOnlyScopedAdmin):
    list_display = ["sent_at", "attempt", "sender", "author", "broadcast", "body",
                    "acknowledged_at"]
    list_filter = ["sender", "broadcast"]
    search_fields = ["attempt__registration__ticket_number", "body"]
    list_select_related = ["author", "attempt__registration"]


@admin.register(Admission)
class AdmissionAdmin(_ReadOnlyScopedAdmin):
    list_display = ["attempt", "decision", "decided_by", "decided_at", "reason"]
    list_filter = ["decision"]
    search_fields = ["attempt__registration__ticket_number"]
    list_select_related = ["decided_by", "attempt__registration"]
