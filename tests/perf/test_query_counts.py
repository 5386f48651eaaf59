"""The key pages run the same number of SQL queries for 3 communities as for 25.

Each page is requested in a world of 3 and in a world of 25 communities (tests/perf/
conftest.py: the synthetic data of `generate_scale_data`), with every cache emptied first,
and its number of queries must equal the number pinned here at both sizes: constant in the
size of the data, and any change is visible in review. A page that starts running a query
per community, return or rating fails at 25 communities. The services reports are pinned
in tests/services/test_reports.py; `make bench` checks the same at 10 and 10,000.

When a page legitimately gains or loses a query, change its number here and say why.
"""

import pytest
from django.utils import timezone

from communities.models import MonthlyReturn, ReturnStatus, Role
from tests.queries import NAV_QUERIES

pytestmark = pytest.mark.django_db

# Anonymous visitors: no session, no user.
PUBLIC_PAGES = {
    # Townships with their sums, the county totals, the communities by township, the rounds
    # under public notice, the newest announcements, the newest published reports.
    "home": ("/", 6),
    # The years of the filter and the count of the published reports (none in this world;
    # with some, one more for the page: tests/reports/test_publishing.py).
    "statistics": ("/statistics/", 2),
    # The count and one page of communities, the townships of the filter.
    "directory": ("/communities/", 3),
    # The community; its bodies, their terms and branches; formations, facilities, honours,
    # pairings, ratings, service networks, outlets.
    "profile": ("/communities/{community}/", 11),
    # The communities by township and tier in force, the townships, the published rounds.
    "ratings": ("/ratings/", 3),
    # The round, the count of each category, one page of each category (ratings with their
    # communities and townships), the townships of the filter, the published opinions.
    "round_results": ("/ratings/{round}/", 5),
    # The round, its townships with their number of results, then either its ratings with
    # their communities (and townships) or, past CHUNAN_NOTICE_MAX_ROWS, the category counts.
    "round_notice": ("/ratings/{round}/notice/", 3),
}
# A staff page starts with 3: the session, its user, the user's scope. Each count below
# leaves out the navigation's (tests.queries), added by the user's role.
STAFF_PAGES = {
    "completeness": ("/returns/completeness/", 8),
    "completeness_township": ("/returns/completeness/?township={township}", 9),
    # A stock by quarter per township: the latest month of each community in the quarter.
    # Both aggregates count the returns reported per month and the communities owing them
    # per founding date (partial periods marked): two queries more than before; and read the
    # derived indicators for the indicator choice: one more.
    "aggregates_stock": (
        "/returns/aggregates/?indicator=residents&level=township&grain=quarter",
        11,
    ),
    # A flow per community of one township, by month.
    "aggregates_flow": (
        "/returns/aggregates/?indicator=volunteer_hours&level=community"
        "&township={township}&grain=month",
        12,
    ),
    # Two groups by quarter per township: indicators' flows and stocks in one query each,
    # their returns counted and owed; four for the derived re-employment rate.
    "pivot": (
        "/returns/pivot/?groups=population&groups=employment&level=township&grain=quarter",
        15,
    ),
    # The county's yearly report: a fixed number of grouped reads per section.
    "yearly_report": ("/manage/statistics/yearly/", 28),
    # The circular of the last closed quarter: the completeness grid's four reads and the
    # versions of it published (the publishing box).
    "circular": ("/manage/statistics/circular/", 8),
    "returns_list": ("/returns/", 8),
    # The months and townships of the filters, one count (show_full_result_count is off),
    # one page of returns.
    "admin_returns": ("/admin/communities/monthlyreturn/", 7),
    "admin_returns_filtered": ("/admin/communities/monthlyreturn/?status=accepted", 7),
    # The townships of the filter, one count, one page, the date drill-down (first and
    # last date, then the years or months).
    "admin_service_records": ("/admin/services/servicerecord/", 8),
    "admin_time_bank": ("/admin/services/timebankentry/", 8),
}
RETURN_FORM_GET = 14 + NAV_QUERIES[Role.CLERK]
RETURN_FORM_POST = 19


def _url(template, world):
    return template.format(
        community=world.community.code, round=world.round.code, township=world.township.code
    )


@pytest.mark.parametrize("page", PUBLIC_PAGES)
def test_public_page_queries_do_not_grow(client, world, count_queries, page):
    template, expected = PUBLIC_PAGES[page]

    response, queries = count_queries(lambda: client.get(_url(template, world)))

    assert response.status_code == 200
    assert queries == expected, f"{page} at {world.size} communities"


@pytest.mark.parametrize("page", STAFF_PAGES)
def test_staff_page_queries_do_not_grow(client, world, count_queries, page):
    template, expected = STAFF_PAGES[page]
    if not template.startswith("/admin/"):  # the admin's pages show no portal navigation
        expected += NAV_QUERIES[Role.COUNTY]
    client.force_login(world.county)

    response, queries = count_queries(lambda: client.get(_url(template, world)))

    assert response.status_code == 200
    assert queries == expected, f"{page} at {world.size} communities"


def test_return_form_queries_do_not_grow(client, world, count_queries):
    client.force_login(world.clerk)
    url = f"/returns/{world.community.code}/{world.last_month:%Y-%m}/"

    response, queries = count_queries(lambda: client.get(url))

    assert response.status_code == 200
    assert queries == RETURN_FORM_GET, f"at {world.size} communities"


def test_return_form_post_queries_do_not_grow(client, world, count_queries):
    client.force_login(world.clerk)
    month = timezone.localdate().replace(day=1)
    url = f"/returns/{world.community.code}/{month:%Y-%m}/"
    data = {"version": "0", "action": "save", "v_households": "1200", "v_residents": "3000"}

    response, queries = count_queries(lambda: client.post(url, data))

    assert (response.status_code, response.url) == (302, url)
    saved = MonthlyReturn.objects.get(community=world.community, period=month)
    assert (saved.status, saved.version) == (ReturnStatus.DRAFT, 1)
    assert queries == RETURN_FORM_POST, f"at {world.size} communities"
