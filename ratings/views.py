"""The public pages of the three-tier rating: the rounds with a county overview, and each
round's results. The public sees a round only from its public notice on (PUBLISHED)."""

from django.http import Http404
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_safe

from chunan_community.public_cache import public_page
from communities.charts import Series, bar_chart
from ratings import queries
from ratings.models import Round, RoundStatus, Tier
from ratings.queries import county_overview, results_by_category, results_in_categories


def _overview_chart(overview):
    townships = [row.township.local_name for row in overview.rows]
    series = [
        Series(str(Tier.NORMATIVE.label), [row.normative for row in overview.rows]),
        Series(str(Tier.STAR.label), [row.star for row in overview.rows]),
        Series(str(Tier.GARDEN.label), [row.garden for row in overview.rows]),
    ]
    return bar_chart(
        id_prefix="ratings-overview",
        title=_("Communities by highest rating, per township"),
        desc=_("Number of communities holding each tier, in each township."),
        categories=townships,
        series=series,
        unit=_("communities"),
        integer=True,
    )


@require_safe
@public_page
def round_list(request):
    """Published rounds, newest first, and where the county stands."""
    overview = county_overview(timezone.localdate())
    return render(
        request,
        "ratings/round_list.html",
        {
            "rounds": list(Round.objects.published()),
            "overview": overview,
            "chart": _overview_chart(overview) if overview.rows else "",
        },
    )


@require_safe
@public_page
def round_results(request, code):
    """A published round's results by category; 404 before its notice opens, for everyone
    (staff follow unpublished rounds on their own pages). Under notice, the proposed results
    (rank, score, tier reached) from queries.round_results; afterwards, the confirmed ratings."""
    round_ = Round.objects.published().filter(code=code).first()
    if round_ is None:
        raise Http404
    in_notice = round_.status == RoundStatus.NOTICE
    return render(
        request,
        "ratings/round_results.html",
        {
            "round": round_,
            # Under notice: the proposed results, computed from the scores (no Rating yet).
            "proposed": results_in_categories(queries.round_results(round_)) if in_notice else [],
            "categories": [] if in_notice else results_by_category(round_),
            "in_notice": in_notice,
        },
    )
