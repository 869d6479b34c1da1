from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext_lazy as _

from examhall.exams.models import Exam
from examhall.grading import results
from examhall.grading.models import AttemptResult, Marking, QuestionMark

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@admin.register(AttemptResult)
class AttemptResultAdmin(admin.ModelAdmin):
    list_display = ["attempt", "score", "max_score", "graded_at"]
    actions = ["publish_results", "export_results", "export_item_statistics"]
    list_filter = ["attempt__registration__exam", "attempt__registration__subject"]
    search_fields = ["attempt__registration__ticket_number",
                     "attempt__registration__candidate__name"]
    readonly_fields = ["attempt", "score", "max_score", "graded_at"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def _exams(self, queryset: QuerySet[AttemptResult]) -> list[Exam]:
        return list(Exam.objects.filter(
            registrations__attempt__result__in=queryset).distinct())

    @admin.action(description=_("Publish the results of these exams (candidates can look "
                                "them up)"), permissions=["change"])
    def publish_results(self, request: HttpRequest, queryset: QuerySet[AttemptResult]) -> None:
        for exam in self._exams(queryset):
            results.results_publish(exam=exam)
            self.message_user(request, _("Results of %(exam)s are published.") % {"exam": exam})

    def _one_exam(self, request: HttpRequest, queryset: QuerySet[AttemptResult]) -> Exam | None:
        exams = self._exams(queryset)
        if len(exams) != 1:
            self.message_user(request, _("Choose results of one exam."), messages.WARNING)
            return None
        return exams[0]

    @admin.action(description=_("Export the results of this exam (Excel)"))
    def export_results(self, request: HttpRequest, queryset: QuerySet[AttemptResult]
                       ) -> HttpResponse | None:
        exam = self._one_exam(request, queryset)
        if exam is None:
            return None
        response = HttpResponse(results.results_workbook(exam=exam), content_type=XLSX)
        response["Content-Disposition"] = f'attachment; filename="results-{exam.code}.xlsx"'
        return response

    @admin.action(description=_("Export the item statistics of this exam (Excel)"))
    def export_item_statistics(self, request: HttpRequest, queryset: QuerySet[AttemptResult]
                               ) -> HttpResponse | None:
        exam = self._one_exam(request, queryset)
        if exam is None:
            return None
        response = HttpResponse(results.item_statistics_workbook(exam=exam), content_type=XLSX)
        response["Content-Disposition"] = f'attachment; filename="items-{exam.code}.xlsx"'
        return response


@admin.register(QuestionMark)
class QuestionMarkAdmin(admin.ModelAdmin):
    list_display = ["attempt", "question", "awarded", "maximum", "is_correct"]
    list_filter = ["is_correct", "attempt__registration__subject"]
    search_fields = ["attempt__registration__ticket_number"]
    readonly_fields = ["attempt", "question", "awarded", "maximum", "is_correct"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False


@admin.register(Marking)
class MarkingAdmin(admin.ModelAdmin):
    """Read-only: marks are given on the grader pages (/marking/)."""

    list_display = ["question", "round", "grader", "score", "marked_at"]
    list_filter = ["round", "attempt__registration__exam", "attempt__registration__subject"]
    search_fields = ["grader__username", "question__stem"]
    readonly_fields = ["attempt", "question", "round", "maximum", "grader", "score", "comment",
                       "claimed_at", "marked_at"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False
