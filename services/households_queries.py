"""Reads of paired assistance (结对帮困): households with their visit figures, the visit log.

Every list here costs the same number of queries whatever its length: figures are
annotations and the helpers a single prefetch.
"""

import datetime

from django.db.models import Count, Max, Prefetch, Q, Sum

from communities.models import CoBuildingUnit
from services.models import AssistanceVisit, AssistedHousehold, HelperPairing, Volunteer


def current_pairings(today: datetime.date):
    """Pairings still running on `today`, with their helper."""
    return (
        HelperPairing.objects.filter(Q(ended_on__isnull=True) | Q(ended_on__gt=today))
        .select_related("co_building_unit", "volunteer")
        .order_by("started_on", "id")
    )


def households_of(community, today: datetime.date):
    """The community's households, each with `visits_this_year`, `last_visit` and its
    current helpers prefetched as `current_helpers`."""
    return (
        AssistedHousehold.objects.filter(community=community)
        .annotate(
            visits_this_year=Count("visits", filter=Q(visits__visited_on__year=today.year)),
            last_visit=Max("visits__visited_on"),
        )
        .prefetch_related(
            Prefetch("helpers", queryset=current_pairings(today), to_attr="current_helpers")
        )
        .order_by("household_name", "id")
    )


def visits_of_community(community):
    return (
        AssistanceVisit.objects.filter(household__community=community)
        .select_related("household", "by_volunteer")
        .order_by("-visited_on", "-id")
    )


def visit_totals(visits) -> dict:
    """{"count": …, "hours": …} of a visit queryset, in one query."""
    return visits.order_by().aggregate(count=Count("id"), hours=Sum("hours"))


def pairings_of(household):
    """All of a household's pairings, the latest first."""
    return (
        HelperPairing.objects.filter(household=household)
        .select_related("co_building_unit", "volunteer")
        .order_by("-started_on", "-id")
    )


def volunteers_of(community):
    return Volunteer.objects.filter(community=community).order_by("-active", "name", "id")


def units_for(community, today: datetime.date) -> tuple[list, list]:
    """(units paired with the community on `today`, the other units), each by name."""
    paired_now = Q(pairings__community=community) & (
        Q(pairings__ended_on__isnull=True) | Q(pairings__ended_on__gt=today)
    )
    units = list(
        CoBuildingUnit.objects.annotate(paired_here=Count("pairings", filter=paired_now)).order_by(
            "name"
        )
    )
    return [u for u in units if u.paired_here], [u for u in units if not u.paired_here]
