"""The timeliness circular (通报): how the monthly returns of a month or a quarter came in,
as the county's civil-affairs bureau circulates it to the townships: the county's reporting
and on-time rates, the townships ranked, the overdue and the late returns named, and what is
required next. Built as a document (chunan_community.documents), which the reports pages
show, print, export and publish.

Its figures are the completeness grid's (communities.returns.reports) for every active
community of the county, counted by the very same functions, so the circular and the grid
never disagree. Four queries whatever the number of communities: the communities (ids,
township, founding), their returns of the period, their names, the townships.
"""

import datetime
from dataclasses import dataclass
from fractions import Fraction
from typing import NamedTuple

from django.conf import settings
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext

from chunan_community.charts import format_number
from chunan_community.documents import Document, Section, Table
from chunan_community.figures import Percent
from chunan_community.months import add_months, month_name, month_start, months_between
from communities.models import Township
from communities.returns.checks import due_on
from communities.returns.models import REPORTED
from communities.returns.reports import (
    CELL_STATUSES,
    Grain,
    Rates,
    bucket_of,
    community_rows,
    completeness_rates,
    county_communities,
    overdue_returns,
    returns_in_window,
)

# ---------------------------------------------------------------------------- periods

# How far back the form offers a circular: two years of quarters and of months.
CIRCULAR_QUARTERS = 8
CIRCULAR_MONTHS = 24

QUARTER_NAMES = {
    1: gettext_lazy("%(year)s, first quarter"),
    2: gettext_lazy("%(year)s, second quarter"),
    3: gettext_lazy("%(year)s, third quarter"),
    4: gettext_lazy("%(year)s, fourth quarter"),
}


def is_closed(last_month: datetime.date, today: datetime.date) -> bool:
    """Is every return of a period ending with `last_month` due by now? Only then can the
    circular say who reported on time and who is overdue (the grid's rule: past due_on)."""
    return today > due_on(last_month)


def is_quarter(first_month: datetime.date, last_month: datetime.date) -> bool:
    return first_month.month % 3 == 1 and last_month == add_months(first_month, 2)


def period_label(first_month: datetime.date, last_month: datetime.date) -> str:
    """In running text, in the active language: 2026年7月, 2026年第三季度, or a range."""
    if first_month == last_month:
        return month_name(first_month)
    if is_quarter(first_month, last_month):
        return QUARTER_NAMES[(first_month.month - 1) // 3 + 1] % {"year": first_month.year}
    return _("%(first)s to %(last)s") % {
        "first": month_name(first_month),
        "last": month_name(last_month),
    }


class CircularPeriod(NamedTuple):
    """A month (first == last) or a quarter a circular may cover: `value` for a form's
    choice or a URL (2026-Q3, 2026-07), `label` in the active language."""

    value: str
    label: str
    first: datetime.date
    last: datetime.date


def circular_period(first_month: datetime.date, last_month: datetime.date) -> CircularPeriod:
    if first_month == last_month:
        value = f"{first_month:%Y-%m}"
    else:
        value = f"{first_month.year}-Q{(first_month.month - 1) // 3 + 1}"
    return CircularPeriod(value, period_label(first_month, last_month), first_month, last_month)


def quarter_period(month: datetime.date) -> CircularPeriod:
    first = bucket_of(month, Grain.QUARTER)
    return circular_period(first, add_months(first, 2))


def last_closed_month(today: datetime.date) -> datetime.date:
    month = month_start(today)
    while not is_closed(month, today):
        month = add_months(month, -1)
    return month


def last_closed_quarter(today: datetime.date) -> CircularPeriod:
    """The newest quarter whose last month's returns are due (the form's default)."""
    quarter = quarter_period(last_closed_month(today))
    if not is_closed(quarter.last, today):
        quarter = quarter_period(add_months(quarter.first, -3))
    return quarter


def circular_periods(today: datetime.date) -> list[CircularPeriod]:
    """The closed periods one may choose for a circular: the last CIRCULAR_QUARTERS
    quarters, newest first (the newest the default), then the last CIRCULAR_MONTHS months,
    newest first."""
    newest = last_closed_quarter(today).first
    quarters = [quarter_period(add_months(newest, -3 * n)) for n in range(CIRCULAR_QUARTERS)]
    newest = last_closed_month(today)
    months = [add_months(newest, -n) for n in range(CIRCULAR_MONTHS)]
    return quarters + [circular_period(month, month) for month in months]


# ---------------------------------------------------------------------------- figures


@dataclass
class TownshipLine:
    """A township's line of the ranking: its communities owing a return of the period and
    the rates of the completeness grid (`Rates`: reporting = reported / owed, on time =
    reported by the due date / reported)."""

    township_id: int | None
    name: str
    communities: int
    rates: Rates
    rank: int = 0

    @property
    def owed(self) -> int:
        return self.rates.reporting.of

    @property
    def reported(self) -> int:
        return self.rates.reporting.done

    @property
    def on_time(self) -> int:
        return self.rates.on_time.done

    @property
    def all_on_time(self) -> bool:
        """Every return owed came in by its due date."""
        return self.owed > 0 and self.on_time == self.owed

    def score(self) -> tuple[Fraction, Fraction]:
        """The ranking: the on-time rate, then the reporting rate, higher first (no rate
        ranks last). Exact shares, so two townships tie only when their shares are equal."""
        return (
            _share(self.rates.on_time),
            _share(self.rates.reporting),
        )


def _share(percent: Percent) -> Fraction:
    return Fraction(-1) if percent.fraction is None else percent.fraction


def rank_townships(lines: list[TownshipLine]) -> list[TownshipLine]:
    """Ranked by `score`, ties in township order sharing a rank (1, 1, 3)."""
    ranked = sorted(lines, key=TownshipLine.score, reverse=True)  # stable: ties keep order
    for n, line in enumerate(ranked):
        tied = n > 0 and line.score() == ranked[n - 1].score()
        line.rank = ranked[n - 1].rank if tied else n + 1
    return ranked


def owing_communities(rows, months, found) -> dict[int, int]:
    """township id → its communities that owe a return of `months`: founded by the last
    month, or with a return saved for one of them (the grid counts those too)."""
    counts: dict[int, int] = {}
    for row in rows:
        if row.founded <= months[-1] or any((row.pk, period) in found for period in months):
            counts[row.township_id] = counts.get(row.township_id, 0) + 1
    return counts


@dataclass(frozen=True)
class LateReturn:
    community_id: int
    period: datetime.date
    status: str


def late_returns(rows, months, found) -> list[LateReturn]:
    """Returns reported after their due date, in the communities' order, then by month."""
    return [
        LateReturn(row.pk, period, hit[0])
        for row in rows
        for period in months
        if (hit := found.get((row.pk, period))) and hit[0] in REPORTED and hit[1]
    ]


# ---------------------------------------------------------------------------- the circular


def timeliness_circular(
    *, first_month: datetime.date, last_month: datetime.date, today: datetime.date
) -> Document:
    """The circular on the returns of `first_month` to `last_month` (a closed period: every
    month's returns due by `today`) of every active community of the county, dated `today`,
    its text in the active language. Four queries whatever the data size.

    Raises ValueError for a period that is not whole months in order, or not closed yet.
    """
    if first_month.day != 1 or last_month.day != 1 or first_month > last_month:
        raise ValueError("a circular covers whole months, the first not after the last")
    if not is_closed(last_month, today):
        raise ValueError("a circular covers months whose returns are all due")
    months = months_between(first_month, last_month)
    scope = county_communities()
    rows = community_rows(scope)
    found, has_sample = returns_in_window(scope, first_month, last_month)
    rates = completeness_rates(rows, months, found, today)
    owing = owing_communities(rows, months, found)
    communities = {c.pk: c.local_name for c in scope.order_by().only("pk", "name", "name_en")}
    townships = {
        t.pk: t.local_name
        for t in Township.objects.filter(pk__in=scope.order_by().values("township_id"))
    }

    lines = rank_townships(
        [
            TownshipLine(key, townships[key], owing.get(key, 0), row.overall)
            for key, row in rates.items()
            if key is not None and row.overall.reporting.of
        ]
    )
    county = TownshipLine(None, _("County total"), sum(owing.values()), rates[None].overall)
    order = {row.pk: n for n, row in enumerate(rows)}
    township_of = {row.pk: row.township_id for row in rows}
    overdue = sorted(
        overdue_returns(rows, months, found, today),
        key=lambda item: (order[item.community_id], item.period),
    )
    overdue_rows = [
        [
            townships[township_of[item.community_id]],
            communities[item.community_id],
            f"{item.period:%Y-%m}",
            str(item.label),
            (today - item.due).days,
        ]
        for item in overdue
    ]
    late_rows = [
        [
            townships[township_of[item.community_id]],
            communities[item.community_id],
            f"{item.period:%Y-%m}",
            str(CELL_STATUSES[item.status]),
        ]
        for item in late_returns(rows, months, found)
    ]

    period = period_label(first_month, last_month)
    as_of = date_format(today, "DATE_FORMAT")
    notes = _notes(as_of)
    if has_sample:
        notes.append(_("Some of the returns counted are sample data, not real records."))
    return Document(
        title=_("Circular on the timely reporting of monthly returns, %(period)s")
        % {"period": period},
        issuer=_("Chun'an County Civil Affairs Bureau"),
        date=today,
        scope=_("Chun'an County"),
        sections=[
            Section(_("Overview"), _overview(period, as_of, county, lines, len(overdue))),
            Section(
                _("Reporting by township"),
                [
                    _(
                        "Townships are ranked by their on-time rate, then by their reporting "
                        "rate; townships with the same rates share a rank."
                    )
                ],
                [_ranking_table(lines, county)],
            ),
            _overdue_section(overdue_rows, as_of),
            _late_section(late_rows),
            Section(_("Requirements"), _requirements(lines)),
        ],
        notes=notes,
        has_sample=has_sample,
    )


def _overview(period, as_of, county, lines, overdue_count) -> list[str]:
    paragraphs = [
        _(
            "In %(period)s, the %(communities)s communities of the county owed %(owed)s "
            "monthly returns: %(reported)s were reported, a reporting rate of "
            "%(reporting_rate)s, %(on_time)s of them on time, an on-time rate of "
            "%(on_time_rate)s."
        )
        % {
            "period": period,
            "communities": format_number(county.communities),
            "owed": format_number(county.owed),
            "reported": format_number(county.reported),
            "reporting_rate": county.rates.reporting,
            "on_time": format_number(county.on_time),
            "on_time_rate": county.rates.on_time,
        }
    ]
    best = [line.name for line in lines if line.all_on_time]
    if best:
        paragraphs.append(
            _("The communities of %(townships)s reported every return on time.")
            % {"townships": _(", ").join(best)}
        )
    if overdue_count:
        paragraphs.append(
            ngettext(
                "As of %(date)s, %(count)s return was still overdue.",
                "As of %(date)s, %(count)s returns were still overdue.",
                overdue_count,
            )
            % {"date": as_of, "count": format_number(overdue_count)}
        )
    else:
        paragraphs.append(
            _("As of %(date)s, no return of the period was overdue.") % {"date": as_of}
        )
    return paragraphs


def _ranking_table(lines, county) -> Table:
    def cells(line, rank):
        return [
            rank,
            line.name,
            line.communities,
            line.owed,
            line.reported,
            line.rates.reporting,
            line.on_time,
            line.rates.on_time,
        ]

    rows = [cells(line, line.rank) for line in lines] + [cells(county, "")]
    return Table(
        title=_("Monthly returns reported, by township"),
        columns=[
            _("Rank"),
            _("Township"),
            _("Communities owing"),
            _("Returns owed"),
            _("Returns reported"),
            _("Reporting rate"),
            _("Reported on time"),
            _("On-time rate"),
        ],
        rows=rows,
        labels=2,
        strong=[len(rows) - 1],
    )


def _overdue_section(rows, as_of) -> Section:
    if not rows:
        return Section(
            _("Returns overdue"),
            [_("Every return of the period had been submitted by %(date)s.") % {"date": as_of}],
        )
    return Section(
        _("Returns overdue"),
        [_("These returns had not been submitted by %(date)s:") % {"date": as_of}],
        [
            Table(
                title=_("Monthly returns overdue"),
                columns=[_("Township"), _("Community"), _("Month"), _("Status"), _("Days overdue")],
                rows=rows,
                labels=4,
            )
        ],
    )


def _late_section(rows) -> Section:
    if not rows:
        return Section(_("Returns submitted late"), [_("No return of the period came in late.")])
    return Section(
        _("Returns submitted late"),
        [_("These returns were submitted after their due date:")],
        [
            Table(
                title=_("Monthly returns submitted late"),
                columns=[_("Township"), _("Community"), _("Month"), _("Status")],
                rows=rows,
                labels=4,
            )
        ],
    )


def _requirements(lines) -> list[str]:
    """What the circular asks: the townships below 100% to urge their communities (督促),
    then the usual wording on why returns matter and the deadline."""
    behind = [line.name for line in lines if not line.all_on_time]
    days = settings.RETURN_DUE_DAYS
    first = (
        _(
            "The townships whose reporting or on-time rate is below 100%% (%(townships)s) are "
            "asked to urge their communities to submit the overdue returns at once, to find "
            "out why returns came in late, and to put it right."
        )
        % {"townships": _(", ").join(behind)}
        if behind
        else _("Every township reported every return on time: keep it up.")
    )
    return [
        first,
        _(
            "The monthly returns are the basis of the county's statistics on community "
            "building and of the yearly rating. Each township is to take the reporting "
            "seriously, review its communities' returns promptly and make sure they are "
            "reported on time, in full and accurately."
        ),
        ngettext(
            "Each community submits its return for a month within %(days)s day after the "
            "month ends.",
            "Each community submits its return for a month within %(days)s days after the "
            "month ends.",
            days,
        )
        % {"days": days},
    ]


def _notes(as_of) -> list[str]:
    """How the figures count: the completeness grid's rules, said in the circular."""
    days = settings.RETURN_DUE_DAYS
    return [
        _(
            "Returns owed: one a month from each active community founded by that month. "
            "Reported: submitted, approved by the township or accepted by the county (a "
            "return sent back counts again once it is submitted again). Reporting rate: "
            "returns reported of those owed."
        ),
        ngettext(
            "On time: submitted by the due date, %(days)s day after the month ends. On-time "
            "rate: returns reported on time of those reported. Days overdue are counted to "
            "%(date)s.",
            "On time: submitted by the due date, %(days)s days after the month ends. On-time "
            "rate: returns reported on time of those reported. Days overdue are counted to "
            "%(date)s.",
            days,
        )
        % {"days": days, "date": as_of},
    ]
