from typing import Any

from django.contrib import admin, messages
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from examhall.itembank import services
from examhall.itembank.models import Paper, PaperQuestion, Question, Tag


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


@admin.register(Paper)
class PaperAdmin(admin.ModelAdmin):
    list_display = ["name", "subject", "is_active", "multiple_choice_policy", "question_count"]
    list_filter = ["is_active", "multiple_choice_policy", "subject__exam", "subject"]
    search_fields = ["name"]
    inlines = [PaperQuestionInline]

    @admin.display(description=_("questions"))
    def question_count(self, paper: Paper) -> int:
        return paper.entries.count()
