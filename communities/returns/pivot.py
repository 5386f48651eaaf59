"""The cross-indicator table (透视表), as DHIS2's pivot table: several indicators by area and
period, each period beside the same period a year earlier and the change.

Rows are an indicator (or a derived indicator) by area, and the areas' total; columns are
the periods. Every figure is added up as the aggregates add it up, by the functions of
`communities.returns.reports`: an indicator by its own rule (a flow summed over the
period's months, a stock each community's latest month, then summed over the communities),
a derived indicator (Ratio) as the ratio of its two sides' sums over the returns holding
both figures. The returns counted of those owed (reporting_counts) mark each indicator's
partial periods.

Only whole periods are compared: a quarter or a year still running would set some months
against a whole period a year earlier (the form leaves it out).
"""

import datetime
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from django.utils.translation import gettext as _

from chunan_community.charts import format_number
from chunan_community.figures import Area
from chunan_community.months import add_months, months_between
from communities.models import Indicator, Ratio
from communities.returns.reports import (
    Counted,
    Grain,
    Level,
    _ratios,
    _row_total,
    aggregate_areas,
    area_sums,
    bucket_label,
    buckets,
    ratio_formula,
    reporting_counts,
    widen,
)

# The change on the year before, in per cent of the year before's figure: one decimal.
PERCENT_PLACES = Decimal("0.1")


@dataclass(frozen=True)
class Period:
    """A column of the table: a month, quarter or year (its first month `start`), with the
    months it holds, and the same period a year earlier."""

    start: datetime.date
    label: str
    months: tuple[datetime.date, ...]
    previous_label: str

    @property
    def previous_months(self) -> tuple[datetime.date, ...]:
        return tuple(add_months(month, -12) for month in self.months)


def pivot_periods(first: datetime.date, last: datetime.date, grain: str) -> list[Period]:
    """The periods from `first` to `last` (whole months, quarters or years)."""
    periods = []
    for start in buckets(first, last, grain):
        end = widen(start, start, grain)[1]
        periods.append(
            Period(
                start,
                bucket_label(start, grain),
                tuple(months_between(start, end)),
                bucket_label(add_months(start, -12), grain),
            )
        )
    return periods


@dataclass(frozen=True)
class Coverage:
    """The monthly returns with a figure counted, of those the active communities owe
    (community-months): a period with fewer is partial, its figures below the real ones."""

    reported: int = 0
    expected: int = 0

    @property
    def partial(self) -> bool:
        return self.reported < self.expected


@dataclass(frozen=True)
class Cell:
    """A figure, the same period's a year earlier, and the change between them; each
    partial when its period lacks returns (its indicator's Coverage)."""

    value: Decimal | None
    previous: Decimal | None = None
    partial: bool = False
    previous_partial: bool = False

    @property
    def change(self) -> Decimal | None:
        if self.value is None or self.previous is None:
            return None
        return self.value - self.previous

    @property
    def change_percent(self) -> Decimal | None:
        """The change in per cent of the year before, one decimal; none from nothing."""
        change = self.change
        if change is None or not self.previous:
            return None
        return (change * 100 / abs(self.previous)).quantize(PERCENT_PLACES, ROUND_HALF_UP)

    @property
    def display(self) -> str:
        return format_number(self.value)

    @property
    def display_previous(self) -> str:
        return format_number(self.previous)

    @property
    def display_change(self) -> str:
        return signed(self.change)

    @property
    def display_percent(self) -> str:
        percent = self.change_percent
        if percent is None:
            return "—"
        return f"{'+' if percent > 0 else ''}{percent:,.1f}%"


def signed(value: Decimal | None) -> str:
    """+12, -3, 0, — for none: a change reads as one."""
    text = format_number(value)
    return f"+{text}" if value is not None and value > 0 else text


@dataclass
class PivotRow:
    area: Area
    cells: list[Cell]
    is_total: bool = False


@dataclass
class PivotBlock:
    """One indicator's rows (an area each, then their total) and, per period, its returns
    counted now and a year earlier."""

    measure: Indicator | Ratio
    rows: list[PivotRow]
    coverage: list[tuple[Coverage, Coverage]]

    @property
    def is_ratio(self) -> bool:
        return isinstance(self.measure, Ratio)

    @property
    def has_partial(self) -> bool:
        return any(now.partial for now, _before in self.coverage)

    @property
    def formula(self) -> str:
        """How a derived indicator is worked out (reports.ratio_formula); "" for another."""
        return ratio_formula(self.measure) if self.is_ratio else ""


@dataclass
class PivotTable:
    periods: list[Period]
    areas: list[Area]
    blocks: list[PivotBlock]
    grain: str
    first: datetime.date
    last: datetime.date
    compare: bool
    has_sample: bool = False

    @property
    def has_partial(self) -> bool:
        return any(block.has_partial for block in self.blocks)

    @property
    def period_span(self) -> int:
        """Columns per period: the figure, and a year earlier, the change and in per cent."""
        return 4 if self.compare else 1

    @property
    def column_count(self) -> int:
        return 1 + len(self.periods) * self.period_span

    @property
    def has_data(self) -> bool:
        return any(
            cell.value is not None
            for block in self.blocks
            for row in block.rows
            for cell in row.cells
        )


def _indicator_sums(indicators: list[Indicator], *, grain: str, **common):
    """(indicator id, period start, area id) → total for every indicator: the flows in one
    query and the stocks in another; one query in all per month, where the two rules agree."""
    if grain == Grain.MONTH:
        kinds = [(indicators, False)]
    else:
        kinds = [
            ([i for i in indicators if not i.is_stock], False),
            ([i for i in indicators if i.is_stock], True),
        ]
    sums, has_sample = {}, False
    for chosen, stock in kinds:
        if chosen:
            found, sample = area_sums(
                indicator=chosen, stock=stock, grain=grain, per_indicator=True, **common
            )
            sums.update(found)
            has_sample = has_sample or sample
    return sums, has_sample


def pivot_table(
    *,
    user,
    measures: list[Indicator | Ratio],
    level: str,
    grain: str,
    first: datetime.date,
    last: datetime.date,
    counted: str,
    township_id: int | None = None,
    compare: bool = True,
    total_label: str = "",
) -> PivotTable:
    """The measures (indicators and derived indicators, in the order given) by area and by
    period from `first` to `last`, with the same periods a year earlier if `compare`.

    Queries, whatever the number of communities, areas and periods: the areas (none for a
    total), the indicators' sums (flows and stocks apart unless per month), their returns
    counted and owed (two); and four for each derived indicator (each side's sums over the
    returns holding both figures, their returns counted and owed), as the aggregates count
    them. A year earlier comes in the same queries: they read from `first` a year back, the
    months between the two ranges falling into periods not shown (every period is whole, so
    none of them reaches into a period shown).
    """
    areas = aggregate_areas(user, level, township_id, total_label or _("Total"))
    periods = pivot_periods(first, last, grain)
    township_id = township_id if level == Level.COMMUNITY else None
    statuses = Counted.STATUSES[counted]
    since = add_months(first, -12) if compare else first
    window = {"user": user, "statuses": statuses, "first": since, "last": last}
    common = {**window, "level": level, "township_id": township_id}
    indicators = [m for m in measures if isinstance(m, Indicator)]
    sums, has_sample = (
        _indicator_sums(indicators, grain=grain, **common) if indicators else ({}, False)
    )
    reported, expected = {}, {}
    if indicators:
        reported, expected = reporting_counts(
            indicator=indicators, per_indicator=True, township_id=township_id, **window
        )

    blocks = []
    for measure in measures:
        if isinstance(measure, Ratio):
            block, sample = _ratio_block(measure, areas, periods, compare, grain, common, window)
            has_sample = has_sample or sample
        else:
            block = _indicator_block(measure, areas, periods, compare, sums, reported, expected)
        blocks.append(block)
    return PivotTable(periods, areas, blocks, grain, first, last, compare, has_sample)


def _indicator_block(indicator, areas, periods, compare, sums, reported, expected) -> PivotBlock:
    counts = {month: count for (pk, month), count in reported.items() if pk == indicator.pk}
    coverage = _coverages(periods, compare, counts, expected)

    def figure(start, area):
        return sums.get((indicator.pk, start, area.key))

    def figures(area):
        return [
            (figure(p.start, area), figure(add_months(p.start, -12), area) if compare else None)
            for p in periods
        ]

    rows = [(area, figures(area)) for area in areas]
    if len(areas) > 1:
        totals = [
            (
                _row_total([pairs[n][0] for _area, pairs in rows]),
                _row_total([pairs[n][1] for _area, pairs in rows]),
            )
            for n in range(len(periods))
        ]
        rows.append((None, totals))
    return PivotBlock(indicator, _rows(rows, coverage), coverage)


def _ratio_block(ratio, areas, periods, compare, grain, common, window):
    """A derived indicator's rows: in each cell the ratio of its sides' sums for the area,
    the total the ratio of the sums over the areas (reports._ratios), never a mean. Each
    side is summed over the returns holding both figures, as the aggregates do."""
    sides, has_sample = {}, False
    for side, (indicator, other) in {
        "numerator": (ratio.numerator, ratio.denominator),
        "denominator": (ratio.denominator, ratio.numerator),
    }.items():
        sides[side], sample = area_sums(
            indicator=indicator, paired_with=other, stock=indicator.is_stock, grain=grain, **common
        )
        has_sample = has_sample or sample
    reported, expected = reporting_counts(
        indicator=ratio.numerator,
        paired_with=ratio.denominator,
        township_id=common["township_id"],
        **window,
    )
    coverage = _coverages(periods, compare, reported, expected)

    def ratios(start):
        """(each area's ratio, the total's) for the period starting on `start`."""
        values, total, _numerator, _denominator = _ratios(
            ratio,
            [sides["numerator"].get((start, area.key)) for area in areas],
            [sides["denominator"].get((start, area.key)) for area in areas],
        )
        return values, total

    nothing = ([None] * len(areas), None)
    now = [ratios(p.start) for p in periods]
    before = [ratios(add_months(p.start, -12)) if compare else nothing for p in periods]
    rows = [
        (area, [(now[n][0][i], before[n][0][i]) for n in range(len(periods))])
        for i, area in enumerate(areas)
    ]
    if len(areas) > 1:
        rows.append((None, [(now[n][1], before[n][1]) for n in range(len(periods))]))
    return PivotBlock(ratio, _rows(rows, coverage), coverage), has_sample


def _rows(rows, coverage) -> list[PivotRow]:
    """PivotRows from (area, [(figure, a year earlier's figure) per period]), the area None
    for the areas' total; each cell marked partial where its period lacks returns."""
    return [
        PivotRow(
            area or Area(None, _("Total")),
            [
                Cell(value, previous, now.partial, before.partial)
                for (value, previous), (now, before) in zip(pairs, coverage, strict=True)
            ],
            is_total=area is None,
        )
        for area, pairs in rows
    ]


def _coverages(periods, compare, reported: dict, expected: dict):
    """Per period: (its returns counted and owed, the same of a year earlier); `reported`
    and `expected` by month."""

    def coverage(months) -> Coverage:
        return Coverage(
            sum(reported.get(month, 0) for month in months),
            sum(expected.get(month, 0) for month in months),
        )

    return [
        (coverage(p.months), coverage(p.previous_months) if compare else Coverage())
        for p in periods
    ]
