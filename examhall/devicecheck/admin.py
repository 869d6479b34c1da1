from django.contrib import admin

from examhall.devicecheck.models import DeviceCheckPolicy, DeviceCheckReport


@admin.register(DeviceCheckPolicy)
class DeviceCheckPolicyAdmin(admin.ModelAdmin):
    list_display = ("exam", "min_width", "min_height", "min_network_mbps", "require_microphone")
    list_select_related = ("exam",)
    search_fields = ("exam__code", "exam__name")
    autocomplete_fields = ("exam",)


@admin.register(DeviceCheckReport)
class DeviceCheckReportAdmin(admin.ModelAdmin):
    """Read-only: reports are what a candidate's browser measured, judged by the server."""

    list_display = ("attempt", "passed", "created_at")
    list_filter = ("passed",)
    list_select_related = ("attempt",)
    readonly_fields = ("attempt", "measurements", "verdicts", "passed", "created_at")
    search_fields = ("attempt__registration__ticket_number",)

    def has_add_permission(self, request: object) -> bool:
        return False

    def has_change_permission(self, request: object, obj: object = None) -> bool:
        return False
