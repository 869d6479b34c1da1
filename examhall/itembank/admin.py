from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from examhall.itembank.models import Paper, PaperQuestion, Question


@admin.register(Question)
class QuestionAdmin(admin.ModelAdmin):
    list_display = ["short_stem", "kind", "subject", "score", "external_key"]
    list_filter = ["kind", "subject__exam", "subject"]
    search_fields = ["stem", "external_key", "explanation"]
    list_select_related = ["subject"]

    @admin.display(description=_("stem"))
    def short_stem(self, question: Question) -> str:
        return question.stem[:80]


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
