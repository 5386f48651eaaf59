"""Reports on monthly returns, each in a fixed number of queries whatever the data size.

Completeness: which community has reported which month, with what status; reporting and
on-time rates per township and for the county; the returns that are overdue.

Aggregates: one indicator summed per area (county, township or community) and per month,
quarter or year, in the database; or a derived indicator (Ratio), the ratio of its two
indicators' sums.
"""

import datetime
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal

from django.db.models import (
    Case,
    Count,
    DateField,
    Exists,
    IntegerField,
    OuterRef,
    Q,
    Sum,
    Value,
    When,
)
from django.db.models.functions import TruncMonth, TruncQuarter, TruncYear
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from chunan_community.charts import format_number
from chunan_community.figures import Area, Percent
from chunan_community.months import add_months, months_between
from communities.access import COUNTY_OFFICE, access_for
from communities.models import (
    Community,
    MonthlyReturn,
    Ratio,
    ReturnStatus,
    ReturnValue,
    Township,
)
from communities.returns.checks import due_on, founding_month
from communities.returns.models import REPORTED

# ---------------------------------------------------------------------------- months


# ---------------------------------------------------------------------------- completeness

NOT_STARTED = "not_started"
NOT_FOUNDED = "not_founded"
UNSUBMITTED = frozenset({NOT_STARTED, ReturnStatus.DRAFT, ReturnStatus.RETURNED})
CELL_STATUSES = {
    NOT_STARTED: gettext_lazy("Not started"),
    ReturnStatus.DRAFT: ReturnStatus.DRAFT.label,
    ReturnStatus.SUBMITTED: ReturnStatus.SUBMITTED.label,
    ReturnStatus.RETURNED: ReturnStatus.RETURNED.label,
    ReturnStatus.APPROVED: ReturnStatus.APPROVED.label,
    ReturnStatus.ACCEPTED: ReturnStatus.ACCEPTED.label,
    NOT_FOUNDED: gettext_lazy("Not yet founded"),
}
# Shown in the cell beside the colour, so that colour is never the only signal.
CELL_SYMBOLS = {
    NOT_STARTED: "○",
    ReturnStatus.DRAFT: "◐",
    ReturnStatus.SUBMITTED: "↑",
    ReturnStatus.RETURNED: "←",
    ReturnStatus.APPROVED: "✓",
    ReturnStatus.ACCEPTED: "★",
    NOT_FOUNDED: "—",
}


@dataclass(frozen=True)
class CommunityRow:
    pk: int
    township_id: int
    founded: datetime.date


@dataclass(frozen=True)
class Cell:
    period: datetime.date
    status: str
    is_late: bool = False
    overdue: bool = False

    @property
    def expected(self) -> bool:
        return self.status != NOT_FOUNDED

    @property
    def reported(self) -> bool:
        return self.status in REPORTED

    @property
    def label(self):
        return CELL_STATUSES[self.status]

    @property
    def symbol(self) -> str:
        return CELL_SYMBOLS[self.status]


def cell_for(community: CommunityRow, period: datetime.date, found: dict, today) -> Cell:
    """The state of one community's month; a return saved before the founding still shows."""
    hit = found.get((community.pk, period))
    if hit is None:
        if period < community.founded:
            return Cell(period, NOT_FOUNDED)
        status, is_late = NOT_STARTED, False
    else:
        status, is_late = hit
    return Cell(period, status, is_late, status in UNSUBMITTED and today > due_on(period))


GRID_ORDER = ("township__sort_order", "township__code", "code")


def completeness_communities(user, township=None):
    """Active communities in the user's scope (optionally one township), in grid order."""
    queryset = Community.objects.visible_to(user).public()
    if township is not None:
        queryset = queryset.filter(township=township)
    return queryset.order_by(*GRID_ORDER)


def county_communities():
    """Every active community of the county in grid order: what county staff see in the
    grid, for the documents the county issues (built for no user, e.g. the circular)."""
    return Community.objects.public().order_by(*GRID_ORDER)


def community_rows(communities) -> list[CommunityRow]:
    return [
        CommunityRow(pk, township_id, founding_month(year, founded_on))
        for pk, township_id, year, founded_on in communities.values_list(
            "pk", "township_id", "founded_year", "founded_on"
        )
    ]


def returns_in_window(communities, first, last) -> tuple[dict, bool]:
    """(community id, period) → (status, is_late) for every return of the window, and whether
    any of them is sample data: one query."""
    rows = MonthlyReturn.objects.filter(
        community__in=communities.order_by().values("pk"), period__gte=first, period__lte=last
    ).values_list("community_id", "period", "status", "is_late", "is_sample")
    found, has_sample = {}, False
    for community_id, period, status, is_late, is_sample in rows:
        found[community_id, period] = (status, is_late)
        has_sample = has_sample or is_sample
    return found, has_sample


@dataclass
class Rates:
    """Reporting rate: reported / expected. On-time rate: reported before due / reported."""

    reporting: Percent = field(default_factory=Percent)
    on_time: Percent = field(default_factory=Percent)

    def add(self, cell: Cell) -> None:
        if not cell.expected:
            return
        self.reporting += Percent(int(cell.reported), 1)
        if cell.reported:
            self.on_time += Percent(int(not cell.is_late), 1)


@dataclass
class RateRow:
    """A township's rates (township_id None: every community shown), per month and overall.

    `overall` counts only the months already due, so a month still being entered does not
    pull the period's rate down.
    """

    township_id: int | None
    months: dict[datetime.date, Rates]
    overall: Rates = field(default_factory=Rates)


def completeness_rates(
    communities: Sequence[CommunityRow], months: Sequence[datetime.date], found: dict, today
) -> dict[int | None, RateRow]:
    """Rates per township (keyed by id, in the communities' order) and for all (key None).

    The same rule as `cell_for` (a month before the founding is not expected unless a return
    was saved for it), tallied in plain integers: at 10,000 communities x 12 months building
    a Cell and adding it to two Rates for every month took most of the page's time.
    """
    # township id → month → [expected, reported, reported by the due date]
    tallies: dict[int, dict[datetime.date, list[int]]] = {}
    for community in communities:
        per_month = tallies.get(community.township_id)
        if per_month is None:
            per_month = tallies[community.township_id] = {m: [0, 0, 0] for m in months}
        pk, founded = community.pk, community.founded
        for period in months:
            hit = found.get((pk, period))
            if hit is None:
                if period >= founded:
                    per_month[period][0] += 1
                continue
            tally = per_month[period]
            tally[0] += 1
            if hit[0] in REPORTED:
                tally[1] += 1
                tally[2] += not hit[1]
    due = [m for m in months if today > due_on(m)]
    total = [[0, 0, 0] for _ in months]
    rows: dict[int | None, RateRow] = {}
    for township_id, per_month in tallies.items():
        for n, period in enumerate(months):
            for i in range(3):
                total[n][i] += per_month[period][i]
        rows[township_id] = _rate_row(township_id, months, due, per_month)
    rows[None] = _rate_row(None, months, due, dict(zip(months, total, strict=True)))
    return rows


def _rate_row(township_id, months, due, per_month) -> RateRow:
    def rates(expected, reported, on_time):
        return Rates(Percent(reported, expected), Percent(on_time, reported))

    overall = [sum(per_month[m][i] for m in due) for i in range(3)]
    return RateRow(township_id, {m: rates(*per_month[m]) for m in months}, rates(*overall))


@dataclass(frozen=True)
class Overdue:
    community_id: int
    period: datetime.date
    status: str

    @property
    def due(self) -> datetime.date:
        return due_on(self.period)

    @property
    def label(self):
        return CELL_STATUSES[self.status]


def overdue_returns(
    communities: Sequence[CommunityRow], months: Sequence[datetime.date], found: dict, today
) -> list[Overdue]:
    """Months past their due date with no submission (not started, draft or sent back),
    oldest month first, then in the communities' order."""
    overdue = []
    for period in months:
        if not today > due_on(period):
            continue  # the same rule as Cell.overdue, without a Cell per community and month
        for community in communities:
            hit = found.get((community.pk, period))
            if hit is None:
                if period >= community.founded:
                    overdue.append(Overdue(community.pk, period, NOT_STARTED))
            elif hit[0] in UNSUBMITTED:
                overdue.append(Overdue(community.pk, period, hit[0]))
    return overdue


# ---------------------------------------------------------------------------- aggregates


class Grain:
    MONTH = "month"
    QUARTER = "quarter"
    YEAR = "year"
    CHOICES = (
        (MONTH, gettext_lazy("Month")),
        (QUARTER, gettext_lazy("Quarter")),
        (YEAR, gettext_lazy("Year")),
    )
    MONTHS = {MONTH: 1, QUARTER: 3, YEAR: 12}


class Level:
    TOTAL = "total"
    TOWNSHIP = "township"
    COMMUNITY = "community"


# What the aggregates count, said on the page: the clerks' figures, not the service records
# (the dashboard's and the service reports' volunteer hours count those: services.reports).
REPORTED_BASIS = gettext_lazy(
    "Counts the figures the communities reported in their monthly returns (entered or "
    "imported by their clerks), not the portal's own records: the volunteer hours of the "
    "dashboard and the service reports count the sessions of service recorded, and may differ."
)


class Counted:
    """Which returns' figures count."""

    SUBMITTED = "submitted"
    REVIEWED = "reviewed"
    ALL = "all"
    CHOICES = (
        (SUBMITTED, gettext_lazy("Submitted, approved and accepted returns")),
        (REVIEWED, gettext_lazy("Only returns approved or accepted")),
        (ALL, gettext_lazy("Every saved return, drafts and sent back included")),
    )
    STATUSES = {
        SUBMITTED: tuple(REPORTED),
        REVIEWED: (ReturnStatus.APPROVED, ReturnStatus.ACCEPTED),
        ALL: tuple(ReturnStatus.values),
    }


def bucket_of(period: datetime.date, grain: str) -> datetime.date:
    """The first month of the month, quarter or year holding `period`."""
    step = Grain.MONTHS[grain]
    return datetime.date(period.year, (period.month - 1) // step * step + 1, 1)


def widen(first: datetime.date, last: datetime.date, grain: str):
    """The range stretched to whole quarters or years: (first month, last month)."""
    return bucket_of(first, grain), add_months(bucket_of(last, grain), Grain.MONTHS[grain] - 1)


def buckets(first: datetime.date, last: datetime.date, grain: str) -> list[datetime.date]:
    step = Grain.MONTHS[grain]
    return months_between(bucket_of(first, grain), last)[::step]


def bucket_label(bucket: datetime.date, grain: str) -> str:
    if grain == Grain.YEAR:
        return _("%(year)s") % {"year": bucket.year}
    if grain == Grain.QUARTER:
        return _("%(year)s Q%(quarter)s") % {
            "year": bucket.year,
            "quarter": (bucket.month - 1) // 3 + 1,
        }
    return f"{bucket:%Y-%m}"


TRUNC = {Grain.MONTH: TruncMonth, Grain.QUARTER: TruncQuarter, Grain.YEAR: TruncYear}
AREA_PATHS = {
    Level.TOTAL: None,
    Level.TOWNSHIP: "monthly_return__community__township_id",
    Level.COMMUNITY: "monthly_return__community_id",
}


def counted_values(*, user, indicator, statuses, first, last, township_id=None, paired_with=None):
    """The indicator's figures the aggregates count: within the user's scope (and the
    township, if given), in returns of `statuses`, from `first` to `last`. `indicator` may
    be a list of several (the cross-indicator table reads them together). With
    `paired_with` (another indicator), only in returns that have a figure for it too."""
    several = isinstance(indicator, list | tuple)
    values = ReturnValue.objects.filter(
        access_for(user).q("monthly_return__community"),
        **{"indicator__in" if several else "indicator": indicator},
        value__isnull=False,
        monthly_return__status__in=list(statuses),
        monthly_return__period__gte=first,
        monthly_return__period__lte=last,
    )
    if township_id is not None:
        values = values.filter(monthly_return__community__township_id=township_id)
    if paired_with is not None:
        values = values.filter(
            Exists(
                ReturnValue.objects.filter(
                    monthly_return=OuterRef("monthly_return"),
                    indicator=paired_with,
                    value__isnull=False,
                )
            )
        )
    return values


def area_sums(
    *,
    user,
    indicator,
    statuses: Iterable[str],
    first: datetime.date,
    last: datetime.date,
    grain: str | None,
    level: str,
    stock: bool,
    township_id: int | None = None,
    per_indicator: bool = False,
    paired_with=None,
) -> tuple[dict[tuple, Decimal], bool]:
    """(bucket, area id) → the indicator's total, summed in the database in one query; and
    whether any sample return (示例数据) is among those counted.

    `per_indicator`: `indicator` is a list, each summed on its own in the same query, the
    keys (indicator id, bucket, area id).

    `grain` None makes one bucket of the whole range (key None); level TOTAL has area None.
    A flow is summed over the months of the bucket. A stock takes, for each community, its
    latest counted month within the bucket (DHIS2's "last value"), then sums communities;
    per month both are the same plain sum.

    `paired_with` (another indicator) counts only the returns that have a figure for it too:
    each side of a ratio (ratio_table).
    """
    values = counted_values(
        user=user,
        indicator=indicator,
        statuses=statuses,
        first=first,
        last=last,
        township_id=township_id,
        paired_with=paired_with,
    )
    bucket = None
    if grain is not None:
        bucket = TRUNC[grain]("monthly_return__period", output_field=DateField())
    rows = values.annotate(bucket=bucket) if bucket is not None else values
    if stock and grain != Grain.MONTH:
        # The latest month: no later counted month of the community in the same bucket.
        # NOT EXISTS plans as an anti-join; `pk = (newest pk)` ran once a row, and misled
        # PostgreSQL into nested loops of 15 to 54 s at 10,000 communities (docs/indexes.md).
        later = values.filter(
            monthly_return__community_id=OuterRef("monthly_return__community_id"),
            monthly_return__period__gt=OuterRef("monthly_return__period"),
        )
        if bucket is not None:
            later = later.annotate(bucket=bucket).filter(bucket=OuterRef("bucket"))
        if per_indicator:
            later = later.filter(indicator_id=OuterRef("indicator_id"))
        rows = rows.filter(~Exists(later))
    sums = {"total": Sum("value"), "samples": Count("pk", filter=Q(monthly_return__is_sample=True))}
    area_path = AREA_PATHS[level]
    group = [
        name
        for name in (
            "indicator_id" if per_indicator else None,
            "bucket" if bucket is not None else None,
            area_path,
        )
        if name
    ]
    if not group:
        found = rows.aggregate(**sums)
        if found["total"] is None:
            return {}, False
        return {(None, None): found["total"]}, found["samples"] > 0
    found = list(rows.order_by().values(*group).annotate(**sums))
    return (
        {
            (row["indicator_id"], row.get("bucket"), row.get(area_path))
            if per_indicator
            else (row.get("bucket"), row.get(area_path)): row["total"]
            for row in found
        },
        any(row["samples"] for row in found),
    )


@dataclass
class AggregateRow:
    label: str
    values: list[Decimal | None]
    total: Decimal | None
    bucket: datetime.date | None = None
    # Monthly returns with a figure counted, of those owed (community-months): a period
    # with fewer is partial, its sums lower than the county's real figure.
    reported: int = 0
    expected: int = 0
    # A ratio's row: the totals its `total` is worked out from (over the row's areas).
    numerator: Decimal | None = None
    denominator: Decimal | None = None

    @property
    def partial(self) -> bool:
        return self.reported < self.expected

    @property
    def display(self) -> list[str]:
        return [format_number(value) for value in self.values]

    @property
    def display_total(self) -> str:
        return format_number(self.total)

    @property
    def display_numerator(self) -> str:
        return format_number(self.numerator)

    @property
    def display_denominator(self) -> str:
        return format_number(self.denominator)


@dataclass
class AggregateTable:
    indicator: object  # an Indicator, or a Ratio (then `is_ratio`)
    stock: bool
    grain: str
    first: datetime.date
    last: datetime.date
    areas: list[Area]
    rows: list[AggregateRow]
    footer: AggregateRow
    has_sample: bool = False
    is_ratio: bool = False

    @property
    def has_total_column(self) -> bool:
        return len(self.areas) > 1

    @property
    def has_data(self) -> bool:
        return any(row.total is not None for row in self.rows)

    @property
    def has_partial(self) -> bool:
        return any(row.partial for row in self.rows)


def _row_total(values) -> Decimal | None:
    present = [v for v in values if v is not None]
    return sum(present, Decimal(0)) if present else None


def reporting_counts(
    *,
    user,
    indicator,
    statuses,
    first,
    last,
    township_id=None,
    per_indicator=False,
    paired_with=None,
) -> tuple[dict, dict[datetime.date, int]]:
    """Per month from `first` to `last`: (communities whose counted return has a figure for
    the indicator, and for `paired_with` if given; active communities that owe that month's
    return). Two queries, each a row per month or per founding date, whatever the number of
    communities.

    `per_indicator`: `indicator` is a list, the first dict keyed (indicator id, month).
    """
    values = counted_values(
        user=user,
        indicator=indicator,
        statuses=statuses,
        first=first,
        last=last,
        township_id=township_id,
        paired_with=paired_with,
    )
    communities = Community.objects.visible_to(user).public()
    if township_id is not None:
        communities = communities.filter(township_id=township_id)
    per_month = (
        values.order_by()
        .values_list(*(["indicator_id"] if per_indicator else []), "monthly_return__period")
        .annotate(count=Count("monthly_return__community_id", distinct=True))
    )
    if per_indicator:
        reported = {(pk, month): count for pk, month, count in per_month}
    else:
        reported = dict(per_month)
    return reported, owed_returns(communities, first, last)


def owed_returns(communities, first, last) -> dict[datetime.date, int]:
    """Per month from `first` to `last`: how many of `communities` owe its return (founded
    by then, `founding_month`). One query, a row per founding date."""
    founded = list(
        communities.order_by().values_list("founded_year", "founded_on").annotate(count=Count("pk"))
    )
    return {
        month: sum(count for year, on, count in founded if founding_month(year, on) <= month)
        for month in months_between(first, last)
    }


def aggregate_areas(user, level: str, township_id: int | None, total_label: str) -> list[Area]:
    """The table's columns: one query for townships or communities, none for a total."""
    if level == Level.TOWNSHIP:
        townships = Township.objects.filter(access_for(user).township_q())
        return [Area(t.pk, t.local_name) for t in townships]
    if level == Level.COMMUNITY:
        communities = Community.objects.visible_to(user)
        if township_id is not None:
            communities = communities.filter(township_id=township_id)
        return [Area(c.pk, c.local_name) for c in communities.order_by("code")]
    return [Area(None, total_label)]


def aggregate_table(
    *,
    user,
    indicator,
    level: str,
    grain: str,
    first: datetime.date,
    last: datetime.date,
    counted: str,
    township_id: int | None = None,
    stock: bool | None = None,
    total_label: str = "",
) -> AggregateTable:
    """Periods by areas for one indicator, with the total column and a whole-range row.

    Five queries at most: the areas, the sums per period, the sums over the whole range, the
    returns counted and owed (reporting_counts). `stock` defaults to the indicator's own
    aggregation. A Ratio as `indicator` is handed to ratio_table (`stock` does not apply).
    """
    if isinstance(indicator, Ratio):
        return ratio_table(
            user=user,
            ratio=indicator,
            level=level,
            grain=grain,
            first=first,
            last=last,
            counted=counted,
            township_id=township_id,
            total_label=total_label,
        )
    stock = indicator.is_stock if stock is None else stock
    areas = aggregate_areas(user, level, township_id, total_label or _("Total"))
    common = {
        "user": user,
        "indicator": indicator,
        "statuses": Counted.STATUSES[counted],
        "first": first,
        "last": last,
        "level": level,
        "stock": stock,
        "township_id": township_id if level == Level.COMMUNITY else None,
    }
    sums, has_sample = area_sums(grain=grain, **common)
    whole, _whole_sample = area_sums(grain=None, **common)
    reported, expected = reporting_counts(
        user=user,
        indicator=indicator,
        statuses=common["statuses"],
        first=first,
        last=last,
        township_id=common["township_id"],
    )
    rows = []
    for bucket in buckets(first, last, grain):
        values = [sums.get((bucket, area.key)) for area in areas]
        months = [m for m in months_between(bucket, widen(bucket, bucket, grain)[1]) if m <= last]
        rows.append(
            AggregateRow(
                bucket_label(bucket, grain),
                values,
                _row_total(values),
                bucket,
                reported=sum(reported.get(m, 0) for m in months),
                expected=sum(expected.get(m, 0) for m in months),
            )
        )
    footer_values = [whole.get((None, area.key)) for area in areas]
    footer = AggregateRow(
        _("Whole range: latest value") if stock else _("Whole range: total"),
        footer_values,
        _row_total(footer_values),
        reported=sum(row.reported for row in rows),
        expected=sum(row.expected for row in rows),
    )
    return AggregateTable(indicator, stock, grain, first, last, areas, rows, footer, has_sample)


# ---------------------------------------------------------------------------- ratios


def ratio_formula(ratio) -> str:
    """How a derived indicator is worked out, in the page's language:
    "本月再就业人数 ÷ 登记失业人员 × 100" (no "× 1")."""
    formula = f"{ratio.numerator.local_name} ÷ {ratio.denominator.local_name}"
    if ratio.factor != 1:
        formula += f" × {format_number(ratio.factor)}"
    return formula


def _ratios(ratio, numerators, denominators):
    """(each area's ratio, the row's ratio, the row's numerator, the row's denominator): the
    row's is the ratio of the totals over the areas, not the mean of their ratios."""
    values = [ratio.compute(n, d) for n, d in zip(numerators, denominators, strict=True)]
    numerator, denominator = _row_total(numerators), _row_total(denominators)
    return values, ratio.compute(numerator, denominator), numerator, denominator


def ratio_table(
    *,
    user,
    ratio,
    level: str,
    grain: str,
    first: datetime.date,
    last: datetime.date,
    counted: str,
    township_id: int | None = None,
    total_label: str = "",
) -> AggregateTable:
    """Periods by areas for a derived indicator: in each cell the area's numerator total over
    its denominator total for the period, times the factor (Ratio.compute).

    Each side is summed by area_sums under its own indicator's rule (a flow over the
    period's months, a stock each community's latest month), and only over the returns that
    have both figures: a community that reported its residents but not its volunteers would
    otherwise lower the volunteers per 1,000 residents of its whole township. The total
    column and the whole-range row are ratios of the summed totals too, never the mean (nor
    the sum) of the areas' ratios. A zero or missing denominator gives no figure (—).

    "Returns counted" (n of m) counts the returns with both figures, those the cells are
    worked out from, of the returns owed.

    Seven queries: the areas, each side's sums per period and over the whole range, and the
    returns counted and owed: two more than aggregate_table for an indicator.
    """
    areas = aggregate_areas(user, level, township_id, total_label or _("Total"))
    common = {
        "user": user,
        "statuses": Counted.STATUSES[counted],
        "first": first,
        "last": last,
        "level": level,
        "township_id": township_id if level == Level.COMMUNITY else None,
    }
    sides = {
        "numerator": (ratio.numerator, ratio.denominator),
        "denominator": (ratio.denominator, ratio.numerator),
    }
    sums, whole, has_sample = {}, {}, False
    for side, (indicator, other) in sides.items():
        pair = {"indicator": indicator, "paired_with": other, "stock": indicator.is_stock}
        sums[side], sample = area_sums(grain=grain, **pair, **common)
        whole[side], _whole_sample = area_sums(grain=None, **pair, **common)
        has_sample = has_sample or sample
    reported, expected = reporting_counts(
        user=user,
        indicator=ratio.numerator,
        paired_with=ratio.denominator,
        statuses=common["statuses"],
        first=first,
        last=last,
        township_id=common["township_id"],
    )
    rows = []
    for bucket in buckets(first, last, grain):
        values, total, numerator, denominator = _ratios(
            ratio,
            [sums["numerator"].get((bucket, area.key)) for area in areas],
            [sums["denominator"].get((bucket, area.key)) for area in areas],
        )
        months = [m for m in months_between(bucket, widen(bucket, bucket, grain)[1]) if m <= last]
        rows.append(
            AggregateRow(
                bucket_label(bucket, grain),
                values,
                total,
                bucket,
                reported=sum(reported.get(m, 0) for m in months),
                expected=sum(expected.get(m, 0) for m in months),
                numerator=numerator,
                denominator=denominator,
            )
        )
    values, total, numerator, denominator = _ratios(
        ratio,
        [whole["numerator"].get((None, area.key)) for area in areas],
        [whole["denominator"].get((None, area.key)) for area in areas],
    )
    footer = AggregateRow(
        _("Whole range: ratio of the totals"),
        values,
        total,
        reported=sum(row.reported for row in rows),
        expected=sum(row.expected for row in rows),
        numerator=numerator,
        denominator=denominator,
    )
    return AggregateTable(
        ratio, False, grain, first, last, areas, rows, footer, has_sample, is_ratio=True
    )


# ---------------------------------------------------------------------------- yearly totals


@dataclass(frozen=True)
class YearTotal:
    """An indicator's figure for a calendar year in an area: `total` by the indicator's own
    rule (a flow summed over the months, a stock each community's latest counted month,
    summed), None when nothing is counted; `reported`, the counted returns holding a figure
    (the n of "n of m returns")."""

    total: Decimal | None = None
    reported: int = 0

    def __add__(self, other: "YearTotal") -> "YearTotal":
        return YearTotal(_row_total([self.total, other.total]), self.reported + other.reported)


@dataclass
class YearTotals:
    """What `year_totals` found: (year, indicator id, area id) → YearTotal; (year, ratio id,
    area id) → (numerator total, denominator total), each side over the returns holding both
    figures; the counted returns of each year; whether any of them is a sample return."""

    indicators: dict[tuple[int, int, int | None], YearTotal]
    ratios: dict[tuple[int, int, int | None], tuple[Decimal | None, Decimal | None]]
    returns: dict[int, int]
    has_sample: bool = False

    def total(self, year: int, indicator_id: int, areas: Iterable) -> YearTotal:
        """The indicator's figure over several areas (their ids): a sum, a stock's too (each
        community counts once, in its own area)."""
        found = YearTotal()
        for area in areas:
            found += self.indicators.get((year, indicator_id, area), YearTotal())
        return found

    def ratio(self, ratio, year: int, areas: Iterable) -> Decimal | None:
        """The derived indicator over several areas: the ratio of the summed sides."""
        sides = [self.ratios.get((year, ratio.pk, area), (None, None)) for area in areas]
        return ratio.compute(_row_total([n for n, _d in sides]), _row_total([d for _n, d in sides]))


def year_totals(
    *,
    indicators: Sequence,
    ratios: Sequence = (),
    statuses: Iterable[str],
    years: Sequence[int],
    level: str,
    township_id: int | None = None,
) -> YearTotals:
    """Every indicator's and derived indicator's figure for each of `years`, per area (level
    TOWNSHIP or COMMUNITY; TOTAL gives area None), in the whole county or one township:
    what the aggregates give for a year (area_sums and ratio_table, by the same rules), for
    the whole catalogue at once, fast enough for the yearly report at province scale
    (10,000 communities: 2.65 million values a year). No user: the county's own documents.

    Two queries, whatever the number of communities or returns:
    1. one pass over the values, grouped by year, indicator and area: each indicator's sum
       (a flow's total), its counted returns holding a figure, and a
       stock's sum over each community's latest counted return of the year (NOT EXISTS a
       later one: an anti-join on the returns, run once, a twentieth of the values' rows);
    2. the counted returns of each year, and the sample ones among them.
    A stock's latest counted return holds its latest counted figure when the stock has a
    figure in every counted return of the year (query 1's count equals query 2's), as a
    required indicator does: its latest-return sum is then exact. Otherwise (a figure left
    blank, or an indicator that entered or left the catalogue during the year) those stocks
    are summed by area_sums' anti-join on the values: one query more. A derived indicator's
    sides are the two indicators' totals when both have a figure in every counted return;
    otherwise each side is summed by area_sums over the returns holding both (ratio_table's
    rule): two queries more for that ratio. Everything is summed in the database; nothing here loops
    over values.
    """
    statuses = list(statuses)
    years = sorted(set(years))
    window = {
        "user": COUNTY_OFFICE,
        "statuses": statuses,
        "first": datetime.date(years[0], 1, 1),
        "last": datetime.date(years[-1], 12, 1),
        "township_id": township_id,
    }
    area_path = AREA_PATHS[level]
    group = ["year", "indicator_id", *([area_path] if area_path else [])]
    indicators = list(indicators)

    def place(row) -> tuple[int, int, int | None]:
        return row["year"], row["indicator_id"], row[area_path] if area_path else None

    stocks = {i.pk: i for i in indicators if i.is_stock}
    totals: dict[tuple[int, int, int | None], YearTotal] = {}
    latest = {}
    if indicators:
        sums = {
            "total": Sum("value"),
            # Counted by the return's id, not the value's, so that PostgreSQL may read the
            # values from the index on (indicator, monthly_return, value) alone
            # (dashboard.funds_sums).
            "reported": Count("monthly_return"),
        }
        if stocks:
            # The stocks' figures in the latest counted return of their community and year:
            # an IN over the latest returns, which PostgreSQL computes once (a hashed
            # subplan) and probes for each value, in the same pass over the values.
            latest_returns = Q()
            for year in years:
                latest_returns |= Q(monthly_return__in=_latest_returns(window, year))
            sums["latest"] = Sum("value", filter=Q(indicator__in=list(stocks)) & latest_returns)
        rows = (
            counted_values(indicator=indicators, **window)
            .annotate(year=_year_of("monthly_return__period", years))
            .order_by()
            .values(*group)
            .annotate(**sums)
        )
        for row in rows:
            totals[place(row)] = YearTotal(row["total"], row["reported"])
            if row["indicator_id"] in stocks:
                latest[place(row)] = row["latest"]
    returns, samples = _counted_returns(window, years)
    reported: dict[tuple[int, int], int] = {}
    for (year, pk, _area), found in totals.items():
        reported[year, pk] = reported.get((year, pk), 0) + found.reported

    def complete(indicator_id: int, year: int) -> bool:
        """Has the indicator a figure in every counted return of the year?"""
        return reported.get((year, indicator_id), 0) == returns.get(year, 0)

    # A stock with a figure in every counted return of the year: its latest counted
    # return holds its latest figure. The others: area_sums' anti-join on the values.
    exact = {(year, pk) for year in years for pk in stocks if complete(pk, year)}
    others = [i for pk, i in stocks.items() if any((year, pk) not in exact for year in years)]
    fallback = {}
    if others:
        found, _sample = area_sums(
            indicator=others,
            per_indicator=True,
            stock=True,
            grain=Grain.YEAR,
            level=level,
            **window,
        )
        fallback = {(bucket.year, pk, area): total for (pk, bucket, area), total in found.items()}
    for (year, pk, area), found in list(totals.items()):
        if pk in stocks:
            chosen = latest if (year, pk) in exact else fallback
            totals[year, pk, area] = YearTotal(chosen.get((year, pk, area)), found.reported)

    sides = {}
    for ratio in ratios:
        both = ratio.numerator_id, ratio.denominator_id
        # Both figures in every counted return: each side is its indicator's total. Either
        # figure in none: no side has a figure. Else: over the returns holding both.
        plain = {year for year in years if all(complete(pk, year) for pk in both)}
        empty = {year for year in years if not all(reported.get((year, pk)) for pk in both)}
        for (year, pk, area), found in totals.items():
            if year in plain and pk == ratio.numerator_id:
                denominator = totals.get((year, ratio.denominator_id, area), YearTotal())
                sides[year, ratio.pk, area] = (found.total, denominator.total)
        if set(years) - plain - empty:
            sides.update(
                {
                    (year, ratio.pk, area): pair
                    for (year, area), pair in _paired_sides(ratio, level, window).items()
                    if year not in plain | empty
                }
            )
    return YearTotals(totals, sides, returns, samples > 0)


def _year_of(path: str, years: Sequence[int]) -> Case:
    """The year of the month at `path` if one of `years`, else NULL: a CASE on comparisons
    of dates, which PostgreSQL evaluates faster than it truncates or extracts the year of
    2.65 million of them."""
    return Case(
        *[When(_in_year(year, path), then=Value(year)) for year in years],
        output_field=IntegerField(),
    )


def _in_year(year: int, path: str = "monthly_return__period") -> Q:
    return Q(
        **{f"{path}__gte": datetime.date(year, 1, 1), f"{path}__lte": datetime.date(year, 12, 1)}
    )


def _counted_returns(window, years) -> tuple[dict[int, int], int]:
    """Year → the counted returns in the window (and township), and how many of them are
    sample returns: one query. (Counted here rather than value by value: a fifth of the
    values' pass.)"""
    counted = MonthlyReturn.objects.filter(
        status__in=window["statuses"], period__gte=window["first"], period__lte=window["last"]
    )
    if window["township_id"] is not None:
        counted = counted.filter(community__township_id=window["township_id"])
    found = counted.aggregate(
        samples=Count("pk", filter=Q(is_sample=True)),
        **{str(year): Count("pk", filter=_in_year(year, "period")) for year in years},
    )
    return {year: found[str(year)] for year in years}, found["samples"]


def _latest_returns(window, year: int):
    """The ids of each community's latest counted return of `year`: no later counted return
    of the community in the year (NOT EXISTS, an anti-join of the returns on the community,
    as area_sums' on the values but on a twentieth of the rows). A year at a time, so that
    the anti-join's key is the community alone, not a year worked out of every month."""
    in_year = {
        "status__in": window["statuses"],
        "period__gte": datetime.date(year, 1, 1),
        "period__lte": datetime.date(year, 12, 1),
    }
    later = MonthlyReturn.objects.filter(
        community_id=OuterRef("community_id"), period__gt=OuterRef("period"), **in_year
    )
    latest = MonthlyReturn.objects.filter(**in_year)
    if window["township_id"] is not None:
        latest = latest.filter(community__township_id=window["township_id"])
    return latest.filter(~Exists(later)).values("pk")


def _paired_sides(ratio, level, window) -> dict[tuple[int, int | None], tuple]:
    """(year, area id) → the ratio's (numerator, denominator) totals, each over the counted
    returns holding both figures (ratio_table's rule): two queries."""
    sides = {}
    for indicator, other in (
        (ratio.numerator, ratio.denominator),
        (ratio.denominator, ratio.numerator),
    ):
        found, _sample = area_sums(
            indicator=indicator,
            paired_with=other,
            stock=indicator.is_stock,
            grain=Grain.YEAR,
            level=level,
            **window,
        )
        sides[indicator.pk] = {
            (bucket.year, area): total for (bucket, area), total in found.items()
        }
    numerators, denominators = sides[ratio.numerator_id], sides[ratio.denominator_id]
    return {
        place: (numerators.get(place), denominators.get(place))
        for place in numerators.keys() | denominators.keys()
    }
