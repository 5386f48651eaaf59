"""The completeness grid printed and exported: the page's figures exactly, the whole selection
(within the print view's bounds), the page's filters and errors, who may have them, a fixed
number of queries."""

import csv
import datetime
import io

import pytest
from django.conf import settings
from django.urls import reverse
from django.utils.html import escape
from openpyxl import load_workbook

from communities.models import Community, ReturnStatus, Role
from communities.returns import completeness_views
from tests.factories import make_community, make_return, make_township, make_user
from tests.html import tables

NOW = datetime.datetime(2026, 11, 25, 10, tzinfo=datetime.UTC)
pytestmark = [pytest.mark.django_db, pytest.mark.time_machine(NOW, tick=False)]

S = ReturnStatus
PAGE = reverse("returns:completeness")
PRINT = reverse("returns:completeness_print")
CSV = reverse("returns:completeness_csv")
XLSX = reverse("returns:completeness_xlsx")
A, B, C = datetime.date(2026, 7, 1), datetime.date(2026, 8, 1), datetime.date(2026, 9, 1)
WINDOW = {"month_from": "2026-07", "month_to": "2026-09"}


@pytest.fixture
def english(client):
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    return client


@pytest.fixture
def returns(tree):
    """Three due months A, B, C (as in test_completeness); `latecomer` (south) is founded in C.

    home:       A accepted, B submitted late, C draft
    neighbour:  A approved, B sent back,      C nothing
    far:        A submitted, B accepted late, C approved
    latecomer:  founded in C,                 C nothing
    """
    latecomer = make_community(
        township=tree["south"], code="latecomer", founded_year=2026, founded_on=C
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


def csv_lines(response):
    content = b"".join(response.streaming_content).decode("utf-8-sig")
    return list(csv.reader(io.StringIO(content)))


def grid_lines(tree):
    """The grid of `returns` as the files write it (English)."""
    north, south = tree["north"].name_en, tree["south"].name_en
    return [
        [
            north,
            "home",
            tree["home"].name_en,
            "Accepted by county",
            "Submitted (late)",
            "Draft (overdue)",
        ],
        [
            north,
            "neighbour",
            tree["neighbour"].name_en,
            "Approved by township",
            "Sent back (overdue)",
            "Not started (overdue)",
        ],
        [
            south,
            "far",
            tree["far"].name_en,
            "Submitted",
            "Accepted by county (late)",
            "Approved by township",
        ],
        [
            south,
            "latecomer",
            tree["latecomer"].name_en,
            "Not yet founded",
            "Not yet founded",
            "Not started (overdue)",
        ],
    ]


# ---------------------------------------------------------------------------- print


@pytest.fixture
def community_names(returns):
    """Community codes as their names, so that the tables read as the codes."""
    for community in Community.objects.all():
        Community.objects.filter(pk=community.pk).update(name_en=community.code)
    return returns


def test_print_shows_the_pages_grid_rates_and_overdue_list(english, users, community_names):
    returns = community_names
    english.force_login(users["county"])

    page = english.get(PAGE, WINDOW)
    response = english.get(PRINT, WINDOW)

    assert response.status_code == 200
    grid, reporting, on_time, overdue = tables(response)
    page_grid, page_reporting, page_on_time, page_overdue = tables(page)
    # The grid: the page's symbols and words, without the links.
    assert grid == page_grid
    # Each cell: the symbol, the status in words (for a screen reader), the marks.
    assert grid["tbody"][1] == ["home", "★Accepted by county", "↑Submitted late", "◐Draft!overdue"]
    assert reporting == page_reporting
    assert reporting["tbody"] == [
        [returns["north"].name_en, "100% 2/2", "50% 1/2", "0% 0/2", "50% 3/6"],
        [returns["south"].name_en, "100% 1/1", "100% 1/1", "50% 1/2", "75% 3/4"],
        ["Total", "100% 3/3", "67% 2/3", "25% 1/4", "60% 6/10"],
    ]
    assert on_time == page_on_time
    assert overdue == page_overdue
    assert [row[:3] for row in overdue["tbody"]] == [
        ["neighbour", returns["north"].name_en, "2026-08"],
        ["home", returns["north"].name_en, "2026-09"],
        ["neighbour", returns["north"].name_en, "2026-09"],
        ["latecomer", returns["south"].name_en, "2026-09"],
    ]
    html = response.content.decode()
    assert "4 communities, 2026-07 to 2026-09." in html
    assert "Figures as of 25 November 2026." in html
    assert "4 returns are past their due date and not submitted." in html
    assert "Printed from the Chun'an community-building portal on 2026-11-25 18:00." in html
    assert '<a href="/returns/home/' not in html
    assert "site-nav" not in html
    assert "<script" not in html
    assert 'style="' not in html


def test_print_with_a_township_filter(english, users, community_names):
    english.force_login(users["county"])

    response = english.get(PRINT, {**WINDOW, "township": "south"})

    grid, reporting, _on_time, overdue = tables(response)
    assert [row[0] for row in grid["tbody"]] == [
        community_names["south"].name_en,
        "far",
        "latecomer",
    ]
    assert [row[0] for row in reporting["tbody"]] == [community_names["south"].name_en]
    assert [row[0] for row in overdue["tbody"]] == ["latecomer"]
    text = " ".join(response.content.decode().split())
    assert f"{community_names['south'].name_en}: 2 communities, 2026-07 to 2026-09." in text


def test_print_leaves_out_a_grid_past_its_limit_and_says_so(
    english, users, community_names, monkeypatch
):
    monkeypatch.setattr(completeness_views, "PRINT_GRID_LIMIT", 3)
    monkeypatch.setattr(completeness_views, "PRINT_OVERDUE_LIMIT", 2)
    english.force_login(users["county"])

    county = english.get(PRINT, WINDOW)
    south = english.get(PRINT, {**WINDOW, "township": "south"})

    html = county.content.decode()
    assert 'id="print-grid"' not in html
    assert "The grid is printed for at most 3 communities." in html
    reporting, _on_time, overdue = tables(county)
    assert [row[0] for row in reporting["tbody"]][-1] == "Total"
    assert [row[0] for row in overdue["tbody"]] == ["neighbour", "home"]
    assert "The first 2 are printed, oldest month first" in html
    assert "4 returns are past their due date and not submitted." in html
    # A township's grid fits.
    assert 'id="print-grid"' in south.content.decode()


def test_print_for_township_staff_shows_their_township(english, users, community_names):
    english.force_login(users["township"])

    response = english.get(PRINT, {**WINDOW, "township": "south"})  # ignored, as on the page

    grid, reporting, _on_time, _overdue = tables(response)
    assert [row[0] for row in grid["tbody"]] == [
        community_names["north"].name_en,
        "home",
        "neighbour",
    ]
    assert [row[0] for row in reporting["tbody"]] == [community_names["north"].name_en]


def test_print_marks_sample_data(english, users, returns):
    returns["home"].returns.filter(period=A).update(is_sample=True)
    english.force_login(users["county"])

    html = english.get(PRINT, WINDOW).content.decode()

    assert "are invented for demonstration and are not official statistics." in html


def test_page_links_carry_its_filters_but_not_its_pages(english, users, returns):
    english.force_login(users["county"])
    query = "month_from=2026-07&amp;month_to=2026-09&amp;township=south"

    html = english.get(PAGE, {**WINDOW, "township": "south", "page": "2", "overdue_page": "3"})

    content = html.content.decode()
    assert f'href="{PRINT}?{query}">Print view</a>' in content
    assert f'href="{CSV}?{query}" download>Download CSV</a>' in content
    assert f'href="{XLSX}?{query}" download>Download Excel (.xlsx)</a>' in content


def test_page_with_bad_filters_offers_no_print_or_file(english, users, returns):
    english.force_login(users["county"])

    content = english.get(PAGE, {"month_from": "2026-13"}).content.decode()

    assert 'id="completeness-actions"' not in content
    assert PRINT not in content


# ---------------------------------------------------------------------------- files


def test_csv_holds_the_grid_of_every_community(english, users, returns, settings):
    settings.PAGE_SIZE = 1  # the page shows one community at a time; the file all of them
    english.force_login(users["county"])

    response = english.get(CSV, {**WINDOW, "page": "2"})

    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"] == (
        'attachment; filename="completeness-202607-202609.csv"'
    )
    assert csv_lines(response) == [
        ["Township", "Code", "Community", "2026-07", "2026-08", "2026-09"],
        *grid_lines(returns),
    ]


def test_csv_of_a_township(english, users, returns):
    english.force_login(users["county"])

    response = english.get(CSV, {**WINDOW, "township": "south"})

    assert response["Content-Disposition"] == (
        'attachment; filename="completeness-south-202607-202609.csv"'
    )
    assert csv_lines(response)[1:] == grid_lines(returns)[2:]


def test_csv_for_township_staff_holds_their_township(english, users, returns):
    english.force_login(users["township"])

    response = english.get(CSV, WINDOW)

    assert csv_lines(response)[1:] == grid_lines(returns)[:2]


def test_csv_in_chinese_by_default(client, users, returns):
    client.force_login(users["county"])

    lines = csv_lines(client.get(CSV, WINDOW))

    assert lines[0][:3] == ["乡镇", "编码", "社区"]
    assert lines[1][3] == "县级已确认（锁定）"


def test_workbook_holds_grid_rates_and_overdue_returns(english, users, returns):
    english.force_login(users["county"])

    response = english.get(XLSX, WINDOW)

    assert response.status_code == 200
    assert response["Content-Disposition"] == (
        'attachment; filename="completeness-202607-202609.xlsx"'
    )
    workbook = load_workbook(io.BytesIO(b"".join(response.streaming_content)))
    assert workbook.sheetnames == [
        "Status by community and month",
        "Reporting rate",
        "On-time rate",
        "Overdue returns",
    ]

    def values(title):
        return [[cell.value for cell in row] for row in workbook[title].iter_rows()]

    assert values("Status by community and month") == [
        ["Township", "Code", "Community", "2026-07", "2026-08", "2026-09"],
        *grid_lines(returns),
    ]
    north, south = returns["north"].name_en, returns["south"].name_en
    assert values("Reporting rate") == [
        ["Township", "2026-07", "2026-08", "2026-09", "Whole period"],
        [north, 1, 0.5, 0, 0.5],
        [south, 1, 1, 0.5, 0.75],
        ["Total", 1, pytest.approx(2 / 3), 0.25, 0.6],
    ]
    assert values("On-time rate") == [
        ["Township", "2026-07", "2026-08", "2026-09", "Whole period"],
        [north, 1, 0, None, pytest.approx(2 / 3)],
        [south, 1, 0, 1, pytest.approx(2 / 3)],
        ["Total", 1, 0, 1, pytest.approx(4 / 6)],
    ]
    assert {cell.number_format for cell in workbook["Reporting rate"]["B"][1:]} == {"0%"}
    due_aug, due_sep = datetime.datetime(2026, 9, 10), datetime.datetime(2026, 10, 10)
    assert workbook["Overdue returns"]["F2"].number_format == "yyyy-mm-dd"
    assert values("Overdue returns") == [
        ["Township", "Code", "Community", "Month", "Status", "Due on", "Days overdue"],
        [north, "neighbour", returns["neighbour"].name_en, "2026-08", "Sent back", due_aug, 76],
        [north, "home", returns["home"].name_en, "2026-09", "Draft", due_sep, 46],
        [north, "neighbour", returns["neighbour"].name_en, "2026-09", "Not started", due_sep, 46],
        [south, "latecomer", returns["latecomer"].name_en, "2026-09", "Not started", due_sep, 46],
    ]


def test_workbook_of_one_township_has_no_separate_total(english, users, returns):
    english.force_login(users["other_township"])

    response = english.get(XLSX, WINDOW)

    workbook = load_workbook(io.BytesIO(b"".join(response.streaming_content)))
    rows = [[cell.value for cell in row] for row in workbook["Reporting rate"].iter_rows()]
    assert rows[1:] == [[returns["south"].name_en, 1, 1, 0.5, 0.75]]
    assert "Sample data" not in workbook.sheetnames


def test_workbook_notes_sample_data(english, users, returns):
    returns["far"].returns.filter(period=A).update(is_sample=True)
    english.force_login(users["county"])

    response = english.get(XLSX, WINDOW)

    workbook = load_workbook(io.BytesIO(b"".join(response.streaming_content)))
    assert workbook["Sample data"]["A1"].value == (
        "Some of these returns are sample data, invented for demonstration: they are not "
        "official statistics."
    )


def test_a_name_that_looks_like_a_formula_is_written_as_text(english, users, returns):
    Community.objects.filter(code="home").update(name_en="=HYPERLINK(1)")
    english.force_login(users["county"])

    lines = csv_lines(english.get(CSV, WINDOW))
    workbook = load_workbook(io.BytesIO(b"".join(english.get(XLSX, WINDOW).streaming_content)))

    assert lines[1][2] == "'=HYPERLINK(1)"
    assert workbook["Status by community and month"]["C2"].value == "'=HYPERLINK(1)"


# ---------------------------------------------------------------------------- access


@pytest.mark.parametrize("url", [PRINT, CSV, XLSX])
@pytest.mark.parametrize(
    ("who", "status"),
    [
        ("county", 200),
        ("township", 200),
        ("other_township", 200),
        ("clerk", 403),
        ("other_clerk", 403),
        ("judge", 403),
        ("no_role", 403),
    ],
)
def test_who_may_print_and_export(client, users, url, who, status):
    client.force_login(users[who])

    assert client.get(url).status_code == status


@pytest.mark.parametrize("url", [PRINT, CSV, XLSX])
def test_anonymous_is_sent_to_log_in(client, url):
    response = client.get(url)

    assert (response.status_code, response["Location"]) == (302, f"/accounts/login/?next={url}")


@pytest.mark.parametrize("url", [PRINT, CSV, XLSX])
def test_post_is_refused(client, users, url):
    client.force_login(users["county"])

    assert client.post(url).status_code == 405


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
        ({"month_from": "a\x00b"}, "month_from"),
    ],
)
def test_bad_filters_are_refused_with_the_pages_message(english, users, tree, params, field):
    english.force_login(users["county"])

    page = english.get(PAGE, params)
    printed = english.get(PRINT, params)
    files = [english.get(url, params) for url in (CSV, XLSX)]

    (message,) = page.context["form"].errors[field]
    label = page.context["form"][field].label
    assert printed.status_code == 400
    assert escape(f"{label}: {message}") in printed.content.decode()
    assert 'id="print-grid"' not in printed.content.decode()
    for response in files:
        assert response.status_code == 400
        assert response["Content-Type"] == "text/plain"
        assert response.content.decode() == f"{field}: {message}"


def test_bad_filters_are_refused_in_chinese_by_default(client, users, tree):
    client.force_login(users["county"])
    params = {"month_from": "2026-13"}

    page = client.get(PAGE, params)
    printed = client.get(PRINT, params)
    exported = client.get(CSV, params)

    (message,) = page.context["form"].errors["month_from"]
    assert printed.status_code == exported.status_code == 400
    assert escape(message) in printed.content.decode()
    assert exported.content.decode() == f"month_from: {message}"
    assert printed.content.decode().startswith('<!DOCTYPE html>\n<html lang="zh-Hans">')


# ---------------------------------------------------------------------------- queries


def populate(count, townships):
    """`count` communities over `townships`, each with three returns of the window."""
    for n in range(count):
        community = make_community(township=townships[n % len(townships)])
        for period, status in [(A, S.ACCEPTED), (B, S.DRAFT), (C, S.SUBMITTED)]:
            make_return(community=community, period=period, status=status)


@pytest.mark.parametrize(
    ("role", "filtered", "queries"),
    [
        # session, user, scope, the communities in scope, the returns of the window; the
        # print view then the communities and the townships it names, the files the
        # communities and their townships (one query)
        (Role.COUNTY, False, {PRINT: 7, CSV: 6, XLSX: 6}),
        # and the township filtered on
        (Role.COUNTY, True, {PRINT: 8, CSV: 7, XLSX: 7}),
        (Role.TOWNSHIP, False, {PRINT: 7, CSV: 6, XLSX: 6}),
    ],
)
def test_queries_do_not_grow_with_the_selection(
    client, django_assert_num_queries, role, filtered, queries
):
    townships = [make_township(code="t1"), make_township(code="t2")]
    client.force_login(make_user(role, township=townships[0] if role == Role.TOWNSHIP else None))
    params = {**WINDOW, **({"township": "t1"} if filtered else {})}
    counted = []
    for count in (2, 40):
        populate(count, townships)
        for url, expected in queries.items():
            with django_assert_num_queries(expected):
                response = client.get(url, params)
                content = (
                    b"".join(response.streaming_content) if response.streaming else response.content
                )
            assert response.status_code == 200
            counted.append(len(content) > 0)
    assert all(counted)
