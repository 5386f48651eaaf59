"""Derived indicators (派生指标): the ratio of the sums in the aggregates report, its exports
and chart, the default catalogue's four ratios, and their admin."""

import datetime
import io
import re
from decimal import Decimal
from io import StringIO

import openpyxl
import pytest
from defusedxml import ElementTree as ET
from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.urls import reverse
from django.utils import translation

from communities.models import Community, Indicator, Ratio, ReturnStatus, ReturnValue, Role
from communities.returns import catalogue
from communities.returns.forms import RATIO_PREFIX, indicator_choices, ratio_choice
from communities.returns.reports import Counted, Grain, Level, aggregate_table, ratio_formula
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
RATE = "ratio:reemployment_rate"


def d(month):
    return datetime.date(2025, month, 1)


def D(value):
    return None if value is None else Decimal(value)


@pytest.fixture
def english(client):
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"


def make_ratio(numerator, denominator, **kwargs) -> Ratio:
    kwargs.setdefault("code", f"ratio-{numerator.code}-{denominator.code}")
    kwargs.setdefault("name", f"{numerator.name}率")
    kwargs.setdefault("name_en", f"{numerator.name_en} rate")
    kwargs.setdefault("group", numerator.group)
    return Ratio.objects.create(numerator=numerator, denominator=denominator, **kwargs)


@pytest.fixture
def rate(db):
    """再就业率: re-employed (a flow) over registered unemployed (a stock) × 100."""
    unemployed = make_indicator(
        code="unemployed", name="登记失业人员", name_en="Unemployed", aggregation="stock"
    )
    reemployed = make_indicator(code="reemployed", name="再就业人数", name_en="Re-employed")
    return make_ratio(
        reemployed,
        unemployed,
        code="reemployment_rate",
        name="再就业率",
        name_en="Re-employment rate",
        unit="%",
        factor=Decimal(100),
        decimal_places=1,
    )


def add_return(community, period, status=S.SUBMITTED, **values):
    monthly_return = make_return(community=community, period=period, status=status)
    indicators = {i.code: i for i in Indicator.objects.filter(code__in=values)}
    ReturnValue.objects.bulk_create(
        ReturnValue(monthly_return=monthly_return, indicator=indicators[code], value=Decimal(v))
        for code, v in values.items()
    )
    return monthly_return


def table_of(response):
    table = response.context["table"]
    return {
        "areas": [area.label for area in table.areas],
        "rows": [(row.label, row.values, row.total) for row in table.rows],
        "footer": (table.footer.label, table.footer.values, table.footer.total),
    }


# ---------------------------------------------------------------------------- the ratio of sums


def test_one_in_ten_and_nine_in_ten_make_fifty_percent(client, users, tree, rate, english):
    add_return(tree["home"], d(1), reemployed=1, unemployed=10)
    add_return(tree["far"], d(1), reemployed=9, unemployed=10)
    client.force_login(users["county"])

    response = client.get(
        URL,
        {"indicator": RATE, "level": "township", "month_from": "2025-01", "month_to": "2025-01"},
    )

    north, south = tree["north"].name_en, tree["south"].name_en
    assert table_of(response) == {
        "areas": [north, south],
        "rows": [("2025-01", [D("10.0"), D("90.0")], D("50.0"))],
        "footer": ("Whole range: ratio of the totals", [D("10.0"), D("90.0")], D("50.0")),
    }
    row = response.context["table"].rows[0]
    assert (row.numerator, row.denominator) == (D(10), D(20))


def test_the_total_is_the_ratio_of_the_sums_not_the_mean_of_the_ratios(users, tree, rate):
    # home 1 of 10 (10%), neighbour 90 of 100 (90%): their township's rate is 91 of 110,
    # 82.7%, not the mean 50%; with far's 9 of 10 the county's 100 of 120, not 63.3%.
    add_return(tree["home"], d(1), reemployed=1, unemployed=10)
    add_return(tree["neighbour"], d(1), reemployed=90, unemployed=100)
    add_return(tree["far"], d(1), reemployed=9, unemployed=10)

    def table(level, township_id=None):
        return aggregate_table(
            user=users["county"],
            indicator=rate,
            level=level,
            township_id=township_id,
            grain=Grain.MONTH,
            first=d(1),
            last=d(1),
            counted=Counted.SUBMITTED,
        )

    north = table(Level.COMMUNITY, tree["north"].pk)
    county = table(Level.TOWNSHIP)
    assert (north.rows[0].values, north.rows[0].total) == ([D("10.0"), D("90.0")], D("82.7"))
    assert (county.rows[0].values, county.rows[0].total) == ([D("82.7"), D("90.0")], D("83.3"))
    assert (county.footer.numerator, county.footer.denominator) == (D(100), D(120))


def test_a_quarter_sums_the_flow_and_takes_the_stocks_latest_month(
    client, users, tree, rate, english
):
    # Re-employed is a flow (1 + 2 + 3 = 6), the unemployed a stock (March's 30): 20%.
    # Summing both would give 6/60 = 10%; the latest of both 3/30 = 10%.
    for month, reemployed, unemployed in [(1, 1, 10), (2, 2, 20), (3, 3, 30)]:
        add_return(tree["home"], d(month), reemployed=reemployed, unemployed=unemployed)
    # far: February only, 5 of 25.
    add_return(tree["far"], d(2), reemployed=5, unemployed=25)
    client.force_login(users["county"])

    response = client.get(
        URL, {"indicator": RATE, "level": "township", "grain": "quarter", **FIRST_HALF}
    )

    assert table_of(response)["rows"] == [
        # county: (6 + 5) / (30 + 25) = 20%
        ("2025 Q1", [D("20.0"), D("20.0")], D("20.0")),
        ("2025 Q2", [None, None], None),
    ]
    assert table_of(response)["footer"] == (
        "Whole range: ratio of the totals",
        [D("20.0"), D("20.0")],
        D("20.0"),
    )
    footer = response.context["table"].footer
    assert (footer.numerator, footer.denominator) == (D(11), D(55))


def test_a_year_of_two_flows_is_the_ratio_of_the_years_sums(users, tree):
    received = make_indicator(code="received", name_en="Received")
    resolved = make_indicator(code="resolved", name_en="Resolved")
    ratio = make_ratio(resolved, received, factor=Decimal(100), decimal_places=1)
    for month, done, came in [(1, 1, 2), (2, 0, 1), (3, 9, 9)]:
        add_return(tree["home"], d(month), resolved=done, received=came)

    table = aggregate_table(
        user=users["county"],
        indicator=ratio,
        level=Level.TOTAL,
        total_label="County",
        grain=Grain.YEAR,
        first=d(1),
        last=datetime.date(2025, 12, 1),
        counted=Counted.SUBMITTED,
    )

    # 10 of 12 = 83.3%; the mean of the months' 50%, 0% and 100% would be 50%.
    assert [(row.values, row.total) for row in table.rows] == [([D("83.3")], D("83.3"))]


def test_zero_or_missing_denominator_gives_no_figure(client, users, tree, rate, english):
    add_return(tree["home"], d(1), reemployed=0, unemployed=0)
    add_return(tree["far"], d(1), reemployed=3, unemployed=12)
    client.force_login(users["county"])

    response = client.get(
        URL,
        {"indicator": RATE, "level": "township", "month_from": "2025-01", "month_to": "2025-02"},
    )

    assert table_of(response)["rows"] == [
        ("2025-01", [None, D("25.0")], D("25.0")),  # north: 0 of 0
        ("2025-02", [None, None], None),  # no return at all
    ]
    html = response.content.decode()
    assert '<td class="num">—</td><td class="num">25</td>' in html
    assert "or a denominator of zero" in html


def test_a_return_with_one_of_the_two_figures_is_left_out(client, users, tree, rate, english):
    add_return(tree["home"], d(1), reemployed=2, unemployed=10)
    # neighbour reported its re-employed but not its unemployed (a draft made submitted by
    # an import, a figure not required): neither side counts it.
    add_return(tree["neighbour"], d(1), reemployed=8)
    # far: the unemployed but not the re-employed.
    add_return(tree["far"], d(1), unemployed=50)
    client.force_login(users["county"])

    response = client.get(
        URL,
        {"indicator": RATE, "level": "township", "month_from": "2025-01", "month_to": "2025-01"},
    )

    table = response.context["table"]
    assert table_of(response)["rows"] == [("2025-01", [D("20.0"), None], D("20.0"))]
    assert (table.rows[0].numerator, table.rows[0].denominator) == (D(2), D(10))
    # The returns counted are those with both figures: home's, of the three owed.
    assert (table.rows[0].reported, table.rows[0].expected) == (1, 3)


def test_the_stocks_latest_month_is_the_latest_with_both_figures(users, tree, rate):
    add_return(tree["home"], d(1), reemployed=1, unemployed=10)
    add_return(tree["home"], d(2), reemployed=1, unemployed=20)
    add_return(tree["home"], d(3), unemployed=40)  # no re-employed figure: not counted

    table = aggregate_table(
        user=users["county"],
        indicator=rate,
        level=Level.TOTAL,
        grain=Grain.QUARTER,
        first=d(1),
        last=d(3),
        counted=Counted.SUBMITTED,
    )

    assert (table.rows[0].numerator, table.rows[0].denominator) == (D(2), D(20))
    assert table.rows[0].values == [D("10.0")]


def test_drafts_count_only_when_asked(users, tree, rate):
    add_return(tree["home"], d(1), reemployed=1, unemployed=10)
    add_return(tree["far"], d(1), S.DRAFT, reemployed=9, unemployed=10)

    def total(counted):
        return (
            aggregate_table(
                user=users["county"],
                indicator=rate,
                level=Level.TOTAL,
                grain=Grain.MONTH,
                first=d(1),
                last=d(1),
                counted=counted,
            )
            .rows[0]
            .total
        )

    assert (total(Counted.SUBMITTED), total(Counted.ALL)) == (D("10.0"), D("50.0"))


def test_ratio_formula_names_both_indicators_and_the_factor(rate):
    per_household = make_ratio(rate.numerator, rate.denominator, code="x", factor=Decimal(1))

    assert ratio_formula(rate) == "再就业人数 ÷ 登记失业人员 × 100"
    assert ratio_formula(per_household) == "再就业人数 ÷ 登记失业人员"
    with translation.override("en"):
        assert ratio_formula(rate) == "Re-employed ÷ Unemployed × 100"


# ---------------------------------------------------------------------------- the page


def test_page_shows_the_definition_and_each_sides_rule(client, users, tree, rate, english):
    add_return(tree["home"], d(1), reemployed=1, unemployed=10)
    client.force_login(users["county"])

    response = client.get(URL, {"indicator": RATE, "level": "township", **FIRST_HALF})

    html = response.content.decode()
    assert response.context["formula"] == "Re-employed ÷ Unemployed × 100"
    assert "<dd>Re-employed ÷ Unemployed × 100 (%)</dd>" in html
    assert "Re-employed: the months of a quarter or a year added up." in html
    assert "Unemployed: each community's latest month in a quarter or a year." in html
    assert "Re-employment rate worked out from the monthly returns (%)" in html
    # The numerator's and denominator's totals beside the total.
    assert (
        '<th scope="col" class="num aggregate-table__part">Re-employed</th>'
        '<th scope="col" class="num aggregate-table__part">Unemployed</th>'
    ) in html
    assert (
        '<td class="num aggregate-table__total">10</td>'
        '<td class="num aggregate-table__part">1</td><td class="num aggregate-table__part">10</td>'
    ) in re.sub(r">\s+<", "><", html)


def test_the_choice_offers_derived_indicators_in_a_group_of_their_own(client, users, rate, english):
    client.force_login(users["county"])

    with translation.override("en"):
        choices, by_value = indicator_choices()
        assert [str(label) for label, _options in choices][-1] == "Derived indicators"

    assert choices[-1][1] == [("ratio:reemployment_rate", "Re-employment rate (%)")]
    assert by_value["ratio:reemployment_rate"] == rate
    assert by_value["reemployed"] == rate.numerator
    assert ratio_choice(rate) == RATIO_PREFIX + rate.code
    html = client.get(URL).content.decode()
    assert '<optgroup label="Derived indicators">' in html
    assert '<option value="ratio:reemployment_rate">Re-employment rate (%)</option>' in html


def test_a_ratio_whose_code_is_an_indicators_stays_apart(client, users, tree, rate, english):
    # The same code in both tables: the choice's prefix says which one is meant.
    make_ratio(rate.numerator, rate.denominator, code="reemployed", factor=Decimal(1000))
    add_return(tree["home"], d(1), reemployed=1, unemployed=10)
    client.force_login(users["county"])
    month = {"month_from": "2025-01", "month_to": "2025-01", "level": "total"}

    indicator = client.get(URL, {"indicator": "reemployed", **month}).context["table"]
    ratio = client.get(URL, {"indicator": "ratio:reemployed", **month}).context["table"]

    assert (indicator.is_ratio, indicator.rows[0].total) == (False, D(1))
    assert (ratio.is_ratio, ratio.rows[0].total) == (True, D("100.0"))


def test_chart_of_a_ratio(client, users, tree, rate, english):
    add_return(tree["home"], d(1), reemployed=1, unemployed=10)
    add_return(tree["far"], d(1), reemployed=9, unemployed=10)
    add_return(tree["home"], d(2), reemployed=1, unemployed=4)
    client.force_login(users["county"])

    response = client.get(
        URL, {"indicator": RATE, "level": "total", "month_from": "2025-01", "month_to": "2025-02"}
    )

    html = response.content.decode()
    svg = ET.fromstring(html[html.index("<svg") : html.index("</svg>") + len("</svg>")])
    bars = svg.findall(f".//{SVG}rect[@class='chart__bar']")
    assert [bar.find(f"{SVG}title").text for bar in bars] == [
        "County total · 2025-01* (2/3): 50 %",
        "County total · 2025-02* (1/3): 25 %",
    ]
    assert svg.find(f"{SVG}title").text == "Re-employment rate, 2025-01 to 2025-02"


# ---------------------------------------------------------------------------- exports


def test_csv_of_a_ratio(client, users, tree, rate, english):
    add_return(tree["home"], d(1), reemployed=1, unemployed=10)
    add_return(tree["neighbour"], d(1), reemployed=1, unemployed=30)
    add_return(tree["far"], d(1), reemployed=9, unemployed=10)
    client.force_login(users["county"])

    response = client.get(
        CSV_URL, {"indicator": RATE, "level": "township", "grain": "quarter", **FIRST_HALF}
    )

    north, south = tree["north"].name_en, tree["south"].name_en
    assert response.status_code == 200
    assert response["Content-Disposition"] == (
        'attachment; filename="aggregates-reemployment_rate-quarter-202501-202506.csv"'
    )
    assert response.content.decode("utf-8") == (
        f"\ufeffIndicator,Unit,Period,{north},{south},Total,Re-employed,Unemployed,"
        "Returns counted,Returns owed,Complete\r\n"
        "Re-employment rate,%,2025 Q1,5,90,22,11,50,3,9,No\r\n"
        "Re-employment rate,%,2025 Q2,,,,,,0,9,No\r\n"
        "Re-employment rate,%,Whole range: ratio of the totals,5,90,22,11,50,3,18,No\r\n"
    )


def test_xlsx_of_a_ratio(client, users, tree, rate, english):
    add_return(tree["home"], d(1), reemployed=1, unemployed=3)
    client.force_login(users["clerk"])

    response = client.get(
        XLSX_URL, {"indicator": RATE, "month_from": "2025-01", "month_to": "2025-02"}
    )

    sheet = openpyxl.load_workbook(io.BytesIO(response.content)).active
    assert sheet.title == "reemployment_rate"
    assert [list(row) for row in sheet.iter_rows(values_only=True)] == [
        [
            "Indicator",
            "Unit",
            "Period",
            tree["home"].name_en,
            "Re-employed",
            "Unemployed",
            "Returns counted",
            "Returns owed",
            "Complete",
        ],
        ["Re-employment rate", "%", "2025-01", 33.3, 1, 3, 1, 1, "Yes"],
        ["Re-employment rate", "%", "2025-02", None, None, None, 0, 1, "No"],
        ["Re-employment rate", "%", "Whole range: ratio of the totals", 33.3, 1, 3, 1, 2, "No"],
    ]


def test_print_view_of_a_ratio(client, users, tree, rate, english):
    add_return(tree["home"], d(1), reemployed=1, unemployed=10)
    client.force_login(users["township"])

    response = client.get(PRINT_URL, {"indicator": RATE, **FIRST_HALF})

    html = response.content.decode()
    assert response.status_code == 200
    assert "<title>Aggregates of monthly returns · Re-employment rate ·" in html
    assert "<dd>Re-employed ÷ Unemployed × 100 (%)</dd>" in html
    assert "<svg" in html
    assert 'style="' not in html


# ---------------------------------------------------------------------------- who sees what


def test_anonymous_is_sent_to_login_for_a_ratio(client, rate):
    for url in (URL, CSV_URL, XLSX_URL, PRINT_URL):
        response = client.get(url, {"indicator": RATE})

        assert response.status_code == 302
        assert response.url.startswith(f"{reverse('login')}?next=")


@pytest.mark.parametrize("role", ["judge", "no_role"])
def test_judge_and_no_role_are_refused_a_ratio(client, users, rate, role):
    client.force_login(users[role])

    for url in (URL, CSV_URL, XLSX_URL, PRINT_URL):
        assert client.get(url, {"indicator": RATE}).status_code == 403


def test_township_and_clerk_see_only_their_own_figures(client, users, tree, rate, english):
    add_return(tree["home"], d(1), reemployed=1, unemployed=10)
    add_return(tree["neighbour"], d(1), reemployed=3, unemployed=10)
    add_return(tree["far"], d(1), reemployed=9, unemployed=10)
    month = {"indicator": RATE, "month_from": "2025-01", "month_to": "2025-01"}

    client.force_login(users["township"])
    township = table_of(client.get(URL, month))
    township_total = table_of(client.get(URL, {**month, "level": "total"}))
    client.force_login(users["clerk"])
    clerk = table_of(client.get(URL, month))

    assert township["areas"] == [tree["home"].name_en, tree["neighbour"].name_en]
    assert township["rows"] == [("2025-01", [D("10.0"), D("30.0")], D("20.0"))]
    assert township_total["rows"] == [("2025-01", [D("20.0")], D("20.0"))]
    assert clerk == {
        "areas": [tree["home"].name_en],
        "rows": [("2025-01", [D("10.0")], D("10.0"))],
        "footer": ("Whole range: ratio of the totals", [D("10.0")], D("10.0")),
    }


@pytest.mark.parametrize(
    "indicator", ["ratio:nope", "ratio:", "reemployment_rate", "ratio:ratio:reemployment_rate"]
)
def test_an_unknown_ratio_is_the_forms_error(client, users, rate, indicator):
    client.force_login(users["county"])

    page = client.get(URL, {"indicator": indicator})
    export = client.get(CSV_URL, {"indicator": indicator})
    workbook = client.get(XLSX_URL, {"indicator": indicator})
    printed = client.get(PRINT_URL, {"indicator": indicator})

    assert (page.status_code, list(page.context["form"].errors)) == (200, ["indicator"])
    assert page.context["table"] is None
    assert (export.status_code, workbook.status_code) == (400, 400)
    assert export["Content-Type"] == "text/plain"
    assert printed.status_code == 200


# ---------------------------------------------------------------------------- queries


@pytest.mark.parametrize("count", [3, 30])
@pytest.mark.parametrize("grain", ["month", "quarter"])
@pytest.mark.parametrize(
    ("role", "level", "queries"),
    [
        (Role.COUNTY, "township", 13),
        (Role.TOWNSHIP, "community", 12),
        (Role.CLERK, "community", 12),
    ],
)
def test_a_ratio_runs_the_same_queries_for_3_and_30_communities(
    client, django_assert_num_queries, count, grain, role, level, queries
):
    unemployed = make_indicator(code="unemployed", aggregation="stock")
    reemployed = make_indicator(code="reemployed")
    make_ratio(reemployed, unemployed, code="reemployment_rate", factor=Decimal(100))
    towns = [make_township(code="n"), make_township(code="s")]
    for n in range(count):
        community = make_community(township=towns[n % 2], code=f"c{n:02d}")
        for month in (1, 2, 3, 4):
            add_return(community, d(month), reemployed=n % 3, unemployed=10)
    scope = {
        Role.COUNTY: {},
        Role.TOWNSHIP: {"township": towns[0]},
        Role.CLERK: {"community": Community.objects.get(code="c00")},
    }[role]
    client.force_login(make_user(role, **scope))
    params = {"indicator": RATE, "level": level, "grain": grain, **FIRST_HALF}

    # session, user, scope, indicators, derived indicators, [township choices: county only],
    # areas, each side's sums per period and over the whole range (two more than for an
    # indicator), the returns counted and the communities owing them, and the navigation's
    with django_assert_num_queries(queries + NAV_QUERIES[role]):
        response = client.get(URL, params)

    in_scope = {
        Role.COUNTY: range(count),
        Role.TOWNSHIP: range(0, count, 2),
        Role.CLERK: [0],
    }[role]
    footer = response.context["table"].footer
    # Four months of each community's re-employed over its latest month's 10 unemployed.
    assert (footer.numerator, footer.denominator) == (
        D(sum(4 * (n % 3) for n in in_scope)),
        D(10 * len(in_scope)),
    )


# ---------------------------------------------------------------------------- the model


def test_ratio_compute_rounds_half_up_and_refuses_a_zero_denominator(rate):
    assert rate.compute(D(1), D(3)) == D("33.3")
    assert rate.compute(D(1), D(8)) == D("12.5")
    assert rate.compute(D(1), D(16)) == D("6.3")  # 6.25, half up
    assert rate.compute(D(1), D(0)) is None
    assert rate.compute(None, D(3)) is None
    assert rate.compute(D(1), None) is None


def test_ratio_clean_says_what_is_wrong_in_words(rate):
    rate.denominator = rate.numerator
    rate.factor = Decimal(0)
    rate.decimal_places = 5

    with pytest.raises(ValidationError) as error:
        rate.full_clean()

    with translation.override("en"):
        assert error.value.message_dict == {
            "denominator": ["Choose an indicator other than the numerator."],
            "factor": ["Enter a factor greater than zero."],
            "decimal_places": ["Round to at most 4 decimal places."],
        }


# ---------------------------------------------------------------------------- the catalogue


def _load_indicators():
    out = StringIO()
    with translation.override("en"):
        call_command("load_indicators", stdout=out)
    return out.getvalue().splitlines()


def test_load_indicators_creates_the_four_default_ratios():
    _load_indicators()

    rows = Ratio.objects.values_list(
        "group__code",
        "code",
        "name",
        "numerator__code",
        "denominator__code",
        "factor",
        "unit",
        "decimal_places",
    )
    assert list(rows) == [
        (
            "employment",
            "reemployment_rate",
            "再就业率",
            "reemployed",
            "registered_unemployed",
            D(100),
            "%",
            1,
        ),
        (
            "volunteers",
            "volunteers_per_thousand",
            "每千名居民志愿者数",
            "registered_volunteers",
            "residents",
            D(1000),
            "人/千人",
            1,
        ),
        (
            "requests",
            "request_resolution_rate",
            "诉求办结率",
            "requests_resolved",
            "requests_received",
            D(100),
            "%",
            1,
        ),
        (
            "cobuilding",
            "cobuilding_funds_per_household",
            "户均共建资金",
            "cobuilding_funds",
            "households",
            D(1),
            "元/户",
            2,
        ),
    ]
    assert [r.code for r in Ratio.objects.all() if not r.help_text or not r.name_en] == []


def test_the_catalogues_ratios_name_indicators_of_the_catalogue():
    codes = {spec["code"] for spec in catalogue.INDICATORS}

    for spec in catalogue.RATIOS:
        assert {spec["numerator"], spec["denominator"]} <= codes
        assert spec["numerator"] != spec["denominator"]
        assert spec["factor"] > 0


def test_load_indicators_twice_adds_no_ratio_and_no_history():
    _load_indicators()
    counts = (Ratio.objects.count(), Ratio.history.count())

    output = _load_indicators()

    assert counts == (Ratio.objects.count(), Ratio.history.count()) == (4, 4)
    assert output == ["Indicator catalogue loaded: 0 created, 0 updated, 42 unchanged."]


def test_load_indicators_keeps_the_countys_ratios(client):
    _load_indicators()
    volunteers = Ratio.objects.get(code="volunteers_per_thousand")
    volunteers.factor = Decimal(100)
    volunteers.unit = "人/百人"
    volunteers.denominator = Indicator.objects.get(code="households")
    volunteers.save()
    Ratio.objects.filter(code="reemployment_rate").delete()

    output = _load_indicators()

    volunteers.refresh_from_db()
    assert (volunteers.factor, volunteers.unit, volunteers.denominator.code) == (
        D(100),
        "人/百人",
        "households",
    )
    assert Ratio.objects.filter(code="reemployment_rate").count() == 1
    assert output == ["Indicator catalogue loaded: 1 created, 0 updated, 41 unchanged."]


def test_the_default_ratios_in_the_aggregates(client, users, tree):
    _load_indicators()
    for community, households, funds in [("home", 100, 1000), ("far", 300, 1000)]:
        add_return(
            tree[community],
            datetime.date(2026, 1, 1),
            households=households,
            cobuilding_funds=funds,
        )
    client.force_login(users["county"])

    response = client.get(
        URL,
        {
            "indicator": "ratio:cobuilding_funds_per_household",
            "level": "total",
            "month_from": "2026-01",
            "month_to": "2026-01",
        },
    )

    # 2,000 yuan over 400 households, not the mean of 10 and 3.33.
    assert response.context["table"].rows[0].values == [D("5.00")]
    assert response.context["formula"] == "共建资金到位 ÷ 户数"


# ---------------------------------------------------------------------------- admin


def _admin(view, *args):
    return reverse(f"admin:communities_ratio_{view}", args=args)


def test_admin_county_changes_a_ratio(client, users, rate):
    client.force_login(users["county"])

    listing = client.get(_admin("changelist"))
    response = client.post(
        _admin("change", rate.pk),
        {
            "code": rate.code,
            "name": "再就业率",
            "name_en": "Re-employment rate",
            "group": rate.group_id,
            "sort_order": 5,
            "help_text": "",
            "numerator": rate.numerator_id,
            "denominator": rate.denominator_id,
            "factor": "1000",
            "unit": "‰",
            "decimal_places": 0,
        },
    )

    assert listing.status_code == 200
    assert "reemployment_rate" in listing.content.decode()
    assert response.status_code == 302
    rate.refresh_from_db()
    assert (rate.factor, rate.unit, rate.decimal_places) == (D(1000), "‰", 0)


def test_admin_refuses_the_same_indicator_twice(client, users, rate, settings):
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    client.force_login(users["county"])

    response = client.post(
        _admin("add"),
        {
            "code": "self",
            "name": "自己",
            "group": rate.group_id,
            "sort_order": 0,
            "numerator": rate.numerator_id,
            "denominator": rate.numerator_id,
            "factor": "100",
            "decimal_places": 1,
        },
    )

    assert response.status_code == 200
    assert response.context["adminform"].form.errors == {
        "denominator": ["Choose an indicator other than the numerator."]
    }
    assert not Ratio.objects.filter(code="self").exists()


@pytest.mark.parametrize("role", ["township", "clerk"])
def test_admin_township_and_clerk_read_but_cannot_change(client, users, rate, role):
    client.force_login(users[role])

    listing = client.get(_admin("changelist"))
    page = client.get(_admin("change", rate.pk))
    post = client.post(_admin("change", rate.pk), {"factor": "1"})
    add = client.get(_admin("add"))

    assert (listing.status_code, page.status_code) == (200, 200)
    assert (post.status_code, add.status_code) == (403, 403)
    rate.refresh_from_db()
    assert rate.factor == D(100)


@pytest.mark.parametrize("role", ["judge", "no_role"])
def test_admin_others_cannot_see_ratios(client, users, rate, role):
    client.force_login(users[role])

    assert client.get(_admin("changelist")).status_code == 302
