"""Identity in the admin: exam policies, enrolment photos (one, or a zip of many;
first captures to approve), and identity checks with their evidence."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import URLPattern, path, reverse
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from examhall.candidates.models import Registration
from examhall.core.errors import ApplicationError
from examhall.exams.models import Exam
from examhall.identity import selectors, services
from examhall.identity.models import EnrolmentPhoto, IdentityCapture, IdentityCheck, IdentityPolicy

PHOTO_MAX_BYTES = 15 * 1024 * 1024
ZIP_MAX_BYTES = 500 * 1024 * 1024


@admin.register(IdentityPolicy)
class IdentityPolicyAdmin(admin.ModelAdmin):
    list_display = ["exam", "require_face_match", "mode", "liveness", "threshold", "max_tries"]
    list_select_related = ["exam"]
    autocomplete_fields = ["exam"]


class PhotoUploadForm(forms.Form):
    registration = forms.ModelChoiceField(
        label=_("Candidate (registration)"),
        queryset=Registration.objects.select_related("candidate", "exam").order_by(
            "exam__code", "ticket_number"))
    photo = forms.FileField(label=_("Photo"), help_text=_("JPEG, PNG, WebP or HEIC; one face."))

    def clean_photo(self) -> Any:
        photo = self.cleaned_data["photo"]
        if photo.size > PHOTO_MAX_BYTES:
            raise forms.ValidationError(_("The photo is larger than 15 MB."))
        return photo


class ZipUploadForm(forms.Form):
    exam = forms.ModelChoiceField(label=_("Exam"), queryset=Exam.objects.order_by("code"))
    archive = forms.FileField(
        label=_("Zip of photos"),
        help_text=_("Each file named after the candidate's admission ticket number or ID "
                    "number, e.g. 2026110001.jpg."))

    def clean_archive(self) -> Any:
        archive = self.cleaned_data["archive"]
        if archive.size > ZIP_MAX_BYTES:
            raise forms.ValidationError(_("The zip is larger than 500 MB."))
        return archive


@admin.register(EnrolmentPhoto)
class EnrolmentPhotoAdmin(admin.ModelAdmin):
    list_display = ["thumbnail", "candidate", "source", "review", "is_current", "created_at"]
    list_filter = ["source", "review", "is_current"]
    search_fields = ["candidate__name"]
    list_select_related = ["candidate"]
    readonly_fields = ["thumbnail", "candidate", "source", "review", "reviewed_by",
                       "reviewed_at", "quality", "is_current"]
    exclude = ["image"]
    actions = ["approve_first_captures", "reject_first_captures"]
    change_list_template = "identity/admin/enrolmentphoto_change_list.html"

    def get_queryset(self, request: HttpRequest) -> QuerySet[EnrolmentPhoto]:
        """A proctor sees the photos of candidates in their own rooms; the office all."""
        visible = selectors.photos_visible_to(request.user).values("pk")
        return super().get_queryset(request).filter(pk__in=visible)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False  # photos come through the upload pages, which compute the embedding

    @admin.display(description=_("photo"))
    def thumbnail(self, photo: EnrolmentPhoto) -> str:
        return format_html('<img src="{}" alt="" style="height:64px;border-radius:4px">',
                           reverse("identity:enrolment_photo", args=[photo.pk]))

    def _review(self, request: HttpRequest, queryset: QuerySet[EnrolmentPhoto],
                approve: bool) -> None:
        done = 0
        for photo in queryset.filter(review=EnrolmentPhoto.Review.PENDING):
            services.enrolment_photo_review(photo_id=photo.pk, approve=approve,
                                            actor=request.user)
            done += 1
        message = ngettext("%(count)d photo reviewed.", "%(count)d photos reviewed.", done)
        self.message_user(request, message % {"count": done},
                          messages.SUCCESS)

    @admin.action(description=_("Approve the selected first captures"),
                  permissions=["change"])
    def approve_first_captures(self, request: HttpRequest,
                               queryset: QuerySet[EnrolmentPhoto]) -> None:
        self._review(request, queryset, approve=True)

    @admin.action(description=_("Reject the selected first captures"),
                  permissions=["change"])
    def reject_first_captures(self, request: HttpRequest,
                              queryset: QuerySet[EnrolmentPhoto]) -> None:
        self._review(request, queryset, approve=False)

    def get_urls(self) -> list[URLPattern]:
        site = self.admin_site
        return [
            path("upload/", site.admin_view(self.upload_view),
                 name="identity_enrolmentphoto_upload"),
            path("import-zip/", site.admin_view(self.zip_view),
                 name="identity_enrolmentphoto_import_zip"),
            *super().get_urls(),
        ]

    def _page(self, request: HttpRequest, title: str, **context: Any) -> HttpResponse:
        return TemplateResponse(request, "identity/admin/photo_upload.html", {
            **self.admin_site.each_context(request), "opts": self.opts, "title": title,
            "changelist_url": reverse("admin:identity_enrolmentphoto_changelist"), **context,
        })

    def upload_view(self, request: HttpRequest) -> HttpResponse:
        if not request.user.has_perm("identity.change_enrolmentphoto"):
            raise PermissionDenied
        form = PhotoUploadForm(request.POST or None, request.FILES or None)
        if request.method == "POST" and form.is_valid():
            registration = form.cleaned_data["registration"]
            try:
                services.enrolment_photo_add(candidate_id=registration.candidate_id,
                                             data=form.cleaned_data["photo"].read())
            except ApplicationError as error:
                form.add_error("photo", error.message)
            else:
                self.message_user(request, _("The photo of %(name)s is now the reference.")
                                  % {"name": registration.candidate.name}, messages.SUCCESS)
                return HttpResponseRedirect(reverse("admin:identity_enrolmentphoto_changelist"))
        return self._page(request, _("Upload a photo"), form=form)

    def zip_view(self, request: HttpRequest) -> HttpResponse:
        if not request.user.has_perm("identity.change_enrolmentphoto"):
            raise PermissionDenied
        form = ZipUploadForm(request.POST or None, request.FILES or None)
        report = None
        if request.method == "POST" and form.is_valid():
            try:
                report = services.enrolment_photos_import_zip(
                    exam_id=form.cleaned_data["exam"].pk,
                    data=form.cleaned_data["archive"].read())
            except ApplicationError as error:
                form.add_error("archive", error.message)
        counts = {status: report.count(status) for status in ("imported", "unmatched",
                                                              "refused")} if report else {}
        return self._page(request, _("Import photos from a zip"), form=form, report=report,
                          **counts)


class IdentityCaptureInline(admin.TabularInline):
    model = IdentityCapture
    extra = 0
    can_delete = False
    fields = ["created_at", "challenge", "status", "reason", "distance", "evidence"]
    readonly_fields = fields

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    @admin.display(description=_("evidence frames"))
    def evidence(self, capture: IdentityCapture) -> str:
        return format_html_join(
            " ", '<img src="{}" alt="" style="height:72px;border-radius:4px">',
            ((reverse("identity:capture_frame", args=[capture.pk, index]),)
             for index in range(len(capture.frames))))


@admin.register(IdentityCheck)
class IdentityCheckAdmin(admin.ModelAdmin):
    list_display = ["attempt", "status", "failed_tries", "distance", "review_reason",
                    "decided_by", "updated_at"]
    list_filter = ["status"]
    list_select_related = ["attempt__registration__candidate", "decided_by"]
    search_fields = ["attempt__registration__ticket_number",
                     "attempt__registration__candidate__name"]
    readonly_fields = ["attempt", "status", "failed_tries", "reference", "distance",
                       "review_reason", "decided_by", "decided_at", "note"]
    inlines = [IdentityCaptureInline]
    actions = ["approve_identities"]

    def get_queryset(self, request: HttpRequest) -> QuerySet[IdentityCheck]:
        """A proctor sees the checks of their own rooms only; the office sees all."""
        visible = selectors.checks_visible_to(request.user).values("pk")
        return super().get_queryset(request).filter(pk__in=visible)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    @admin.action(description=_("Approve the selected identities (after review)"),
                  permissions=["review"])
    def approve_identities(self, request: HttpRequest,
                           queryset: QuerySet[IdentityCheck]) -> None:
        done = 0
        for check in queryset.filter(status=IdentityCheck.Status.REVIEW):
            services.identity_review_decide(attempt_id=check.attempt_id, approve=True,
                                            actor=request.user,
                                            note=str(_("Approved in the admin")))
            done += 1
        self.message_user(request, ngettext("%(count)d identity approved.",
                                            "%(count)d identities approved.",
                                            done) % {"count": done},
                          messages.SUCCESS)

    def has_review_permission(self, request: HttpRequest) -> bool:
        return request.user.has_perm("identity.review_identity")
