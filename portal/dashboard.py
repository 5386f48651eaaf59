"""The county dashboard's figures, per township and in all, summed in the database.

Eight reads whatever the number of communities, returns or records, each returning at most
one row per township (per township and network kind for the networks):

1. the latest confirmed rating round (ratings.queries.CONFIRMED);
2. the communities: how many, per rating tier in that round, below the space standard and
   their shortfall, and the returns of the latest due month (reporting and on-time rate);
3. the townships of those communities;
4. the term elections due (communities.queries.terms_due);
5. the five service networks established (services.reports' coverage, counted);
6. the hours of volunteer service last month and this year (as services.reports.hours_sums);
7. and 8. the co-building funds indicator and its sum for the year (as
   communities.returns.reports.area_sums sums it for the aggregates report).

Each figure means what the list behind it shows: the rates count as the completeness grid
does (communities.returns.reports: REPORTED, founding month, a return saved before the
founding still counted); the tests check the two against each other.
"""

import datetime
from dataclasses import dataclass, field
from decimal import Decimal

from django.conf import settings
from django.db.models import Count, Exists, FilteredRelation, Min, OuterRef, Q, Sum
from django.utils import timezone

from chunan_community.figures import Percent
from chunan_community.months import add_months, month_start
from communities.access import access_for
from communities.models import Community, Indicator, ReturnValue, Township
from communities.queries import terms_due
from communities.returns.checks import due_on, owes_return
from communities.returns.models import REPORTED
from communities.returns.reports import Counted
from ratings.models import Rating, Round, Tier
from ratings.queries import CONFIRMED
from services.models import ServiceNetwork, ServiceRecord
from services.reports import SUM_HOURS

ZERO = Decimal(0)
FUNDS_INDICATOR = "cobuilding_funds"
# The returns whose funds count: as the aggregates report counts them by default.
FUNDS_COUNTED = Counted.SUBMITTED
TIERS = (Tier.NORMATIVE, Tier.STAR, Tier.GARDEN)
NETWORKS = list(ServiceNetwork.Kind)


def latest_due_month(today: datetime.date) -> datetime.date:
    """The newest month whose return is already due (RETURN_DUE_DAYS after its end)."""
    period = add_months(month_start(today), -1)
    while today <= due_on(period):
        period = add_months(period, -1)
    return period


@dataclass
class Figures:
    """The dashboard's figures for one township (`township` set) or for all shown (None)."""

    township: Township | None = None
    communities: int = 0
    tiers: dict[str, int] = field(default_factory=lambda: dict.fromkeys(TIERS, 0))
    lowest_stars: int | None = None
    reporting: Percent = field(default_factory=Percent)
    on_time: Percent = field(default_factory=Percent)
    below_standard: int = 0
    shortfall_m2: Decimal = ZERO
    terms_due: int = 0
    terms_overdue: int = 0
    networks: dict[str, int] = field(default_factory=lambda: dict.fromkeys(NETWORKS, 0))
    hours_last_month: Decimal = ZERO
    hours_year: Decimal = ZERO
    funds_year: Decimal | None = None

    @property
    def unrated(self) -> int:
        return self.communities - sum(self.tiers.values())

    @property
    def coverage(self) -> Percent:
        """Networks established of the five in every community (the coverage report's last
        column)."""
        return Percent(sum(self.networks.values()), len(NETWORKS) * self.communities)

    @property
    def network_shares(self) -> list[tuple[str, int, Percent]]:
        return [
            (kind, self.networks[kind], Percent(self.networks[kind], self.communities))
            for kind in NETWORKS
        ]

    def add(self, other: "Figures") -> None:
        """Add a township's figures into these totals."""
        self.communities += other.communities
        for tier in TIERS:
            self.tiers[tier] += other.tiers[tier]
        if other.lowest_stars is not None:
            self.lowest_stars = min(filter(None, (self.lowest_stars, other.lowest_stars)))
        self.reporting += other.reporting
        self.on_time += other.on_time
        self.below_standard += other.below_standard
        self.shortfall_m2 += other.shortfall_m2
        self.terms_due += other.terms_due
        self.terms_overdue += other.terms_overdue
        for kind in NETWORKS:
            self.networks[kind] += other.networks[kind]
        self.hours_last_month += other.hours_last_month
        self.hours_year += other.hours_year
        if other.funds_year is not None:
            self.funds_year = (self.funds_year or ZERO) + other.funds_year


@dataclass
class Dashboard:
    today: datetime.date
    month: datetime.date  # the latest due month: reporting and on-time rates
    last_month: datetime.date  # volunteer hours
    year_start: datetime.date  # hours and funds from here to today
    terms_days: int
    round: Round | None
    funds_indicator: Indicator | None
    rows: list[Figures]
    total: Figures
    has_sample_hours: bool = False
    has_sample_funds: bool = False


def latest_confirmed_round() -> Round | None:
    """The newest confirmed round that has ratings (one query)."""
    rated = Rating.objects.filter(round=OuterRef("pk"))
    return (
        Round.objects.filter(Exists(rated), status__in=CONFIRMED).order_by("-year", "-code").first()
    )


def community_sums(user, *, month: datetime.date, round_id: int | None) -> dict[int, dict]:
    """Township id → counts of its active communities in scope (one query).

    Each community meets at most one return of `month` (one per month) and at most one
    rating of the round (one per round), so the two joins never repeat a community.
    """
    reported = Q(month_return__status__in=list(REPORTED))
    queryset = (
        Community.objects.visible_to(user)
        .public()
        .with_space_standard()
        .alias(
            month_return=FilteredRelation("returns", condition=Q(returns__period=month)),
            rating=FilteredRelation(
                "ratings", condition=Q(ratings__round_id=round_id, ratings__revoked_on__isnull=True)
            ),
        )
        .order_by()
        .values("township_id")
        .annotate(
            communities=Count("pk"),
            below=Count("pk", filter=Q(space_gap__gt=0)),
            shortfall=Sum("space_gap", filter=Q(space_gap__gt=0)),
            # Expected: founded by the month, or a return saved for it all the same.
            expected=Count("pk", filter=owes_return(month) | Q(month_return__id__isnull=False)),
            reported=Count("pk", filter=reported),
            on_time=Count("pk", filter=reported & Q(month_return__is_late=False)),
            lowest_stars=Min("rating__stars"),
            **{f"tier_{tier}": Count("pk", filter=Q(rating__tier=tier)) for tier in TIERS},
        )
    )
    return {row["township_id"]: row for row in queryset}


def terms_due_sums(user, *, today: datetime.date, days: int) -> dict[int, dict]:
    """Township id → term elections due within `days` and those overdue (one query)."""
    queryset = (
        terms_due(user, days=days, today=today)
        .order_by()
        .values("community__township_id")
        .annotate(due=Count("pk"), overdue=Count("pk", filter=Q(term_ends__lt=today)))
    )
    return {row["community__township_id"]: row for row in queryset}


def network_sums(user) -> dict[tuple[int, str], int]:
    """(township id, network kind) → active communities in scope that have established it
    (one query; a community has at most one row per network)."""
    queryset = (
        ServiceNetwork.objects.filter(
            access_for(user).q("community"),
            community__status=Community.Status.ACTIVE,
            established=True,
        )
        .order_by()
        .values("community__township_id", "kind")
        .annotate(n=Count("pk"))
    )
    return {(row["community__township_id"], row["kind"]): row["n"] for row in queryset}


def hours_sums_by_township(
    user, *, last_month: datetime.date, year_start: datetime.date, until: datetime.date
) -> tuple[dict[int, dict], bool]:
    """Township id → hours of volunteer service in `last_month` and from `year_start` to
    `until` (exclusive), and whether any sample volunteer's are among them (one query).

    The records counted are those of services.reports.hours_sums (volunteers of the active
    communities in scope), filtered by the scope directly: service records are personal
    data that township staff may not list, but they see these sums. Summed per township
    rather than per township and month (hours_sums): half the time at 10,000 communities.
    """
    month_end = add_months(last_month, 1)
    queryset = (
        ServiceRecord.objects.filter(
            access_for(user).q("volunteer__community"),
            volunteer__community__status=Community.Status.ACTIVE,
            served_on__gte=min(last_month, year_start),
            served_on__lt=until,
        )
        .order_by()
        .values("volunteer__community__township_id")
        .annotate(
            last_month=Sum(
                "hours",
                filter=Q(served_on__gte=last_month, served_on__lt=month_end),
                output_field=SUM_HOURS,
            ),
            year=Sum("hours", filter=Q(served_on__gte=year_start), output_field=SUM_HOURS),
            samples=Count("pk", filter=Q(volunteer__is_sample=True)),
        )
    )
    sums, has_sample = {}, False
    for row in queryset:
        sums[row["volunteer__community__township_id"]] = row
        has_sample = has_sample or row["samples"] > 0
    return sums, has_sample


def funds_sums(user, *, indicator, first, last) -> tuple[dict[int, Decimal], bool]:
    """Township id → co-building funds received from `first` to `last` month, and whether
    any sample return is among them (one query).

    The figures of the aggregates report (returns_reports.area_sums: a flow, summed over the
    months, from the returns counted by default, merged communities' too). Its query counts
    the sample values by their own id; this one by their return's, so that PostgreSQL reads
    the values from the index on (indicator, monthly_return, value) alone.
    """
    if indicator is None:
        return {}, False
    rows = (
        ReturnValue.objects.filter(
            access_for(user).q("monthly_return__community"),
            indicator=indicator,
            value__isnull=False,
            monthly_return__status__in=Counted.STATUSES[FUNDS_COUNTED],
            monthly_return__period__gte=first,
            monthly_return__period__lte=last,
        )
        .order_by()
        .values("monthly_return__community__township_id")
        .annotate(
            total=Sum("value"),
            samples=Count("monthly_return", filter=Q(monthly_return__is_sample=True)),
        )
    )
    sums, has_sample = {}, False
    for row in rows:
        sums[row["monthly_return__community__township_id"]] = row["total"]
        has_sample = has_sample or row["samples"] > 0
    return sums, has_sample


def dashboard(user, *, today: datetime.date | None = None) -> Dashboard:
    """Every figure of the dashboard for the user's scope, in eight queries: the round, the
    communities, their townships, terms, networks, hours, the funds indicator, the funds."""
    today = today or timezone.localdate()
    month = latest_due_month(today)
    this_month = month_start(today)
    last_month = add_months(this_month, -1)
    year_start = this_month.replace(month=1)
    days = settings.TERMS_DUE_DAYS

    round_ = latest_confirmed_round()
    communities = community_sums(user, month=month, round_id=round_.pk if round_ else None)
    townships = Township.objects.filter(pk__in=list(communities)).order_by("sort_order", "code")
    terms = terms_due_sums(user, today=today, days=days)
    networks = network_sums(user)
    hours, has_sample_hours = hours_sums_by_township(
        user, last_month=last_month, year_start=year_start, until=add_months(this_month, 1)
    )
    indicator = Indicator.objects.filter(code=FUNDS_INDICATOR).first()
    funds, has_sample_funds = funds_sums(
        user, indicator=indicator, first=year_start, last=this_month
    )

    rows, total = [], Figures()
    for township in townships:
        counts, due = communities[township.pk], terms.get(township.pk, {})
        row = Figures(
            township=township,
            communities=counts["communities"],
            tiers={tier: counts[f"tier_{tier}"] for tier in TIERS},
            lowest_stars=counts["lowest_stars"],
            reporting=Percent(counts["reported"], counts["expected"]),
            on_time=Percent(counts["on_time"], counts["reported"]),
            below_standard=counts["below"],
            shortfall_m2=counts["shortfall"] or ZERO,
            terms_due=due.get("due", 0),
            terms_overdue=due.get("overdue", 0),
            networks={kind: networks.get((township.pk, kind), 0) for kind in NETWORKS},
            hours_last_month=hours.get(township.pk, {}).get("last_month") or ZERO,
            hours_year=hours.get(township.pk, {}).get("year") or ZERO,
            funds_year=funds.get(township.pk),
        )
        rows.append(row)
        total.add(row)
    # The aggregates report counts every community's returns, a merged one's too.
    total.funds_year = sum(funds.values(), ZERO) if funds else None
    return Dashboard(
        today=today,
        month=month,
        last_month=last_month,
        year_start=year_start,
        terms_days=days,
        round=round_,
        funds_indicator=indicator,
        rows=rows,
        total=total,
        has_sample_hours=has_sample_hours,
        has_sample_funds=has_sample_funds,
    )
