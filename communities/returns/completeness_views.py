"""The completeness grid printed and exported: /returns/completeness/print/, .csv and .xlsx.

The same filters as the page (report_views.completeness: township, months) and the same
figures, counted by the same functions of communities.returns.reports; every community of
the selection rather than a page of them. A filter the page would show as an error is a 400
here: a print or a file of another selection than the one asked for would mislead.

Bounded whatever the selection: the print view prints the grid only up to PRINT_GRID_LIMIT
communities (a township's, or a small county's) and the first PRINT_OVERDUE_LIMIT overdue
returns, and says what it left out; the files hold every row, the CSV streamed and the
workbook written in write-only mode. A fixed number of queries: session, user, scope, [the
township filtered on], the communities in scope, the returns of the window, then the
communities and townships named (one query each).
"""

import datetime
from dataclasses import dataclass
from functools import cached_property

from django.contrib.auth.decorators import login_required
from django.db.models import QuerySet
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_safe

from chunan_community.errors import error_summary, errors_response
from chunan_community.spreadsheets import Sheet, csv_stream_response, xlsx_sheets_response
from communities.models import Community, Township
from communities.permissions import overseer_access
from communities.returns.checks import due_on
from communities.returns.forms import CompletenessForm
from communities.returns.report_views import _rate_tables
from communities.returns.reports import (
    CELL_STATUSES,
    CELL_SYMBOLS,
    Cell,
    CommunityRow,
    Overdue,
    RateRow,
    cell_for,
    community_rows,
    completeness_communities,
    completeness_rates,
    months_between,
    overdue_returns,
    returns_in_window,
)

# A grid of 300 communities is some ten A4 pages; a larger selection is a county at scale,
# whose grid is read in the workbook or printed a township at a time.
PRINT_GRID_LIMIT = 300
PRINT_OVERDUE_LIMIT = 500
# What the page's links and the exports keep of the page's query: its filters, not its pages.
PAGE_PARAMETERS = ("page", "rates_page", "overdue_page")


def filter_query(request) -> str:
    """The request's filters for a link to the print view or an export (the page numbers
    left out: these show the whole selection)."""
    query = request.GET.copy()
    for name in PAGE_PARAMETERS:
        query.pop(name, None)
    return query.urlencode()


@dataclass
class Selection:
    """The communities and months the filters select, with their returns: what the page
    counts, every community of it."""

    today: datetime.date
    first: datetime.date
    last: datetime.date
    township: Township | None
    scope: QuerySet
    rows: list[CommunityRow]
    found: dict
    has_sample: bool

    @cached_property
    def months(self) -> list[datetime.date]:
        return months_between(self.first, self.last)

    @cached_property
    def rates(self) -> dict[int | None, RateRow]:
        return completeness_rates(self.rows, self.months, self.found, self.today)

    @cached_property
    def overdue(self) -> list[Overdue]:
        return overdue_returns(self.rows, self.months, self.found, self.today)

    def cells(self, row: CommunityRow) -> list[Cell]:
        return [cell_for(row, period, self.found, self.today) for period in self.months]


def _selection(request) -> tuple[CompletenessForm, Selection | None]:
    """The filter form and, when it is valid, the selection (None otherwise): 403 for
    anyone but county and township staff, as the page."""
    access = overseer_access(request.user)
    today = timezone.localdate()
    form = CompletenessForm(request.GET, access=access, today=today)
    if not form.is_valid():
        return form, None
    township = form.cleaned_data.get("township")
    scope = completeness_communities(request.user, township)
    first, last = form.window()
    found, has_sample = returns_in_window(scope, first, last)
    return form, Selection(
        today, first, last, township, scope, community_rows(scope), found, has_sample
    )


def _named(selection: Selection) -> dict[int, Community]:
    """Every community of the selection with its township, for their names (one query)."""
    return (
        selection.scope.select_related("township")
        .only("code", "name", "name_en", "township__name", "township__name_en")
        .in_bulk()
    )


# ---------------------------------------------------------------------------- print


@login_required
@require_safe
def completeness_print(request):
    """The grid, the rates of every township and the overdue returns on a bare page for
    printing (A4 landscape), within PRINT_GRID_LIMIT and PRINT_OVERDUE_LIMIT."""
    form, selection = _selection(request)
    query = filter_query(request)
    if selection is None:
        return render(
            request,
            "returns/report_completeness_print.html",
            {"errors": error_summary(form), "query": query},
            status=400,
        )
    rows = selection.rows if len(selection.rows) <= PRINT_GRID_LIMIT else []
    overdue = selection.overdue[:PRINT_OVERDUE_LIMIT]
    wanted = {row.pk for row in rows} | {item.community_id for item in overdue}
    communities = Community.objects.select_related("township").in_bulk(wanted)
    keys = [key for key in selection.rates if key is not None]
    townships = Township.objects.in_bulk(keys)
    grid, current = [], None
    for row in rows:
        if row.township_id != current:
            current = row.township_id
            grid.append({"township": townships[current]})
        grid.append({"community": communities[row.pk], "cells": selection.cells(row)})
    months = selection.months
    return render(
        request,
        "returns/report_completeness_print.html",
        {
            "selection": selection,
            "query": query,
            "months": months,
            "month_heads": [{"period": m, "due": selection.today > due_on(m)} for m in months],
            "community_count": len(selection.rows),
            "grid": grid,
            "grid_limit": PRINT_GRID_LIMIT,
            "rate_tables": _rate_tables(selection.rates, keys, townships, months),
            "overdue_count": len(selection.overdue),
            "overdue_limit": PRINT_OVERDUE_LIMIT,
            "overdue_rows": [
                {
                    "item": item,
                    "community": communities[item.community_id],
                    "symbol": CELL_SYMBOLS[item.status],
                    "days": (selection.today - item.due).days,
                }
                for item in overdue
            ],
            "legend": [
                (status, CELL_SYMBOLS[status], CELL_STATUSES[status]) for status in CELL_STATUSES
            ],
        },
    )


# ---------------------------------------------------------------------------- exports


def cell_label(cell: Cell) -> str:
    """A month's status in words, as a file holds it: "Submitted (late)", "Draft
    (overdue)" (the page's symbols and colours do not travel)."""
    text = str(cell.label)
    if cell.is_late:
        text = _("%(status)s (late)") % {"status": text}
    if cell.overdue:
        text = _("%(status)s (overdue)") % {"status": text}
    return text


def _grid_header(selection: Selection) -> list[str]:
    return [_("Township"), _("Code"), _("Community"), *[f"{m:%Y-%m}" for m in selection.months]]


def _grid_lines(selection: Selection, named: dict[int, Community]):
    """A line per community, in the page's order: township, code, name, each month's status.
    A generator: the CSV streams it, the workbook writes it row by row."""
    for row in selection.rows:
        community = named.get(row.pk)
        if community is None:  # gone between the two reads
            continue
        yield [
            community.township.local_name,
            community.code,
            community.local_name,
            *[cell_label(cell) for cell in selection.cells(row)],
        ]


def _filename(selection: Selection, extension: str) -> str:
    parts = ["completeness"]
    if selection.township is not None:
        parts.append(selection.township.code)
    parts += [f"{selection.first:%Y%m}", f"{selection.last:%Y%m}"]
    return f"{'-'.join(parts)}.{extension}"


def _rate_sheet(selection: Selection, kind: str, title: str, townships: dict) -> Sheet:
    """One rate per township and month, then the whole period (its months already due), and
    the total of every township: percentages, no row when nothing is counted."""
    lines = []
    for key, row in selection.rates.items():
        if key is None and len(selection.rates) == 2:
            continue  # one township: its line is the total
        label = townships[key].local_name if key in townships else _("Total")
        months = [getattr(row.months[m], kind) for m in selection.months]
        lines.append([label, *months, getattr(row.overall, kind)])
    header = [_("Township"), *[f"{m:%Y-%m}" for m in selection.months], _("Whole period")]
    return Sheet(title, header, lines)


def _overdue_sheet(selection: Selection, named: dict[int, Community]) -> Sheet:
    lines = (
        [
            named[item.community_id].township.local_name,
            named[item.community_id].code,
            named[item.community_id].local_name,
            f"{item.period:%Y-%m}",
            str(item.label),
            item.due,
            (selection.today - item.due).days,
        ]
        for item in selection.overdue
        if item.community_id in named
    )
    header = [
        _("Township"),
        _("Code"),
        _("Community"),
        _("Month"),
        _("Status"),
        _("Due on"),
        _("Days overdue"),
    ]
    return Sheet(_("Overdue returns"), header, lines, freeze="D2")


@login_required
@require_safe
def completeness_csv(request):
    """The grid as CSV, every community of the selection, streamed: one line per community,
    one column per month with its status in words."""
    form, selection = _selection(request)
    if selection is None:
        return errors_response(form)
    named = _named(selection)
    return csv_stream_response(
        _filename(selection, "csv"), _grid_header(selection), _grid_lines(selection, named)
    )


@login_required
@require_safe
def completeness_xlsx(request):
    """The grid, the reporting and on-time rates per township (as percentages) and the
    overdue returns, a sheet each, written in write-only mode."""
    form, selection = _selection(request)
    if selection is None:
        return errors_response(form)
    named = _named(selection)
    townships = {community.township_id: community.township for community in named.values()}
    sheets = [
        Sheet(
            _("Status by community and month"),
            _grid_header(selection),
            _grid_lines(selection, named),
            freeze="D2",
        ),
        _rate_sheet(selection, "reporting", _("Reporting rate"), townships),
        _rate_sheet(selection, "on_time", _("On-time rate"), townships),
        _overdue_sheet(selection, named),
    ]
    if selection.has_sample:
        sheets.append(Sheet(_("Sample data"), [_sample_note()], []))
    return xlsx_sheets_response(_filename(selection, "xlsx"), sheets)


def _sample_note() -> str:
    return _(
        "Some of these returns are sample data, invented for demonstration: they are not "
        "official statistics."
    )
