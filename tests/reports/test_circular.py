"""The timeliness circular: figures, ranking with ties, the overdue and late returns named,
a month against a quarter, founding mid-period, the same rates as the completeness grid,
the periods offered, frozen and thawed, and a fixed number of queries."""

import datetime
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.urls import reverse
from django.utils import translation

from chunan_community.documents import Document
from chunan_community.figures import Percent
from communities.models import Community, ReturnStatus, Role
from communities.returns.reports import Rates, completeness_communities, county_communities
from reports.circular import (
    CircularPeriod,
    TownshipLine,
    circular_periods,
    last_closed_quarter,
    period_label,
    rank_townships,
    timeliness_circular,
)
from tests.factories import make_community, make_return, make_township, make_user

pytestmark = pytest.mark.django_db

S = ReturnStatus
JUL, AUG, SEP = datetime.date(2026, 7, 1), datetime.date(2026, 8, 1), datetime.date(2026, 9, 1)
TODAY = datetime.date(2026, 10, 20)  # September's returns were due on 10 October


@pytest.fixture(autouse=True)
def _due_days(settings):
    settings.RETURN_DUE_DAYS = 10


@pytest.fixture
def county():
    """Five townships (grid order 西, 北, 南, 东, 新) and their returns for 2026 Q3.

    west  (威坪镇)  w1: Jul approved late, Aug submitted, Sep accepted
    north (千岛湖镇) a1, a2: every month reported on time; a closed community with nothing
    south (汾口镇)  b1: every month on time; b2 founded 15 August: Aug, Sep on time
    east  (姜家镇)  c1: Jul submitted late, Aug draft, Sep nothing;
                    c2: Jul accepted, Aug sent back, Sep submitted
    new   (文昌镇)  d1 founded in November: owes nothing yet
    """
    west = make_township(code="west", name="威坪镇", name_en="Weiping", sort_order=0)
    north = make_township(code="north", name="千岛湖镇", name_en="Qiandaohu", sort_order=1)
    south = make_township(code="south", name="汾口镇", name_en="Fenkou", sort_order=2)
    east = make_township(code="east", name="姜家镇", name_en="Jiangjia", sort_order=3)
    new = make_township(code="new", name="文昌镇", name_en="Wenchang", sort_order=4)
    c = {
        "w1": make_community(township=west, code="w1", name="虹桥社区", name_en="Hongqiao"),
        "a1": make_community(township=north, code="a1", name="西园社区", name_en="Xiyuan"),
        "a2": make_community(township=north, code="a2", name="南苑社区", name_en="Nanyuan"),
        "b1": make_community(township=south, code="b1", name="杨旗社区", name_en="Yangqi"),
        "b2": make_community(
            township=south,
            code="b2",
            name="新城社区",
            name_en="Xincheng",
            founded_year=2026,
            founded_on=datetime.date(2026, 8, 15),
        ),
        "c1": make_community(township=east, code="c1", name="江滨社区", name_en="Jiangbin"),
        "c2": make_community(township=east, code="c2", name="望湖社区", name_en="Wanghu"),
        "d1": make_community(
            township=new,
            code="d1",
            name="文昌社区",
            name_en="Wenchang",
            founded_year=2026,
            founded_on=datetime.date(2026, 11, 1),
        ),
    }
    make_community(township=north, code="closed", name="旧社区", status=Community.Status.MERGED)
    returns = [
        ("w1", JUL, S.APPROVED, True),
        ("w1", AUG, S.SUBMITTED, False),
        ("w1", SEP, S.ACCEPTED, False),
        ("c1", JUL, S.SUBMITTED, True),
        ("c1", AUG, S.DRAFT, False),
        ("c2", JUL, S.ACCEPTED, False),
        ("c2", AUG, S.RETURNED, False),
        ("c2", SEP, S.SUBMITTED, False),
        ("b2", AUG, S.SUBMITTED, False),
        ("b2", SEP, S.APPROVED, False),
        # Outside the quarter: not counted.
        ("c1", datetime.date(2026, 6, 1), S.DRAFT, False),
        ("c1", datetime.date(2026, 10, 1), S.DRAFT, False),
    ]
    returns += [(code, m, S.ACCEPTED, False) for code in ("a1", "a2") for m in (JUL, AUG, SEP)]
    returns += [("b1", m, S.APPROVED, False) for m in (JUL, AUG, SEP)]
    for code, period, status, late in returns:
        make_return(community=c[code], period=period, status=status, is_late=late)
    return c


def english_circular(first, last, today=TODAY):
    with translation.override("en"):
        return timeliness_circular(first_month=first, last_month=last, today=today)


def table(doc, section):
    return doc.sections[section].tables[0]


def test_circular_ranks_townships_with_ties_and_a_county_total(county):
    doc = english_circular(JUL, SEP)

    ranking = table(doc, 1)
    assert ranking.columns == [
        "Rank",
        "Township",
        "Communities owing",
        "Returns owed",
        "Returns reported",
        "Reporting rate",
        "Reported on time",
        "On-time rate",
    ]
    assert ranking.rows == [
        [1, "Qiandaohu", 2, 6, 6, Percent(6, 6), 6, Percent(6, 6)],
        [1, "Fenkou", 2, 5, 5, Percent(5, 5), 5, Percent(5, 5)],
        # The same on-time rate (2 of 3): the higher reporting rate ranks first.
        [3, "Weiping", 1, 3, 3, Percent(3, 3), 2, Percent(2, 3)],
        [4, "Jiangjia", 2, 6, 3, Percent(3, 6), 2, Percent(2, 3)],
        ["", "County total", 7, 20, 17, Percent(17, 20), 15, Percent(15, 17)],
    ]
    assert ranking.strong == [4]
    assert ranking.labels == 2
    assert [str(p) for p in ranking.rows[-1] if isinstance(p, Percent)] == ["85%", "88%"]


def test_circular_names_the_overdue_and_the_late_returns(county):
    doc = english_circular(JUL, SEP)

    assert [s.heading for s in doc.sections] == [
        "Overview",
        "Reporting by township",
        "Returns overdue",
        "Returns submitted late",
        "Requirements",
    ]
    # Days overdue at 20 October: August's were due on 10 September, September's on 10 October.
    assert table(doc, 2).rows == [
        ["Jiangjia", "Jiangbin", "2026-08", "Draft", 40],
        ["Jiangjia", "Jiangbin", "2026-09", "Not started", 10],
        ["Jiangjia", "Wanghu", "2026-08", "Sent back", 40],
    ]
    assert table(doc, 2).columns[-1] == "Days overdue"
    assert table(doc, 3).rows == [
        ["Weiping", "Hongqiao", "2026-07", "Approved by township"],
        ["Jiangjia", "Jiangbin", "2026-07", "Submitted"],
    ]
    assert doc.sections[2].paragraphs == [
        "These returns had not been submitted by 20 October 2026:"
    ]


def test_circular_text_gives_the_county_figures_and_urges_the_townships_behind(county):
    doc = english_circular(JUL, SEP)

    assert doc.title == "Circular on the timely reporting of monthly returns, 2026, third quarter"
    assert doc.issuer == "Chun'an County Civil Affairs Bureau"
    assert doc.scope == "Chun'an County"
    assert doc.date == TODAY
    assert doc.sections[0].paragraphs == [
        "In 2026, third quarter, the 7 communities of the county owed 20 monthly returns: 17 "
        "were reported, a reporting rate of 85%, 15 of them on time, an on-time rate of 88%.",
        "The communities of Qiandaohu, Fenkou reported every return on time.",
        "As of 20 October 2026, 3 returns were still overdue.",
    ]
    assert doc.sections[4].paragraphs[0] == (
        "The townships whose reporting or on-time rate is below 100% (Weiping, Jiangjia) are "
        "asked to urge their communities to submit the overdue returns at once, to find out "
        "why returns came in late, and to put it right."
    )
    assert doc.sections[4].paragraphs[2] == (
        "Each community submits its return for a month within 10 days after the month ends."
    )
    assert "On time: submitted by the due date, 10 days after the month ends." in doc.notes[1]
    assert doc.has_sample is False
    assert len(doc.notes) == 2


def test_circular_of_one_month_ranks_on_that_month_alone(county):
    doc = english_circular(JUL, JUL)

    assert doc.title == "Circular on the timely reporting of monthly returns, July 2026"
    # b2 is founded in August: Fenkou owes one return in July.
    assert table(doc, 1).rows == [
        [1, "Qiandaohu", 2, 2, 2, Percent(2, 2), 2, Percent(2, 2)],
        [1, "Fenkou", 1, 1, 1, Percent(1, 1), 1, Percent(1, 1)],
        [3, "Jiangjia", 2, 2, 2, Percent(2, 2), 1, Percent(1, 2)],
        [4, "Weiping", 1, 1, 1, Percent(1, 1), 0, Percent(0, 1)],
        ["", "County total", 6, 6, 6, Percent(6, 6), 4, Percent(4, 6)],
    ]
    assert doc.sections[0].paragraphs[-1] == (
        "As of 20 October 2026, no return of the period was overdue."
    )
    assert doc.sections[2].paragraphs == [
        "Every return of the period had been submitted by 20 October 2026."
    ]
    assert doc.sections[2].tables == []


def test_circular_counts_a_community_founded_mid_period_from_its_founding_month(county):
    doc = english_circular(AUG, SEP)

    fenkou = next(row for row in table(doc, 1).rows if row[1] == "Fenkou")
    assert fenkou == [1, "Fenkou", 2, 4, 4, Percent(4, 4), 4, Percent(4, 4)]


def test_circular_leaves_out_a_township_that_owes_nothing_yet(county):
    doc = english_circular(JUL, SEP)

    assert "Wenchang" not in [row[1] for row in table(doc, 1).rows]
    assert "Wenchang" not in [row[0] for row in table(doc, 2).rows]


def test_circular_with_every_return_on_time_asks_to_keep_it_up():
    community = make_community(name_en="Xiyuan")
    for period in (JUL, AUG, SEP):
        make_return(community=community, period=period, status=S.ACCEPTED)

    doc = english_circular(JUL, SEP)

    assert doc.sections[3].paragraphs == ["No return of the period came in late."]
    assert doc.sections[3].tables == []
    assert doc.sections[4].paragraphs[0] == (
        "Every township reported every return on time: keep it up."
    )


def test_circular_marks_sample_returns(county):
    county["a1"].returns.filter(period=JUL).update(is_sample=True)

    doc = english_circular(JUL, SEP)

    assert doc.has_sample is True
    assert doc.notes[-1] == "Some of the returns counted are sample data, not real records."


def test_circular_rates_equal_the_completeness_grid(client, county):
    """The grid of county staff for the same months gives every township the same rates."""
    client.force_login(make_user(Role.COUNTY))
    moment = datetime.datetime(2026, 10, 20, 10, tzinfo=ZoneInfo("Asia/Shanghai"))
    with time_machine.travel(moment, tick=False):
        response = client.get(
            reverse("returns:completeness"), {"month_from": "2026-07", "month_to": "2026-09"}
        )
        doc = timeliness_circular(first_month=JUL, last_month=SEP, today=TODAY)

    grid = {}
    for kind in ("reporting", "on_time"):
        rates = next(t for t in response.context["rate_tables"] if t["kind"] == kind)
        for row in rates["rows"]:
            label = "全县合计" if row["is_total"] else row["label"]
            grid.setdefault(label, []).append(row["overall"])
    circular = {row[1]: [row[5], row[7]] for row in table(doc, 1).rows}
    # The circular leaves out the township that owes nothing yet; the grid shows it empty.
    assert grid.pop("文昌镇") == [Percent(0, 0), Percent(0, 0)]
    assert circular == grid
    assert circular["全县合计"] == [Percent(17, 20), Percent(15, 17)]


def test_circular_counts_the_communities_county_staff_see(county):
    county_user = make_user(Role.COUNTY)

    assert list(county_communities()) == list(completeness_communities(county_user))


def test_circular_survives_freezing(county):
    doc = english_circular(JUL, SEP)

    assert Document.from_data(doc.to_data()) == doc


def test_circular_is_chinese_by_default(county):
    doc = timeliness_circular(first_month=JUL, last_month=SEP, today=TODAY)

    assert doc.issuer == "淳安县民政局"
    assert doc.scope == "淳安县"
    assert table(doc, 1).rows[0][1] == "千岛湖镇"
    assert table(doc, 2).rows[0][:2] == ["姜家镇", "江滨社区"]


def test_circular_refuses_a_period_not_closed(county):
    with pytest.raises(ValueError):
        timeliness_circular(first_month=JUL, last_month=SEP, today=datetime.date(2026, 10, 10))
    with pytest.raises(ValueError):
        timeliness_circular(first_month=SEP, last_month=JUL, today=TODAY)


@pytest.mark.parametrize("extra", [1, 6])
def test_circular_queries_do_not_grow_with_communities(django_assert_num_queries, extra):
    """Communities, returns, community names, township names."""
    for n in range(extra):
        community = make_community(township=make_township())
        make_return(community=community, period=JUL, status=S.SUBMITTED, is_late=n % 2 == 0)
        make_return(community=community, period=AUG, status=S.DRAFT)

    with django_assert_num_queries(4):
        doc = timeliness_circular(first_month=JUL, last_month=SEP, today=TODAY)

    assert len(table(doc, 1).rows) == extra + 1
    assert len(table(doc, 2).rows) == 2 * extra


# ---------------------------------------------------------------------------- periods


def test_rank_ties_share_a_rank_and_keep_township_order():
    def line(name, reported, owed, on_time):
        rates = Rates(Percent(reported, owed), Percent(on_time, reported))
        return TownshipLine(None, name, 1, rates)

    ranked = rank_townships(
        [line("a", 1, 2, 1), line("b", 2, 2, 2), line("c", 2, 2, 2), line("d", 0, 2, 0)]
    )

    assert [(t.name, t.rank) for t in ranked] == [("b", 1), ("c", 1), ("a", 3), ("d", 4)]


def test_last_closed_quarter_waits_for_the_last_month_to_be_due():
    def closed(day):
        quarter = last_closed_quarter(day)
        return quarter.value, quarter.first, quarter.last

    assert closed(datetime.date(2026, 10, 10)) == (
        "2026-Q2",
        datetime.date(2026, 4, 1),
        datetime.date(2026, 6, 1),
    )
    assert closed(datetime.date(2026, 10, 11)) == ("2026-Q3", JUL, SEP)
    assert closed(datetime.date(2027, 1, 10)) == ("2026-Q3", JUL, SEP)
    assert closed(datetime.date(2027, 1, 11)) == (
        "2026-Q4",
        datetime.date(2026, 10, 1),
        datetime.date(2026, 12, 1),
    )


def test_circular_periods_offer_closed_quarters_then_months_newest_first():
    with translation.override("en"):
        periods = circular_periods(datetime.date(2026, 11, 5))

    quarters = [p for p in periods if p.first != p.last]
    months = [p for p in periods if p.first == p.last]
    assert periods == quarters + months
    assert [(p.value, p.label) for p in quarters] == [
        ("2026-Q3", "2026, third quarter"),
        ("2026-Q2", "2026, second quarter"),
        ("2026-Q1", "2026, first quarter"),
        ("2025-Q4", "2025, fourth quarter"),
        ("2025-Q3", "2025, third quarter"),
        ("2025-Q2", "2025, second quarter"),
        ("2025-Q1", "2025, first quarter"),
        ("2024-Q4", "2024, fourth quarter"),
    ]
    assert quarters[0] == CircularPeriod("2026-Q3", "2026, third quarter", JUL, SEP)
    # October's returns are due on 10 November.
    assert [(p.value, p.label) for p in months[:2]] == [
        ("2026-09", "September 2026"),
        ("2026-08", "August 2026"),
    ]
    assert len(months) == 24
    assert months[-1].value == "2024-10"


def test_period_label_names_a_month_a_quarter_or_a_range():
    with translation.override("en"):
        assert period_label(JUL, JUL) == "July 2026"
        assert period_label(JUL, SEP) == "2026, third quarter"
        assert period_label(AUG, SEP) == "August 2026 to September 2026"
