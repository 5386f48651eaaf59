"""Exports of monthly returns: CSV (streamed) and .xlsx, exactly the filtered selection."""

import csv
import datetime
import io
from decimal import Decimal

import openpyxl
import pytest
from django.conf import settings
from django.urls import reverse
from django.utils import timezone

from chunan_community.months import add_months, month_start
from communities.models import MonthlyReturn
from communities.returns import domain
from communities.returns import excel as returns_excel
from tests.factories import make_community, make_indicator

# The moment this module's dates are built for: each test keeps it, should the run cross
# midnight or a month's end (`.ci/run` moves the clock of a run to such days).
NOW = timezone.localtime()
pytestmark = [pytest.mark.django_db, pytest.mark.time_machine(NOW, tick=False)]

TODAY = NOW.date()
PERIOD = add_months(month_start(TODAY), -1)
EARLIER = add_months(PERIOD, -1)
MONTH, EARLIER_MONTH = f"{PERIOD:%Y-%m}", f"{EARLIER:%Y-%m}"
CSV_URL, XLSX_URL = reverse("returns:export_csv"), reverse("returns:export_xlsx")
HEADER = [
    "Community code",
    "Community",
    "Township",
    "Month",
    "Status",
    "Late",
    "Sample data",
    "Households（户）",
    "Co-building funds（元）",
]


@pytest.fixture
def en(client):
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    return client


@pytest.fixture
def indicators(db):
    return {
        "households": make_indicator(code="households", name_en="Households", unit="户"),
        "funds": make_indicator(
            code="funds", name_en="Co-building funds", unit="元", value_type="decimal"
        ),
    }


def save(community, indicators, period, *, by, submit=False, today=None, **values):
    draft = domain.return_save(
        community=community,
        period=period,
        values={indicators[code].pk: Decimal(value) for code, value in values.items()},
        version=0,
        by=by,
    )
    if submit:
        domain.return_save(
            community=community,
            period=period,
            values={},
            version=draft.version,
            by=by,
            submit=True,
            today=today,
        )


@pytest.fixture
def returns(tree, users, indicators):
    """home: two months (the earlier submitted late); neighbour: submitted; far: a draft."""
    county = users["county"]
    late = add_months(PERIOD, 1) + datetime.timedelta(days=20)
    save(tree["home"], indicators, EARLIER, by=county, households=100, submit=True, today=late)
    save(tree["home"], indicators, PERIOD, by=county, households=101, funds="12.5")
    in_time = add_months(PERIOD, 1)
    save(
        tree["neighbour"], indicators, PERIOD, by=county, households=50, submit=True, today=in_time
    )
    save(tree["far"], indicators, PERIOD, by=county, funds="3")
    MonthlyReturn.objects.filter(community=tree["far"]).update(is_sample=True)
    return tree


def rows_of(tree):
    home, neighbour, far = (tree[k] for k in ("home", "neighbour", "far"))
    north, south = tree["north"].name_en, tree["south"].name_en
    return {
        ("home", EARLIER_MONTH): [
            "home", home.name_en, north, EARLIER_MONTH, "Submitted", "Yes", "No", "100", ""
        ],
        ("home", MONTH): ["home", home.name_en, north, MONTH, "Draft", "No", "No", "101", "12.50"],
        ("neighbour", MONTH): [
            "neighbour", neighbour.name_en, north, MONTH, "Submitted", "No", "No", "50", ""
        ],
        ("far", MONTH): ["far", far.name_en, south, MONTH, "Draft", "No", "Yes", "", "3.00"],
    }  # fmt: skip


def read_csv(response):
    content = b"".join(response.streaming_content)
    assert content.startswith(b"\xef\xbb\xbf")
    return list(csv.reader(io.StringIO(content.decode("utf-8-sig"))))


def read_xlsx(response):
    workbook = openpyxl.load_workbook(io.BytesIO(b"".join(response.streaming_content)))
    return [list(row) for row in workbook["returns"].iter_rows(values_only=True)]


def as_user(client, user):
    client.force_login(user)
    return client


# ---------- CSV ----------


def test_csv_export_streams_every_return_of_the_county(en, returns, users):
    response = as_user(en, users["county"]).get(CSV_URL)

    expected = rows_of(returns)
    assert response.streaming is True
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"] == (
        f'attachment; filename="monthly-returns-{TODAY:%Y%m%d}.csv"'
    )
    assert read_csv(response) == [
        HEADER,
        expected["home", EARLIER_MONTH],
        expected["home", MONTH],
        expected["neighbour", MONTH],
        expected["far", MONTH],
    ]


@pytest.mark.parametrize(
    ("role", "filters", "keys"),
    [
        ("clerk", {}, [("home", EARLIER_MONTH), ("home", MONTH)]),
        ("township", {}, [("home", EARLIER_MONTH), ("home", MONTH), ("neighbour", MONTH)]),
        ("other_township", {}, [("far", MONTH)]),
        ("county", {"month_from": MONTH}, [("home", MONTH), ("neighbour", MONTH), ("far", MONTH)]),
        ("county", {"month_to": EARLIER_MONTH}, [("home", EARLIER_MONTH)]),
        ("county", {"month_from": MONTH, "month_to": MONTH, "township": "south"}, [("far", MONTH)]),
        ("county", {"community": "home", "status": "draft"}, [("home", MONTH)]),
        ("county", {"status": "submitted"}, [("home", EARLIER_MONTH), ("neighbour", MONTH)]),
        ("township", {"status": "draft"}, [("home", MONTH)]),
        ("county", {"status": "accepted"}, []),
    ],
)
def test_csv_export_holds_exactly_the_filter_and_scope(en, returns, users, role, filters, keys):
    response = as_user(en, users[role]).get(CSV_URL, filters)

    expected = rows_of(returns)
    assert read_csv(response) == [HEADER] + [expected[key] for key in keys]


def test_csv_export_defuses_formulas_in_names(en, tree, users, indicators):
    community = make_community(township=tree["north"], code="evil", name="=HYPERLINK(1)")
    community.name_en = "+cmd"
    community.save()
    save(community, indicators, PERIOD, by=users["county"], households=1)

    rows = read_csv(as_user(en, users["county"]).get(CSV_URL))

    assert rows[1][:3] == ["evil", "'+cmd", tree["north"].name_en]


def test_csv_export_names_are_chinese_by_default(client, returns, users):
    rows = read_csv(as_user(client, users["clerk"]).get(CSV_URL, {"month_from": MONTH}))

    assert [row[:4] for row in rows[1:]] == [
        ["home", returns["home"].name, returns["north"].name, MONTH]
    ]


# ---------- XLSX ----------


def test_xlsx_export_holds_exactly_the_filter_and_scope(en, returns, users):
    response = as_user(en, users["township"]).get(XLSX_URL, {"month_from": MONTH})

    home, neighbour = returns["home"], returns["neighbour"]
    north = returns["north"].name_en
    assert response["Content-Disposition"] == (
        f'attachment; filename="monthly-returns-{TODAY:%Y%m%d}.xlsx"'
    )
    assert read_xlsx(response) == [
        HEADER,
        ["home", home.name_en, north, MONTH, "Draft", "No", "No", 101, 12.5],
        ["neighbour", neighbour.name_en, north, MONTH, "Submitted", "No", "No", 50, None],
    ]


# ---------- Bad filters: 400, never 500 ----------


@pytest.mark.parametrize(
    ("role", "filters", "message"),
    [
        ("county", {"month_from": "2026-13"}, "Enter a month as YYYY-MM"),
        ("county", {"month_to": "yesterday"}, "Enter a month as YYYY-MM"),
        (
            "county",
            {"month_from": MONTH, "month_to": EARLIER_MONTH},
            "The last month comes before the first.",
        ),
        ("county", {"status": "lost"}, "Select a valid choice."),
        ("county", {"township": "nowhere"}, "Select a valid choice."),
        ("township", {"township": "south"}, "Select a valid choice."),
        ("clerk", {"community": "far"}, "Select a valid choice."),
    ],
)
@pytest.mark.parametrize("url", [CSV_URL, XLSX_URL])
def test_bad_filter_is_400_with_a_message(en, returns, users, role, filters, message, url):
    response = as_user(en, users[role]).get(url, filters)

    assert response.status_code == 400
    assert response.templates[0].name == "returns/io_invalid.html"
    assert message in response.content.decode()


# ---------- Queries ----------


def _county_returns(count, indicators, users):
    for _ in range(count):
        save(make_community(), indicators, PERIOD, by=users["county"], households=1, funds="2")


@pytest.mark.parametrize("count", [3, 30])
def test_csv_export_queries_do_not_grow_with_the_returns(
    en, users, indicators, count, django_assert_num_queries
):
    _county_returns(count, indicators, users)
    client = as_user(en, users["county"])

    # session, user, scope, the community picker's scope (at most SELECT_MAX + 1 rows),
    # indicators, returns (one cursor), values (one chunk)
    with django_assert_num_queries(7):
        rows = read_csv(client.get(CSV_URL))

    assert len(rows) == count + 1


def test_csv_export_reads_values_one_chunk_at_a_time(
    en, users, indicators, monkeypatch, django_assert_num_queries
):
    _county_returns(5, indicators, users)
    monkeypatch.setattr(returns_excel, "EXPORT_CHUNK", 2)
    client = as_user(en, users["county"])

    # five returns in chunks of two: three queries for their values
    with django_assert_num_queries(9):
        rows = read_csv(client.get(CSV_URL))

    assert [row[-2:] for row in rows[1:]] == [["1", "2.00"]] * 5


# ---------- Who may export ----------


@pytest.mark.parametrize("url", [CSV_URL, XLSX_URL])
def test_anonymous_user_is_sent_to_login(client, url):
    response = client.get(url)

    assert (response.status_code, response.url) == (302, f"/accounts/login/?next={url}")


@pytest.mark.parametrize("role", ["judge", "no_role"])
@pytest.mark.parametrize("url", [CSV_URL, XLSX_URL])
def test_user_without_staff_role_gets_403(en, users, role, url):
    response = as_user(en, users[role]).get(url)

    assert response.status_code == 403
