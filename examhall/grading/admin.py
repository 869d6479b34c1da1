from django.contrib import admin

from examhall.grading.models import AttemptResult


@admin.register(AttemptResult)
class AttemptResultAdmin(admin.ModelAdmin):
    list_display = ["attempt", "score", "max_score", "graded_at"]
    list_filter = ["attempt__registration__exam", "attempt__registration__subject"]
    search_fields = ["attempt__registration__ticket_number",
                     "attempt__registration__candidate__name"]
    readonly_fields = ["attempt", "score", "max_score", "graded_at"]

    def has_add_permission(self, request: object) -> bool:
        return False
