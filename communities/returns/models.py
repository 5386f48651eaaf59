"""Monthly returns: the indicator catalogue, one return per community per month, its values.

A return moves draft → submitted → approved (township) → accepted (county, locked); the
township may send it back (returned) with a reason, and the county may reopen an accepted
return with a reason. Every change goes through communities.returns (the domain module).
"""

import datetime
from decimal import ROUND_HALF_UP, Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import F, Q
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from communities.models.registry import Community, LocalNameMixin, ScopedQuerySet

VALUE = {"max_digits": 14, "decimal_places": 2}


class IndicatorGroup(LocalNameMixin, models.Model):
    code = models.SlugField(_("code"), max_length=32, unique=True)
    name = models.CharField(_("name"), max_length=50)
    name_en = models.CharField(_("name in English"), max_length=80, blank=True)
    sort_order = models.PositiveSmallIntegerField(_("sort order"), default=0)
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("indicator group")
        verbose_name_plural = _("indicator groups")
        ordering = ["sort_order", "code"]

    def __str__(self):
        return self.name


class IndicatorQuerySet(models.QuerySet):
    def active_in(self, period: datetime.date):
        """Indicators in force in the month starting on `period`."""
        return self.filter(
            Q(active_from__lte=period), Q(active_to__isnull=True) | Q(active_to__gte=period)
        )


class Indicator(LocalNameMixin, models.Model):
    class ValueType(models.TextChoices):
        INTEGER = "integer", _("Whole number")
        DECIMAL = "decimal", _("Decimal number")

    class Aggregation(models.TextChoices):
        # What happened during the month (visits, hours, funds) adds up over a quarter;
        # what exists at the month's end (households, members) does not: a quarter's
        # figure is its last month's.
        FLOW = "flow", _("Flow: summed over the months")
        STOCK = "stock", _("Stock: the period's last month")

    code = models.SlugField(_("code"), max_length=40, unique=True)
    name = models.CharField(_("name"), max_length=80)
    name_en = models.CharField(_("name in English"), max_length=120, blank=True)
    unit = models.CharField(_("unit"), max_length=20, blank=True)
    value_type = models.CharField(
        _("value type"), max_length=8, choices=ValueType, default=ValueType.INTEGER
    )
    minimum = models.DecimalField(_("minimum"), null=True, blank=True, **VALUE)
    maximum = models.DecimalField(_("maximum"), null=True, blank=True, **VALUE)
    required = models.BooleanField(_("required"), default=True)
    aggregation = models.CharField(
        _("aggregation over months"),
        max_length=8,
        choices=Aggregation,
        default=Aggregation.FLOW,
    )
    group = models.ForeignKey(
        IndicatorGroup,
        on_delete=models.PROTECT,
        related_name="indicators",
        verbose_name=_("group"),
    )
    help_text = models.CharField(_("help text"), max_length=300, blank=True)
    active_from = models.DateField(_("active from (month)"))
    active_to = models.DateField(_("active to (month)"), null=True, blank=True)
    sort_order = models.PositiveSmallIntegerField(_("sort order"), default=0)
    history = HistoricalRecords()

    objects = IndicatorQuerySet.as_manager()

    class Meta:
        verbose_name = _("indicator")
        verbose_name_plural = _("indicators")
        ordering = ["group__sort_order", "sort_order", "code"]
        constraints = [
            models.CheckConstraint(
                condition=Q(minimum__isnull=True)
                | Q(maximum__isnull=True)
                | Q(minimum__lte=F("maximum")),
                name="communities_indicator_min_le_max",
            ),
            models.CheckConstraint(
                condition=Q(active_to__isnull=True) | Q(active_to__gte=F("active_from")),
                name="communities_indicator_active_range",
            ),
        ]

    def __str__(self):
        return f"{self.code} {self.name}"

    @property
    def is_stock(self) -> bool:
        return self.aggregation == self.Aggregation.STOCK

    def clean(self):
        errors = {
            name: _("Enter the first day of a month, e.g. 2026-01-01.")
            for name in ("active_from", "active_to")
            if getattr(self, name) and getattr(self, name).day != 1
        }
        if errors:
            raise ValidationError(errors)


class IndicatorRule(models.Model):
    """A cross-field rule between two indicators of the same return, e.g. resolved ≤ received."""

    class Operator(models.TextChoices):
        LTE = "lte", "≤"
        LT = "lt", "<"
        EQ = "eq", "="
        GTE = "gte", "≥"
        GT = "gt", ">"

    left = models.ForeignKey(
        Indicator, on_delete=models.CASCADE, related_name="rules_left", verbose_name=_("indicator")
    )
    operator = models.CharField(_("must be"), max_length=3, choices=Operator)
    right = models.ForeignKey(
        Indicator,
        on_delete=models.CASCADE,
        related_name="rules_right",
        verbose_name=_("compared with"),
    )
    message = models.CharField(
        _("message"), max_length=200, blank=True, help_text=_("Shown when the rule is broken.")
    )
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("cross-field rule")
        verbose_name_plural = _("cross-field rules")
        ordering = ["left__code", "right__code"]
        constraints = [
            models.UniqueConstraint(
                fields=["left", "operator", "right"], name="communities_rule_unique"
            ),
            models.CheckConstraint(
                condition=~Q(left=F("right")), name="communities_rule_two_indicators"
            ),
        ]

    def __str__(self):
        return f"{self.left.code} {self.get_operator_display()} {self.right.code}"

    def holds(self, left: Decimal, right: Decimal) -> bool:
        return {
            "lte": left <= right,
            "lt": left < right,
            "eq": left == right,
            "gte": left >= right,
            "gt": left > right,
        }[self.operator]


class Ratio(LocalNameMixin, models.Model):
    """A derived indicator (派生指标): a numerator over a denominator, times a factor, e.g.
    再就业率 = reemployed / registered unemployed × 100 (%).

    Nobody enters it: it is worked out from two indicators of the catalogue wherever figures
    are added up, always as the ratio of the sums (the area's or period's total numerator over
    its total denominator), never as the mean of the communities' ratios. Each side adds up
    over months by its own indicator's rule (a flow summed, a stock its latest month).
    """

    code = models.SlugField(_("code"), max_length=40, unique=True)
    name = models.CharField(_("name"), max_length=80)
    name_en = models.CharField(_("name in English"), max_length=120, blank=True)
    unit = models.CharField(_("unit"), max_length=20, blank=True)
    numerator = models.ForeignKey(
        Indicator, on_delete=models.PROTECT, related_name="+", verbose_name=_("numerator")
    )
    denominator = models.ForeignKey(
        Indicator, on_delete=models.PROTECT, related_name="+", verbose_name=_("denominator")
    )
    factor = models.DecimalField(
        _("factor"),
        max_digits=10,
        decimal_places=2,
        default=Decimal(1),
        help_text=_("The quotient is multiplied by it: 100 for a percentage, 1000 per thousand."),
    )
    decimal_places = models.PositiveSmallIntegerField(
        _("decimal places"), default=1, help_text=_("Places the result is rounded to.")
    )
    group = models.ForeignKey(
        IndicatorGroup,
        on_delete=models.PROTECT,
        related_name="ratios",
        verbose_name=_("group"),
    )
    help_text = models.CharField(_("help text"), max_length=300, blank=True)
    sort_order = models.PositiveSmallIntegerField(_("sort order"), default=0)
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("derived indicator")
        verbose_name_plural = _("derived indicators")
        ordering = ["group__sort_order", "sort_order", "code"]
        constraints = [
            models.CheckConstraint(
                condition=~Q(numerator=F("denominator")), name="communities_ratio_two_indicators"
            ),
            models.CheckConstraint(condition=Q(factor__gt=0), name="communities_ratio_factor"),
            models.CheckConstraint(
                condition=Q(decimal_places__lte=4), name="communities_ratio_places"
            ),
        ]

    def __str__(self):
        return f"{self.code} {self.name}"

    def clean(self):
        # The check constraints' own messages name the constraint; say it in words (a field
        # with an error here leaves its constraint unchecked, so it is said once).
        errors = {}
        if self.numerator_id is not None and self.numerator_id == self.denominator_id:
            errors["denominator"] = _("Choose an indicator other than the numerator.")
        if self.factor is not None and self.factor <= 0:
            errors["factor"] = _("Enter a factor greater than zero.")
        if self.decimal_places is not None and self.decimal_places > 4:
            errors["decimal_places"] = _("Round to at most 4 decimal places.")
        if errors:
            raise ValidationError(errors)

    def compute(self, numerator: Decimal | None, denominator: Decimal | None) -> Decimal | None:
        """The ratio of two totals, rounded half up to `decimal_places`; None without a
        denominator (none reported, or zero)."""
        return ratio_of(numerator, denominator, self.factor, self.decimal_places)


def ratio_of(numerator, denominator, factor, places: int) -> Decimal | None:
    """numerator / denominator × factor, rounded half up to `places`; None when either total
    is missing or the denominator is zero. The one place a ratio is worked out."""
    if numerator is None or not denominator:
        return None
    exponent = Decimal(1).scaleb(-places)
    return (Decimal(numerator) * Decimal(factor) / Decimal(denominator)).quantize(
        exponent, rounding=ROUND_HALF_UP
    )


class ReturnStatus(models.TextChoices):
    DRAFT = "draft", _("Draft")
    SUBMITTED = "submitted", _("Submitted")
    RETURNED = "returned", _("Sent back")
    APPROVED = "approved", _("Approved by township")
    ACCEPTED = "accepted", _("Accepted by county")


# A return counts as reported once submitted; sent back means it has to come in again. The
# completeness grid, the dashboard and the ratings' evidence all count these.
REPORTED = frozenset({ReturnStatus.SUBMITTED, ReturnStatus.APPROVED, ReturnStatus.ACCEPTED})
# The clerk may change the figures of a draft or of a return sent back (within its window).
EDITABLE = (ReturnStatus.DRAFT, ReturnStatus.RETURNED)


def return_url(code: str, period) -> str:
    """The page of a community's month (its return, saved or not)."""
    return reverse("returns:detail", kwargs={"code": code, "month": f"{period:%Y-%m}"})


class MonthlyReturn(models.Model):
    community_path = "community"
    Status = ReturnStatus

    community = models.ForeignKey(
        Community, on_delete=models.PROTECT, related_name="returns", verbose_name=_("community")
    )
    period = models.DateField(_("month"), help_text=_("The first day of the month."))
    status = models.CharField(
        _("status"), max_length=16, choices=ReturnStatus, default=ReturnStatus.DRAFT
    )
    # Optimistic locking: every save bumps the version; a save from a stale form is refused.
    version = models.PositiveIntegerField(_("version"), default=1)
    is_late = models.BooleanField(_("submitted late"), default=False)
    submitted_at = models.DateTimeField(_("submitted at"), null=True, blank=True)
    approved_at = models.DateTimeField(_("approved at"), null=True, blank=True)
    accepted_at = models.DateTimeField(_("accepted at"), null=True, blank=True)
    open_until = models.DateField(
        _("open for entry until"),
        null=True,
        blank=True,
        help_text=_("Set when the county reopens a return after its entry window."),
    )
    updated_at = models.DateTimeField(_("last saved"), auto_now=True)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("last saved by"),
    )
    is_sample = models.BooleanField(_("sample data"), default=False)

    objects = ScopedQuerySet.as_manager()

    class Meta:
        verbose_name = _("monthly return")
        verbose_name_plural = _("monthly returns")
        ordering = ["-period", "community__code"]
        constraints = [
            models.UniqueConstraint(
                fields=["community", "period"], name="communities_return_one_per_month"
            ),
            models.CheckConstraint(
                condition=Q(version__gte=1), name="communities_return_version_positive"
            ),
        ]
        indexes = [models.Index(fields=["period", "status"], name="communities_return_period")]

    def __str__(self):
        return f"{self.community} {self.period:%Y-%m}"

    def get_absolute_url(self):
        return return_url(self.community.code, self.period)


class ReturnValue(models.Model):
    community_path = "monthly_return__community"

    monthly_return = models.ForeignKey(
        MonthlyReturn, on_delete=models.CASCADE, related_name="values", verbose_name=_("return")
    )
    indicator = models.ForeignKey(
        Indicator, on_delete=models.PROTECT, related_name="values", verbose_name=_("indicator")
    )
    value = models.DecimalField(_("value"), null=True, blank=True, **VALUE)
    comment = models.CharField(
        _("comment"),
        max_length=300,
        blank=True,
        help_text=_("Why a value far from recent months is right."),
    )
    history = HistoricalRecords()

    objects = ScopedQuerySet.as_manager()

    class Meta:
        verbose_name = _("value")
        verbose_name_plural = _("values")
        ordering = ["indicator__group__sort_order", "indicator__sort_order"]
        constraints = [
            models.UniqueConstraint(
                fields=["monthly_return", "indicator"], name="communities_value_one_per_indicator"
            )
        ]
        # The aggregates read one indicator across every return: this index holds what
        # they need, so they skip the table's pages (docs/indexes.md).
        indexes = [
            models.Index(
                fields=["indicator", "monthly_return", "value"],
                name="communities_value_indicator",
            )
        ]

    def __str__(self):
        return f"{self.monthly_return} {self.indicator.code}={self.value}"


class ReturnEvent(models.Model):
    """The return's workflow log: who moved it where, when, and why."""

    class Action(models.TextChoices):
        SAVED = "saved", _("Saved as draft")
        SUBMITTED = "submitted", _("Submitted")
        APPROVED = "approved", _("Approved")
        RETURNED = "returned", _("Sent back")
        ACCEPTED = "accepted", _("Accepted")
        REOPENED = "reopened", _("Reopened")
        IMPORTED = "imported", _("Imported from Excel")

    community_path = "monthly_return__community"

    monthly_return = models.ForeignKey(
        MonthlyReturn, on_delete=models.CASCADE, related_name="events", verbose_name=_("return")
    )
    action = models.CharField(_("action"), max_length=16, choices=Action)
    from_status = models.CharField(_("from"), max_length=16, choices=ReturnStatus, blank=True)
    to_status = models.CharField(_("to"), max_length=16, choices=ReturnStatus)
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        related_name="+",
        verbose_name=_("by"),
    )
    at = models.DateTimeField(_("at"), auto_now_add=True)
    reason = models.TextField(_("reason"), blank=True)

    objects = ScopedQuerySet.as_manager()

    class Meta:
        verbose_name = _("return event")
        verbose_name_plural = _("return events")
        ordering = ["monthly_return", "at", "pk"]

    def __str__(self):
        return f"{self.monthly_return} {self.get_action_display()}"


class ReturnImport(models.Model):
    """An uploaded workbook between its preview and its confirmation (all or nothing)."""

    class Status(models.TextChoices):
        PREVIEWED = "previewed", _("Checked, waiting for confirmation")
        APPLIED = "applied", _("Imported")
        REJECTED = "rejected", _("Has errors")

    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="+",
        verbose_name=_("uploaded by"),
    )
    uploaded_at = models.DateTimeField(_("uploaded at"), auto_now_add=True)
    file_name = models.CharField(_("file name"), max_length=200)
    status = models.CharField(_("status"), max_length=16, choices=Status, default=Status.PREVIEWED)
    # The checked rows: [{"community": id, "period": "YYYY-MM", "version": n,
    # "values": {indicator id: "12.5" | null}, "comments": {...}}, ...]
    rows = models.JSONField(_("checked rows"), default=list)
    # Errors per cell: [{"row": 5, "column": "C", "field": "...", "message": "..."}, ...]
    errors = models.JSONField(_("errors"), default=list)
    applied_at = models.DateTimeField(_("imported at"), null=True, blank=True)

    class Meta:
        verbose_name = _("Excel import")
        verbose_name_plural = _("Excel imports")
        ordering = ["-uploaded_at"]

    def __str__(self):
        return self.file_name
