"""The public pages of the three-tier rating: the rounds with a county overview, and each
round's results. The public sees a round only from its public notice on (PUBLISHED).

Both pages stay the same size at any scale: the overview is paged by township, and a round's
results are paged within each category, with a township filter and a search for a community
by name or code."""

from django.http import Http404
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_safe

from chunan_community.charts import Series, bar_chart
from chunan_community.paging import Pager, pager, paginate
from chunan_community.public_cache import public_page
from communities.models import Township
from ratings import queries
from ratings.forms import TOWNSHIP_SELECT_MAX, ResultsFilterForm
from ratings.models import Round, RoundStatus, Tier
from ratings.queries import county_overview, paged_results_by_category, results_in_categories


def _overview_chart(rows):
    townships = [row.township.local_name for row in rows]
    series = [
        Series(str(Tier.NORMATIVE.label), [row.normative for row in rows]),
        Series(str(Tier.STAR.label), [row.star for row in rows]),
        Series(str(Tier.GARDEN.label), [row.garden for row in rows]),
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
    """Published rounds, newest first, and where the county stands: the county's totals and
    a page of townships, in a table and a chart of the same townships."""
    overview = county_overview(timezone.localdate())
    page = paginate(request, overview.rows)
    return render(
        request,
        "ratings/round_list.html",
        {
            "rounds": list(Round.objects.published()),
            "overview": overview,
            "page": page,
            "chart": _overview_chart(page.object_list) if page.object_list else "",
        },
    )


# Rows per page in each category of a round's results: a page shows every category, so each
# gets less than a plain list. Ten: the whole of Chun'an's normative list, the top ten of
# each category elsewhere.
RESULTS_PER_CATEGORY = 10


def _page_param(key: str) -> str:
    return f"page-{key}"


def _pick_page(request, key: str, rows):
    """The page of a category that the request asks for (`?page-<key>=N`)."""
    return paginate(request, rows, _page_param(key), per_page=RESULTS_PER_CATEGORY)


def _pager(request, key: str, page, anchor: str) -> Pager:
    """A category's pager: each category pages with its own parameter."""
    return pager(request, page, _page_param(key), anchor)


def _results_filter(request):
    """The filter form of the results and the communities it keeps (None: all of them).
    One query: the townships, at most TOWNSHIP_SELECT_MAX + 1 of them."""
    townships = list(Township.objects.order_by("sort_order", "code")[: TOWNSHIP_SELECT_MAX + 1])
    form = ResultsFilterForm(request.GET or None, townships=townships)
    return form, form.communities() if form.is_bound else None


def _proposed_pages(request, round_, communities):
    """Under notice: the proposed results by category, each paged, computed from the scores
    of every declaration (the ranks are the county's) and then filtered."""
    categories = results_in_categories(queries.round_results(round_))
    if communities is not None:
        kept = set(communities.values_list("pk", flat=True))
        for category in categories:
            category.results = [r for r in category.results if r.declaration.community_id in kept]
        categories = [category for category in categories if category.results]
    for category in categories:
        category.key = category.tier
        category.page = _pick_page(request, category.key, category.results)
        category.pager = _pager(request, category.key, category.page, f"proposed-{category.key}")
    return categories


@require_safe
@public_page
def round_results(request, code):
    """A published round's results by category; 404 before its notice opens, for everyone
    (staff follow unpublished rounds on their own pages). Under notice, the proposed results
    (rank, score, tier reached) from queries.round_results; afterwards, the confirmed ratings.
    Each category is paged on its own; the filter narrows every category at once."""
    round_ = Round.objects.published().filter(code=code).first()
    if round_ is None:
        raise Http404
    in_notice = round_.status == RoundStatus.NOTICE
    filter_form, communities = _results_filter(request)
    if in_notice:
        proposed, categories = _proposed_pages(request, round_, communities), []
    else:
        proposed = []
        categories = paged_results_by_category(
            round_,
            lambda category: _pick_page(request, category.key, range(category.count)),
            communities,
        )
        for category in categories:
            category.pager = _pager(
                request, category.key, category.page, f"category-{category.key}"
            )
    return render(
        request,
        "ratings/round_results.html",
        {
            "round": round_,
            "filter_form": filter_form,
            "filtered": communities is not None,
            "proposed": proposed,
            "categories": categories,
            "in_notice": in_notice,
        },
    )
