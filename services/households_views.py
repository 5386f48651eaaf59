"""Paired assistance (结对帮困) pages: households, their helpers, visits.

Households are personal data: every page asks `services_community(..., personal=True)`,
so only the community's own clerk and county staff open them. Lists show names and phones
masked; the household's own page is the one place with the full name and phone.
"""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from chunan_community.errors import add_domain_errors
from chunan_community.months import add_months, month_start
from chunan_community.paging import paginate
from services import households_domain as domain
from services.households_forms import (
    HouseholdFilter,
    HouseholdForm,
    PairingEndForm,
    PairingForm,
    VisitFilterForm,
    VisitForm,
)
from services.households_queries import (
    households_of,
    pairings_of,
    units_for,
    visit_totals,
    visits_of_community,
    volunteers_of,
)
from services.masking import mask_name, mask_phone
from services.models import AssistanceVisit, AssistedHousehold, HelperPairing
from services.permissions import may_add, may_change, services_community, services_record


def _household(request, community, pk, *, write=False) -> AssistedHousehold:
    """The household `pk` of this community, or 404 (also for another community's); for a
    write, one this user may change."""
    return services_record(request, AssistedHousehold, community=community, pk=pk, write=write)


def _detail_url(community, household, anchor=""):
    url = reverse("services:household_detail", kwargs={"code": community.code, "pk": household.pk})
    return f"{url}#{anchor}" if anchor else url


# ---------- Households ----------


@login_required
@require_safe
def household_list(request, code):
    """The community's households, masked, with this year's visits and current helpers."""
    community = services_community(request, code, personal=True)
    today = timezone.localdate()
    filterset = HouseholdFilter(request.GET, queryset=households_of(community, today))
    page = paginate(request, filterset.qs)
    for household in page:
        household.masked_name = mask_name(household.household_name)
        household.masked_phone = mask_phone(household.phone)
    return render(
        request,
        "services/household_list.html",
        {
            "community": community,
            "filter": filterset,
            "page": page,
            "year": today.year,
            "may_add": may_add(request.user, AssistedHousehold),
        },
    )


def _household_form(request, community, household):
    creating = household.pk is None
    if request.method == "POST":
        form = HouseholdForm(request.POST)
        if form.is_valid():
            try:
                domain.household_save(household=household, **form.cleaned_data)
            except ValidationError as error:
                add_domain_errors(form, error)
            else:
                messages.success(
                    request,
                    _("The household was added.")
                    if creating
                    else _("The household's details were saved."),
                )
                return redirect(_detail_url(community, household))
    elif creating:
        form = HouseholdForm()
    else:
        form = HouseholdForm(initial=HouseholdForm.initial_for(household))
    return render(
        request,
        "services/household_form.html",
        {"community": community, "household": household, "creating": creating, "form": form},
    )


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def household_add(request, code):
    community = services_community(
        request, code, personal=True, model=AssistedHousehold, write=True
    )
    return _household_form(request, community, AssistedHousehold(community=community))


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def household_edit(request, code, pk):
    community = services_community(
        request, code, personal=True, model=AssistedHousehold, write=True
    )
    household = _household(request, community, pk, write=True)
    return _household_form(request, community, household)


def _pairing_form(data, community, today):
    paired_units, other_units = units_for(community, today)
    return PairingForm(
        data,
        paired_units=paired_units,
        other_units=other_units,
        volunteers=volunteers_of(community),
        initial={"started_on": today},
    )


def _render_detail(request, community, household, *, pairing_form=None, ended=None):
    """The household page; `pairing_form` or `ended` = (pairing id, form) carry a rejected
    submission back to the page with its errors and the typed values."""
    today = timezone.localdate()
    may_pair = may_add(request.user, HelperPairing)
    if pairing_form is None and may_pair:
        pairing_form = _pairing_form(None, community, today)
    may_end = may_change(request.user, HelperPairing)
    pairings = list(pairings_of(household))
    for pairing in pairings:
        if pairing.ended_on is None and may_end:
            if ended is not None and ended[0] == pairing.pk:
                pairing.end_form = ended[1]
            else:
                pairing.end_form = PairingEndForm(
                    prefix=f"end-{pairing.pk}", initial={"ended_on": today}
                )
    rejected = [
        form for form in (pairing_form, ended and ended[1]) if form is not None and form.errors
    ]
    visits = household.visits.select_related("by_volunteer").order_by("-visited_on", "-id")
    return render(
        request,
        "services/household_detail.html",
        {
            "community": community,
            "household": household,
            "pairings": pairings,
            "pairing_form": pairing_form,
            "error_form": rejected[0] if rejected else None,
            "visits": paginate(request, visits),
            "may_edit": may_change(request.user, AssistedHousehold, household),
            "may_pair": may_pair,
            "may_visit": may_add(request.user, AssistanceVisit),
        },
    )


@login_required
@require_safe
def household_detail(request, code, pk):
    """The household in full: name and phone, helpers, and the visit log, newest first."""
    community = services_community(request, code, personal=True)
    return _render_detail(request, community, _household(request, community, pk))


# ---------- Helpers ----------


@login_required
@require_POST
def helper_add(request, code, pk):
    community = services_community(request, code, personal=True, model=HelperPairing, write=True)
    household = _household(request, community, pk)
    form = _pairing_form(request.POST, community, timezone.localdate())
    if form.is_valid():
        try:
            domain.helper_pair(household=household, **form.cleaned_data)
        except ValidationError as error:
            add_domain_errors(form, error)
        else:
            messages.success(request, _("The helper was paired with the household."))
            return redirect(_detail_url(community, household, "helpers"))
    return _render_detail(request, community, household, pairing_form=form)


@login_required
@require_POST
def helper_end(request, code, pk, pairing_pk):
    community = services_community(request, code, personal=True, model=HelperPairing, write=True)
    household = _household(request, community, pk)
    pairing = services_record(
        request, HelperPairing, household=household, pk=pairing_pk, write=True
    )
    form = PairingEndForm(request.POST, prefix=f"end-{pairing.pk}")
    if form.is_valid():
        try:
            domain.helper_end(pairing=pairing, **form.cleaned_data)
        except ValidationError as error:
            add_domain_errors(form, error)
        else:
            messages.success(request, _("The pairing was ended."))
            return redirect(_detail_url(community, household, "helpers"))
    return _render_detail(request, community, household, ended=(pairing.pk, form))


# ---------- Visits ----------


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def visit_add(request, code, pk):
    """Record a visit to the household: the date, the help given, who went, for how long."""
    community = services_community(request, code, personal=True, model=AssistanceVisit, write=True)
    household = _household(request, community, pk)
    volunteers = volunteers_of(community)
    if request.method == "POST":
        form = VisitForm(request.POST, volunteers=volunteers)
        if form.is_valid():
            try:
                domain.visit_record(household=household, **form.cleaned_data)
            except ValidationError as error:
                add_domain_errors(form, error)
            else:
                messages.success(request, _("The visit was recorded."))
                return redirect(_detail_url(community, household, "visits"))
    else:
        needed = [
            kind
            for kind in ("hardship", "medical", "schooling")
            if getattr(household, f"help_{kind}")
        ]
        form = VisitForm(
            volunteers=volunteers,
            initial={"visited_on": timezone.localdate(), "kind": needed[0] if needed else ""},
        )
    return render(
        request,
        "services/visit_form.html",
        {"community": community, "household": household, "form": form},
    )


@login_required
@require_safe
def visit_list(request, code):
    """The community's visits of one month (this month unless chosen), households masked."""
    community = services_community(request, code, personal=True)
    this_month = month_start(timezone.localdate())
    form = VisitFilterForm(request.GET)
    if form.is_valid():
        month, visits = form.visits(visits_of_community(community), this_month)
    else:
        month, visits = None, AssistanceVisit.objects.none()
    page = paginate(request, visits)
    for visit in page:
        visit.household_masked = mask_name(visit.household.household_name)
        visit.volunteer_masked = mask_name(visit.by_volunteer.name) if visit.by_volunteer else ""
    return render(
        request,
        "services/visit_list.html",
        {
            "community": community,
            "form": form,
            "month": month,
            "previous_month": add_months(month, -1) if month else None,
            "next_month": add_months(month, 1) if month and month < this_month else None,
            "page": page,
            "totals": visit_totals(visits) if month else None,
        },
    )
