"""Reports on monthly returns: the completeness grid and the aggregates (table, chart, exports).

Completeness is for township and county staff (a clerk sees their own months in their
workspace). Aggregates are for every registry keeper, each within their scope: the county
sees the county, township staff their township, a clerk their own community.
"""

from django.contrib.auth.decorators import login_required
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_safe

from chunan_community import charts
from chunan_community.errors import errors_response
from chunan_community.figures import export_number
from chunan_community.paging import pager, paginate
from chunan_community.spreadsheets import csv_response, table_workbook, xlsx_response
from communities.access import TOWNSHIP
from communities.models import Community, Indicator, Township
from communities.permissions import overseer_access, staff_access
from communities.returns.checks import due_on
from communities.returns.forms import AggregatesForm, CompletenessForm
from communities.returns.reports import (
    CELL_STATUSES,
    CELL_SYMBOLS,
    REPORTED_BASIS,
    Counted,
    Grain,
    aggregate_table,
    cell_for,
    community_rows,
    completeness_communities,
    completeness_rates,
    months_between,
    overdue_returns,
    ratio_formula,
    returns_in_window,
)

# ---------------------------------------------------------------------------- forms


# ---------------------------------------------------------------------------- helpers


# ---------------------------------------------------------------------------- completeness

# The page parameters of the completeness page's lists other than the grid (`page`).
RATES_PAGE = "rates_page"
OVERDUE_PAGE = "overdue_page"


@login_required
@require_safe
def completeness(request):
    """Communities by months, coloured by status, rates per township, the overdue returns.

    Three lists, each paged on its own: the grid (`page`), the townships of the rate tables
    (`rates_page`, both tables together; the total row on every page) and the overdue
    returns (`overdue_page`). So the page is bounded however many communities and townships
    there are.

    A fixed number of queries whatever the number of communities and months: session, user,
    scope, the township choices (county staff only), the communities in scope, the returns of
    the window, the communities and the townships shown. Rates and the overdue list are
    counted in Python from those two light lists (ids, founding, status, late).
    """
    access = overseer_access(request.user)
    today = timezone.localdate()
    form = CompletenessForm(request.GET, access=access, today=today)
    first, last = form.window()
    township = form.cleaned_data.get("township") if form.is_valid() else None
    months = months_between(first, last)

    scope = completeness_communities(request.user, township)
    rows = community_rows(scope)
    found, has_sample = returns_in_window(scope, first, last)
    rates = completeness_rates(rows, months, found, today)
    overdue = overdue_returns(rows, months, found, today)

    grid_page = paginate(request, rows)
    rates_page = paginate(request, [key for key in rates if key is not None], RATES_PAGE)
    overdue_page = paginate(request, overdue, OVERDUE_PAGE)
    wanted = {row.pk for row in grid_page} | {item.community_id for item in overdue_page}
    communities = Community.objects.select_related("township").in_bulk(wanted)
    shown = {row.township_id for row in grid_page} | set(rates_page)
    townships = {t.pk: t for t in Township.objects.filter(pk__in=shown)}

    grid, current = [], None
    for row in grid_page:
        community = communities[row.pk]
        if row.township_id != current:
            current = row.township_id
            grid.append({"township": townships[current]})
        cells = [cell_for(row, period, found, today) for period in months]
        grid.append({"community": community, "cells": cells})
    return render(
        request,
        "returns/report_completeness.html",
        {
            "form": form,
            "first": first,
            "last": last,
            "months": months,
            "month_heads": [{"period": m, "due": today > due_on(m)} for m in months],
            "grid": grid,
            "grid_page": grid_page,
            "community_count": len(rows),
            "rate_tables": _rate_tables(rates, rates_page, townships, months),
            "rates_page": rates_page,
            "rates_pager": pager(request, rates_page, RATES_PAGE, "rates-heading"),
            "overdue_page": overdue_page,
            "overdue_pager": pager(request, overdue_page, OVERDUE_PAGE, "overdue-heading"),
            "overdue_rows": [
                {
                    "item": item,
                    "community": communities[item.community_id],
                    "symbol": CELL_SYMBOLS[item.status],
                    "days": (today - item.due).days,
                }
                for item in overdue_page
            ],
            "legend": [
                (status, CELL_SYMBOLS[status], CELL_STATUSES[status]) for status in CELL_STATUSES
            ],
            "today": today,
            "has_sample": has_sample,
        },
    )


def _rate_tables(rates, page, townships, months):
    """The reporting and the on-time rate, each a table: one row per township of the page,
    then the total of every township (on every page)."""
    keys = list(page)
    if len(rates) != 2:  # one township: its row and the total are the same
        keys.append(None)
    rates = {key: rates[key] for key in keys}
    tables = []
    for kind, title in (
        ("reporting", _("Reporting rate")),
        ("on_time", _("On-time rate")),
    ):
        rows = [
            {
                "label": townships[key].local_name if key else _("Total"),
                "is_total": key is None,
                "months": [getattr(row.months[m], kind) for m in months],
                "overall": getattr(row.overall, kind),
            }
            for key, row in rates.items()
        ]
        tables.append({"kind": kind, "title": title, "rows": rows})
    return tables


# ---------------------------------------------------------------------------- aggregates


def _aggregates(request):
    """The form and, when it is valid, the table: shared by the page, print and exports.

    The indicator may be a derived indicator (`indicator=ratio:<code>`, forms.RATIO_PREFIX):
    the table is then its ratio of the sums (reports.ratio_table)."""
    access = staff_access(request.user)
    form = AggregatesForm(request.GET, access=access, today=timezone.localdate())
    table = None
    if form.is_valid():
        data = form.cleaned_data
        table = aggregate_table(
            user=request.user,
            indicator=data["indicator_obj"],
            level=data["level"],
            grain=data["grain"],
            first=data["first"],
            last=data["last"],
            counted=data["counted"],
            township_id=form.township_id,
            total_label=_total_label(access),
        )
    return access, form, table


def _total_label(access):
    if access.is_county:
        return _("County total")
    if access.role == TOWNSHIP:
        return _("Township total")
    return _("Community")


def _chart(table):
    """Bars for one series, lines for up to charts.MAX_SERIES areas, else the total alone."""
    indicator = table.indicator
    # A partial period is marked where it is drawn, so its low bar is not read as a drop.
    categories = [
        f"{row.label}* ({row.reported}/{row.expected})" if row.partial else row.label
        for row in table.rows
    ]
    series = charts.area_series(
        [
            charts.Series(area.label, [row.values[i] for row in table.rows])
            for i, area in enumerate(table.areas)
        ],
        [row.total for row in table.rows],
    )
    title = _("%(indicator)s, %(first)s to %(last)s") % {
        "indicator": indicator.local_name,
        "first": f"{table.first:%Y-%m}",
        "last": f"{table.last:%Y-%m}",
    }
    desc = _("%(count)s periods, %(series)s series.") % {
        "count": len(categories),
        "series": len(series),
    }
    return charts.trend_chart(
        id_prefix="aggregate-chart",
        title=title,
        desc=desc,
        categories=categories,
        series=series,
        unit=indicator.unit,
        integer=indicator.decimal_places == 0
        if table.is_ratio
        else indicator.value_type == Indicator.ValueType.INTEGER,
    )


def _aggregates_context(request, template):
    _access, form, table = _aggregates(request)
    context = {
        "form": form,
        "table": table,
        "reported_basis": REPORTED_BASIS,
        "formula": ratio_formula(table.indicator) if table and table.is_ratio else "",
        "chart": _chart(table) if table and table.has_data else "",
        "chart_is_total": table is not None and len(table.areas) > charts.MAX_SERIES,
        "query": request.GET.urlencode(),
        "grain_label": dict(Grain.CHOICES).get(form.cleaned_data.get("grain"), "")
        if form.is_valid()
        else "",
        "counted_label": dict(Counted.CHOICES).get(form.cleaned_data.get("counted"), "")
        if form.is_valid()
        else "",
    }
    return render(request, template, context)


@login_required
@require_safe
def aggregates(request):
    """One indicator per area and period: a table with totals and a chart drawn on the server."""
    return _aggregates_context(request, "returns/report_aggregates.html")


@login_required
@require_safe
def aggregates_print(request):
    """The same table and chart on a bare page for printing (A4 landscape)."""
    return _aggregates_context(request, "returns/report_aggregates_print.html")


def _export_rows(table):
    """The header, a line per period and the whole range: each names the indicator and its
    unit, and how many communities' returns it holds of those owed (a partial period's
    sums are not the county's figure). A derived indicator's lines also give the totals of
    its numerator and denominator over the areas, which the total (or the one area's
    figure) is the ratio of."""
    indicator = table.indicator
    header = [
        _("Indicator"),
        _("Unit"),
        _("Period"),
        *[area.label for area in table.areas],
    ]
    if table.has_total_column:
        header.append(_("Total"))
    if table.is_ratio:
        header += [indicator.numerator.local_name, indicator.denominator.local_name]
    header += [_("Returns counted"), _("Returns owed"), _("Complete")]
    rows = [header]
    for row in [*table.rows, table.footer]:
        line = [indicator.local_name, indicator.unit, row.label, *map(export_number, row.values)]
        if table.has_total_column:
            line.append(export_number(row.total))
        if table.is_ratio:
            line += [export_number(row.numerator), export_number(row.denominator)]
        line += [row.reported, row.expected, _("No") if row.partial else _("Yes")]
        rows.append(line)
    return rows


def _filename(table, extension):
    return (
        f"aggregates-{table.indicator.code}-{table.grain}-"
        f"{table.first:%Y%m}-{table.last:%Y%m}.{extension}"
    )


@login_required
@require_safe
def aggregates_csv(request):
    """The table as CSV (UTF-8 with a byte-order mark, so that Excel reads the Chinese)."""
    _access, form, table = _aggregates(request)
    if table is None:
        return errors_response(form, otherwise=_("Choose an indicator."))
    return csv_response(_filename(table, "csv"), _export_rows(table))


@login_required
@require_safe
def aggregates_xlsx(request):
    """The table as an .xlsx workbook: numbers as numbers, the header row frozen."""
    _access, form, table = _aggregates(request)
    if table is None:
        return errors_response(form, otherwise=_("Choose an indicator."))
    workbook = table_workbook(_export_rows(table), title=table.indicator.code[:31], freeze="D2")
    return xlsx_response(_filename(table, "xlsx"), workbook)
