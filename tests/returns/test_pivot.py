"""The cross-indicator table: several indicators by area and period beside the year before,
each by its own rule (flows summed, stocks the latest month, ratios of the sums), scoped,
exported, and in a fixed number of queries."""

import datetime
import io
from decimal import Decimal
from zoneinfo import ZoneInfo

import openpyxl
import pytest
from django.conf import settings
from django.urls import reverse

from communities.models import Community, Ratio, ReturnStatus, ReturnValue, Role
from communities.returns.pivot import Cell
from tests.factories import (
    make_community,
    make_group,
    make_indicator,
    make_return,
    make_township,
    make_user,
)
from tests.queries import NAV_QUERIES

# The last complete year is 2025; the first quarter of 2026 is still running.
NOW = datetime.datetime(2026, 3, 15, 10, 0, tzinfo=ZoneInfo("Asia/Shanghai"))
pytestmark = [pytest.mark.django_db, pytest.mark.time_machine(NOW, tick=False)]

S = ReturnStatus
URL = reverse("returns:pivot")
PRINT_URL = reverse("returns:pivot_print")
CSV_URL = reverse("returns:pivot_csv")
XLSX_URL = reverse("returns:pivot_xlsx")
URLS = (URL, PRINT_URL, CSV_URL, XLSX_URL)


def D(value):
    return None if value is None else Decimal(value)


@pytest.fixture
def english(client):
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"


@pytest.fixture
def catalogue(db):
    """Two groups: households (a stock) and visits (a flow) in the first, with the derived
    visits per 100 households; meetings (a flow) in the second."""
    first, second = make_group(code="care", name_en="Care"), make_group(code="party")
    households = make_indicator(
        group=first, code="households", name_en="Households", unit="户", aggregation="stock"
    )
    visits = make_indicator(group=first, code="visits", name_en="Help visits", unit="次")
    meetings = make_indicator(group=second, code="meetings", name_en="Meetings", unit="次")
    ratio = Ratio.objects.create(
        code="visits_per_100",
        name="每百户走访",
        name_en="Visits per 100 households",
        unit="次/百户",
        numerator=visits,
        denominator=households,
        factor=Decimal(100),
        decimal_places=1,
        group=first,
    )
    return {"households": households, "visits": visits, "meetings": meetings, "ratio": ratio}


def add_return(community, period, status, catalogue, **values):
    monthly_return = make_return(community=community, period=period, status=status)
    ReturnValue.objects.bulk_create(
        ReturnValue(monthly_return=monthly_return, indicator=catalogue[code], value=Decimal(v))
        for code, v in values.items()
    )
    return monthly_return


@pytest.fixture
def figures(tree, catalogue):
    """(households, visits) per return; 2024 is the year before 2025.

    home:      2024-01 accepted 90/2, 2024-03 accepted 95/3;
               2025-01 accepted 100/5, 2025-02 approved 110/7, 2025-03 submitted 120/1,
               2025-04 draft 999/50
    neighbour: 2024-02 submitted 190/4; 2025-01 submitted 200/2, 2025-03 sent back 210/3
    far:       2024-02 accepted 280/6; 2025-02 accepted 300/4
    """
    for community, (year, month), status, households, visits in [
        ("home", (2024, 1), S.ACCEPTED, 90, 2),
        ("home", (2024, 3), S.ACCEPTED, 95, 3),
        ("home", (2025, 1), S.ACCEPTED, 100, 5),
        ("home", (2025, 2), S.APPROVED, 110, 7),
        ("home", (2025, 3), S.SUBMITTED, 120, 1),
        ("home", (2025, 4), S.DRAFT, 999, 50),
        ("neighbour", (2024, 2), S.SUBMITTED, 190, 4),
        ("neighbour", (2025, 1), S.SUBMITTED, 200, 2),
        ("neighbour", (2025, 3), S.RETURNED, 210, 3),
        ("far", (2024, 2), S.ACCEPTED, 280, 6),
        ("far", (2025, 2), S.ACCEPTED, 300, 4),
    ]:
        add_return(
            tree[community],
            datetime.date(year, month, 1),
            status,
            catalogue,
            households=households,
            visits=visits,
        )
    return tree


def rows_of(response):
    """{indicator code: [(area, [(figure, year before, change, change %) per period])]}."""
    table = response.context["table"]
    return {
        block.measure.code: [
            (
                row.area.label,
                [(c.value, c.previous, c.change, c.change_percent) for c in row.cells],
            )
            for row in block.rows
        ]
        for block in table.blocks
    }


def coverage_of(response):
    return {
        block.measure.code: [
            ((now.reported, now.expected), (before.reported, before.expected))
            for now, before in block.coverage
        ]
        for block in response.context["table"].blocks
    }


YEAR_2025 = {"grain": "year", "month_from": "2025-01", "month_to": "2025-12"}


# ---------------------------------------------------------------------------- figures


def test_flows_summed_stocks_latest_and_the_year_before(client, users, figures, english):
    client.force_login(users["county"])

    response = client.get(
        URL, {"indicators": ["households", "visits"], "level": "township", **YEAR_2025}
    )

    north, south = figures["north"].name_en, figures["south"].name_en
    assert response.status_code == 200
    assert [p.label for p in response.context["table"].periods] == ["2025"]
    assert rows_of(response) == {
        # A stock: each community's latest counted month of the year, added up.
        # 2025: home's March 120 (April is a draft) + neighbour's January 200 (its March
        # was sent back); 2024: home's March 95 + neighbour's February 190.
        "households": [
            (north, [(D(320), D(285), D(35), D("12.3"))]),
            (south, [(D(300), D(280), D(20), D("7.1"))]),
            ("Total", [(D(620), D(565), D(55), D("9.7"))]),
        ],
        # A flow: the months added up.
        "visits": [
            (north, [(D(15), D(9), D(6), D("66.7"))]),
            (south, [(D(4), D(6), D(-2), D("-33.3"))]),
            ("Total", [(D(19), D(15), D(4), D("26.7"))]),
        ],
    }


def test_stocks_read_together_each_take_their_own_latest_month(
    client, users, tree, catalogue, english
):
    members = make_indicator(
        group=catalogue["households"].group, code="members", aggregation="stock"
    )
    add_return(tree["home"], datetime.date(2025, 1, 1), S.SUBMITTED, catalogue, households=100)
    add_return(tree["home"], datetime.date(2025, 2, 1), S.SUBMITTED, catalogue, households=110)
    add_return(
        tree["home"], datetime.date(2025, 3, 1), S.SUBMITTED, {"members": members}, members=7
    )
    client.force_login(users["clerk"])

    response = client.get(
        URL, {"indicators": ["households", "members"], "compare": "no", **YEAR_2025}
    )

    # One query for both stocks: home's latest households is February's, though a later
    # month holds a figure of another stock.
    home = tree["home"].name_en
    assert rows_of(response) == {
        "households": [(home, [(D(110), None, None, None)])],
        "members": [(home, [(D(7), None, None, None)])],
    }


def test_a_ratio_is_the_ratio_of_the_sums(client, users, figures, english):
    client.force_login(users["county"])

    response = client.get(
        URL, {"indicators": ["ratio:visits_per_100"], "level": "township", **YEAR_2025}
    )

    north, south = figures["north"].name_en, figures["south"].name_en
    # 2025: north 15 / 320 × 100 = 4.6875, south 4 / 300 × 100 = 1.33; the total is
    # 19 / 620 × 100 = 3.06 → 3.1, not the mean of the townships' ratios (3.0).
    # 2024: north 9 / 285 × 100 = 3.16, south 6 / 280 × 100 = 2.14, total 15 / 565 = 2.65.
    assert rows_of(response) == {
        "visits_per_100": [
            (north, [(D("4.7"), D("3.2"), D("1.5"), D("46.9"))]),
            (south, [(D("1.3"), D("2.1"), D("-0.8"), D("-38.1"))]),
            ("Total", [(D("3.1"), D("2.7"), D("0.4"), D("14.8"))]),
        ]
    }
    html = response.content.decode()
    assert "derived: Help visits ÷ Households × 100" in html


def test_quarters_and_the_months_of_each(client, users, figures, english):
    client.force_login(users["county"])

    response = client.get(
        URL,
        {
            "indicators": ["households", "visits"],
            "level": "total",
            "grain": "quarter",
            "month_from": "2025-01",
            "month_to": "2025-06",
        },
    )

    assert [(p.label, p.previous_label) for p in response.context["table"].periods] == [
        ("2025 Q1", "2024 Q1"),
        ("2025 Q2", "2024 Q2"),
    ]
    assert rows_of(response) == {
        "households": [
            ("County total", [(D(620), D(565), D(55), D("9.7")), (None, None, None, None)])
        ],
        "visits": [("County total", [(D(19), D(15), D(4), D("26.7")), (None, None, None, None)])],
    }
    # Returns with a figure counted, of those owed (three communities a month).
    assert coverage_of(response)["visits"] == [((5, 9), (4, 9)), ((0, 9), (0, 9))]


def test_a_group_brings_its_indicators_and_derived_ones(client, users, figures, english):
    client.force_login(users["county"])

    response = client.get(
        URL, {"groups": "care", "indicators": "meetings", "level": "total", **YEAR_2025}
    )

    assert [block.measure.code for block in response.context["table"].blocks] == [
        "households",
        "visits",
        "visits_per_100",
        "meetings",
    ]


def test_without_comparison(client, users, figures, english):
    client.force_login(users["county"])

    response = client.get(
        URL, {"indicators": "visits", "level": "total", "compare": "no", **YEAR_2025}
    )

    table = response.context["table"]
    assert table.compare is False
    assert rows_of(response) == {"visits": [("County total", [(D(19), None, None, None)])]}
    assert "Per cent change" not in response.content.decode()


def test_defaults_first_group_last_complete_year_compared(client, users, figures):
    client.force_login(users["county"])

    response = client.get(URL)

    table = response.context["table"]
    assert [block.measure.code for block in table.blocks] == [
        "households",
        "visits",
        "visits_per_100",
    ]
    assert (table.grain, table.first, table.last) == (
        "year",
        datetime.date(2025, 1, 1),
        datetime.date(2025, 12, 1),
    )
    assert table.compare is True
    assert [area.key for area in table.areas] == [figures["north"].pk, figures["south"].pk]


def test_a_period_still_running_is_left_out(client, users, figures, english):
    client.force_login(users["county"])

    response = client.get(
        URL,
        {
            "indicators": "visits",
            "grain": "quarter",
            "month_from": "2025-10",
            "month_to": "2026-03",
        },
    )

    table = response.context["table"]
    assert [p.label for p in table.periods] == ["2025 Q4"]
    assert table.last == datetime.date(2025, 12, 1)


def test_partial_periods_are_marked(client, users, figures, english):
    client.force_login(users["county"])

    response = client.get(
        URL,
        {
            "indicators": "visits",
            "level": "total",
            "grain": "month",
            "month_from": "2025-01",
            "month_to": "2025-01",
        },
    )

    cell = response.context["table"].blocks[0].rows[0].cells[0]
    assert (cell.value, cell.partial, cell.previous, cell.previous_partial) == (
        D(7),
        True,
        D(2),
        True,
    )
    html = response.content.decode()
    assert '<td class="num pivot-table__period pivot-table__partial">7<span' in html
    assert '2 of 3 <span class="aggregate-table__mark">(partial)</span>' in html
    assert '1 of 3 <span class="aggregate-table__mark">(partial)</span>' in html


def test_a_month_every_community_reported_is_complete(client, users, tree, catalogue):
    for code in ("home", "neighbour", "far"):
        add_return(tree[code], datetime.date(2025, 5, 1), S.SUBMITTED, catalogue, visits=1)
    client.force_login(users["county"])

    response = client.get(
        URL,
        {"indicators": "visits", "grain": "month", "month_from": "2025-05", "month_to": "2025-05"},
    )

    block = response.context["table"].blocks[0]
    assert [(now.reported, now.expected, now.partial) for now, _ in block.coverage] == [
        (3, 3, False)
    ]
    assert block.rows[-1].cells[0] == Cell(D(3), None, False, True)


def test_sample_returns_are_flagged(client, users, figures, english):
    figures["far"].returns.update(is_sample=True)
    client.force_login(users["county"])

    response = client.get(URL, {"indicators": "visits", **YEAR_2025})
    printed = client.get(PRINT_URL, {"indicators": "visits", **YEAR_2025})
    csv_text = client.get(CSV_URL, {"indicators": "visits", **YEAR_2025}).content.decode()

    assert response.context["table"].has_sample is True
    assert "Sample data" in response.content.decode()
    assert "are invented for demonstration" in printed.content.decode()
    assert csv_text.endswith(
        '"Sample data: some figures are invented for demonstration, not official statistics."\r\n'
    )


def test_cell_change():
    assert Cell(D(12), D(10)).change_percent == D("20.0")
    assert Cell(D(12), D(0)).change_percent is None
    assert Cell(D(-3), D(-6)).change_percent == D("50.0")
    assert Cell(D(12), None).change is None
    assert (Cell(D(12), D(10)).display_change, Cell(D(8), D(10)).display_percent) == (
        "+2",
        "-20.0%",
    )


# ---------------------------------------------------------------------------- scope


def test_township_sees_its_communities(client, users, figures, english):
    client.force_login(users["township"])

    response = client.get(URL, {"indicators": "visits", **YEAR_2025})

    assert rows_of(response) == {
        "visits": [
            (figures["home"].name_en, [(D(13), D(5), D(8), D("160.0"))]),
            (figures["neighbour"].name_en, [(D(2), D(4), D(-2), D("-50.0"))]),
            ("Total", [(D(15), D(9), D(6), D("66.7"))]),
        ]
    }
    assert "township" not in response.context["form"].fields
    # Two communities a month in the township.
    assert coverage_of(response)["visits"] == [((4, 24), (3, 24))]


def test_other_township_sees_only_its_own(client, users, figures, english):
    client.force_login(users["other_township"])

    response = client.get(URL, {"indicators": "visits", "level": "total", **YEAR_2025})

    assert rows_of(response) == {"visits": [("Township total", [(D(4), D(6), D(-2), D("-33.3"))])]}


def test_clerk_sees_only_their_community(client, users, figures, english):
    client.force_login(users["clerk"])

    response = client.get(URL, {"indicators": ["visits", "households"], **YEAR_2025})

    assert rows_of(response) == {
        "households": [(figures["home"].name_en, [(D(120), D(95), D(25), D("26.3"))])],
        "visits": [(figures["home"].name_en, [(D(13), D(5), D(8), D("160.0"))])],
    }
    assert coverage_of(response)["visits"] == [((3, 12), (2, 12))]


def test_other_clerk_sees_only_their_community(client, users, figures, english):
    client.force_login(users["other_clerk"])

    response = client.get(URL, {"indicators": "visits", **YEAR_2025})

    assert rows_of(response) == {
        "visits": [(figures["far"].name_en, [(D(4), D(6), D(-2), D("-33.3"))])]
    }


def test_township_cannot_ask_for_the_county_level(client, users, figures):
    client.force_login(users["township"])

    response = client.get(URL, {"indicators": "visits", "level": "township"})

    assert response.status_code == 400
    assert list(response.context["form"].errors) == ["level"]
    assert response.context["table"] is None


def test_anonymous_is_sent_to_login(client):
    for url in URLS:
        response = client.get(url)

        assert response.status_code == 302
        assert response.url == f"{reverse('login')}?next={url}"


@pytest.mark.parametrize("role", ["judge", "no_role"])
def test_judge_and_no_role_are_refused(client, users, role):
    client.force_login(users[role])

    for url in URLS:
        assert client.get(url).status_code == 403


@pytest.mark.parametrize("url", URLS)
def test_post_is_refused(client, users, url):
    client.force_login(users["county"])

    assert client.post(url).status_code == 405


# ---------------------------------------------------------------------------- bad input


@pytest.mark.parametrize(
    ("params", "field", "message"),
    [
        ({"month_from": "2025-13"}, "month_from", "Enter a month as YYYY-MM, e.g. 2026-10."),
        (
            {"indicators": "nope"},
            "indicators",
            "Select a valid choice. nope is not one of the available choices.",
        ),
        (
            {"groups": "nope"},
            "groups",
            "Select a valid choice. nope is not one of the available choices.",
        ),
        (
            {"grain": "week"},
            "grain",
            "Select a valid choice. week is not one of the available choices.",
        ),
        (
            {"compare": "maybe"},
            "compare",
            "Select a valid choice. maybe is not one of the available choices.",
        ),
        (
            {"month_from": "2026-01", "month_to": "2026-03"},
            "month_to",
            "Choose a period that has ended: the table compares whole periods only.",
        ),
        (
            {"grain": "month", "month_from": "2023-01", "month_to": "2025-12"},
            "month_from",
            "Choose at most 24 periods: a shorter range, or quarters or years rather than months.",
        ),
        (
            {"level": "community"},
            "township",
            "Choose the township whose communities to compare.",
        ),
    ],
)
def test_bad_input_is_refused_with_its_message(
    client, users, figures, english, params, field, message
):
    client.force_login(users["county"])

    page = client.get(URL, params)
    printed = client.get(PRINT_URL, params)
    export = client.get(CSV_URL, params)
    workbook = client.get(XLSX_URL, params)

    assert page.status_code == 400
    assert page.context["form"].errors == {field: [message]}
    assert page.context["table"] is None
    assert message in page.content.decode().replace("&#x27;", "'")
    assert printed.status_code == 400
    assert (export.status_code, export["Content-Type"]) == (400, "text/plain")
    assert export.content.decode() == f"{field}: {message}"
    assert workbook.status_code == 400


def test_an_empty_catalogue(client, users, tree, english):
    client.force_login(users["county"])

    response = client.get(URL)

    assert response.status_code == 200
    assert response.context["table"] is None
    assert response.context["error_summary"] == []
    assert "The indicator catalogue is empty" in response.content.decode()


# ---------------------------------------------------------------------------- exports


EXPORT = {"indicators": ["visits", "ratio:visits_per_100"], "level": "township", **YEAR_2025}


def test_csv_export_is_the_table(client, users, figures, english):
    client.force_login(users["county"])

    response = client.get(CSV_URL, EXPORT)

    north, south = figures["north"].name_en, figures["south"].name_en
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"] == (
        'attachment; filename="pivot-year-202501-202512.csv"'
    )
    assert response.content.decode("utf-8") == (
        "\ufeffIndicator,Unit,Area,2025,2024,2025: change,2025: change (%)\r\n"
        f"Help visits,次,{north},15,9,6,66.7\r\n"
        f"Help visits,次,{south},4,6,-2,-33.3\r\n"
        "Help visits,次,Total,19,15,4,26.7\r\n"
        "Help visits,次,Returns counted,5,4,,\r\n"
        "Help visits,次,Returns owed,36,36,,\r\n"
        f"Visits per 100 households,次/百户,{north},4.7,3.2,1.5,46.9\r\n"
        f"Visits per 100 households,次/百户,{south},1.3,2.1,-0.8,-38.1\r\n"
        "Visits per 100 households,次/百户,Total,3.1,2.7,0.4,14.8\r\n"
        "Visits per 100 households,次/百户,Returns counted,5,4,,\r\n"
        "Visits per 100 households,次/百户,Returns owed,36,36,,\r\n"
        "\r\n"
        "A period with fewer returns counted than owed is partial: its figures are lower "
        "than the real ones.\r\n"
    )


def test_xlsx_export_has_numbers(client, users, figures, english):
    client.force_login(users["township"])

    response = client.get(XLSX_URL, {"indicators": "households", "level": "total", **YEAR_2025})

    sheet = openpyxl.load_workbook(io.BytesIO(response.content)).active
    assert response["Content-Disposition"] == (
        'attachment; filename="pivot-year-202501-202512.xlsx"'
    )
    assert [list(row) for row in sheet.iter_rows(values_only=True)] == [
        ["Indicator", "Unit", "Area", "2025", "2024", "2025: change", "2025: change (%)"],
        ["Households", "户", "Township total", 320, 285, 35, 12.3],
        ["Households", "户", "Returns counted", 4, 3, None, None],
        ["Households", "户", "Returns owed", 24, 24, None, None],
        [None, None, None, None, None, None, None],
        [
            "A period with fewer returns counted than owed is partial: its figures are lower "
            "than the real ones.",
            None,
            None,
            None,
            None,
            None,
            None,
        ],
    ]
    assert sheet.freeze_panes == "D2"


def test_exports_never_turn_a_name_into_a_formula(client, users, figures, english):
    figures["north"].name_en = '=HYPERLINK("http://x")'
    figures["north"].save()
    client.force_login(users["county"])
    params = {"indicators": "visits", "level": "township", **YEAR_2025}

    csv_lines = client.get(CSV_URL, params).content.decode("utf-8").splitlines()
    sheet = openpyxl.load_workbook(io.BytesIO(client.get(XLSX_URL, params).content)).active

    assert csv_lines[1] == 'Help visits,次,"\'=HYPERLINK(""http://x"")",15,9,6,66.7'
    assert (sheet["C2"].value, sheet["C2"].data_type) == ('\'=HYPERLINK("http://x")', "s")


def test_print_view_is_bare(client, users, figures, english):
    client.force_login(users["county"])

    response = client.get(PRINT_URL, {"indicators": "visits", **YEAR_2025})

    html = response.content.decode()
    assert response.status_code == 200
    assert 'class="data-table pivot-table"' in html
    assert "site-nav" not in html
    assert "<form" not in html
    assert "<script" not in html
    assert 'style="' not in html


def test_page_links_and_scrollable_table(client, users, figures, english):
    client.force_login(users["county"])

    response = client.get(URL, {"indicators": "visits", **YEAR_2025})

    html = response.content.decode()
    assert (
        'class="table-wrap pivot-wrap" role="region" aria-labelledby="pivot-caption" tabindex="0"'
        in html
    )
    assert f'href="{PRINT_URL}?indicators=visits' in html
    assert f'href="{CSV_URL}?indicators=visits' in html
    assert f'href="{XLSX_URL}?indicators=visits' in html
    assert 'style="' not in html


# ---------------------------------------------------------------------------- queries


@pytest.mark.parametrize("count", [3, 30])
@pytest.mark.parametrize("grain", ["month", "quarter"])
@pytest.mark.parametrize(
    ("role", "level", "queries"),
    [
        (Role.COUNTY, "township", 11),
        (Role.TOWNSHIP, "community", 10),
        (Role.CLERK, "community", 10),
    ],
)
def test_queries_do_not_grow_with_communities_or_periods(
    client, django_assert_num_queries, catalogue, count, grain, role, level, queries
):
    towns = [make_township(code="n"), make_township(code="s")]
    for n in range(count):
        community = make_community(township=towns[n % 2], code=f"c{n:02d}")
        for year in (2024, 2025):
            for month in (1, 2, 3, 4):
                add_return(
                    community,
                    datetime.date(year, month, 1),
                    S.SUBMITTED,
                    catalogue,
                    households=100 + n,
                    visits=n,
                    meetings=1,
                )
    scope = {
        Role.COUNTY: {},
        Role.TOWNSHIP: {"township": towns[0]},
        Role.CLERK: {"community": Community.objects.get(code="c00")},
    }[role]
    client.force_login(make_user(role, **scope))
    params = {
        "indicators": ["households", "visits", "meetings"],
        "level": level,
        "grain": grain,
        "month_from": "2025-01",
        "month_to": "2025-06",
    }

    # session, user, scope, indicators, derived indicators, [township choices: county],
    # areas, flows' sums, [stocks' sums: not per month], returns counted, returns owed, and
    # the navigation's
    stocks_apart = grain != "month"
    with django_assert_num_queries(queries - (not stocks_apart) + NAV_QUERIES[role]):
        response = client.get(URL, params)
    # A derived indicator adds four: each side's sums, its returns counted and owed.
    with django_assert_num_queries(queries - (not stocks_apart) + 4 + NAV_QUERIES[role]):
        with_ratio = client.get(
            URL, {**params, "indicators": [*params["indicators"], "ratio:visits_per_100"]}
        )

    assert response.status_code == with_ratio.status_code == 200
    in_scope = {
        Role.COUNTY: range(count),
        Role.TOWNSHIP: range(0, count, 2),
        Role.CLERK: [0],
    }[role]
    households = response.context["table"].blocks[0]
    assert households.rows[-1].cells[0].value == sum(100 + n for n in in_scope)
    assert households.rows[-1].cells[0].previous == sum(100 + n for n in in_scope)
