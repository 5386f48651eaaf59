"""Reusable reads of the rating results: a round's results by category, the county
overview, a community's rating history. Each runs a fixed number of queries."""

import datetime
from dataclasses import dataclass, field

from django.db.models import Exists, OuterRef

from communities.models import Community
from ratings import scoring
from ratings.evidence import review_day, round_evidence
from ratings.models import (
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

CONFIRMED = (RoundStatus.FINAL, RoundStatus.ARCHIVED)


@dataclass
class Category:
    """One category of a round's results: normative, N stars, or garden."""

    key: str
    tier: str
    stars: int | None
    ratings: list = field(default_factory=list)

    @property
    def label(self):
        return tier_label(self.tier, self.stars)


def results_by_category(round_: Round) -> list[Category]:
    """The round's confirmed ratings by category, lowest category first (one query).

    Every rated community reached normative, so the normative category lists all of them
    (the speech: "10个社区都达到规范社区，其中……"); star and garden list their own.
    Within a category, by rank, then score (highest first), then community code; under
    normative, the communities that reached a higher tier follow, highest tier first.
    """
    ratings = list(
        Rating.objects.filter(round=round_).select_related("community__township").order_by()
    )
    ratings.sort(key=lambda r: (r.rank is None, r.rank or 0, -(r.score or 0), r.community.code))
    # Normative: its own ranking first, then the communities that reached a higher tier.
    normative = [r for r in ratings if r.tier == Tier.NORMATIVE]
    normative += sorted(
        (r for r in ratings if r.tier != Tier.NORMATIVE),
        key=lambda r: (-TIER_RANK[r.tier], -(r.stars or 0), -(r.score or 0), r.community.code),
    )
    categories = [Category("normative", Tier.NORMATIVE, None, normative)]
    for stars in range(1, MAX_STARS + 1):
        rows = [r for r in ratings if r.tier == Tier.STAR and r.stars == stars]
        if rows:
            categories.append(Category(f"star-{stars}", Tier.STAR, stars, rows))
    garden = [r for r in ratings if r.tier == Tier.GARDEN]
    if garden:
        categories.append(Category("garden", Tier.GARDEN, None, garden))
    return categories


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
    """Active communities per township by their highest rating (three or four queries).

    The ratings in force on `on` (confirmed round, not revoked, still valid); when none is,
    those of the latest confirmed round, so that the page still shows where the county
    stood, and says so. A community with two ratings in force counts by the newer round.
    """
    communities = list(Community.objects.public().select_related("township"))
    ratings = list(
        Rating.objects.in_force(on)
        .filter(round__status__in=CONFIRMED)
        .order_by("round__year", "round__code")
        .values("community_id", "tier", "valid_until")
    )
    basis, round_, valid_until = "in_force", None, None
    if not ratings:
        round_ = (
            Round.objects.filter(status__in=CONFIRMED, ratings__isnull=False)
            .distinct()
            .order_by("-year", "-code")
            .first()
        )
        if round_ is not None:
            basis = "latest_round"
            ratings = list(
                Rating.objects.filter(round=round_, revoked_on__isnull=True)
                .order_by()
                .values("community_id", "tier", "valid_until")
            )
            valid_until = max((r["valid_until"] for r in ratings), default=None)
    # Later rounds overwrite earlier ones (ordered by year).
    tier_of = {r["community_id"]: r["tier"] for r in ratings}
    rows = {}
    for community in communities:
        row = rows.setdefault(community.township_id, OverviewRow(community.township))
        tier = tier_of.get(community.pk)
        name = {Tier.NORMATIVE: "normative", Tier.STAR: "star", Tier.GARDEN: "garden"}.get(
            tier, "unrated"
        )
        setattr(row, name, getattr(row, name) + 1)
    return Overview(basis, on, round_, list(rows.values()), valid_until)


def rating_history(community: Community) -> list[Rating]:
    """The community's ratings from published rounds, newest first (one query)."""
    return list(
        Rating.objects.filter(community=community, round__status__in=PUBLISHED)
        .select_related("round")
        .order_by("-round__year", "-round__code")
    )


def rating_in_force(rating: Rating, on: datetime.date) -> bool:
    return rating.revoked_on is None and rating.valid_until >= on


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
