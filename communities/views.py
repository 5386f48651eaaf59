from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db.models import Count, Q, Sum
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_safe

from communities.access import CLERK, access_for
from communities.filters import CommunityFilter
from communities.forms import TermsDueForm
from communities.models import Community, FacilityKind
from communities.permissions import can_change, get_community_for_user
from communities.queries import below_space_standard, community_record, terms_due


def _page(request, queryset):
    return Paginator(queryset, settings.PAGE_SIZE).get_page(request.GET.get("page"))


@require_safe
def community_directory(request):
    """Public directory of active communities, filterable by township and name."""
    queryset = Community.objects.public().select_related("township")
    filterset = CommunityFilter(request.GET, queryset=queryset)
    return render(
        request,
        "communities/community_list.html",
        {"filter": filterset, "page": _page(request, filterset.qs)},
    )


@require_safe
def community_profile(request, code):
    """Public profile: public fields only, no personal data."""
    community = get_object_or_404(
        Community.objects.public()
        .select_related("township")
        .annotate(facilities_present=Count("facilities", filter=Q(facilities__present=True))),
        code=code,
    )
    record = community_record(community)
    return render(
        request,
        "communities/community_profile.html",
        {
            "community": community,
            "facility_total": len(FacilityKind),
            **record,
        },
    )


def _registry_access(request):
    access = access_for(request.user)
    if not access.keeps_registry:
        raise PermissionDenied
    return access


@login_required
@require_safe
def workspace(request):
    """The staff start page: the communities in the user's scope and what needs doing."""
    access = _registry_access(request)
    communities = Community.objects.visible_to(request.user).select_related("township")
    if access.role == CLERK:
        return redirect(communities.get().get_workspace_url())
    filterset = CommunityFilter(request.GET, queryset=communities)
    return render(
        request,
        "communities/workspace.html",
        {
            "filter": filterset,
            "page": _page(request, filterset.qs),
            "terms_due_count": terms_due(request.user).count(),
            "below_standard_count": below_space_standard(request.user).count(),
        },
    )


@login_required
@require_safe
def workspace_community(request, code):
    """A community's full record, for the staff whose scope includes it (else 404)."""
    _registry_access(request)
    community = get_community_for_user(request.user, code)
    return render(
        request,
        "communities/workspace_community.html",
        {
            "community": community,
            "can_change": can_change(request.user, Community, community),
            "facility_total": len(FacilityKind),
            **community_record(community),
        },
    )


@login_required
@require_safe
def terms_due_list(request):
    """Term elections (换届) falling due in the coming days, in the user's scope."""
    _registry_access(request)
    form = TermsDueForm(request.GET or None)
    days, township = settings.TERMS_DUE_DAYS, None
    if form.is_valid():
        days = form.cleaned_data["days"] or days
        township = form.cleaned_data["township"]
    queryset = terms_due(request.user, days=days)
    if township:
        queryset = queryset.filter(community__township=township)
    return render(
        request,
        "communities/terms_due.html",
        {"form": form, "days": days, "page": _page(request, queryset)},
    )


@login_required
@require_safe
def space_standard_list(request):
    """Communities below 20 m² per 100 households, with their shortfall."""
    _registry_access(request)
    queryset = below_space_standard(request.user)
    filterset = CommunityFilter(request.GET, queryset=queryset)
    rows = filterset.qs
    return render(
        request,
        "communities/space_standard.html",
        {
            "filter": filterset,
            "page": _page(request, rows),
            "total_shortfall": rows.aggregate(total=Sum("space_gap"))["total"] or 0,
        },
    )
