"""The services hub: which communities' service work this user keeps, and one community's
pages (volunteers and the time bank, households, re-employment)."""

from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.views.decorators.http import require_safe

from chunan_community.paging import paginate
from communities.access import CLERK
from communities.models import Community
from services.permissions import services_community, services_staff


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
        {"access": access, "page": paginate(request, communities)},
    )


@login_required
@require_safe
def community_hub(request, code):
    """One community's service work: links to each part this user may open."""
    access = services_staff(request)
    community = services_community(request, code)
    return render(
        request,
        "services/community.html",
        {"community": community, "access": access, "personal": access.sees_personal_data},
    )
