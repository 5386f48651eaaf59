"""Reports on the service work, each built in a fixed number of queries whatever the data size.

Coverage of the five service networks, outlets per 1,000 residents, volunteer hours per month
and time-bank balances. Every figure is summed in the database, one grouped query per kind of
record; rows and totals are then laid out in Python from those per-community sums, whose
number grows with the communities in scope, never with the volunteers or the records.

The reports show figures only, never a person: township staff, who may not open volunteers'
records (`Access.sees_personal_data`), see these sums for their township's communities.
That is why the volunteer queries here filter by the user's scope (`Access.q`) instead of
`Volunteer.objects.visible_to(user)`, which hides personal records from township staff.

Communities counted: the active ones in the user's scope (a merged or dissolved community
keeps its records, but no longer reports).
"""

import datetime
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal

from django.db.models import (
    Case,
    Count,
    DateField,
    Exists,
    IntegerField,
    Max,
    OuterRef,
    Q,
    Sum,
    Value,
    When,
)
from django.db.models.functions import TruncMonth
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from chunan_community.charts import format_number
from chunan_community.figures import Area, Percent, cell_text
from chunan_community.months import add_months, months_between
from communities.models import Community, Township
from services.domain import time_bank_floor
from services.models import (
    SUM_HOURS,
    ServiceNetwork,
    ServiceOutlet,
    ServiceRecord,
    TimeBankEntry,
    Volunteer,
)

ZERO = Decimal(0)
# What the hours of the dashboard and the hours report count, said on both: not the figure
# the clerks report in the monthly returns (indicator volunteer_hours), which the returns'
# aggregates sum and which may differ (communities.returns.reports.REPORTED_BASIS).
HOURS_RECORDED_BASIS = gettext_lazy(
    "Counts the hours of the sessions of volunteer service recorded in the portal (deposited "
    "in the time bank), by the day of service. The “volunteer service hours” the clerks report "
    "in the monthly returns are summed in the returns' aggregates and may differ."
)
RATE_PLACES = Decimal("0.01")
PER_RESIDENTS = 1000

# ---------------------------------------------------------------------------- cell values


@dataclass(frozen=True)
class NetworkState:
    """One community's network: established or not, and since when where the date is known."""

    established: bool
    since: datetime.date | None = None

    def __str__(self) -> str:
        if not self.established:
            return "✗"
        return f"✓ {self.since:%Y-%m-%d}" if self.since else "✓"


# ---------------------------------------------------------------------------- tables


@dataclass(frozen=True)
class Column:
    label: str
    numeric: bool = True


@dataclass
class Row:
    """One line of a table: its cells in column order, the first being its label."""

    cells: list
    code: str = ""  # a community's row links to its services pages
    sample: bool = False
    township_id: int | None = None


@dataclass
class Table:
    """What a report shows, prints and exports: the same columns, rows and totals.

    `rows` holds every row (the page shows one page of them); `footer` the totals.
    """

    slug: str
    caption: str
    columns: list[Column]
    rows: list[Row]
    footer: list[Row] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    has_sample: bool = False
    first: datetime.date | None = None
    last: datetime.date | None = None
    areas: list[str] = field(default_factory=list)  # the hours table's columns of figures

    def display(self, rows: Iterable[Row]) -> list[dict]:
        """The rows with each cell's text and alignment, for the template."""
        return [
            {
                "row": row,
                "label": cell_text(row.cells[0]),
                "cells": [
                    {"text": cell_text(value), "numeric": column.numeric}
                    for value, column in zip(row.cells[1:], self.columns[1:], strict=True)
                ],
            }
            for row in rows
        ]

    def export_rows(self) -> list[list]:
        """The header, every row and the totals: raw values, formatted by the exporter."""
        return [
            [column.label for column in self.columns],
            *[row.cells for row in self.rows],
            *[row.cells for row in self.footer],
        ]


# ---------------------------------------------------------------------------- scope


def communities_in_scope(user, township: Township | None = None):
    """The active communities this user keeps (optionally of one township), in table order."""
    queryset = Community.objects.visible_to(user).public()
    if township is not None:
        queryset = queryset.filter(township=township)
    return queryset.select_related("township").order_by(
        "township__sort_order", "township__code", "code"
    )


def _by_township(rows: Sequence[Row]) -> dict[int, list[Row]]:
    grouped: dict[int, list[Row]] = {}
    for row in rows:
        grouped.setdefault(row.township_id, []).append(row)
    return grouped


def _total_areas(rows: Sequence[Row], townships: dict, *, county: bool, with_totals: bool):
    """(area label, rows) for each total line: each township shown, then all of them.

    A clerk keeps one community: a "township total" of it alone would be mistaken for the
    township's, so `with_totals` is False for them and there are no total lines.
    """
    if not with_totals or not rows:
        return []
    grouped = _by_township(rows)
    areas = [(townships[key].local_name, members) for key, members in grouped.items()]
    if len(grouped) > 1:
        areas.append((_("County total") if county else _("Total"), list(rows)))
    return areas


def _community_cells(community) -> list:
    return [community.local_name, community.township.local_name]


def _community_row(community, values: list, *, sample: bool = False) -> Row:
    return Row(
        cells=[*_community_cells(community), *values],
        code=community.code,
        sample=sample,
        township_id=community.township_id,
    )


def _label_columns() -> list[Column]:
    return [Column(_("Community"), numeric=False), Column(_("Township"), numeric=False)]


# ---------------------------------------------------------------------------- 1. coverage

NETWORKS = list(ServiceNetwork.Kind)


def coverage_table(user, *, township=None, with_totals=True, county=False) -> Table:
    """Per community, each of the five networks: established (since when) or not.

    One query: the communities, each annotated with a count and a date per network (a
    community has at most one row per network, so the count is 0 or 1). The totals count
    the communities that have each network, and the share of the communities shown.
    """
    annotations = {}
    for kind in NETWORKS:
        established = Q(service_networks__kind=kind, service_networks__established=True)
        annotations[f"has_{kind}"] = Count("service_networks", filter=established)
        annotations[f"since_{kind}"] = Max("service_networks__established_on", filter=established)
    communities = list(communities_in_scope(user, township).annotate(**annotations))

    rows, townships = [], {}
    for community in communities:
        townships[community.township_id] = community.township
        states = [
            NetworkState(
                bool(getattr(community, f"has_{kind}")), getattr(community, f"since_{kind}")
            )
            for kind in NETWORKS
        ]
        established = sum(state.established for state in states)
        rows.append(_community_row(community, [*states, established]))

    footer = []
    for label, members in _total_areas(rows, townships, county=county, with_totals=with_totals):
        counts = [
            sum(row.cells[2 + index].established for row in members)
            for index in range(len(NETWORKS))
        ]
        footer.append(
            Row(
                [
                    _("Communities with the network (of %(count)s)") % {"count": len(members)},
                    label,
                    *counts,
                    sum(counts),
                ]
            )
        )
        footer.append(
            Row(
                [
                    _("Coverage"),
                    label,
                    *[Percent(count, len(members)) for count in counts],
                    Percent(sum(counts), len(NETWORKS) * len(members)),
                ]
            )
        )
    return Table(
        slug="coverage",
        caption=_("The five service networks per community"),
        columns=[
            *_label_columns(),
            *[Column(kind.label, numeric=False) for kind in NETWORKS],
            Column(_("Networks established (of 5)")),
        ],
        rows=rows,
        footer=footer,
        notes=[
            _(
                "✓: established, with the date where it is known; ✗: not established "
                "(or not recorded)."
            ),
            _(
                "Coverage: the share of the communities shown that have the network; in the "
                "last column, the share of all five networks in all those communities."
            ),
        ],
    )


# ---------------------------------------------------------------------------- 2. outlets

OUTLET_KINDS = list(ServiceOutlet.Kind)


def per_thousand(outlets: int, residents: int | None) -> Decimal | None:
    """Outlets per 1,000 residents to two decimals; None without a residents figure."""
    if not residents:
        return None
    rate = Decimal(outlets) * PER_RESIDENTS / Decimal(residents)
    return rate.quantize(RATE_PLACES, rounding=ROUND_HALF_UP)


def outlets_table(user, *, township=None, with_totals=True, county=False) -> Table:
    """Per community, outlets by kind and in all, residents, and outlets per 1,000 residents.

    Residents come from the community register (`Community.residents`, the figure on the
    community's profile and the public home page), kept by county staff; 0 means no figure.
    One query: the communities, each annotated with its outlet counts. A total's rate takes
    only the communities with a residents figure, outlets and residents alike.
    """
    annotations = {
        f"outlets_{kind}": Count("outlets", filter=Q(outlets__kind=kind)) for kind in OUTLET_KINDS
    }
    annotations["outlet_total"] = Count("outlets")
    annotations["sample_outlets"] = Count("outlets", filter=Q(outlets__is_sample=True))
    communities = list(communities_in_scope(user, township).annotate(**annotations))

    rows, townships, has_sample = [], {}, False
    for community in communities:
        townships[community.township_id] = community.township
        residents = community.residents or None
        sample = bool(community.sample_outlets) or bool(residents and community.figures_are_sample)
        has_sample = has_sample or sample
        counts = [getattr(community, f"outlets_{kind}") for kind in OUTLET_KINDS]
        total = community.outlet_total
        rows.append(
            _community_row(
                community,
                [*counts, total, residents, per_thousand(total, residents)],
                sample=sample,
            )
        )

    kinds = len(OUTLET_KINDS)
    footer = []
    for label, members in _total_areas(rows, townships, county=county, with_totals=with_totals):
        counts = [sum(row.cells[2 + index] for row in members) for index in range(kinds + 1)]
        with_figure = [row for row in members if row.cells[2 + kinds + 1]]
        residents = sum(row.cells[2 + kinds + 1] for row in with_figure) or None
        rated_outlets = sum(row.cells[2 + kinds] for row in with_figure)
        footer.append(
            Row(
                [
                    _("Total"),
                    label,
                    *counts,
                    residents,
                    per_thousand(rated_outlets, residents),
                ]
            )
        )
    return Table(
        slug="outlets",
        caption=_("Service outlets per 1,000 residents"),
        columns=[
            *_label_columns(),
            *[Column(kind.label) for kind in OUTLET_KINDS],
            Column(_("Outlets")),
            Column(_("Residents")),
            Column(_("Outlets per 1,000 residents")),
        ],
        rows=rows,
        footer=footer,
        notes=[
            _(
                "Residents: the figure in the community register, as on each community's "
                "profile (not the monthly returns)."
            ),
            _(
                "— : no residents figure is recorded for the community, so no rate. A total's "
                "rate counts only the communities with a residents figure."
            ),
        ],
        has_sample=has_sample,
    )


# ---------------------------------------------------------------------------- 3. hours


def hours_areas(user, *, township=None, by_township=False) -> list[Area]:
    """The columns: the townships with active communities in scope, or the communities."""
    communities = communities_in_scope(user, township)
    if by_township:
        townships = Township.objects.filter(
            pk__in=communities.order_by().values("township_id")
        ).order_by("sort_order", "code")
        return [Area(t.pk, t.local_name) for t in townships]
    return [Area(c.pk, c.local_name) for c in communities]


def counted_records(user, *, first: datetime.date, last: datetime.date, township=None):
    """The service records whose hours the reports count: of the volunteers of the active
    communities in scope (and township), served from `first` to the end of `last`."""
    return ServiceRecord.objects.filter(
        volunteer__community__in=communities_in_scope(user, township).order_by().values("pk"),
        served_on__gte=first,
        served_on__lt=add_months(last, 1),
    )


def hours_sums(
    user, *, first: datetime.date, last: datetime.date, township=None, by_township=False
) -> tuple[dict[tuple[datetime.date, int], Decimal], bool]:
    """(month, area id) → hours of service recorded, summed in one query; and whether any
    sample volunteer is among them. Months run from `first` to the end of `last`."""
    area = "volunteer__community__township_id" if by_township else "volunteer__community_id"
    records = (
        counted_records(user, first=first, last=last, township=township)
        .annotate(month=TruncMonth("served_on", output_field=DateField()))
        .order_by()
        .values("month", area)
        .annotate(
            total=Sum("hours", output_field=SUM_HOURS),
            samples=Count("pk", filter=Q(volunteer__is_sample=True)),
        )
    )
    sums, has_sample = {}, False
    for row in records:
        sums[row["month"], row[area]] = Decimal(row["total"])
        has_sample = has_sample or row["samples"] > 0
    return sums, has_sample


def hours_by_year(
    user, *, years: Sequence[int], township=None, by_township=False
) -> tuple[dict[tuple[int, int], Decimal], bool]:
    """(year, area id) → hours of service recorded in each of `years` (the records of
    hours_sums), summed in one query; and whether any sample volunteer is among them.

    The year is a CASE on the date rather than a month truncated and added up: the
    truncation of every record was half the time of the yearly report's hours at 10,000
    communities."""
    area = "volunteer__community__township_id" if by_township else "volunteer__community_id"
    first, last = datetime.date(min(years), 1, 1), datetime.date(max(years), 12, 1)
    year = Case(
        *[
            When(
                served_on__gte=datetime.date(each, 1, 1),
                served_on__lt=datetime.date(each + 1, 1, 1),
                then=Value(each),
            )
            for each in years
        ],
        output_field=IntegerField(),
    )
    records = (
        counted_records(user, first=first, last=last, township=township)
        .annotate(year=year)
        .order_by()
        .values("year", area)
        .annotate(
            total=Sum("hours", output_field=SUM_HOURS),
            samples=Count("pk", filter=Q(volunteer__is_sample=True)),
        )
    )
    sums, has_sample = {}, False
    for row in records:
        if row["year"] is not None:  # a year between two of `years`
            sums[row["year"], row[area]] = Decimal(row["total"])
            has_sample = has_sample or row["samples"] > 0
    return sums, has_sample


def hours_table(
    user, *, first: datetime.date, last: datetime.date, township=None, by_township=False
) -> Table:
    """Months by areas: hours of volunteer service, with a total column (several areas)
    and the whole range's total. A month without records counts 0 hours. Two queries."""
    areas = hours_areas(user, township=township, by_township=by_township)
    sums, has_sample = hours_sums(
        user, first=first, last=last, township=township, by_township=by_township
    )
    with_total = len(areas) > 1
    rows = []
    for month in months_between(first, last):
        values = [sums.get((month, area.key), ZERO) for area in areas]
        cells = [f"{month:%Y-%m}", *values]
        if with_total:
            cells.append(sum(values, ZERO))
        rows.append(Row(cells))
    totals = [sum((row.cells[1 + i] for row in rows), ZERO) for i in range(len(areas))]
    footer_cells = [_("Whole range: total"), *totals]
    if with_total:
        footer_cells.append(sum(totals, ZERO))
    columns = [Column(_("Month"), numeric=False), *[Column(area.label) for area in areas]]
    if with_total:
        columns.append(Column(_("Total")))
    return Table(
        slug="hours",
        caption=_("Hours of volunteer service recorded per month"),
        columns=columns,
        rows=rows,
        footer=[Row(footer_cells)],
        notes=[
            _(
                "Hours of the service records entered for volunteers of the communities "
                "shown, by the month of service."
            ),
            str(HOURS_RECORDED_BASIS),
        ],
        has_sample=has_sample,
        first=first,
        last=last,
        areas=[area.label for area in areas],
    )


# ---------------------------------------------------------------------------- 4. balances


def _sum_lines(lines: str, kind: str):
    return Sum(f"{lines}__hours", filter=Q(**{f"{lines}__kind": kind}), output_field=SUM_HOURS)


def balances_table(user, *, township=None, with_totals=True, county=False) -> Table:
    """Per community: volunteers with a time-bank account (at least one ledger line), hours
    deposited, drawn and adjusted, the balance, and the accounts below and at the floor.

    Figures only, never a name. Two queries: the communities annotated with their ledger
    sums, and the accounts below or at the floor per community (each volunteer's balance
    a subquery, counted in the database).
    """
    floor = time_bank_floor()
    lines = "volunteers__time_bank_entries"
    communities = list(
        communities_in_scope(user, township).annotate(
            deposited=_sum_lines(lines, "deposit"),
            drawn=_sum_lines(lines, "draw"),
            adjusted=_sum_lines(lines, "adjustment"),
            accounts=Count("volunteers", filter=Q(**{f"{lines}__isnull": False}), distinct=True),
            sample_accounts=Count(
                "volunteers",
                filter=Q(**{f"{lines}__isnull": False}, volunteers__is_sample=True),
                distinct=True,
            ),
        )
    )
    floors = {
        row["community_id"]: row
        for row in Volunteer.objects.filter(
            community__in=communities_in_scope(user, township).order_by().values("pk")
        )
        .filter(Exists(TimeBankEntry.objects.filter(volunteer=OuterRef("pk"))))
        .with_balance()
        .order_by()
        .values("community_id")
        .annotate(
            below=Count("pk", filter=Q(balance__lt=floor)),
            at=Count("pk", filter=Q(balance=floor)),
        )
    }

    rows, townships, has_sample = [], {}, False
    for community in communities:
        townships[community.township_id] = community.township
        counted = floors.get(community.pk, {})
        sample = community.sample_accounts > 0
        has_sample = has_sample or sample
        deposited = Decimal(community.deposited or 0)
        drawn = -Decimal(community.drawn or 0)
        adjusted = Decimal(community.adjusted or 0)
        rows.append(
            _community_row(
                community,
                [
                    community.accounts,
                    deposited,
                    drawn,
                    adjusted,
                    # Every line is one of the three kinds (services_timebank_sign_matches_kind).
                    deposited - drawn + adjusted,
                    counted.get("below", 0),
                    counted.get("at", 0),
                ],
                sample=sample,
            )
        )

    footer = []
    for label, members in _total_areas(rows, townships, county=county, with_totals=with_totals):
        sums = [sum((row.cells[i] for row in members), 0) for i in range(2, 9)]
        footer.append(Row([_("Total"), label, *sums]))
    floor_text = format_number(floor)
    return Table(
        slug="balances",
        caption=_("Time-bank balances per community"),
        columns=[
            *_label_columns(),
            Column(_("Volunteers with an account")),
            Column(_("Hours deposited")),
            Column(_("Hours drawn")),
            Column(_("Adjustments (hours)")),
            Column(_("Balance (hours)")),
            Column(_("Accounts below the floor")),
            Column(_("Accounts at the floor")),
        ],
        rows=rows,
        footer=footer,
        notes=[
            _(
                "An account: a volunteer with at least one line in the time bank. Balance = "
                "deposited - drawn + adjustments."
            ),
            _("The floor below which no draw may take a balance: %(floor)s hours.")
            % {"floor": floor_text},
            _("Figures only: the volunteers' own accounts are on each community's pages."),
        ],
        has_sample=has_sample,
    )
