"""Aggregates: sums per area and period in the database, stocks vs flows, scope, exports."""

import datetime
import io
from decimal import Decimal

import openpyxl
import pytest
from defusedxml import ElementTree as ET
from django.conf import settings
from django.urls import reverse
from django.utils import translation

from communities.models import Community, ReturnStatus, ReturnValue, Role
from communities.returns.reports import (
    Counted,
    Grain,
    Level,
    aggregate_table,
    area_sums,
    bucket_label,
    buckets,
    widen,
)
from tests.factories import make_community, make_indicator, make_return, make_township, make_user
from tests.queries import NAV_QUERIES

pytestmark = pytest.mark.django_db

S = ReturnStatus
URL = reverse("returns:aggregates")
CSV_URL = reverse("returns:aggregates_csv")
XLSX_URL = reverse("returns:aggregates_xlsx")
PRINT_URL = reverse("returns:aggregates_print")
SVG = "{http://www.w3.org/2000/svg}"
FIRST_HALF = {"month_from": "2025-01", "month_to": "2025-06"}


def d(month):
    return datetime.date(2025, month, 1)


@pytest.fixture
def english(client):
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"


@pytest.fixture
def indicators(db):
    return {
        "households": make_indicator(
            code="households", name_en="Households", unit="户", aggregation="stock"
        ),
        "visits": make_indicator(code="visits", name_en="Help visits", unit="次"),
    }


def add_return(community, period, status, indicators, **values):
    monthly_return = make_return(community=community, period=period, status=status)
    ReturnValue.objects.bulk_create(
        ReturnValue(monthly_return=monthly_return, indicator=indicators[code], value=Decimal(v))
        for code, v in values.items()
    )
    return monthly_return


@pytest.fixture
def figures(tree, indicators):
    """households is a stock, visits a flow.

    home:      01 accepted 100/5, 02 approved 110/7, 03 submitted 120/1, 04 draft 999/50
    neighbour: 01 submitted 200/2,                    03 sent back 210/3
    far:                          02 accepted 300/4
    """
    for community, month, status, households, visits in [
        ("home", 1, S.ACCEPTED, 100, 5),
        ("home", 2, S.APPROVED, 110, 7),
        ("home", 3, S.SUBMITTED, 120, 1),
        ("home", 4, S.DRAFT, 999, 50),
        ("neighbour", 1, S.SUBMITTED, 200, 2),
        ("neighbour", 3, S.RETURNED, 210, 3),
        ("far", 2, S.ACCEPTED, 300, 4),
    ]:
        add_return(
            tree[community], d(month), status, indicators, households=households, visits=visits
        )
    return tree


def table_of(response):
    table = response.context["table"]
    return {
        "areas": [area.label for area in table.areas],
        "rows": [(row.label, row.values, row.total) for row in table.rows],
        "footer": (table.footer.label, table.footer.values, table.footer.total),
    }


def D(value):
    return None if value is None else Decimal(value)


# ---------------------------------------------------------------------------- sums


def test_monthly_sums_per_township_and_county(client, users, figures, english):
    client.force_login(users["county"])

    response = client.get(URL, {"indicator": "visits", "level": "township", **FIRST_HALF})

    north, south = figures["north"].name_en, figures["south"].name_en
    assert table_of(response) == {
        "areas": [north, south],
        "rows": [
            ("2025-01", [D(7), None], D(7)),
            ("2025-02", [D(7), D(4)], D(11)),
            ("2025-03", [D(1), None], D(1)),  # neighbour's March was sent back: not counted
            ("2025-04", [None, None], None),  # home's April is a draft
            ("2025-05", [None, None], None),
            ("2025-06", [None, None], None),
        ],
        "footer": ("Whole range: total", [D(15), D(4)], D(19)),
    }


def test_county_total_level(client, users, figures, english):
    client.force_login(users["county"])

    response = client.get(
        URL, {"indicator": "visits", "level": "total", "grain": "quarter", **FIRST_HALF}
    )

    assert table_of(response) == {
        "areas": ["County total"],
        "rows": [("2025 Q1", [D(19)], D(19)), ("2025 Q2", [None], None)],
        "footer": ("Whole range: total", [D(19)], D(19)),
    }
    assert response.context["table"].has_total_column is False


def test_quarter_of_a_flow_is_the_sum_of_its_months(client, users, figures, english):
    client.force_login(users["county"])

    response = client.get(
        URL, {"indicator": "visits", "level": "township", "grain": "quarter", **FIRST_HALF}
    )

    assert table_of(response)["rows"] == [
        ("2025 Q1", [D(15), D(4)], D(19)),
        ("2025 Q2", [None, None], None),
    ]


def test_quarter_of_a_stock_is_each_communitys_latest_month(client, users, figures, english):
    client.force_login(users["county"])

    response = client.get(
        URL, {"indicator": "households", "level": "township", "grain": "quarter", **FIRST_HALF}
    )

    # north: home's March (120) + neighbour's January (200; its March was sent back).
    assert table_of(response)["rows"] == [
        ("2025 Q1", [D(320), D(300)], D(620)),
        ("2025 Q2", [None, None], None),
    ]
    assert table_of(response)["footer"] == ("Whole range: latest value", [D(320), D(300)], D(620))


def test_year_of_a_stock_per_community(client, users, figures, english):
    client.force_login(users["county"])

    response = client.get(
        URL,
        {
            "indicator": "households",
            "level": "community",
            "township": "north",
            "grain": "year",
            **FIRST_HALF,
        },
    )

    table = table_of(response)
    assert table["areas"] == [figures["home"].name_en, figures["neighbour"].name_en]
    # The range widens to the whole year 2025.
    assert response.context["table"].first == d(1)
    assert response.context["table"].last == datetime.date(2025, 12, 1)
    assert table["rows"] == [("2025", [D(120), D(200)], D(320))]


def test_stock_can_be_summed_with_the_explicit_parameter(users, figures, indicators):
    table = aggregate_table(
        user=users["county"],
        indicator=indicators["households"],
        level=Level.TOWNSHIP,
        grain=Grain.QUARTER,
        first=d(1),
        last=d(6),
        counted=Counted.SUBMITTED,
        stock=False,
    )

    assert table.rows[0].values == [D(100 + 110 + 120 + 200), D(300)]


def test_the_catalogues_stocks():
    from communities.returns.catalogue import INDICATORS

    assert {spec["code"] for spec in INDICATORS if spec["aggregation"] == "stock"} == {
        "households",
        "residents",
        "residents_60_plus",
        "disabled_residents",
        "entitled_groups",
        "households_in_difficulty_paired",
        "registered_unemployed",
        "registered_volunteers",
        "party_members",
        "inservice_party_members",
    }


@pytest.mark.parametrize(
    ("counted", "expected"),
    [
        ("reviewed", [("2025 Q1", [D(12), D(4)], D(16)), ("2025 Q2", [None, None], None)]),
        ("submitted", [("2025 Q1", [D(15), D(4)], D(19)), ("2025 Q2", [None, None], None)]),
        ("all", [("2025 Q1", [D(18), D(4)], D(22)), ("2025 Q2", [D(50), None], D(50))]),
    ],
)
def test_status_filter(client, users, figures, english, counted, expected):
    client.force_login(users["county"])

    response = client.get(
        URL,
        {
            "indicator": "visits",
            "level": "township",
            "grain": "quarter",
            "counted": counted,
            **FIRST_HALF,
        },
    )

    assert table_of(response)["rows"] == expected


def test_stock_with_every_return_counted(users, figures, indicators):
    sums, has_sample = area_sums(
        user=users["county"],
        indicator=indicators["households"],
        statuses=Counted.STATUSES[Counted.ALL],
        first=d(1),
        last=d(6),
        grain=Grain.QUARTER,
        level=Level.TOWNSHIP,
        stock=True,
    )

    north, south = figures["north"].pk, figures["south"].pk
    assert sums == {(d(1), north): D(330), (d(1), south): D(300), (d(4), north): D(999)}
    assert has_sample is False


def test_sample_returns_are_flagged(client, users, figures, english):
    figures["far"].returns.update(is_sample=True)
    client.force_login(users["county"])

    response = client.get(URL, {"indicator": "visits", "level": "township", **FIRST_HALF})

    assert response.context["table"].has_sample is True
    assert "Sample data" in response.content.decode()


# ---------------------------------------------------------------------------- scope


def test_township_sees_only_its_township(client, users, figures, english):
    client.force_login(users["township"])

    response = client.get(URL, {"indicator": "visits", "grain": "quarter", **FIRST_HALF})

    assert table_of(response) == {
        "areas": [figures["home"].name_en, figures["neighbour"].name_en],
        "rows": [("2025 Q1", [D(13), D(2)], D(15)), ("2025 Q2", [None, None], None)],
        "footer": ("Whole range: total", [D(13), D(2)], D(15)),
    }
    assert "township" not in response.context["form"].fields
    assert [c for c, _label in response.context["form"].fields["level"].choices] == [
        "community",
        "total",
    ]


def test_township_total_leaves_out_other_townships(client, users, figures, english):
    client.force_login(users["township"])

    response = client.get(
        URL, {"indicator": "visits", "level": "total", "grain": "year", **FIRST_HALF}
    )

    assert table_of(response)["rows"] == [("2025", [D(15)], D(15))]
    assert table_of(response)["areas"] == ["Township total"]


def test_township_cannot_ask_for_the_county_level(client, users, figures):
    client.force_login(users["township"])

    response = client.get(URL, {"indicator": "visits", "level": "township", **FIRST_HALF})

    assert response.status_code == 200
    assert list(response.context["form"].errors) == ["level"]
    assert response.context["table"] is None


def test_clerk_sees_only_their_community(client, users, figures, english):
    client.force_login(users["clerk"])

    response = client.get(URL, {"indicator": "visits", "grain": "year", **FIRST_HALF})

    assert table_of(response) == {
        "areas": [figures["home"].name_en],
        "rows": [("2025", [D(13)], D(13))],
        "footer": ("Whole range: total", [D(13)], D(13)),
    }


def test_county_per_community_needs_a_township(client, users, figures):
    client.force_login(users["county"])

    response = client.get(URL, {"indicator": "visits", "level": "community", **FIRST_HALF})

    assert response.status_code == 200
    assert list(response.context["form"].errors) == ["township"]


def test_anonymous_is_sent_to_login(client):
    for url in (URL, CSV_URL, XLSX_URL, PRINT_URL):
        response = client.get(url)

        assert response.status_code == 302
        assert response.url == f"{reverse('login')}?next={url}"


@pytest.mark.parametrize("role", ["judge", "no_role"])
def test_judge_and_no_role_are_refused(client, users, role):
    client.force_login(users[role])

    for url in (URL, CSV_URL, XLSX_URL, PRINT_URL):
        assert client.get(url).status_code == 403


# ---------------------------------------------------------------------------- chart


def svg_of(response):
    html = response.content.decode()
    start, end = html.index("<svg"), html.index("</svg>") + len("</svg>")
    return ET.fromstring(html[start:end])


def test_chart_draws_one_bar_per_period_with_a_total(client, users, figures, english):
    client.force_login(users["county"])

    response = client.get(URL, {"indicator": "visits", "level": "total", **FIRST_HALF})

    svg = svg_of(response)
    bars = svg.findall(f".//{SVG}rect[@class='chart__bar']")
    assert [bar.find(f"{SVG}title").text for bar in bars] == [
        "County total · 2025-01* (2/3): 7 次",
        "County total · 2025-02* (2/3): 11 次",
        "County total · 2025-03* (1/3): 1 次",
    ]
    labels = [
        t.text for t in svg.findall(f".//{SVG}g[@class='chart__ticks chart__ticks--x']/{SVG}text")
    ]
    # Every month lacks returns of the three communities: each is marked partial (the
    # longer labels leave room for every other one).
    assert labels == ["2025-01* (2/3)", "2025-03* (1/3)", "2025-05* (0/3)"]
    assert svg.get("role") == "img"
    assert svg.find(f"{SVG}title").text == "Help visits, 2025-01 to 2025-06"


def test_chart_draws_a_line_per_township(client, users, figures, english):
    client.force_login(users["county"])

    response = client.get(URL, {"indicator": "visits", "level": "township", **FIRST_HALF})

    html = response.content.decode()
    assert 'style="' not in html  # the CSP allows no inline style, SVG included
    assert "<script" not in html

    svg = svg_of(response)
    points = svg.findall(f".//{SVG}circle[@class='chart__point']")
    assert len(points) == 4  # north: Jan, Feb, Mar; south: Feb
    legend = [t.text for t in svg.findall(f".//{SVG}g[@class='chart__legend-item']/{SVG}text")]
    assert legend == [figures["north"].name_en, figures["south"].name_en]


def test_no_chart_without_figures(client, users, tree, indicators, english):
    client.force_login(users["county"])

    response = client.get(URL, {"indicator": "visits", "level": "township", **FIRST_HALF})

    assert response.context["chart"] == ""
    assert "<svg" not in response.content.decode()
    assert "No figures in this selection." in response.content.decode()


# ---------------------------------------------------------------------------- exports


def test_csv_export_is_the_table(client, users, figures, english):
    client.force_login(users["county"])

    response = client.get(
        CSV_URL, {"indicator": "visits", "level": "township", "grain": "quarter", **FIRST_HALF}
    )

    north, south = figures["north"].name_en, figures["south"].name_en
    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"] == (
        'attachment; filename="aggregates-visits-quarter-202501-202506.csv"'
    )
    assert response.content.decode("utf-8") == (
        f"\ufeffIndicator,Unit,Period,{north},{south},Total,"
        "Returns counted,Returns owed,Complete\r\n"
        "Help visits,次,2025 Q1,15,4,19,5,9,No\r\n"
        "Help visits,次,2025 Q2,,,,0,9,No\r\n"
        "Help visits,次,Whole range: total,15,4,19,5,18,No\r\n"
    )


def test_csv_export_of_a_township_is_scoped(client, users, figures, english):
    client.force_login(users["township"])

    response = client.get(
        CSV_URL, {"indicator": "households", "level": "total", "grain": "year", **FIRST_HALF}
    )

    assert response.content.decode("utf-8") == (
        "\ufeffIndicator,Unit,Period,Township total,Returns counted,Returns owed,Complete\r\n"
        "Households,户,2025,320,4,24,No\r\n"
        "Households,户,Whole range: latest value,320,4,24,No\r\n"
    )


def test_exports_never_turn_a_name_into_a_formula(client, users, figures, english):
    figures["north"].name_en = '=HYPERLINK("http://x")'
    figures["north"].save()
    client.force_login(users["county"])
    params = {"indicator": "visits", "level": "township", "grain": "year", **FIRST_HALF}

    csv_text = client.get(CSV_URL, params).content.decode("utf-8")
    workbook = openpyxl.load_workbook(io.BytesIO(client.get(XLSX_URL, params).content))

    assert csv_text.splitlines()[0] == (
        f'\ufeffIndicator,Unit,Period,"\'=HYPERLINK(""http://x"")",{figures["south"].name_en},'
        "Total,Returns counted,Returns owed,Complete"
    )
    cell = workbook.active["D1"]
    assert (cell.value, cell.data_type) == ('\'=HYPERLINK("http://x")', "s")


def test_xlsx_export_is_the_table(client, users, figures, english):
    client.force_login(users["county"])

    response = client.get(
        XLSX_URL, {"indicator": "visits", "level": "township", "grain": "quarter", **FIRST_HALF}
    )

    sheet = openpyxl.load_workbook(io.BytesIO(response.content)).active
    north, south = figures["north"].name_en, figures["south"].name_en
    assert [list(row) for row in sheet.iter_rows(values_only=True)] == [
        [
            "Indicator",
            "Unit",
            "Period",
            north,
            south,
            "Total",
            "Returns counted",
            "Returns owed",
            "Complete",
        ],
        ["Help visits", "次", "2025 Q1", 15, 4, 19, 5, 9, "No"],
        ["Help visits", "次", "2025 Q2", None, None, None, 0, 9, "No"],
        ["Help visits", "次", "Whole range: total", 15, 4, 19, 5, 18, "No"],
    ]


def test_print_view_has_table_and_chart_without_navigation(client, users, figures, english):
    client.force_login(users["county"])

    response = client.get(PRINT_URL, {"indicator": "visits", "level": "township", **FIRST_HALF})

    html = response.content.decode()
    assert response.status_code == 200
    assert "<svg" in html
    assert 'class="data-table aggregate-table"' in html
    assert "site-nav" not in html
    assert "<form" not in html
    assert "<script" not in html
    assert 'style="' not in html


# ---------------------------------------------------------------------------- bad input


@pytest.mark.parametrize(
    "params",
    [
        {"indicator": "nope"},
        {"level": "planet"},
        {"grain": "week"},
        {"counted": "everything"},
        {"month_from": "2025-13"},
        {"month_from": "abc", "month_to": "<b>"},
        {"month_from": "2026-05", "month_to": "2026-01"},
        {"month_from": "2000-01", "month_to": "2025-01"},
        {"township": "nowhere", "level": "community"},
    ],
)
def test_bad_input_never_fails(client, users, figures, params):
    client.force_login(users["county"])

    page = client.get(URL, params)
    export = client.get(CSV_URL, params)
    printed = client.get(PRINT_URL, params)

    assert page.status_code == 200
    assert page.context["form"].errors
    assert page.context["table"] is None
    assert export.status_code == 400
    assert export["Content-Type"] == "text/plain"
    assert printed.status_code == 200


def test_empty_catalogue(client, users, tree, english):
    client.force_login(users["county"])

    response = client.get(URL)

    assert response.status_code == 200
    assert "The indicator catalogue is empty" in response.content.decode()


def test_defaults_show_the_first_indicator_for_the_last_twelve_months(client, users, figures):
    client.force_login(users["county"])

    response = client.get(URL)

    table = response.context["table"]
    assert table.indicator.code == "households"
    assert len(table.rows) == 12
    assert [a.key for a in table.areas] == [figures["north"].pk, figures["south"].pk]


# ---------------------------------------------------------------------------- periods


def test_periods_widen_to_whole_quarters_and_years():
    assert widen(d(2), d(5), Grain.QUARTER) == (d(1), d(6))
    assert widen(d(2), d(5), Grain.YEAR) == (d(1), d(12))
    assert buckets(d(1), d(12), Grain.QUARTER) == [d(1), d(4), d(7), d(10)]
    quarters = buckets(d(1), d(6), Grain.QUARTER)
    assert [bucket_label(b, Grain.QUARTER) for b in quarters] == ["2025年第1季度", "2025年第2季度"]
    with translation.override("en"):
        assert [bucket_label(b, Grain.QUARTER) for b in quarters] == ["2025 Q1", "2025 Q2"]


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
def test_aggregates_run_the_same_queries_for_3_and_30_communities(
    client, django_assert_num_queries, count, grain, role, level, queries
):
    households = make_indicator(code="households", aggregation="stock")
    visits = make_indicator(code="visits")
    towns = [make_township(code="n"), make_township(code="s")]
    for n in range(count):
        community = make_community(township=towns[n % 2], code=f"c{n:02d}")
        for month in (1, 2, 3, 4):
            add_return(
                community,
                d(month),
                S.SUBMITTED,
                {"households": households, "visits": visits},
                households=100 + n,
                visits=n,
            )
    scope = {
        Role.COUNTY: {},
        Role.TOWNSHIP: {"township": towns[0]},
        Role.CLERK: {"community": Community.objects.get(code="c00")},
    }[role]
    client.force_login(make_user(role, **scope))
    params = {"indicator": "households", "level": level, "grain": grain, **FIRST_HALF}

    # session, user, scope, indicators, derived indicators, [township choices: county only],
    # areas, sums per period, sums over the whole range, the returns counted and the
    # communities owing them, and the navigation's
    with django_assert_num_queries(queries + NAV_QUERIES[role]):
        response = client.get(URL, params)

    assert response.status_code == 200
    in_scope = {
        Role.COUNTY: range(count),
        Role.TOWNSHIP: range(0, count, 2),
        Role.CLERK: [0],
    }[role]
    assert response.context["table"].footer.total == sum(100 + n for n in in_scope)


def test_a_month_with_missing_returns_is_marked_partial(client, users, tree, indicators, english):
    # January: all three communities reported; February: only `far`.
    for code in ("home", "neighbour", "far"):
        add_return(tree[code], d(1), S.SUBMITTED, indicators, households=100)
    add_return(tree["far"], d(2), S.SUBMITTED, indicators, households=50)
    client.force_login(users["county"])
    params = {"indicator": "households", "level": "total", "grain": "month"}

    response = client.get(URL, {**params, "month_from": "2025-01", "month_to": "2025-02"})

    table = response.context["table"]
    assert [
        (row.label, row.total, row.reported, row.expected, row.partial) for row in table.rows
    ] == [
        ("2025-01", D(300), 3, 3, False),
        ("2025-02", D(50), 1, 3, True),
    ]
    html = response.content.decode()
    assert '<tr class="aggregate-table__partial">' in html
    assert html.count('<td class="num aggregate-table__reported">') == 2
    assert '<td class="num aggregate-table__reported">3 of 3</td>' in html
    assert (
        '<td class="num aggregate-table__reported">1 of 3 '
        '<span class="aggregate-table__mark">(partial)</span></td>'
    ) in html
