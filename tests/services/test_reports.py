"""Services reports: exact figures, scope, permissions, exports and a fixed number of queries."""

import datetime
import io
from decimal import Decimal

import openpyxl
import pytest
from django.conf import settings
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from chunan_community.months import add_months, month_start
from communities.models import Community, Role
from services.domain import service_record, time_bank_draw
from services.models import ServiceNetwork, ServiceOutlet, TimeBankEntry
from tests.factories import make_community, make_volunteer
from tests.html import tables
from tests.queries import NAV_QUERIES

# The moment this module's dates are built for: each test keeps it, should the run cross
# midnight or a month's end (`.ci/run` moves the clock of a run to such days).
NOW = timezone.localtime()
pytestmark = [pytest.mark.django_db, pytest.mark.time_machine(NOW, tick=False)]

D = Decimal
SLUGS = ("coverage", "outlets", "hours", "balances")
FIRST_QUARTER = {"month_from": "2026-01", "month_to": "2026-03"}
NEXT_MONTH = add_months(month_start(NOW.date()), 1)
XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def url(slug, suffix=""):
    return reverse(f"services:report_{slug}{suffix}")


@pytest.fixture
def english(client):
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"


@pytest.fixture
def names(tree):
    """The English names the tables show (the test factories number them)."""
    return {key: value.name_en for key, value in tree.items()}


@pytest.fixture
def real_figures(tree):
    """No sample badges in the tables: the factories' communities default to sample figures.
    `far` has no residents figure."""
    Community.objects.update(figures_are_sample=False)
    Community.objects.filter(pk=tree["neighbour"].pk).update(residents=2000)
    Community.objects.filter(pk=tree["far"].pk).update(residents=0)


@pytest.fixture
def networks(tree):
    """home: social assistance since 2008-05-01, convenience (no date), socialised recorded
    as not established; neighbour: social assistance since 2010-01-01; far: none."""
    K = ServiceNetwork.Kind
    for community, kind, established, on in [
        ("home", K.SOCIAL_ASSISTANCE, True, datetime.date(2008, 5, 1)),
        ("home", K.CONVENIENCE, True, None),
        ("home", K.SOCIALISED, False, datetime.date(2012, 1, 1)),
        ("neighbour", K.SOCIAL_ASSISTANCE, True, datetime.date(2010, 1, 1)),
    ]:
        ServiceNetwork.objects.create(
            community=tree[community], kind=kind, established=established, established_on=on
        )


def add_outlets(community, kind, count, start=0):
    ServiceOutlet.objects.bulk_create(
        ServiceOutlet(community=community, kind=kind, name=f"{kind}-{start + n}")
        for n in range(count)
    )


@pytest.fixture
def outlets(tree, real_figures):
    """home: 2 convenience, 1 health (3,000 residents); neighbour: 1 gym (2,000);
    far: 1 other (no residents figure)."""
    K = ServiceOutlet.Kind
    add_outlets(tree["home"], K.CONVENIENCE, 2)
    add_outlets(tree["home"], K.HEALTH, 1)
    add_outlets(tree["neighbour"], K.GYM, 1)
    add_outlets(tree["far"], K.OTHER, 1)


def serve(volunteer, hours, on, by):
    return service_record(
        volunteer=volunteer, served_on=on, hours=D(hours), activity="助老服务", by=by
    )


@pytest.fixture
def ledger(tree, users):
    """Volunteers' service and time bank:

    v1 (home):      served 2025-12-31 1h, 2026-01-10 2h, 2026-02-03 1.5h; drew 3.5h → 1
    v2 (home):      served 2026-02-20 3h; drew 3h → 0 (at the floor)
    v3 (neighbour): served 2026-01-15 4h; adjusted -5h → -1 (below the floor)
    v4 (far):       served 2026-03-01 2.5h → 2.5
    v5 (home):      no account
    """
    by = users["county"]
    v1, v2, v5 = (make_volunteer(community=tree["home"]) for _ in range(3))
    v3 = make_volunteer(community=tree["neighbour"])
    v4 = make_volunteer(community=tree["far"])
    serve(v1, "1", datetime.date(2025, 12, 31), by)
    serve(v1, "2", datetime.date(2026, 1, 10), by)
    serve(v1, "1.5", datetime.date(2026, 2, 3), by)
    time_bank_draw(volunteer=v1, hours=D("3.5"), on=datetime.date(2026, 3, 1), by=by)
    serve(v2, "3", datetime.date(2026, 2, 20), by)
    time_bank_draw(volunteer=v2, hours=D(3), on=datetime.date(2026, 3, 2), by=by)
    serve(v3, "4", datetime.date(2026, 1, 15), by)
    TimeBankEntry.objects.create(
        volunteer=v3, kind="adjustment", hours=D(-5), on=datetime.date(2026, 3, 3), created_by=by
    )
    serve(v4, "2.5", datetime.date(2026, 3, 1), by)
    return {"v1": v1, "v2": v2, "v3": v3, "v4": v4, "v5": v5}


def only_table(response):
    (table,) = tables(response)
    return table


# ---------------------------------------------------------------------------- index


def test_index_links_the_four_reports(client, users, english):
    client.force_login(users["township"])

    response = client.get(reverse("services:reports"))

    assert response.status_code == 200
    assert [(r.title, link) for r, link in response.context["reports"]] == [
        ("Service-network coverage", "/services/reports/coverage/"),
        ("Outlets per 1,000 residents", "/services/reports/outlets/"),
        ("Volunteer hours recorded per month", "/services/reports/hours/"),
        ("Time-bank balances", "/services/reports/balances/"),
    ]


# ---------------------------------------------------------------------------- coverage


def test_coverage_for_the_county(client, users, names, networks, real_figures, english):
    client.force_login(users["county"])

    table = only_table(client.get(url("coverage")))

    north, south = names["north"], names["south"]
    assert table["thead"] == [
        [
            "Community",
            "Township",
            "Social assistance (社会救助)",
            "Convenience services (便民利民)",
            "Socialised services (社会化服务)",
            "Re-employment and social security (再就业和社会保障)",
            "Co-building (共建)",
            "Networks established (of 5)",
        ]
    ]
    assert table["tbody"] == [
        [names["home"], north, "✓ 2008-05-01", "✓", "✗", "✗", "✗", "2"],
        [names["neighbour"], north, "✓ 2010-01-01", "✗", "✗", "✗", "✗", "1"],
        [names["far"], south, "✗", "✗", "✗", "✗", "✗", "0"],
    ]
    assert table["tfoot"] == [
        ["Communities with the network (of 2)", north, "2", "1", "0", "0", "0", "3"],
        ["Coverage", north, "100%", "50%", "0%", "0%", "0%", "30%"],
        ["Communities with the network (of 1)", south, "0", "0", "0", "0", "0", "0"],
        ["Coverage", south, "0%", "0%", "0%", "0%", "0%", "0%"],
        ["Communities with the network (of 3)", "County total", "2", "1", "0", "0", "0", "3"],
        ["Coverage", "County total", "67%", "33%", "0%", "0%", "0%", "20%"],
    ]


def test_coverage_filtered_by_township(client, users, names, networks, english):
    client.force_login(users["county"])

    table = only_table(client.get(url("coverage"), {"township": "south"}))

    assert [row[0] for row in table["tbody"]] == [names["far"]]
    assert [row[:2] for row in table["tfoot"]] == [
        ["Communities with the network (of 1)", names["south"]],
        ["Coverage", names["south"]],
    ]


def test_coverage_of_a_township_leaves_out_the_others(client, users, names, networks, english):
    client.force_login(users["township"])

    # A township's staff cannot widen their scope with the county's filter.
    response = client.get(url("coverage"), {"township": "south"})

    table = only_table(response)
    assert "township" not in response.context["form"].fields
    assert [row[0] for row in table["tbody"]] == [names["home"], names["neighbour"]]
    assert [row[:2] for row in table["tfoot"]] == [
        ["Communities with the network (of 2)", names["north"]],
        ["Coverage", names["north"]],
    ]


def test_coverage_of_a_clerk_is_their_community_without_totals(
    client, users, names, networks, english
):
    client.force_login(users["clerk"])

    table = only_table(client.get(url("coverage")))

    assert table["tbody"] == [
        [names["home"], names["north"], "✓ 2008-05-01", "✓", "✗", "✗", "✗", "2"]
    ]
    assert table["tfoot"] == []


def test_coverage_pages_the_communities_and_totals_them_all(client, users, tree, english):
    for n in range(21):
        make_community(township=tree["north"], code=f"extra-{n:02}")
    client.force_login(users["county"])

    first = client.get(url("coverage"))
    second = client.get(url("coverage"), {"page": 2})

    assert len(only_table(first)["tbody"]) == settings.PAGE_SIZE == 20
    assert len(only_table(second)["tbody"]) == 4
    assert only_table(second)["tfoot"][0][0] == "Communities with the network (of 23)"
    assert only_table(second)["tfoot"][-1][:2] == ["Coverage", "County total"]


# ---------------------------------------------------------------------------- outlets


def test_outlets_per_thousand_residents(client, users, names, outlets, english):
    client.force_login(users["county"])

    response = client.get(url("outlets"))

    table = only_table(response)
    north, south = names["north"], names["south"]
    assert table["thead"] == [
        [
            "Community",
            "Township",
            "Convenience outlet",
            "Health station",
            "Cultural station",
            "Gym",
            "Other",
            "Outlets",
            "Residents",
            "Outlets per 1,000 residents",
        ]
    ]
    assert table["tbody"] == [
        [names["home"], north, "2", "1", "0", "0", "0", "3", "3,000", "1"],
        [names["neighbour"], north, "0", "0", "0", "1", "0", "1", "2,000", "0.5"],
        [names["far"], south, "0", "0", "0", "0", "1", "1", "—", "—"],
    ]
    # The county's rate leaves out far's outlet: far has no residents figure.
    assert table["tfoot"] == [
        ["Total", north, "2", "1", "0", "1", "0", "4", "5,000", "0.8"],
        ["Total", south, "0", "0", "0", "0", "1", "1", "—", "—"],
        ["Total", "County total", "2", "1", "0", "1", "1", "5", "5,000", "0.8"],
    ]
    assert "not the monthly returns" in response.content.decode()
    assert response.context["table"].has_sample is False


def test_outlets_with_sample_figures_are_marked(client, users, tree, english):
    ServiceOutlet.objects.create(community=tree["home"], kind="gym", name="示例", is_sample=True)
    client.force_login(users["clerk"])

    response = client.get(url("outlets"))

    assert response.context["table"].has_sample is True
    assert only_table(response)["tbody"][0][0] == f"{tree['home'].name_en} Sample data"


def test_outlet_rate_rounds_to_two_places(client, users, tree, real_figures, english):
    Community.objects.filter(pk=tree["home"].pk).update(residents=2999)
    add_outlets(tree["home"], ServiceOutlet.Kind.OTHER, 2)
    client.force_login(users["clerk"])

    table = only_table(client.get(url("outlets")))

    # 2 * 1000 / 2999 = 0.6668…
    assert table["tbody"][0][-3:] == ["2", "2,999", "0.67"]


# ---------------------------------------------------------------------------- hours


def test_hours_per_township_for_the_county(client, users, names, ledger, english):
    client.force_login(users["county"])

    response = client.get(url("hours"), FIRST_QUARTER)

    table = only_table(response)
    assert table["thead"] == [["Month", names["north"], names["south"], "Total"]]
    assert table["tbody"] == [
        ["2026-01", "6", "0", "6"],
        ["2026-02", "4.5", "0", "4.5"],
        ["2026-03", "0", "2.5", "2.5"],
    ]
    assert table["tfoot"] == [["Whole range: total", "10.5", "2.5", "13"]]


def test_hours_per_community_of_a_township(client, users, names, ledger, english):
    client.force_login(users["township"])

    table = only_table(client.get(url("hours"), FIRST_QUARTER))

    assert table["thead"] == [["Month", names["home"], names["neighbour"], "Total"]]
    assert table["tbody"] == [
        ["2026-01", "2", "4", "6"],
        ["2026-02", "4.5", "0", "4.5"],
        ["2026-03", "0", "0", "0"],
    ]
    assert table["tfoot"] == [["Whole range: total", "6.5", "4", "10.5"]]


def test_hours_per_community_when_the_county_picks_a_township(
    client, users, names, ledger, english
):
    client.force_login(users["county"])

    table = only_table(client.get(url("hours"), {**FIRST_QUARTER, "township": "north"}))

    assert table["thead"] == [["Month", names["home"], names["neighbour"], "Total"]]
    assert table["tfoot"] == [["Whole range: total", "6.5", "4", "10.5"]]


def test_hours_of_a_clerk_are_their_own_communitys(client, users, names, ledger, english):
    client.force_login(users["clerk"])

    table = only_table(client.get(url("hours"), {"month_from": "2025-12", "month_to": "2026-02"}))

    assert table["thead"] == [["Month", names["home"]]]
    assert table["tbody"] == [["2025-12", "1"], ["2026-01", "2"], ["2026-02", "4.5"]]
    assert table["tfoot"] == [["Whole range: total", "7.5"]]


def test_hours_chart_draws_a_line_per_township(client, users, ledger, english):
    client.force_login(users["county"])

    response = client.get(url("hours"), FIRST_QUARTER)

    svg = str(response.context["chart"])
    assert svg.startswith("<svg")
    assert svg.count('class="chart__line"') == 2
    assert svg.count('class="chart__point"') == 6
    assert "Highest: 6 (" in svg


def test_hours_chart_of_one_community_is_bars(client, users, ledger, english):
    client.force_login(users["clerk"])

    response = client.get(url("hours"), FIRST_QUARTER)

    # Three months, the last with no hours: a bar of height 0 for it still.
    assert str(response.context["chart"]).count('class="chart__bar"') == 3


def test_hours_without_records_show_no_chart(client, users, tree, english):
    client.force_login(users["county"])

    response = client.get(url("hours"), FIRST_QUARTER)

    assert response.context["chart"] == ""
    assert "No hours of service recorded in these months." in response.content.decode()


def test_hours_default_to_the_last_twelve_months(client, users, tree):
    client.force_login(users["county"])

    response = client.get(url("hours"))

    table = response.context["table"]
    this_month = month_start(NOW.date())
    assert table.last == this_month
    assert len(table.rows) == 12


@pytest.mark.parametrize(
    ("params", "field", "message"),
    [
        (
            {"month_from": "2026-05", "month_to": "2026-01"},
            "month_from",
            "The first month must not be after the last one.",
        ),
        (
            {"month_from": "2023-01", "month_to": "2026-01"},
            "month_from",
            "Choose at most 36 months.",
        ),
        ({"month_to": f"{NEXT_MONTH:%Y-%m}"}, "month_to", "Choose this month or an earlier one."),
        ({"month_from": "2026-13"}, "month_from", "Enter a month as YYYY-MM, e.g. 2026-10."),
    ],
)
def test_bad_month_range(client, users, tree, english, params, field, message):
    client.force_login(users["county"])

    page = client.get(url("hours"), params)
    export = client.get(url("hours", "_csv"), params)
    workbook = client.get(url("hours", "_xlsx"), params)
    printed = client.get(url("hours", "_print"), params)

    assert page.status_code == 200
    assert page.context["form"].errors == {field: [message]}
    assert page.context["table"] is None
    assert message in page.content.decode()
    assert (export.status_code, export["Content-Type"]) == (400, "text/plain")
    assert export.content.decode() == f"{field}: {message}"
    assert workbook.status_code == 400
    assert printed.status_code == 200


def test_thirty_six_months_are_allowed(client, users, tree):
    client.force_login(users["county"])

    response = client.get(url("hours"), {"month_from": "2023-02", "month_to": "2026-01"})

    assert len(response.context["table"].rows) == 36


def test_unknown_township_is_a_form_error(client, users, tree, english):
    client.force_login(users["county"])

    page = client.get(url("balances"), {"township": "nowhere"})
    export = client.get(url("balances", "_csv"), {"township": "nowhere"})

    assert list(page.context["form"].errors) == ["township"]
    assert export.status_code == 400


# ---------------------------------------------------------------------------- balances


def test_balances_for_the_county(client, users, names, ledger, english):
    client.force_login(users["county"])

    response = client.get(url("balances"))

    table = only_table(response)
    north, south = names["north"], names["south"]
    assert table["thead"] == [
        [
            "Community",
            "Township",
            "Volunteers with an account",
            "Hours deposited",
            "Hours drawn",
            "Adjustments (hours)",
            "Balance (hours)",
            "Accounts below the floor",
            "Accounts at the floor",
        ]
    ]
    assert table["tbody"] == [
        [names["home"], north, "2", "7.5", "6.5", "0", "1", "0", "1"],
        [names["neighbour"], north, "1", "4", "0", "-5", "-1", "1", "0"],
        [names["far"], south, "1", "2.5", "0", "0", "2.5", "0", "0"],
    ]
    assert table["tfoot"] == [
        ["Total", north, "3", "11.5", "6.5", "-5", "0", "1", "1"],
        ["Total", south, "1", "2.5", "0", "0", "2.5", "0", "0"],
        ["Total", "County total", "4", "14", "6.5", "-5", "2.5", "1", "1"],
    ]


def test_balances_for_township_staff_are_figures_without_names(
    client, users, names, ledger, english
):
    client.force_login(users["township"])

    response = client.get(url("balances"))

    table = only_table(response)
    assert [row[0] for row in table["tbody"]] == [names["home"], names["neighbour"]]
    assert table["tfoot"] == [["Total", names["north"], "3", "11.5", "6.5", "-5", "0", "1", "1"]]
    page = response.content.decode()
    for volunteer in ledger.values():
        assert volunteer.name not in page


def test_balances_of_a_clerk(client, users, names, ledger, english):
    client.force_login(users["clerk"])

    table = only_table(client.get(url("balances")))

    assert table["tbody"] == [
        [names["home"], names["north"], "2", "7.5", "6.5", "0", "1", "0", "1"]
    ]
    assert table["tfoot"] == []


def test_balances_follow_the_floor_setting(client, users, names, ledger, english, settings):
    settings.TIME_BANK_FLOOR_HOURS = 1.0
    client.force_login(users["county"])

    response = client.get(url("balances"))

    below_at = [row[-2:] for row in only_table(response)["tbody"]]
    # home: 1 at 1, 0 below; neighbour: -1 below; far: 2.5 above.
    assert below_at == [["1", "1"], ["1", "0"], ["0", "0"]]
    assert "no draw may take a balance: 1 hours" in response.content.decode()


# ---------------------------------------------------------------------------- permissions

PAGE_SUFFIXES = ("", "_print", "_csv", "_xlsx")


@pytest.mark.parametrize("slug", SLUGS)
@pytest.mark.parametrize("suffix", PAGE_SUFFIXES)
@pytest.mark.parametrize(
    ("role", "status"),
    [
        ("county", 200),
        ("township", 200),
        ("other_township", 200),
        ("clerk", 200),
        ("other_clerk", 200),
        ("judge", 403),
        ("no_role", 403),
    ],
)
def test_permission_matrix(client, users, slug, suffix, role, status):
    client.force_login(users[role])

    response = client.get(url(slug, suffix))

    assert response.status_code == status


@pytest.mark.parametrize("role", ["judge", "no_role"])
def test_index_refuses_judges_and_users_without_a_role(client, users, role):
    client.force_login(users[role])

    assert client.get(reverse("services:reports")).status_code == 403


@pytest.mark.parametrize(
    "path",
    [reverse("services:reports")] + [url(s, x) for s in SLUGS for x in PAGE_SUFFIXES],
)
def test_anonymous_is_sent_to_login(client, path):
    response = client.get(path)

    assert response.status_code == 302
    assert response.url == f"{reverse('login')}?next={path}"


def test_reports_refuse_post(client, users):
    client.force_login(users["county"])

    assert client.post(url("coverage")).status_code == 405


# ---------------------------------------------------------------------------- exports


def test_coverage_csv_is_the_table(client, users, names, networks, english):
    client.force_login(users["township"])

    response = client.get(url("coverage", "_csv"))

    home, neighbour, north = names["home"], names["neighbour"], names["north"]
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"] == 'attachment; filename="services-coverage.csv"'
    assert response.content.decode("utf-8") == (
        "\ufeffCommunity,Township,Social assistance (社会救助),Convenience services (便民利民),"
        "Socialised services (社会化服务),Re-employment and social security (再就业和社会保障),"
        "Co-building (共建),Networks established (of 5)\r\n"
        f"{home},{north},✓ 2008-05-01,✓,✗,✗,✗,2\r\n"
        f"{neighbour},{north},✓ 2010-01-01,✗,✗,✗,✗,1\r\n"
        f"Communities with the network (of 2),{north},2,1,0,0,0,3\r\n"
        f"Coverage,{north},100%,50%,0%,0%,0%,30%\r\n"
    )


def test_outlets_csv_has_every_page_and_no_figure_as_empty(client, users, names, outlets, english):
    client.force_login(users["county"])

    response = client.get(url("outlets", "_csv"), {"township": "south"})

    assert response["Content-Disposition"] == 'attachment; filename="services-outlets-south.csv"'
    lines = response.content.decode("utf-8").splitlines()
    assert lines[1:] == [
        f"{names['far']},{names['south']},0,0,0,0,1,1,,",
        f"Total,{names['south']},0,0,0,0,1,1,,",
    ]


def test_hours_csv_is_the_table(client, users, names, ledger, english):
    client.force_login(users["county"])

    response = client.get(url("hours", "_csv"), FIRST_QUARTER)

    assert response["Content-Disposition"] == (
        'attachment; filename="services-hours-202601-202603.csv"'
    )
    assert response.content.decode("utf-8") == (
        f"\ufeffMonth,{names['north']},{names['south']},Total\r\n"
        "2026-01,6,0,6\r\n"
        "2026-02,4.5,0,4.5\r\n"
        "2026-03,0,2.5,2.5\r\n"
        "Whole range: total,10.5,2.5,13\r\n"
    )


def test_balances_csv_is_the_table(client, users, names, ledger, english):
    client.force_login(users["clerk"])

    response = client.get(url("balances", "_csv"))

    assert response.content.decode("utf-8") == (
        "\ufeffCommunity,Township,Volunteers with an account,Hours deposited,Hours drawn,"
        "Adjustments (hours),Balance (hours),Accounts below the floor,Accounts at the floor\r\n"
        f"{names['home']},{names['north']},2,7.5,6.5,0,1,0,1\r\n"
    )


def test_exports_have_every_row_not_only_the_page(client, users, tree, english):
    for n in range(21):
        make_community(township=tree["north"], code=f"extra-{n:02}")
    client.force_login(users["county"])

    response = client.get(url("balances", "_csv"), {"page": 1})

    # Header, 24 communities, north, south and county totals.
    assert len(response.content.decode("utf-8").splitlines()) == 1 + 24 + 3


def test_exports_never_turn_a_name_into_a_formula(client, users, tree, english):
    Community.objects.filter(pk=tree["home"].pk).update(name_en="=HYPERLINK(1)")
    client.force_login(users["clerk"])

    text = client.get(url("outlets", "_csv")).content.decode("utf-8")
    workbook = openpyxl.load_workbook(io.BytesIO(client.get(url("outlets", "_xlsx")).content))

    assert "\r\n'=HYPERLINK(1)," in text
    assert workbook.active["A2"].value == "'=HYPERLINK(1)"


def sheet_rows(response):
    workbook = openpyxl.load_workbook(io.BytesIO(response.content))
    return [list(row) for row in workbook.active.iter_rows(values_only=True)]


def test_coverage_xlsx_is_the_table(client, users, names, networks, english):
    client.force_login(users["county"])

    response = client.get(url("coverage", "_xlsx"))

    north, south, county = names["north"], names["south"], "County total"
    assert response["Content-Type"] == XLSX_TYPE
    assert response["Content-Disposition"] == 'attachment; filename="services-coverage.xlsx"'
    rows = sheet_rows(response)
    assert rows[0][:2] == ["Community", "Township"]
    assert rows[1:] == [
        [names["home"], north, "✓ 2008-05-01", "✓", "✗", "✗", "✗", 2],
        [names["neighbour"], north, "✓ 2010-01-01", "✗", "✗", "✗", "✗", 1],
        [names["far"], south, "✗", "✗", "✗", "✗", "✗", 0],
        ["Communities with the network (of 2)", north, 2, 1, 0, 0, 0, 3],
        ["Coverage", north, 1, 0.5, 0, 0, 0, pytest.approx(0.3)],
        ["Communities with the network (of 1)", south, 0, 0, 0, 0, 0, 0],
        ["Coverage", south, 0, 0, 0, 0, 0, 0],
        ["Communities with the network (of 3)", county, 2, 1, 0, 0, 0, 3],
        ["Coverage", county, pytest.approx(2 / 3), pytest.approx(1 / 3), 0, 0, 0, 0.2],
    ]
    sheet = openpyxl.load_workbook(io.BytesIO(response.content)).active
    assert (sheet["C5"].number_format, sheet["C6"].number_format) == ("General", "0%")


def test_outlets_xlsx_is_the_table(client, users, names, outlets, english):
    client.force_login(users["township"])

    rows = sheet_rows(client.get(url("outlets", "_xlsx")))

    north = names["north"]
    assert rows[1:] == [
        [names["home"], north, 2, 1, 0, 0, 0, 3, 3000, 1],
        [names["neighbour"], north, 0, 0, 0, 1, 0, 1, 2000, 0.5],
        ["Total", north, 2, 1, 0, 1, 0, 4, 5000, 0.8],
    ]


def test_hours_xlsx_is_the_table(client, users, names, ledger, english):
    client.force_login(users["township"])

    response = client.get(url("hours", "_xlsx"), FIRST_QUARTER)

    assert sheet_rows(response) == [
        ["Month", names["home"], names["neighbour"], "Total"],
        ["2026-01", 2, 4, 6],
        ["2026-02", 4.5, 0, 4.5],
        ["2026-03", 0, 0, 0],
        ["Whole range: total", 6.5, 4, 10.5],
    ]


def test_balances_xlsx_is_the_table(client, users, names, ledger, english):
    client.force_login(users["county"])

    rows = sheet_rows(client.get(url("balances", "_xlsx")))

    assert rows[1:] == [
        [names["home"], names["north"], 2, 7.5, 6.5, 0, 1, 0, 1],
        [names["neighbour"], names["north"], 1, 4, 0, -5, -1, 1, 0],
        [names["far"], names["south"], 1, 2.5, 0, 0, 2.5, 0, 0],
        ["Total", names["north"], 3, 11.5, 6.5, -5, 0, 1, 1],
        ["Total", names["south"], 1, 2.5, 0, 0, 2.5, 0, 0],
        ["Total", "County total", 4, 14, 6.5, -5, 2.5, 1, 1],
    ]


def test_print_view_has_every_row_and_no_navigation(client, users, tree, networks, english):
    for n in range(21):
        make_community(township=tree["north"], code=f"extra-{n:02}")
    client.force_login(users["county"])

    response = client.get(url("coverage", "_print"))

    page = response.content.decode()
    assert len(only_table(response)["tbody"]) == 24
    assert 'class="site-nav' not in page
    assert 'class="tabs' not in page
    assert "Back to the report" in page
    assert "<script" not in page
    assert "style=" not in page


def test_page_links_the_print_view_and_exports_with_the_filter(client, users, networks, english):
    client.force_login(users["county"])

    page = client.get(url("coverage"), {"township": "north", "page": "1"}).content.decode()

    assert 'href="/services/reports/coverage/print/?township=north"' in page
    assert 'href="/services/reports/coverage.csv?township=north"' in page
    assert 'href="/services/reports/coverage.xlsx?township=north"' in page
    assert 'aria-current="page">Service-network coverage</a>' in page


# ---------------------------------------------------------------------------- queries


def _grow(tree, users, count, start):
    """`count` more volunteers, each with a service record and an outlet, spread over the
    three communities and two months."""
    communities = [tree["home"], tree["neighbour"], tree["far"]]
    for n in range(start, start + count):
        community = communities[n % 3]
        volunteer = make_volunteer(community=community, is_sample=n % 2 == 0)
        serve(volunteer, "1.5", datetime.date(2026, 1 + n % 2, 1 + n % 28), users["county"])
        if n % 4 == 0:
            time_bank_draw(
                volunteer=volunteer, hours=D(1), on=datetime.date(2026, 3, 1), by=users["county"]
            )
        ServiceOutlet.objects.create(community=community, kind="other", name=f"outlet-{n}")
        ServiceNetwork.objects.get_or_create(
            community=community,
            kind=list(ServiceNetwork.Kind)[n % 5],
            defaults={"established": True},
        )


def _count_queries(client, path, params):
    with CaptureQueriesContext(connection) as queries:
        response = client.get(path, params)
    assert response.status_code == 200
    return len(queries)


@pytest.mark.parametrize("slug", SLUGS)
@pytest.mark.parametrize("suffix", ["", "_csv", "_xlsx", "_print"])
@pytest.mark.parametrize("role", ["county", "township"])
def test_queries_do_not_grow_with_the_data(client, users, tree, slug, suffix, role):
    client.force_login(users[role])
    params = FIRST_QUARTER if slug == "hours" else {}
    _grow(tree, users, 3, 0)
    few = _count_queries(client, url(slug, suffix), params)

    _grow(tree, users, 27, 3)
    many = _count_queries(client, url(slug, suffix), params)

    assert few == many


def test_county_report_queries(client, users, tree, django_assert_num_queries):
    """Session, user, scope, the communities with their networks, the filter's townships,
    and the navigation's."""
    _grow(tree, users, 3, 0)
    client.force_login(users["county"])

    with django_assert_num_queries(5 + NAV_QUERIES[Role.COUNTY]):
        client.get(url("coverage"))
