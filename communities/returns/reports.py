"""Reports on monthly returns, each in a fixed number of queries whatever the data size.

Completeness: which community has reported which month, with what status; reporting and
on-time rates per township and for the county; the returns that are overdue.

Aggregates: one indicator summed per area (county, township or community) and per month,
quarter or year, in the database.
"""

import datetime
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal

from django.db.models import Count, DateField, Exists, OuterRef, Q, Sum
from django.db.models.functions import TruncMonth, TruncQuarter, TruncYear
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from chunan_community.charts import format_number
from chunan_community.figures import Area, Percent
from chunan_community.months import add_months, months_between
from communities.access import access_for
from communities.models import Community, MonthlyReturn, ReturnStatus, ReturnValue, Township
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


def completeness_communities(user, township=None):
    """Active communities in the user's scope (optionally one township), in grid order."""
    queryset = Community.objects.visible_to(user).public()
    if township is not None:
        queryset = queryset.filter(township=township)
    return queryset.order_by("township__sort_order", "township__code", "code")


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


def counted_values(*, user, indicator, statuses, first, last, township_id=None):
    """The indicator's figures the aggregates count: within the user's scope (and the
    township, if given), in returns of `statuses`, from `first` to `last`."""
    values = ReturnValue.objects.filter(
        access_for(user).q("monthly_return__community"),
        indicator=indicator,
        value__isnull=False,
        monthly_return__status__in=list(statuses),
        monthly_return__period__gte=first,
        monthly_return__period__lte=last,
    )
    if township_id is not None:
        values = values.filter(monthly_return__community__township_id=township_id)
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
) -> tuple[dict[tuple[datetime.date | None, int | None], Decimal], bool]:
    """(bucket, area id) → the indicator's total, summed in the database in one query; and
    whether any sample return (示例数据) is among those counted.

    `grain` None makes one bucket of the whole range (key None); level TOTAL has area None.
    A flow is summed over the months of the bucket. A stock takes, for each community, its
    latest counted month within the bucket (DHIS2's "last value"), then sums communities;
    per month both are the same plain sum.
    """
    values = counted_values(
        user=user,
        indicator=indicator,
        statuses=statuses,
        first=first,
        last=last,
        township_id=township_id,
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
        rows = rows.filter(~Exists(later))
    sums = {"total": Sum("value"), "samples": Count("pk", filter=Q(monthly_return__is_sample=True))}
    area_path = AREA_PATHS[level]
    group = [name for name in ("bucket" if bucket is not None else None, area_path) if name]
    if not group:
        found = rows.aggregate(**sums)
        if found["total"] is None:
            return {}, False
        return {(None, None): found["total"]}, found["samples"] > 0
    found = list(rows.order_by().values(*group).annotate(**sums))
    return (
        {(row.get("bucket"), row.get(area_path)): row["total"] for row in found},
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

    @property
    def partial(self) -> bool:
        return self.reported < self.expected

    @property
    def display(self) -> list[str]:
        return [format_number(value) for value in self.values]

    @property
    def display_total(self) -> str:
        return format_number(self.total)


@dataclass
class AggregateTable:
    indicator: object
    stock: bool
    grain: str
    first: datetime.date
    last: datetime.date
    areas: list[Area]
    rows: list[AggregateRow]
    footer: AggregateRow
    has_sample: bool = False

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
    *, user, indicator, statuses, first, last, township_id=None
) -> tuple[dict[datetime.date, int], dict[datetime.date, int]]:
    """Per month from `first` to `last`: (communities whose counted return has a figure for
    the indicator, active communities that owe that month's return). Two queries, each a
    row per month or per founding date, whatever the number of communities.
    """
    values = counted_values(
        user=user,
        indicator=indicator,
        statuses=statuses,
        first=first,
        last=last,
        township_id=township_id,
    )
    communities = Community.objects.visible_to(user).public()
    if township_id is not None:
        communities = communities.filter(township_id=township_id)
    reported = dict(
        values.order_by()
        .values_list("monthly_return__period")
        .annotate(count=Count("monthly_return__community_id", distinct=True))
    )
    founded = list(
        communities.order_by().values_list("founded_year", "founded_on").annotate(count=Count("pk"))
    )
    expected = {
        month: sum(count for year, on, count in founded if founding_month(year, on) <= month)
        for month in months_between(first, last)
    }
    return reported, expected


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

    Three queries at most: the areas, the sums per period, the sums over the whole range.
    `stock` defaults to the indicator's own aggregation.
    """
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
