"""Reusable reads of the registry."""

import datetime

from django.conf import settings
from django.db.models import Count, F, OuterRef, Prefetch, Q, Subquery, Sum, Window
from django.db.models.functions import Coalesce, RowNumber
from django.utils import timezone

from communities.models import (
    CoBuildingPairing,
    Community,
    Facility,
    Formation,
    GovernanceBody,
    Honour,
    Term,
    Township,
)


def townships_with_communities(townships, communities, *, per_township):
    """Set on each of `townships` `.listed`: its first `per_township` communities of
    `communities`, by code (one query, whatever the number of communities)."""
    first = (
        communities.filter(township__in=[township.pk for township in townships])
        .annotate(
            position=Window(RowNumber(), partition_by=[F("township_id")], order_by=F("code").asc())
        )
        .filter(position__lte=per_township)
        .order_by("township_id", "code")
    )
    listed = {}
    for community in first:
        listed.setdefault(community.township_id, []).append(community)
    for township in townships:
        township.listed = listed.get(township.pk, [])
    return townships


def county_overview():
    """The public home page's figures: one row per township that has active communities
    (its count, households and residents), and the county totals. Two queries."""
    active = Q(communities__status=Community.Status.ACTIVE)
    townships = (
        Township.objects.annotate(
            community_count=Count("communities", filter=active),
            household_total=Sum("communities__households", filter=active),
            resident_total=Sum("communities__residents", filter=active),
        )
        .filter(community_count__gt=0)
        .order_by("sort_order", "code")
    )
    # Honours are counted in a subquery: joining them into the aggregate would repeat each
    # community once per honour and inflate the household and resident sums.
    honours = (
        Honour.objects.filter(community=OuterRef("pk"))
        .order_by()
        .values("community")
        .annotate(n=Count("pk"))
        .values("n")
    )
    totals = (
        Community.objects.public()
        .annotate(honour_count=Coalesce(Subquery(honours), 0))
        .aggregate(
            communities=Count("pk"),
            households=Sum("households"),
            residents=Sum("residents"),
            honours=Sum("honour_count"),
            sample_figures=Count("pk", filter=Q(figures_are_sample=True)),
        )
    )
    return list(townships), totals


def current_terms():
    """Each governance body annotated with the dates of its latest (current) term."""
    latest = Term.objects.filter(body=OuterRef("pk")).order_by("-starts_on")
    return GovernanceBody.objects.annotate(
        term_number=Subquery(latest.values("number")[:1]),
        term_starts=Subquery(latest.values("starts_on")[:1]),
        term_ends=Subquery(latest.values("ends_on")[:1]),
    )


def terms_due(user, *, days=None, today=None):
    """Governance bodies whose current term ends within `days` (or has already ended).

    Overdue ones come first: a term that ended without a successor is the most urgent.
    """
    today = today or timezone.localdate()
    days = settings.TERMS_DUE_DAYS if days is None else days
    horizon = today + datetime.timedelta(days=days)
    return (
        current_terms()
        .visible_to(user)
        .filter(term_ends__lte=horizon, community__status=Community.Status.ACTIVE)
        .select_related("community__township")
        .order_by("term_ends", "community__code", "kind")
    )


def below_space_standard(user):
    return (
        Community.objects.visible_to(user)
        .public()
        .below_space_standard()
        .select_related("township")
        .order_by("-space_gap", "code")
    )


def community_record(community):
    """Everything the workspace shows of one community, in a fixed number of queries."""
    bodies = (
        current_terms()
        .filter(community=community)
        .prefetch_related(
            Prefetch("terms", queryset=Term.objects.order_by("-starts_on")),
            "branches",
        )
    )
    return {
        "bodies": list(bodies),
        "formations": list(
            Formation.objects.filter(community=community).select_related(
                "former_area", "restructuring"
            )
        ),
        "facilities": list(Facility.objects.filter(community=community)),
        "honours": list(Honour.objects.filter(community=community)),
        "pairings": list(
            CoBuildingPairing.objects.filter(community=community).select_related(
                "unit", "party_branch"
            )
        ),
    }
