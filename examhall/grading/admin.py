from django.contrib import admin
from django.http import HttpRequest

from examhall.grading.models import AttemptResult, QuestionMark


@admin.register(AttemptResult)
class AttemptResultAdmin(admin.ModelAdmin):
    list_display = ["attempt", "score", "max_score", "graded_at"]
    list_filter = ["attempt__registration__exam", "attempt__registration__subject"]
    search_fields = ["attempt__registration__ticket_number",
                     "attempt__registration__candidate__name"]
    readonly_fields = ["attempt", "score", "max_score", "graded_at"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False


@admin.register(QuestionMark)
class QuestionMarkAdmin(admin.ModelAdmin):
    list_display = ["attempt", "question", "awarded", "maximum", "is_correct"]
    list_filter = ["is_correct", "attempt__registration__subject"]
    search_fields = ["attempt__registration__ticket_number"]
    readonly_fields = ["attempt", "question", "awarded", "maximum", "is_correct"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False
