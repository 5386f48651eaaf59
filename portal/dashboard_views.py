"""The county dashboard at /manage/dashboard/: the speech's concerns at a glance.

County staff see the county with a row per township; township staff their township. Every
figure links to the list behind it, filtered to the same month, township and range.

Clerks are sent to their own community's workspace rather than refused: the dashboard sums
many communities while a clerk keeps one, and the workspace is where their own returns,
terms and premises are (as /manage/ does for them). Judges and users without a role: 403.

The same figures print (/manage/dashboard/print/) and download (/manage/dashboard.xlsx,
/manage/dashboard.csv), built as one document (`dashboard_document`). The print view sends a
clerk to the workspace as the page does; the files refuse a clerk (403).
"""

from dataclasses import dataclass, field
from urllib.parse import urlencode

from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.views.decorators.http import require_safe

from chunan_community.charts import format_number
from chunan_community.documents import Document, Section, Table, Value, document_workbook
from chunan_community.figures import cell_csv, cell_text
from chunan_community.paging import paginate
from chunan_community.spreadsheets import csv_response, xlsx_response
from chunan_community.templatetags.portal_text import colon
from communities.access import CLERK, COUNTY, TOWNSHIP, access_for
from communities.models import Community, Township
from communities.permissions import overseer_access
from communities.returns.checks import due_on
from communities.returns.reports import Grain, Level
from portal.dashboard import (
    FUNDS_COUNTED,
    FUNDS_INDICATOR,
    TIERS,
    ZERO,
    Dashboard,
    Figures,
    dashboard,
)
from ratings.models import Tier
from services.reports import HOURS_RECORDED_BASIS

# A county has some twenty townships: one page. Province-scale data pages the table, so that
# the page's size does not grow with the townships.
TOWNSHIPS_PER_PAGE = 50


@dataclass(frozen=True)
class Figure:
    """One figure: its number (a count, an area or a share), what it counts, and the list
    behind it. The number stays a number for the exports; the page shows `value`."""

    id: str
    number: Value
    label: str
    url: str = ""
    detail: str = ""
    attention: bool = False
    minor: bool = False  # a part of the figure above it, shown smaller

    @property
    def value(self) -> str:
        return cell_text(self.number)


@dataclass
class Card:
    id: str
    title: str
    figures: list[Figure] = field(default_factory=list)
    basis: str = ""
    basis_url: str = ""
    empty: str = ""
    sample: bool = False


def _url(name, params=None, *, args=None, fragment=""):
    url = reverse(name, args=args)
    if params:
        url += "?" + urlencode(params)
    return url + (f"#{fragment}" if fragment else "")


def _links(board: Dashboard, access, township=None) -> dict[str, str]:
    """The lists behind one row's figures: the whole scope (township None) or one township."""
    place = {"township": township.code} if township is not None else {}
    month = f"{board.month:%Y-%m}"
    this_month = f"{board.today:%Y-%m}"
    last_month = f"{board.last_month:%Y-%m}"
    year_start = f"{board.year_start:%Y-%m}"
    links = {
        "communities": _url("communities:workspace", place),
        "completeness": _url(
            "returns:completeness", {"month_from": month, "month_to": month, **place}
        ),
        "space_standard": _url("communities:space_standard", place),
        "terms_due": _url("communities:terms_due", {"days": board.terms_days, **place}),
        "coverage": _url("services:report_coverage", place),
        "hours_last_month": _url(
            "services:report_hours", {"month_from": last_month, "month_to": last_month, **place}
        ),
        "hours_year": _url(
            "services:report_hours", {"month_from": year_start, "month_to": this_month, **place}
        ),
    }
    if board.funds_indicator is not None:
        if township is not None:
            level = Level.COMMUNITY  # the township's communities side by side
        else:
            level = Level.TOWNSHIP if access.role == COUNTY else Level.TOTAL
        links["funds"] = _url(
            "returns:aggregates",
            {
                "indicator": FUNDS_INDICATOR,
                "level": level,
                "grain": Grain.YEAR,
                "month_from": year_start,
                "month_to": this_month,
                "counted": FUNDS_COUNTED,
                **place,
            },
        )
    if board.round is not None:
        # The round's results list every community by category; star ones from one star up.
        fragments = {
            Tier.NORMATIVE: "category-normative",
            Tier.STAR: f"category-star-{board.total.lowest_stars or 1}",
            Tier.GARDEN: "category-garden",
        }
        for tier, fragment in fragments.items():
            links[tier] = _url("ratings:round_results", args=[board.round.code], fragment=fragment)
    return links


def _cards(board: Dashboard, links: dict[str, str]) -> list[Card]:
    total = board.total
    year = board.year_start.year
    ratings = Card("ratings", _("Communities by rating tier"))
    if board.round is None:
        ratings.empty = _("No rating round has been confirmed yet.")
    else:
        ratings.basis = _("Latest confirmed round: %(round)s") % {"round": board.round.name}
        ratings.basis_url = _url("ratings:round_results", args=[board.round.code])
        # A tier no community holds has no list on the results page to open.
        ratings.figures = [
            Figure(
                f"tier-{tier}",
                total.tiers[tier],
                tier.label,
                links[tier] if total.tiers[tier] else "",
            )
            for tier in TIERS
        ]
        ratings.figures.append(
            Figure(
                "tier-unrated",
                total.unrated,
                _("Not rated in this round (or the rating revoked)"),
            )
        )

    returns = Card(
        "returns",
        _("Monthly returns for %(month)s") % {"month": f"{board.month:%Y-%m}"},
        basis=_("The latest month already due (by %(due)s).")
        % {"due": f"{due_on(board.month):%Y-%m-%d}"},
        figures=[
            Figure(
                "reporting-rate",
                total.reporting,
                _("Reporting rate"),
                links["completeness"],
                _("%(done)s of %(of)s communities reported")
                % {
                    "done": format_number(total.reporting.done),
                    "of": format_number(total.reporting.of),
                },
                attention=total.reporting.done < total.reporting.of,
            ),
            Figure(
                "on-time-rate",
                total.on_time,
                _("On-time rate"),
                links["completeness"],
                _("%(done)s of %(of)s returns reported by the due date")
                % {
                    "done": format_number(total.on_time.done),
                    "of": format_number(total.on_time.of),
                },
                attention=total.on_time.done < total.on_time.of,
            ),
        ],
    )

    space = Card(
        "space",
        _("Premises: 20 m² for every 100 households"),
        figures=[
            Figure(
                "below-standard",
                total.below_standard,
                _("communities below the space standard"),
                links["space_standard"],
                attention=total.below_standard > 0,
            ),
            Figure(
                "shortfall",
                total.shortfall_m2,
                _("m² of premises missing in all"),
                links["space_standard"],
            ),
        ],
    )

    terms = Card(
        "terms",
        _("Term elections (换届)"),
        figures=[
            Figure(
                "terms-due",
                total.terms_due,
                _("due within %(days)s days or overdue") % {"days": board.terms_days},
                links["terms_due"],
                _("%(count)s already overdue") % {"count": format_number(total.terms_overdue)},
                attention=total.terms_due > 0,
            )
        ],
    )

    networks = Card(
        "networks",
        _("The five service networks"),
        figures=[
            Figure(
                "network-coverage",
                total.coverage,
                _("coverage: networks established of five in every community"),
                links["coverage"],
                _("%(done)s of %(of)s")
                % {
                    "done": format_number(total.coverage.done),
                    "of": format_number(total.coverage.of),
                },
            ),
            *[
                Figure(
                    f"network-{kind}",
                    share,
                    kind.label,
                    links["coverage"],
                    _("%(done)s of %(of)s communities")
                    % {"done": format_number(count), "of": format_number(total.communities)},
                    minor=True,
                )
                for kind, count, share in total.network_shares
            ],
        ],
    )

    hours = Card(
        "hours",
        _("Volunteer service recorded"),
        sample=board.has_sample_hours,
        basis=str(HOURS_RECORDED_BASIS),
        figures=[
            Figure(
                "hours-last-month",
                total.hours_last_month,
                _("hours of service recorded in %(month)s")
                % {"month": f"{board.last_month:%Y-%m}"},
                links["hours_last_month"],
            ),
            Figure(
                "hours-year",
                total.hours_year,
                _("hours of service recorded in %(year)s so far") % {"year": year},
                links["hours_year"],
            ),
        ],
    )

    funds = Card("funds", _("Co-building funds"), sample=board.has_sample_funds)
    if board.funds_indicator is None:
        funds.empty = _("The co-building funds indicator is not in the catalogue.")
    else:
        funds.basis = _("Submitted, approved and accepted monthly returns.")
        funds.figures = [
            Figure(
                "funds-year",
                total.funds_year or ZERO,
                _("%(unit)s received in %(year)s so far")
                % {"unit": board.funds_indicator.unit, "year": year},
                links["funds"],
            )
        ]
    return [ratings, returns, space, terms, networks, hours, funds]


@dataclass(frozen=True)
class Cell:
    number: Value
    url: str = ""

    @property
    def text(self) -> str:
        return cell_text(self.number)


def _row_numbers(figures: Figures, board: Dashboard) -> list[tuple[Value, str | None]]:
    """The breakdown table's figures after the township's name, in the columns' order, each
    with the key of the list behind it in `_links` (None: no list)."""
    tiers = []
    if board.round is not None:
        tiers = [(figures.tiers[tier], None) for tier in TIERS] + [(figures.unrated, None)]
    funds = []
    if board.funds_indicator is not None:
        funds = [(figures.funds_year, "funds")]
    return [
        (figures.communities, "communities"),
        *tiers,
        (figures.reporting, "completeness"),
        (figures.on_time, "completeness"),
        (figures.below_standard, "space_standard"),
        (figures.shortfall_m2, "space_standard"),
        (figures.terms_due, "terms_due"),
        (figures.coverage, "coverage"),
        (figures.hours_last_month, "hours_last_month"),
        (figures.hours_year, "hours_year"),
        *funds,
    ]


def _row_cells(figures: Figures, links: dict[str, str], board: Dashboard) -> list[Cell]:
    """The breakdown table's cells after the township's name, each a link to its list."""
    return [Cell(number, links[key] if key else "") for number, key in _row_numbers(figures, board)]


@dataclass(frozen=True)
class Column:
    label: str
    when: str = ""  # the month, year or unit, kept on one line under the label


def _columns(board: Dashboard) -> list[Column]:
    month, last_month = f"{board.month:%Y-%m}", f"{board.last_month:%Y-%m}"
    year = str(board.year_start.year)
    columns = [Column(_("Communities"))]
    if board.round is not None:
        columns += [Column(str(tier.label)) for tier in TIERS] + [Column(_("Not rated"))]
    columns += [
        Column(_("Reporting rate"), month),
        Column(_("On-time rate"), month),
        Column(_("Below the space standard")),
        Column(_("Shortfall (m²)")),
        Column(_("Term elections due")),
        Column(_("Network coverage")),
        Column(_("Service hours recorded"), last_month),
        Column(_("Service hours recorded"), year),
    ]
    if board.funds_indicator is not None:
        columns.append(
            Column(_("Co-building funds (%(unit)s)") % {"unit": board.funds_indicator.unit}, year)
        )
    return columns


def _clerk_workspace(access):
    """A clerk's own community's workspace, where the dashboard sends them."""
    community = Community.objects.only("code").get(pk=access.community_id)
    return redirect(community.get_workspace_url())


def _township(board: Dashboard, access) -> Township | None:
    """Township staff's township, even when it has no active community (and so no row);
    None for county staff."""
    if access.role != TOWNSHIP:
        return None
    return board.rows[0].township if board.rows else Township.objects.get(pk=access.township_id)


@login_required
@require_safe
def county_dashboard(request):
    """The figures of the user's scope, with a row per township for the county."""
    access = access_for(request.user)
    if access.role == CLERK:
        return _clerk_workspace(access)
    overseer_access(request.user)
    board = dashboard(request.user)
    links = _links(board, access)
    rows, page = [], None
    if access.role == COUNTY:
        page = paginate(request, board.rows, per_page=TOWNSHIPS_PER_PAGE)
        for figures in page:
            row_links = _links(board, access, figures.township)
            rows.append(
                {
                    "township": figures.township,
                    "url": row_links["communities"],
                    "cells": _row_cells(figures, row_links, board),
                }
            )
    return render(
        request,
        "dashboard.html",
        {
            "board": board,
            "township": _township(board, access),
            "communities_url": links["communities"],
            "cards": _cards(board, links),
            "columns": _columns(board),
            "rows": rows,
            "page": page,
            "total_cells": _row_cells(board.total, links, board),
        },
    )


# ---------------------------------------------------------------------------- print, exports
#
# The same figures as the page, as a document (chunan_community.documents): the cards'
# figures in one table, then for the county the table per township, every township on it
# (the page shows TOWNSHIPS_PER_PAGE at a time). Printed on A4, written as a workbook (a
# sheet per section) and, the table per township alone, as CSV. The same queries as the
# page, less the navigation's.


def _column_text(column: Column) -> str:
    return f"{column.label} {column.when}" if column.when else column.label


def _township_table(board: Dashboard, township: Township | None) -> Table:
    """The figures per township and the county's total (county staff), or township staff's
    own township's line."""
    columns = [_("Township"), *[_column_text(column) for column in _columns(board)]]

    def numbers(figures):
        return [number for number, _key in _row_numbers(figures, board)]

    if township is not None:
        rows = [[township.local_name, *numbers(board.total)]]
    else:
        rows = [[figures.township.local_name, *numbers(figures)] for figures in board.rows]
        rows.append([_("County total"), *numbers(board.total)])
    return Table(
        _("The dashboard's figures per township"),
        columns,
        rows,
        strong=[len(rows) - 1] if township is None else [],
    )


def _summary_section(board: Dashboard, cards: list[Card]) -> Section:
    """Every card's figures, one a line: what they concern, what they count, the number,
    and the detail the card shows under it."""
    rows = []
    for card in cards:
        if card.empty:
            rows.append([card.title, card.empty, None, ""])
        rows += [
            [card.title, figure.label, figure.number, figure.detail] for figure in card.figures
        ]
    return Section(
        _("Summary figures"),
        paragraphs=[
            _("Figures as of %(today)s.") % {"today": date_format(board.today)},
            *[colon(card.title) + str(card.basis) for card in cards if card.basis],
        ],
        tables=[
            Table(
                _("The dashboard's figures"),
                [_("Topic"), _("Figure"), _("Value"), _("Detail")],
                rows,
                labels=2,
            )
        ],
    )


def dashboard_document(board: Dashboard, access, township: Township | None) -> Document:
    """The dashboard as a document: the summary figures, then (county staff) the figures
    per township; a note for each card that counts sample data."""
    cards = _cards(board, _links(board, access))
    sections = [_summary_section(board, cards)]
    if township is None:
        sections.append(Section(_("Per township"), tables=[_township_table(board, None)]))
    return Document(
        title=_("Dashboard"),
        issuer=_("Chun'an County Community-Building Leading Group Office"),
        date=board.today,
        scope=township.local_name if township is not None else _("Chun'an County"),
        sections=sections,
        notes=[
            _(
                "The figures of “%(card)s” count sample data, invented for demonstration: "
                "they are not official statistics."
            )
            % {"card": card.title}
            for card in cards
            if card.sample
        ],
        has_sample=any(card.sample for card in cards),
    )


def _filename(board: Dashboard, township: Township | None, extension: str) -> str:
    scope = township.code if township is not None else "county"
    return f"dashboard-{scope}-{board.today:%Y%m%d}.{extension}"


@login_required
@require_safe
def dashboard_print(request):
    """The dashboard on a bare page for printing (A4 landscape): the summary figures and the
    figures of every township. Clerks are sent to their workspace, as by the dashboard."""
    access = access_for(request.user)
    if access.role == CLERK:
        return _clerk_workspace(access)
    overseer_access(request.user)
    board = dashboard(request.user)
    document = dashboard_document(board, access, _township(board, access))
    return render(request, "dashboard_print.html", {"board": board, "document": document})


@login_required
@require_safe
def dashboard_xlsx(request):
    """The dashboard as an .xlsx workbook, a sheet per section: numbers as numbers, rates as
    percentages. For county and township staff (a clerk: 403, a download has no workspace
    to send them to)."""
    access = overseer_access(request.user)
    board = dashboard(request.user)
    township = _township(board, access)
    workbook = document_workbook(dashboard_document(board, access, township))
    return xlsx_response(_filename(board, township, "xlsx"), workbook)


@login_required
@require_safe
def dashboard_csv(request):
    """The figures per township and the county's total as CSV (county staff), or their own
    township's line (township staff): one table, as CSV holds one."""
    access = overseer_access(request.user)
    board = dashboard(request.user)
    township = _township(board, access)
    table = _township_table(board, township)
    lines = [table.columns, *[[cell_csv(value) for value in row] for row in table.rows]]
    return csv_response(_filename(board, township, "csv"), lines)
