"""Reusable reads of the rating results: a round's results by category, the county
overview, a community's rating history. Each runs a fixed number of queries."""

import datetime
from dataclasses import dataclass, field
from decimal import Decimal

from django.db.models import (
    Case,
    Count,
    DecimalField,
    Exists,
    F,
    Max,
    OuterRef,
    Q,
    Subquery,
    Value,
    When,
    Window,
)
from django.db.models.functions import Coalesce, RowNumber

from communities.models import Community, Township
from ratings import scoring
from ratings.evidence import review_day, round_evidence
from ratings.models import (
    CONFIRMED,
    MAX_STARS,
    PUBLISHED,
    TIER_RANK,
    ConflictOfInterest,
    CutOff,
    Declaration,
    JudgeAssignment,
    Rating,
    Round,
    RoundStatus,
    ScoreSheet,
    Tier,
)
from ratings.scoring import tier_label


@dataclass
class Category:
    """One category of a round's results: normative, N stars, or garden."""

    key: str
    tier: str
    stars: int | None
    ratings: list = field(default_factory=list)
    # Set by paged_results_by_category: how many ratings the category holds, and the page
    # of them in `ratings`.
    count: int = 0
    page: object = None

    @property
    def label(self):
        return tier_label(self.tier, self.stars)


def _category_keys():
    """(key, tier, stars) of every category, lowest first: normative, 1 to 5 stars, garden."""
    return [
        ("normative", Tier.NORMATIVE, None),
        *((f"star-{stars}", Tier.STAR, stars) for stars in range(1, MAX_STARS + 1)),
        ("garden", Tier.GARDEN, None),
    ]


def results_by_category(round_: Round, township=None) -> list[Category]:
    """The round's confirmed ratings by category, lowest category first (one query); only
    those of `township`'s communities when it is given (ranks stay the county's).

    Each community is listed once, under the rating it reached: a star or garden community
    has also reached normative (the speech: "10个社区都达到规范社区，其中……"), which the
    results page says in a sentence rather than by listing it twice. Within a category, by
    rank, then score (highest first), then community code. Empty categories are left out.
    """
    ratings = Rating.objects.filter(round=round_)
    if township is not None:
        ratings = ratings.filter(community__township=township)
    ratings = list(ratings.select_related("community__township").order_by())
    ratings.sort(key=lambda r: (r.rank is None, r.rank or 0, -(r.score or 0), r.community.code))
    categories = []
    for key, tier, stars in _category_keys():
        rows = [r for r in ratings if r.tier == tier and r.stars == stars]
        if rows:
            categories.append(Category(key, tier, stars, rows))
    return categories


def category_counts(round_: Round, communities=None) -> list[Category]:
    """The categories of results_by_category with their `count` and no ratings: every
    category that holds a rating, counting only the ratings of `communities` (a Community
    queryset) when given (one query)."""
    ratings = Rating.objects.filter(round=round_)
    if communities is not None:
        ratings = ratings.filter(community__in=communities)
    grouped = ratings.order_by().values_list("tier", "stars").annotate(n=Count("pk"))
    counts = {(tier, stars): n for tier, stars, n in grouped}
    return [
        Category(key, tier, stars, count=counts[(tier, stars)])
        for key, tier, stars in _category_keys()
        if counts.get((tier, stars))
    ]


def _positions(ratings):
    """`ratings` annotated with `own_position`, its place in its category, in
    results_by_category's order."""
    unranked = Case(When(rank__isnull=True, then=Value(1)), default=Value(0))
    score = Coalesce("score", Value(Decimal(0)), output_field=DecimalField())
    return ratings.annotate(
        own_position=Window(
            RowNumber(),
            partition_by=[F("tier"), F("stars")],
            order_by=[unranked.asc(), F("rank").asc(), score.desc(), F("community__code").asc()],
        ),
    )


def paged_results_by_category(round_: Round, pick, communities=None) -> list[Category]:
    """One page of each category of results_by_category (two queries, whatever the number
    of ratings): category_counts, then only the ratings on the pages chosen.

    `pick(category)` returns the page to show of a category (counted): a Paginator page
    over range(category.count). Only the ratings of `communities` (a Community queryset)
    when given; the ranks shown stay the round's, as the ratings keep them.
    """
    categories = category_counts(round_, communities)
    wanted = Q()
    for category in categories:
        category.page = pick(category)
        span = {"gt": category.page.start_index() - 1, "lte": category.page.end_index()}
        wanted |= Q(
            Q(tier=category.tier, stars=category.stars),
            **{f"own_position__{op}": n for op, n in span.items()},
        )
    if not categories:
        return categories
    ratings = Rating.objects.filter(round=round_)
    if communities is not None:
        ratings = ratings.filter(community__in=communities)
    rows = list(
        _positions(ratings.select_related("community__township"))
        .filter(wanted)
        .order_by("own_position")
    )
    for category in categories:
        first, last = category.page.start_index(), category.page.end_index()
        category.ratings = [
            r
            for r in rows
            if (r.tier, r.stars) == (category.tier, category.stars)
            and first <= r.own_position <= last
        ]
    return categories


def result_townships(round_: Round) -> list[Township]:
    """The townships whose communities have results in the round, each with `result_count`
    (one query): under notice the submitted declarations, afterwards the ratings."""
    if round_.status == RoundStatus.NOTICE:
        townships = Township.objects.filter(
            communities__declarations__round=round_,
            communities__declarations__status=Declaration.Status.SUBMITTED,
        ).annotate(result_count=Count("communities__declarations"))
    else:
        townships = Township.objects.filter(communities__ratings__round=round_).annotate(
            result_count=Count("communities__ratings")
        )
    return list(townships.order_by("sort_order", "code"))


@dataclass
class OverviewRow:
    township: object
    normative: int = 0
    star: int = 0
    garden: int = 0
    unrated: int = 0

    @property
    def total(self):
        return self.normative + self.star + self.garden + self.unrated


@dataclass
class Overview:
    """Communities per highest tier per township.

    `basis` is "in_force" (the ratings in force on `on`) or "latest_round" (none is in
    force: the ratings of the latest confirmed round, `round`, as they were confirmed).
    """

    basis: str
    on: datetime.date
    round: Round | None
    rows: list
    valid_until: datetime.date | None = None

    @property
    def totals(self):
        total = OverviewRow(township=None)
        for row in self.rows:
            for name in ("normative", "star", "garden", "unrated"):
                setattr(total, name, getattr(total, name) + getattr(row, name))
        return total


def county_overview(on: datetime.date) -> Overview:
    """Active communities per township by their highest rating (three or four queries,
    whatever the number of communities: the counting is done by the database).

    The ratings in force on `on` (confirmed round, not revoked, still valid); when no active
    community holds one, those of the latest confirmed round, so that the page still shows
    where the county stood, and says so. A community with two ratings in force counts by
    the newer round.
    """
    in_force = Rating.objects.in_force(on)
    counts = _tiers_by_township(in_force.order_by("-round__year", "-round__code"))
    basis, round_, valid_until = "in_force", None, None
    if not any(tier for _township, tier in counts):
        round_ = (
            Round.objects.filter(status__in=CONFIRMED)
            .annotate(
                rated=Count("ratings"),
                until=Max("ratings__valid_until", filter=Q(ratings__revoked_on__isnull=True)),
            )
            .filter(rated__gt=0)
            .order_by("-year", "-code")
            .first()
        )
        if round_ is not None:
            basis, valid_until = "latest_round", round_.until
            counts = _tiers_by_township(
                Rating.objects.filter(round=round_).not_revoked().order_by()
            )
    townships = Township.objects.filter(pk__in={township for township, _tier in counts}).order_by(
        "sort_order", "code"
    )
    rows = {township.pk: OverviewRow(township) for township in townships}
    name = {Tier.NORMATIVE: "normative", Tier.STAR: "star", Tier.GARDEN: "garden"}
    for (township, tier), n in counts.items():
        row = rows[township]
        attribute = name.get(tier, "unrated")
        setattr(row, attribute, getattr(row, attribute) + n)
    return Overview(basis, on, round_, list(rows.values()), valid_until)


def _tiers_by_township(ratings) -> dict[tuple[int, str | None], int]:
    """(township id, tier or None) → the number of active communities whose first rating
    in `ratings` (a queryset, ordered) has that tier (one query)."""
    tier = ratings.filter(community=OuterRef("pk")).values("tier")[:1]
    return {
        (row["township_id"], row["tier"]): row["n"]
        for row in Community.objects.public()
        .annotate(tier=Subquery(tier))
        .values("township_id", "tier")
        .annotate(n=Count("pk"))
        .order_by()
    }


def rating_history(community: Community) -> list[Rating]:
    """The community's ratings from published rounds, newest first (one query)."""
    return list(
        Rating.objects.filter(community=community, round__status__in=PUBLISHED)
        .select_related("round")
        .order_by("-round__year", "-round__code")
    )


def profile_ratings(community: Community) -> dict:
    """The ratings section of the public profile (communities.sections)."""
    return {"rating_history": rating_history(community)}


# ---------- A round's scored results ----------


def standings(round_: Round, community_ids) -> dict[int, scoring.Standing]:
    """Community id → the highest rating it holds on the round's review day (one query).

    Ratings from this round itself and from later rounds are left out, so that a confirmed
    round's results read the same afterwards.
    """
    best: dict[int, scoring.Standing] = {}
    rows = (
        Rating.objects.in_force(review_day(round_))
        .filter(community__in=community_ids, round__year__lte=round_.year)
        .exclude(round=round_)
        .order_by()
        .values_list("community_id", "tier", "stars")
    )
    for community_id, tier, stars in rows:
        held = best.get(community_id)
        if held is None or (TIER_RANK[tier], stars or 0) > (TIER_RANK[held.tier], held.stars or 0):
            best[community_id] = scoring.Standing(tier, stars)
    return best


def counted_sheets(round_: Round):
    """The score sheets that count: by a judge on the panel, for a submitted declaration,
    and not by a judge linked to its community (abstentions included: scoring ignores them)."""
    conflicted = ConflictOfInterest.objects.filter(
        round=round_, judge=OuterRef("judge"), community=OuterRef("declaration__community")
    )
    on_panel = JudgeAssignment.objects.filter(round=round_, judge=OuterRef("judge"))
    return (
        ScoreSheet.objects.filter(
            declaration__round=round_, declaration__status=Declaration.Status.SUBMITTED
        )
        .filter(Exists(on_panel))
        .exclude(Exists(conflicted))
        .select_related("judge")
        .prefetch_related("scores")
        .order_by("declaration_id", "judge_id")
    )


def round_results(round_: Round) -> list[scoring.DeclarationResult]:
    """Every submitted declaration's result, ranked within its category (eight queries,
    whatever the number of declarations, judges or criteria).

    The scoring is ratings.scoring's; this function only gathers its inputs: the round's
    criteria and cut-offs, the submitted declarations, the score sheets that count
    (counted_sheets), each community's standing (standings) and the objective criteria
    (ratings.evidence). For the pages, each result also carries `declaration` (with its
    community and township), `sheets` (the counted ScoreSheets, scores prefetched) and
    `label` (the tier and stars held after the round, in words).
    """
    criteria = list(round_.criteria.order_by("tier", "sort_order", "code"))
    cutoffs = list(CutOff.objects.filter(round=round_).order_by("tier", "stars"))
    declarations = list(
        Declaration.objects.filter(round=round_, status=Declaration.Status.SUBMITTED)
        .select_related("community__township")
        .order_by("community__code")
    )
    sheets: dict[int, list[ScoreSheet]] = {}
    for sheet in counted_sheets(round_):
        sheets.setdefault(sheet.declaration_id, []).append(sheet)
    held = standings(round_, [d.community_id for d in declarations])
    objective = round_evidence(round_)
    inputs = [
        scoring.DeclarationInput(
            declaration_id=d.pk,
            community_id=d.community_id,
            target_tier=d.target_tier,
            target_stars=d.target_stars,
            sheets=[
                scoring.Sheet(
                    judge_id=sheet.judge_id,
                    points={s.criterion_id: s.points for s in sheet.scores.all()},
                    abstained=sheet.abstained,
                )
                for sheet in sheets.get(d.pk, [])
            ],
            objective=objective.get(d.community_id, {}),
            standing=held.get(d.community_id, scoring.Standing()),
        )
        for d in declarations
    ]
    results = scoring.score_round(
        settings=round_, criteria=criteria, cutoffs=cutoffs, declarations=inputs
    )
    by_id = {d.pk: d for d in declarations}
    for result in results:
        result.declaration = by_id[result.declaration_id]
        result.sheets = sheets.get(result.declaration_id, [])
        result.label = scoring.tier_label(result.tier, result.stars)
    return results


@dataclass
class ResultCategory:
    """The results of one category (the tier declared), ranked."""

    tier: str
    results: list

    @property
    def label(self):
        return Tier(self.tier).label


def results_in_categories(results) -> list[ResultCategory]:
    """round_results grouped by category, normative first (the order round_results keeps)."""
    categories: list[ResultCategory] = []
    for result in results:
        if not categories or categories[-1].tier != result.category:
            categories.append(ResultCategory(result.category, []))
        categories[-1].results.append(result)
    return categories
