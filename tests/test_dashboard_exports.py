"""The dashboard printed and exported: the page's figures exactly, as a print page, a workbook
(numbers as numbers, rates as percentages) and a CSV; who may have them; a fixed number of
queries."""

import csv
import datetime
import io
from decimal import Decimal

import pytest
from django.conf import settings
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from openpyxl import load_workbook

from communities.models import Role
from services.models import Volunteer
from tests import test_dashboard as board_tests
from tests.factories import make_township, make_user
from tests.html import tables
from tests.queries import NAV_QUERIES
from tests.test_dashboard import figures  # noqa: F401 (the fixture: a county whose figures are known)

# The small county of test_dashboard, whose every figure is known, on its day.
NOW = datetime.datetime(2026, 11, 25, 10, tzinfo=datetime.UTC)
pytestmark = [pytest.mark.django_db, pytest.mark.time_machine(NOW, tick=False)]

PAGE = reverse("portal:dashboard")
PRINT = reverse("portal:dashboard_print")
XLSX = reverse("portal:dashboard_xlsx")
CSV = reverse("portal:dashboard_csv")
D = Decimal


@pytest.fixture
def english(client):
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    return client


def township_rows(tree):
    """The figures per township (and the total) as the page writes them."""
    return [
        [
            tree["north"].name_en,
            "2",
            "0",
            "1",
            "1",
            "0",
            "100%",
            "50%",
            "1",
            "50",
            "2",
            "60%",
            "3.5",
            "6.5",
            "1,730.5",
        ],
        [
            tree["south"].name_en,
            "2",
            "1",
            "0",
            "0",
            "1",
            "0%",
            "—",
            "1",
            "100",
            "0",
            "0%",
            "1.25",
            "1.25",
            "—",
        ],
        [
            "County total",
            "4",
            "1",
            "1",
            "1",
            "1",
            "67%",
            "50%",
            "2",
            "150",
            "2",
            "30%",
            "4.75",
            "7.75",
            "1,730.5",
        ],
    ]


COLUMNS = [
    "Township",
    "Communities",
    "Normative community",
    "Star community",
    "Garden community",
    "Not rated",
    "Reporting rate 2026-10",
    "On-time rate 2026-10",
    "Below the space standard",
    "Shortfall (m²)",
    "Term elections due",
    "Network coverage",
    "Service hours recorded 2026-10",
    "Service hours recorded 2026",
    "Co-building funds (元) 2026",
]


# ---------------------------------------------------------------------------- print


@pytest.mark.usefixtures("figures")
def test_print_shows_the_page_figures_and_every_township(english, tree, users):
    english.force_login(users["county"])

    page = english.get(PAGE)
    response = english.get(PRINT)

    assert response.status_code == 200
    summary, townships = tables(response)
    # The cards' figures, one a line, exactly as the page shows them.
    assert summary["thead"] == [["Topic", "Figure", "Value", "Detail"]]
    assert summary["tbody"] == [
        [card.title, figure.label, figure.value, figure.detail]
        for card in page.context["cards"]
        for figure in card.figures
    ]
    assert summary["tbody"][4:6] == [
        ["Monthly returns for 2026-10", "Reporting rate", "67%", "2 of 3 communities reported"],
        [
            "Monthly returns for 2026-10",
            "On-time rate",
            "50%",
            "1 of 2 returns reported by the due date",
        ],
    ]
    assert (
        len(summary["tbody"]) == 18
    )  # ratings 4, returns 2, space 2, terms 1, networks 6, hours 2, funds 1
    # The table per township: the page's rows and total, every township.
    assert townships["thead"] == [COLUMNS]
    assert townships["tbody"] == township_rows(tree)
    page_table = tables(page)[0]
    assert townships["tbody"] == [*page_table["tbody"], *page_table["tfoot"]]
    html = response.content.decode()
    assert "Chun&#x27;an County Community-Building Leading Group Office" in html
    assert "(Chun&#x27;an County)" in html
    assert "Figures as of 25 November 2026." in html
    assert "Printed from the Chun'an community-building portal on 2026-11-25 18:00." in html
    assert "are invented for demonstration" not in html
    assert "site-nav" not in html
    assert "<script" not in html
    assert 'style="' not in html


@pytest.mark.usefixtures("figures")
def test_print_for_township_staff_shows_their_township_alone(english, tree, users):
    english.force_login(users["other_township"])

    response = english.get(PRINT)

    assert response.status_code == 200
    (summary,) = tables(response)
    values = {row[1]: row[2] for row in summary["tbody"]}
    assert values["Reporting rate"] == "0%"
    assert values["communities below the space standard"] == "1"
    assert values["hours of service recorded in 2026-10"] == "1.25"
    assert values["元 received in 2026 so far"] == "0"
    assert f"({tree['south'].name_en})" in response.content.decode()
    assert "Per township" not in response.content.decode()


@pytest.mark.usefixtures("figures")
def test_print_notes_the_cards_that_count_sample_data(english, tree, users):
    Volunteer.objects.filter(community=tree["far"]).update(is_sample=True)
    english.force_login(users["county"])

    html = english.get(PRINT).content.decode()

    assert "The figures of “Volunteer service recorded” count sample data" in html
    assert "The figures of “Co-building funds”" not in html
    assert "are invented for demonstration and are not official statistics." in html


@pytest.mark.usefixtures("figures")
def test_page_links_the_print_view_and_the_exports(english, users):
    english.force_login(users["county"])

    html = english.get(PAGE).content.decode()

    assert f'href="{PRINT}">Print view</a>' in html
    assert f'href="{CSV}" download>Download CSV</a>' in html
    assert f'href="{XLSX}" download>Download Excel (.xlsx)</a>' in html


# ---------------------------------------------------------------------------- files


@pytest.mark.usefixtures("figures")
def test_workbook_holds_the_figures_as_numbers(english, tree, users):
    english.force_login(users["county"])

    response = english.get(XLSX)

    assert response.status_code == 200
    assert response["Content-Disposition"] == (
        'attachment; filename="dashboard-county-20261125.xlsx"'
    )
    workbook = load_workbook(io.BytesIO(response.content))
    assert workbook.sheetnames == ["1 Summary figures", "2 Per township"]
    summary = [[cell.value for cell in row] for row in workbook["1 Summary figures"].iter_rows()]
    assert summary[0][0] == "Dashboard (Chun'an County)"
    assert summary[2][0] == "Figures as of 25 November 2026."
    header = summary.index(["Topic", "Figure", "Value", "Detail"])
    values = {row[1]: row[2] for row in summary[header + 1 :] if row[1]}
    assert values["Reporting rate"] == pytest.approx(2 / 3)
    assert values["On-time rate"] == 0.5
    assert values["m² of premises missing in all"] == 150
    assert values["hours of service recorded in 2026 so far"] == 7.75
    assert values["元 received in 2026 so far"] == 1730.5
    rows = workbook["1 Summary figures"].iter_rows()
    rate_cell = next(row[2] for row in rows if row[1].value == "Reporting rate")
    assert rate_cell.number_format == "0%"

    sheet = [[cell.value for cell in row] for row in workbook["2 Per township"].iter_rows()]
    header = sheet.index(COLUMNS)
    assert sheet[header + 1 : header + 4] == [
        [tree["north"].name_en, 2, 0, 1, 1, 0, 1, 0.5, 1, 50, 2, 0.6, 3.5, 6.5, 1730.5],
        [tree["south"].name_en, 2, 1, 0, 0, 1, 0, None, 1, 100, 0, 0, 1.25, 1.25, None],
        [
            "County total",
            4,
            1,
            1,
            1,
            1,
            pytest.approx(2 / 3),
            0.5,
            2,
            150,
            2,
            0.3,
            4.75,
            7.75,
            1730.5,
        ],
    ]


@pytest.mark.usefixtures("figures")
def test_csv_holds_the_table_per_township(english, tree, users):
    english.force_login(users["county"])

    response = english.get(CSV)

    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"] == 'attachment; filename="dashboard-county-20261125.csv"'
    lines = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert lines == [
        COLUMNS,
        [
            tree["north"].name_en,
            "2",
            "0",
            "1",
            "1",
            "0",
            "100%",
            "50%",
            "1",
            "50",
            "2",
            "60%",
            "3.5",
            "6.5",
            "1730.5",
        ],
        [
            tree["south"].name_en,
            "2",
            "1",
            "0",
            "0",
            "1",
            "0%",
            "—",
            "1",
            "100",
            "0",
            "0%",
            "1.25",
            "1.25",
            "",
        ],
        [
            "County total",
            "4",
            "1",
            "1",
            "1",
            "1",
            "67%",
            "50%",
            "2",
            "150",
            "2",
            "30%",
            "4.75",
            "7.75",
            "1730.5",
        ],
    ]


@pytest.mark.usefixtures("figures")
def test_township_staff_files_hold_their_township_alone(english, tree, users):
    english.force_login(users["township"])

    csv_lines = list(csv.reader(io.StringIO(english.get(CSV).content.decode("utf-8-sig"))))
    workbook = load_workbook(io.BytesIO(english.get(XLSX).content))

    assert csv_lines[1:] == [
        [
            tree["north"].name_en,
            "2",
            "0",
            "1",
            "1",
            "0",
            "100%",
            "50%",
            "1",
            "50",
            "2",
            "60%",
            "3.5",
            "6.5",
            "1730.5",
        ]
    ]
    assert workbook.sheetnames == ["1 Summary figures"]
    assert workbook["1 Summary figures"]["A1"].value == f"Dashboard ({tree['north'].name_en})"


@pytest.mark.usefixtures("figures")
def test_chinese_files_by_default(client, tree, users):
    client.force_login(users["county"])

    lines = list(csv.reader(io.StringIO(client.get(CSV).content.decode("utf-8-sig"))))

    assert lines[0][:3] == ["乡镇", "社区", "规范社区"]
    assert lines[-1][0] == "全县合计"


# ---------------------------------------------------------------------------- access


@pytest.mark.parametrize(
    ("who", "printed", "files"),
    [
        ("county", 200, 200),
        ("township", 200, 200),
        ("other_township", 200, 200),
        # The print view sends a clerk to their workspace, as the dashboard does; a file has
        # nowhere to send them.
        ("clerk", "/manage/communities/home/", 403),
        ("other_clerk", "/manage/communities/far/", 403),
        ("judge", 403, 403),
        ("no_role", 403, 403),
    ],
)
def test_who_may_print_and_export(client, users, who, printed, files):
    client.force_login(users[who])

    answers = {url: client.get(url) for url in (PRINT, XLSX, CSV)}

    if isinstance(printed, str):
        assert (answers[PRINT].status_code, answers[PRINT]["Location"]) == (302, printed)
    else:
        assert answers[PRINT].status_code == printed
    assert [answers[url].status_code for url in (XLSX, CSV)] == [files, files]


@pytest.mark.parametrize("url", [PRINT, XLSX, CSV])
def test_anonymous_is_sent_to_log_in(client, tree, url):
    response = client.get(url)

    assert (response.status_code, response["Location"]) == (302, f"/accounts/login/?next={url}")


@pytest.mark.parametrize("url", [PRINT, XLSX, CSV])
def test_post_is_refused(client, users, url):
    client.force_login(users["county"])

    assert client.post(url).status_code == 405


def test_a_township_without_communities_prints_and_exports(english):
    empty = make_township(code="empty")
    english.force_login(make_user(Role.TOWNSHIP, township=empty))

    printed = english.get(PRINT)
    lines = list(csv.reader(io.StringIO(english.get(CSV).content.decode("utf-8-sig"))))

    assert printed.status_code == 200
    values = {row[1]: row[2] for row in tables(printed)[0]["tbody"]}
    assert values["Reporting rate"] == "—"
    assert lines[1][:3] == [empty.name_en, "0", "—"]


# ---------------------------------------------------------------------------- queries


def count_queries(client, url):
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    assert response.status_code == 200
    return len(queries)


@pytest.mark.parametrize("role", [Role.COUNTY, Role.TOWNSHIP])
def test_queries_are_the_pages_and_do_not_grow_with_the_data(client, role):
    townships = [make_township() for _ in range(3)]
    user = make_user(role, township=townships[0] if role == Role.TOWNSHIP else None)
    client.force_login(user)
    board_tests.populate(3, townships)
    client.get(PAGE)  # the session's first read out of the way
    small = {url: count_queries(client, url) for url in (PAGE, PRINT, XLSX, CSV)}

    board_tests.populate(27, [*townships, make_township(), make_township()])
    large = {url: count_queries(client, url) for url in (PAGE, PRINT, XLSX, CSV)}

    # session, user, scope; round, communities, townships, terms, networks, hours, funds
    # indicator, funds; the page adds its navigation's
    assert (
        small
        == large
        == {
            PAGE: 11 + NAV_QUERIES[role],
            PRINT: 11,
            XLSX: 11,
            CSV: 11,
        }
    )
