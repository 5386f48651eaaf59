"""A round's results: the aggregate from the database, the staff ranking page, confirmation
into ratings, revocation, and the proposed results on the public page during the notice."""

import datetime
import re
import zoneinfo
from decimal import Decimal

import pytest
import time_machine
from django.conf import settings
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from chunan_community.errors import Refused
from communities.models import Role
from ratings import domain
from ratings.models import (
    ConflictOfInterest,
    Criterion,
    CutOff,
    Prerequisite,
    Rating,
    Round,
    RoundEvent,
    RoundStatus,
    Score,
    ScoreSheet,
    Tier,
)
from ratings.queries import round_results
from ratings.scoring import DroppedScore
from tests.factories import make_community, make_user
from tests.queries import NAV_QUERIES
from tests.ratings.factories import make_assignment, make_criterion, make_declaration, make_round

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("english_ui")]

NOTICE_ENDS = datetime.date(2026, 2, 7)
AFTER_NOTICE = datetime.date(2026, 2, 8)
SHANGHAI = zoneinfo.ZoneInfo("Asia/Shanghai")


def _sheet(judge, declaration, points=None, abstained=False):
    sheet = ScoreSheet.objects.create(judge=judge, declaration=declaration, abstained=abstained)
    for criterion, value in (points or {}).items():
        Score.objects.create(sheet=sheet, criterion=criterion, points=Decimal(value))
    return sheet


@pytest.fixture
def scored(tree, users):
    """A round under notice, scored by five judges (J1 chair … J5), plus J6 who declared a
    link with `home` (a stale sheet of theirs must not count) and J7 who abstained on `home`.

    Normative: org (max 20, weight 1), svc (max 30, weight 2), facilities (portal data, 10:
    nobody has them). Star: star-a (max 50). Cut-offs: normative 40; 1 star 40, 2 stars 60.
    home and neighbour declare normative, far 3 stars (it holds a normative rating from 2025),
    extra (no rating) normative with low scores.
    """
    round_ = make_round(
        code="r2026",
        year=2026,
        status=RoundStatus.NOTICE,
        review_meeting_on=datetime.date(2026, 1, 20),
        notice_starts_on=datetime.date(2026, 2, 1),
        notice_ends_on=NOTICE_ENDS,
    )
    org = make_criterion(round=round_, code="org", name="组织建设", max_points=20, sort_order=1)
    svc = make_criterion(
        round=round_, code="svc", name="服务网络", max_points=30, weight=2, sort_order=2
    )
    make_criterion(
        round=round_,
        code="fac",
        name="五室二站",
        source=Criterion.Source.FACILITIES,
        sort_order=3,
    )
    star = make_criterion(round=round_, code="star-a", name="星级项", tier=Tier.STAR, max_points=50)
    CutOff.objects.create(round=round_, tier=Tier.NORMATIVE, min_score=40)
    CutOff.objects.create(round=round_, tier=Tier.STAR, stars=1, min_score=40)
    CutOff.objects.create(round=round_, tier=Tier.STAR, stars=2, min_score=60)

    earlier = make_round(code="r2025", year=2025, status=RoundStatus.FINAL)
    Rating.objects.create(
        round=earlier,
        community=tree["far"],
        tier=Tier.NORMATIVE,
        valid_until=datetime.date(2027, 12, 31),
    )
    extra = make_community(township=tree["south"], code="extra")

    judges = [users["judge"]] + [make_user(Role.JUDGE, username=f"j{n}") for n in range(2, 8)]
    for n, judge in enumerate(judges, start=1):
        make_assignment(round=round_, judge=judge, is_chair=n == 1)
    j6, j7 = judges[5:]

    home = make_declaration(round=round_, community=tree["home"])
    neighbour = make_declaration(round=round_, community=tree["neighbour"])
    far = make_declaration(
        round=round_, community=tree["far"], target_tier=Tier.STAR, target_stars=3
    )
    low = make_declaration(round=round_, community=extra)
    for judge, o, s in zip(judges[:5], (10, 12, 14, 16, 18), (20, 22, 24, 26, 28), strict=True):
        _sheet(judge, home, {org: o, svc: s})
        _sheet(judge, neighbour, {org: 15, svc: 15})
        _sheet(judge, low, {org: 5, svc: 5})
    for judge, p in zip(judges[:5], (30, 40, 50, 45, 35), strict=True):
        _sheet(judge, far, {star: p})
    # J6's sheet predates their declared link: it must be ignored.
    _sheet(j6, home, {org: 0, svc: 0})
    ConflictOfInterest.objects.create(round=round_, judge=j6, community=tree["home"], reason="居住")
    _sheet(j7, home, abstained=True)
    return {
        "round": round_,
        "judges": judges,
        "org": org,
        "svc": svc,
        "star": star,
        "home": home,
        "far": far,
        "extra": extra,
    }


def _lines(results):
    return [
        (
            r.category,
            r.declaration.community.code,
            r.rank,
            r.total,
            r.tier,
            r.stars,
            r.reached,
        )
        for r in results
    ]


# ---------- The aggregate ----------


def test_round_results_trimmed_ranked_with_tiers(scored):
    results = round_results(scored["round"])

    assert _lines(results) == [
        ("normative", "home", 1, Decimal("62.00"), "normative", None, True),
        ("normative", "neighbour", 2, Decimal("45.00"), "normative", None, True),
        ("normative", "extra", 3, Decimal("15.00"), None, None, False),
        ("star", "far", 1, Decimal("40.00"), "star", 1, True),
    ]


def test_round_results_drop_extremes_ignore_conflict_and_abstention(scored):
    j1, j5 = scored["judges"][0], scored["judges"][4]

    home = round_results(scored["round"])[0]

    org, svc, fac = home.criteria
    assert (org.mean, org.judges_counted, org.dropped_high, org.dropped_low) == (
        Decimal("14.00"),
        3,
        DroppedScore(j5.pk, Decimal("18.00")),
        DroppedScore(j1.pk, Decimal("10.00")),
    )
    assert (svc.mean, svc.weighted) == (Decimal("24.00"), Decimal("48.00"))
    assert (fac.mean, fac.finding.met) == (Decimal("0.00"), False)
    # J6 (conflicted) has no counted sheet; J7's abstention is kept but ignored.
    assert sorted((s.judge.username, s.abstained) for s in home.sheets) == [
        ("j2", False),
        ("j3", False),
        ("j4", False),
        ("j5", False),
        ("j7", True),
        ("judge", False),
    ]


def test_round_results_star_needs_standing_explained(scored):
    far = round_results(scored["round"])[-1]

    assert far.explanation == [
        "The total 40.00 reaches the 1-star cut-off 40.00.",
        "3 stars were declared.",
    ]
    assert far.criteria[0].dropped_high.points == Decimal("50.00")


@pytest.mark.parametrize(
    ("prerequisite", "tier", "stars", "reached"),
    [(Prerequisite.HELD, None, None, False), (Prerequisite.HELD_OR_REACHED, Tier.STAR, 1, True)],
)
def test_round_results_star_without_a_rating_in_force_by_the_rounds_rule(
    scored, users, prerequisite, tier, stars, reached
):
    Rating.objects.filter(community=scored["far"].community).delete()
    Round.objects.filter(pk=scored["round"].pk).update(prerequisite=prerequisite)
    scored["round"].refresh_from_db()

    far = round_results(scored["round"])[-1]

    assert (far.tier, far.stars, far.reached) == (tier, stars, reached)
    assert far.explanation[0] == (
        "A star rating needs a normative rating in force."
        if prerequisite == Prerequisite.HELD
        else "The total 40.00 reaches the cut-off of Normative community (40.00) in this round, "
        "which meets the prerequisite."
    )


def test_round_confirm_rates_star_at_once_under_held_or_reached(scored, users):
    Rating.objects.filter(community=scored["far"].community).delete()
    Round.objects.filter(pk=scored["round"].pk).update(prerequisite=Prerequisite.HELD_OR_REACHED)

    domain.round_confirm(round=scored["round"], by=users["county"], today=AFTER_NOTICE)

    rating = Rating.objects.get(round=scored["round"], community=scored["far"].community)
    assert (rating.tier, rating.stars, rating.rank, rating.score) == (
        Tier.STAR,
        1,
        1,
        Decimal("40.00"),
    )


# ---------- The ranking page ----------


def _ranking(client, user, code="r2026"):
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    client.force_login(user)
    return client.get(reverse("ratings:staff_ranking", kwargs={"code": code}))


def _ranked_rows(content):
    return re.findall(
        r'<tr data-community="([\w-]+)">\s*<td class="num">(\d+)</td>'
        r'.*?<td class="num">([\d.]+)</td>',
        content,
        re.S,
    )


def test_ranking_page_county_sees_all_with_judges_and_dropped(client, scored, users):
    response = _ranking(client, users["county"])

    content = response.content.decode()
    assert _ranked_rows(content) == [
        ("home", "1", "62.00"),
        ("neighbour", "2", "45.00"),
        ("extra", "3", "15.00"),
        ("far", "1", "40.00"),
    ]
    assert response.context["show_names"] is True
    assert ">j5</th>" in content
    home_org = re.search(
        r'id="sheet-home".*?<tr data-criterion="org">(.*?)</tr>', content, re.S
    ).group(1)
    assert re.findall(r'data-state="([\w-]+)"', home_org) == [
        "dropped-low",
        "counted",
        "counted",
        "counted",
        "dropped-high",
        "missing",
        "abstained",
    ]
    assert "<s>18.00</s>" in home_org and "<s>10.00</s>" in home_org
    assert "export/scores.xlsx" in content


def test_ranking_page_chair_sees_all(client, scored, users):
    response = _ranking(client, users["judge"])

    assert len(_ranked_rows(response.content.decode())) == 4
    assert response.context["show_names"] is True


def test_ranking_page_township_sees_own_lines_without_names(client, scored, users):
    response = _ranking(client, users["township"])

    content = response.content.decode()
    assert _ranked_rows(content) == [("home", "1", "62.00"), ("neighbour", "2", "45.00")]
    assert ">j5</th>" not in content
    assert response.context["show_names"] is False
    assert ">Judge 5</th>" in content
    assert "export/scores.xlsx" not in content


def test_ranking_page_clerk_sees_own_line(client, scored, users):
    response = _ranking(client, users["clerk"])

    assert [code for code, *_ in _ranked_rows(response.content.decode())] == ["home"]


@pytest.mark.parametrize("role", ["no_role"])
def test_ranking_page_no_role_404(client, scored, users, role):
    assert _ranking(client, users[role]).status_code == 404


def test_ranking_page_ordinary_judge_404(client, scored):
    assert _ranking(client, scored["judges"][1]).status_code == 404


def test_ranking_page_township_without_declaration_404(client, scored, users):
    # South's only declarations are far and extra, but other_township covers south: make a
    # township user with no community declared.
    from tests.factories import make_township

    lonely = make_user(Role.TOWNSHIP, township=make_township(), username="lonely")

    assert _ranking(client, lonely).status_code == 404


def test_ranking_page_before_scoring_closed_404(client, scored, users):
    Round.objects.filter(pk=scored["round"].pk).update(status=RoundStatus.REVIEW)

    assert _ranking(client, users["county"]).status_code == 404


def test_ranking_page_anonymous_sent_to_login(client, scored):
    response = client.get(reverse("ratings:staff_ranking", kwargs={"code": "r2026"}))

    assert response.status_code == 302
    assert response.url.startswith("/accounts/login/")


# ---------- Confirmation ----------


def test_round_confirm_records_reached_ratings_and_final(scored, users):
    round_ = domain.round_confirm(round=scored["round"], by=users["county"], today=AFTER_NOTICE)

    assert (round_.status, round_.finalised_on) == (RoundStatus.FINAL, AFTER_NOTICE)
    rows = sorted(
        Rating.objects.filter(round=round_).values_list(
            "community__code", "tier", "stars", "score", "rank", "valid_until"
        )
    )
    until = datetime.date(2028, 12, 31)
    assert rows == [
        ("far", "star", 1, Decimal("40.00"), 1, until),
        ("home", "normative", None, Decimal("62.00"), 1, until),
        ("neighbour", "normative", None, Decimal("45.00"), 2, until),
    ]
    assert Rating.objects.get(round=round_, community__code="far").explanation == (
        "The total 40.00 reaches the 1-star cut-off 40.00. 3 stars were declared."
    )
    event = RoundEvent.objects.get(round=round_)
    assert (event.from_status, event.to_status, event.by) == ("notice", "final", users["county"])


def test_round_confirm_before_notice_ends_refused(scored, users):
    with pytest.raises(Refused) as refused:
        domain.round_confirm(round=scored["round"], by=users["county"], today=NOTICE_ENDS)

    assert refused.value.message == (
        "The public notice runs until 7 February 2026: the results can be confirmed after it."
    )
    assert not Rating.objects.filter(round=scored["round"]).exists()
    assert Round.objects.get(pk=scored["round"].pk).status == RoundStatus.NOTICE


@pytest.mark.parametrize("role", ["township", "clerk", "judge", "no_role"])
def test_round_confirm_non_county_refused(scored, users, role):
    with pytest.raises(Refused) as refused:
        domain.round_confirm(round=scored["round"], by=users[role], today=AFTER_NOTICE)

    assert refused.value.message == "Only county civil-affairs staff confirm a round's results."
    assert not Rating.objects.filter(round=scored["round"]).exists()


def test_round_confirm_twice_refused(scored, users):
    domain.round_confirm(round=scored["round"], by=users["county"], today=AFTER_NOTICE)

    with pytest.raises(Refused):
        domain.round_confirm(round=scored["round"], by=users["county"], today=AFTER_NOTICE)

    assert Rating.objects.filter(round=scored["round"]).count() == 3


def test_round_advance_cannot_reach_final(scored, users):
    with pytest.raises(Refused) as refused:
        domain.round_advance(round=scored["round"], to=RoundStatus.FINAL, by=users["county"])

    assert refused.value.message == (
        "A round under public notice is made final by confirming its results."
    )
    assert Round.objects.get(pk=scored["round"].pk).status == RoundStatus.NOTICE


def test_confirm_page_county_confirms(client, scored, users, monkeypatch):
    monkeypatch.setattr("django.utils.timezone.localdate", lambda *a: AFTER_NOTICE)
    client.force_login(users["county"])
    url = reverse("ratings:staff_round_confirm", kwargs={"code": "r2026"})

    page = client.get(url)
    assert [r.declaration.community.code for r in page.context["reached"]] == [
        "home",
        "neighbour",
        "far",
    ]
    response = client.post(url, {"note": "公示无异议"})

    assert response.status_code == 302
    assert RoundEvent.objects.get(round=scored["round"]).note == "公示无异议"
    assert Rating.objects.filter(round=scored["round"]).count() == 3


def test_confirm_page_during_the_notice_disables_its_button(client, scored, users):
    client.force_login(users["county"])
    url = reverse("ratings:staff_round_confirm", kwargs={"code": "r2026"})

    with time_machine.travel(datetime.datetime(2026, 2, 7, 10, tzinfo=SHANGHAI), tick=False):
        content = client.get(url).content.decode()

    assert (
        '<button type="submit" class="button" disabled aria-describedby="confirm-too-early">'
        "Yes, confirm the results</button>" in content
    )
    assert re.search(r'id="confirm-too-early">(.*?)</p>', content)[1] == (
        "The public notice runs until 7 February 2026: the results can be confirmed after it."
    )


def test_confirm_page_township_404(client, scored, users):
    client.force_login(users["township"])

    response = client.post(reverse("ratings:staff_round_confirm", kwargs={"code": "r2026"}))

    assert response.status_code == 404
    assert Round.objects.get(pk=scored["round"].pk).status == RoundStatus.NOTICE


def test_profile_shows_the_confirmed_rating(client, scored, users):
    domain.round_confirm(round=scored["round"], by=users["county"], today=AFTER_NOTICE)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"

    content = client.get(scored["far"].community.get_absolute_url()).content.decode()

    history = re.search(r'id="rating-history">(.*?)</section>', content, re.S).group(1)
    assert re.findall(r'<tr data-round="([\w-]+)">', history) == ["r2026", "r2025"]
    assert "1-star community" in history


# ---------- Revocation ----------


@pytest.fixture
def confirmed(scored, users):
    domain.round_confirm(round=scored["round"], by=users["county"], today=AFTER_NOTICE)
    return Rating.objects.get(round=scored["round"], community__code="home")


def test_rating_revoke_with_reason(confirmed, users):
    rating = domain.rating_revoke(
        rating=confirmed, by=users["county"], reason="年度考核不合格", today=AFTER_NOTICE
    )

    rating.refresh_from_db()
    assert (rating.revoked_on, rating.revoked_reason) == (AFTER_NOTICE, "年度考核不合格")
    assert rating.history.first().history_user == users["county"]
    assert not Rating.objects.in_force(AFTER_NOTICE).filter(pk=rating.pk).exists()


@pytest.mark.parametrize("reason", ["", "   "])
def test_rating_revoke_without_reason_refused(confirmed, users, reason):
    with pytest.raises(Refused) as refused:
        domain.rating_revoke(rating=confirmed, by=users["county"], reason=reason)

    assert refused.value.message == "Give the reason for revoking the rating."
    confirmed.refresh_from_db()
    assert confirmed.revoked_on is None


def test_rating_revoke_non_county_refused(confirmed, users):
    with pytest.raises(Refused):
        domain.rating_revoke(rating=confirmed, by=users["township"], reason="x")


def test_revoke_page_county_revokes(client, confirmed, users):
    client.force_login(users["county"])
    url = reverse("ratings:staff_rating_revoke", kwargs={"code": "r2026", "community": "home"})

    empty = client.post(url, {"reason": ""})
    assert empty.status_code == 400
    response = client.post(url, {"reason": "弄虚作假"})

    assert response.status_code == 302
    confirmed.refresh_from_db()
    assert confirmed.revoked_reason == "弄虚作假"


def test_revoke_page_clerk_404(client, confirmed, users):
    client.force_login(users["clerk"])
    url = reverse("ratings:staff_rating_revoke", kwargs={"code": "r2026", "community": "home"})

    assert client.post(url, {"reason": "x"}).status_code == 404
    confirmed.refresh_from_db()
    assert confirmed.revoked_on is None


# ---------- The public page during the notice ----------


def test_public_notice_page_shows_proposed_results(client, scored):
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"

    content = client.get("/ratings/r2026/").content.decode()

    rows = re.findall(
        r'<tr data-community="([\w-]+)">\s*<td class="num">(\d+)</td>.*?'
        r'<td class="num">([\d.]+)</td>\s*<td>([^<]+)</td>',
        content,
        re.S,
    )
    assert rows == [
        ("home", "1", "62.00", "Normative community"),
        ("neighbour", "2", "45.00", "Normative community"),
        ("extra", "3", "15.00", "not reached"),
        ("far", "1", "40.00", "1-star community"),
    ]
    assert ">j5<" not in content


# ---------- Query counts ----------


def _many(scored, count):
    """`count` declarations in all: more normative ones, each scored by the five judges."""
    township = scored["home"].community.township
    for _n in range(count - 4):
        declaration = make_declaration(
            round=scored["round"], community=make_community(township=township)
        )
        for judge in scored["judges"][:5]:
            _sheet(judge, declaration, {scored["org"]: 12, scored["svc"]: 20})


def _queries(client, url):
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    assert response.status_code == 200
    return len(queries)


@pytest.mark.parametrize("page", ["ranking", "public"])
def test_query_counts_do_not_grow(client, scored, users, page):
    if page == "ranking":
        client.force_login(users["county"])
        url = reverse("ratings:staff_ranking", kwargs={"code": "r2026"})
    else:
        url = "/ratings/r2026/"
    # 3 … 30 declarations: the fixture has 4; drop one for 3, then add up to 30.
    scored["extra"].declarations.all().delete()
    few = _queries(client, url)
    make_declaration(round=scored["round"], community=scored["extra"])
    _many(scored, 30)

    many = _queries(client, url)

    assert many == few
    if page == "ranking":
        # Session, user, role; the round; round_results (8); the panel; the navigation's.
        assert many == 13 + NAV_QUERIES[Role.COUNTY]
