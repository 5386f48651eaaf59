"""Monthly returns in and out of Excel: the template, the checked import, the exports.

County, township and community staff use these within their area; anyone else gets 403,
and an import made by another user does not exist for you (404).
"""

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_http_methods, require_safe

from chunan_community.errors import Refused
from chunan_community.forms import posted, posted_files
from chunan_community.spreadsheets import (
    csv_stream_response,
    xlsx_file_response,
    xlsx_response,
)
from communities.models import Community, ReturnImport
from communities.permissions import staff_access
from communities.returns.excel import (
    RETURNS_SHEET,
    export_header,
    export_indicators,
    export_lines,
    export_returns,
    template_workbook,
)
from communities.returns.forms import ExportForm, TemplateForm, UploadForm, last_month
from communities.returns.imports import (
    import_preview,
    return_import_apply,
    return_import_create,
)

# ---------- Forms ----------


# ---------- Views ----------


def _invalid(request, form, title):
    """A filter the portal cannot use: 400 with what is wrong, never a 500."""
    return render(request, "returns/io_invalid.html", {"form": form, "title": title}, status=400)


@login_required
@require_safe
def return_template(request):
    """The .xlsx to fill in for a month, prefilled for the user's area."""
    staff_access(request.user)
    form = TemplateForm(request.GET)
    if not form.is_valid():
        return _invalid(request, form, _("The template cannot be made"))
    period = form.cleaned_data["month"]
    communities = (
        Community.objects.visible_to(request.user)
        .filter(status=Community.Status.ACTIVE)
        .select_related("township")
    )
    return xlsx_response(
        f"returns-{period:%Y-%m}.xlsx",
        template_workbook(communities=communities, period=period, user=request.user),
    )


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def return_import(request):
    """Upload a filled-in workbook; it is checked, then shown for confirmation."""
    staff_access(request.user)
    form = UploadForm(posted(request), posted_files(request))
    if request.method == "POST" and form.is_valid():
        try:
            checked = return_import_create(upload=form.cleaned_data["file"], by=request.user)
        except Refused as refused:
            form.add_error("file", refused.message)
        else:
            return redirect("returns:import_preview", pk=checked.pk)
    return render(
        request,
        "returns/io_import.html",
        {
            "form": form,
            "template_form": TemplateForm(initial={"month": f"{last_month():%Y-%m}"}),
            "export_form": ExportForm(user=request.user),
            "recent": ReturnImport.objects.filter(uploaded_by=request.user)[:10],
            "max_mb": f"{settings.RETURN_UPLOAD_MAX_BYTES / 1024 / 1024:g}",
        },
    )


def _import_for_user(request, pk) -> ReturnImport:
    """The import if the user uploaded it (the county sees all); else Http404."""
    access = staff_access(request.user)
    imports = ReturnImport.objects.select_related("uploaded_by")
    if not access.is_county:
        imports = imports.filter(uploaded_by=request.user)
    return get_object_or_404(imports, pk=pk)


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def return_import_preview(request, pk):
    """Every row and every error of an upload; POST confirms it, all or nothing."""
    return_import = _import_for_user(request, pk)
    if request.method == "POST":
        try:
            count = return_import_apply(return_import=return_import, by=request.user)
        except Refused as refused:
            messages.error(request, refused.message)
        else:
            messages.success(
                request,
                ngettext("%(count)d return imported.", "%(count)d returns imported.", count)
                % {"count": count},
            )
        return redirect("returns:import_preview", pk=return_import.pk)
    return render(
        request,
        "returns/io_preview.html",
        {"import": return_import, **import_preview(return_import)},
    )


def _export_selection(request):
    """(header, lines) of the filtered returns, or the 400 response for a bad filter."""
    staff_access(request.user)
    form = ExportForm(request.GET, user=request.user)
    if not form.is_valid():
        return None, _invalid(request, form, _("The export cannot be made"))
    filters = form.cleaned_data
    indicators = export_indicators(filters["month_from"], filters["month_to"])
    returns = export_returns(request.user, **filters)
    return (export_header(indicators), export_lines(returns, indicators)), None


def _export_name(extension: str) -> str:
    return f"monthly-returns-{timezone.localdate():%Y%m%d}.{extension}"


@login_required
@require_safe
def return_export_csv(request):
    """The selection as CSV, streamed: a county-wide export never sits in memory whole."""
    selection, invalid = _export_selection(request)
    if invalid:
        return invalid
    header, lines = selection
    return csv_stream_response(_export_name("csv"), header, lines)


@login_required
@require_safe
def return_export_xlsx(request):
    """The selection as .xlsx, written in openpyxl's write-only mode to a temporary file."""
    selection, invalid = _export_selection(request)
    if invalid:
        return invalid
    header, lines = selection
    return xlsx_file_response(_export_name("xlsx"), header, lines, title=RETURNS_SHEET)
