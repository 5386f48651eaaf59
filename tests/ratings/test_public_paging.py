"""The public rating pages stay the same size at any scale: the county overview paged by
township, a round's results paged within each category with a township filter and a search,
and the printable notice split by township past CHUNAN_NOTICE_MAX_ROWS."""

import datetime
import re
from decimal import Decimal

import pytest
from django.conf import settings
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from ratings.models import CutOff, Objection, Rating, RoundStatus, Tier
from ratings.queries import results_by_category
from ratings.views import RESULTS_PER_CATEGORY
from tests.factories import make_community, make_township
from tests.ratings.factories import make_declaration, make_round

# The moment this module's dates are built for: each test keeps it, should the run cross
# midnight or a month's end (`.ci/run` moves the clock of a run to such days).
NOW = timezone.localtime()
pytestmark = [pytest.mark.django_db, pytest.mark.time_machine(NOW, tick=False)]

TODAY = NOW.date()


@pytest.fixture
def en(client):
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    return client


def rate(round_, community, tier=Tier.NORMATIVE, stars=None, **kwargs):
    kwargs.setdefault("valid_until", datetime.date(TODAY.year + 2, 12, 31))
    return Rating.objects.create(
        round=round_, community=community, tier=tier, stars=stars, **kwargs
    )


def final_round(**kwargs):
    kwargs.setdefault("code", "final-2025")
    kwargs.setdefault("year", TODAY.year)
    kwargs.setdefault("status", RoundStatus.FINAL)
    return make_round(**kwargs)


def categories(content):
    """Category key → [(rank cell, community code), …] as the results page shows them."""
    found = {}
    for key, body in re.findall(
        r'<section class="results-category" data-category="([\w-]+)".*?<tbody>(.*?)</tbody>',
        content,
        re.S,
    ):
        found[key] = re.findall(r'<tr data-community="([\w-]+)"><td class="num">([^<]+)</td>', body)
        found[key] = [(rank, code) for code, rank in found[key]]
    return found


def codes(rows):
    return [code for _rank, code in rows]


def counted(content):
    """Category key → the count in its heading."""
    return dict(
        re.findall(
            r'data-category="([\w-]+)"[^>]*>\s*<h[23][^>]*>.*?'
            r'<span class="results-category__count">\((\d+)\)</span>',
            content,
            re.S,
        )
    )


@pytest.fixture
def big_round():
    """27 ratings in two townships: 13 normative (one unranked, two with the same score),
    8 three-star, 4 five-star, 2 garden."""
    north = make_township(code="north", name="北镇", name_en="North")
    south = make_township(code="south", name="南镇", name_en="South")
    round_ = final_round()
    plan = (
        [(Tier.NORMATIVE, None)] * 13
        + [(Tier.STAR, 3)] * 8
        + [(Tier.STAR, 5)] * 4
        + [(Tier.GARDEN, None)] * 2
    )
    ranks = {}
    for n, (tier, stars) in enumerate(plan):
        community = make_community(
            township=north if n % 3 else south,
            code=f"c{n:02d}",
            name=f"社区{n:02d}",
            name_en=f"Community {n:02d}",
        )
        key = (tier, stars)
        ranks[key] = ranks.get(key, 0) + 1
        score = Decimal(90) - ranks[key] if n not in (3, 4) else Decimal(80)
        rank = None if n == 12 else ranks[key]
        rate(round_, community, tier, stars, score=score, rank=rank)
    return round_


# ---------- /ratings/: the overview paged by township ----------


def test_overview_is_paged_by_township_with_county_totals(en):
    townships = [make_township(code=f"t{n:02d}", name_en=f"Town {n:02d}") for n in range(25)]
    for township in townships:
        make_community(township=township)

    first = en.get("/ratings/").content.decode()
    second = en.get("/ratings/", {"page": 2}).content.decode()

    first_rows = re.findall(r'<tr data-township="([\w-]*)">', first)
    second_rows = re.findall(r'<tr data-township="([\w-]*)">', second)
    assert first_rows == [f"t{n:02d}" for n in range(settings.PAGE_SIZE)] + [""]
    assert second_rows == [f"t{n:02d}" for n in range(settings.PAGE_SIZE, 25)] + [""]
    # The county row counts every township, on every page.
    county = re.search(r'<tr data-township="">(.*?)</tr>', second, re.S)[1]
    assert re.findall(r'<td class="num">(\d+)</td>', county) == ["0", "0", "0", "25", "25"]
    assert "Townships 21 to 25 of 25." in second
    # The chart shows the townships of the page: one bar per township and tier.
    bars = re.findall(r'<rect class="chart__bar"[^>]*><title>([^<]+)</title>', second)
    assert len(bars) == 5 * 3
    assert bars[0] == "Normative community · Town 20: 0 communities"


@pytest.mark.parametrize("page", ["abc", "0", "-1", "999", "1.5", "%00"])
def test_overview_bad_page_gives_a_page(client, page):
    make_community()

    response = client.get("/ratings/", {"page": page})

    assert response.status_code == 200
    assert len(re.findall(r'<tr data-township="[\w-]+">', response.content.decode())) == 1


def test_overview_queries_are_the_same_for_one_and_many_pages(client):
    round_ = final_round()

    def measure(townships):
        for _ in range(townships):
            rate(round_, make_community(township=make_township()), Tier.STAR, 1)
        with CaptureQueriesContext(connection) as queries:
            client.get("/ratings/")
        return len(queries)

    # The communities by township and tier in force, their townships, the published rounds.
    assert measure(2) == measure(40) == 3


# ---------- /ratings/<code>/: paged categories ----------


def test_results_pages_together_list_every_category_in_order(client, big_round):
    expected = {
        c.key: [r.community.code for r in c.ratings] for c in results_by_category(big_round)
    }

    shown = {}
    for key, rows in expected.items():
        pages = -(-len(rows) // RESULTS_PER_CATEGORY)
        for number in range(1, pages + 1):
            content = client.get(big_round.get_absolute_url(), {f"page-{key}": number})
            shown.setdefault(key, []).extend(codes(categories(content.content.decode())[key]))

    assert shown == expected
    assert list(expected) == ["normative", "star-3", "star-5", "garden"]


def test_results_category_shows_its_count_and_one_page(en, big_round):
    content = en.get(big_round.get_absolute_url()).content.decode()

    # Each community once, under the rating it reached.
    assert counted(content) == {"normative": "13", "star-3": "8", "star-5": "4", "garden": "2"}
    rows = categories(content)
    assert {key: len(found) for key, found in rows.items()} == {
        "normative": RESULTS_PER_CATEGORY,
        "star-3": 8,
        "star-5": 4,
        "garden": 2,
    }
    # The real ranks: normative by rank; equal scores keep their ranks.
    assert rows["normative"][:5] == [
        ("1", "c00"),
        ("2", "c01"),
        ("3", "c02"),
        ("4", "c03"),
        ("5", "c04"),
    ]
    assert 'aria-label="Pages of Normative community"' in content
    assert 'aria-label="Pages of 3-star community"' not in content


def test_results_category_pages_are_independent_and_keep_the_filter(en, big_round):
    content = en.get(
        big_round.get_absolute_url(), {"page-normative": "2", "q": "Community"}
    ).content.decode()

    rows = categories(content)
    # Page 2 of normative: the last three, the unranked one last.
    assert rows["normative"] == [("11", "c10"), ("12", "c11"), ("—", "c12")]
    assert codes(rows["star-3"]) == [f"c{n:02d}" for n in range(13, 21)]
    pager = re.search(
        r'<nav class="pager" aria-label="Pages of Normative community">.*?</nav>', content, re.S
    )[0]
    assert 'href="?page-normative=1&amp;q=Community#category-normative" rel="prev"' in pager
    assert 'aria-current="page" aria-label="Page 2">2</a>' in pager


def test_results_filter_by_township_keeps_the_real_ranks(en, big_round):
    content = en.get(big_round.get_absolute_url(), {"township": "south"}).content.decode()

    rows = categories(content)
    # South holds every third community: c00, c03, c06, c09, c12, c15, c18, c21, c24.
    assert rows["normative"][:5] == [
        ("1", "c00"),
        ("4", "c03"),
        ("7", "c06"),
        ("10", "c09"),
        ("—", "c12"),
    ]
    assert codes(rows["star-3"]) == ["c15", "c18"]
    assert codes(rows["star-5"]) == ["c21", "c24"]
    assert "garden" not in rows
    assert counted(content)["normative"] == "5"
    assert 'id="filter-note"' in content


@pytest.mark.parametrize(
    ("q", "expected"), [("c07", ["c07"]), ("社区11", ["c11"]), ("community 02", ["c02"])]
)
def test_results_search_finds_a_community_by_name_or_code(client, big_round, q, expected):
    content = client.get(big_round.get_absolute_url(), {"q": q}).content.decode()

    assert codes(categories(content)["normative"]) == expected


def test_results_search_without_match_says_so(en, big_round):
    content = en.get(big_round.get_absolute_url(), {"q": "nowhere"}).content.decode()

    assert categories(content) == {}
    assert '<p class="empty" id="no-match">No community matches the filter.</p>' in content


@pytest.mark.parametrize(
    "query",
    [
        {"page-normative": "abc"},
        {"page-normative": "999"},
        {"page-normative": "-3"},
        {"page-star-3": "1e9"},
        {"township": "nowhere"},
        {"township": "'; DROP TABLE x; --"},
        {"q": "x" * 5000},
        {"q": "%_\\"},
    ],
)
def test_results_bad_values_never_fail(en, big_round, query):
    response = en.get(big_round.get_absolute_url(), query)

    assert response.status_code == 200
    if "township" in query:
        # Ignored with an error on the form: every result is shown.
        assert counted(response.content.decode())["normative"] == "13"
        assert "Select a valid choice." in response.content.decode()


def test_results_size_is_bounded_at_two_sizes(client):
    def rows_shown(count):
        Rating.objects.all().delete()
        round_ = final_round(code=f"r{count}")
        for n in range(count):
            rate(
                round_,
                make_community(),
                Tier.STAR if n % 2 else Tier.NORMATIVE,
                2 if n % 2 else None,
                rank=n + 1,
            )
        content = client.get(round_.get_absolute_url()).content.decode()
        return {key: len(rows) for key, rows in categories(content).items()}

    assert rows_shown(3) == {"normative": 2, "star-2": 1}
    assert rows_shown(60) == {"normative": RESULTS_PER_CATEGORY, "star-2": RESULTS_PER_CATEGORY}


@pytest.mark.parametrize("count", [3, 30])
def test_results_filtered_queries_do_not_grow(client, count, django_assert_num_queries):
    township = make_township(code="north")
    round_ = final_round()
    for n in range(count):
        rate(round_, make_community(township=township), rank=n + 1)

    # The round, the townships of the filter, the counts, the page.
    with django_assert_num_queries(4):
        response = client.get(round_.get_absolute_url(), {"township": "north", "q": "社区"})

    assert response.status_code == 200


def test_results_township_filter_is_a_select_up_to_a_limit(en, big_round):
    content = en.get(big_round.get_absolute_url()).content.decode()

    select = re.search(r'<select name="township" id="id_township">(.*?)</select>', content, re.S)
    assert re.findall(r'<option value="([\w-]*)"[^>]*>([^<]+)</option>', select[1]) == [
        ("", "All townships"),
        ("north", "North"),
        ("south", "South"),
    ]


def test_results_township_filter_is_a_text_box_beyond_the_limit(en, big_round, monkeypatch):
    monkeypatch.setattr("ratings.forms.TOWNSHIP_SELECT_MAX", 1)

    content = en.get(big_round.get_absolute_url()).content.decode()
    by_code = en.get(big_round.get_absolute_url(), {"township": "south"}).content.decode()
    by_name = en.get(big_round.get_absolute_url(), {"township": "南"}).content.decode()

    assert '<select name="township"' not in content
    assert '<input type="text" name="township" maxlength="100"' in content
    assert "Its code or part of its name." in content
    for page in (by_code, by_name):
        assert counted(page)["normative"] == "5"
        assert codes(categories(page)["star-5"]) == ["c21", "c24"]


# ---------- Under notice: proposed results, with the opinion form ----------


@pytest.fixture
def notice_round(tree):
    round_ = make_round(
        code="notice-2026",
        status=RoundStatus.NOTICE,
        notice_starts_on=TODAY - datetime.timedelta(days=1),
        notice_ends_on=TODAY + datetime.timedelta(days=5),
    )
    for key in ("home", "neighbour", "far"):
        make_declaration(round=round_, community=tree[key])
    return round_


def test_proposed_results_filtered_by_township_keep_the_opinion_form(en, notice_round, tree):
    content = en.get(notice_round.get_absolute_url(), {"township": "south"}).content.decode()

    assert codes(categories(content)["normative"]) == ["far"]
    assert 'id="objection-form"' in content
    # The opinion form still offers every community of the round, whatever the filter.
    form = content[content.index('id="objection-form"') :]
    assert len(re.findall(r'<option value="(\d*)"', form)) == 1 + 3

    response = en.post(
        reverse("ratings:objection_submit", kwargs={"code": notice_round.code}),
        {"text": "远社区的数据请核实。", "community": tree["far"].pk},
        REMOTE_ADDR="192.0.2.9",
    )

    assert response.status_code == 302
    assert Objection.objects.get().community == tree["far"]


def test_proposed_results_are_paged(client, notice_round, tree):
    for _ in range(RESULTS_PER_CATEGORY):
        make_declaration(round=notice_round, community=make_community(township=tree["north"]))

    first = categories(client.get(notice_round.get_absolute_url()).content.decode())
    second = categories(
        client.get(notice_round.get_absolute_url(), {"page-normative": 2}).content.decode()
    )

    assert len(first["normative"]) == RESULTS_PER_CATEGORY
    assert len(second["normative"]) == 3
    assert not set(codes(first["normative"])) & set(codes(second["normative"]))


# ---------- The printable notice ----------


def _notice(client, round_, **query):
    return client.get(f"/ratings/{round_.code}/notice/", query)


def test_notice_below_the_threshold_prints_every_result(en, big_round, settings):
    settings.CHUNAN_NOTICE_MAX_ROWS = 27

    page = _notice(en, big_round).content.decode()

    assert page.count('<tr data-community="') == 27
    assert 'id="notice-townships"' not in page


def test_notice_above_the_threshold_lists_the_townships(en, big_round, settings):
    settings.CHUNAN_NOTICE_MAX_ROWS = 26

    page = _notice(en, big_round).content.decode()

    assert '<tr data-community="' not in page
    townships = re.findall(
        r'<li data-township="(\w+)"><a href="\?township=(\w+)">([^<]+)</a> \((\d+) communities',
        page,
    )
    assert townships == [
        ("north", "north", "North", "18"),
        ("south", "south", "South", "9"),
    ]
    counts = dict(
        re.findall(
            r'<tr data-category="([\w-]+)"><th scope="row">[^<]+</th><td class="num">(\d+)</td>',
            page,
        )
    )
    assert counts == {"normative": "13", "star-3": "8", "star-5": "4", "garden": "2"}
    assert 'id="notice-title"' in page
    assert 'id="notice-signature"' in page
    assert "The above results are hereby announced" not in page


def test_notice_township_list_is_paged(client, settings):
    settings.CHUNAN_NOTICE_MAX_ROWS = 1
    round_ = final_round()
    for n in range(25):
        rate(round_, make_community(township=make_township(code=f"t{n:02d}")))

    first = _notice(client, round_).content.decode()
    second = _notice(client, round_, page="2").content.decode()
    bad = _notice(client, round_, page="nope")

    assert len(re.findall(r"<li data-township=", first)) == settings.PAGE_SIZE
    assert re.findall(r'<li data-township="(\w+)"', second) == ["t20", "t21", "t22", "t23", "t24"]
    assert bad.status_code == 200


def test_notice_of_a_township_lists_its_communities_with_county_ranks(en, big_round, settings):
    settings.CHUNAN_NOTICE_MAX_ROWS = 1

    page = _notice(en, big_round, township="south").content.decode()

    rows = re.findall(r'<tr data-community="(\w+)"><td class="num">([^<]+)</td>', page)
    normative = page[page.index('data-category="normative"') : page.index('data-category="star-3"')]
    assert re.findall(r'<tr data-community="(\w+)"><td class="num">([^<]+)</td>', normative) == [
        ("c00", "1"),
        ("c03", "4"),
        ("c06", "7"),
        ("c09", "10"),
        ("c12", "—"),
    ]
    assert len(rows) == 5 + 2 + 2
    assert "The communities of South (ranks are those of the whole county)" in page
    # The QR code and the address lead to the results of the same township.
    assert (
        '<span class="notice-url">http://testserver/ratings/final-2025/?township=south</span>'
        in page
    )
    assert "This is hereby announced." in page


def test_notice_of_an_unknown_township_is_404(client, big_round):
    assert _notice(client, big_round, township="nowhere").status_code == 404


def test_notice_queries_are_the_same_below_and_above_the_threshold(client, big_round, settings):
    def measure(limit):
        settings.CHUNAN_NOTICE_MAX_ROWS = limit
        with CaptureQueriesContext(connection) as queries:
            response = _notice(client, big_round, bust=str(limit))
        assert response.status_code == 200
        return len(queries)

    assert measure(1000) == measure(5) == 3


def test_notice_under_notice_above_the_threshold_lists_the_townships(en, notice_round, settings):
    settings.CHUNAN_NOTICE_MAX_ROWS = 2
    CutOff.objects.create(round=notice_round, tier=Tier.NORMATIVE, min_score=0)

    page = _notice(en, notice_round).content.decode()

    assert re.findall(r'<li data-township="(\w+)">', page) == ["north", "south"]
    assert 'id="notice-counts"' not in page
    south = _notice(en, notice_round, township="south").content.decode()
    assert re.findall(r'<tr data-community="(\w+)">', south) == ["far"]


def test_notice_size_is_bounded_at_two_sizes(client, settings):
    settings.CHUNAN_NOTICE_MAX_ROWS = 20

    def shown(count):
        Rating.objects.all().delete()
        round_ = final_round(code=f"n{count}")
        township = make_township()
        for _ in range(count):
            rate(round_, make_community(township=township))
        page = _notice(client, round_).content.decode()
        return page.count('<tr data-community="'), page.count("<li data-township=")

    assert shown(3) == (3, 0)
    assert shown(60) == (0, 1)
