"""The services hub: which communities' service work this user keeps, and one community's
pages (volunteers and the time bank, households, re-employment)."""

from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.views.decorators.http import require_safe

from chunan_community.paging import paginate
from communities.access import CLERK
from communities.models import Community
from services.admission import admitted_tasks_for
from services.models import AdmissionRequest, AssistedHousehold, Volunteer
from services.permissions import services_community, services_staff
from services.report_views import REPORTS


@login_required
@require_safe
def hub(request):
    """The communities in scope, each linking to its services pages; a clerk goes straight
    to their own community."""
    access = services_staff(request)
    communities = Community.objects.visible_to(request.user).select_related("township")
    if access.role == CLERK:
        community = communities.first()
        if community is not None:
            return redirect("services:community", code=community.code)
    return render(
        request,
        "services/hub.html",
        {
            "access": access,
            "page": paginate(request, communities),
            "report_count": len(REPORTS),
            # One count, whatever the number of requests: what the county still has to decide.
            "admission_waiting": AdmissionRequest.objects.filter(
                status=AdmissionRequest.Status.SUBMITTED
            ).count(),
        },
    )


@login_required
@require_safe
def community_hub(request, code):
    """One community's service work: a card for each part this user may open, with its count
    (one query each, whatever the number of records)."""
    access = services_staff(request)
    community = services_community(request, code)
    personal = access.sees_personal_data
    counts = {"tasks": admitted_tasks_for(community).count()}
    if personal:
        counts["volunteers"] = Volunteer.objects.filter(community=community, active=True).count()
        counts["households"] = AssistedHousehold.objects.filter(
            community=community, active=True
        ).count()
    return render(
        request,
        "services/community.html",
        {"community": community, "access": access, "personal": personal, "counts": counts},
    )
