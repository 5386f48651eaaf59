"""The cross-indicator table (透视表) of the monthly returns: a page, a print view (A4
landscape) and the same table as CSV and Excel.

For every registry keeper, each within their scope, as the aggregates: the county sees the
county, township staff their township, a clerk their own community. A rejected filter is
answered 400 with its messages: on the page and the print view above the form, in a
download as plain text.
"""

from django.contrib.auth.decorators import login_required
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_safe

from chunan_community.errors import error_summary, errors_response
from chunan_community.figures import export_number
from chunan_community.spreadsheets import csv_response, table_workbook, xlsx_response
from communities.permissions import staff_access
from communities.returns.forms import PivotForm
from communities.returns.pivot import pivot_table
from communities.returns.report_views import _total_label
from communities.returns.reports import REPORTED_BASIS, Counted, Grain


def _pivot(request):
    """The form and, when it is valid, the table: shared by the page, print and exports."""
    access = staff_access(request.user)
    form = PivotForm(request.GET, access=access, today=timezone.localdate())
    table = None
    if form.is_valid():
        data = form.cleaned_data
        table = pivot_table(
            user=request.user,
            measures=data["measures"],
            level=data["level"],
            grain=data["grain"],
            first=data["first"],
            last=data["last"],
            counted=data["counted"],
            township_id=form.township_id,
            compare=data["compare"],
            total_label=_total_label(access),
        )
    return form, table


def _page(request, template):
    form, table = _pivot(request)
    valid = table is not None
    # An empty catalogue is no fault of the request: the page says so, with a 200.
    rejected = not valid and bool(form.indicator_by_code)
    context = {
        "form": form,
        "table": table,
        "error_summary": error_summary(form) if rejected else [],
        "reported_basis": REPORTED_BASIS,
        "grain_label": dict(Grain.CHOICES)[form.cleaned_data["grain"]] if valid else "",
        "counted_label": dict(Counted.CHOICES)[form.cleaned_data["counted"]] if valid else "",
        "query": request.GET.urlencode(),
    }
    return render(request, template, context, status=400 if rejected else 200)


@login_required
@require_safe
def pivot(request):
    """Indicators by area and period, each period beside the same period a year earlier."""
    return _page(request, "returns/report_pivot.html")


@login_required
@require_safe
def pivot_print(request):
    """The same table on a bare page for printing (A4 landscape)."""
    return _page(request, "returns/report_pivot_print.html")


def export_rows(table) -> list[list]:
    """The header, then for each indicator a line per area (and their total) and two lines
    of its returns counted and owed per period, by which a partial period shows; notes
    after a blank line. Figures are numbers, the change in per cent one too."""
    header = [_("Indicator"), _("Unit"), _("Area")]
    for period in table.periods:
        header.append(period.label)
        if table.compare:
            header += [
                period.previous_label,
                _("%(period)s: change") % {"period": period.label},
                _("%(period)s: change (%%)") % {"period": period.label},
            ]
    rows = [header]
    for block in table.blocks:
        measure = block.measure
        lead = [measure.local_name, measure.unit]
        for row in block.rows:
            line = [*lead, row.area.label]
            for cell in row.cells:
                line.append(export_number(cell.value))
                if table.compare:
                    line += [
                        export_number(cell.previous),
                        export_number(cell.change),
                        export_number(cell.change_percent),
                    ]
            rows.append(line)
        for label, side in ((_("Returns counted"), "reported"), (_("Returns owed"), "expected")):
            line = [*lead, label]
            for now, before in block.coverage:
                line.append(getattr(now, side))
                if table.compare:
                    line += [getattr(before, side), None, None]
            rows.append(line)
    notes = export_notes(table)
    if notes:
        rows += [[], *([note] for note in notes)]
    return rows


def export_notes(table) -> list[str]:
    notes = []
    if table.has_partial:
        notes.append(
            _(
                "A period with fewer returns counted than owed is partial: its figures are "
                "lower than the real ones."
            )
        )
    if table.has_sample:
        notes.append(
            _("Sample data: some figures are invented for demonstration, not official statistics.")
        )
    return notes


def _filename(table, extension):
    return f"pivot-{table.grain}-{table.first:%Y%m}-{table.last:%Y%m}.{extension}"


@login_required
@require_safe
def pivot_csv(request):
    """The table as CSV (UTF-8 with a byte-order mark, so that Excel reads the Chinese)."""
    form, table = _pivot(request)
    if table is None:
        return errors_response(form)
    return csv_response(_filename(table, "csv"), export_rows(table))


@login_required
@require_safe
def pivot_xlsx(request):
    """The table as an .xlsx workbook: numbers as numbers, the header and the indicator,
    unit and area columns frozen."""
    form, table = _pivot(request)
    if table is None:
        return errors_response(form)
    workbook = table_workbook(export_rows(table), title=_("Pivot table")[:31], freeze="D2")
    return xlsx_response(_filename(table, "xlsx"), workbook)
