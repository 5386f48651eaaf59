"""What the service records say for the communities' monthly returns (communities.returns.prefill).

Always six queries, whatever the number of communities or records: one grouped aggregate per
kind of record. A community that keeps no records of a kind (no household, no volunteer, no
training class, no re-employment figure for the month) gets no figure for the indicators
they feed, rather than a 0 that would only mean "not recorded here".

Stocks (households paired, volunteers registered) are counted at the month's end; flows
(visits, hours, classes, people re-employed) over the month. `active` is today's flag, so
for a past month a household or volunteer since made inactive is no longer counted.
"""

import datetime
from collections import defaultdict
from decimal import Decimal

from django.db.models import Count, Q, Sum

from chunan_community.months import month_end
from services.models import (
    AssistanceVisit,
    AssistedHousehold,
    HelpKind,
    ReemploymentOutcome,
    ServiceRecord,
    TrainingClass,
    Volunteer,
)

VISIT_INDICATORS = {
    HelpKind.HARDSHIP: "help_visits_hardship",
    HelpKind.MEDICAL: "help_visits_medical",
    HelpKind.SCHOOLING: "help_visits_schooling",
}
CENTS = Decimal("0.01")


def service_figures(community_ids, period: datetime.date) -> dict[int, dict[str, Decimal]]:
    """Community id → {indicator code → the figure of its services records for the month
    from `period`}."""
    community_ids = list(community_ids)
    end = month_end(period)
    figures = defaultdict(dict)

    households = (
        AssistedHousehold.objects.filter(community_id__in=community_ids)
        .order_by()
        .values("community_id")
        .annotate(
            kept=Count("pk", distinct=True),
            paired=Count(
                "pk",
                distinct=True,
                filter=Q(active=True, helpers__started_on__lte=end)
                & (Q(helpers__ended_on__isnull=True) | Q(helpers__ended_on__gte=end)),
            ),
        )
    )
    visits = {
        row.pop("household__community_id"): row
        for row in AssistanceVisit.objects.filter(
            household__community_id__in=community_ids,
            visited_on__gte=period,
            visited_on__lte=end,
        )
        .order_by()
        .values("household__community_id")
        .annotate(
            **{code: Count("pk", filter=Q(kind=kind)) for kind, code in VISIT_INDICATORS.items()}
        )
    }
    for row in households:
        if row["kept"]:
            community = figures[row["community_id"]]
            community["households_in_difficulty_paired"] = row["paired"]
            community.update(
                visits.get(row["community_id"], dict.fromkeys(VISIT_INDICATORS.values(), 0))
            )

    volunteers = (
        Volunteer.objects.filter(community_id__in=community_ids)
        .order_by()
        .values("community_id")
        .annotate(
            kept=Count("pk"),
            registered=Count("pk", filter=Q(active=True, registered_on__lte=end)),
            party=Count(
                "pk",
                filter=Q(active=True, registered_on__lte=end, kind=Volunteer.Kind.PARTY_MEMBER),
            ),
        )
    )
    hours = dict(
        ServiceRecord.objects.filter(
            volunteer__community_id__in=community_ids, served_on__gte=period, served_on__lte=end
        )
        .order_by()
        .values_list("volunteer__community_id")
        .annotate(total=Sum("hours"))
    )
    for row in volunteers:
        if row["kept"]:
            community = figures[row["community_id"]]
            community["registered_volunteers"] = row["registered"]
            community["inservice_party_members"] = row["party"]
            # SQLite hands back 2 for 2.00: quantize so every backend gives the same figure.
            total = hours.get(row["community_id"])
            community["volunteer_hours"] = Decimal(total or 0).quantize(CENTS)

    training = (
        TrainingClass.objects.filter(community_id__in=community_ids)
        .order_by()
        .values("community_id")
        .annotate(
            kept=Count("pk"),
            classes=Count("pk", filter=Q(starts_on__gte=period, starts_on__lte=end)),
            trainees=Sum("trainees", filter=Q(starts_on__gte=period, starts_on__lte=end)),
        )
    )
    for row in training:
        if row["kept"]:
            community = figures[row["community_id"]]
            community["training_classes"] = row["classes"]
            community["trainees"] = row["trainees"] or 0

    for community_id, reemployed in ReemploymentOutcome.objects.filter(
        community_id__in=community_ids, month=period
    ).values_list("community_id", "reemployed"):
        figures[community_id]["reemployed"] = reemployed

    return {
        community_id: {code: Decimal(value) for code, value in found.items()}
        for community_id, found in figures.items()
    }
