"""The yearly report on community building and the statistics bulletin: every figure equals
the records it counts (the returns' flows summed, stocks at each community's latest counted
month, ratios of sums, the year before; the register, governance, facilities, ratings,
admission, volunteers, co-building), a township's report holds only its township, sample data
is marked, the document survives freezing, and the number of queries does not grow with the
data."""

import datetime
from decimal import Decimal

import pytest
from django.utils import translation

from chunan_community.documents import Document
from chunan_community.figures import Percent
from communities.access import COUNTY_OFFICE, access_for
from communities.models import (
    Community,
    Formation,
    FormerArea,
    GovernanceBody,
    Honour,
    MonthlyReturn,
    Ratio,
    Restructuring,
    ReturnStatus,
    ReturnValue,
)
from communities.returns.reports import Counted, Grain, Level, area_sums, year_totals
from ratings.models import Rating, Round, RoundStatus, Tier
from reports import publishing
from reports.models import Kind
from reports.yearly import statistics_bulletin, yearly_report
from services.domain import service_record
from services.models import AdmissionRequest, Commendation, TimeBankEntry, Volunteer
from services.reports import hours_by_year, hours_sums
from tests.factories import (
    make_body,
    make_community,
    make_facility,
    make_group,
    make_honour,
    make_indicator,
    make_pairing,
    make_return,
    make_term,
    make_township,
    make_unit,
    make_user,
    make_volunteer,
)

pytestmark = pytest.mark.django_db

S = ReturnStatus
YEAR = 2026
TODAY = datetime.date(2027, 1, 20)
D = Decimal


def month(number: int, year: int = YEAR) -> datetime.date:
    return datetime.date(year, number, 1)


@pytest.fixture
def english():
    with translation.override("en"):
        yield


@pytest.fixture
def catalogue(db):
    group = make_group(code="people", name="人口", name_en="People", sort_order=1)
    return {
        "households": make_indicator(
            group=group, code="households", name_en="Households", unit="户", aggregation="stock"
        ),
        "visits": make_indicator(group=group, code="visits", name_en="Help visits", unit="次"),
        "funds": make_indicator(
            group=group,
            code="cobuilding_funds",
            name_en="Co-building funds",
            unit="元",
            value_type="decimal",
        ),
    }


@pytest.fixture
def ratio(catalogue):
    return Ratio.objects.create(
        code="visits_per_100",
        name="每百户走访",
        name_en="Visits per 100 households",
        unit="次",
        numerator=catalogue["visits"],
        denominator=catalogue["households"],
        factor=D(100),
        decimal_places=1,
        group=catalogue["visits"].group,
    )


def add_return(community, period, status, catalogue, *, is_sample=False, **values):
    monthly_return = make_return(
        community=community, period=period, status=status, is_sample=is_sample
    )
    ReturnValue.objects.bulk_create(
        ReturnValue(monthly_return=monthly_return, indicator=catalogue[code], value=D(value))
        for code, value in values.items()
    )
    return monthly_return


@pytest.fixture
def returns(tree, catalogue):
    """households is a stock, visits and funds flows.

    2026  home:      01 accepted 100/5/1000, 02 approved 110/7, 03 submitted 120/1,
                     04 draft 999/50 (not counted)
          neighbour: 01 submitted 200/2/500, 03 sent back 210/3 (not counted)
          far:       02 accepted 300/4/250.5
    2025  home:      12 accepted 90/10/800;  far: 11 accepted 280/6
    """
    for name, period, status, households, visits, funds in [
        ("home", month(1), S.ACCEPTED, 100, 5, "1000"),
        ("home", month(2), S.APPROVED, 110, 7, None),
        ("home", month(3), S.SUBMITTED, 120, 1, None),
        ("home", month(4), S.DRAFT, 999, 50, "9999"),
        ("neighbour", month(1), S.SUBMITTED, 200, 2, "500"),
        ("neighbour", month(3), S.RETURNED, 210, 3, None),
        ("far", month(2), S.ACCEPTED, 300, 4, "250.5"),
        ("home", month(12, 2025), S.ACCEPTED, 90, 10, "800"),
        ("far", month(11, 2025), S.ACCEPTED, 280, 6, None),
    ]:
        values = {"households": households, "visits": visits}
        if funds is not None:
            values["funds"] = funds
        add_return(tree[name], period, status, catalogue, **values)
    return tree


def table(document, title, *, exact=False):
    """The document's table whose title holds `title` (is `title`, after "Table n")."""
    found = [
        t
        for s in document.sections
        for t in s.tables
        if (t.title.split(" ", 2)[2] == title if exact else title in t.title)
    ]
    assert len(found) == 1, [t.title for s in document.sections for t in s.tables]
    return found[0]


def rows_by_label(found_table):
    return {tuple(row[: found_table.labels]): row[found_table.labels :] for row in found_table.rows}


def indicator_row(document, name):
    """The indicator's row after its group and name: unit, rule, the year, the year before,
    the change, in per cent, returns with a figure, returns owed."""
    rows = table(document, "Indicators of the monthly returns").rows
    return next(row[2:] for row in rows if row[1] == name)


# ---------------------------------------------------------------------------- indicators


def test_flow_is_the_sum_of_the_counted_months_with_the_year_before(returns, ratio, english):
    document = yearly_report(year=YEAR, today=TODAY)

    # 2026: home 5 + 7 + 1 (its April draft not counted), neighbour 2 (its March sent back),
    # far 4 = 19; 2025: 10 + 6 = 16. Returns with a figure 5, owed 3 communities × 12.
    assert indicator_row(document, "Help visits") == [
        "次",
        "Flow",
        D(19),
        D(16),
        D(3),
        D("18.8"),
        5,
        36,
    ]


def test_stock_is_each_communitys_latest_counted_month(returns, ratio, english):
    document = yearly_report(year=YEAR, today=TODAY)

    # home's March 120 + neighbour's January 200 + far's February 300; 2025: 90 + 280.
    assert indicator_row(document, "Households") == [
        "户",
        "Stock",
        D(620),
        D(370),
        D(250),
        D("67.6"),
        5,
        36,
    ]


def test_derived_indicator_is_the_ratio_of_the_sums(returns, ratio, english):
    document = yearly_report(year=YEAR, today=TODAY)

    # 19 / 620 × 100 = 3.06…, not the mean of the communities' ratios; 2025: 16 / 370 × 100.
    assert indicator_row(document, "Visits per 100 households") == [
        "次",
        "Derived",
        D("3.1"),
        D("4.3"),
        D("-1.2"),
        D("-27.9"),
        None,
        None,
    ]


def test_indicators_by_township_with_the_county_total(returns, ratio, english):
    document = yearly_report(year=YEAR, today=TODAY)

    by_township = table(document, "People by township, 2026")
    assert by_township.columns == [
        "Township",
        "Households (户)",
        "Help visits (次)",
        "Co-building funds (元)",
        "Visits per 100 households (次)",
    ]
    north, south = returns["north"].name_en, returns["south"].name_en
    assert by_township.rows == [
        [north, D(320), D(15), D("1500"), D("4.7")],
        [south, D(300), D(4), D("250.5"), D("1.3")],
        ["County total", D(620), D(19), D("1750.5"), D("3.1")],
    ]
    assert by_township.strong == [2]


def test_a_blank_stock_takes_the_latest_month_with_a_figure(tree, catalogue, ratio, english):
    # neighbour's March return has visits but no households: its households stay January's.
    add_return(tree["neighbour"], month(1), S.ACCEPTED, catalogue, households=200, visits=2)
    add_return(tree["neighbour"], month(3), S.SUBMITTED, catalogue, visits=8)
    add_return(tree["far"], month(2), S.ACCEPTED, catalogue, households=300, visits=4)

    totals = year_totals(
        indicators=list(catalogue.values()),
        ratios=[ratio],
        statuses=Counted.STATUSES[Counted.SUBMITTED],
        years=[YEAR],
        level=Level.TOWNSHIP,
    )

    north, south = tree["north"].pk, tree["south"].pk
    households = catalogue["households"].pk
    assert totals.total(YEAR, households, [north]).total == D(200)
    assert totals.total(YEAR, households, [north, south]).total == D(500)
    # The same as the aggregates report's whole year.
    sums, _sample = area_sums(
        user=make_user("county"),
        indicator=catalogue["households"],
        statuses=Counted.STATUSES[Counted.SUBMITTED],
        first=month(1),
        last=month(12),
        grain=Grain.YEAR,
        level=Level.TOWNSHIP,
        stock=True,
    )
    assert {area: total for (_bucket, area), total in sums.items()} == {
        north: D(200),
        south: D(300),
    }
    # The ratio counts only the returns holding both figures: (2 + 4) / (200 + 300) × 100.
    assert totals.ratio(ratio, YEAR, [north, south]) == D("1.2")


def test_a_draft_counts_nowhere(tree, catalogue, english):
    add_return(tree["home"], month(5), S.DRAFT, catalogue, households=100, visits=9)

    document = yearly_report(year=YEAR, today=TODAY)

    assert indicator_row(document, "Help visits")[2:4] == [None, None]
    assert indicator_row(document, "Households")[2:] == [None, None, None, None, 0, 36]


def test_township_report_holds_only_its_township(returns, ratio, english):
    document = yearly_report(year=YEAR, township=returns["north"], today=TODAY)

    assert document.scope == returns["north"].name_en
    assert document.issuer == f"{returns['north'].name_en} People's Government"
    assert indicator_row(document, "Help visits")[:4] == ["次", "Flow", D(15), D(10)]
    by_community = table(document, "People by community, 2026")
    assert [row[0] for row in by_community.rows] == [
        returns["home"].name_en,
        returns["neighbour"].name_en,
        "Township total",
    ]
    assert by_community.rows[-1][1:3] == [D(320), D(15)]
    # Owed: the township's two communities × 12 months.
    assert indicator_row(document, "Help visits")[-1] == 24


def test_year_totals_in_two_queries(returns, catalogue, django_assert_num_queries):
    with django_assert_num_queries(2):
        totals = year_totals(
            indicators=list(catalogue.values()),
            statuses=Counted.STATUSES[Counted.SUBMITTED],
            years=[2025, YEAR],
            level=Level.TOTAL,
        )

    assert totals.total(YEAR, catalogue["households"].pk, [None]).total == D(620)
    assert totals.total(2025, catalogue["visits"].pk, [None]).total == D(16)
    assert totals.returns == {2025: 2, YEAR: 5}


def test_merged_community_keeps_its_row_in_its_townships_report(returns, english):
    Community.objects.filter(pk=returns["neighbour"].pk).update(status=Community.Status.MERGED)

    document = yearly_report(year=YEAR, township=returns["north"], today=TODAY)

    by_community = table(document, "People by community, 2026")
    assert by_community.rows[1][:3] == [
        f"{returns['neighbour'].name_en} (Merged into another community)",
        D(200),
        D(2),
    ]
    registry = table(document, "Communities, households and residents")
    assert registry.rows[1][1] == 0  # no longer an active community


def test_the_county_office_sees_every_community(tree):
    assert access_for(COUNTY_OFFICE).is_county
    assert set(Community.objects.visible_to(COUNTY_OFFICE)) == {
        tree["home"],
        tree["neighbour"],
        tree["far"],
    }


def test_hours_by_year_adds_up_the_months_of_hours_sums(tree):
    clerk = make_user()
    for community, served_on, hours in [
        (tree["home"], datetime.date(2025, 12, 31), "1.5"),
        (tree["home"], datetime.date(2026, 1, 1), "2"),
        (tree["far"], datetime.date(2026, 12, 31), "3"),
        (tree["far"], datetime.date(2027, 1, 1), "4"),
    ]:
        service_record(
            volunteer=make_volunteer(community=community),
            served_on=served_on,
            hours=D(hours),
            activity="服务",
            by=clerk,
        )

    by_year, _sample = hours_by_year(COUNTY_OFFICE, years=[2025, YEAR], by_township=True)
    by_month, _sample = hours_sums(
        COUNTY_OFFICE, first=month(1, 2025), last=month(12), by_township=True
    )

    north, south = tree["north"].pk, tree["south"].pk
    assert by_year == {(2025, north): D("1.5"), (YEAR, north): D(2), (YEAR, south): D(3)}
    for (year, area), hours in by_year.items():
        assert hours == sum(h for (m, a), h in by_month.items() if (m.year, a) == (year, area))


# ---------------------------------------------------------------------------- the register


def test_register_section_by_township(tree, english):
    tree["far"].households, tree["far"].residents = 2000, 5000
    tree["far"].premises_area_m2 = D("250.0")
    tree["far"].save()
    make_community(township=tree["south"], code="new", founded_year=YEAR, households=10)
    make_community(township=tree["south"], code="later", founded_year=YEAR + 1)
    make_community(township=tree["north"], code="gone", status=Community.Status.MERGED)
    restructuring = Restructuring.objects.create(
        township=tree["north"], name="北区调整", effective_year=YEAR
    )
    for name in ("一区", "二区"):
        Formation.objects.create(
            restructuring=restructuring,
            former_area=FormerArea.objects.create(township=tree["north"], name=name),
            community=tree["home"],
        )

    document = yearly_report(year=YEAR, today=TODAY)

    north, south = tree["north"].name_en, tree["south"].name_en
    registry = table(document, "Communities, households and residents")
    assert registry.rows == [
        [north, 2, 2000, 6000, 0, 1, 2],
        [south, 2, 2010, 8000, 1, 0, 0],
        ["County total", 4, 4010, 14000, 1, 1, 2],
    ]
    space = table(document, "The space standard")
    # far: 2000 households need 400 m², it has 250: 150 missing.
    assert space.rows[-1] == ["County total", 4010, D("1000.0"), D("802.0"), 1, D("150.0")]
    assert document.sections[0].paragraphs[0] == (
        "The county has 4 communities at the end of 2026, with 4,010 households and 14,000 "
        "residents in the register."
    )


def test_governance_facilities_ratings_and_honours(tree, english):
    home, far = tree["home"], tree["far"]
    committee = make_body(community=home)
    make_term(body=committee, number=1, starts_on=datetime.date(2022, 6, 1))
    make_term(body=committee, number=2, starts_on=datetime.date(2026, 6, 1))  # elected 2026
    party = make_body(community=far, kind=GovernanceBody.Kind.PARTY)
    make_term(body=party, number=1, starts_on=datetime.date(2022, 3, 1))  # ends 2027
    make_body(community=far, kind=GovernanceBody.Kind.ASSEMBLY)  # no term
    for kind in (
        "party_room",
        "committee_office",
        "police_room",
        "youth_room",
        "elderly_room",
        "social_security_station",
        "medical_station",
        "citizens_school",
        "culture_sports_venue",
    ):
        make_facility(community=home, kind=kind)
    make_facility(community=far, kind="party_room")
    make_facility(community=far, kind="police_room", present=False, area_m2=None)
    round_ = Round.objects.create(
        code="r2026",
        year=YEAR,
        name="2026年度评定",
        status=RoundStatus.FINAL,
        finalised_on=datetime.date(2026, 12, 1),
    )
    Round.objects.create(
        code="r2025",
        year=2025,
        name="2025年度评定",
        status=RoundStatus.FINAL,
        finalised_on=datetime.date(2025, 12, 1),
    )
    until = datetime.date(2029, 12, 31)
    Rating.objects.create(round=round_, community=home, tier=Tier.STAR, stars=3, valid_until=until)
    Rating.objects.create(round=round_, community=far, tier=Tier.NORMATIVE, valid_until=until)
    Rating.objects.create(
        round=round_,
        community=tree["neighbour"],
        tier=Tier.GARDEN,
        valid_until=until,
        revoked_on=datetime.date(2026, 12, 20),
        revoked_reason="摘牌",
    )
    make_honour(community=home, year=YEAR, level=Honour.Level.CITY, title="市级文明社区")
    make_honour(community=far, year=2025, level=Honour.Level.COUNTY)
    Commendation.objects.create(
        year=YEAR,
        kind=Commendation.Kind.INDIVIDUAL,
        name="张三",
        title="优秀社区工作者",
        community=home,
        is_sample=True,
    )

    document = yearly_report(year=YEAR, today=TODAY)

    north, south = tree["north"].name_en, tree["south"].name_en
    governance = table(document, "Governance bodies and term elections")
    assert governance.rows == [
        [north, 0, 0, 1, 0, 1, 0, 0, 0],
        [south, 1, 1, 0, 0, 0, 1, 0, 1],
        ["County total", 1, 1, 1, 0, 1, 1, 0, 1],
    ]
    facilities = table(document, "Communities with each standard facility")
    assert facilities.rows[0] == [north, 2, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1]
    assert facilities.rows[1] == [south, 1, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0]
    assert facilities.rows[3][1:4] == [None, Percent(2, 3), Percent(1, 3)]
    tiers = table(document, "Communities by the tier confirmed in 2026")
    assert tiers.rows == [
        [north, 0, 1, 0, 1],  # neighbour's garden rating was revoked in 2026
        [south, 1, 0, 0, 1],
        ["County total", 1, 1, 0, 2],
    ]
    honours = table(document, "Honours of 2026", exact=True)
    assert honours.rows == [[north, home.name_en, "市级文明社区", "City", ""]]
    commendations = table(document, "Commendations of 2026")
    assert commendations.title.endswith("[Sample data]")
    assert commendations.rows == [["Advanced individual", "张三", "优秀社区工作者", home.name_en]]
    assert document.has_sample


def test_admissions_volunteers_and_cobuilding(tree, catalogue, english):
    home, far = tree["home"], tree["far"]
    decided = datetime.date(2026, 5, 1)
    for department, status, funds in [
        ("县人社局", AdmissionRequest.Status.APPROVED, "20000"),
        ("县人社局", AdmissionRequest.Status.REFUSED, "0"),
        ("县卫健局", AdmissionRequest.Status.APPROVED, "5000"),
    ]:
        AdmissionRequest.objects.create(
            department=department,
            task="任务",
            status=status,
            decided_on=decided,
            decision_reason="理由",
            funds_yuan=D(funds),
            funds_follow=status == AdmissionRequest.Status.APPROVED,
        )
    AdmissionRequest.objects.create(department="县民政局", task="待定")  # not decided
    clerk = make_user()
    volunteer = make_volunteer(
        community=home, kind=Volunteer.Kind.PARTY_MEMBER, registered_on=datetime.date(2025, 3, 1)
    )
    make_volunteer(community=far, registered_on=datetime.date(2026, 3, 1))
    make_volunteer(community=far, registered_on=datetime.date(2027, 1, 5))  # after the year
    service_record(
        volunteer=volunteer,
        served_on=datetime.date(2026, 4, 2),
        hours=D("2.5"),
        activity="助老",
        by=clerk,
    )
    service_record(
        volunteer=volunteer,
        served_on=datetime.date(2025, 4, 2),
        hours=D(1),
        activity="助老",
        by=clerk,
    )
    TimeBankEntry.objects.create(
        volunteer=volunteer,
        kind=TimeBankEntry.Kind.DRAW,
        hours=D("-0.5"),
        on=datetime.date(2026, 6, 1),
        created_by=clerk,
    )
    unit = make_unit()
    make_pairing(unit=unit, community=home, started_on=datetime.date(2026, 2, 1))
    make_pairing(unit=unit, community=far, started_on=datetime.date(2020, 2, 1))
    make_pairing(
        community=far, started_on=datetime.date(2020, 2, 1), ended_on=datetime.date(2026, 6, 1)
    )  # ended in the year
    add_return(home, month(3), S.ACCEPTED, catalogue, funds="1200")
    add_return(far, month(3), S.ACCEPTED, catalogue, funds="300", is_sample=True)

    document = yearly_report(year=YEAR, today=TODAY)

    admission = table(document, "Admission requests decided in 2026")
    assert admission.rows == [
        ["县人社局", 1, 1, 1, 0, 0, D(20000)],
        ["县卫健局", 1, 0, 1, 0, 0, D(5000)],
        ["Total", 2, 1, 2, 0, 0, D(25000)],
    ]
    north, south = tree["north"].name_en, tree["south"].name_en
    volunteers = table(document, "Volunteers, hours of service and the time bank")
    assert volunteers.rows == [
        [north, 1, 1, 0, 0, D("2.5"), D(1), D("2.5"), D("0.5"), D(0), D(3)],
        [south, 1, 0, 0, 1, D(0), D(0), D(0), D(0), D(0), D(0)],
        ["County total", 2, 1, 0, 1, D("2.5"), D(1), D("2.5"), D("0.5"), D(0), D(3)],
    ]
    cobuilding = table(document, "Co-building funds and pairings")
    assert cobuilding.rows == [
        [north, D(1200), None, None, 1, 1, 1],
        [south, D(300), None, None, 1, 1, 0],
        ["County total", D(1500), None, None, 1, 2, 1],
    ]
    assert cobuilding.title.endswith("[Sample data]")


# ---------------------------------------------------------------------------- documents


def test_sample_returns_mark_the_document(tree, catalogue, english):
    add_return(tree["home"], month(1), S.ACCEPTED, catalogue, visits=3, is_sample=True)

    document = yearly_report(year=YEAR, today=TODAY)

    assert document.has_sample
    assert table(document, "Indicators of the monthly returns").title.endswith("[Sample data]")
    assert document.notes == [
        "Figures marked “Sample data” are invented for demonstration and are not official "
        "statistics."
    ]


def test_no_sample_no_mark(tree, catalogue, english):
    Community.objects.update(figures_are_sample=False)
    add_return(tree["home"], month(1), S.ACCEPTED, catalogue, visits=3)

    document = yearly_report(year=YEAR, today=TODAY)

    assert not document.has_sample
    assert document.notes == []


def test_titles_issuer_and_numbered_tables(returns, english):
    document = yearly_report(year=YEAR, today=TODAY)

    assert document.title == "Chun'an County: report on community building, 2026"
    assert document.issuer == "Chun'an County Civil Affairs Bureau"
    assert document.date == TODAY
    titles = [t.title for s in document.sections for t in s.tables]
    assert [title.split(" ")[1] for title in titles] == [str(n) for n in range(1, len(titles) + 1)]
    assert len(document.sections) == 8


def test_subdistrict_issuer(english):
    subdistrict = make_township(kind="subdistrict", name_en="Lakeside Subdistrict")
    make_community(township=subdistrict)

    document = yearly_report(year=YEAR, township=subdistrict, today=TODAY)

    assert document.issuer == "Lakeside Subdistrict Office"


def test_document_survives_freezing(returns, ratio):
    for document in (
        yearly_report(year=YEAR, today=TODAY),
        yearly_report(year=YEAR, township=returns["north"], today=TODAY),
        statistics_bulletin(year=YEAR, today=TODAY),
    ):
        assert Document.from_data(document.to_data()) == document


def test_bulletin_has_the_countys_figures_and_no_names(returns, ratio, english):
    Commendation.objects.create(
        year=YEAR,
        kind=Commendation.Kind.INDIVIDUAL,
        name="李四",
        title="优秀志愿者",
        community=returns["home"],
    )

    bulletin = statistics_bulletin(year=YEAR, today=TODAY)

    assert bulletin.title == "Chun'an County statistics bulletin on community building, 2026"
    text = str(bulletin.to_data())
    assert "李四" not in text
    assert returns["north"].name_en not in text
    assert returns["home"].name_en not in text
    assert indicator_row(bulletin, "Help visits")[2:6] == [D(19), D(16), D(3), D("18.8")]
    ratings = rows_by_label(table(bulletin, "Ratings, honours and commendations"))
    assert ratings[("Advanced individual",)] == [1]
    assert any("provisional" in note for note in bulletin.notes)


# ---------------------------------------------------------------------------- queries


def _populate(townships: int, per_township: int, catalogue) -> list:
    """The same shape of data at any size: each community with returns, a body and a term,
    facilities, a rating, an honour, a volunteer with service and a pairing."""
    clerk = make_user()
    round_ = Round.objects.create(
        code=f"r{townships}",
        year=YEAR,
        name="评定",
        status=RoundStatus.FINAL,
        finalised_on=month(12),
    )
    unit = make_unit()
    places = []
    for _t in range(townships):
        township = make_township()
        places.append(township)
        for _c in range(per_township):
            community = make_community(township=township)
            for period in (month(11, 2025), month(1), month(2)):
                add_return(
                    community, period, S.ACCEPTED, catalogue, households=10, visits=1, funds="5"
                )
            body = make_body(community=community)
            make_term(body=body, starts_on=datetime.date(2026, 3, 1))
            make_facility(community=community)
            Rating.objects.create(
                round=round_,
                community=community,
                tier=Tier.NORMATIVE,
                valid_until=datetime.date(2029, 12, 31),
            )
            make_honour(community=community, year=YEAR)
            volunteer = make_volunteer(community=community)
            service_record(
                volunteer=volunteer, served_on=month(3), hours=D(1), activity="服务", by=clerk
            )
            make_pairing(unit=unit, community=community, started_on=month(2))
            Commendation.objects.create(
                year=YEAR,
                kind=Commendation.Kind.COLLECTIVE,
                name=community.name,
                title="先进集体",
                community=community,
            )
    AdmissionRequest.objects.create(
        department="县人社局",
        task="任务",
        status=AdmissionRequest.Status.APPROVED,
        decided_on=month(5),
    )
    return places


COUNTY_QUERIES = 23
TOWNSHIP_QUERIES = 23
BULLETIN_QUERIES = 23


@pytest.mark.parametrize(("townships", "per_township"), [(2, 1), (3, 2)])
def test_queries_do_not_grow_with_the_data(
    townships, per_township, catalogue, ratio, django_assert_num_queries
):
    places = _populate(townships, per_township, catalogue)

    with django_assert_num_queries(COUNTY_QUERIES):
        yearly_report(year=YEAR, today=TODAY)
    with django_assert_num_queries(TOWNSHIP_QUERIES):
        yearly_report(year=YEAR, township=places[0], today=TODAY)
    with django_assert_num_queries(BULLETIN_QUERIES):
        statistics_bulletin(year=YEAR, today=TODAY)


# ---------------------------------------------------------------------------- publishing


def test_a_published_yearly_report_keeps_its_figures_after_the_returns_change(
    returns, catalogue, english
):
    county = make_user("county", username="publisher")
    months = {"first_month": month(1), "last_month": month(12), "township": None}
    publication = publishing.publish(
        Kind.YEARLY,
        **months,
        number="淳民〔2027〕1号",
        published_on=TODAY,
        note="",
        user=county,
        today=TODAY,
    )
    # Help visits in 2026: home 5 + 7 + 1, neighbour 2, far 4 (the draft's 50 not counted).
    assert indicator_row(publication.as_document, "Help visits")[2] == 19

    # A correction of far's February: 4 visits become 40; and the draft is submitted.
    ReturnValue.objects.filter(
        monthly_return__community=returns["far"], indicator=catalogue["visits"]
    ).update(value=D(40))
    MonthlyReturn.objects.filter(status=S.DRAFT).update(status=S.SUBMITTED)

    live = publishing.build(Kind.YEARLY, **months, today=TODAY)
    assert indicator_row(live, "Help visits")[2] == 19 - 4 + 40 + 50
    publication.refresh_from_db()
    assert indicator_row(publication.as_document, "Help visits")[2] == 19
