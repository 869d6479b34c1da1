from typing import Any

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from examhall.core.errors import ApplicationError
from examhall.itembank import services
from examhall.itembank.models import Paper, PaperQuestion, PaperSection, Question, Tag


@admin.register(Tag)
class TagAdmin(admin.ModelAdmin):
    list_display = ["name"]
    search_fields = ["name"]


@admin.register(Question)
class QuestionAdmin(admin.ModelAdmin):
    list_display = ["short_stem", "kind", "subject", "score", "difficulty", "version",
                    "is_current", "external_key"]
    list_filter = ["kind", "difficulty", "is_current", "subject__exam", "subject", "tags"]
    search_fields = ["stem", "external_key", "explanation", "tags__name"]
    list_select_related = ["subject"]
    autocomplete_fields = ["tags", "parent"]
    readonly_fields = ["version", "is_current", "delivered_at"]

    @admin.display(description=_("stem"))
    def short_stem(self, question: Question) -> str:
        return question.stem[:80]

    def save_model(self, request: HttpRequest, obj: Question, form: Any, change: bool) -> None:
        """A delivered question is never changed under an attempt: it gets a new version."""
        if not change or obj.delivered_at is None:
            super().save_model(request, obj, form, change)
            return
        changes = {name: form.cleaned_data[name] for name in form.changed_data
                   if name in services.QUESTION_EDITABLE_FIELDS}
        revised = services.question_revise(question=obj, changes=changes)
        form.instance = revised  # the knowledge points are saved on the version kept
        if revised.pk != obj.pk:
            self.message_user(request, _("The question had been delivered, so it was saved "
                                         "as version %(version)d; attempts keep the version "
                                         "they showed.") % {"version": revised.version},
                              messages.INFO)


class PaperQuestionInline(admin.TabularInline):
    model = PaperQuestion
    extra = 0
    autocomplete_fields = ["question"]
    ordering = ["position"]


class PaperSectionInline(admin.TabularInline):
    model = PaperSection
    extra = 0
    autocomplete_fields = ["tags"]
    ordering = ["position"]


@admin.register(Paper)
class PaperAdmin(admin.ModelAdmin):
    list_display = ["name", "subject", "kind", "is_active", "multiple_choice_policy",
                    "question_count"]
    list_filter = ["kind", "is_active", "multiple_choice_policy", "subject__exam", "subject"]
    search_fields = ["name"]
    inlines = [PaperQuestionInline, PaperSectionInline]
    actions = ["preview"]

    @admin.display(description=_("questions"))
    def question_count(self, paper: Paper) -> int:
        if paper.kind == Paper.Kind.RULES:
            return sum(section.count for section in paper.sections.all())
        return paper.entries.count()

    def save_related(self, request: HttpRequest, form: Any, formsets: Any, change: bool) -> None:
        """After the sections are saved, say whether the bank can fill them."""
        super().save_related(request, form, formsets, change)
        for shortfall in services.paper_check(paper=form.instance):
            self.message_user(
                request,
                _("Section “%(section)s” needs %(needed)d questions but the bank has only "
                  "%(available)d that fit.") % {"section": shortfall.section,
                                                "needed": shortfall.needed,
                                                "available": shortfall.available},
                messages.WARNING,
            )

    @admin.action(description=_("Preview an example paper (total score, difficulty spread)"))
    def preview(self, request: HttpRequest, queryset: QuerySet[Paper]) -> None:
        for paper in queryset:
            try:
                summary = services.paper_preview(paper=paper)
            except ApplicationError as error:
                self.message_user(request, f"{paper}: {error.message}", messages.WARNING)
                continue
            spread = "，".join(f"{level}: {count}" for level, count in summary.difficulty.items())
            self.message_user(request, _("%(paper)s: %(count)d questions, %(total)s points; "
                                         "difficulty %(spread)s.")
                              % {"paper": paper, "count": summary.count,
                                 "total": summary.total, "spread": spread})
