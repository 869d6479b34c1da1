from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from examhall.core.errors import ApplicationError
from examhall.delivery import services
from examhall.delivery.models import Answer, Attempt, AttemptEvent


class AttemptEventInline(admin.TabularInline):
    model = AttemptEvent
    extra = 0
    can_delete = False
    readonly_fields = ["at", "actor_label", "from_state", "to_state", "reason"]
    fields = readonly_fields

    def has_add_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False


class AnswerInline(admin.TabularInline):
    model = Answer
    extra = 0
    can_delete = False
    readonly_fields = ["question", "value", "marked", "seq", "client_saved_at", "saved_at"]
    fields = readonly_fields

    def has_add_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False


@admin.register(Attempt)
class AttemptAdmin(admin.ModelAdmin):
    """Read-only view of attempts; state changes only through the services."""

    list_display = ["ticket_number", "candidate_name", "subject", "state", "started_at",
                    "deadline", "submitted_at", "submit_reason"]
    list_filter = ["state", "submit_reason", "registration__exam", "registration__subject",
                   "registration__session", "registration__room"]
    search_fields = ["registration__ticket_number", "registration__candidate__name"]
    list_select_related = ["registration__candidate", "registration__subject"]
    readonly_fields = ["registration", "state", "paper", "started_at", "deadline", "paused_at",
                       "submitted_at", "submit_reason"]
    exclude = ["question_ids"]
    inlines = [AttemptEventInline, AnswerInline]
    actions = ["submit_now"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    @admin.display(description=_("ticket number"), ordering="registration__ticket_number")
    def ticket_number(self, attempt: Attempt) -> str:
        return attempt.registration.ticket_number

    @admin.display(description=_("candidate"))
    def candidate_name(self, attempt: Attempt) -> str:
        return attempt.registration.candidate.name

    @admin.display(description=_("subject"))
    def subject(self, attempt: Attempt) -> str:
        return attempt.registration.subject.display_name

    @admin.action(description=_("Submit the selected attempts now (with what was saved)"))
    def submit_now(self, request: HttpRequest, queryset: QuerySet[Attempt]) -> None:
        done = 0
        for attempt in queryset:
            try:
                services.attempt_submit(attempt_id=attempt.pk, reason="proctor", actor=request.user)
                done += 1
            except ApplicationError as error:
                self.message_user(request, f"{attempt}: {error.message}", messages.WARNING)
        self.message_user(
            request,
            ngettext("%(count)d attempt submitted.", "%(count)d attempts submitted.", done)
            % {"count": done},
        )
