"""Each person's workplace: the to-do list they land on after logging in, and the index of
the reports their role may open."""

from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_safe

from chunan_community.worklist import total_of
from communities.access import COUNTY, PUBLIC, TOWNSHIP, access_for
from communities.permissions import staff_access
from portal.navigation import work_of


@login_required
@require_safe
def todo(request):
    """Everything the user has to do, from every app, overdue first (where staff land)."""
    access = access_for(request.user)
    if access.role == PUBLIC:
        # An account without a place in the county tree has no work here.
        return redirect("portal:home")
    works = work_of(request)
    return render(
        request,
        "portal/todo.html",
        {
            "works": works,
            "total": total_of(works),
            "overdue": sum(1 for work in works for task in work.tasks if task.overdue),
            "today": timezone.localdate(),
        },
    )


def _reports(role) -> list[tuple[str, list[tuple[str, str, str]]]]:
    """(heading, [(title, lead, url)]) for each group of reports `role` may open."""
    returns = [
        (
            _("Figures by area"),
            _("One indicator summed by township or community, month by month, with a chart."),
            reverse("returns:aggregates"),
        ),
        (
            _("Cross-indicator table"),
            _(
                "Several indicators by area and period beside the year before, with the change:"
                " a pivot table to print or download."
            ),
            reverse("returns:pivot"),
        ),
    ]
    if role in (TOWNSHIP, COUNTY):
        returns.insert(
            0,
            (
                _("Reporting completeness"),
                _(
                    "Which communities reported which month, the on-time rate"
                    " and the overdue returns."
                ),
                reverse("returns:completeness"),
            ),
        )
    registry = [
        (
            _("Terms due"),
            _("Governance bodies whose term ends soon or has ended without an election."),
            reverse("communities:terms_due"),
        ),
        (
            _("Space standard"),
            _("Communities with less than 20 m² of office and activity space per 100 households."),
            reverse("communities:space_standard"),
        ),
    ]
    services = [
        (
            _("Service reports"),
            _("Coverage, service outlets, volunteer hours and time-bank balances."),
            reverse("services:reports"),
        )
    ]
    ratings = [
        (
            _("Rating results"),
            _("The results of each rating round, as the public sees them."),
            reverse("ratings:round_list"),
        )
    ]
    groups = [
        (_("Monthly returns"), returns),
        *(
            [
                (
                    _("Statistics"),
                    [
                        (
                            _("Statistics and published reports"),
                            _(
                                "The yearly report, the statistics bulletin and the circulars"
                                " on timely reporting: print, Excel, Word, publish."
                            ),
                            reverse("reports:manage"),
                        )
                    ],
                )
            ]
            if role in (TOWNSHIP, COUNTY)
            else []
        ),
        (_("Registry"), registry),
        (_("Services"), services),
        (_("Ratings"), ratings),
    ]
    return groups


@login_required
@require_safe
def reports(request):
    """The reports the user's role may open, each with a line saying what it shows."""
    access = staff_access(request.user)
    return render(request, "portal/reports.html", {"groups": _reports(access.role)})
