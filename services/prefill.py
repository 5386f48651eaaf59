"""What the service records say for a community's monthly return (communities.prefill).

Always six queries, whatever the number of records: one aggregate per kind of record. A
community that keeps no records of a kind (no household, no volunteer, no training class,
no re-employment figure for the month) gets no figure for the indicators they feed, rather
than a 0 that would only mean "not recorded here".

Stocks (households paired, volunteers registered) are counted at the month's end; flows
(visits, hours, classes, people re-employed) over the month. `active` is today's flag, so
for a past month a household or volunteer since made inactive is no longer counted.
"""

import datetime
from decimal import Decimal

from django.db.models import Count, Q, Sum

from communities.models import month_end
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


def service_figures(community, period: datetime.date) -> dict[str, Decimal]:
    """Indicator code → the figure of the services records for the month from `period`."""
    end = month_end(period)
    figures = {}

    households = AssistedHousehold.objects.filter(community=community).aggregate(
        kept=Count("pk", distinct=True),
        paired=Count(
            "pk",
            distinct=True,
            filter=Q(active=True, helpers__started_on__lte=end)
            & (Q(helpers__ended_on__isnull=True) | Q(helpers__ended_on__gte=end)),
        ),
    )
    visits = AssistanceVisit.objects.filter(
        household__community=community, visited_on__gte=period, visited_on__lte=end
    ).aggregate(
        **{code: Count("pk", filter=Q(kind=kind)) for kind, code in VISIT_INDICATORS.items()}
    )
    if households["kept"]:
        figures["households_in_difficulty_paired"] = households["paired"]
        figures.update(visits)

    volunteers = Volunteer.objects.filter(community=community).aggregate(
        kept=Count("pk"),
        registered=Count("pk", filter=Q(active=True, registered_on__lte=end)),
        party=Count(
            "pk",
            filter=Q(active=True, registered_on__lte=end, kind=Volunteer.Kind.PARTY_MEMBER),
        ),
    )
    hours = ServiceRecord.objects.filter(
        volunteer__community=community, served_on__gte=period, served_on__lte=end
    ).aggregate(total=Sum("hours"))["total"]
    if volunteers["kept"]:
        figures["registered_volunteers"] = volunteers["registered"]
        figures["inservice_party_members"] = volunteers["party"]
        # SQLite hands back 2 for 2.00: quantize so every backend gives the same figure.
        figures["volunteer_hours"] = Decimal(hours or 0).quantize(CENTS)

    training = TrainingClass.objects.filter(community=community).aggregate(
        kept=Count("pk"),
        classes=Count("pk", filter=Q(starts_on__gte=period, starts_on__lte=end)),
        trainees=Sum("trainees", filter=Q(starts_on__gte=period, starts_on__lte=end)),
    )
    if training["kept"]:
        figures["training_classes"] = training["classes"]
        figures["trainees"] = training["trainees"] or 0

    reemployed = (
        ReemploymentOutcome.objects.filter(community=community, month=period)
        .values_list("reemployed", flat=True)
        .first()
    )
    if reemployed is not None:
        figures["reemployed"] = reemployed

    return {code: Decimal(value) for code, value in figures.items()}
