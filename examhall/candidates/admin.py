"""Admin for candidates and registrations, the roster import page and ID number reveals.

ID numbers are shown masked. The clear number is shown only on the reveal page,
to users with ``candidates.reveal_id_number``, and each reveal is logged.
"""

from __future__ import annotations

import logging
from typing import Any

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.utils import unquote
from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import URLPattern, path, reverse
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from django.views.decorators.cache import never_cache

from examhall.candidates import roster, selectors, services
from examhall.candidates.models import Candidate, Registration
from examhall.core.errors import ApplicationError
from examhall.core.uploads import KeptUpload, parse_uuid
from examhall.exams.models import Exam

logger = logging.getLogger(__name__)

IMPORT_PERMISSIONS = ("candidates.add_registration", "candidates.change_registration",
                      "candidates.add_candidate", "candidates.change_candidate")
UPLOAD_DIR = "tmp/roster"
SESSION_KEY = "candidates_roster_import"
REPORT_PROBLEMS_SHOWN = 1000


# --- candidates


class CandidateAdminForm(forms.ModelForm):
    id_number = forms.CharField(
        label=_("ID number"), max_length=40, required=False, strip=True,
        widget=forms.TextInput(attrs={"autocomplete": "off"}),
    )

    class Meta:
        model = Candidate
        fields = ["name", "id_type", "id_number", "photo"]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.id_check = None
        if self.instance._state.adding:
            self.fields["id_number"].required = True
        else:
            self.fields["id_number"].help_text = _(
                "Stored as %(masked)s. Leave empty to keep it; enter it again to change the ID "
                "type."
            ) % {"masked": self.instance.id_number_masked}

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean()
        number, id_type = cleaned.get("id_number"), cleaned.get("id_type")
        if not id_type:
            return cleaned
        if number:
            try:
                self.id_check = services.candidate_id_number_check(
                    id_number=number, id_type=id_type, exclude_pk=self.instance.pk
                )
            except ApplicationError as error:
                self.add_error("id_number", str(error.message))
        elif not self.instance._state.adding and id_type != self.instance.id_type:
            self.add_error("id_number", _("Enter the ID number again to change its type."))
        return cleaned


class RegistrationInline(admin.TabularInline):
    model = Registration
    extra = 0
    can_delete = False
    show_change_link = True
    fields = readonly_fields = ["exam", "subject", "session", "room", "ticket_number",
                                "extra_minutes"]

    def has_add_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False


@admin.register(Candidate)
class CandidateAdmin(admin.ModelAdmin):
    form = CandidateAdminForm
    list_display = ["name", "id_type", "id_number_masked", "created_at"]
    list_filter = ["id_type", "registrations__exam"]
    search_fields = ["name"]
    search_help_text = _("Name, or a whole ID number.")
    readonly_fields = ["id_number_masked", "created_at", "updated_at"]
    fields = ["name", "id_type", "id_number", "id_number_masked", "photo", "created_at",
              "updated_at"]
    inlines = [RegistrationInline]
    change_form_template = "candidates/admin/candidate_change_form.html"

    def get_search_results(
        self, request: HttpRequest, queryset: QuerySet[Candidate], search_term: str
    ) -> tuple[QuerySet[Candidate], bool]:
        if not search_term.strip():
            return queryset, False
        return selectors.candidate_search(queryset=queryset, term=search_term), False

    def save_model(self, request: HttpRequest, obj: Candidate, form: Any, change: bool) -> None:
        check = services.candidate_save(candidate=obj, id_number=form.cleaned_data["id_number"]
                                        or None)
        for warning in check.warnings if check else []:
            self.message_user(request, warning, messages.WARNING)

    def change_view(self, request: HttpRequest, object_id: str, form_url: str = "",
                    extra_context: dict[str, Any] | None = None) -> HttpResponse:
        extra_context = {**(extra_context or {}),
                         "can_reveal": request.user.has_perm(services.REVEAL_PERMISSION)}
        return super().change_view(request, object_id, form_url, extra_context)

    def get_urls(self) -> list[URLPattern]:
        reveal = self.admin_site.admin_view(never_cache(self.reveal_view))
        return [
            path("<path:object_id>/reveal-id-number/", reveal,
                 name="candidates_candidate_reveal"),
            *super().get_urls(),
        ]

    def reveal_view(self, request: HttpRequest, object_id: str) -> HttpResponse:
        candidate = self.get_object(request, unquote(object_id))
        if candidate is None:
            raise Http404
        if not (self.has_view_or_change_permission(request, candidate)
                and request.user.has_perm(services.REVEAL_PERMISSION)):
            raise PermissionDenied
        context = {**self.admin_site.each_context(request), "opts": self.opts,
                   "original": candidate, "title": _("Reveal ID number")}
        if request.method == "POST":
            context["id_number"] = services.candidate_reveal_id_number(
                candidate=candidate, actor=request.user
            )
        return TemplateResponse(request, "candidates/admin/reveal_id_number.html", context)


# --- registrations


class RegistrationAdminForm(forms.ModelForm):
    ticket_number = forms.CharField(
        label=_("admission ticket number"), max_length=30, required=False,
        help_text=_("Leave empty to generate one from the exam code."),
    )

    class Meta:
        model = Registration
        fields = ["candidate", "exam", "subject", "session", "room", "ticket_number",
                  "extra_minutes"]

    def _post_clean(self) -> None:
        super()._post_clean()
        problems = services.registration_problems(registration=self.instance)
        for field_name, message in problems.items():
            if field_name not in self.errors:
                self.add_error(field_name, message)


@admin.register(Registration)
class RegistrationAdmin(admin.ModelAdmin):
    form = RegistrationAdminForm
    list_display = ["ticket_number", "candidate_name", "candidate_id_number", "exam", "subject",
                    "session", "room", "extra_minutes"]
    list_filter = ["exam", "subject", "session", "room"]
    search_fields = ["ticket_number", "candidate__name"]
    search_help_text = _("Ticket number, candidate name, or a whole ID number.")
    list_select_related = ["candidate", "exam", "subject", "session", "room"]
    autocomplete_fields = ["candidate"]
    change_list_template = "candidates/admin/registration_change_list.html"

    @admin.display(description=_("candidate"), ordering="candidate__name")
    def candidate_name(self, registration: Registration) -> str:
        return registration.candidate.name

    @admin.display(description=_("ID number"))
    def candidate_id_number(self, registration: Registration) -> str:
        return registration.candidate.id_number_masked

    def get_search_results(
        self, request: HttpRequest, queryset: QuerySet[Registration], search_term: str
    ) -> tuple[QuerySet[Registration], bool]:
        if not search_term.strip():
            return queryset, False
        return selectors.registration_search(queryset=queryset, term=search_term), False

    def save_model(self, request: HttpRequest, obj: Registration, form: Any,
                   change: bool) -> None:
        services.registration_save(registration=obj)

    def get_urls(self) -> list[URLPattern]:
        site = self.admin_site
        return [
            path("import/", site.admin_view(self.import_view),
                 name="candidates_registration_import"),
            path("import/template/", site.admin_view(self.template_view),
                 name="candidates_registration_import_template"),
            *super().get_urls(),
        ]

    def template_view(self, request: HttpRequest) -> HttpResponse:
        if not self.has_view_or_change_permission(request):
            raise PermissionDenied
        exam = Exam.objects.filter(pk=parse_uuid(request.GET.get("exam"))).first()
        response = HttpResponse(roster.roster_template(exam=exam),
                                content_type=roster.XLSX_CONTENT_TYPE)
        filename = f"roster-template-{exam.code}.xlsx" if exam else "roster-template.xlsx"
        response["Content-Disposition"] = f'attachment; filename="{filename}"'
        return response

    def import_view(self, request: HttpRequest) -> HttpResponse:
        if not request.user.has_perms(IMPORT_PERMISSIONS):
            raise PermissionDenied
        return RosterImportPage(self, request).respond()


class RosterUploadForm(forms.Form):
    exam = forms.ModelChoiceField(label=_("Exam"), queryset=Exam.objects.order_by("-created_at"))
    file = forms.FileField(label=_("Roster file (.xlsx)"),
                           widget=forms.FileInput(attrs={"accept": ".xlsx"}))

    def clean_file(self) -> Any:
        upload = self.cleaned_data["file"]
        if upload.size > roster.MAX_BYTES:
            raise forms.ValidationError(_("The file is larger than 10 MB. Split the roster "
                                          "into several files."))
        return upload


class RosterConfirmForm(forms.Form):
    MODES = [
        ("valid_rows", _("Import the valid rows only; skip the rows with errors")),
        ("all_or_nothing", _("Import all or nothing: import only if no row has an error")),
    ]
    token = forms.UUIDField(widget=forms.HiddenInput)
    mode = forms.ChoiceField(label=_("How to import"), choices=MODES,
                             widget=forms.RadioSelect, initial="all_or_nothing")


class RosterImportPage:
    """Two steps: upload and dry run, then confirm. The uploaded file waits in storage
    under ``tmp/roster/`` between the steps and is deleted after the import, on cancel,
    or after a day."""

    template = "candidates/admin/roster_import.html"

    def __init__(self, model_admin: RegistrationAdmin, request: HttpRequest) -> None:
        self.model_admin, self.request = model_admin, request
        self.kept = KeptUpload(request, directory=UPLOAD_DIR, session_key=SESSION_KEY,
                               suffix=".xlsx")

    def respond(self) -> HttpResponse:
        step = self.request.POST.get("step") if self.request.method == "POST" else None
        if step == "upload":
            return self.upload()
        if step == "confirm":
            return self.confirm()
        if step == "cancel":
            self.discard()
            return HttpResponseRedirect(self.changelist_url())
        exam = Exam.objects.filter(pk=parse_uuid(self.request.GET.get("exam"))).first()
        return self.render(upload_form=RosterUploadForm(initial={"exam": exam}))

    def upload(self) -> HttpResponse:
        form = RosterUploadForm(self.request.POST, self.request.FILES)
        if not form.is_valid():
            return self.render(upload_form=form)
        exam = form.cleaned_data["exam"]
        token = self.kept.keep(form.cleaned_data["file"], exam=str(exam.pk))
        try:
            report = self.run(exam, commit=False)
        except ApplicationError as error:
            self.discard()
            form.add_error("file", str(error.message))
            return self.render(upload_form=form)
        return self.render_report(exam, report, RosterConfirmForm(initial={"token": token}))

    def confirm(self) -> HttpResponse:
        exam = Exam.objects.filter(pk=parse_uuid(self.kept.state.get("exam"))).first()
        if exam is None or not self.kept.is_available(self.request.POST.get("token")):
            self.model_admin.message_user(self.request, gettext(
                "The uploaded file is no longer available. Upload it again."), messages.ERROR)
            return self.render(upload_form=RosterUploadForm(initial={"exam": exam}))
        form = RosterConfirmForm(self.request.POST)
        try:
            if not form.is_valid():
                return self.render_report(exam, self.run(exam, commit=False), form)
            report = self.run(exam, commit=True, mode=form.cleaned_data["mode"],
                              actor=self.request.user)
        except ApplicationError as error:
            self.model_admin.message_user(self.request, str(error.message), messages.ERROR)
            return self.render(upload_form=RosterUploadForm(initial={"exam": exam}))
        if not report.committed:
            self.model_admin.message_user(self.request, gettext(
                "Nothing was imported because some rows have errors. Correct the file, or "
                "choose to import the valid rows only."), messages.ERROR)
            return self.render_report(exam, report, form)
        self.discard()
        self.model_admin.message_user(self.request, gettext(
            "Roster imported: %(created)d registrations created, %(updated)d updated, "
            "%(unchanged)d unchanged, %(errors)d rows skipped.") % report.counts,
            messages.SUCCESS)
        return HttpResponseRedirect(f"{self.changelist_url()}?exam__id__exact={exam.pk}")

    def discard(self) -> None:
        self.kept.discard()

    def run(self, exam: Exam, **options: Any) -> roster.RosterReport:
        with self.kept.open() as file:
            return services.roster_import(exam=exam, file=file, **options)

    def changelist_url(self) -> str:
        return reverse(f"{self.model_admin.admin_site.name}:candidates_registration_changelist")

    def render_report(self, exam: Exam, report: roster.RosterReport,
                      confirm_form: RosterConfirmForm) -> HttpResponse:
        problems = [(row, problem) for row in report.rows for problem in row.problems
                    if problem.severity != "info"]
        return self.render(
            exam=exam, report=report, confirm_form=confirm_form,
            filename=self.kept.state.get("filename", ""),
            problems=problems[:REPORT_PROBLEMS_SHOWN],
            problems_hidden=max(0, len(problems) - REPORT_PROBLEMS_SHOWN),
            generated=sum(p.code == "ticket_generated" for row in report.rows
                          for p in row.problems),
        )

    def render(self, **context: Any) -> HttpResponse:
        opts = self.model_admin.opts
        exam = context.get("exam")
        template_url = reverse(
            f"{self.model_admin.admin_site.name}:candidates_registration_import_template")
        context.update(
            self.model_admin.admin_site.each_context(self.request),
            opts=opts, title=_("Import roster"),
            template_url=f"{template_url}?exam={exam.pk}" if exam else template_url,
            changelist_url=self.changelist_url(),
        )
        return TemplateResponse(self.request, self.template, context)


