"""Admin for the item bank, with the question import page and the exports.

Import is two steps, like the roster import: upload and dry run, then confirm.
The uploaded file waits in storage under ``tmp/itembank/`` between the steps and
is deleted after the import, on cancel, or after a day.
"""

from __future__ import annotations

import logging
from typing import Any

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import URLPattern, path, reverse
from django.utils.http import content_disposition_header
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from django.views.decorators.cache import never_cache

from examhall.core.errors import ApplicationError
from examhall.core.uploads import KeptUpload, parse_uuid
from examhall.exams.models import Subject
from examhall.itembank import services
from examhall.itembank.formats import xlsx
from examhall.itembank.formats.interchange import MAX_FILE_BYTES
from examhall.itembank.models import Paper, PaperQuestion, PaperSection, Question, Tag

logger = logging.getLogger(__name__)

IMPORT_PERMISSION = "itembank.add_question"
UPLOAD_DIR = "tmp/itembank"
SESSION_KEY = "itembank_items_import"
REPORT_LINES_SHOWN = 1000
TEMPLATE_FILENAME = "试题导入模板.xlsx"
XLSX_CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
# format → (file extension, content type) of an export
EXPORT_FILES: dict[str, tuple[str, str]] = {
    "xlsx": ("xlsx", XLSX_CONTENT_TYPE),
    "qti": ("zip", "application/zip"),
    "moodle_xml": ("xml", "application/xml; charset=utf-8"),
    "gift": ("gift.txt", "text/plain; charset=utf-8"),
}
FORMAT_LABELS: dict[str, Any] = {
    "xlsx": _("Excel sheet (.xlsx)"),
    "qti": _("IMS QTI package (.zip or .xml)"),
    "moodle_xml": _("Moodle XML"),
    "gift": _("GIFT"),
}


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
    change_list_template = "itembank/admin/question_change_list.html"

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

    def changelist_view(self, request: HttpRequest,
                        extra_context: dict[str, Any] | None = None) -> HttpResponse:
        subject = request.GET.get("subject__id__exact")
        extra_context = {**(extra_context or {}),
                         "can_import": request.user.has_perm(IMPORT_PERMISSION),
                         "subject_query": f"?subject={subject}" if parse_uuid(subject) else ""}
        return super().changelist_view(request, extra_context)

    def get_urls(self) -> list[URLPattern]:
        site = self.admin_site
        return [
            path("import/", site.admin_view(never_cache(self.import_view)),
                 name="itembank_question_import"),
            path("import/template/", site.admin_view(self.template_view),
                 name="itembank_question_import_template"),
            path("export/", site.admin_view(never_cache(self.export_view)),
                 name="itembank_question_export"),
            *super().get_urls(),
        ]

    def import_view(self, request: HttpRequest) -> HttpResponse:
        if not request.user.has_perm(IMPORT_PERMISSION):
            raise PermissionDenied
        return ItemsImportPage(self, request).respond()

    def template_view(self, request: HttpRequest) -> HttpResponse:
        if not self.has_view_or_change_permission(request):
            raise PermissionDenied
        return _download(xlsx.items_template(), TEMPLATE_FILENAME, XLSX_CONTENT_TYPE)

    def export_view(self, request: HttpRequest) -> HttpResponse:
        """A form of subject and format (GET); a complete one returns the file."""
        if not self.has_view_or_change_permission(request):
            raise PermissionDenied
        form = ItemsExportForm(request.GET if "format" in request.GET else None,
                               initial={"subject": parse_uuid(request.GET.get("subject")),
                                        "format": "xlsx"})
        if form.is_bound and form.is_valid():
            subject, fmt = form.cleaned_data["subject"], form.cleaned_data["format"]
            try:
                data, not_written = services.items_export(subject=subject, fmt=fmt)
            except ApplicationError as error:
                form.add_error(None, str(error.message))
            else:
                if not_written:
                    self.message_user(request, gettext(
                        "%(count)d questions were not written because the format cannot "
                        "hold them: %(names)s") % {"count": len(not_written),
                                                   "names": ", ".join(not_written[:50])},
                        messages.WARNING)
                extension, content_type = EXPORT_FILES[fmt]
                filename = f"{subject.exam.code}-{subject.code}-questions.{extension}"
                return _download(data, filename, content_type)
        context = {**self.admin_site.each_context(request), "opts": self.opts,
                   "title": _("Export questions"), "form": form,
                   "changelist_url": _changelist_url(self)}
        return TemplateResponse(request, "itembank/admin/items_export.html", context)


def _download(data: bytes, filename: str, content_type: str) -> HttpResponse:
    response = HttpResponse(data, content_type=content_type)
    response.headers["Content-Disposition"] = content_disposition_header(
        as_attachment=True, filename=filename)
    return response


def _changelist_url(model_admin: admin.ModelAdmin) -> str:
    return reverse(f"{model_admin.admin_site.name}:itembank_question_changelist")


class SubjectChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Subject) -> str:
        return f"{obj.exam.name} — {obj.display_name} ({obj.code})"


def _subjects() -> QuerySet[Subject]:
    return Subject.objects.select_related("exam").order_by("-exam__created_at", "position",
                                                           "code")


class ItemsUploadForm(forms.Form):
    subject = SubjectChoiceField(label=_("Subject"), queryset=_subjects())
    file = forms.FileField(
        label=_("Question file"),
        help_text=_("Excel (.xlsx), IMS QTI package (.zip) or item (.xml), Moodle XML, or "
                    "GIFT (.txt, .gift)."),
        widget=forms.FileInput(attrs={"accept": ".xlsx,.zip,.xml,.txt,.gift"}),
    )
    format = forms.ChoiceField(
        label=_("Format"), initial="auto",
        choices=[("auto", _("Detect from the file")), *FORMAT_LABELS.items()],
    )

    def clean_file(self) -> Any:
        upload = self.cleaned_data["file"]
        if upload.size > MAX_FILE_BYTES:
            raise forms.ValidationError(
                _("The file is larger than %(mb)d MB. Split the questions into several files.")
                % {"mb": MAX_FILE_BYTES // (1024 * 1024)})
        return upload


class ItemsConfirmForm(forms.Form):
    token = forms.UUIDField(widget=forms.HiddenInput)
    mode = forms.ChoiceField(
        label=_("How to import"), widget=forms.RadioSelect, initial="valid_items",
        required=False,
        choices=[("valid_items", _("Import the importable items, leave out the others")),
                 ("all_or_nothing", _("Import nothing if any item has an error"))],
    )


class ItemsExportForm(forms.Form):
    subject = SubjectChoiceField(label=_("Subject"), queryset=_subjects())
    format = forms.ChoiceField(label=_("Format"), choices=list(FORMAT_LABELS.items()))


class ItemsImportPage:
    """Upload and dry run, then confirm; the file is kept in storage in between."""

    template = "itembank/admin/items_import.html"

    def __init__(self, model_admin: QuestionAdmin, request: HttpRequest) -> None:
        self.model_admin, self.request = model_admin, request
        self.kept = KeptUpload(request, directory=UPLOAD_DIR, session_key=SESSION_KEY)

    def respond(self) -> HttpResponse:
        step = self.request.POST.get("step") if self.request.method == "POST" else None
        if step == "upload":
            return self.upload()
        if step == "confirm":
            return self.confirm()
        if step == "cancel":
            self.discard()
            return HttpResponseRedirect(_changelist_url(self.model_admin))
        subject = parse_uuid(self.request.GET.get("subject"))
        return self.render(upload_form=ItemsUploadForm(initial={"subject": subject}))

    def upload(self) -> HttpResponse:
        form = ItemsUploadForm(self.request.POST, self.request.FILES)
        if not form.is_valid():
            return self.render(upload_form=form)
        subject, upload = form.cleaned_data["subject"], form.cleaned_data["file"]
        self.kept.keep(upload, subject=str(subject.pk), format=form.cleaned_data["format"])
        try:
            report = self.run(subject, commit=False)
        except ApplicationError as error:
            self.discard()
            form.add_error("file", str(error.message))
            return self.render(upload_form=form)
        self.kept.update(format=report.format)  # confirm reads the file as the check did
        return self.render_report(subject, report)

    def confirm(self) -> HttpResponse:
        subject_id = parse_uuid(self.kept.state.get("subject"))
        subject = Subject.objects.filter(pk=subject_id).first()
        form = ItemsConfirmForm(self.request.POST)
        if (subject is None or not form.is_valid()
                or not self.kept.is_available(form.cleaned_data["token"])):
            self.model_admin.message_user(self.request, gettext(
                "The uploaded file is no longer available. Upload it again."), messages.ERROR)
            return self.render(upload_form=ItemsUploadForm(initial={"subject": subject}))
        try:
            all_or_nothing = form.cleaned_data.get("mode") == "all_or_nothing"
            report = self.run(subject, commit=True, all_or_nothing=all_or_nothing)
        except ApplicationError as error:
            self.discard()
            self.model_admin.message_user(self.request, str(error.message), messages.ERROR)
            return self.render(upload_form=ItemsUploadForm(initial={"subject": subject}))
        if all_or_nothing and not report.committed and report.count("error"):
            self.model_admin.message_user(self.request, gettext(
                "Nothing was imported because some items have errors. Correct the file, or "
                "choose to import the importable items only."), messages.ERROR)
            return self.render_report(subject, report)
        self.discard()
        self.model_admin.message_user(self.request, gettext(
            "Questions imported into %(subject)s: %(imported)d imported, %(skipped)d "
            "skipped, %(errors)d with errors.") % {
                "subject": subject.display_name, "imported": report.count("imported"),
                "skipped": report.count("skipped"), "errors": report.count("error")},
            messages.SUCCESS if report.count("imported") else messages.WARNING)
        return HttpResponseRedirect(
            f"{_changelist_url(self.model_admin)}?subject__id__exact={subject.pk}")

    def discard(self) -> None:
        self.kept.discard()

    def run(self, subject: Subject, *, commit: bool,
            all_or_nothing: bool = False) -> services.ImportReport:
        state = self.kept.state
        with self.kept.open() as file:
            data = file.read()
        return services.items_import(subject=subject, data=data, filename=state["filename"],
                                     fmt=state["format"], commit=commit,
                                     all_or_nothing=all_or_nothing)

    def render_report(self, subject: Subject, report: services.ImportReport) -> HttpResponse:
        lines = report.lines
        if len(lines) > REPORT_LINES_SHOWN:  # the skipped and error lines first
            ranked = sorted(range(len(lines)), key=lambda i: (lines[i].status == "imported", i))
            lines = [lines[i] for i in sorted(ranked[:REPORT_LINES_SHOWN])]
        state = self.kept.state
        return self.render(
            subject=subject, report=report, lines=lines,
            lines_hidden=len(report.lines) - len(lines),
            counts={"total": len(report.lines), "imported": report.count("imported"),
                    "skipped": report.count("skipped"), "errors": report.count("error")},
            format_label=FORMAT_LABELS.get(report.format, report.format),
            filename=state.get("filename", ""),
            confirm_form=ItemsConfirmForm(initial={"token": state.get("token")}),
        )

    def render(self, **context: Any) -> HttpResponse:
        template_url = reverse(
            f"{self.model_admin.admin_site.name}:itembank_question_import_template")
        context.update(
            self.model_admin.admin_site.each_context(self.request),
            opts=self.model_admin.opts, title=_("Import questions"),
            template_url=template_url, changelist_url=_changelist_url(self.model_admin),
            max_mb=MAX_FILE_BYTES // (1024 * 1024),
        )
        return TemplateResponse(self.request, self.template, context)


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
