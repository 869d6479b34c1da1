"""Monitoring in the admin: exam policies, flags (filtered by kind and status, with
their evidence) and snapshots (with a thumbnail)."""

from __future__ import annotations

from django.contrib import admin
from django.http import HttpRequest
from django.urls import reverse
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext_lazy as _

from examhall.proctoring.models import (
    BrowserEvent,
    Flag,
    MonitoringPolicy,
    PhonePairing,
    Snapshot,
)
from examhall.proctoring.taxonomy import flag_label


def _thumbnail(snapshot: Snapshot, height: int = 60) -> str:
    if not snapshot.image:
        return "—"
    return format_html('<img src="{}" alt="" style="height:{}px">',
                       reverse("console:snapshot", args=[snapshot.pk]), height)


@admin.register(MonitoringPolicy)
class MonitoringPolicyAdmin(admin.ModelAdmin):
    list_display = ["exam", "sensitivity", "pc_interval_seconds", "phone_interval_seconds",
                    "identity_every", "grace_seconds", "retention_days"]
    list_select_related = ["exam"]
    autocomplete_fields = ["exam"]


@admin.register(Flag)
class FlagAdmin(admin.ModelAdmin):
    list_display = ["attempt", "kind", "camera", "category", "severity", "first_at",
                    "last_at", "count", "status"]
    list_filter = ["status", "category", "severity", "type", "camera",
                   "attempt__registration__exam"]
    search_fields = ["attempt__registration__ticket_number"]
    list_select_related = ["attempt__registration"]
    readonly_fields = ["attempt", "type", "camera", "category", "severity", "first_at",
                       "last_at", "count", "details", "evidence_images"]
    exclude = ["evidence"]
    date_hierarchy = "first_at"

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False  # flags come from monitoring

    @admin.display(description=_("type"), ordering="type")
    def kind(self, flag: Flag) -> str:
        return flag_label(flag.type)

    @admin.display(description=_("evidence"))
    def evidence_images(self, flag: Flag) -> str:
        snapshots = flag.evidence.order_by("taken_at")
        if not snapshots:
            return "—"
        return format_html_join(" ", "{}", ((_thumbnail(s, 120),) for s in snapshots))


@admin.register(Snapshot)
class SnapshotAdmin(admin.ModelAdmin):
    list_display = ["thumbnail", "attempt", "camera", "taken_at", "reason", "analysis_status",
                    "size_bytes"]
    list_filter = ["camera", "analysis_status", "reason"]
    search_fields = ["attempt__registration__ticket_number"]
    list_select_related = ["attempt__registration"]
    readonly_fields = ["thumbnail", "attempt", "camera", "taken_at", "reason", "width",
                       "height", "size_bytes", "analysis_status", "analysis", "analysed_at",
                       "purged_at"]
    exclude = ["image"]
    date_hierarchy = "taken_at"

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    @admin.display(description=_("picture"))
    def thumbnail(self, snapshot: Snapshot) -> str:
        return _thumbnail(snapshot)


@admin.register(BrowserEvent)
class BrowserEventAdmin(admin.ModelAdmin):
    list_display = ["attempt", "type", "server_at", "client_at"]
    list_filter = ["type"]
    search_fields = ["attempt__registration__ticket_number"]
    list_select_related = ["attempt__registration"]
    readonly_fields = ["attempt", "type", "server_at", "client_at", "details"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False


@admin.register(PhonePairing)
class PhonePairingAdmin(admin.ModelAdmin):
    """Which phone was each attempt's second camera, and when (read only)."""

    list_display = ["attempt", "created_at", "claimed_at", "checks_passed", "confirmed_at",
                    "ended_at", "end_reason"]
    list_filter = ["checks_passed", "end_reason", "attempt__registration__exam"]
    search_fields = ["attempt__registration__ticket_number"]
    list_select_related = ["attempt__registration"]
    readonly_fields = ["attempt", "expires_at", "claimed_at", "confirmed_at", "ended_at",
                       "end_reason", "user_agent", "checks", "checks_passed"]
    exclude = ["token_digest"]
    date_hierarchy = "created_at"

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False  # pairings come from the candidate's PC and phone
