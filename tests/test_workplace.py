"""Each person's workplace: the navigation by role, where a log-in lands, the to-do list.

The to-do list (portal.workplace_views.todo) gathers every app's work through
chunan_community.worklist; the navigation (portal.navigation) shows its count on every page.
"""

import datetime
from decimal import Decimal

import pytest
import time_machine
from django.conf import settings
from django.db import connection
from django.test.utils import CaptureQueriesContext

from communities.models import ReturnEvent, ReturnStatus, Role
from ratings.models import ConflictOfInterest, Objection, Rating, RoundStatus, ScoreSheet, Tier
from services.models import AdmissionRequest
from tests.factories import (
    PASSWORD,
    make_body,
    make_community,
    make_return,
    make_term,
    make_township,
    make_user,
)
from tests.html import soup
from tests.queries import NAV_QUERIES
from tests.ratings.factories import make_assignment, make_declaration, make_round

# Monday 7 December 2026: November's return is due on the 10th, October's was due on
# 10 November and may still be entered until 15 December.
TODAY = datetime.date(2026, 12, 7)
pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _today():
    with time_machine.travel(datetime.datetime(2026, 12, 7, 10, tzinfo=datetime.UTC), tick=False):
        yield


@pytest.fixture
def en(client):
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    return client


def nav(response, row):
    """The (label, address, aria-current) of each entry of a row of the navigation."""
    page = soup(response)
    links = page.select(f"nav.site-nav {row} > ul a, nav.site-nav {row} ul.work-nav__links a")
    return [(link.text.strip(), link.get("href"), link.get("aria-current")) for link in links]


def work(response):
    """{kind: (total, [(what, community, due, overdue, note)])} of the to-do page."""
    return {
        work.kind: (
            work.total,
            [(t.what, t.community, t.due, t.overdue, t.note) for t in work.tasks],
        )
        for work in response.context["works"]
    }


# ---------- The navigation by role ----------

PUBLIC_NAV = ["Home", "Communities", "Ratings", "Commendations", "Announcements", "Statistics"]
WORK_NAV = {
    "clerk": [
        ("To do", "/manage/todo/"),
        ("Inbox", "/inbox/"),
        ("Our community", "/manage/"),
        ("Monthly returns", "/returns/"),
        ("Our declaration", "/ratings/manage/"),
        ("Services", "/services/"),
        ("Reports", "/manage/reports/"),
    ],
    "township": [
        ("To do", "/manage/todo/"),
        ("Inbox", "/inbox/"),
        ("Community records", "/manage/"),
        ("Monthly returns", "/returns/"),
        ("Ratings under way", "/ratings/manage/"),
        ("Services", "/services/"),
        ("Reports", "/manage/reports/"),
        ("Dashboard", "/manage/dashboard/"),
    ],
    "county": [
        ("To do", "/manage/todo/"),
        ("Inbox", "/inbox/"),
        ("Community records", "/manage/"),
        ("Monthly returns", "/returns/"),
        ("Rating management", "/ratings/manage/"),
        ("Services", "/services/"),
        ("Reports", "/manage/reports/"),
        ("Dashboard", "/manage/dashboard/"),
        ("Announcement management", "/manage/announcements/"),
        ("Administration", "/admin/"),
    ],
    "judge": [("To do", "/manage/todo/"), ("Inbox", "/inbox/"), ("Scoring", "/ratings/manage/")],
}


@pytest.mark.parametrize("role", list(WORK_NAV))
def test_each_role_has_its_own_entries(en, users, role):
    en.force_login(users[role])

    response = en.get("/communities/")

    assert [label for label, _href, _current in nav(response, ".site-nav__inner")] == PUBLIC_NAV
    entries = nav(response, ".work-nav")
    # The to-do entry may carry a count; the rest is the label.
    assert [
        (label.split()[0] if href == "/manage/todo/" else label, href)
        for label, href, _c in entries
    ] == [
        (label.split()[0] if href == "/manage/todo/" else label, href)
        for label, href in WORK_NAV[role]
    ]


@pytest.mark.parametrize("role", ["anonymous", "no_role"])
def test_the_public_and_accounts_without_a_role_get_no_work_row(en, users, role):
    if role != "anonymous":
        en.force_login(users[role])

    response = en.get("/")

    assert nav(response, ".work-nav") == []
    assert [label for label, _h, current in nav(response, ".site-nav__inner")] == PUBLIC_NAV
    assert ("Home", "/", "page") in nav(response, ".site-nav__inner")


def test_the_current_section_is_marked(en, users, tree):
    en.force_login(users["clerk"])

    on_list = nav(en.get("/returns/"), ".work-nav")
    on_return = nav(en.get("/returns/home/2026-11/"), ".work-nav")
    on_public = nav(en.get("/ratings/"), ".site-nav__inner")

    assert [(label, current) for label, _h, current in on_list if current] == [
        ("Monthly returns", "page")
    ]
    # Inside the section: marked as its part (aria-current="true"), not as the page.
    assert [(label, current) for label, _h, current in on_return if current] == [
        ("Monthly returns", "true")
    ]
    assert [(label, current) for label, _h, current in on_public if current] == [
        ("Ratings", "page")
    ]


def test_the_to_do_entry_counts_the_work(en, users, tree):
    make_return(
        community=tree["home"], period=datetime.date(2026, 11, 1), status=ReturnStatus.SUBMITTED
    )
    make_return(
        community=tree["neighbour"],
        period=datetime.date(2026, 11, 1),
        status=ReturnStatus.SUBMITTED,
    )
    en.force_login(users["township"])

    entries = nav(en.get("/manage/"), ".work-nav")

    assert entries[0] == ("To do 2", "/manage/todo/", None)


# ---------- Where a log-in lands ----------


@pytest.mark.parametrize(
    ("next_url", "lands"),
    [
        (None, "/manage/todo/"),
        # A public page is where they came from, not where they work.
        ("/", "/manage/todo/"),
        ("/ratings/", "/manage/todo/"),
        ("/communities/home/", "/manage/todo/"),
        # A page that needs a log-in is where they wanted to go.
        ("/returns/", "/returns/"),
        ("/manage/communities/home/", "/manage/communities/home/"),
        # Not a page of the portal, or another site.
        ("/nowhere/", "/manage/todo/"),
        ("https://example.org/returns/", "/manage/todo/"),
    ],
)
def test_staff_land_on_their_to_do_list_unless_next_names_a_staff_page(
    client, users, next_url, lands
):
    data = {"username": "clerk", "password": PASSWORD}
    if next_url:
        data["next"] = next_url

    response = client.post("/accounts/login/", data)

    assert (response.status_code, response.url) == (302, lands)


def test_an_account_without_a_role_is_sent_home_from_the_to_do_list(client, users):
    client.force_login(users["no_role"])

    response = client.get("/manage/todo/")

    assert (response.status_code, response.url) == (302, "/")


def test_the_to_do_list_needs_a_log_in(client):
    response = client.get("/manage/todo/")

    assert (response.status_code, response.url) == (302, "/accounts/login/?next=/manage/todo/")


# ---------- What each role has to do ----------


def test_a_clerk_sees_the_overdue_return_the_one_due_soon_and_the_declaration(en, users, tree):
    october = make_return(
        community=tree["home"], period=datetime.date(2026, 10, 1), status=ReturnStatus.RETURNED
    )
    ReturnEvent.objects.create(
        monthly_return=october,
        action=ReturnEvent.Action.RETURNED,
        from_status=ReturnStatus.SUBMITTED,
        to_status=ReturnStatus.RETURNED,
        reason="户数与上月相差过大，请核实。",
    )
    # September's window closed on 14 November; a reported month is no work.
    make_return(community=tree["neighbour"], period=datetime.date(2026, 11, 1))  # not theirs
    open_round = make_round(
        status=RoundStatus.DECLARATIONS_OPEN,
        name="2026年度社区评定",
        declarations_close_on=datetime.date(2026, 12, 20),
    )
    make_round(status=RoundStatus.DECLARATIONS_OPEN, name="已申报的评定", code="done")
    make_declaration(round=open_round.__class__.objects.get(code="done"), community=tree["home"])
    make_term(
        body=make_body(community=tree["home"], name="西园社区居民委员会"),
        number=3,
        ends_on=datetime.date(2027, 1, 31),
    )
    en.force_login(users["clerk"])

    response = en.get("/manage/todo/")

    assert work(response) == {
        "returns.file": (
            2,
            [
                (
                    "Correct and resubmit the return for October 2026",
                    "",
                    datetime.date(2026, 11, 10),
                    True,
                    "Sent back: 户数与上月相差过大，请核实。",
                ),
                (
                    "Fill in and submit the return for November 2026",
                    "",
                    datetime.date(2026, 12, 10),
                    False,
                    "",
                ),
            ],
        ),
        "communities.terms": (
            1,
            [
                (
                    "Prepare the election of 西园社区居民委员会: term 3 ends",
                    tree["home"].name_en,
                    datetime.date(2027, 1, 31),
                    False,
                    "",
                )
            ],
        ),
        "ratings.declare": (
            1,
            [
                (
                    "Submit our community's declaration for 2026年度社区评定",
                    "",
                    datetime.date(2026, 12, 20),
                    False,
                    "",
                )
            ],
        ),
    }
    # Overdue work first, then by the nearest date.
    assert list(work(response)) == ["returns.file", "ratings.declare", "communities.terms"]
    page = soup(response)
    assert page.select_one(".task--overdue .badge--overdue").text.strip() == "Overdue"
    assert "by 10 December 2026, in 3 days" in " ".join(
        page.select_one(".task:not(.task--overdue) .task__due").text.split()
    )
    assert page.select_one(".task__what").get("href") == "/returns/home/2026-10/"


def test_a_clerk_owes_no_month_before_the_community_was_founded(en, users, tree):
    tree["home"].founded_on = datetime.date(2026, 11, 3)
    tree["home"].save()
    en.force_login(users["clerk"])

    response = en.get("/manage/todo/")

    assert [task[0] for task in work(response)["returns.file"][1]] == [
        "Fill in and submit the return for November 2026"
    ]


def test_township_staff_review_their_townships_submitted_returns(en, users, tree):
    for community in ("home", "neighbour", "far"):
        make_return(
            community=tree[community],
            period=datetime.date(2026, 11, 1),
            status=ReturnStatus.SUBMITTED,
        )
    make_return(
        community=tree["home"], period=datetime.date(2026, 10, 1), status=ReturnStatus.APPROVED
    )
    en.force_login(users["township"])

    response = en.get("/manage/todo/")

    assert work(response)["returns.submitted"] == (
        2,
        [
            ("Review the return for November 2026", tree["home"].name_en, None, False, ""),
            ("Review the return for November 2026", tree["neighbour"].name_en, None, False, ""),
        ],
    )
    assert "ratings.move" not in work(response)


def test_county_staff_accept_returns_move_rounds_moderate_and_decide(en, users, tree):
    make_return(
        community=tree["far"], period=datetime.date(2026, 11, 1), status=ReturnStatus.APPROVED
    )
    make_return(
        community=tree["home"], period=datetime.date(2026, 11, 1), status=ReturnStatus.SUBMITTED
    )
    make_round(
        status=RoundStatus.PLANNED,
        code="r2027",
        name="2027年度社区评定",
        declarations_open_on=datetime.date(2026, 12, 1),
    )
    make_round(
        status=RoundStatus.PLANNED, code="later", declarations_open_on=datetime.date(2027, 1, 4)
    )
    notice = make_round(
        status=RoundStatus.NOTICE,
        code="r2026",
        name="2026年度社区评定",
        notice_ends_on=datetime.date(2026, 12, 11),
    )
    opinion = Objection.objects.create(
        round=notice, community=tree["home"], text="请核实。", sender_hash="x"
    )
    Objection.objects.create(
        round=notice,
        community=tree["home"],
        text="已处理",
        sender_hash="y",
        status=Objection.Status.PUBLISHED,
    )
    request = AdmissionRequest.objects.create(
        department="县卫健局", task="健康档案入户更新", received_on=datetime.date(2026, 12, 2)
    )
    en.force_login(users["county"])

    response = en.get("/manage/todo/")

    found = work(response)
    assert found["returns.approved"] == (
        1,
        [("Accept the return for November 2026", tree["far"].name_en, None, False, "")],
    )
    assert found["ratings.move"] == (
        1,
        [
            (
                "Move 2027年度社区评定 on to “Declarations open”",
                "",
                datetime.date(2026, 12, 1),
                True,
                "",
            )
        ],
    )
    assert found["ratings.opinions"] == (
        1,
        [
            (
                "Moderate an opinion on 2026年度社区评定",
                tree["home"].name_en,
                datetime.date(2026, 12, 11),
                False,
                "",
            )
        ],
    )
    assert found["services.admission"] == (
        1,
        [("Decide the request of 县卫健局", "", None, False, "Received on 2 December 2026")],
    )
    links = {a.text.strip(): a.get("href") for a in soup(response).select(".task__what")}
    assert (
        links["Moderate an opinion on 2026年度社区评定"]
        == f"/ratings/manage/r2026/objections/{opinion.pk}/"
    )
    assert links["Decide the request of 县卫健局"] == f"/services/admission/{request.pk}/"


def test_a_judge_scores_what_is_left_and_the_chair_closes_when_all_is_in(en, users, tree):
    meeting = datetime.date(2026, 12, 9)
    review = make_round(
        status=RoundStatus.REVIEW, code="r2026", name="2026年度社区评定", review_meeting_on=meeting
    )
    declarations = [
        make_declaration(round=review, community=tree[c]) for c in ("home", "neighbour", "far")
    ]
    make_assignment(round=review, judge=users["judge"])
    chair = make_user(Role.JUDGE, username="chair")
    make_assignment(round=review, judge=chair, is_chair=True)
    ScoreSheet.objects.create(judge=users["judge"], declaration=declarations[0])
    ConflictOfInterest.objects.create(
        round=review, judge=users["judge"], community=tree["far"], reason="亲属"
    )
    for declaration in declarations:
        ScoreSheet.objects.create(judge=chair, declaration=declaration)
    en.force_login(users["judge"])

    judge = work(en.get("/manage/todo/"))
    en.force_login(chair)
    chair_work = work(en.get("/manage/todo/"))

    assert judge == {
        "ratings.score": (1, [("Score 1 community for 2026年度社区评定", "", meeting, False, "")])
    }
    # The chair's own sheets are in, but the judge's is not: nothing to close yet.
    assert chair_work == {}
    ScoreSheet.objects.create(judge=users["judge"], declaration=declarations[1])
    assert work(en.get("/manage/todo/")) == {
        "ratings.score": (
            1,
            [
                (
                    "Close the scoring of 2026年度社区评定",
                    "",
                    meeting,
                    False,
                    "Every score sheet is in.",
                )
            ],
        )
    }


def test_an_empty_list_says_so(en, users):
    en.force_login(users["judge"])

    response = en.get("/manage/todo/")

    assert response.context["works"] == []
    assert "nothing is waiting for you" in soup(response).select_one(".lead").text


def test_the_list_shows_the_first_ten_of_a_kind_and_links_to_the_rest(en, users):
    township = make_township()
    for n in range(13):
        make_return(
            community=make_community(township=township, code=f"c{n:02d}"),
            period=datetime.date(2026, 11, 1),
            status=ReturnStatus.APPROVED,
        )
    en.force_login(users["county"])

    response = en.get("/manage/todo/")

    total, tasks = work(response)["returns.approved"]
    assert (total, len(tasks)) == (13, 10)
    more = soup(response).select_one(".work__more a")
    assert more.get("href") == "/returns/?status=approved"
    assert " ".join(more.text.split()) == "3 more: see the full list"


# ---------- Queries ----------


def _queries(client, url):
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    assert response.status_code == 200
    return len(queries)


def _grow(tree, count):
    township = tree["north"]
    for n in range(count):
        community = make_community(
            township=township, code=f"g{count}-{n:02d}", premises_area_m2=Decimal(1)
        )
        make_term(body=make_body(community=community), ends_on=TODAY)
        make_return(
            community=community, period=datetime.date(2026, 11, 1), status=ReturnStatus.SUBMITTED
        )
        make_return(
            community=community, period=datetime.date(2026, 10, 1), status=ReturnStatus.APPROVED
        )
    notice = make_round(status=RoundStatus.NOTICE, code=f"n{count}", notice_ends_on=TODAY)
    for n in range(count):
        Objection.objects.create(
            round=notice, community=tree["home"], text="意见", sender_hash=f"{count}-{n}"
        )
        AdmissionRequest.objects.create(
            department=f"部门{count}-{n}", task="任务", received_on=TODAY
        )
        make_round(status=RoundStatus.PLANNED, code=f"p{count}-{n}", declarations_open_on=TODAY)


@pytest.mark.parametrize("role", ["county", "township", "clerk"])
def test_the_to_do_list_runs_the_same_queries_however_much_work_there_is(client, users, tree, role):
    client.force_login(users[role])
    client.get("/manage/todo/")  # the session's first read out of the way
    _grow(tree, 2)
    few = _queries(client, "/manage/todo/")
    _grow(tree, 15)
    many = _queries(client, "/manage/todo/")

    # Session, user, scope, and the work (the page and the navigation share it).
    assert few == many == 3 + NAV_QUERIES[Role(role)]


# ---------- The reports' index ----------


@pytest.mark.parametrize(
    ("role", "titles"),
    [
        (
            "clerk",
            [
                "Figures by area",
                "Cross-indicator table",
                "Terms due",
                "Space standard",
                "Service reports",
                "Rating results",
            ],
        ),
        (
            "township",
            [
                "Reporting completeness",
                "Figures by area",
                "Cross-indicator table",
                "Statistics and published reports",
                "Terms due",
                "Space standard",
                "Service reports",
                "Rating results",
            ],
        ),
    ],
)
def test_the_reports_index_lists_what_the_role_may_open(en, users, role, titles):
    en.force_login(users[role])

    response = en.get("/manage/reports/")

    assert [a.text.strip() for a in soup(response).select(".report-index__title")] == titles
    for link in soup(response).select(".report-index__title"):
        assert en.get(link.get("href")).status_code == 200


@pytest.mark.parametrize(("role", "status"), [("judge", 403), ("no_role", 403)])
def test_the_reports_index_is_for_the_staff(client, users, role, status):
    client.force_login(users[role])

    assert client.get("/manage/reports/").status_code == status


# ---------- The home page announces an open notice ----------


def test_the_home_page_announces_the_rounds_under_public_notice(en, client):
    open_notice = make_round(
        status=RoundStatus.NOTICE,
        code="r2026",
        name="2026年度社区评定",
        notice_starts_on=TODAY - datetime.timedelta(days=1),
        notice_ends_on=TODAY + datetime.timedelta(days=4),
    )
    make_round(  # not yet begun, ended, or not under notice: not announced
        status=RoundStatus.NOTICE,
        code="later",
        notice_starts_on=TODAY + datetime.timedelta(days=1),
        notice_ends_on=TODAY + datetime.timedelta(days=8),
    )
    make_round(
        status=RoundStatus.NOTICE,
        code="ended",
        notice_starts_on=TODAY - datetime.timedelta(days=9),
        notice_ends_on=TODAY - datetime.timedelta(days=1),
    )
    make_round(status=RoundStatus.FINAL, code="final")

    banner = soup(en.get("/")).select_one(".notice-banner")

    assert [a["href"] for a in banner.select("a")] == [f"/ratings/{open_notice.code}/notice/"]
    assert " ".join(banner.select_one("li").text.split()) == (
        "2026年度社区评定: the proposed results are under public notice until 11 December 2026;"
        " anyone may send an opinion until then."
    )


def test_the_home_page_has_no_banner_without_an_open_notice(client):
    assert soup(client.get("/")).select_one(".notice-banner") is None


def test_the_admin_is_branded_as_the_portal_with_a_way_back(en, users):
    en.force_login(users["county"])

    page = soup(en.get("/admin/"))

    assert page.select_one("#site-name a").text == (
        "Chun'an community-building portal: administration"
    )
    assert page.select_one("link[rel=icon]")["href"].endswith("images/favicon.svg")
    assert any(link["href"].endswith("css/admin_brand.css") for link in page.select("link"))
    back = page.select_one("#user-tools a")
    assert (back.text, back["href"]) == ("Back to the portal", "/manage/todo/")


# ---------- A refused form says so at the top ----------


def test_a_refused_judge_assignment_is_summed_up_at_the_top(en, users):
    review = make_round(status=RoundStatus.REVIEW, code="r2026")
    en.force_login(users["county"])

    response = en.post(f"/ratings/manage/{review.code}/judges/", {"username": "nobody-here"})

    assert response.status_code == 400
    summary = soup(response).select_one("#error-summary")
    assert summary.select_one("h2").text == "Nothing was saved. Check the following:"
    links = [link["href"] for link in summary.select("a")]
    assert links == ["#id_username"]
    assert soup(response).select_one("#id_username") is not None


def test_a_revocation_without_its_reason_is_summed_up_at_the_top(en, users, tree):
    final = make_round(status=RoundStatus.FINAL, code="f2025", year=2025)
    Rating.objects.create(
        round=final,
        community=tree["home"],
        tier=Tier.NORMATIVE,
        valid_until=datetime.date(2027, 12, 31),
    )
    en.force_login(users["county"])

    response = en.post(f"/ratings/manage/{final.code}/ratings/home/revoke/", {"reason": " "})

    assert response.status_code == 400
    summary = soup(response).select_one("#error-summary")
    assert [link["href"] for link in summary.select("a")] == ["#id_reason"]
    assert not Rating.objects.get(round=final).revoked_on
