"""Loading the rating rounds for `manage.py load_chunan` (the validity rule of a rating is
ratings.models.rating_valid_until).

The 2008 round and its results are facts (operations.demo.ratings_2008), asserted on every
run; the current round's dates, status and example scheme are `initial`: county staff adjust
the scheme and move the round on, and a re-run must not undo that.
"""

import datetime
from decimal import Decimal

from django.utils import timezone

from communities.loading import Loader
from operations.demo import ratings_2008 as data
from ratings.models import (
    Criterion,
    CutOff,
    Declaration,
    JudgeAssignment,
    Rating,
    Round,
    RoundStatus,
    rating_valid_until,
)


def load_ratings(loader: Loader, communities: dict) -> Round:
    """The 2008 round with its results from the record."""
    spec = dict(data.ROUND_2008)
    round_2008 = loader.put(Round, {"code": spec.pop("code")}, facts=spec)
    valid_until = rating_valid_until(round_2008)
    for code, (tier, stars) in data.RESULTS_2008.items():
        loader.put(
            Rating,
            {"round": round_2008, "community": communities[code]},
            facts={
                "tier": tier,
                "stars": stars,
                "score": None,
                "rank": None,
                "valid_until": valid_until,
                "explanation": data.RESULTS_2008_NOTE,
            },
        )

    return round_2008


def load_example_round(
    loader: Loader, *, today: datetime.date, communities: dict, judge, clerk
) -> Round:
    """The demo's example round of this year with its example scheme (`--demo-accounts`).

    Its dates lie around `today`: it stands at its review meeting, today, with the sample
    declarations in and `judge` chairing the panel, so that every demo account has rating
    work. A round of the example scheme that is still under way is kept as it is (staff may
    have moved it on); once it is confirmed or archived, a later year's load adds that
    year's round.
    """
    under_way = (
        Round.objects.filter(scheme_is_example=True)
        .exclude(status__in=[RoundStatus.FINAL, RoundStatus.ARCHIVED])
        .order_by("-year")
        .first()
    )
    if under_way is not None and under_way.year < today.year - 1:
        under_way = None
    if under_way is not None:
        loader.count(Round, "unchanged")
        current = under_way
        # Its declarations and panel are the staff's now: left as they are.
        loader.count(Declaration, "unchanged", Declaration.objects.filter(round=current).count())
        loader.count(
            JudgeAssignment, "unchanged", JudgeAssignment.objects.filter(round=current).count()
        )
    else:
        dates = {
            field: today + datetime.timedelta(days=days)
            for field, days in data.ROUND_CURRENT_DAYS.items()
        }
        new = loader.find(Round, {"code": str(today.year)}) is None
        current = loader.put(
            Round,
            {"code": str(today.year)},
            initial={
                "year": today.year,
                "name": data.ROUND_CURRENT_NAME % {"year": today.year},
                **data.ROUND_CURRENT,
                **dates,
            },
        )
        if new:
            _sample_review(loader, current, communities, judge=judge, clerk=clerk, today=today)
    for order, (tier, code, name, name_en, max_points, source) in enumerate(
        data.EXAMPLE_CRITERIA, start=1
    ):
        loader.put(
            Criterion,
            {"round": current, "code": code},
            initial={
                "tier": tier,
                "name": name,
                "name_en": name_en,
                "max_points": Decimal(max_points),
                "weight": Decimal(1),
                "source": source,
                "sort_order": order,
            },
        )
    for tier, stars, min_score in data.EXAMPLE_CUTOFFS:
        loader.put(
            CutOff,
            {"round": current, "tier": tier, "stars": stars},
            initial={"min_score": min_score},
        )
    return current


def _sample_review(loader, round_, communities, *, judge, clerk, today) -> None:
    """A new round's sample declarations, submitted before they closed, and its panel."""
    submitted_at = timezone.make_aware(
        datetime.datetime.combine(
            round_.declarations_close_on - datetime.timedelta(days=3), datetime.time(10)
        )
    )
    for code, (tier, stars, text) in data.ROUND_CURRENT_DECLARATIONS.items():
        loader.put(
            Declaration,
            {"round": round_, "community": communities[code]},
            initial={
                "target_tier": tier,
                "target_stars": stars,
                "self_assessment": text,
                "status": Declaration.Status.SUBMITTED,
                "submitted_at": submitted_at,
                "submitted_by": clerk if code == "xiyuan" else None,
            },
        )
    loader.put(JudgeAssignment, {"round": round_, "judge": judge}, initial={"is_chair": True})
