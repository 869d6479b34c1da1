"""Admin for the exam catalogue: organisations, exams, subjects, sessions and rooms.

Laid out for an exam office: an exam is set up on one page (its subjects and
sessions inline), a session shows its rooms inline, and every list can be
searched and filtered by exam.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin
from django.db import models
from django.db.models import Count, QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from examhall.exams.models import Exam, Organisation, Room, Session, Subject

# Meeting links typed without a scheme are https (Django 6's default, silences its warning).
URL_FIELDS = {models.URLField: {"assume_scheme": "https"}}


class ExamAdminForm(forms.ModelForm):
    required_checks = forms.MultipleChoiceField(
        label=_("required checks"), choices=Exam.Check.choices, required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("Checks a candidate must pass before the start button is enabled."),
    )

    class Meta:
        model = Exam
        fields = ["organisation", "code", "name", "kind", "is_published",
                  "show_score_on_submit", "required_checks", "instructions"]


class ExamInline(admin.TabularInline):
    model = Exam
    extra = 0
    fields = ["code", "name", "kind", "is_published"]
    show_change_link = True


@admin.register(Organisation)
class OrganisationAdmin(admin.ModelAdmin):
    list_display = ["name", "code", "exam_count"]
    search_fields = ["name", "code"]
    prepopulated_fields = {"code": ["name"]}
    inlines = [ExamInline]

    def get_queryset(self, request: HttpRequest) -> QuerySet[Organisation]:
        return super().get_queryset(request).annotate(exam_count=Count("exams"))

    @admin.display(description=_("exams"), ordering="exam_count")
    def exam_count(self, organisation: Any) -> int:
        return organisation.exam_count


class SubjectInline(admin.TabularInline):
    model = Subject
    extra = 0
    fields = ["position", "code", "specialty", "level", "is_open"]
    ordering = ["position", "code"]


class SessionInline(admin.TabularInline):
    model = Session
    extra = 0
    fields = ["name", "opens_at", "closes_at", "duration_minutes", "late_entry_minutes"]
    ordering = ["opens_at"]
    show_change_link = True


@admin.register(Exam)
class ExamAdmin(admin.ModelAdmin):
    form = ExamAdminForm
    list_display = ["name", "code", "organisation", "kind", "is_published",
                    "show_score_on_submit", "created_at"]
    list_filter = ["kind", "is_published", "organisation"]
    search_fields = ["name", "code", "organisation__name"]
    list_select_related = ["organisation"]
    autocomplete_fields = ["organisation"]
    date_hierarchy = "created_at"
    fieldsets = [
        (None, {"fields": ["organisation", "code", "name", "kind"]}),
        (_("Candidates"), {"fields": ["is_published", "show_score_on_submit",
                                      "required_checks", "instructions"]}),
    ]
    inlines = [SubjectInline, SessionInline]


@admin.register(Subject)
class SubjectAdmin(admin.ModelAdmin):
    list_display = ["display_name", "code", "exam", "is_open", "position"]
    list_editable = ["is_open", "position"]
    list_filter = ["is_open", "exam", "level"]
    search_fields = ["code", "specialty", "level", "exam__name", "exam__code"]
    list_select_related = ["exam"]
    autocomplete_fields = ["exam"]


class RoomInline(admin.TabularInline):
    model = Room
    extra = 0
    fields = ["name", "capacity", "proctors", "meeting_number", "meeting_link"]
    autocomplete_fields = ["proctors"]
    formfield_overrides = URL_FIELDS
    show_change_link = True


@admin.register(Session)
class SessionAdmin(admin.ModelAdmin):
    list_display = ["name", "exam", "opens_at", "closes_at", "duration_minutes",
                    "late_entry_minutes", "room_count"]
    list_filter = ["exam", "opens_at"]
    search_fields = ["name", "exam__name", "exam__code"]
    list_select_related = ["exam"]
    autocomplete_fields = ["exam"]
    date_hierarchy = "opens_at"
    inlines = [RoomInline]

    def get_queryset(self, request: HttpRequest) -> QuerySet[Session]:
        return super().get_queryset(request).annotate(room_count=Count("rooms"))

    @admin.display(description=_("rooms"), ordering="room_count")
    def room_count(self, session: Any) -> int:
        return session.room_count


@admin.register(Room)
class RoomAdmin(admin.ModelAdmin):
    list_display = ["name", "session", "exam", "capacity", "candidate_count", "proctor_names"]
    list_filter = ["session__exam", "session"]
    search_fields = ["name", "session__name", "session__exam__name", "meeting_number",
                     "proctors__username"]
    list_select_related = ["session__exam"]
    autocomplete_fields = ["session", "proctors"]
    formfield_overrides = URL_FIELDS

    def get_queryset(self, request: HttpRequest) -> QuerySet[Room]:
        return (
            super().get_queryset(request)
            .annotate(candidate_count=Count("registrations", distinct=True))
            .prefetch_related("proctors")
        )

    @admin.display(description=_("exam"), ordering="session__exam__name")
    def exam(self, room: Room) -> Exam:
        return room.session.exam

    @admin.display(description=_("candidates"), ordering="candidate_count")
    def candidate_count(self, room: Any) -> str:
        count, capacity = room.candidate_count, room.capacity
        return f"{count} / {capacity}" + (" ⚠" if count > capacity else "")

    @admin.display(description=_("proctors"))
    def proctor_names(self, room: Room) -> str:
        return ", ".join(user.get_username() for user in room.proctors.all())
