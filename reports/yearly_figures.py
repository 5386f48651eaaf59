"""The figures of the yearly report and the statistics bulletin (reports.yearly), read from
every app: each read a row per area (a township, or a community of the township), or per area
and kind, summed in the database, so that the report costs the same number of queries
whatever the number of communities, returns or records.

What a figure counts as of which day: the register (households, residents, premises,
facilities, governance bodies, volunteers, pairings) as it is on the day the report is built,
for it keeps no history of its figures; the events (communities founded, restructurings,
elections, ratings, honours, decisions, returns, hours, ledger lines) by their own dates
within the year.
"""

import datetime
from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import Decimal

from django.db.models import Count, Exists, OuterRef, Q, Sum
from django.utils.translation import gettext as _

from chunan_community.documents import Value
from chunan_community.figures import Area
from communities.access import COUNTY_OFFICE
from communities.models import (
    CoBuildingPairing,
    Community,
    Facility,
    FacilityKind,
    Formation,
    GovernanceBody,
    Honour,
    Indicator,
    Ratio,
    Restructuring,
    Term,
    Township,
)
from communities.returns.reports import (
    Counted,
    Level,
    YearTotals,
    owed_returns,
    year_totals,
)
from ratings.models import CONFIRMED, Rating, Round
from services.models import SUM_HOURS, AdmissionRequest, Commendation, TimeBankEntry, Volunteer
from services.reports import hours_by_year

ACTIVE = Community.Status.ACTIVE
# The returns whose figures count: as the aggregates report counts them by default.
COUNTED = Counted.SUBMITTED
FUNDS_INDICATOR = "cobuilding_funds"
FACILITY_KINDS = list(FacilityKind)


# ---------------------------------------------------------------------------- scope


@dataclass(frozen=True)
class Scope:
    """The year and the area a report covers: the county (township None), its tables by
    township; or one township, its tables by community."""

    year: int
    township: Township | None = None

    @property
    def county(self) -> bool:
        return self.township is None

    @property
    def first(self) -> datetime.date:
        return datetime.date(self.year, 1, 1)

    @property
    def last(self) -> datetime.date:
        """The year's last month (its first day)."""
        return datetime.date(self.year, 12, 1)

    @property
    def year_end(self) -> datetime.date:
        return datetime.date(self.year, 12, 31)

    @property
    def level(self) -> str:
        return Level.TOWNSHIP if self.county else Level.COMMUNITY

    @property
    def township_id(self) -> int | None:
        return None if self.county else self.township.pk

    def area(self, path: str = "") -> str:
        """The field holding a row's area (its township, or its community), from a model
        whose community is at `path` ("" for Community itself)."""
        if self.county:
            return f"{path}__township_id" if path else "township_id"
        return f"{path}_id" if path else "pk"

    def communities(self, path: str = "", *, active: bool = True) -> Q:
        """The communities counted, from a model whose community is at `path`: founded by
        the year's end, in the township, and (`active`) not merged or dissolved since."""
        prefix = f"{path}__" if path else ""
        where = Q(**{f"{prefix}founded_year__lte": self.year})
        if not self.county:
            where &= Q(**{f"{prefix}township_id": self.township.pk})
        if active:
            where &= Q(**{f"{prefix}status": ACTIVE})
        return where

    @property
    def name(self) -> str:
        return _("Chun'an County") if self.county else self.township.local_name

    @property
    def whole(self) -> str:
        """The area in running text: 全县 or the township's name."""
        return _("The county") if self.county else self.township.local_name

    @property
    def total_label(self) -> str:
        return _("County total") if self.county else _("Township total")


def report_areas(scope: Scope) -> list[Area]:
    """The rows of the report's tables (one query): the townships with a community founded
    by the year's end, or the township's communities founded by then, a community merged
    or dissolved since marked so (its returns of the year still count)."""
    if scope.county:
        townships = Township.objects.filter(
            Exists(Community.objects.filter(township=OuterRef("pk"), founded_year__lte=scope.year))
        ).order_by("sort_order", "code")
        return [Area(township.pk, township.local_name) for township in townships]
    communities = Community.objects.filter(scope.communities(active=False)).order_by("code")
    return [
        Area(
            community.pk,
            community.local_name
            if community.status == ACTIVE
            else _("%(community)s (%(status)s)")
            % {"community": community.local_name, "status": community.get_status_display()},
        )
        for community in communities
    ]


def by_area(rows: Iterable[dict], area: str, *names: str) -> dict[int, dict]:
    """Rows of a grouped read keyed by their area."""
    return {row[area]: {name: row[name] for name in names} for row in rows}


def total(values: Iterable[Value]) -> Value:
    """The sum of a column: whole numbers, Decimals or shares; None if no figure."""
    present = [value for value in values if value is not None]
    return sum(present[1:], present[0]) if present else None


# ---------------------------------------------------------------------------- figures


@dataclass
class Figures:
    """Everything the report says, read once: each entry keyed by area id."""

    scope: Scope
    areas: list[Area]
    registry: dict[int, dict] = field(default_factory=dict)
    restructured: dict[int, dict] = field(default_factory=dict)
    restructurings: dict = field(default_factory=dict)
    facilities: dict[tuple[int, str], int] = field(default_factory=dict)
    bodies: dict[tuple[int, str], int] = field(default_factory=dict)
    terms: dict[int, dict] = field(default_factory=dict)
    elections: dict[int, dict] = field(default_factory=dict)
    rounds: list = field(default_factory=list)
    tiers: dict[tuple[int, str], int] = field(default_factory=dict)
    honours: list = field(default_factory=list)
    commendations: list = field(default_factory=list)
    admissions: list = field(default_factory=list)
    indicators: list = field(default_factory=list)
    ratios: list = field(default_factory=list)
    totals: YearTotals | None = None
    owed: dict[datetime.date, int] = field(default_factory=dict)
    volunteers: dict[int, dict] = field(default_factory=dict)
    hours: dict[tuple[int, int], Decimal] = field(default_factory=dict)
    hours_sample: bool = False
    ledger: dict[int, dict] = field(default_factory=dict)
    pairings: dict[int, dict] = field(default_factory=dict)
    units: int = 0

    @property
    def keys(self) -> list[int]:
        return [area.key for area in self.areas]

    def registry_sum(self, name: str, areas: Iterable[int] | None = None):
        return total(
            self.registry.get(key, {}).get(name) for key in (self.keys if areas is None else areas)
        )


def read_figures(scope: Scope) -> Figures:
    """Every read of the report, each a row per area (per area and kind) whatever the
    number of communities, returns or records."""
    figures = Figures(scope, report_areas(scope))
    _read_registry(figures)
    _read_governance(figures)
    _read_ratings(figures)
    _read_admissions(figures)
    _read_indicators(figures)
    _read_services(figures)
    return figures


def _read_registry(figures: Figures) -> None:
    """The register, the space standard and the facilities: four queries."""
    scope = figures.scope
    area = scope.area()
    active = Q(status=ACTIVE)
    # Communities with all nine facilities: an IN over the grouped facilities, which the
    # database runs once (a hashed subplan), not once a community.
    complete = (
        Facility.objects.filter(present=True)
        .order_by()
        .values("community_id")
        .annotate(kinds=Count("pk"))
        .filter(kinds=len(FACILITY_KINDS))
        .values("community_id")
    )
    shortfall = active & Q(space_gap__gt=0)
    figures.registry = by_area(
        Community.objects.filter(scope.communities(active=False))
        .with_space_standard()
        .order_by()
        .values(area)
        .annotate(
            communities=Count("pk", filter=active),
            households=Sum("households", filter=active),
            residents=Sum("residents", filter=active),
            founded=Count("pk", filter=Q(founded_year=scope.year)),
            premises=Sum("premises_area_m2", filter=active),
            required=Sum("space_required", filter=active),
            below=Count("pk", filter=shortfall),
            shortfall=Sum("space_gap", filter=shortfall),
            complete=Count("pk", filter=active & Q(pk__in=complete)),
            samples=Count("pk", filter=active & Q(figures_are_sample=True)),
        ),
        area,
        "communities",
        "households",
        "residents",
        "founded",
        "premises",
        "required",
        "below",
        "shortfall",
        "complete",
        "samples",
    )
    # The restructurings of the year, by the communities they formed.
    path = scope.area("community")
    in_year = Formation.objects.filter(
        scope.communities("community", active=False), restructuring__effective_year=scope.year
    )
    figures.restructured = by_area(
        in_year.order_by()
        .values(path)
        .annotate(
            restructurings=Count("restructuring", distinct=True),
            former_areas=Count("former_area", distinct=True),
            samples=Count("pk", filter=Q(former_area__is_sample=True)),
        ),
        path,
        "restructurings",
        "former_areas",
        "samples",
    )
    # A restructuring forms several communities: its total counts it once.
    restructurings = Restructuring.objects.filter(effective_year=scope.year)
    if not scope.county:
        restructurings = restructurings.filter(township=scope.township)
    figures.restructurings = restructurings.aggregate(
        restructurings=Count("pk", distinct=True),
        former_areas=Count("formations__former_area", distinct=True),
    )
    path = scope.area("community")
    figures.facilities = {
        (row[path], row["kind"]): row["n"]
        for row in Facility.objects.filter(scope.communities("community"), present=True)
        .order_by()
        .values(path, "kind")
        .annotate(n=Count("pk"))
    }


def _read_governance(figures: Figures) -> None:
    """The governance bodies, their terms at the year's end, the elections of the year:
    three queries."""
    scope = figures.scope
    path = scope.area("community")
    figures.bodies = {
        (row[path], row["kind"]): row["n"]
        for row in GovernanceBody.objects.filter(scope.communities("community"))
        .order_by()
        .values(path, "kind")
        .annotate(n=Count("pk"))
    }
    # Each body's term at the year's end: its latest begun by then (no later one begun by
    # then: NOT EXISTS, an anti-join, rather than a subquery run once a body).
    path = scope.area("body__community")
    begun = Term.objects.filter(starts_on__lte=scope.year_end)
    current = begun.filter(scope.communities("body__community")).filter(
        ~Exists(begun.filter(body=OuterRef("body"), starts_on__gt=OuterRef("starts_on")))
    )
    next_year = Q(ends_on__year=scope.year + 1)
    figures.terms = by_area(
        current.order_by()
        .values(path)
        .annotate(
            bodies=Count("pk"),
            due=Count("pk", filter=next_year),
            overdue=Count("pk", filter=Q(ends_on__lte=scope.year_end)),
        ),
        path,
        "bodies",
        "due",
        "overdue",
    )
    figures.elections = by_area(
        Term.objects.filter(scope.communities("body__community"), elected_on__year=scope.year)
        .order_by()
        .values(path)
        .annotate(n=Count("pk"), samples=Count("pk", filter=Q(is_sample=True))),
        path,
        "n",
        "samples",
    )


def _read_ratings(figures: Figures) -> None:
    """The rounds confirmed in the year, their ratings by tier, the honours and the
    commendations of the year: four queries."""
    scope = figures.scope
    rounds = Round.objects.filter(status__in=CONFIRMED).filter(
        Q(finalised_on__year=scope.year) | Q(finalised_on__isnull=True, year=scope.year)
    )
    figures.rounds = list(rounds.order_by("finalised_on", "code"))
    path = scope.area("community")
    # A rating revoked (摘牌) by the year's end no longer counts.
    figures.tiers = {
        (row[path], row["tier"]): row["n"]
        for row in Rating.objects.filter(
            scope.communities("community", active=False), round__in=rounds
        )
        .filter(Q(revoked_on__isnull=True) | Q(revoked_on__gt=scope.year_end))
        .order_by()
        .values(path, "tier")
        .annotate(n=Count("community", distinct=True))
    }
    figures.honours = list(
        Honour.objects.filter(scope.communities("community", active=False), year=scope.year)
        .select_related("community__township")
        .order_by("community__township__sort_order", "community__code", "level", "title")
    )
    commendations = Commendation.objects.filter(year=scope.year)
    if not scope.county:
        commendations = commendations.filter(community__township=scope.township)
    figures.commendations = list(
        commendations.select_related("community__township").order_by("kind", "name", "title")
    )


def _read_admissions(figures: Figures) -> None:
    """The admission requests decided in the year, by department: one query. A township's
    report counts those concerning one of its communities."""
    scope = figures.scope
    decided = AdmissionRequest.objects.filter(
        decided_on__year=scope.year,
        status__in=[AdmissionRequest.Status.APPROVED, AdmissionRequest.Status.REFUSED],
    )
    if not scope.county:
        concerned = Community.objects.filter(admitted_tasks=OuterRef("pk"), township=scope.township)
        decided = decided.filter(Exists(concerned))
    approved = Q(status=AdmissionRequest.Status.APPROVED)
    figures.admissions = list(
        decided.order_by("department")
        .values("department")
        .annotate(
            approved=Count("pk", filter=approved),
            refused=Count("pk", filter=Q(status=AdmissionRequest.Status.REFUSED)),
            funds_follow=Count("pk", filter=approved & Q(funds_follow=True)),
            staff_follow=Count("pk", filter=approved & Q(staff_follow=True)),
            authority_follow=Count("pk", filter=approved & Q(authority_follow=True)),
            funds=Sum("funds_yuan", filter=approved),
            samples=Count("pk", filter=Q(is_sample=True)),
        )
    )


def _read_indicators(figures: Figures) -> None:
    """The catalogue in force in the year and the derived indicators on it (two queries),
    every figure of the year and the year before (year_totals: three), the returns owed
    (one)."""
    scope = figures.scope
    figures.indicators = list(
        Indicator.objects.filter(active_from__lte=scope.last)
        .filter(Q(active_to__isnull=True) | Q(active_to__gte=scope.first))
        .select_related("group")
    )
    in_force = {indicator.pk for indicator in figures.indicators}
    figures.ratios = [
        ratio
        for ratio in Ratio.objects.select_related("numerator", "denominator", "group")
        if ratio.numerator_id in in_force and ratio.denominator_id in in_force
    ]
    figures.totals = year_totals(
        indicators=figures.indicators,
        ratios=figures.ratios,
        statuses=Counted.STATUSES[COUNTED],
        years=[scope.year - 1, scope.year],
        level=scope.level,
        township_id=scope.township_id,
    )
    communities = Community.objects.public()
    if not scope.county:
        communities = communities.filter(township=scope.township)
    figures.owed = owed_returns(communities, scope.first, scope.last)


def _read_services(figures: Figures) -> None:
    """Volunteers, hours of service (this year and the year before), the time bank at the
    year's end, co-building pairings and units: five queries."""
    scope = figures.scope
    path = scope.area("community")
    kind = Volunteer.Kind
    figures.volunteers = by_area(
        Volunteer.objects.filter(scope.communities("community"), registered_on__lte=scope.year_end)
        .order_by()
        .values(path)
        .annotate(
            n=Count("pk"),
            party=Count("pk", filter=Q(kind=kind.PARTY_MEMBER)),
            league=Count("pk", filter=Q(kind=kind.LEAGUE_MEMBER)),
            new=Count("pk", filter=Q(registered_on__year=scope.year)),
            samples=Count("pk", filter=Q(is_sample=True)),
        ),
        path,
        "n",
        "party",
        "league",
        "new",
        "samples",
    )
    figures.hours, figures.hours_sample = hours_by_year(
        COUNTY_OFFICE,
        years=[scope.year - 1, scope.year],
        township=scope.township,
        by_township=scope.county,
    )
    path = scope.area("volunteer__community")
    in_year = Q(on__year=scope.year)
    kinds = TimeBankEntry.Kind

    def lines(kind: str):
        return Sum("hours", filter=in_year & Q(kind=kind), output_field=SUM_HOURS)

    figures.ledger = by_area(
        TimeBankEntry.objects.filter(
            scope.communities("volunteer__community"), on__lte=scope.year_end
        )
        .order_by()
        .values(path)
        .annotate(
            deposited=lines(kinds.DEPOSIT),
            drawn=lines(kinds.DRAW),
            adjusted=lines(kinds.ADJUSTMENT),
            balance=Sum("hours", output_field=SUM_HOURS),
            samples=Count("pk", filter=Q(volunteer__is_sample=True)),
        ),
        path,
        "deposited",
        "drawn",
        "adjusted",
        "balance",
        "samples",
    )
    path = scope.area("community")
    in_force = CoBuildingPairing.objects.filter(
        scope.communities("community"), started_on__lte=scope.year_end
    ).filter(Q(ended_on__isnull=True) | Q(ended_on__gt=scope.year_end))
    figures.pairings = by_area(
        in_force.order_by()
        .values(path)
        .annotate(
            pairings=Count("pk"),
            units=Count("unit", distinct=True),
            new=Count("pk", filter=Q(started_on__year=scope.year)),
            samples=Count("pk", filter=Q(is_sample=True)),
        ),
        path,
        "pairings",
        "units",
        "new",
        "samples",
    )
    # A unit paired in two areas counts once in the total.
    figures.units = in_force.aggregate(n=Count("unit", distinct=True))["n"]
