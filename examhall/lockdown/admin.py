from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from examhall.lockdown import services
from examhall.lockdown.models import ClientEnvironmentReport, ClientPolicy


@admin.register(ClientPolicy)
class ClientPolicyAdmin(admin.ModelAdmin):
    """The client key is not a secret from candidates (the policy API hands it to every
    client, ADR 0012); it is read-only here and replaced with "rotate the client key"."""

    list_display = ("exam", "requires_client", "min_client_version", "virtual_machine",
                    "remote_session", "max_displays", "updated_at")
    list_filter = ("requires_client", "virtual_machine", "remote_session")
    list_select_related = ("exam",)
    search_fields = ("exam__code", "exam__name")
    autocomplete_fields = ("exam",)
    readonly_fields = ("client_key",)
    actions = ["rotate_key"]
    fieldsets = (
        (None, {"fields": ("exam", "requires_client", "min_client_version", "client_key")}),
        (_("Software"), {"fields": ("forbidden_processes", "allowed_processes")}),
        (_("Computer"), {"fields": ("max_displays", "allow_mirrored", "virtual_machine",
                                    "remote_session", "battery_min_percent",
                                    "recheck_interval_seconds")}),
    )

    @admin.action(description=_("Rotate the client key"))
    def rotate_key(self, request: HttpRequest, queryset: QuerySet[ClientPolicy]) -> None:
        count = 0
        for policy in queryset.select_related("exam"):
            services.client_policy_rotate_key(policy=policy)
            count += 1
        self.message_user(request, ngettext(
            "The client key of %(count)d exam was replaced; clients fetch the new one with "
            "the policy.",
            "The client keys of %(count)d exams were replaced; clients fetch the new ones "
            "with the policy.", count) % {"count": count}, messages.SUCCESS)


@admin.register(ClientEnvironmentReport)
class ClientEnvironmentReportAdmin(admin.ModelAdmin):
    """Read-only: what the exam client found on a candidate's computer."""

    list_display = ("attempt", "received_at", "attempt_state", "os", "client_version",
                    "passed")
    list_filter = ("passed", "os", "attempt_state")
    list_select_related = ("attempt",)
    search_fields = ("attempt__registration__ticket_number",)
    readonly_fields = ("attempt", "received_at", "attempt_state", "client_version", "os",
                       "checked_at", "passed", "problems", "facts", "appeared", "resolved")

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False
