from decimal import Decimal

import pytest
from django.utils import translation

from operations.demo import ratings_2008 as chunan_2008
from ratings.scoring import (
    GARDEN,
    HELD,
    HELD_OR_REACHED,
    NORMATIVE,
    STAR,
    CriterionSpec,
    CutOffSpec,
    DeclarationInput,
    DeclarationResult,
    DroppedScore,
    Finding,
    Settings,
    Sheet,
    Standing,
    criterion_result,
    decide_tier,
    rank,
    score_declaration,
    score_round,
    trimmed_mean,
)

D = Decimal
CUTOFFS = [
    CutOffSpec(NORMATIVE, D(60)),
    CutOffSpec(STAR, D(70), stars=1),
    CutOffSpec(STAR, D(75), stars=2),
    CutOffSpec(STAR, D(80), stars=3),
    CutOffSpec(STAR, D(85), stars=4),
    CutOffSpec(STAR, D(90), stars=5),
    CutOffSpec(GARDEN, D(90)),
]
NO_RATING = Standing()
NORMATIVE_HELD = Standing(NORMATIVE)
FOUR_STARS = Standing(STAR, 4)
CRITERION = CriterionSpec(pk=1, tier=STAR, max_points=D(10))


@pytest.fixture(autouse=True)
def english():
    """Explanations are compared in English, whatever translations the catalogue holds."""
    with translation.override("en"):
        yield


def sheets(points: dict[int, str], criterion: int = 1) -> list[Sheet]:
    return [Sheet(judge_id=judge, points={criterion: D(p)}) for judge, p in points.items()]


def judged(points: dict[int, str], settings: Settings | None = None):
    return criterion_result(CRITERION, sheets(points), {}, settings or Settings())


# Trimmed mean ------------------------------------------------------------------------------


def test_mean_three_judges_not_trimmed():
    result = judged({1: "7", 2: "8", 3: "9.5"})

    assert (result.mean, result.judges_counted) == (D("8.17"), 3)
    assert (result.dropped_high, result.dropped_low) == (None, None)


def test_mean_five_judges_drops_one_highest_and_one_lowest():
    result = judged({1: "9", 2: "6", 3: "8", 4: "10", 5: "7"})

    assert (result.mean, result.judges_counted) == (D("8.00"), 3)
    assert result.dropped_high == DroppedScore(4, D(10))
    assert result.dropped_low == DroppedScore(2, D(6))


def test_mean_seven_judges_drops_one_of_each():
    result = judged({1: "5", 2: "9", 3: "7", 4: "8", 5: "6", 6: "10", 7: "8"})

    assert (result.mean, result.judges_counted) == (D("7.60"), 5)
    assert result.dropped_high == DroppedScore(6, D(10))
    assert result.dropped_low == DroppedScore(1, D(5))


def test_mean_tie_at_the_top_drops_only_one():
    result = judged({1: "9", 2: "9", 3: "9", 4: "7", 5: "8"})

    # 9 + 9 + 8 remain: (26 / 3); dropping all three nines would give 7.5.
    assert (result.mean, result.judges_counted) == (D("8.67"), 3)
    assert result.dropped_high == DroppedScore(3, D(9))
    assert result.dropped_low == DroppedScore(4, D(7))


def test_mean_tie_at_the_bottom_drops_only_one():
    result = judged({1: "6", 2: "6", 3: "8", 4: "9", 5: "10"})

    assert result.mean == D("7.67")
    assert result.dropped_low == DroppedScore(1, D(6))
    assert result.dropped_high == DroppedScore(5, D(10))


def test_mean_all_equal_drops_two_different_judges():
    result = judged({1: "8", 2: "8", 3: "8", 4: "8", 5: "8"})

    assert (result.mean, result.judges_counted) == (D("8.00"), 3)
    assert (result.dropped_high.judge_id, result.dropped_low.judge_id) == (5, 1)


def test_mean_trim_switched_off_keeps_all_scores():
    points = {1: "10", 2: "4", 3: "8", 4: "8", 5: "8"}

    kept = judged(points, Settings(trim_extremes=False))
    trimmed = judged(points)

    assert (kept.mean, kept.judges_counted, kept.dropped_high) == (D("7.60"), 5, None)
    assert (trimmed.mean, trimmed.judges_counted) == (D("8.00"), 3)


def test_mean_trim_threshold_is_configurable():
    assert judged({1: "10", 2: "4", 3: "8", 4: "7"}, Settings(trim_min_judges=4)).mean == D("7.50")
    assert judged({1: "10", 2: "4", 3: "8", 4: "7"}).mean == D("7.25")


def test_mean_ignores_abstained_sheets():
    votes = [
        *sheets({1: "9", 2: "6", 3: "8", 4: "10"}),
        Sheet(judge_id=5, points={1: D(1)}, abstained=True),
    ]

    result = criterion_result(CRITERION, votes, {}, Settings())

    assert (result.mean, result.judges_counted, result.dropped_high) == (D("8.25"), 4, None)


def test_mean_without_scores_is_zero():
    assert trimmed_mean({}, trim=True) == (D(0), 0, None, None)


def test_mean_rounds_half_up_at_the_end():
    assert judged({1: "8.12", 2: "8.13"}).mean == D("8.13")
    assert judged({1: "8.12", 2: "8.13"}).exact_mean == D("8.125")


# Totals ------------------------------------------------------------------------------------


def test_total_is_weighted_sum_of_target_tier_criteria():
    criteria = [
        CriterionSpec(pk=1, tier=STAR, max_points=D(10), weight=D(2)),
        CriterionSpec(pk=2, tier=STAR, max_points=D(10), weight=D("0.5")),
        CriterionSpec(pk=3, tier=GARDEN, max_points=D(10), weight=D(5)),
    ]
    declaration = DeclarationInput(
        declaration_id=1,
        community_id=1,
        target_tier=STAR,
        target_stars=1,
        standing=NORMATIVE_HELD,
        sheets=[Sheet(1, {1: D(8), 2: D(6), 3: D(10)}), Sheet(2, {1: D(8), 2: D(6), 3: D(10)})],
    )

    result = score_declaration(declaration, settings=Settings(), criteria=criteria, cutoffs=[])

    assert [(r.criterion.pk, r.mean, r.weighted) for r in result.criteria] == [
        (1, D("8.00"), D("16.00")),
        (2, D("6.00"), D("3.00")),
    ]
    assert (result.total, result.judged_total) == (D("19.00"), D("19.00"))


def test_total_rounds_once_at_the_end():
    criteria = [CriterionSpec(pk=n, tier=NORMATIVE, max_points=D(10)) for n in (1, 2, 3)]
    points = {1: D(8), 2: D(8), 3: D(9)}  # each mean 25/3 = 8.333…
    declaration = DeclarationInput(
        1, 1, NORMATIVE, sheets=[Sheet(j, dict.fromkeys((1, 2, 3), points[j])) for j in (1, 2, 3)]
    )

    result = score_declaration(declaration, settings=Settings(), criteria=criteria, cutoffs=[])

    assert [r.mean for r in result.criteria] == [D("8.33")] * 3
    assert result.total == D("25.00")  # not 24.99 from the rounded means


def test_objective_criteria_give_all_or_nothing():
    criteria = [
        CriterionSpec(pk=1, tier=NORMATIVE, max_points=D(50)),
        CriterionSpec(pk=2, tier=NORMATIVE, max_points=D(10), source="facilities"),
        CriterionSpec(pk=3, tier=NORMATIVE, max_points=D(5), weight=D(2), source="space"),
        CriterionSpec(pk=4, tier=NORMATIVE, max_points=D(5), source="returns"),
    ]
    declaration = DeclarationInput(
        1,
        1,
        NORMATIVE,
        sheets=[Sheet(1, {1: D(40), 2: D(0)}), Sheet(2, {1: D(44)})],
        objective={
            "facilities": Finding(True, "9 of 9 facilities"),
            "space": Finding(False, "400 m² required, 250 m² present"),
        },
    )

    result = score_declaration(declaration, settings=Settings(), criteria=criteria, cutoffs=CUTOFFS)

    assert [(r.mean, r.weighted, r.judges_counted) for r in result.criteria] == [
        (D("42.00"), D("42.00"), 2),
        (D("10.00"), D("10.00"), 0),
        (D("0.00"), D("0.00"), 0),
        (D("0.00"), D("0.00"), 0),
    ]
    assert [r.finding for r in result.criteria[1:]] == [
        Finding(True, "9 of 9 facilities"),
        Finding(False, "400 m² required, 250 m² present"),
        Finding(False, "No data in the portal."),
    ]
    assert (result.total, result.judged_total) == (D("52.00"), D("42.00"))
    assert (result.tier, result.reached) == (None, False)


# Tier decisions ----------------------------------------------------------------------------


def decide(
    total,
    target,
    standing=NO_RATING,
    cutoffs=CUTOFFS,
    garden_min_stars=4,
    stars=None,
    prerequisite=HELD,
):
    return decide_tier(
        total=D(total),
        target_tier=target,
        target_stars=stars,
        standing=standing,
        cutoffs=cutoffs,
        garden_min_stars=garden_min_stars,
        prerequisite=prerequisite,
    )


def test_tier_normative_reached():
    decision = decide("60", NORMATIVE)

    assert (decision.tier, decision.stars, decision.reached) == (NORMATIVE, None, True)
    assert decision.explanation == ["The total 60.00 reaches the normative cut-off 60.00."]


def test_tier_normative_not_reached():
    decision = decide("59.995", NORMATIVE)

    assert (decision.tier, decision.reached) == (None, False)
    assert decision.explanation == [
        "The total 60.00 is below the normative cut-off 60.00.",
        "It holds no rating, so it receives none in this round.",
    ]


def test_tier_star_without_normative_in_force():
    decision = decide("95", STAR, stars=5)

    assert (decision.tier, decision.stars, decision.reached) == (None, None, False)
    assert decision.explanation == [
        "A star rating needs a normative rating in force.",
        "It holds no rating, so it receives none in this round.",
    ]


@pytest.mark.parametrize(
    ("total", "stars"),
    [("70", 1), ("74.99", 1), ("75", 2), ("82", 3), ("85", 4), ("89.99", 4), ("100", 5)],
)
def test_tier_stars_by_cutoffs(total, stars):
    decision = decide(total, STAR, NORMATIVE_HELD, stars=stars)

    assert (decision.tier, decision.stars, decision.reached) == (STAR, stars, True)
    assert len(decision.explanation) == 1


def test_tier_stars_explains_cutoff_and_declared_stars():
    decision = decide("82", STAR, NORMATIVE_HELD, stars=4)

    assert (decision.tier, decision.stars) == (STAR, 3)
    assert decision.explanation == [
        "The total 82.00 reaches the 3-star cut-off 80.00.",
        "4 stars were declared.",
    ]


def test_tier_star_held_also_satisfies_normative_prerequisite():
    assert decide("86", STAR, Standing(STAR, 2), stars=4).stars == 4


def test_tier_below_one_star_keeps_current_tier():
    decision = decide("69.99", STAR, NORMATIVE_HELD, stars=1)

    assert (decision.tier, decision.stars, decision.reached) == (NORMATIVE, None, False)
    assert decision.explanation == [
        "The total 69.99 is below the lowest star cut-off (1 star: 70.00).",
        "It keeps the rating it holds: Normative community.",
    ]


def test_tier_garden_with_enough_stars():
    decision = decide("90", GARDEN, FOUR_STARS)

    assert (decision.tier, decision.stars, decision.reached) == (GARDEN, None, True)
    assert decision.explanation == ["The total 90.00 reaches the garden cut-off 90.00."]


def test_tier_garden_with_too_few_stars():
    decision = decide("99", GARDEN, Standing(STAR, 3))

    assert (decision.tier, decision.stars, decision.reached) == (STAR, 3, False)
    assert decision.explanation == [
        "A garden rating needs a star rating of at least 4 stars in force.",
        "It keeps the rating it holds: 3-star community.",
    ]


def test_tier_garden_star_level_is_configurable():
    assert decide("90", GARDEN, Standing(STAR, 3), garden_min_stars=3).tier == GARDEN


def test_tier_garden_renewed_by_a_garden_community():
    assert decide("90", GARDEN, Standing(GARDEN)).tier == GARDEN


def test_tier_garden_below_cutoff():
    decision = decide("89.99", GARDEN, FOUR_STARS)

    assert (decision.tier, decision.stars, decision.reached) == (STAR, 4, False)
    assert decision.explanation == [
        "The total 89.99 is below the garden cut-off 90.00.",
        "It keeps the rating it holds: 4-star community.",
    ]


@pytest.mark.parametrize(
    ("target", "standing", "missing", "sentence"),
    [
        (NORMATIVE, Standing(), NORMATIVE, "No normative cut-off is set for this round."),
        (STAR, NORMATIVE_HELD, STAR, "No star cut-offs are set for this round."),
        (GARDEN, FOUR_STARS, GARDEN, "No garden cut-off is set for this round."),
    ],
)
def test_tier_missing_cutoff_is_explained(target, standing, missing, sentence):
    cutoffs = [c for c in CUTOFFS if c.tier != missing]

    decision = decide("100", target, standing, cutoffs=cutoffs, stars=5 if target == STAR else None)

    assert (decision.tier, decision.stars, decision.reached) == (
        standing.tier,
        standing.stars,
        False,
    )
    assert decision.explanation[0] == sentence


# Ranking -----------------------------------------------------------------------------------


def result(pk, category, total, judged_total):
    return DeclarationResult(
        declaration_id=pk,
        community_id=pk,
        category=category,
        total=D(total),
        judged_total=D(judged_total),
        tier=None,
        stars=None,
        reached=False,
        explanation=[],
        criteria=[],
    )


def test_rank_within_category_with_tie_break_and_shared_ranks():
    ranked = rank(
        [
            result(1, STAR, "85", "75"),
            result(2, NORMATIVE, "70", "70"),
            result(3, STAR, "90", "90"),
            result(4, STAR, "85", "80"),
            result(5, STAR, "70", "70"),
            result(6, STAR, "85", "75"),
            result(7, NORMATIVE, "75", "60"),
            result(8, GARDEN, "91", "91"),
        ]
    )

    assert [(r.category, r.declaration_id, r.rank) for r in ranked] == [
        (NORMATIVE, 7, 1),
        (NORMATIVE, 2, 2),
        (STAR, 3, 1),
        (STAR, 4, 2),  # same total as 1 and 6, more from the judged criteria
        (STAR, 1, 3),  # 1 and 6 tie on both: a shared rank, then 5 is fifth
        (STAR, 6, 3),
        (STAR, 5, 5),
        (GARDEN, 8, 1),
    ]


def test_score_round_tie_on_total_broken_by_judged_criteria():
    criteria = [
        CriterionSpec(pk=1, tier=NORMATIVE, max_points=D(90)),
        CriterionSpec(pk=2, tier=NORMATIVE, max_points=D(10), source="terms"),
    ]
    met, not_met = Finding(True, "term ends 2027-02-12"), Finding(False, "term ended 2025-06-01")
    declarations = [
        DeclarationInput(1, 11, NORMATIVE, [Sheet(1, {1: D(70)})], {"terms": met}),
        DeclarationInput(2, 12, NORMATIVE, [Sheet(1, {1: D(80)})], {"terms": not_met}),
        DeclarationInput(3, 13, NORMATIVE, [Sheet(1, {1: D(50)})], {"terms": met}),
    ]

    ranked = score_round(
        settings=Settings(), criteria=criteria, cutoffs=CUTOFFS, declarations=declarations
    )

    assert [(r.community_id, r.total, r.rank, r.tier) for r in ranked] == [
        (12, D("80.00"), 1, NORMATIVE),
        (11, D("80.00"), 2, NORMATIVE),
        (13, D("60.00"), 3, NORMATIVE),
    ]


# The round's prerequisite rule ---------------------------------------------------------------


def test_tier_star_without_normative_reached_in_this_round():
    decision = decide("82", STAR, stars=3, prerequisite=HELD_OR_REACHED)

    assert (decision.tier, decision.stars, decision.reached) == (STAR, 3, True)
    assert decision.explanation == [
        "The total 82.00 reaches the cut-off of Normative community (60.00) in this round, "
        "which meets the prerequisite.",
        "The total 82.00 reaches the 3-star cut-off 80.00.",
    ]


def test_tier_star_below_normative_cutoff_under_held_or_reached():
    decision = decide("59", STAR, stars=1, prerequisite=HELD_OR_REACHED)

    assert (decision.tier, decision.reached) == (None, False)
    assert decision.explanation == [
        "A star rating needs a normative rating in force, or a total in this round that "
        "reaches the normative cut-off 60.00.",
        "It holds no rating, so it receives none in this round.",
    ]


def test_tier_star_missed_but_normative_reached_in_this_round():
    decision = decide("65", STAR, stars=1, prerequisite=HELD_OR_REACHED)

    assert (decision.tier, decision.stars, decision.reached) == (NORMATIVE, None, True)
    assert decision.explanation[-1] == "It reaches Normative community in this round."


def test_tier_star_missed_keeps_the_normative_rating_held():
    decision = decide("65", STAR, NORMATIVE_HELD, stars=1, prerequisite=HELD_OR_REACHED)

    assert (decision.tier, decision.reached) == (NORMATIVE, False)


def test_tier_garden_with_its_star_level_reached_in_this_round():
    reached = decide("92", GARDEN, Standing(STAR, 2), prerequisite=HELD_OR_REACHED)
    fallback = decide("87", GARDEN, Standing(STAR, 2), prerequisite=HELD_OR_REACHED)

    assert (reached.tier, reached.reached) == (GARDEN, True)
    assert (fallback.tier, fallback.stars, fallback.reached) == (STAR, 4, True)


def test_round_scored_like_2008_gives_2008s_result():
    """The speech's first round: nobody held a rating; eight communities declared star and
    two normative; scored on the example scheme with its own prerequisite rule, the round
    gives what the speech reports (all ten normative, five three-star, three four-star)."""
    criteria = [
        CriterionSpec(pk=n, tier=tier, max_points=D(points), source=source, code=code)
        for n, (tier, code, _name, _en, points, source) in enumerate(
            chunan_2008.EXAMPLE_CRITERIA, start=1
        )
    ]
    cutoffs = [CutOffSpec(tier, score, stars) for tier, stars, score in chunan_2008.EXAMPLE_CUTOFFS]
    settings = Settings(prerequisite=chunan_2008.ROUND_CURRENT["prerequisite"])
    all_met = {source: Finding(True, "") for source in ("facilities", "space", "terms", "returns")}
    # The judged points per judged criterion of the declared tier, out of 25, 25 and 20 for
    # star (70 with the 30 objective points: 80 is three stars, 88 four); 20 and 20 for
    # normative (30 + 60 = 90).
    judged = {3: (18, 18, 14), 4: (21, 21, 16), None: (15, 15)}
    codes = sorted(chunan_2008.RESULTS_2008)
    declarations = []
    for n, code in enumerate(codes, start=1):
        tier, stars = chunan_2008.RESULTS_2008[code]
        own = [c for c in criteria if c.tier == tier and c.source == "judged"]
        points = dict(zip((c.pk for c in own), map(D, judged[stars]), strict=True))
        declarations.append(
            DeclarationInput(
                declaration_id=n,
                community_id=n,
                target_tier=tier,
                target_stars=stars,
                sheets=[Sheet(judge, points) for judge in (1, 2, 3)],
                objective=all_met,
            )
        )

    results = score_round(
        settings=settings, criteria=criteria, cutoffs=cutoffs, declarations=declarations
    )

    assert {codes[r.community_id - 1]: (r.tier, r.stars) for r in results} == (
        chunan_2008.RESULTS_2008
    )
    assert all(r.reached for r in results)
