"""The public rating pages: the round list with its county overview, each round's results,
and the rating history on a community's profile."""

import datetime
import re

import pytest
from django.conf import settings
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from communities.models import Role
from ratings.models import Rating, Round, RoundStatus, Tier
from tests.factories import make_community, make_township, make_user

pytestmark = pytest.mark.django_db

UNPUBLISHED = [
    RoundStatus.PLANNED,
    RoundStatus.DECLARATIONS_OPEN,
    RoundStatus.DECLARATIONS_CLOSED,
    RoundStatus.REVIEW,
    RoundStatus.RANKING,
]


def make_round(**kwargs) -> Round:
    kwargs.setdefault("code", str(kwargs.get("year", 2024)))
    kwargs.setdefault("year", int(kwargs["code"]))
    kwargs.setdefault("name", f"{kwargs['year']}年度创建“规范、星级、花园”社区评定")
    kwargs.setdefault("status", RoundStatus.FINAL)
    return Round.objects.create(**kwargs)


def make_rating(round_, community, tier=Tier.NORMATIVE, stars=None, **kwargs) -> Rating:
    kwargs.setdefault("valid_until", datetime.date(round_.year + 2, 12, 31))
    return Rating.objects.create(
        round=round_, community=community, tier=tier, stars=stars, **kwargs
    )


@pytest.fixture
def en(client):
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    return client


def _rounds_listed(content):
    return re.findall(r'<li data-round="([\w-]+)">', content)


def _overview(content):
    """Township code ("" for the county) → [normative, star, garden, not rated, total]."""
    rows = re.findall(r'<tr data-township="([\w-]*)">(.*?)</tr>', content, re.S)
    return {
        code: [int(n) for n in re.findall(r'<td class="num">(\d+)</td>', row)] for code, row in rows
    }


# ---------- Publication: nothing before the notice ----------


def test_round_list_shows_published_rounds_only_newest_first(client):
    make_round(code="2008")
    make_round(code="2024", status=RoundStatus.ARCHIVED)
    make_round(code="2025", status=RoundStatus.NOTICE)
    for year, status in enumerate(UNPUBLISHED, start=2026):
        make_round(code=str(year), status=status)

    response = client.get("/ratings/")

    assert _rounds_listed(response.content.decode()) == ["2025", "2024", "2008"]


@pytest.mark.parametrize("status", UNPUBLISHED)
@pytest.mark.parametrize("who", [None, Role.COUNTY, Role.TOWNSHIP, Role.CLERK, Role.JUDGE])
def test_unpublished_round_results_are_404_for_everyone(client, status, who):
    township = make_township()
    round_ = make_round(code="2026", status=status)
    if who is not None:
        community = make_community(township=township)
        user = make_user(
            who,
            township=township if who == Role.TOWNSHIP else None,
            community=community if who == Role.CLERK else None,
        )
        client.force_login(user)

    response = client.get(f"/ratings/{round_.code}/")

    assert response.status_code == 404


def test_superuser_gets_404_for_an_unpublished_round_too(client):
    make_round(code="2026", status=RoundStatus.DECLARATIONS_OPEN)
    client.force_login(make_user(None, is_superuser=True, is_staff=True))

    assert client.get("/ratings/2026/").status_code == 404
    assert _rounds_listed(client.get("/ratings/").content.decode()) == []


def test_round_moved_to_notice_appears_with_its_notice_period(en):
    round_ = make_round(code="2026", status=RoundStatus.RANKING)
    assert en.get("/ratings/2026/").status_code == 404

    Round.objects.filter(pk=round_.pk).update(
        status=RoundStatus.NOTICE,
        notice_starts_on=datetime.date(2027, 1, 20),
        notice_ends_on=datetime.date(2027, 1, 26),
    )

    assert _rounds_listed(en.get("/ratings/").content.decode()) == ["2026"]
    content = en.get("/ratings/2026/").content.decode()
    assert '<dd id="round-status">Proposed results, under public notice</dd>' in content
    assert (
        '<dd id="notice-period"><time datetime="2027-01-20">20 January 2027</time> \u2013 '
        '<time datetime="2027-01-26">26 January 2027</time></dd>'
    ) in content


def test_unknown_round_is_404(client):
    assert client.get("/ratings/1999/").status_code == 404


# ---------- Results ----------


def test_scored_round_results_show_rank_score_and_tie_break(en):
    township = make_township()
    a, b, c = (
        make_community(township=township, name=n, name_en="")
        for n in ("甲社区", "乙社区", "丙社区")
    )
    round_ = make_round(code="2025")
    make_rating(round_, a, Tier.STAR, 3, score="80.50", rank=1)
    make_rating(round_, b, Tier.NORMATIVE, score="70.00", rank=1)
    make_rating(round_, c, Tier.NORMATIVE, score="64.25", rank=2)

    content = en.get("/ratings/2025/").content.decode()

    assert 'id="tie-break"' in content
    sections = dict(re.findall(r'data-category="([\w-]+)".*?<tbody>(.*?)</tbody>', content, re.S))
    assert list(sections) == ["normative", "star-3"]

    def rows(html):
        return [
            (rank, name, score)
            for rank, name, score in re.findall(
                r'<td class="num">([^<]+)</td>\s*<th scope="row" class="results-community">'
                r'<a href="[^"]+"><span lang="zh-Hans">([^<]+)</span></a></th>\s*<td>[^<]*</td>\s*'
                r'<td class="num">([^<]+)</td>',
                html,
            )
        ]

    # Each community once, under the rating it reached.
    assert rows(sections["normative"]) == [("1", "乙社区", "70.00"), ("2", "丙社区", "64.25")]
    assert rows(sections["star-3"]) == [("1", "甲社区", "80.50")]
    assert 'id="listed-once"' in content


# ---------- County overview ----------


def test_overview_counts_the_ratings_in_force_today(en):
    north, south = make_township(code="north"), make_township(code="south")
    communities = [make_community(township=north) for _ in range(4)] + [
        make_community(township=south) for _ in range(2)
    ]
    today = timezone.localdate()
    old = make_round(code="2019", year=2019)
    new = make_round(code=str(today.year), year=today.year)
    later = datetime.date(today.year + 2, 12, 31)
    # The newer round counts over the older one; expired and revoked ratings do not count.
    make_rating(old, communities[0], Tier.NORMATIVE, valid_until=later)
    make_rating(new, communities[0], Tier.STAR, 4, valid_until=later)
    make_rating(new, communities[1], Tier.GARDEN, valid_until=later)
    make_rating(new, communities[2], Tier.NORMATIVE, valid_until=later)
    make_rating(old, communities[3], Tier.STAR, 2, valid_until=datetime.date(2021, 12, 31))
    make_rating(
        new,
        communities[4],
        Tier.STAR,
        3,
        valid_until=later,
        revoked_on=today,
        revoked_reason="示例",
    )
    make_rating(new, communities[5], Tier.STAR, 1, valid_until=later)
    # A closed community is not on the overview.
    make_community(township=south, status="dissolved")

    content = en.get("/ratings/").content.decode()

    assert _overview(content) == {
        "north": [1, 1, 1, 1, 4],
        "south": [0, 1, 0, 1, 2],
        "": [1, 2, 1, 2, 6],
    }
    assert "Communities by the highest rating in force on" in content


def test_overview_falls_back_to_the_latest_confirmed_round_when_none_is_in_force(en):
    north = make_township(code="north", name="北镇")
    a, b = make_community(township=north), make_community(township=north)
    old = make_round(code="2008", year=2008)
    make_rating(old, a, Tier.STAR, 4, valid_until=datetime.date(2010, 12, 31))
    make_rating(old, b, Tier.NORMATIVE, valid_until=datetime.date(2010, 12, 31))
    # A round under notice has no ratings yet and does not change the basis.
    make_round(code="2026", status=RoundStatus.NOTICE)

    content = en.get("/ratings/").content.decode()

    assert _overview(content) == {"north": [1, 1, 0, 0, 2], "": [1, 1, 0, 0, 2]}
    assert (
        "No rating is in force today: communities by their rating from the latest confirmed "
        'round, <span lang="zh-Hans">2008年度创建“规范、星级、花园”社区评定</span> '
        "(valid until 31 December 2010)."
    ) in content


def test_overview_chart_has_one_bar_per_township_and_tier(en):
    north = make_township(code="north", name="北镇", name_en="North")
    south = make_township(code="south", name="南镇", name_en="South")
    today = timezone.localdate()
    round_ = make_round(code=str(today.year), year=today.year)
    make_rating(round_, make_community(township=north), Tier.STAR, 3)
    make_rating(round_, make_community(township=north), Tier.STAR, 4)
    make_rating(round_, make_community(township=south), Tier.NORMATIVE)

    content = en.get("/ratings/").content.decode()

    svg = re.search(r"<svg .*?</svg>", content, re.S).group(0)
    assert re.findall(r'<rect class="chart__bar"[^>]*><title>([^<]+)</title>', svg) == [
        "Normative community · North: 0 communities",
        "Normative community · South: 1 communities",
        "Star community · North: 2 communities",
        "Star community · South: 0 communities",
        "Garden community · North: 0 communities",
        "Garden community · South: 0 communities",
    ]


# ---------- Profile ----------


def test_profile_shows_the_rating_history_newest_first(en):
    community = make_community(code="xiyuan", name="西园社区")
    first = make_round(code="2008", year=2008, name="首届评定")
    second = make_round(code="2011", year=2011, name="2011年度评定")
    hidden = make_round(code="2014", year=2014, status=RoundStatus.RANKING)
    make_rating(first, community, Tier.STAR, 3, valid_until=datetime.date(2010, 12, 31))
    make_rating(
        second,
        community,
        Tier.NORMATIVE,
        valid_until=datetime.date(2013, 12, 31),
        revoked_on=datetime.date(2012, 5, 1),
        revoked_reason="复查不合格",
    )
    # A rating of a round not (or no longer) published never shows.
    make_rating(hidden, community, Tier.GARDEN)

    content = en.get("/communities/xiyuan/").content.decode()

    rows = re.findall(
        r'<tr data-round="(\w+)">\s*<th scope="row"><a href="([^"]+)">(.*?)</a></th>\s*'
        r"<td>([^<]+)</td>\s*<td><time[^>]*>([^<]+)</time></td>\s*<td>(.*?)</td>",
        content,
        re.S,
    )
    assert rows == [
        (
            "2011",
            "/ratings/2011/",
            '2011 · <span lang="zh-Hans">2011年度评定</span>',
            "Normative community",
            "2013-12-31",
            '<time datetime="2012-05-01">2012-05-01</time>: <span lang="zh-Hans">复查不合格</span>',
        ),
        (
            "2008",
            "/ratings/2008/",
            '2008 · <span lang="zh-Hans">首届评定</span>',
            "3-star community",
            "2010-12-31",
            "—",
        ),
    ]


def test_profile_without_ratings_says_so(en):
    make_community(code="xiyuan")

    content = en.get("/communities/xiyuan/").content.decode()

    assert "This community has no rating yet." in content


# ---------- Query counts ----------


def _populate(count):
    townships = [make_township() for _ in range(3)]
    today = timezone.localdate()
    round_ = make_round(code=str(today.year), year=today.year)
    for n in range(count):
        community = make_community(township=townships[n % 3])
        if n % 2:
            make_rating(round_, community, Tier.STAR, 1 + n % 5, score=60 + n, rank=n)
        else:
            make_rating(round_, community, Tier.NORMATIVE, score=60 + n, rank=n)
    return round_


# /ratings/: the rounds, the public communities by township and tier in force, the townships.
# /ratings/<code>/: the round, the count of each category, one page of each category (ratings
# with communities and townships), the townships of the filter.
RATING_QUERIES = {"list": 3, "results": 4}


@pytest.mark.parametrize("count", [3, 30])
@pytest.mark.parametrize("page", ["list", "results"])
def test_rating_pages_query_count_is_constant(client, count, page, django_assert_num_queries):
    round_ = _populate(count)
    url = "/ratings/" if page == "list" else round_.get_absolute_url()

    with django_assert_num_queries(RATING_QUERIES[page]):
        response = client.get(url)

    assert response.status_code == 200


def test_overview_fallback_query_count_is_the_same_for_few_and_many(client):
    def measure(count):
        Rating.objects.all().delete()
        Round.objects.all().delete()
        round_ = make_round(code="2008", year=2008)
        township = make_township()
        for _ in range(count):
            make_rating(
                round_, make_community(township=township), valid_until=datetime.date(2010, 12, 31)
            )
        with CaptureQueriesContext(connection) as queries:
            client.get("/ratings/")
        return len(queries)

    assert measure(3) == measure(30) == 5
