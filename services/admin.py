"""The services records in the admin, scoped as the registry is (communities.admin).

Households and volunteers hold personal data: changelists show names and phones masked
(services.masking), search runs only over the rows in the user's scope (get_queryset is
scoped first), and the change form, with the full details, answers 404 outside the scope.
Township staff see no personal records at all (their models say `personal_data = True`).
Service records and time-bank entries are read-only here: they change through
services.domain, which keeps the ledger and its floor.
"""

from django.contrib import admin
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from chunan_community.admin_paging import EstimatedCountPaginator
from communities.admin import ScopedAdmin, ScopedInline, ScopedModelAdmin
from services.admission import admission_notify_decision
from services.domain import time_bank_balance
from services.masking import mask_name, mask_phone
from services.models import (
    AdmissionRequest,
    AssistanceVisit,
    AssistedHousehold,
    Commendation,
    ContributionPoints,
    HelperPairing,
    ProcessingProject,
    ReemploymentOutcome,
    ServiceNetwork,
    ServiceOutlet,
    ServiceRecord,
    TimeBankEntry,
    TrainingClass,
    Volunteer,
)


class ReadOnlyInline(ScopedInline):
    """Rows shown for reference; POLICY gives nobody add, change or delete."""

    def get_readonly_fields(self, request, obj=None):
        return self.fields


# Service networks, outlets, re-employment: the registry's scope -----------------------------


@admin.register(ServiceNetwork)
class ServiceNetworkAdmin(ScopedModelAdmin):
    list_display = ("community", "kind", "established", "established_on")
    list_select_related = ("community",)
    list_filter = ("kind", "established", ("community__township", admin.RelatedOnlyFieldListFilter))
    search_fields = ("community__name", "community__code")
    autocomplete_fields = ("community",)
    fields = ("community", "kind", "established", "established_on", "note")


@admin.register(ServiceOutlet)
class ServiceOutletAdmin(ScopedModelAdmin):
    list_display = ("name", "community", "kind", "opening_hours", "contact", "is_sample")
    list_select_related = ("community",)
    list_filter = ("kind", "is_sample", ("community__township", admin.RelatedOnlyFieldListFilter))
    search_fields = ("name", "address", "community__name", "community__code")
    autocomplete_fields = ("community",)
    fields = ("community", "kind", "name", "address", "opening_hours", "contact", "is_sample")


@admin.register(TrainingClass)
class TrainingClassAdmin(ScopedModelAdmin):
    list_display = ("name", "community", "starts_on", "ends_on", "trainees", "completions")
    list_select_related = ("community",)
    list_filter = ("is_sample", ("community__township", admin.RelatedOnlyFieldListFilter))
    search_fields = ("name", "community__name", "community__code")
    autocomplete_fields = ("community",)
    fields = ("community", "name", "starts_on", "ends_on", "trainees", "completions", "is_sample")


@admin.register(ProcessingProject)
class ProcessingProjectAdmin(ScopedModelAdmin):
    list_display = ("name", "community", "year", "participants", "income_yuan")
    list_select_related = ("community",)
    list_filter = ("year", "is_sample", ("community__township", admin.RelatedOnlyFieldListFilter))
    search_fields = ("name", "community__name", "community__code")
    autocomplete_fields = ("community",)
    fields = ("community", "name", "year", "participants", "income_yuan", "is_sample")


@admin.register(ReemploymentOutcome)
class ReemploymentOutcomeAdmin(ScopedModelAdmin):
    list_display = ("community", "month", "reemployed", "is_sample")
    list_select_related = ("community",)
    list_filter = ("is_sample", ("community__township", admin.RelatedOnlyFieldListFilter))
    search_fields = ("community__name", "community__code")
    autocomplete_fields = ("community",)
    fields = ("community", "month", "reemployed", "is_sample")


# Paired assistance: personal data, county and the own community only ------------------------


class HelperPairingInline(ScopedInline):
    model = HelperPairing
    fields = ("co_building_unit", "volunteer", "started_on", "ended_on")
    autocomplete_fields = ("co_building_unit", "volunteer")


class AssistanceVisitInline(ScopedInline):
    model = AssistanceVisit
    fields = ("visited_on", "kind", "by_volunteer", "hours", "note")
    autocomplete_fields = ("by_volunteer",)


@admin.register(AssistedHousehold)
class AssistedHouseholdAdmin(ScopedAdmin):
    list_display = (
        "masked_name",
        "masked_phone",
        "community",
        "category",
        "help_hardship",
        "help_medical",
        "help_schooling",
        "active",
        "is_sample",
    )
    list_select_related = ("community",)
    list_filter = (
        "category",
        "active",
        "is_sample",
        ("community__township", admin.RelatedOnlyFieldListFilter),
    )
    # Over the scoped queryset only: a clerk's search never reaches another community.
    search_fields = ("household_name", "community__name", "community__code")
    autocomplete_fields = ("community",)
    fields = (
        "community",
        "household_name",
        "phone",
        "category",
        "help_hardship",
        "help_medical",
        "help_schooling",
        "active",
        "is_sample",
    )
    inlines = (HelperPairingInline, AssistanceVisitInline)

    @admin.display(description=_("household name"), ordering="household_name")
    def masked_name(self, obj):
        return mask_name(obj.household_name)

    @admin.display(description=_("phone"))
    def masked_phone(self, obj):
        return mask_phone(obj.phone)


@admin.register(HelperPairing)
class HelperPairingAdmin(ScopedModelAdmin):
    list_display = ("household", "co_building_unit", "volunteer", "started_on", "ended_on")
    list_select_related = ("household", "co_building_unit", "volunteer")
    list_filter = (("household__community__township", admin.RelatedOnlyFieldListFilter),)
    search_fields = ("household__community__name", "household__community__code")
    fields = ("household", "co_building_unit", "volunteer", "started_on", "ended_on")
    autocomplete_fields = ("household", "co_building_unit", "volunteer")


@admin.register(AssistanceVisit)
class AssistanceVisitAdmin(ScopedModelAdmin):
    list_display = ("household", "visited_on", "kind", "by_volunteer", "hours")
    list_select_related = ("household", "by_volunteer")
    list_filter = ("kind", ("household__community__township", admin.RelatedOnlyFieldListFilter))
    search_fields = ("household__community__name", "household__community__code")
    autocomplete_fields = ("household", "by_volunteer")
    date_hierarchy = "visited_on"
    show_full_result_count = False  # big table: chunan_community.admin_paging
    paginator = EstimatedCountPaginator
    fields = ("household", "visited_on", "kind", "by_volunteer", "hours", "note")


# Volunteers and the time bank: personal data; the ledger changes through services.domain ---


class ServiceRecordInline(ReadOnlyInline):
    model = ServiceRecord
    fk_name = "volunteer"
    fields = ("served_on", "hours", "activity", "household")


class TimeBankEntryInline(ReadOnlyInline):
    model = TimeBankEntry
    fields = ("on", "kind", "hours", "note", "created_by")


@admin.register(Volunteer)
class VolunteerAdmin(ScopedAdmin):
    list_display = (
        "masked_name",
        "masked_phone",
        "community",
        "kind",
        "registered_on",
        "active",
        "is_sample",
    )
    list_select_related = ("community",)
    # By township: at province scale a list of every community would run to 10,000 links;
    # one community is found through the search.
    list_filter = (
        "kind",
        "active",
        "is_sample",
        ("community__township", admin.RelatedOnlyFieldListFilter),
    )
    search_fields = ("name", "community__name", "community__code")
    autocomplete_fields = ("community",)
    show_full_result_count = False  # big table: chunan_community.admin_paging
    paginator = EstimatedCountPaginator
    fields = (
        "community",
        "name",
        "phone",
        "kind",
        "registered_on",
        "active",
        "is_sample",
        "balance",
    )
    readonly_fields = ("balance",)
    inlines = (ServiceRecordInline, TimeBankEntryInline)

    @admin.display(description=_("name"), ordering="name")
    def masked_name(self, obj):
        return mask_name(obj.name)

    @admin.display(description=_("phone"))
    def masked_phone(self, obj):
        return mask_phone(obj.phone)

    @admin.display(description=_("time-bank balance (hours)"))
    def balance(self, obj):
        return time_bank_balance(obj) if obj and obj.pk else "—"


@admin.register(ServiceRecord)
class ServiceRecordAdmin(ScopedModelAdmin):
    """Read-only: services.domain.service_record records a session and deposits its hours."""

    list_display = ("volunteer", "served_on", "hours", "activity", "household")
    list_select_related = ("volunteer", "household")
    list_filter = (("volunteer__community__township", admin.RelatedOnlyFieldListFilter),)
    date_hierarchy = "served_on"
    search_fields = ("activity", "volunteer__community__name", "volunteer__community__code")
    show_full_result_count = False  # big table: chunan_community.admin_paging
    paginator = EstimatedCountPaginator
    fields = ("volunteer", "served_on", "hours", "activity", "household", "recorded_by")


@admin.register(TimeBankEntry)
class TimeBankEntryAdmin(ScopedModelAdmin):
    """Read-only: the ledger is append-only and changes through services.domain."""

    list_display = ("volunteer", "on", "kind", "hours", "note", "created_by")
    list_select_related = ("volunteer", "created_by")
    list_filter = ("kind", ("volunteer__community__township", admin.RelatedOnlyFieldListFilter))
    date_hierarchy = "on"
    search_fields = ("note", "volunteer__community__name", "volunteer__community__code")
    show_full_result_count = False  # big table: chunan_community.admin_paging
    paginator = EstimatedCountPaginator
    fields = ("volunteer", "kind", "hours", "on", "service_record", "note", "created_by")


@admin.register(ContributionPoints)
class ContributionPointsAdmin(ScopedModelAdmin):
    list_display = ("volunteer", "year", "on", "activity", "points")
    list_select_related = ("volunteer",)
    list_filter = ("year", ("volunteer__community__township", admin.RelatedOnlyFieldListFilter))
    search_fields = ("activity", "volunteer__community__name", "volunteer__community__code")
    fields = ("volunteer", "year", "on", "activity", "points")

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        field = super().formfield_for_foreignkey(db_field, request, **kwargs)
        if db_field.name == "volunteer":
            field.queryset = field.queryset.filter(kind=Volunteer.Kind.PARTY_MEMBER)
        return field


# Admission and commendations: the county's; all staff read -----------------------------------


@admin.register(AdmissionRequest)
class AdmissionRequestAdmin(ScopedAdmin):
    list_display = (
        "department",
        "received_on",
        "short_task",
        "funds_follow",
        "staff_follow",
        "authority_follow",
        "status",
        "decided_on",
    )
    list_filter = ("status", "funds_follow", "staff_follow", "authority_follow", "is_sample")
    search_fields = ("department", "task")
    # A search rather than filter_horizontal, which lists every community of the province.
    autocomplete_fields = ("communities",)
    fieldsets = (
        (
            None,
            {
                "fields": (
                    "department",
                    "contact_email",
                    "received_on",
                    "task",
                    "communities",
                    "is_sample",
                )
            },
        ),
        (
            _("What comes with the task"),
            {"fields": ("funds_follow", "funds_yuan", "staff_follow", "authority_follow")},
        ),
        (
            _("Decision"),
            {"fields": ("status", "decision_reason", "decided_on", "decided_by", "submitted_at")},
        ),
    )
    readonly_fields = ("decided_by", "submitted_at")

    def get_form(self, request, obj=None, change=False, **kwargs):
        form = super().get_form(request, obj, change=change, **kwargs)
        if "received_on" in form.base_fields:
            # Empty only on rows loaded without it; whoever edits one gives the date.
            form.base_fields["received_on"].required = True
        return form

    @admin.display(description=_("task"))
    def short_task(self, obj):
        return obj.task[:40]

    def save_model(self, request, obj, form, change):
        # Who decided, and when, is recorded with the decision.
        if obj.status != AdmissionRequest.Status.SUBMITTED:
            if obj.decided_by_id is None or "status" in form.changed_data:
                obj.decided_by = request.user
            if obj.decided_on is None:
                obj.decided_on = timezone.localdate()
        super().save_model(request, obj, form, change)

    def save_related(self, request, form, formsets, change):
        super().save_related(request, form, formsets, change)
        obj = form.instance
        if obj.status != AdmissionRequest.Status.SUBMITTED and "status" in form.changed_data:
            # A decision taken here is told as one taken on the request's page is, inside
            # the admin's transaction, once the communities are saved.
            admission_notify_decision(admission_request=obj, by=request.user)


@admin.register(Commendation)
class CommendationAdmin(ScopedModelAdmin):
    list_display = ("year", "kind", "name", "title", "community", "is_sample")
    list_select_related = ("community",)
    list_filter = ("year", "kind", "is_sample")
    search_fields = ("name", "title", "community__name", "community__code")
    autocomplete_fields = ("community",)
    fields = ("year", "kind", "name", "title", "community", "is_sample")
