from django.contrib import admin

from examhall.review.models import AttemptReview, ReviewDecision, ReviewPolicy


@admin.register(ReviewPolicy)
class ReviewPolicyAdmin(admin.ModelAdmin):
    list_display = ["exam", "second_reviewer_for_violation"]
    autocomplete_fields = ["exam"]


class ReviewDecisionInline(admin.TabularInline):
    model = ReviewDecision
    extra = 0
    can_delete = False
    fields = ["at", "reviewer", "kind", "status", "note", "voided"]
    readonly_fields = fields

    def has_add_permission(self, request, obj=None) -> bool:  # type: ignore[no-untyped-def]
        return False


@admin.register(AttemptReview)
class AttemptReviewAdmin(admin.ModelAdmin):
    """Read-only: decisions are made on the review pages (/review/), which audit them."""

    list_display = ["attempt", "status", "reviewer", "reviewed_at", "confirmed_by", "voided_at"]
    list_filter = ["status"]
    inlines = [ReviewDecisionInline]

    def has_add_permission(self, request) -> bool:  # type: ignore[no-untyped-def]
        return False

    def has_change_permission(self, request, obj=None) -> bool:  # type: ignore[no-untyped-def]
        return False

    def has_delete_permission(self, request, obj=None) -> bool:  # type: ignore[no-untyped-def]
        return False
