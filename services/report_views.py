"""Reports on the service work for staff: coverage of the five networks, outlets per 1,000
residents, volunteer hours per month, time-bank balances.

Each report has a page (one page of communities at a time), a print view (every row), and
CSV and Excel exports of the same table: the columns, rows and totals come from one `Table`
built in `services.reports`, so what is shown, printed and downloaded cannot differ.

Every registry keeper opens them, each within their scope: the county sees the county,
township staff their township, a clerk their own community. The reports hold figures only,
never a person, so township staff see the time-bank sums they may not see per volunteer.
"""

from collections.abc import Callable
from dataclasses import dataclass

from django.contrib.auth.decorators import login_required
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_safe

from chunan_community import charts
from chunan_community.errors import errors_response
from chunan_community.figures import cell_csv
from chunan_community.paging import paginate
from chunan_community.spreadsheets import csv_response, table_workbook, xlsx_response
from communities.access import CLERK
from services import reports
from services.permissions import services_staff
from services.report_forms import HoursForm, ScopeForm

# ---------------------------------------------------------------------------- forms


# ---------------------------------------------------------------------------- the reports


def _in_scope(access, form) -> dict:
    return {
        "township": form.chosen_township,
        "with_totals": access.role != CLERK,
        "county": access.is_county,
    }


def _coverage(user, access, form):
    return reports.coverage_table(user, **_in_scope(access, form))


def _outlets(user, access, form):
    return reports.outlets_table(user, **_in_scope(access, form))


def _balances(user, access, form):
    return reports.balances_table(user, **_in_scope(access, form))


def _hours(user, access, form):
    data = form.cleaned_data
    return reports.hours_table(
        user,
        first=data["first"],
        last=data["last"],
        township=form.chosen_township,
        by_township=access.is_county and form.chosen_township is None,
    )


@dataclass(frozen=True)
class Report:
    slug: str
    title: str
    lead: str
    build: Callable
    form_class: type = ScopeForm
    paged: bool = True  # rows are communities, whose number grows

    def url(self, suffix: str = "") -> str:
        return reverse(f"services:report_{self.slug}{suffix}")


REPORTS = {
    report.slug: report
    for report in (
        Report(
            "coverage",
            gettext_lazy("Service-network coverage"),
            gettext_lazy(
                "Which of the five service networks each community has established, and "
                "since when; how many communities have each network."
            ),
            _coverage,
        ),
        Report(
            "outlets",
            gettext_lazy("Outlets per 1,000 residents"),
            gettext_lazy(
                "The service outlets of each community by kind, and how many there are for "
                "every 1,000 residents."
            ),
            _outlets,
        ),
        Report(
            "hours",
            gettext_lazy("Volunteer hours recorded per month"),
            gettext_lazy(
                "Hours of volunteer service recorded per month, per township or community."
            ),
            _hours,
            form_class=HoursForm,
            paged=False,  # one row a month, 36 at most
        ),
        Report(
            "balances",
            gettext_lazy("Time-bank balances"),
            gettext_lazy(
                "The time-bank accounts of each community's volunteers, added up: hours "
                "deposited and drawn, balances, accounts at or below the floor. No names."
            ),
            _balances,
        ),
    )
}


def _prepare(request, slug):
    """The report, its form and, when the form is valid, its table."""
    access = services_staff(request)
    report = REPORTS[slug]
    form = report.form_class(request.GET, access=access, today=timezone.localdate())
    table = report.build(request.user, access, form) if form.is_valid() else None
    return report, form, table


# ---------------------------------------------------------------------------- chart


def _hours_chart(table) -> str:
    """Bars for one area, a line per area up to charts.MAX_SERIES, else bars of the total."""
    if not any(value for row in table.rows for value in row.cells[1:]):
        return ""
    series = charts.area_series(
        [
            charts.Series(label, [row.cells[1 + index] for row in table.rows])
            for index, label in enumerate(table.areas)
        ],
        [row.cells[-1] for row in table.rows],
    )
    title = _("Hours of volunteer service, %(first)s to %(last)s") % {
        "first": f"{table.first:%Y-%m}",
        "last": f"{table.last:%Y-%m}",
    }
    desc = _("%(count)s months, %(series)s series.") % {
        "count": len(table.rows),
        "series": len(series),
    }
    return charts.trend_chart(
        id_prefix="hours-chart",
        title=title,
        desc=desc,
        categories=[row.cells[0] for row in table.rows],
        series=series,
        unit=_("hours"),
    )


# ---------------------------------------------------------------------------- pages


@login_required
@require_safe
def index(request):
    """The four reports, each with a line on what it shows."""
    services_staff(request)
    return render(
        request,
        "services/reports/index.html",
        {"reports": [(report, report.url()) for report in REPORTS.values()]},
    )


def _render(request, slug, template, *, paged):
    report, form, table = _prepare(request, slug)
    page = None
    rows = table.rows if table else []
    if table and paged and report.paged:
        page = paginate(request, rows)
        rows = page.object_list
    query = request.GET.copy()
    query.pop("page", None)
    context = {
        "report": report,
        "tabs": [(item, item.url()) for item in REPORTS.values()],
        "form": form,
        "table": table,
        "page": page,
        "body": table.display(rows) if table else [],
        "footer": table.display(table.footer) if table else [],
        "chart": _hours_chart(table) if table and slug == "hours" else "",
        "chart_is_total": table is not None and len(table.areas) > charts.MAX_SERIES,
        "query": query.urlencode(),
        "urls": {
            "page": report.url(),
            "print": report.url("_print"),
            "csv": report.url("_csv"),
            "xlsx": report.url("_xlsx"),
        },
    }
    return render(request, template, context)


@login_required
@require_safe
def report_page(request, report):
    """One report: the filter, the table (a page of communities), the totals, the notes."""
    return _render(request, report, "services/reports/report.html", paged=True)


@login_required
@require_safe
def report_print(request, report):
    """The same report on a bare page for printing, every row on it (A4 landscape)."""
    return _render(request, report, "services/reports/report_print.html", paged=False)


# ---------------------------------------------------------------------------- exports


def _filename(form, table, extension):
    parts = ["services", table.slug]
    township = getattr(form, "chosen_township", None)
    if township is not None:
        parts.append(township.code)
    if table.first and table.last:
        parts += [f"{table.first:%Y%m}", f"{table.last:%Y%m}"]
    return f"{'-'.join(parts)}.{extension}"


@login_required
@require_safe
def report_csv(request, report):
    """The table as CSV (UTF-8 with a byte-order mark, so that Excel reads the Chinese):
    every row, not only the page shown, then the totals."""
    _report, form, table = _prepare(request, report)
    if table is None:
        return errors_response(form)
    rows = ([cell_csv(value) for value in line] for line in table.export_rows())
    return csv_response(_filename(form, table, "csv"), rows)


@login_required
@require_safe
def report_xlsx(request, report):
    """The table as an .xlsx workbook: numbers as numbers, shares as percentages, the header
    row and the label column frozen."""
    _report, form, table = _prepare(request, report)
    if table is None:
        return errors_response(form)
    workbook = table_workbook(table.export_rows(), title=table.slug, freeze="B2")
    return xlsx_response(_filename(form, table, "xlsx"), workbook)
