"""Service networks, paired assistance, re-employment, volunteers and the time bank.

Records that belong to a community say how to reach it in `community_path`, as in
`communities.models`, so `objects.visible_to(user)` scopes them. Households and volunteers
hold personal data (names, phones): lists show them masked (`services.masking`), and they
never appear on a public page or in a public export.
"""

import datetime
from decimal import Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import F, OuterRef, Q, Subquery, Sum, Value
from django.db.models.functions import Coalesce
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy
from simple_history.models import HistoricalRecords

from communities.models import CoBuildingUnit, Community, ScopedQuerySet
from services.masking import mask_name

HOURS = {"max_digits": 7, "decimal_places": 2}
# Sums of many HOURS values need more digits than one value has (7): 100,000 hours and more.
SUM_HOURS = models.DecimalField(max_digits=14, decimal_places=2)
MONEY = {"max_digits": 12, "decimal_places": 2}
YEAR_VALIDATORS = [MinValueValidator(1949), MaxValueValidator(2100)]
MAX_SERVICE_HOURS = Decimal(24)


def _year_range(field, name):
    return models.CheckConstraint(
        condition=Q(**{f"{field}__gte": 1949}) & Q(**{f"{field}__lte": 2100}), name=name
    )


# Service networks and outlets ---------------------------------------------------------------


class ServiceNetwork(models.Model):
    """Whether a community has established one of the five service networks (五大服务网络)."""

    class Kind(models.TextChoices):
        SOCIAL_ASSISTANCE = "social_assistance", _("Social assistance (社会救助)")
        CONVENIENCE = "convenience", _("Convenience services (便民利民)")
        SOCIALISED = "socialised", _("Socialised services (社会化服务)")
        REEMPLOYMENT = "reemployment", _("Re-employment and social security (再就业和社会保障)")
        CO_BUILDING = "co_building", _("Co-building (共建)")

    community_path = "community"

    community = models.ForeignKey(
        Community,
        on_delete=models.CASCADE,
        related_name="service_networks",
        verbose_name=_("community"),
    )
    kind = models.CharField(_("network"), max_length=24, choices=Kind)
    established = models.BooleanField(_("established"), default=False)
    established_on = models.DateField(_("established on"), null=True, blank=True)
    note = models.CharField(_("note"), max_length=200, blank=True)

    objects = ScopedQuerySet.as_manager()

    class Meta:
        verbose_name = _("service network")
        verbose_name_plural = _("service networks")
        ordering = ["community__code", "kind"]
        constraints = [
            models.UniqueConstraint(
                fields=["community", "kind"], name="services_network_one_per_kind"
            ),
        ]

    def __str__(self):
        return f"{self.community} · {self.get_kind_display()}"


class ServiceOutlet(models.Model):
    class Kind(models.TextChoices):
        CONVENIENCE = "convenience", _("Convenience outlet")
        HEALTH = "health", _("Health station")
        CULTURE = "culture", _("Cultural station")
        GYM = "gym", _("Gym")
        OTHER = "other", _("Other")

    community_path = "community"

    community = models.ForeignKey(
        Community, on_delete=models.CASCADE, related_name="outlets", verbose_name=_("community")
    )
    kind = models.CharField(_("kind"), max_length=16, choices=Kind)
    name = models.CharField(_("name"), max_length=100)
    address = models.CharField(_("address"), max_length=200, blank=True)
    opening_hours = models.CharField(_("opening hours"), max_length=100, blank=True)
    contact = models.CharField(
        _("contact"),
        max_length=50,
        blank=True,
        help_text=_("The outlet's public telephone, not a person's."),
    )
    is_sample = models.BooleanField(_("sample data"), default=False)

    objects = ScopedQuerySet.as_manager()

    class Meta:
        verbose_name = _("service outlet")
        verbose_name_plural = _("service outlets")
        ordering = ["community__code", "kind", "name"]
        constraints = [
            models.UniqueConstraint(
                fields=["community", "name"], name="services_outlet_name_per_community"
            ),
        ]

    def __str__(self):
        return self.name


# Paired assistance (结对帮困) ---------------------------------------------------------------


class HelpKind(models.TextChoices):
    HARDSHIP = "hardship", _("Help with hardship (助困)")
    MEDICAL = "medical", _("Help with medical care (助医)")
    SCHOOLING = "schooling", _("Help with schooling (助学)")


class AssistedHousehold(models.Model):
    """A household in difficulty. Name and phone are personal data: show them masked."""

    personal_data = True  # seen only by its own community's clerk and county staff

    class Category(models.TextChoices):
        ELDERLY = "elderly", _("Elderly")
        # With its context: Django's "Disabled" (an option switched off) is another word.
        DISABLED = "disabled", pgettext_lazy("household category", "Disabled")
        ENTITLED = "entitled", _("Entitled group (优抚对象)")
        LOW_INCOME = "low_income", _("Low income")
        OTHER = "other", _("Other")

    community_path = "community"

    community = models.ForeignKey(
        Community,
        on_delete=models.CASCADE,
        related_name="assisted_households",
        verbose_name=_("community"),
    )
    household_name = models.CharField(_("household name"), max_length=50)
    phone = models.CharField(_("phone"), max_length=20, blank=True)
    category = models.CharField(_("category"), max_length=16, choices=Category)
    help_hardship = models.BooleanField(_("needs help with hardship (助困)"), default=False)
    help_medical = models.BooleanField(_("needs help with medical care (助医)"), default=False)
    help_schooling = models.BooleanField(_("needs help with schooling (助学)"), default=False)
    active = models.BooleanField(_("active"), default=True)
    is_sample = models.BooleanField(_("sample data"), default=False)
    history = HistoricalRecords()

    objects = ScopedQuerySet.as_manager()

    class Meta:
        verbose_name = _("assisted household")
        verbose_name_plural = _("assisted households")
        ordering = ["community__code", "household_name", "id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(help_hardship=True) | Q(help_medical=True) | Q(help_schooling=True),
                name="services_household_needs_some_help",
                violation_error_message=_("Tick at least one kind of help needed."),
            ),
        ]

    def __str__(self):
        # Masked: a household may be printed in a log line or an admin message.
        return mask_name(self.household_name)


def time_bank_balance_sum(volunteer, *, before: datetime.date | None = None):
    """The time-bank balance of `volunteer` (an instance or an OuterRef) in hours, as an
    expression: the sum of their ledger, 0 without any line; only the lines dated before
    `before` when it is given (the balance brought forward to that day).

    The one place the balance is summed: `Volunteer.objects.with_balance()`,
    `services.domain.time_bank_balance` and the statement's balance brought forward use it.
    A subquery, so that it also annotates rows grouped otherwise (a report's volunteers
    counted per community).
    """
    lines = TimeBankEntry.objects.filter(volunteer=volunteer)
    if before is not None:
        lines = lines.filter(on__lt=before)
    total = lines.order_by().values("volunteer").annotate(total=Sum("hours")).values("total")
    return Coalesce(
        Subquery(total, output_field=SUM_HOURS), Value(Decimal("0.00")), output_field=SUM_HOURS
    )


class VolunteerQuerySet(ScopedQuerySet):
    def with_balance(self, *, before: datetime.date | None = None):
        """Each volunteer with `balance`: their time-bank balance in hours (before a day,
        when given), computed in the same query (`time_bank_balance_sum`)."""
        return self.annotate(balance=time_bank_balance_sum(OuterRef("pk"), before=before))


class Volunteer(models.Model):
    """A volunteer of a community. Name and phone are personal data: show them masked."""

    personal_data = True  # seen only by its own community's clerk and county staff

    class Kind(models.TextChoices):
        RESIDENT = "resident", _("Resident")
        PARTY_MEMBER = "party_member", _("In-service Party member reporting (在职党员报到)")
        LEAGUE_MEMBER = "league_member", _("School League member reporting (在校团员报到)")

    community_path = "community"

    community = models.ForeignKey(
        Community, on_delete=models.CASCADE, related_name="volunteers", verbose_name=_("community")
    )
    name = models.CharField(_("name"), max_length=50)
    phone = models.CharField(_("phone"), max_length=20, blank=True)
    kind = models.CharField(_("kind"), max_length=16, choices=Kind, default=Kind.RESIDENT)
    registered_on = models.DateField(_("registered on"))
    active = models.BooleanField(_("active"), default=True)
    is_sample = models.BooleanField(_("sample data"), default=False)
    history = HistoricalRecords()

    objects = VolunteerQuerySet.as_manager()

    class Meta:
        verbose_name = _("volunteer")
        verbose_name_plural = _("volunteers")
        ordering = ["community__code", "name", "id"]

    def __str__(self):
        return mask_name(self.name)


class HelperPairing(models.Model):
    """A household paired with its helper: a co-building unit or a volunteer, exactly one."""

    personal_data = True  # seen only by its own community's clerk and county staff
    community_path = "household__community"

    household = models.ForeignKey(
        AssistedHousehold,
        on_delete=models.CASCADE,
        related_name="helpers",
        verbose_name=_("household"),
    )
    co_building_unit = models.ForeignKey(
        CoBuildingUnit,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="household_pairings",
        verbose_name=_("co-building unit"),
    )
    volunteer = models.ForeignKey(
        Volunteer,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="household_pairings",
        verbose_name=_("volunteer"),
    )
    started_on = models.DateField(_("paired since"))
    ended_on = models.DateField(_("paired until"), null=True, blank=True)

    objects = ScopedQuerySet.as_manager()

    class Meta:
        verbose_name = _("helper pairing")
        verbose_name_plural = _("helper pairings")
        ordering = ["household_id", "started_on", "id"]
        constraints = [
            models.CheckConstraint(
                condition=(Q(co_building_unit__isnull=False) & Q(volunteer__isnull=True))
                | (Q(co_building_unit__isnull=True) & Q(volunteer__isnull=False)),
                name="services_helper_exactly_one_kind",
                violation_error_message=_("Choose either a co-building unit or a volunteer."),
            ),
            models.CheckConstraint(
                condition=Q(ended_on__isnull=True) | Q(ended_on__gt=F("started_on")),
                name="services_helper_ends_after_start",
                violation_error_message=_("A pairing must end after it started."),
            ),
        ]

    def __str__(self):
        return f"{self.household} ⇄ {self.co_building_unit or self.volunteer}"


class AssistanceVisit(models.Model):
    personal_data = True  # seen only by its own community's clerk and county staff
    community_path = "household__community"

    household = models.ForeignKey(
        AssistedHousehold,
        on_delete=models.CASCADE,
        related_name="visits",
        verbose_name=_("household"),
    )
    visited_on = models.DateField(_("visited on"))
    kind = models.CharField(_("help given"), max_length=16, choices=HelpKind)
    by_volunteer = models.ForeignKey(
        Volunteer,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="visits",
        verbose_name=_("volunteer"),
    )
    note = models.CharField(_("note"), max_length=200, blank=True)
    hours = models.DecimalField(_("hours"), default=Decimal(0), **HOURS)

    objects = ScopedQuerySet.as_manager()

    class Meta:
        verbose_name = _("assistance visit")
        verbose_name_plural = _("assistance visits")
        ordering = ["-visited_on", "-id"]
        constraints = [
            models.CheckConstraint(condition=Q(hours__gte=0), name="services_visit_hours_nonneg"),
        ]

    def __str__(self):
        return f"{self.household} · {self.visited_on} · {self.get_kind_display()}"


# Volunteer service and the time bank (时间银行) --------------------------------------------


class ServiceRecord(models.Model):
    """A session of volunteer service; `services.domain.service_record` deposits its hours."""

    personal_data = True  # seen only by its own community's clerk and county staff
    community_path = "volunteer__community"

    volunteer = models.ForeignKey(
        Volunteer,
        on_delete=models.PROTECT,
        related_name="service_records",
        verbose_name=_("volunteer"),
    )
    served_on = models.DateField(_("served on"))
    hours = models.DecimalField(
        _("hours"),
        validators=[MinValueValidator(Decimal("0.01")), MaxValueValidator(MAX_SERVICE_HOURS)],
        **HOURS,
    )
    activity = models.CharField(_("activity"), max_length=200)
    household = models.ForeignKey(
        AssistedHousehold,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="service_records",
        verbose_name=_("household served"),
    )
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("recorded by"),
    )
    recorded_at = models.DateTimeField(_("recorded at"), auto_now_add=True)

    objects = ScopedQuerySet.as_manager()

    class Meta:
        verbose_name = _("service record")
        verbose_name_plural = _("service records")
        ordering = ["-served_on", "-id"]
        # The admin's newest-first list and its date drill-down, the hours report's months.
        indexes = [models.Index(fields=["served_on", "id"], name="services_record_served_on")]
        constraints = [
            models.CheckConstraint(
                condition=Q(hours__gt=0) & Q(hours__lte=MAX_SERVICE_HOURS),
                name="services_record_hours_range",
            ),
        ]

    def __str__(self):
        return f"{self.volunteer} · {self.served_on} · {self.hours}"

    def clean(self):
        if (
            self.household_id
            and self.volunteer_id
            and self.household.community_id != self.volunteer.community_id
        ):
            raise ValidationError(
                {"household": _("Choose a household of the volunteer's own community.")}
            )


class TimeBankEntry(models.Model):
    """One line of a volunteer's time-bank ledger, append-only.

    `hours` is signed: positive for a deposit, negative for a draw, either for an
    adjustment. The balance is the sum of the lines, never stored.
    """

    personal_data = True  # seen only by its own community's clerk and county staff

    class Kind(models.TextChoices):
        DEPOSIT = "deposit", _("Deposit for service given")
        DRAW = "draw", _("Draw for service received")
        ADJUSTMENT = "adjustment", _("Adjustment")

    community_path = "volunteer__community"

    volunteer = models.ForeignKey(
        Volunteer,
        on_delete=models.PROTECT,
        related_name="time_bank_entries",
        verbose_name=_("volunteer"),
    )
    kind = models.CharField(_("kind"), max_length=16, choices=Kind)
    hours = models.DecimalField(_("hours"), **HOURS)
    on = models.DateField(_("date"))
    service_record = models.OneToOneField(
        ServiceRecord,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="time_bank_entry",
        verbose_name=_("service record"),
    )
    note = models.CharField(_("note"), max_length=200, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("entered by"),
    )
    created_at = models.DateTimeField(_("entered at"), auto_now_add=True)

    objects = ScopedQuerySet.as_manager()

    class Meta:
        verbose_name = _("time-bank entry")
        verbose_name_plural = _("time-bank entries")
        ordering = ["volunteer_id", "on", "id"]
        # The admin's date drill-down, and its kind filter (draws and adjustments are few
        # among the deposits). The ledger order is served by the volunteer's index.
        indexes = [
            models.Index(fields=["on"], name="services_timebank_on"),
            models.Index(fields=["kind", "on"], name="services_timebank_kind"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=(Q(kind="deposit") & Q(hours__gt=0))
                | (Q(kind="draw") & Q(hours__lt=0))
                | (Q(kind="adjustment") & ~Q(hours=0)),
                name="services_timebank_sign_matches_kind",
            ),
            models.CheckConstraint(
                condition=Q(service_record__isnull=True) | Q(kind="deposit"),
                name="services_timebank_record_is_deposit",
            ),
        ]

    def __str__(self):
        return f"{self.volunteer} · {self.on} · {self.hours:+}"


class ContributionPoints(models.Model):
    """A line of a Party member's contribution points card (奉献积分卡)."""

    personal_data = True  # seen only by its own community's clerk and county staff
    community_path = "volunteer__community"

    volunteer = models.ForeignKey(
        Volunteer,
        on_delete=models.PROTECT,
        related_name="contribution_points",
        verbose_name=_("Party member"),
    )
    year = models.PositiveSmallIntegerField(_("year"), validators=YEAR_VALIDATORS)
    activity = models.CharField(_("activity"), max_length=200)
    points = models.PositiveIntegerField(_("points"), validators=[MinValueValidator(1)])
    on = models.DateField(_("date"))

    objects = ScopedQuerySet.as_manager()

    class Meta:
        verbose_name = _("contribution points")
        verbose_name_plural = _("contribution points")
        ordering = ["-year", "on", "id"]
        constraints = [
            models.CheckConstraint(condition=Q(points__gt=0), name="services_points_positive"),
            _year_range("year", "services_points_year_range"),
        ]

    def __str__(self):
        return f"{self.volunteer} · {self.year} · {self.points}"

    def clean(self):
        if self.on and self.year and self.on.year != self.year:
            raise ValidationError({"on": _("The date must fall in the card's year.")})
        if self.volunteer_id and self.volunteer.kind != Volunteer.Kind.PARTY_MEMBER:
            raise ValidationError(
                {"volunteer": _("Contribution points are for Party members reporting.")}
            )


# Re-employment and social security -----------------------------------------------------------


class TrainingClass(models.Model):
    """A skills training class (技能培训班)."""

    community_path = "community"

    community = models.ForeignKey(
        Community,
        on_delete=models.CASCADE,
        related_name="training_classes",
        verbose_name=_("community"),
    )
    name = models.CharField(_("name"), max_length=100)
    starts_on = models.DateField(_("starts on"))
    ends_on = models.DateField(_("ends on"))
    trainees = models.PositiveIntegerField(_("trainees"), default=0)
    completions = models.PositiveIntegerField(_("completed"), default=0)
    is_sample = models.BooleanField(_("sample data"), default=False)

    objects = ScopedQuerySet.as_manager()

    class Meta:
        verbose_name = _("training class")
        verbose_name_plural = _("training classes")
        ordering = ["community__code", "-starts_on", "name"]
        constraints = [
            models.UniqueConstraint(
                fields=["community", "name", "starts_on"], name="services_training_unique"
            ),
            models.CheckConstraint(
                condition=Q(ends_on__gte=F("starts_on")), name="services_training_ends_after_start"
            ),
            models.CheckConstraint(
                condition=Q(completions__lte=F("trainees")),
                name="services_training_completions_le_trainees",
                violation_error_message=_("More completions than trainees."),
            ),
        ]

    def __str__(self):
        return self.name


class ProcessingProject(models.Model):
    """A processing-work project (来料加工) in a year."""

    community_path = "community"

    community = models.ForeignKey(
        Community,
        on_delete=models.CASCADE,
        related_name="processing_projects",
        verbose_name=_("community"),
    )
    name = models.CharField(_("name"), max_length=100)
    year = models.PositiveSmallIntegerField(_("year"), validators=YEAR_VALIDATORS)
    participants = models.PositiveIntegerField(_("participants"), default=0)
    income_yuan = models.DecimalField(_("income (yuan)"), default=Decimal(0), **MONEY)
    is_sample = models.BooleanField(_("sample data"), default=False)

    objects = ScopedQuerySet.as_manager()

    class Meta:
        verbose_name = _("processing project")
        verbose_name_plural = _("processing projects")
        ordering = ["community__code", "-year", "name"]
        constraints = [
            models.UniqueConstraint(
                fields=["community", "name", "year"], name="services_processing_unique"
            ),
            models.CheckConstraint(
                condition=Q(income_yuan__gte=0), name="services_processing_income_nonneg"
            ),
            _year_range("year", "services_processing_year_range"),
        ]

    def __str__(self):
        return f"{self.name} ({self.year})"


class ReemploymentOutcome(models.Model):
    """People of a community re-employed in a month."""

    community_path = "community"

    community = models.ForeignKey(
        Community,
        on_delete=models.CASCADE,
        related_name="reemployment_outcomes",
        verbose_name=_("community"),
    )
    month = models.DateField(_("month"), help_text=_("The first day of the month."))
    reemployed = models.PositiveIntegerField(_("people re-employed"), default=0)
    is_sample = models.BooleanField(_("sample data"), default=False)

    objects = ScopedQuerySet.as_manager()

    class Meta:
        verbose_name = _("re-employment outcome")
        verbose_name_plural = _("re-employment outcomes")
        ordering = ["community__code", "-month"]
        constraints = [
            models.UniqueConstraint(
                fields=["community", "month"], name="services_reemployment_one_per_month"
            ),
            models.CheckConstraint(
                condition=Q(month__day=1), name="services_reemployment_month_first_day"
            ),
            models.CheckConstraint(
                condition=Q(reemployed__gte=0), name="services_reemployment_nonneg"
            ),
        ]

    def __str__(self):
        return f"{self.community} · {self.month:%Y-%m}"


# Community admission (社区准入) and commendations (表彰) ------------------------------------


class AdmissionRequest(models.Model):
    """A county department's request to hand a task to communities (社区准入).

    County-level: not scoped to one community; each community sees the approved requests
    whose `communities` include it.
    """

    class Status(models.TextChoices):
        SUBMITTED = "submitted", _("Submitted")
        APPROVED = "approved", _("Approved")
        REFUSED = "refused", _("Refused")

    department = models.CharField(_("department"), max_length=100)
    # Where the county's decision is e-mailed (services.admission); departments have no
    # accounts in the portal.
    contact_email = models.EmailField(
        _("contact e-mail"),
        blank=True,
        help_text=_("The department's address: the county's decision is e-mailed to it."),
    )
    task = models.TextField(_("task"))
    funds_follow = models.BooleanField(_("funds follow the task (费随事转)"), default=False)
    staff_follow = models.BooleanField(_("staff follow the task (人随事转)"), default=False)
    authority_follow = models.BooleanField(
        _("authority follows the task (权随事转)"), default=False
    )
    funds_yuan = models.DecimalField(_("funds (yuan)"), default=Decimal(0), **MONEY)
    communities = models.ManyToManyField(
        Community,
        blank=True,
        related_name="admitted_tasks",
        verbose_name=_("communities concerned"),
    )
    status = models.CharField(_("status"), max_length=16, choices=Status, default=Status.SUBMITTED)
    decision_reason = models.TextField(_("reason for the decision"), blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("decided by"),
    )
    decided_on = models.DateField(_("decided on"), null=True, blank=True)
    # The day the request reached the county, entered by staff (a paper request arrives
    # before it is typed in). Empty only on rows loaded without it: the portal's forms and
    # services.admission require it.
    received_on = models.DateField(
        _("received on"),
        null=True,
        blank=True,
        help_text=_("The day the department's request reached the county."),
    )
    submitted_at = models.DateTimeField(_("recorded at"), auto_now_add=True)
    is_sample = models.BooleanField(_("sample data"), default=False)
    history = HistoricalRecords(m2m_fields=[communities])

    class Meta:
        verbose_name = _("admission request")
        verbose_name_plural = _("admission requests")
        ordering = [F("received_on").desc(nulls_last=True), "-submitted_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=~Q(status="refused") | ~Q(decision_reason=""),
                name="services_admission_refusal_has_reason",
                violation_error_message=_("Give the reason for the refusal."),
            ),
            models.CheckConstraint(
                condition=Q(status="submitted") | Q(decided_on__isnull=False),
                name="services_admission_decision_dated",
            ),
            models.CheckConstraint(
                condition=Q(funds_yuan__gte=0), name="services_admission_funds_nonneg"
            ),
            models.CheckConstraint(
                condition=Q(received_on__isnull=True)
                | Q(decided_on__isnull=True)
                | Q(received_on__lte=F("decided_on")),
                name="services_admission_received_by_decision",
                violation_error_message=_(
                    "A request cannot be received after the day it was decided."
                ),
            ),
        ]

    def __str__(self):
        return f"{self.department}: {self.task[:40]}"


class Commendation(models.Model):
    """An advanced collective or individual commended in a year (表彰); published."""

    class Kind(models.TextChoices):
        COLLECTIVE = "collective", _("Advanced collective")
        INDIVIDUAL = "individual", _("Advanced individual")

    community_path = "community"

    year = models.PositiveSmallIntegerField(_("year"), validators=YEAR_VALIDATORS)
    kind = models.CharField(_("kind"), max_length=16, choices=Kind)
    name = models.CharField(
        _("name"),
        max_length=100,
        help_text=_("The collective's or the person's name, as published."),
    )
    community = models.ForeignKey(
        Community,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="commendations",
        verbose_name=_("community"),
    )
    title = models.CharField(_("title"), max_length=100)
    is_sample = models.BooleanField(_("sample data"), default=False)

    objects = ScopedQuerySet.as_manager()

    class Meta:
        verbose_name = _("commendation")
        verbose_name_plural = _("commendations")
        ordering = ["-year", "kind", "name"]
        constraints = [
            models.UniqueConstraint(
                fields=["year", "kind", "name", "title"], name="services_commendation_unique"
            ),
            _year_range("year", "services_commendation_year_range"),
        ]

    def __str__(self):
        return f"{self.year} {self.title}: {self.name}"
