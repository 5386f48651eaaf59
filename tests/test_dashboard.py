"""The county dashboard: exact figures on a small tree, who may open it, township scope, a
fixed number of queries, and links to the lists behind the figures."""

import datetime
import re
from decimal import Decimal

import pytest
import time_machine
from django.conf import settings
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from communities.models import (
    Community,
    Facility,
    Indicator,
    ReturnStatus,
    ReturnValue,
    Role,
)
from communities.returns.reports import (
    Counted,
    Level,
    area_sums,
    community_rows,
    completeness_communities,
    completeness_rates,
    returns_in_window,
)
from portal.dashboard import dashboard, latest_due_month
from ratings.models import Rating, Round, RoundStatus, Tier
from services.models import ServiceNetwork, ServiceRecord
from tests.factories import (
    make_body,
    make_community,
    make_indicator,
    make_return,
    make_term,
    make_township,
    make_user,
    make_volunteer,
)
from tests.html import tables
from tests.queries import NAV_QUERIES

pytestmark = pytest.mark.django_db

D = Decimal
TODAY = datetime.date(2026, 11, 25)  # the latest due month is 2026-10 (due 2026-11-10)
MONTH = datetime.date(2026, 10, 1)
URL = "/manage/dashboard/"


@pytest.fixture
def english(client):
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    return client


def make_round(year, status=RoundStatus.FINAL):
    return Round.objects.create(code=str(year), year=year, name=f"{year}年度评定", status=status)


def rate(community, round_, tier, stars=None, **kwargs):
    return Rating.objects.create(
        round=round_,
        community=community,
        tier=tier,
        stars=stars,
        valid_until=datetime.date(round_.year + 2, 12, 31),
        **kwargs,
    )


def funds(monthly_return, indicator, value):
    ReturnValue.objects.create(monthly_return=monthly_return, indicator=indicator, value=value)


def record(volunteer, served_on, hours, by):
    ServiceRecord.objects.create(
        volunteer=volunteer, served_on=served_on, hours=D(hours), activity="探访", recorded_by=by
    )


def network(community, kind, established=True):
    ServiceNetwork.objects.create(community=community, kind=kind, established=established)


@pytest.fixture
def figures(tree, users):
    """A small county whose every figure is known (see each block). Dates are set for TODAY:
    the latest due month is 2026-10, last month 2026-10, the year 2026."""
    north, south = tree["north"], tree["south"]
    home, neighbour, far = tree["home"], tree["neighbour"], tree["far"]
    # Not expected for 2026-10: founded next year. Merged: counted nowhere.
    young = make_community(township=south, code="young", founded_year=2027)
    merged = make_community(township=north, code="merged", status=Community.Status.MERGED)

    # Space standard (20 m² per 100 households): home short of 50 m², far of 100 m².
    Community.objects.filter(pk=home.pk).update(premises_area_m2=D("150.0"))
    Community.objects.filter(pk=far.pk).update(households=2000, premises_area_m2=D("300.0"))
    Community.objects.filter(pk=merged.pk).update(premises_area_m2=D(0))

    # Returns of 2026-10: home on time, neighbour late, far a draft, young none;
    # the merged community's is not counted.
    funds_indicator = make_indicator(
        code="cobuilding_funds", unit="元", value_type="decimal", maximum=None
    )
    submitted = ReturnStatus.SUBMITTED
    home_oct = make_return(community=home, period=MONTH, status=submitted)
    neighbour_oct = make_return(
        community=neighbour, period=MONTH, status=ReturnStatus.APPROVED, is_late=True
    )
    far_oct = make_return(community=far, period=MONTH, status=ReturnStatus.DRAFT)
    merged_oct = make_return(community=merged, period=MONTH, status=submitted)
    home_march = make_return(
        community=home, period=datetime.date(2026, 3, 1), status=ReturnStatus.ACCEPTED
    )
    home_last_year = make_return(
        community=home, period=datetime.date(2025, 12, 1), status=ReturnStatus.ACCEPTED
    )
    make_return(community=neighbour, period=datetime.date(2026, 9, 1), status=submitted)
    # Co-building funds of 2026 from submitted returns: north 1,000 + 500.5 + 200 + 30.
    funds(home_oct, funds_indicator, D("1000"))
    funds(neighbour_oct, funds_indicator, D("500.5"))
    funds(home_march, funds_indicator, D("200"))
    funds(far_oct, funds_indicator, D("999"))  # a draft
    funds(home_last_year, funds_indicator, D("7777"))  # 2025
    funds(merged_oct, funds_indicator, D("30"))  # a merged community's return still counts

    # Ratings of the latest confirmed round (2025): home garden, neighbour two stars,
    # far normative, young's revoked. The older round and the round under notice are not used.
    old, latest, notice = make_round(2024), make_round(2025), make_round(2026, RoundStatus.NOTICE)
    rate(home, old, Tier.NORMATIVE)
    rate(far, old, Tier.GARDEN)
    rate(home, latest, Tier.GARDEN)
    rate(neighbour, latest, Tier.STAR, stars=2)
    rate(far, latest, Tier.NORMATIVE)
    rate(
        young,
        latest,
        Tier.NORMATIVE,
        revoked_on=datetime.date(2026, 5, 1),
        revoked_reason="不再符合规范社区标准",
    )
    rate(far, notice, Tier.STAR, stars=5)

    # Terms: home's ends in 30 days, neighbour's ended 10 days ago, far's in 200 days.
    for community, days in ((home, 30), (neighbour, -10), (far, 200), (merged, 5)):
        ends = TODAY + datetime.timedelta(days=days)
        make_term(
            body=make_body(community=community),
            starts_on=ends.replace(year=ends.year - 5),
            ends_on=ends,
        )

    # Networks: home all five, neighbour one (and one not established), far none.
    for kind in ServiceNetwork.Kind:
        network(home, kind)
    network(neighbour, ServiceNetwork.Kind.SOCIAL_ASSISTANCE)
    network(neighbour, ServiceNetwork.Kind.CONVENIENCE, established=False)
    network(merged, ServiceNetwork.Kind.CONVENIENCE)

    # Volunteer hours: north 3.5 in October and 6.5 + 1 in 2026; south 1.25.
    by = users["clerk"]
    at_home, at_far = make_volunteer(community=home), make_volunteer(community=far)
    record(at_home, datetime.date(2026, 10, 5), "3.5", by)
    record(at_home, datetime.date(2026, 3, 1), "2", by)
    record(at_home, datetime.date(2025, 12, 31), "4", by)
    record(make_volunteer(community=neighbour), datetime.date(2026, 11, 2), "1", by)
    record(at_far, datetime.date(2026, 10, 31), "1.25", by)
    record(make_volunteer(community=merged), datetime.date(2026, 10, 10), "10", by)
    return {"north": north, "south": south, "young": young, "latest": latest}


# ---------------------------------------------------------------------------- figures


def test_latest_due_month_waits_for_the_due_date():
    assert latest_due_month(datetime.date(2026, 11, 10)) == datetime.date(2026, 9, 1)
    assert latest_due_month(datetime.date(2026, 11, 11)) == datetime.date(2026, 10, 1)
    assert latest_due_month(datetime.date(2027, 1, 5)) == datetime.date(2026, 11, 1)


def test_dashboard_figures_for_the_county_are_exact(figures, users):
    board = dashboard(users["county"], today=TODAY)

    assert (board.month, board.last_month, board.year_start) == (
        MONTH,
        MONTH,
        datetime.date(2026, 1, 1),
    )
    assert board.round == figures["latest"]
    assert [row.township.code for row in board.rows] == ["north", "south"]
    north, south, total = *board.rows, board.total
    assert (north.communities, south.communities, total.communities) == (2, 2, 4)
    assert total.tiers == {Tier.NORMATIVE: 1, Tier.STAR: 1, Tier.GARDEN: 1}
    assert (north.unrated, south.unrated, total.unrated) == (0, 1, 1)
    assert total.lowest_stars == 2
    assert ((north.reporting.done, north.reporting.of), (north.on_time.done, north.on_time.of)) == (
        (2, 2),
        (1, 2),
    )
    assert ((south.reporting.done, south.reporting.of), south.on_time.of) == ((0, 1), 0)
    assert (total.reporting.percent, total.on_time.percent) == (67, 50)
    assert (north.below_standard, south.below_standard, total.below_standard) == (1, 1, 2)
    assert (north.shortfall_m2, south.shortfall_m2, total.shortfall_m2) == (50, 100, 150)
    assert (north.terms_due, north.terms_overdue, south.terms_due) == (2, 1, 0)
    assert (total.terms_due, total.terms_overdue) == (2, 1)
    assert sum(north.networks.values()) == 6
    assert (north.coverage.percent, south.coverage.percent, total.coverage.percent) == (60, 0, 30)
    assert [(kind, count) for kind, count, _share in total.network_shares] == [
        (kind, 2 if kind == ServiceNetwork.Kind.SOCIAL_ASSISTANCE else 1)
        for kind in ServiceNetwork.Kind
    ]
    assert (north.hours_last_month, north.hours_year) == (D("3.5"), D("6.5"))
    assert (south.hours_last_month, south.hours_year) == (D("1.25"), D("1.25"))
    assert (total.hours_last_month, total.hours_year) == (D("4.75"), D("7.75"))
    # The merged community's 30 count too, as in the aggregates report (every return).
    assert (north.funds_year, south.funds_year, total.funds_year) == (
        D("1730.5"),
        None,
        D("1730.5"),
    )


def test_dashboard_rates_are_the_completeness_grids(figures, users):
    """The same communities, the same rule: each township's rates for the month equal the
    completeness report's, which counts in Python from the returns."""
    user = users["county"]
    scope = completeness_communities(user)
    found, _sample = returns_in_window(scope, MONTH, MONTH)
    grid = completeness_rates(community_rows(scope), [MONTH], found, TODAY)

    board = dashboard(user, today=TODAY)

    for row in [*board.rows, board.total]:
        expected = grid[row.township.pk if row.township else None].months[MONTH]
        assert (row.reporting, row.on_time) == (expected.reporting, expected.on_time)


def test_dashboard_funds_are_the_aggregates_reports(figures, users):
    """The year's co-building funds per township, as the aggregates report sums them."""
    user = users["county"]
    indicator = Indicator.objects.get(code="cobuilding_funds")
    report, _sample = area_sums(
        user=user,
        indicator=indicator,
        statuses=Counted.STATUSES[Counted.SUBMITTED],
        first=datetime.date(2026, 1, 1),
        last=datetime.date(2026, 11, 1),
        grain=None,
        level=Level.TOWNSHIP,
        stock=False,
    )

    board = dashboard(user, today=TODAY)

    assert {row.township.pk: row.funds_year for row in board.rows if row.funds_year} == {
        township_id: total for (_bucket, township_id), total in report.items()
    }


def test_dashboard_without_a_round_or_funds_indicator(tree, users):
    board = dashboard(users["county"], today=TODAY)

    assert board.round is None
    assert board.funds_indicator is None
    assert board.total.tiers == {Tier.NORMATIVE: 0, Tier.STAR: 0, Tier.GARDEN: 0}
    assert board.total.unrated == 3
    assert board.total.funds_year is None


def test_dashboard_for_township_staff_counts_their_township_only(figures, users):
    board = dashboard(users["other_township"], today=TODAY)

    assert [row.township.code for row in board.rows] == ["south"]
    total = board.total
    assert (total.communities, total.unrated, total.below_standard) == (2, 1, 1)
    assert (total.reporting.done, total.reporting.of) == (0, 1)
    assert (total.hours_last_month, total.funds_year) == (D("1.25"), None)


# ---------------------------------------------------------------------------- access


@pytest.mark.parametrize(
    ("who", "status", "location"),
    [
        ("county", 200, None),
        ("township", 200, None),
        ("other_township", 200, None),
        ("clerk", 302, "/manage/communities/home/"),
        ("other_clerk", 302, "/manage/communities/far/"),
        ("judge", 403, None),
        ("no_role", 403, None),
    ],
)
def test_dashboard_access(client, users, who, status, location):
    client.force_login(users[who])

    response = client.get(URL)

    assert response.status_code == status
    assert response.get("Location") == location


def test_dashboard_sends_anonymous_users_to_log_in(client, tree):
    response = client.get(URL)

    assert response.status_code == 302
    assert response["Location"] == f"{reverse('login')}?next={URL}"


def test_dashboard_is_named_and_refuses_post(client, users):
    client.force_login(users["county"])

    assert reverse("portal:dashboard") == URL
    assert client.post(URL).status_code == 405


@pytest.mark.parametrize(
    ("who", "shown"),
    [("county", True), ("township", True), ("clerk", False), ("judge", False)],
)
def test_nav_links_the_dashboard_for_county_and_township_staff(client, users, who, shown):
    client.force_login(users[who])

    response = client.get(reverse("communities:directory"))

    assert (f'href="{URL}"' in response.content.decode()) is shown


# ---------------------------------------------------------------------------- the page


def figure(content, figure_id):
    """(href or None, value) of the figure with this id."""
    match = re.search(
        rf'<(a|span) class="dash-figure__body"(?: href="([^"]*)")? id="{figure_id}">\s*'
        r'<span class="dash-figure__value">([^<]*)</span>',
        content,
    )
    assert match, figure_id
    return (match[2].replace("&amp;", "&") if match[2] else None), match[3]


@pytest.fixture
def month_figures(tree, users):
    """Returns and a term for the real today's latest due month: the page uses the real date."""
    today = timezone.localdate()
    month = latest_due_month(today)
    make_return(community=tree["home"], period=month, status=ReturnStatus.SUBMITTED)
    make_return(community=tree["far"], period=month, status=ReturnStatus.SUBMITTED, is_late=True)
    make_term(
        body=make_body(community=tree["far"]),
        starts_on=today - datetime.timedelta(days=1000),
        ends_on=today + datetime.timedelta(days=20),
    )
    Community.objects.filter(pk=tree["far"].pk).update(premises_area_m2=D("150.0"))
    make_indicator(code="cobuilding_funds", unit="元", value_type="decimal", maximum=None)
    round_ = make_round(2025)
    rate(tree["home"], round_, Tier.STAR, stars=3)
    rate(tree["far"], round_, Tier.NORMATIVE)
    return {"today": today, "month": month, "round": round_}


def test_dashboard_page_shows_the_figures_with_links(english, users, month_figures):
    english.force_login(users["county"])
    today, month = month_figures["today"], f"{month_figures['month']:%Y-%m}"
    this_month, year = f"{today:%Y-%m}", today.year
    last_month = f"{(today.replace(day=1) - datetime.timedelta(days=1)):%Y-%m}"

    content = english.get(URL).content.decode()

    assert figure(content, "reporting-rate") == (
        f"/returns/completeness/?month_from={month}&month_to={month}",
        "67%",
    )
    assert figure(content, "on-time-rate")[1] == "50%"
    assert figure(content, "below-standard") == ("/manage/space-standard/", "1")
    assert figure(content, "shortfall") == ("/manage/space-standard/", "50")
    assert figure(content, "terms-due") == ("/manage/terms-due/?days=90", "1")
    assert figure(content, "tier-star") == ("/ratings/2025/#category-star-3", "1")
    assert figure(content, "tier-normative") == ("/ratings/2025/#category-normative", "1")
    assert figure(content, "tier-garden") == (None, "0")  # no garden list to open
    assert figure(content, "tier-unrated") == (None, "1")
    assert figure(content, "network-coverage") == ("/services/reports/coverage/", "0%")
    assert figure(content, "hours-last-month") == (
        f"/services/reports/hours/?month_from={last_month}&month_to={last_month}",
        "0",
    )
    assert figure(content, "hours-year") == (
        f"/services/reports/hours/?month_from={year}-01&month_to={this_month}",
        "0",
    )
    assert figure(content, "funds-year") == (
        "/returns/aggregates/?indicator=cobuilding_funds&level=township&grain=year"
        f"&month_from={year}-01&month_to={this_month}&counted=submitted",
        "0",
    )
    assert "The county: " in content
    assert 'rel="stylesheet" href="/static/css/dashboard.css"' in content


def test_dashboard_township_table_links_each_row_to_its_township(
    english, tree, users, month_figures
):
    english.force_login(users["county"])
    today, month = month_figures["today"], f"{month_figures['month']:%Y-%m}"
    this_month, year = f"{today:%Y-%m}", today.year
    last_month = f"{(today.replace(day=1) - datetime.timedelta(days=1)):%Y-%m}"

    response = english.get(URL)

    table = tables(response)[0]
    assert table["thead"][0][:6] == [
        "Township",
        "Communities",
        "Normative community",
        "Star community",
        "Garden community",
        "Not rated",
    ]
    assert [row[:8] for row in table["tbody"]] == [
        [tree["north"].name_en, "2", "0", "1", "0", "1", "50%", "100%"],
        [tree["south"].name_en, "1", "1", "0", "0", "0", "100%", "0%"],
    ]
    assert table["tfoot"][0][:8] == ["County total", "3", "1", "1", "0", "1", "67%", "50%"]
    content = response.content.decode().replace("&amp;", "&")
    south = re.search(r'<tr data-township="south">(.*?)</tr>', content, re.S)[1]
    completeness = f"/returns/completeness/?month_from={month}&month_to={month}&township=south"
    assert re.findall(r'href="([^"]*)"', south) == [
        "/manage/?township=south",
        completeness,
        completeness,
        "/manage/space-standard/?township=south",
        "/manage/space-standard/?township=south",
        "/manage/terms-due/?days=90&township=south",
        "/services/reports/coverage/?township=south",
        f"/services/reports/hours/?month_from={last_month}&month_to={last_month}&township=south",
        f"/services/reports/hours/?month_from={year}-01&month_to={this_month}&township=south",
        "/returns/aggregates/?indicator=cobuilding_funds&level=community&grain=year"
        f"&month_from={year}-01&month_to={this_month}&counted=submitted&township=south",
    ]


def test_dashboard_links_open_lists_showing_the_same_figures(english, users, month_figures):
    english.force_login(users["county"])
    content = english.get(URL).content.decode()

    shortfall_url, shortfall = figure(content, "shortfall")
    terms_url, terms = figure(content, "terms-due")
    space_page = english.get(shortfall_url).content.decode()
    terms_page = english.get(terms_url)

    assert re.search(r'id="total-shortfall"><strong>([^<]*)<', space_page)[1] == shortfall
    assert terms_page.context["page"].paginator.count == int(terms)
    for figure_id in ("reporting-rate", "network-coverage", "hours-year", "funds-year"):
        assert english.get(figure(content, figure_id)[0]).status_code == 200


def test_dashboard_for_township_staff_shows_their_township_without_a_table(
    english, tree, users, month_figures
):
    english.force_login(users["township"])

    response = english.get(URL)

    content = response.content.decode()
    assert tables(response) == []
    assert f"{tree['north'].name_en}: " in content
    assert figure(content, "reporting-rate")[1] == "50%"
    assert figure(content, "tier-star") == ("/ratings/2025/#category-star-3", "1")
    assert figure(content, "funds-year")[0].split("&")[1] == "level=total"
    assert "township=" not in figure(content, "reporting-rate")[0]


def test_dashboard_for_a_township_without_communities(english):
    empty = make_township(code="empty")
    english.force_login(make_user(Role.TOWNSHIP, township=empty))

    response = english.get(URL)

    content = response.content.decode()
    assert response.status_code == 200
    assert f"{empty.name_en}: " in content
    assert figure(content, "reporting-rate")[1] == "—"
    assert figure(content, "network-coverage")[1] == "—"


def test_dashboard_figures_are_plain_links_in_reading_order(english, users, month_figures):
    """Every linked figure is an <a href>, reached with Tab in the order read; none is
    taken out of the tab order."""
    english.force_login(users["county"])

    content = english.get(URL).content.decode()

    ids = re.findall(r'<a class="dash-figure__body" href="[^"]+" id="([^"]+)"', content)
    assert ids == [
        "tier-normative",
        "tier-star",
        "reporting-rate",
        "on-time-rate",
        "below-standard",
        "shortfall",
        "terms-due",
        "network-coverage",
        *[f"network-{kind}" for kind in ServiceNetwork.Kind],
        "hours-last-month",
        "hours-year",
        "funds-year",
    ]
    assert 'tabindex="-1"' not in content.split('class="dash-grid"')[1]


# ---------------------------------------------------------------------------- queries


def populate(count, townships):
    """`count` communities spread over `townships`, each with a return of the due month (and
    its funds), a rating, a term due, two networks, a facility and a volunteer with two
    records."""
    today = timezone.localdate()
    month = latest_due_month(today)
    indicator = Indicator.objects.filter(code="cobuilding_funds").first() or make_indicator(
        code="cobuilding_funds", unit="元", value_type="decimal", maximum=None
    )
    round_ = Round.objects.filter(code="2025").first() or make_round(2025)
    by = make_user(None)
    for n in range(count):
        community = make_community(township=townships[n % len(townships)], premises_area_m2=D(n))
        monthly = make_return(community=community, period=month, status=ReturnStatus.SUBMITTED)
        funds(monthly, indicator, D(n))
        rate(community, round_, Tier.STAR, stars=1 + n % 5)
        make_term(
            body=make_body(community=community),
            starts_on=today - datetime.timedelta(days=1000),
            ends_on=today + datetime.timedelta(days=n % 120),
        )
        network(community, ServiceNetwork.Kind.SOCIAL_ASSISTANCE)
        network(community, ServiceNetwork.Kind.CONVENIENCE)
        volunteer = make_volunteer(community=community)
        record(volunteer, today.replace(day=1), "2", by)
        record(volunteer, today.replace(month=1, day=1), "1.5", by)
        Facility.objects.create(community=community, kind="party_room", present=True)


def count_queries(client, user):
    client.force_login(user)
    client.get(URL)  # the session's first read out of the way
    with CaptureQueriesContext(connection) as queries:
        response = client.get(URL)
    assert response.status_code == 200
    return len(queries)


@pytest.mark.parametrize("role", [Role.COUNTY, Role.TOWNSHIP])
def test_dashboard_queries_do_not_grow_with_the_data(client, role):
    townships = [make_township() for _ in range(3)]
    user = make_user(role, township=townships[0] if role == Role.TOWNSHIP else None)
    populate(3, townships)
    small = count_queries(client, user)

    populate(27, [*townships, make_township(), make_township()])
    large = count_queries(client, user)

    # session, user, scope; round, communities, townships, terms, networks, hours,
    # funds indicator, funds; and the navigation's
    assert small == large == 11 + NAV_QUERIES[role]


# ---------------------------------------------------------------------------- one definition


@time_machine.travel(datetime.datetime(2026, 11, 25, 10, tzinfo=datetime.UTC), tick=False)
def test_volunteer_hours_recorded_and_reported_each_say_what_they_count(english, tree, users):
    """The dashboard and the hours report count service recorded; the aggregates count the
    clerks' figures: the two differ, so each page says what it counts and labels differ."""
    hours = make_indicator(code="volunteer_hours", unit="小时", value_type="decimal")
    monthly_return = make_return(
        community=tree["home"], period=MONTH, status=ReturnStatus.SUBMITTED
    )
    ReturnValue.objects.create(monthly_return=monthly_return, indicator=hours, value=D("30"))
    record(make_volunteer(community=tree["home"]), datetime.date(2026, 10, 5), "10", users["clerk"])
    english.force_login(users["county"])
    recorded = (
        "Counts the hours of the sessions of volunteer service recorded in the portal "
        "(deposited in the time bank), by the day of service. The “volunteer service hours” "
        "the clerks report in the monthly returns are summed in the returns' aggregates and may "
        "differ."
    )
    reported = (
        "Counts the figures the communities reported in their monthly returns (entered or "
        "imported by their clerks), not the portal's own records: the volunteer hours of the "
        "dashboard and the service reports count the sessions of service recorded, and may "
        "differ."
    )

    board = english.get(URL).content.decode()
    report = english.get(
        reverse("services:report_hours"), {"month_from": "2026-10", "month_to": "2026-10"}
    )
    aggregates = english.get(
        reverse("returns:aggregates"),
        {"indicator": "volunteer_hours", "level": "total", "grain": "month"}
        | {"month_from": "2026-10", "month_to": "2026-10"},
    )

    assert figure(board, "hours-last-month")[1] == "10"
    assert "hours of service recorded in 2026-10" in board
    assert f'<p class="dash-card__basis">{recorded}</p>' in board.replace("&#x27;", "'")
    assert recorded in report.context["table"].notes
    assert report.context["table"].caption == "Hours of volunteer service recorded per month"
    assert aggregates.context["table"].rows[0].total == D("30")
    page = aggregates.content.decode().replace("&#x27;", "'")
    assert f'<p class="report-basis" id="aggregate-basis">{reported}</p>' in page
    assert "as reported in the monthly returns" in page
    assert "recorded" not in str(aggregates.context["table"].indicator.local_name)
