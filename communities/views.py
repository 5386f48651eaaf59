import datetime

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.db.models import Count, Q, Sum
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.http import require_safe

from chunan_community.paging import paginate
from chunan_community.public_cache import public_page
from communities import sections
from communities.access import CLERK, JUDGE, access_for
from communities.filters import CommunityFilter
from communities.forms import TermsDueForm
from communities.models import Community, FacilityKind, GovernanceBody, Honour
from communities.permissions import can_change, get_community_for_user, staff_access
from communities.queries import (
    below_space_standard,
    community_record,
    describe_changes,
    record_history,
    terms_due,
)
from communities.record_forms import sections_for

# The changes to a community's record its workspace page shows; the rest on the history page.
LATEST_CHANGES = 5


def _local_township_labels(form):
    """Township choices in the page's language (the model's __str__ is always Chinese)."""
    form.fields["township"].label_from_instance = lambda township: township.local_name
    return form


def _arranged(record):
    """The record of `community_record` arranged for the templates, without more queries.

    Adds: the restructuring history grouped by restructuring, honours grouped by level
    (highest first), the nine-facility checklist, the Party branches and their counts,
    the pairings still running, and on each body its current term and whether its term
    election (换届) is due within TERMS_DUE_DAYS or overdue.
    """
    today = timezone.localdate()
    horizon = today + datetime.timedelta(days=settings.TERMS_DUE_DAYS)

    history = {}
    for formation in record["formations"]:
        history.setdefault(formation.restructuring, []).append(formation.former_area)

    branches = []
    for body in record["bodies"]:
        terms = list(body.terms.all())
        body.current_term = terms[0] if terms else None
        body.term_overdue = body.term_ends is not None and body.term_ends < today
        body.term_due = body.term_ends is not None and body.term_ends <= horizon
        if body.kind == GovernanceBody.Kind.PARTY:
            branches.extend(body.branches.all())

    facilities = {facility.kind: facility for facility in record["facilities"]}
    return {
        "history": [
            {
                "restructuring": restructuring,
                "areas": areas,
                "is_sample": any(area.is_sample for area in areas),
            }
            for restructuring, areas in history.items()
        ],
        "honour_groups": [
            (level.label, group)
            for level in reversed(Honour.Level)
            if (group := [h for h in record["honours"] if h.level == level])
        ],
        "facility_checklist": [(kind.label, facilities.get(kind)) for kind in FacilityKind],
        "facilities_present": sum(f.present for f in record["facilities"]),
        "facility_total": len(FacilityKind),
        "branches": branches,
        "building_branch_count": sum(b.is_building_level for b in branches),
        "current_pairings": [
            p for p in record["pairings"] if p.ended_on is None or p.ended_on >= today
        ],
    }


@require_safe
@public_page
def community_directory(request):
    """Public directory of active communities, filterable by township and name."""
    queryset = Community.objects.public().select_related("township")
    filterset = CommunityFilter(request.GET, queryset=queryset)
    _local_township_labels(filterset.form)
    return render(
        request,
        "communities/community_list.html",
        {"filter": filterset, "page": paginate(request, filterset.qs)},
    )


@require_safe
@public_page
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
            **record,
            **_arranged(record),
            **sections.context(sections.PROFILE, community),
        },
    )


@login_required
@require_safe
def workspace(request):
    """The staff start page: the communities in the user's scope and what needs doing.

    Where a log-in lands (LOGIN_REDIRECT_URL): a clerk goes on to their community, a
    review-panel judge, who keeps no registry, to their rating rounds."""
    if access_for(request.user).role == JUDGE:
        return redirect("ratings:staff_round_list")
    access = staff_access(request.user)
    communities = Community.objects.visible_to(request.user).select_related("township")
    if access.role == CLERK:
        return redirect(communities.get().get_workspace_url())
    filterset = CommunityFilter(request.GET, queryset=communities)
    _local_township_labels(filterset.form)
    return render(
        request,
        "communities/workspace.html",
        {
            "filter": filterset,
            "page": paginate(request, filterset.qs),
            "terms_due_count": terms_due(request.user).count(),
            "below_standard_count": below_space_standard(request.user).count(),
        },
    )


@login_required
@require_safe
def workspace_community(request, code):
    """A community's full record, for the staff whose scope includes it (else 404): links
    to the record pages the user may edit, and its latest changes."""
    staff_access(request.user)
    community = get_community_for_user(request.user, code)
    record = community_record(community)
    editable = can_change(request.user, Community, community)
    return render(
        request,
        "communities/workspace_community.html",
        {
            "community": community,
            "can_change": editable,
            "edit_sections": sections_for(request.user, community) if editable else [],
            "latest_changes": describe_changes(record_history(community)[:LATEST_CHANGES]),
            "terms_due_days": settings.TERMS_DUE_DAYS,
            **record,
            **_arranged(record),
            **sections.context(sections.WORKSPACE, community),
        },
    )


@login_required
@require_safe
def terms_due_list(request):
    """Term elections (换届) falling due in the coming days, in the user's scope."""
    staff_access(request.user)
    form = _local_township_labels(TermsDueForm(request.GET or None))
    days, township = settings.TERMS_DUE_DAYS, None
    if form.is_valid():
        days = form.cleaned_data["days"] or days
        township = form.cleaned_data["township"]
    queryset = terms_due(request.user, days=days)
    if township:
        queryset = queryset.filter(community__township=township)
    page = paginate(request, queryset)
    today = timezone.localdate()
    for body in page:
        body.days_left = (body.term_ends - today).days
    return render(
        request,
        "communities/terms_due.html",
        {"form": form, "days": days, "page": page},
    )


@login_required
@require_safe
def space_standard_list(request):
    """Communities below 20 m² per 100 households, with their shortfall."""
    staff_access(request.user)
    queryset = below_space_standard(request.user)
    filterset = CommunityFilter(request.GET, queryset=queryset)
    _local_township_labels(filterset.form)
    rows = filterset.qs
    return render(
        request,
        "communities/space_standard.html",
        {
            "filter": filterset,
            "page": paginate(request, rows),
            "total_shortfall": rows.aggregate(total=Sum("space_gap"))["total"] or 0,
        },
    )
