"""The rating rounds in the admin.

County staff keep each round and its scheme (criteria, cut-offs), its judges and their
conflicts of interest. A round's status is read-only here: it moves only through
ratings.domain, which records each move. Declarations and ratings are seen in scope by all
staff (communities.permissions.POLICY) and are read-only: they change through the portal's
pages. Score sheets and objections: county staff, read-only. Judges and the public: nothing.
"""

from django.contrib import admin
from django.utils.translation import gettext_lazy as _
from simple_history.admin import SimpleHistoryAdmin

from chunan_community.admin_paging import EstimatedCountPaginator
from chunan_community.forms import PortalModelForm
from communities.admin import ScopedAdmin
from ratings.models import (
    ConflictOfInterest,
    Criterion,
    CutOff,
    Declaration,
    JudgeAssignment,
    Objection,
    Rating,
    Round,
    RoundEvent,
    ScoreSheet,
)
from ratings.permissions import is_county_staff


def _is_county(request) -> bool:
    return is_county_staff(request.user)


class CountyOnly:
    """Every permission for county staff, none for anyone else."""

    # Text fields refuse invisible and text-direction characters, as in the portal.
    form = PortalModelForm

    def has_module_permission(self, request):
        return _is_county(request)

    def has_view_permission(self, request, obj=None):
        return _is_county(request)

    def has_add_permission(self, request, *args):
        return _is_county(request)

    def has_change_permission(self, request, obj=None):
        return _is_county(request)

    def has_delete_permission(self, request, obj=None):
        return _is_county(request)


class CountyReadOnly(CountyOnly):
    """County staff may look; nobody writes here."""

    def has_add_permission(self, request, *args):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class CriterionInline(CountyOnly, admin.TabularInline):
    model = Criterion
    extra = 0
    fields = ("tier", "sort_order", "code", "name", "name_en", "max_points", "weight", "source")


class CutOffInline(CountyOnly, admin.TabularInline):
    model = CutOff
    extra = 0
    fields = ("tier", "stars", "min_score")


class RoundEventInline(CountyReadOnly, admin.TabularInline):
    model = RoundEvent
    extra = 0
    fields = ("at", "from_status", "to_status", "by", "note")
    readonly_fields = fields


@admin.register(Round)
class RoundAdmin(CountyOnly, SimpleHistoryAdmin):
    list_display = ("name", "code", "year", "status", "review_meeting_on", "scheme_is_example")
    list_filter = ("status", "year")
    search_fields = ("name", "code")
    # Status changes go through ratings.domain (round_advance), which records each move.
    readonly_fields = ("status",)
    fieldsets = (
        (None, {"fields": ("code", "year", "name", "status")}),
        (
            _("Dates"),
            {
                "fields": (
                    "declarations_open_on",
                    "declarations_close_on",
                    "review_meeting_on",
                    "notice_starts_on",
                    "notice_ends_on",
                    "notice_days",
                    "finalised_on",
                )
            },
        ),
        (
            _("Scheme"),
            {
                "fields": (
                    "trim_extremes",
                    "trim_min_judges",
                    "prerequisite",
                    "garden_min_stars",
                    "valid_years",
                    "scheme_is_example",
                    "results_from_record",
                )
            },
        ),
        (
            _("Public notice"),
            {"fields": ("issuing_office", "contact_phone", "contact_address")},
        ),
    )
    inlines = (CriterionInline, CutOffInline, RoundEventInline)

    def has_delete_permission(self, request, obj=None):
        # A round carries ratings (PROTECT) and its record: never deleted from the admin.
        return False


@admin.register(JudgeAssignment)
class JudgeAssignmentAdmin(CountyOnly, SimpleHistoryAdmin):
    list_display = ("round", "judge", "is_chair")
    list_select_related = ("round", "judge")
    list_filter = ("round",)
    autocomplete_fields = ("judge",)
    fields = ("round", "judge", "is_chair")


@admin.register(ConflictOfInterest)
class ConflictOfInterestAdmin(CountyOnly, SimpleHistoryAdmin):
    list_display = ("round", "judge", "community", "reason")
    list_select_related = ("round", "judge", "community")
    list_filter = ("round",)
    search_fields = ("community__name", "community__code", "judge__username")
    autocomplete_fields = ("judge", "community")
    fields = ("round", "judge", "community", "reason")


@admin.register(Declaration)
class DeclarationAdmin(ScopedAdmin):
    """In scope for all staff (POLICY), read-only: declarations change on the portal."""

    list_display = ("round", "community", "target_tier", "target_stars", "status", "submitted_at")
    list_select_related = ("round", "community")
    list_filter = ("round", "status", "target_tier")
    search_fields = ("community__name", "community__code")
    fields = (
        "round",
        "community",
        "target_tier",
        "target_stars",
        "self_assessment",
        "status",
        "submitted_at",
        "submitted_by",
    )


@admin.register(Rating)
class RatingAdmin(ScopedAdmin):
    """In scope for all staff (POLICY), read-only. Revocation (摘牌) with a reason is
    ratings.domain.rating_revoke, on the staff page ratings:staff_rating_revoke (linked
    from the round's ranking page), not here."""

    list_display = (
        "community",
        "round",
        "tier",
        "stars",
        "score",
        "rank",
        "valid_until",
        "revoked_on",
    )
    list_select_related = ("community", "round")
    list_filter = ("round", "tier", "stars")
    search_fields = ("community__name", "community__code")
    show_full_result_count = False  # big table: chunan_community.admin_paging
    paginator = EstimatedCountPaginator
    fields = (
        "round",
        "community",
        "tier",
        "stars",
        "score",
        "rank",
        "valid_until",
        "explanation",
        "revoked_on",
        "revoked_reason",
    )


@admin.register(ScoreSheet)
class ScoreSheetAdmin(CountyReadOnly, SimpleHistoryAdmin):
    list_display = ("declaration", "judge", "abstained", "updated_at")
    list_select_related = ("declaration__round", "declaration__community", "judge")
    list_filter = ("declaration__round", "abstained")
    fields = ("declaration", "judge", "abstained", "updated_at")
    # Not editable: a history version's form (simple_history) would refuse it otherwise.
    readonly_fields = ("updated_at",)


@admin.register(Objection)
class ObjectionAdmin(CountyReadOnly, admin.ModelAdmin):
    list_display = ("round", "community", "submitted_at", "status")
    list_select_related = ("round", "community")
    list_filter = ("round", "status")
    fields = (
        "round",
        "community",
        "text",
        "name",
        "contact",
        "submitted_at",
        "status",
        "handling",
        "public_reply",
        "handled_by",
        "handled_at",
    )
