"""Aggregating a round's scores: criterion means, weighted totals, tiers reached, rankings.

Pure functions over plain data: nothing here reads or writes the database, so the results
page, the score-sheet export and the tests all share the very same arithmetic. The caller
passes the round (anything with ``trim_extremes``, ``trim_min_judges`` and
``garden_min_stars``, e.g. a ``Round``), its criteria and cut-offs (model instances or the
``CriterionSpec``/``CutOffSpec`` below), and one ``DeclarationInput`` per declaration.

How a score is made
-------------------
- A declaration is scored on the criteria of the tier it declares (its target tier) only.
- Judged criteria: the mean of the judges' points. With "drop the highest and lowest score"
  switched on and at least ``trim_min_judges`` judges (5 by default) scoring the criterion,
  exactly one highest and one lowest score are left out (去掉一个最高分和一个最低分), even
  when several judges gave that same highest or lowest score. Among equal scores, the judge
  with the highest id loses the highest score and the judge with the lowest id the lowest
  one; which is dropped does not change the mean, and the sheet shows whose it was.
  Abstentions are ignored; a judge with a conflict of interest never has a sheet.
- Objective criteria (facilities, space, committee term, monthly returns) are not scored by
  the judges: they are computed from the portal's own data and give all their maximum points
  when met and none when not (no proportion).
- Total = Σ weight * criterion points. Sums and means are kept exact; only the published
  figures (each criterion's mean, the total) are rounded, once, to two decimals, half up.

Tier reached
------------
- Normative: the total reaches the normative cut-off.
- Star: a star rating needs a normative rating in force (or a higher one). The stars are
  the highest star level whose cut-off the total reaches.
- Garden: a garden rating needs a star rating in force with at least the round's required
  number of stars (or a garden rating in force), and the total must reach the garden cut-off.
- The prerequisite is a rule of the round's scheme (``prerequisite``): HELD, a rating in
  force, as above; or HELD_OR_REACHED, a rating in force or the total reaching the lower
  level's cut-off in this round (the normative cut-off for a star rating, the cut-off of the
  required stars for a garden one). Under HELD_OR_REACHED the community has then reached that
  lower level in this round: missing the declared tier's own cut-off, it gets the lower level
  when that is more than it holds. This is how the speech's first round went (2008): all ten
  communities were rated normative and eight of them star at once.
- A declaration that misses its prerequisite or its cut-off keeps the rating the community
  already holds (or none). A missing cut-off is explained, never guessed.

Ranking and tie-break
---------------------
Declarations are ranked within their category (the tier declared):
1. the higher total comes first;
2. on equal totals, the higher sum of the weighted means of the criteria scored by the
   judges (objective criteria left out) comes first;
3. still equal: the same rank is shared, and the next rank is skipped (1, 2, 2, 4).
Totals and sums are compared as published, to two decimals.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from typing import NamedTuple, Protocol

from django.utils.translation import get_language
from django.utils.translation import gettext as _

# Values as stored in the models (ratings.models.Tier, Criterion.Source); repeated here so
# that this module stays free of the ORM.
NORMATIVE, STAR, GARDEN = "normative", "star", "garden"
TIER_ORDER = {NORMATIVE: 1, STAR: 2, GARDEN: 3}
JUDGED = "judged"
# Values of ratings.models.Prerequisite.
HELD, HELD_OR_REACHED = "held", "held_or_reached"
CENT = Decimal("0.01")
DEFAULT_TRIM_MIN_JUDGES = 5


def published(value: Decimal) -> Decimal:
    """Two decimals, half up: 8.125 → 8.13 (Decimal's default would give 8.12)."""
    return value.quantize(CENT, rounding=ROUND_HALF_UP)


# Inputs ------------------------------------------------------------------------------------


class RoundSettings(Protocol):
    trim_extremes: bool
    trim_min_judges: int
    garden_min_stars: int
    prerequisite: str


class CriterionLike(Protocol):
    pk: int
    tier: str
    max_points: Decimal
    weight: Decimal
    source: str


class CutOffLike(Protocol):
    tier: str
    stars: int
    min_score: Decimal


@dataclass(frozen=True)
class Settings:
    trim_extremes: bool = True
    trim_min_judges: int = DEFAULT_TRIM_MIN_JUDGES
    garden_min_stars: int = 4
    prerequisite: str = HELD


@dataclass(frozen=True)
class CriterionSpec:
    pk: int
    tier: str
    max_points: Decimal
    weight: Decimal = Decimal(1)
    source: str = JUDGED
    code: str = ""


@dataclass(frozen=True)
class CutOffSpec:
    tier: str
    min_score: Decimal
    stars: int = 0


class Finding(NamedTuple):
    """An objective criterion computed from portal data (see ratings.evidence)."""

    met: bool
    detail: str


@dataclass(frozen=True)
class Standing:
    """The rating a community holds before the round (in force on the review meeting day)."""

    tier: str | None = None
    stars: int | None = None


@dataclass(frozen=True)
class Sheet:
    """One judge's points per criterion id; an abstained sheet is ignored."""

    judge_id: int
    points: Mapping[int, Decimal]
    abstained: bool = False


@dataclass(frozen=True)
class DeclarationInput:
    declaration_id: int
    community_id: int
    target_tier: str
    sheets: Sequence[Sheet] = ()
    objective: Mapping[str, Finding] = field(default_factory=dict)
    standing: Standing = Standing()
    target_stars: int | None = None


# Results -----------------------------------------------------------------------------------


class DroppedScore(NamedTuple):
    judge_id: int
    points: Decimal


@dataclass(frozen=True)
class CriterionResult:
    criterion: CriterionLike
    mean: Decimal  # published: two decimals (for objective criteria, the points given)
    judges_counted: int
    dropped_high: DroppedScore | None = None
    dropped_low: DroppedScore | None = None
    weighted: Decimal = Decimal(0)  # published: weight * mean
    finding: Finding | None = None  # objective criteria only
    exact_mean: Decimal = Decimal(0)


@dataclass
class DeclarationResult:
    declaration_id: int
    community_id: int
    category: str  # the target tier
    total: Decimal  # published: two decimals
    judged_total: Decimal  # Σ weight * mean of the judged criteria, for the tie-break
    tier: str | None  # what the community holds after the round (None: no rating)
    stars: int | None
    reached: bool  # True: tier/stars come from this round; False: the standing is kept
    explanation: list[str]
    criteria: list[CriterionResult]
    rank: int | None = None


@dataclass(frozen=True)
class Decision:
    tier: str | None
    stars: int | None
    reached: bool
    explanation: list[str]


# Per criterion -----------------------------------------------------------------------------


def trimmed_mean(
    points: Mapping[int, Decimal], *, trim: bool, min_judges: int = DEFAULT_TRIM_MIN_JUDGES
) -> tuple[Decimal, int, DroppedScore | None, DroppedScore | None]:
    """The exact mean of judge id → points, after dropping one highest and one lowest score
    when `trim` and at least `min_judges` (never fewer than 3) judges scored.

    Returns (exact mean, judges counted, dropped high, dropped low). No scores → mean 0.
    """
    ordered = sorted((p, judge) for judge, p in points.items())
    high = low = None
    if trim and len(ordered) >= max(min_judges, 3):
        (low_points, low_judge), *ordered, (high_points, high_judge) = ordered
        low = DroppedScore(low_judge, low_points)
        high = DroppedScore(high_judge, high_points)
    if not ordered:
        return Decimal(0), 0, None, None
    mean = sum((p for p, _judge in ordered), Decimal(0)) / len(ordered)
    return mean, len(ordered), high, low


def criterion_result(
    criterion: CriterionLike,
    sheets: Iterable[Sheet],
    objective: Mapping[str, Finding],
    settings: RoundSettings,
) -> CriterionResult:
    weight = Decimal(criterion.weight)
    if criterion.source != JUDGED:
        finding = objective.get(criterion.source) or Finding(False, _("No data in the portal."))
        points = Decimal(criterion.max_points) if finding.met else Decimal(0)
        return CriterionResult(
            criterion=criterion,
            mean=published(points),
            judges_counted=0,
            weighted=published(weight * points),
            finding=finding,
            exact_mean=points,
        )
    points = {
        sheet.judge_id: Decimal(sheet.points[criterion.pk])
        for sheet in sheets
        if not sheet.abstained and criterion.pk in sheet.points
    }
    mean, counted, high, low = trimmed_mean(
        points, trim=settings.trim_extremes, min_judges=settings.trim_min_judges
    )
    return CriterionResult(
        criterion=criterion,
        mean=published(mean),
        judges_counted=counted,
        dropped_high=high,
        dropped_low=low,
        weighted=published(weight * mean),
        exact_mean=mean,
    )


# Tier decision -----------------------------------------------------------------------------


CHINESE_NUMERALS = "零一二三四五六七八九"


def tier_label(tier: str | None, stars: int | None = None) -> str:
    """ "Normative community", "3-star community" (三星级社区 in Chinese) …"""
    if tier == STAR and stars:
        chinese = (get_language() or "").startswith("zh") and 0 <= stars < 10
        number = CHINESE_NUMERALS[stars] if chinese else stars
        return _("%(stars)s-star community") % {"stars": number}
    return {
        NORMATIVE: _("Normative community"),
        STAR: _("Star community"),
        GARDEN: _("Garden community"),
    }.get(tier or "", _("no rating"))


def _keep(standing: Standing, reasons: list[str]) -> Decision:
    if standing.tier:
        reasons.append(
            _("It keeps the rating it holds: %(rating)s.")
            % {"rating": tier_label(standing.tier, standing.stars)}
        )
    else:
        reasons.append(_("It holds no rating, so it receives none in this round."))
    return Decision(standing.tier, standing.stars, False, reasons)


def _cutoff(cutoffs: Iterable[CutOffLike], tier: str, stars: int = 0) -> Decimal | None:
    for cutoff in cutoffs:
        if cutoff.tier == tier and (cutoff.stars or 0) == stars:
            return Decimal(cutoff.min_score)
    return None


def _star_levels(cutoffs: Iterable[CutOffLike]) -> list[tuple[int, Decimal]]:
    """(stars, lowest total) of each star level, most stars first."""
    return sorted(
        ((c.stars, Decimal(c.min_score)) for c in cutoffs if c.tier == STAR and c.stars),
        reverse=True,
    )


def _above(tier: str | None, stars: int | None, standing: Standing) -> bool:
    """Is (tier, stars) more than the rating the community holds?"""
    held = (TIER_ORDER.get(standing.tier or "", 0), standing.stars or 0)
    return (TIER_ORDER.get(tier or "", 0), stars or 0) > held


def prerequisite_held(target_tier: str, standing: Standing, garden_min_stars: int) -> bool:
    """Does the rating held meet the prerequisite of `target_tier` on its own?"""
    if target_tier == STAR:
        return TIER_ORDER.get(standing.tier or "", 0) >= TIER_ORDER[NORMATIVE]
    if target_tier == GARDEN:
        return standing.tier == GARDEN or (
            standing.tier == STAR and (standing.stars or 0) >= garden_min_stars
        )
    return True


def prerequisite_sentence(
    target_tier: str,
    *,
    prerequisite: str,
    cutoffs: Sequence[CutOffLike],
    garden_min_stars: int,
) -> str:
    """The prerequisite of `target_tier` under the round's rule, in one sentence."""
    if target_tier == STAR:
        cut = _cutoff(cutoffs, NORMATIVE)
        if prerequisite == HELD_OR_REACHED and cut is not None:
            return _(
                "A star rating needs a normative rating in force, or a total in this round "
                "that reaches the normative cut-off %(cut)s."
            ) % {"cut": published(cut)}
        return _("A star rating needs a normative rating in force.")
    if target_tier == GARDEN:
        cut = _cutoff(cutoffs, STAR, garden_min_stars)
        if prerequisite == HELD_OR_REACHED and cut is not None:
            return _(
                "A garden rating needs a star rating of at least %(stars)s stars in force, or "
                "a total in this round that reaches the %(stars)s-star cut-off %(cut)s."
            ) % {"stars": garden_min_stars, "cut": published(cut)}
        return _("A garden rating needs a star rating of at least %(stars)s stars in force.") % {
            "stars": garden_min_stars
        }
    return ""


def decide_tier(
    *,
    total: Decimal,
    target_tier: str,
    standing: Standing,
    cutoffs: Sequence[CutOffLike],
    garden_min_stars: int,
    target_stars: int | None = None,
    prerequisite: str = HELD,
) -> Decision:
    """The tier (and stars) a declaration reaches with `total`, with the sentences saying why.

    `prerequisite` is the round's rule (HELD or HELD_OR_REACHED, see the module docstring).
    """
    figures = {"total": published(total)}
    reasons: list[str] = []
    # Under HELD_OR_REACHED, the lower level this round's total reached, as (tier, stars):
    # what the community gets if it misses the declared tier's own cut-off.
    fallback: tuple[str, int | None] | None = None

    def miss() -> Decision:
        if fallback is not None and _above(*fallback, standing):
            reasons.append(
                _("It reaches %(rating)s in this round.")
                % {"rating": tier_label(fallback[0], fallback[1])}
            )
            return Decision(fallback[0], fallback[1], True, reasons)
        return _keep(standing, reasons)

    if target_tier == NORMATIVE:
        cut = _cutoff(cutoffs, NORMATIVE)
        if cut is None:
            return _keep(standing, [_("No normative cut-off is set for this round.")])
        if total >= cut:
            reasons.append(
                _("The total %(total)s reaches the normative cut-off %(cut)s.")
                % {**figures, "cut": published(cut)}
            )
            return Decision(NORMATIVE, None, True, reasons)
        reasons.append(
            _("The total %(total)s is below the normative cut-off %(cut)s.")
            % {**figures, "cut": published(cut)}
        )
        return _keep(standing, reasons)

    if target_tier not in (STAR, GARDEN):
        return _keep(standing, [_("The declared tier is unknown.")])

    rule = prerequisite_sentence(
        target_tier, prerequisite=prerequisite, cutoffs=cutoffs, garden_min_stars=garden_min_stars
    )
    if not prerequisite_held(target_tier, standing, garden_min_stars):
        if target_tier == STAR:
            lower, lower_stars, lower_cut = NORMATIVE, None, _cutoff(cutoffs, NORMATIVE)
        else:
            lower, lower_stars = STAR, garden_min_stars
            lower_cut = _cutoff(cutoffs, STAR, garden_min_stars)
        if prerequisite != HELD_OR_REACHED or lower_cut is None or total < lower_cut:
            return _keep(standing, [rule])
        reasons.append(
            _(
                "The total %(total)s reaches the cut-off of %(rating)s (%(cut)s) in this round, "
                "which meets the prerequisite."
            )
            % {**figures, "rating": tier_label(lower, lower_stars), "cut": published(lower_cut)}
        )
        if lower == STAR:
            # The garden fallback: the most stars the total reaches.
            lower_stars = next(stars for stars, cut in _star_levels(cutoffs) if total >= cut)
        fallback = (lower, lower_stars)

    if target_tier == STAR:
        levels = _star_levels(cutoffs)
        if not levels:
            reasons.append(_("No star cut-offs are set for this round."))
            return miss()
        for stars, cut in levels:
            if total >= cut:
                reasons.append(
                    _("The total %(total)s reaches the %(stars)s-star cut-off %(cut)s.")
                    % {**figures, "stars": stars, "cut": published(cut)}
                )
                if target_stars and stars != target_stars:
                    reasons.append(_("%(target)s stars were declared.") % {"target": target_stars})
                return Decision(STAR, stars, True, reasons)
        lowest_stars, lowest_cut = levels[-1]
        reasons.append(
            _("The total %(total)s is below the lowest star cut-off (%(stars)s star: %(cut)s).")
            % {**figures, "stars": lowest_stars, "cut": published(lowest_cut)}
        )
        return miss()

    cut = _cutoff(cutoffs, GARDEN)
    if cut is None:
        reasons.append(_("No garden cut-off is set for this round."))
        return miss()
    if total >= cut:
        reasons.append(
            _("The total %(total)s reaches the garden cut-off %(cut)s.")
            % {**figures, "cut": published(cut)}
        )
        return Decision(GARDEN, None, True, reasons)
    reasons.append(
        _("The total %(total)s is below the garden cut-off %(cut)s.")
        % {**figures, "cut": published(cut)}
    )
    return miss()


# Whole round -------------------------------------------------------------------------------


def score_declaration(
    declaration: DeclarationInput,
    *,
    settings: RoundSettings,
    criteria: Sequence[CriterionLike],
    cutoffs: Sequence[CutOffLike],
) -> DeclarationResult:
    """One declaration's criterion results, total and tier (its rank is set by `rank`)."""
    results = [
        criterion_result(criterion, declaration.sheets, declaration.objective, settings)
        for criterion in criteria
        if criterion.tier == declaration.target_tier
    ]
    exact_total = sum((Decimal(r.criterion.weight) * r.exact_mean for r in results), Decimal(0))
    judged_total = sum(
        (
            Decimal(r.criterion.weight) * r.exact_mean
            for r in results
            if r.criterion.source == JUDGED
        ),
        Decimal(0),
    )
    decision = decide_tier(
        total=exact_total,
        target_tier=declaration.target_tier,
        target_stars=declaration.target_stars,
        standing=declaration.standing,
        cutoffs=cutoffs,
        garden_min_stars=settings.garden_min_stars,
        prerequisite=settings.prerequisite,
    )
    return DeclarationResult(
        declaration_id=declaration.declaration_id,
        community_id=declaration.community_id,
        category=declaration.target_tier,
        total=published(exact_total),
        judged_total=published(judged_total),
        tier=decision.tier,
        stars=decision.stars,
        reached=decision.reached,
        explanation=decision.explanation,
        criteria=results,
    )


def rank(results: Iterable[DeclarationResult]) -> list[DeclarationResult]:
    """Set `rank` within each category (see the module docstring for the tie-break).

    Returns the results by category (normative, star, garden), then rank, then declaration id.
    """
    ordered = sorted(
        results,
        key=lambda r: (
            TIER_ORDER.get(r.category, 99),
            -r.total,
            -r.judged_total,
            r.declaration_id,
        ),
    )
    previous: DeclarationResult | None = None
    position = 0
    for result in ordered:
        if previous is None or previous.category != result.category:
            position = 0
        position += 1
        shares = (
            previous is not None
            and previous.category == result.category
            and (previous.total, previous.judged_total) == (result.total, result.judged_total)
        )
        result.rank = previous.rank if shares else position
        previous = result
    return ordered


def score_round(
    *,
    settings: RoundSettings,
    criteria: Sequence[CriterionLike],
    cutoffs: Sequence[CutOffLike],
    declarations: Iterable[DeclarationInput],
) -> list[DeclarationResult]:
    """Every declaration's result, ranked within its category."""
    return rank(
        score_declaration(d, settings=settings, criteria=criteria, cutoffs=cutoffs)
        for d in declarations
    )
