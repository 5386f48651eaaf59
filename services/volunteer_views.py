"""The clerk's pages for volunteers, sessions of service, the time bank (时间银行) and the
Party members' contribution points card (奉献积分卡): /services/<code>/volunteers/…

Volunteers are personal data: every page goes through `services_community(personal=True)`,
so only the community's own clerk and county staff open them (township staff 403, another
community 404). Lists show names and phones masked; only a volunteer's own page, its
printed statement and its export show them in full. Messages never carry a name: the
message storage may keep them in a (signed, not encrypted) cookie.
"""

import datetime
from decimal import Decimal

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.db.models import Count, Sum
from django.http import HttpResponseBadRequest
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_safe
from openpyxl import Workbook
from openpyxl.styles import Font

from chunan_community.errors import Refused, add_domain_errors
from chunan_community.forms import posted
from chunan_community.paging import paginate
from chunan_community.spreadsheets import append_row, xlsx_response
from services.domain import (
    ZERO,
    SessionRejected,
    service_record,
    service_record_batch,
    time_bank_balance,
    time_bank_draw,
    time_bank_statement,
)
from services.masking import mask_name, mask_phone
from services.models import (
    AssistedHousehold,
    ContributionPoints,
    ServiceRecord,
    TimeBankEntry,
    Volunteer,
)
from services.permissions import services_community, services_record
from services.volunteer_forms import (
    DEFAULT_ROWS,
    MAX_ROWS,
    DrawForm,
    PointsForm,
    SessionForm,
    StatementYearForm,
    VolunteerFilter,
    VolunteerForm,
    slip_formset,
)

GET_OR_POST = require_http_methods(["GET", "HEAD", "POST"])


# ---------- Access ----------


def _community(request, code, *, model=Volunteer, write=False):
    return services_community(request, code, personal=True, model=model, write=write)


def _volunteer(request, community, pk, *, write=False) -> Volunteer:
    """The community's volunteer `pk`, else 404; for a write, one this user may change."""
    return services_record(request, Volunteer, community=community, pk=pk, write=write)


def _detail_url(volunteer) -> str:
    return reverse(
        "services:volunteer_detail",
        kwargs={"code": volunteer.community.code, "pk": volunteer.pk},
    )


def _active_households(community) -> dict:
    rows = AssistedHousehold.objects.filter(community=community, active=True).order_by(
        "household_name", "id"
    )
    return {household.pk: household for household in rows}


# ---------- The list ----------


@login_required
@require_safe
def volunteer_list(request, code):
    """The community's volunteers, masked, each with their time-bank balance."""
    community = _community(request, code)
    volunteers = Volunteer.objects.filter(community=community).with_balance().order_by("name", "id")
    filterset = VolunteerFilter(request.GET, queryset=volunteers)
    page = paginate(request, filterset.qs)
    for volunteer in page:
        volunteer.masked_name = mask_name(volunteer.name)
        volunteer.masked_phone = mask_phone(volunteer.phone)
    return render(
        request,
        "services/volunteers/volunteer_list.html",
        {"community": community, "filter": filterset, "page": page},
    )


# ---------- A volunteer ----------


@login_required
@GET_OR_POST
def volunteer_create(request, code):
    """Register a volunteer of this community (the community comes from the URL)."""
    community = _community(request, code, write=True)
    volunteer = Volunteer(community=community)
    form = VolunteerForm(posted(request), instance=volunteer)
    if request.method == "POST" and form.is_valid():
        volunteer = form.save()
        messages.success(request, _("The volunteer is registered."))
        return redirect(_detail_url(volunteer))
    return _render_volunteer_form(request, community, form, None)


@login_required
@GET_OR_POST
def volunteer_edit(request, code, pk):
    community = _community(request, code, write=True)
    volunteer = _volunteer(request, community, pk, write=True)
    form = VolunteerForm(posted(request), instance=volunteer, editing=True)
    if request.method == "POST" and form.is_valid():
        form.save()
        messages.success(request, _("The volunteer's details are saved."))
        return redirect(_detail_url(volunteer))
    return _render_volunteer_form(request, community, form, volunteer)


def _render_volunteer_form(request, community, form, volunteer):
    return render(
        request,
        "services/volunteers/volunteer_form.html",
        {
            "community": community,
            "volunteer": volunteer,
            "form": form,
        },
    )


def _statement_year(request, volunteer):
    """The year form of the statement and the year chosen (None: all years)."""
    years = [
        day.year
        for day in TimeBankEntry.objects.filter(volunteer=volunteer).dates("on", "year", "DESC")
    ]
    form = StatementYearForm(request.GET or None, years=years)
    year = form.cleaned_data["year"] if form.is_bound and form.is_valid() else None
    return form, year


def _brought_forward(volunteer, year) -> Decimal | None:
    """The balance at the start of `year` (None when the statement covers all years)."""
    if year is None:
        return None
    return time_bank_balance(volunteer, before=datetime.date(year, 1, 1))


@login_required
@require_safe
def volunteer_detail(request, code, pk):
    """A volunteer in full: details, balance, the time-bank statement, service records."""
    community = _community(request, code)
    volunteer = _volunteer(request, community, pk)
    year_form, year = _statement_year(request, volunteer)
    records = ServiceRecord.objects.filter(volunteer=volunteer).select_related("household")
    return render(
        request,
        "services/volunteers/volunteer_detail.html",
        {
            "community": community,
            "volunteer": volunteer,
            "masked_name": mask_name(volunteer.name),
            "balance": time_bank_balance(volunteer),
            "year_form": year_form,
            "year": year,
            "brought_forward": _brought_forward(volunteer, year),
            "statement": paginate(request, time_bank_statement(volunteer, year)),
            "records": paginate(request, records.order_by("-served_on", "-id"), "records_page"),
            "is_party_member": volunteer.kind == Volunteer.Kind.PARTY_MEMBER,
        },
    )


# ---------- The statement: printed, in Excel ----------


def _statement_lines(request, code, pk):
    community = _community(request, code)
    volunteer = _volunteer(request, community, pk)
    year_form, year = _statement_year(request, volunteer)
    if year_form.is_bound and not year_form.is_valid():
        return volunteer, None, None, None
    lines = list(time_bank_statement(volunteer, year))
    return volunteer, year, _brought_forward(volunteer, year), lines


def _bad_year():
    return HttpResponseBadRequest(
        _("Choose a year in which the volunteer has entries."), content_type="text/plain"
    )


@never_cache
@login_required
@require_safe
def statement_print(request, code, pk):
    """The statement on one page, for printing and handing to the volunteer."""
    volunteer, year, brought_forward, lines = _statement_lines(request, code, pk)
    if lines is None:
        return _bad_year()
    deposited = sum((line.hours for line in lines if line.hours > 0), ZERO)
    drawn = sum((-line.hours for line in lines if line.hours < 0), ZERO)
    return render(
        request,
        "services/volunteers/statement_print.html",
        {
            "community": volunteer.community,
            "volunteer": volunteer,
            "masked_name": mask_name(volunteer.name),
            "year": year,
            "brought_forward": brought_forward,
            "lines": lines,
            "deposited": deposited,
            "drawn": drawn,
            "closing": lines[-1].balance if lines else (brought_forward or ZERO),
            "printed_on": timezone.localdate(),
        },
    )


@never_cache
@login_required
@require_safe
def statement_xlsx(request, code, pk):
    """The statement as an .xlsx workbook: hours and balances as numbers."""
    volunteer, year, brought_forward, lines = _statement_lines(request, code, pk)
    if lines is None:
        return _bad_year()
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = str(year) if year else _("Statement")[:31]
    bold = Font(bold=True)
    append_row(sheet, [_("Time-bank statement")])
    sheet["A1"].font = bold
    append_row(sheet, [_("Community"), volunteer.community.local_name])
    append_row(sheet, [_("Volunteer"), volunteer.name])
    append_row(sheet, [_("Year"), year or _("All years")])
    append_row(sheet, [_("Balance brought forward"), brought_forward])
    append_row(sheet, [])
    header = [_("Date"), _("Kind"), _("Note"), _("Hours"), _("Balance")]
    append_row(sheet, header)
    header_row = sheet.max_row
    for cell in sheet[header_row]:
        cell.font = bold
    for line in lines:
        append_row(
            sheet,
            [
                line.on,
                str(line.get_kind_display()),
                line.note,
                Decimal(line.hours),
                Decimal(line.balance),
            ],
        )
    for row in sheet.iter_rows(min_row=header_row + 1, min_col=1, max_col=1):
        row[0].number_format = "yyyy-mm-dd"
    for row in sheet.iter_rows(min_row=header_row + 1, min_col=4, max_col=5):
        for cell in row:
            cell.number_format = "0.00"
    for column, width in zip("ABCDE", (12, 26, 40, 10, 10), strict=True):
        sheet.column_dimensions[column].width = width
    sheet.freeze_panes = sheet.cell(row=header_row + 1, column=1)
    filename = f"time-bank-{volunteer.community.code}-{volunteer.pk}"
    filename += f"-{year}.xlsx" if year else ".xlsx"
    return xlsx_response(filename, workbook)


# ---------- Sessions of service, draws ----------


@login_required
@GET_OR_POST
def session_record(request, code, pk):
    """Record a session of service given by this volunteer; it deposits its hours."""
    community = _community(request, code, write=True)
    volunteer = _volunteer(request, community, pk, write=True)
    households = _active_households(community)
    form = SessionForm(posted(request), volunteer=volunteer, households=households)
    if request.method == "POST" and form.is_valid():
        try:
            record = service_record(**form.session(), by=request.user)
        except ValidationError as error:
            add_domain_errors(form, error)
        else:
            messages.success(
                request,
                _("Recorded %(hours)s hours of service. The balance is now %(balance)s hours.")
                % {"hours": record.hours.quantize(ZERO), "balance": time_bank_balance(volunteer)},
            )
            return redirect(_detail_url(volunteer))
    return _render_entry(request, "session_form.html", volunteer, form)


@login_required
@GET_OR_POST
def time_bank_withdraw(request, code, pk):
    """Draw hours for service the volunteer or their family received; the floor holds."""
    community = _community(request, code, write=True)
    volunteer = _volunteer(request, community, pk, write=True)
    form = DrawForm(posted(request), volunteer=volunteer)
    if request.method == "POST" and form.is_valid():
        hours = form.cleaned_data["hours"].quantize(ZERO)
        try:
            time_bank_draw(
                volunteer=volunteer,
                hours=hours,
                on=form.cleaned_data["on"],
                note=form.cleaned_data["note"],
                by=request.user,
            )
        except Refused as refused:
            form.add_error("hours", str(refused))
        except ValidationError as error:
            add_domain_errors(form, error)
        else:
            messages.success(
                request,
                _("Drew %(hours)s hours. The balance is now %(balance)s hours.")
                % {"hours": hours, "balance": time_bank_balance(volunteer)},
            )
            return redirect(_detail_url(volunteer))
    return _render_entry(request, "draw_form.html", volunteer, form)


def _render_entry(request, template, volunteer, form):
    return render(
        request,
        f"services/volunteers/{template}",
        {
            "community": volunteer.community,
            "volunteer": volunteer,
            "masked_name": mask_name(volunteer.name),
            "balance": time_bank_balance(volunteer),
            "form": form,
        },
    )


# ---------- Paper slips (office entry) ----------


def _rows(request) -> int:
    """How many blank rows to show: ?rows=N, at most MAX_ROWS."""
    try:
        rows = int(request.GET.get("rows", DEFAULT_ROWS))
    except ValueError:
        return DEFAULT_ROWS
    return max(1, min(rows, MAX_ROWS))


@login_required
@GET_OR_POST
def sessions_bulk(request, code):
    """Type in a stack of paper slips: blank rows are ignored; one bad row saves nothing."""
    community = _community(request, code, write=True)
    volunteers = {
        volunteer.pk: volunteer
        for volunteer in Volunteer.objects.filter(community=community, active=True).order_by(
            "name", "id"
        )
    }
    for volunteer in volunteers.values():
        volunteer.community = community
    kwargs = {
        "form_kwargs": {"volunteers": volunteers, "households": _active_households(community)},
        "prefix": "slips",
    }
    rows = _rows(request)
    formset_class = slip_formset(rows)
    if request.method != "POST":
        formset = formset_class(**kwargs)
    else:
        formset = formset_class(request.POST, **kwargs)
        if formset.is_valid():
            filled = formset.filled()
            try:
                records = service_record_batch(
                    sessions=[form.session() for form in filled], by=request.user
                )
            except SessionRejected as rejected:
                add_domain_errors(filled[rejected.index], rejected.error)
            else:
                hours = sum((record.hours for record in records), ZERO).quantize(ZERO)
                messages.success(
                    request,
                    ngettext(
                        "Recorded %(count)s session of service, %(hours)s hours in all.",
                        "Recorded %(count)s sessions of service, %(hours)s hours in all.",
                        len(records),
                    )
                    % {"count": len(records), "hours": hours},
                )
                return redirect(request.get_full_path())
    return render(
        request,
        "services/volunteers/sessions_bulk.html",
        {
            "community": community,
            "formset": formset,
            "rows": rows,
            "row_choices": [row for row in (10, 20, 30, 50) if row <= MAX_ROWS],
            "has_volunteers": bool(volunteers),
        },
    )


# ---------- Contribution points card (奉献积分卡) ----------


@login_required
@GET_OR_POST
def points_card(request, code, pk):
    """A Party member's card: the lines, yearly totals, and a form to add points."""
    writing = request.method == "POST"
    community = _community(request, code, model=ContributionPoints, write=writing)
    volunteer = _volunteer(request, community, pk, write=writing)
    context = {
        "community": community,
        "volunteer": volunteer,
        "masked_name": mask_name(volunteer.name),
    }
    if volunteer.kind != Volunteer.Kind.PARTY_MEMBER:
        # Not an error of the user's: say what the card is for; nothing is saved.
        return render(
            request,
            "services/volunteers/points_card.html",
            {**context, "not_party_member": True},
            status=409 if writing else 200,
        )
    form = PointsForm(posted(request), instance=ContributionPoints(volunteer=volunteer))
    if writing and form.is_valid():
        line = form.save()
        messages.success(
            request,
            _("Added %(points)s points to the card for %(year)s.")
            % {"points": line.points, "year": line.year},
        )
        return redirect("services:volunteer_points", code=community.code, pk=volunteer.pk)
    lines = ContributionPoints.objects.filter(volunteer=volunteer).order_by("-year", "on", "id")
    totals = list(
        ContributionPoints.objects.filter(volunteer=volunteer)
        .values("year")
        .annotate(points=Sum("points"), lines=Count("id"))
        .order_by("-year")
    )
    return render(
        request,
        "services/volunteers/points_card.html",
        {
            **context,
            "form": form,
            "page": paginate(request, lines),
            "totals": totals,
            "grand_total": sum(total["points"] for total in totals),
        },
    )
