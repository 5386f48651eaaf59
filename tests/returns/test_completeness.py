"""The completeness grid: cell statuses, rates, overdue list, founding, scope, queries."""

import datetime
from fractions import Fraction
from urllib.parse import parse_qs, urlsplit

import pytest
from django.conf import settings
from django.urls import reverse
from django.utils import timezone
from django.utils.html import escape

from chunan_community.figures import Percent
from chunan_community.months import add_months, month_start
from communities.models import Community, ReturnStatus, Role
from communities.returns.checks import founding_month, owes_return
from communities.returns.reports import (
    NOT_FOUNDED,
    NOT_STARTED,
    Cell,
    CommunityRow,
    cell_for,
    community_rows,
    completeness_communities,
    completeness_rates,
    overdue_returns,
)
from tests.factories import make_community, make_return, make_township, make_user
from tests.queries import NAV_QUERIES

pytestmark = pytest.mark.django_db

S = ReturnStatus
URL = reverse("returns:completeness")


def month(offset: int) -> datetime.date:
    """A month relative to the current one (months two or more back are always due)."""
    return add_months(month_start(timezone.localdate()), offset)


A, B, C = month(-4), month(-3), month(-2)
WINDOW = {"month_from": f"{A:%Y-%m}", "month_to": f"{C:%Y-%m}"}


@pytest.fixture
def english(client):
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"


@pytest.fixture
def returns(tree):
    """Three due months A, B, C; `latecomer` (south) is founded in month C.

    home:       A accepted, B submitted late, C draft
    neighbour:  A approved, B sent back,      C nothing
    far:        A submitted, B accepted late, C approved
    latecomer:  founded in C,                 C nothing
    """
    latecomer = make_community(
        township=tree["south"], code="latecomer", founded_year=C.year, founded_on=C
    )
    for community, period, status, late in [
        (tree["home"], A, S.ACCEPTED, False),
        (tree["home"], B, S.SUBMITTED, True),
        (tree["home"], C, S.DRAFT, False),
        (tree["neighbour"], A, S.APPROVED, False),
        (tree["neighbour"], B, S.RETURNED, False),
        (tree["far"], A, S.SUBMITTED, False),
        (tree["far"], B, S.ACCEPTED, True),
        (tree["far"], C, S.APPROVED, False),
    ]:
        make_return(community=community, period=period, status=status, is_late=late)
    return {**tree, "latecomer": latecomer}


def grid_of(response):
    """community code → [(status, late, overdue), …] for the rows of the grid."""
    return {
        row["community"].code: [(c.status, c.is_late, c.overdue) for c in row["cells"]]
        for row in response.context["grid"]
        if "community" in row
    }


def rates_of(response, kind):
    table = next(t for t in response.context["rate_tables"] if t["kind"] == kind)
    return {
        row["label"]: ([r.fraction for r in row["months"]], row["overall"].fraction)
        for row in table["rows"]
    }


def test_grid_cells_have_exact_statuses(client, users, returns, english):
    client.force_login(users["county"])

    response = client.get(URL, WINDOW)

    assert response.status_code == 200
    assert response.context["months"] == [A, B, C]
    assert grid_of(response) == {
        "home": [(S.ACCEPTED, False, False), (S.SUBMITTED, True, False), (S.DRAFT, False, True)],
        "neighbour": [
            (S.APPROVED, False, False),
            (S.RETURNED, False, True),
            (NOT_STARTED, False, True),
        ],
        "far": [(S.SUBMITTED, False, False), (S.ACCEPTED, True, False), (S.APPROVED, False, False)],
        "latecomer": [
            (NOT_FOUNDED, False, False),
            (NOT_FOUNDED, False, False),
            (NOT_STARTED, False, True),
        ],
    }
    townships = [row["township"].code for row in response.context["grid"] if "township" in row]
    assert townships == ["north", "south"]


def test_grid_links_each_cell_to_its_return(client, users, returns, english):
    client.force_login(users["county"])

    response = client.get(URL, WINDOW)

    html = response.content.decode()
    detail = reverse("returns:detail", kwargs={"code": "neighbour", "month": f"{C:%Y-%m}"})
    assert f'href="{detail}"' in html
    not_founded = reverse("returns:detail", kwargs={"code": "latecomer", "month": f"{A:%Y-%m}"})
    assert f'href="{not_founded}"' not in html
    assert 'style="' not in html
    assert "<script" not in html


def test_reporting_rates_per_township_and_county(client, users, returns, english):
    client.force_login(users["county"])

    response = client.get(URL, WINDOW)

    north, south = returns["north"].name_en, returns["south"].name_en
    F = Fraction
    assert rates_of(response, "reporting") == {
        north: ([F(2, 2), F(1, 2), F(0, 2)], F(3, 6)),
        south: ([F(1, 1), F(1, 1), F(1, 2)], F(3, 4)),
        "Total": ([F(3, 3), F(2, 3), F(1, 4)], F(6, 10)),
    }
    assert rates_of(response, "on_time") == {
        north: ([F(2, 2), F(0, 1), None], F(2, 3)),
        south: ([F(1, 1), F(0, 1), F(1, 1)], F(2, 3)),
        "Total": ([F(3, 3), F(0, 2), F(1, 1)], F(4, 6)),
    }


def test_overdue_list_is_exactly_the_unsubmitted_due_months(client, users, returns, english):
    client.force_login(users["county"])

    response = client.get(URL, WINDOW)

    overdue = [
        (row["community"].code, row["item"].period, row["item"].status)
        for row in response.context["overdue_rows"]
    ]
    assert overdue == [
        ("neighbour", B, S.RETURNED),
        ("home", C, S.DRAFT),
        ("neighbour", C, NOT_STARTED),
        ("latecomer", C, NOT_STARTED),
    ]


def test_overdue_list_filtered_by_township(client, users, returns, english):
    client.force_login(users["county"])

    response = client.get(URL, {**WINDOW, "township": "south"})

    overdue = [
        (row["community"].code, row["item"].period) for row in response.context["overdue_rows"]
    ]
    assert overdue == [("latecomer", C)]
    assert list(grid_of(response)) == ["far", "latecomer"]


def test_overdue_list_is_paginated(client, users, tree, english, settings):
    settings.PAGE_SIZE = 2
    client.force_login(users["county"])

    first = client.get(URL, WINDOW)
    second = client.get(URL, {**WINDOW, "overdue_page": 2})

    assert first.context["overdue_page"].paginator.count == 9  # 3 communities, 3 months
    assert [r["item"].period for r in second.context["overdue_rows"]] == [A, B]
    assert "overdue_page=2" in first.content.decode()


def test_current_month_is_not_overdue(client, users, tree, english):
    client.force_login(users["county"])

    response = client.get(URL, {"months": 1})

    assert response.context["months"] == [month(0)]
    assert grid_of(response)["home"] == [(NOT_STARTED, False, False)]
    assert response.context["overdue_rows"] == []
    # The period's rate counts only months already due: none here.
    assert rates_of(response, "reporting")[tree["north"].name_en] == ([Fraction(0, 2)], None)


def test_default_window_is_twelve_months_to_this_month(client, users, tree):
    client.force_login(users["county"])

    response = client.get(URL)

    assert response.context["months"] == [month(n) for n in range(-11, 1)]


def test_founded_year_months_before_founding_are_not_missing():
    today = datetime.date(2026, 3, 20)
    months = [datetime.date(2025, 11, 1), datetime.date(2025, 12, 1), datetime.date(2026, 1, 1)]
    founded = CommunityRow(1, 1, founding_month(2026, None))

    cells = [cell_for(founded, m, {}, today) for m in months]

    assert [c.status for c in cells] == [NOT_FOUNDED, NOT_FOUNDED, NOT_STARTED]
    assert [c.overdue for c in cells] == [False, False, True]
    assert overdue_returns([founded], months, {}, today)[0].period == datetime.date(2026, 1, 1)
    rates = completeness_rates([founded], months, {}, today)
    assert rates[None].overall.reporting == Percent(done=0, of=1)


def test_founding_month_prefers_the_exact_date():
    assert founding_month(2008, None) == datetime.date(2008, 1, 1)
    assert founding_month(2008, datetime.date(2008, 6, 18)) == datetime.date(2008, 6, 1)


def test_owes_return_filters_as_founding_month_decides(tree):
    """The rule in SQL (the dashboard) and in Python (the grid) name the same communities."""
    founded = [
        (2026, None),
        (2026, datetime.date(2026, 3, 31)),
        (2026, datetime.date(2026, 4, 1)),
        (2025, datetime.date(2025, 12, 31)),
        (2027, None),
    ]
    for n, (year, on) in enumerate(founded):
        make_community(township=tree["south"], code=f"owes{n}", founded_year=year, founded_on=on)
    mine = Community.objects.filter(code__startswith="owes")
    for period in (
        datetime.date(2025, 12, 1),
        datetime.date(2026, 1, 1),
        datetime.date(2026, 3, 1),
        datetime.date(2026, 4, 1),
        datetime.date(2027, 1, 1),
    ):
        in_sql = set(mine.filter(owes_return(period)).values_list("code", flat=True))
        in_python = {
            f"owes{n}" for n, (year, on) in enumerate(founded) if founding_month(year, on) <= period
        }
        assert in_sql == in_python, period
    assert set(
        mine.filter(owes_return(datetime.date(2026, 3, 1))).values_list("code", flat=True)
    ) == {"owes0", "owes1", "owes3"}


def test_community_rows_read_founded_year_from_the_database(tree, users):
    young = make_community(township=tree["south"], code="young", founded_year=2026)

    rows = community_rows(completeness_communities(users["county"], tree["south"]))

    assert rows == [
        CommunityRow(tree["far"].pk, tree["south"].pk, datetime.date(2002, 1, 1)),
        CommunityRow(young.pk, tree["south"].pk, datetime.date(2026, 1, 1)),
    ]


def test_a_return_saved_before_founding_still_shows():
    row = CommunityRow(1, 1, datetime.date(2026, 1, 1))
    found = {(1, datetime.date(2025, 12, 1)): (S.SUBMITTED, False)}

    cell = cell_for(row, datetime.date(2025, 12, 1), found, datetime.date(2026, 3, 1))

    assert cell == Cell(datetime.date(2025, 12, 1), S.SUBMITTED, False, False)


def test_rate_percent_rounds_half_up():
    assert Percent(2, 3).percent == 67
    assert Percent(1, 8).percent == 13
    assert Percent(0, 0).percent is None


def test_inactive_communities_are_left_out(client, users, tree, english):
    tree["far"].status = "dissolved"
    tree["far"].save()
    client.force_login(users["county"])

    response = client.get(URL, WINDOW)

    assert list(grid_of(response)) == ["home", "neighbour"]


# ---------------------------------------------------------------------------- rates, paged


@pytest.fixture
def west(tree):
    """A third township (after north and south in the grid's order) with one community,
    none of whose months is reported."""
    west = make_township(code="west")
    make_community(township=west, code="westend")
    return west


def rate_rows_html(response, kind):
    """The HTML of one rate table, from its opening tag to its end."""
    html = response.content.decode()
    start = html.index(f'id="rates-table-{kind}"')
    return html[start : html.index("</table>", start)]


def query_of(url):
    """The query of a pager link ("?a=1&b=2#anchor") as a plain dict."""
    return {key: values[0] for key, values in parse_qs(urlsplit(url).query).items()}


def test_rate_tables_show_one_page_of_townships_and_the_total(
    client, users, returns, west, english, settings
):
    settings.PAGE_SIZE = 2
    client.force_login(users["county"])

    first = client.get(URL, WINDOW)
    second = client.get(URL, {**WINDOW, "rates_page": 2})

    north, south = returns["north"].name_en, returns["south"].name_en
    F = Fraction
    total = ([F(3, 4), F(2, 4), F(1, 5)], F(6, 13))  # the three townships, on every page
    assert rates_of(first, "reporting") == {
        north: ([F(2, 2), F(1, 2), F(0, 2)], F(3, 6)),
        south: ([F(1, 1), F(1, 1), F(1, 2)], F(3, 4)),
        "Total": total,
    }
    assert rates_of(second, "reporting") == {
        west.name_en: ([F(0, 1), F(0, 1), F(0, 1)], F(0, 3)),
        "Total": total,
    }
    assert list(rates_of(second, "on_time")) == [west.name_en, "Total"]
    for kind in ("reporting", "on_time"):
        assert west.name_en not in rate_rows_html(first, kind)
        assert rate_rows_html(second, kind).count('<tr class="rates__total">') == 1
        assert north not in rate_rows_html(second, kind)
    assert first.context["rates_page"].paginator.count == 3
    assert 'id="rates-paged"' in first.content.decode()


def test_rate_pager_links_keep_the_other_parameters(client, users, tree, west, english, settings):
    settings.PAGE_SIZE = 2
    client.force_login(users["county"])
    params = {**WINDOW, "page": "2", "overdue_page": "3"}

    response = client.get(URL, params)

    pager = response.context["rates_pager"]
    assert query_of(pager.next_url) == {**params, "rates_page": "2"}
    assert urlsplit(pager.next_url).fragment == "rates-heading"
    assert [query_of(link["url"]) for link in pager.links] == [
        {**params, "rates_page": "1"},
        {**params, "rates_page": "2"},
    ]
    html = response.content.decode()
    assert f'href="{escape(pager.next_url)}"' in html
    # The other pagers keep this one's page in turn.
    overdue = response.context["overdue_pager"]
    second = client.get(URL, {**params, "rates_page": "2"})
    assert query_of(second.context["overdue_pager"].next_url)["rates_page"] == "2"
    assert query_of(overdue.next_url) == {**params, "overdue_page": "4"}
    assert "rates_page=2" in second.content.decode()  # the grid's pager (querystring tag)


@pytest.mark.parametrize(
    ("page", "number"),
    [("abc", 1), ("", 1), ("a\x00b", 1), ("99999", 2), ("9" * 400, 2), ("-1", 2)],
)
def test_bad_rates_page_falls_back_to_a_valid_page(
    client, users, tree, west, english, settings, page, number
):
    settings.PAGE_SIZE = 2
    client.force_login(users["county"])

    response = client.get(URL, {**WINDOW, "rates_page": page})

    assert response.status_code == 200
    assert response.context["rates_page"].number == number
    expected = [tree["north"].name_en, tree["south"].name_en] if number == 1 else [west.name_en]
    assert list(rates_of(response, "reporting")) == [*expected, "Total"]


def test_township_filter_shows_its_row_alone_whatever_the_rates_page(
    client, users, tree, west, english, settings
):
    settings.PAGE_SIZE = 2
    client.force_login(users["county"])

    response = client.get(URL, {**WINDOW, "township": "west", "rates_page": "2"})

    assert list(rates_of(response, "reporting")) == [west.name_en]
    assert response.context["rates_page"].paginator.num_pages == 1
    assert 'id="rates-paged"' not in response.content.decode()


def test_township_staff_rates_page_shows_only_their_township(
    client, users, tree, west, english, settings
):
    settings.PAGE_SIZE = 1
    client.force_login(users["township"])

    response = client.get(URL, {**WINDOW, "rates_page": "2"})

    assert list(rates_of(response, "reporting")) == [tree["north"].name_en]
    assert response.context["rates_pager"].next_url is None


# ---------------------------------------------------------------------------- permissions


def test_anonymous_is_sent_to_login(client):
    response = client.get(URL)

    assert response.status_code == 302
    assert response.url == f"{reverse('login')}?next={URL}"


@pytest.mark.parametrize("role", ["clerk", "other_clerk", "judge", "no_role"])
def test_other_roles_are_refused(client, users, role):
    client.force_login(users[role])

    response = client.get(URL)

    assert response.status_code == 403


def test_township_sees_only_its_own_communities(client, users, returns, english):
    client.force_login(users["township"])

    response = client.get(URL, WINDOW)

    assert list(grid_of(response)) == ["home", "neighbour"]
    assert "township" not in response.context["form"].fields
    assert list(rates_of(response, "reporting")) == [returns["north"].name_en]
    assert [r["community"].code for r in response.context["overdue_rows"]] == [
        "neighbour",
        "home",
        "neighbour",
    ]
    assert "far" not in {r["community"].code for r in response.context["overdue_rows"]}


def test_other_township_sees_only_the_south(client, users, returns, english):
    client.force_login(users["other_township"])

    response = client.get(URL, {**WINDOW, "township": "north"})  # ignored: not a county user

    assert list(grid_of(response)) == ["far", "latecomer"]


def test_county_sees_every_township(client, users, returns, english):
    client.force_login(users["county"])

    response = client.get(URL, WINDOW)

    assert list(grid_of(response)) == ["home", "neighbour", "far", "latecomer"]


# ---------------------------------------------------------------------------- bad input


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"months": "abc"}, "months"),
        ({"months": "0"}, "months"),
        ({"months": "999"}, "months"),
        ({"month_from": "2026-13"}, "month_from"),
        ({"month_from": "<script>"}, "month_from"),
        ({"month_from": "2026-05", "month_to": "2026-01"}, "month_from"),
        ({"month_to": "2999-01"}, "month_to"),
        ({"month_from": "2020-01", "month_to": "2026-01"}, "month_from"),
        ({"township": "nowhere"}, "township"),
    ],
)
def test_bad_filter_shows_form_errors(client, users, tree, params, field):
    client.force_login(users["county"])

    response = client.get(URL, params)

    assert response.status_code == 200
    assert list(response.context["form"].errors) == [field]
    # The page still shows the default window rather than failing.
    assert response.context["months"] == [month(n) for n in range(-11, 1)]


@pytest.mark.parametrize("page", ["abc", "-1", "99999"])
def test_bad_page_number_is_not_an_error(client, users, tree, page):
    client.force_login(users["county"])

    response = client.get(URL, {"page": page, "overdue_page": page})

    assert response.status_code == 200


# ---------------------------------------------------------------------------- queries


@pytest.mark.parametrize("townships", [2, 25])
@pytest.mark.parametrize("rates_page", ["1", "2"])
def test_grid_runs_the_same_queries_for_2_and_25_townships(
    client, django_assert_num_queries, townships, rates_page
):
    for n in range(townships):
        community = make_community(township=make_township(code=f"t{n:02d}"), code=f"c{n:02d}")
        make_return(community=community, period=month(-2), status=S.SUBMITTED)
    client.force_login(make_user(Role.COUNTY))

    # session, user, scope, township choices, communities in scope, returns of the window,
    # communities shown, townships shown (the grid's and the rate tables' page in one query),
    # and the navigation's
    with django_assert_num_queries(8 + NAV_QUERIES[Role.COUNTY]):
        response = client.get(URL, {"months": 12, "rates_page": rates_page})

    page = response.context["rates_page"]
    assert page.paginator.count == townships
    # Default PAGE_SIZE (20): 25 townships make two pages; 2 make one (page 2 falls back to 1).
    shown = min(townships, 20) if page.number == 1 else townships - 20
    assert page.number == (2 if townships == 25 and rates_page == "2" else 1)
    rows = next(t for t in response.context["rate_tables"] if t["kind"] == "reporting")["rows"]
    assert len(rows) == shown + 1
    assert rows[-1]["is_total"] is True


@pytest.mark.parametrize("count", [3, 30])
@pytest.mark.parametrize(("role", "queries"), [(Role.COUNTY, 8), (Role.TOWNSHIP, 7)])
def test_grid_runs_the_same_queries_for_3_and_30_communities(
    client, django_assert_num_queries, count, role, queries
):
    north, south = make_township(code="n"), make_township(code="s")
    for n in range(count * 2):  # `count` communities in each township
        community = make_community(township=north if n % 2 else south, code=f"c{n:02d}")
        for offset, status in [(-3, S.ACCEPTED), (-2, S.DRAFT), (-1, S.SUBMITTED)]:
            make_return(community=community, period=month(offset), status=status)
    client.force_login(make_user(role, township=north if role == Role.TOWNSHIP else None))

    # session, user, scope, [township choices: county only], communities in scope, returns of
    # the window, communities shown, townships shown, and the navigation's
    with django_assert_num_queries(queries + NAV_QUERIES[role]):
        response = client.get(URL, {"months": 12})

    assert response.status_code == 200
    assert response.context["community_count"] == (count * 2 if role == Role.COUNTY else count)
