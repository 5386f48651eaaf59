import datetime
import re
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from chunan_community.errors import Refused
from communities.models import Role
from ratings import domain
from ratings.models import (
    ConflictOfInterest,
    Criterion,
    JudgeAssignment,
    Round,
    RoundStatus,
    Score,
    ScoreSheet,
    Tier,
)
from tests.factories import make_community, make_user
from tests.html import error_summary_at_top
from tests.ratings.factories import (
    make_assignment,
    make_criterion,
    make_declaration,
    make_round,
)

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("english_ui")]


@pytest.fixture
def panel(tree, users):
    """A round at its review meeting: two judged criteria and one objective one for the
    normative tier; `home` and `far` declared; judge A (the chair) and judge B assigned."""
    round_ = make_round(code="r2026", status=RoundStatus.REVIEW)
    organisation = make_criterion(round=round_, code="org", name="组织建设", max_points=20)
    services = make_criterion(round=round_, code="svc", name="服务网络", max_points=30)
    make_criterion(round=round_, code="fac", name="五室二站", source=Criterion.Source.FACILITIES)
    make_criterion(round=round_, code="star-x", name="星级项", tier=Tier.STAR)
    chair = users["judge"]
    other = make_user(Role.JUDGE, username="judge_b")
    make_assignment(round=round_, judge=chair, is_chair=True)
    make_assignment(round=round_, judge=other)
    return {
        "round": round_,
        "org": organisation,
        "svc": services,
        "chair": chair,
        "other": other,
        "home": make_declaration(
            round=round_, community=tree["home"], self_assessment="我们的自评"
        ),
        "far": make_declaration(round=round_, community=tree["far"]),
    }


def _points(panel, org="15", svc="25"):
    return {panel["org"].pk: Decimal(org), panel["svc"].pk: Decimal(svc)}


def _save(panel, judge, declaration="home", **kwargs):
    kwargs.setdefault("points", _points(panel))
    kwargs.setdefault("abstain", False)
    return domain.sheet_save(declaration=panel[declaration], judge=judge, by=judge, **kwargs)


# ---------- Domain ----------


def test_sheet_save_assigned_judge_scores(panel):
    sheet = _save(panel, panel["other"])

    assert dict(sheet.scores.values_list("criterion__code", "points")) == {
        "org": Decimal("15.00"),
        "svc": Decimal("25.00"),
    }
    assert sheet.abstained is False


def test_sheet_save_again_changes_scores(panel):
    _save(panel, panel["other"])

    sheet = _save(panel, panel["other"], points=_points(panel, org="10"))

    assert ScoreSheet.objects.count() == 1
    assert sheet.scores.get(criterion__code="org").points == Decimal("10.00")


def test_sheet_save_unassigned_judge_refused(panel):
    outsider = make_user(Role.JUDGE, username="outsider")

    with pytest.raises(Refused) as refused:
        _save(panel, outsider)

    assert refused.value.message == "You are not on this round's panel."


def test_sheet_save_on_behalf_refused(panel, users):
    with pytest.raises(Refused):
        domain.sheet_save(
            declaration=panel["home"],
            judge=panel["other"],
            points=_points(panel),
            abstain=False,
            by=users["county"],
        )


def test_sheet_save_conflicted_judge_refused(panel, users):
    domain.conflict_declare(
        round=panel["round"],
        judge=panel["other"],
        community=panel["home"].community,
        reason="在该社区居住",
        by=users["county"],
    )

    with pytest.raises(Refused) as refused:
        _save(panel, panel["other"])

    name = panel["home"].community.local_name
    assert refused.value.message == (
        f"You declared a link with {name} (在该社区居住): you cannot score it."
    )
    assert not ScoreSheet.objects.exists()


def test_conflict_declare_by_judge_removes_earlier_sheet(panel):
    _save(panel, panel["other"])

    domain.conflict_declare(
        round=panel["round"],
        judge=panel["other"],
        community=panel["home"].community,
        reason="在该社区工作",
        by=panel["other"],
    )

    assert not ScoreSheet.objects.exists()
    assert ConflictOfInterest.objects.get().reason == "在该社区工作"


def test_conflict_declare_by_another_judge_refused(panel):
    with pytest.raises(Refused):
        domain.conflict_declare(
            round=panel["round"],
            judge=panel["other"],
            community=panel["home"].community,
            reason="x",
            by=panel["chair"],
        )


def test_sheet_save_abstain_clears_scores(panel):
    _save(panel, panel["other"])

    sheet = _save(panel, panel["other"], points={}, abstain=True)

    assert sheet.abstained is True
    assert not Score.objects.filter(sheet=sheet).exists()


def test_sheet_save_over_max_refused_naming_criterion(panel):
    with pytest.raises(Refused) as refused:
        _save(panel, panel["other"], points=_points(panel, svc="30.5"))

    assert refused.value.message == "Points for “服务网络” must be from 0 to 30."
    assert not ScoreSheet.objects.exists()


def test_sheet_save_missing_criterion_refused(panel):
    with pytest.raises(Refused) as refused:
        _save(panel, panel["other"], points={panel["org"].pk: Decimal(1)})

    assert refused.value.message == "Give points for “服务网络”, or abstain."


@pytest.mark.parametrize("status", [RoundStatus.DECLARATIONS_CLOSED, RoundStatus.RANKING])
def test_sheet_save_outside_review_refused(panel, status):
    panel["round"].status = status
    panel["round"].save()

    with pytest.raises(Refused):
        _save(panel, panel["other"])


def test_sheet_save_racing_close_one_outcome(panel):
    # The chair closes scoring while a judge's page still shows the round at review.
    stale = panel["home"]
    domain.scoring_close(round=panel["round"], by=panel["chair"])

    with pytest.raises(Refused):
        domain.sheet_save(
            declaration=stale,
            judge=panel["other"],
            points=_points(panel),
            abstain=False,
            by=panel["other"],
        )

    assert not ScoreSheet.objects.exists()


def test_judge_assign_requires_judge_role(panel, users):
    with pytest.raises(Refused) as refused:
        domain.judge_assign(
            round=panel["round"], judge=users["clerk"], is_chair=False, by=users["county"]
        )

    assert refused.value.message == "clerk does not have the review-panel judge role."


def test_judge_assign_new_chair_replaces_old(panel, users):
    domain.judge_assign(
        round=panel["round"], judge=panel["other"], is_chair=True, by=users["county"]
    )

    assert list(
        JudgeAssignment.objects.filter(round=panel["round"], is_chair=True).values_list(
            "judge__username", flat=True
        )
    ) == ["judge_b"]


def test_judge_assign_non_county_refused(panel, users):
    newcomer = make_user(Role.JUDGE)

    with pytest.raises(Refused):
        domain.judge_assign(
            round=panel["round"], judge=newcomer, is_chair=False, by=users["township"]
        )


def test_scoring_close_by_chair_moves_to_ranking(panel):
    round_ = domain.scoring_close(round=panel["round"], by=panel["chair"])

    assert round_.status == RoundStatus.RANKING
    assert list(round_.events.values_list("to_status", "by")) == [("ranking", panel["chair"].pk)]


def test_scoring_close_by_ordinary_judge_refused(panel):
    with pytest.raises(Refused):
        domain.scoring_close(round=panel["round"], by=panel["other"])


# ---------- Pages ----------


def _sheet_url(community="home"):
    return reverse("ratings:judging_sheet", kwargs={"code": "r2026", "community": community})


def _progress_url():
    return reverse("ratings:judging_progress", kwargs={"code": "r2026"})


def test_judging_sheet_judge_scores_through_page(client, panel):
    client.force_login(panel["other"])
    fields = {f"points_{panel['org'].pk}": "12", f"points_{panel['svc'].pk}": "20.5"}

    response = client.post(_sheet_url(), fields)

    assert response.status_code == 302
    sheet = ScoreSheet.objects.get(judge=panel["other"])
    assert dict(sheet.scores.values_list("criterion__code", "points")) == {
        "org": Decimal("12.00"),
        "svc": Decimal("20.50"),
    }
    page = client.get(_sheet_url())
    assert page.context["form"][f"points_{panel['svc'].pk}"].value() == "20.5"
    assert "我们的自评" in page.content.decode()
    assert [item["criterion"].code for item in page.context["evidence"]] == ["fac"]


def test_judging_sheet_over_max_shows_criterion(client, panel):
    client.force_login(panel["other"])

    response = client.post(
        _sheet_url(), {f"points_{panel['org'].pk}": "21", f"points_{panel['svc'].pk}": "1"}
    )

    assert response.status_code == 400
    assert response.context["form"].errors == {
        f"points_{panel['org'].pk}": ["Points must be from 0 to 20."]
    }
    assert not ScoreSheet.objects.exists()


def test_judging_sheet_refused_is_summed_up_at_the_top(client, panel):
    client.force_login(panel["other"])
    org, svc = f"points_{panel['org'].pk}", f"points_{panel['svc'].pk}"

    response = client.post(_sheet_url(), {org: "21", svc: ""})

    assert response.status_code == 400
    # The criterion's name first (the field's label), then what to do; each links to its box.
    assert error_summary_at_top(response) == [
        (f"#id_{org}", "组织建设: Points must be from 0 to 20."),
        (f"#id_{svc}", "服务网络: Give points, or abstain."),
    ]
    assert not ScoreSheet.objects.exists()


def test_judging_sheet_abstain(client, panel):
    client.force_login(panel["other"])

    response = client.post(_sheet_url(), {"abstain": "on"})

    assert response.status_code == 302
    assert ScoreSheet.objects.get().abstained is True


def test_judging_pages_unassigned_judge_404(client, panel):
    client.force_login(make_user(Role.JUDGE, username="outsider"))

    assert client.get(reverse("ratings:judging_list", kwargs={"code": "r2026"})).status_code == 404
    assert client.get(_sheet_url()).status_code == 404
    assert client.post(_sheet_url(), {"abstain": "on"}).status_code == 404
    assert client.get(_progress_url()).status_code == 404


@pytest.mark.parametrize("role", ["county", "township", "clerk", "no_role"])
def test_judging_sheet_non_judges_404(client, panel, users, role):
    client.force_login(users[role])

    assert client.get(_sheet_url()).status_code == 404


def test_judging_sheet_anonymous_sent_to_login(client, panel):
    response = client.get(_sheet_url())

    assert (response.status_code, response.url.split("?")[0]) == (302, "/accounts/login/")


def test_judging_conflicted_judge_page_refused(client, panel, users):
    domain.conflict_declare(
        round=panel["round"],
        judge=panel["other"],
        community=panel["home"].community,
        reason="在该社区居住",
        by=users["county"],
    )
    client.force_login(panel["other"])

    listing = client.get(reverse("ratings:judging_list", kwargs={"code": "r2026"}))
    page = client.get(_sheet_url())
    posted = client.post(
        _sheet_url(), {f"points_{panel['org'].pk}": "1", f"points_{panel['svc'].pk}": "1"}
    )

    rows = {row["declaration"].community.code: row["conflict"] for row in listing.context["rows"]}
    assert rows["home"].reason == "在该社区居住" and rows["far"] is None
    assert page.context["conflict"].reason == "在该社区居住"
    assert 'class="score-sheet"' not in page.content.decode()
    assert posted.status_code == 403
    assert not ScoreSheet.objects.exists()


def test_judging_isolation_before_close(client, panel):
    _save(panel, panel["other"], points=_points(panel, org="19.5", svc="29.5"))
    client.force_login(panel["chair"])

    pages = [
        client.get(_sheet_url()),
        client.get(reverse("ratings:judging_list", kwargs={"code": "r2026"})),
        client.get(_progress_url()),
        client.get(reverse("ratings:staff_round_detail", kwargs={"code": "r2026"})),
        client.get(reverse("ratings:staff_round_list")),
    ]

    for response in pages:
        assert response.status_code == 200
        text = response.content.decode()
        assert "19.5" not in text and "29.5" not in text
    assert pages[0].context["all_sheets"] is None
    assert pages[0].context["form"][f"points_{panel['org'].pk}"].value() is None


def test_judging_isolation_after_close_chair_sees_all_other_judge_not(client, panel):
    _save(panel, panel["other"], points=_points(panel, org="19.5", svc="29.5"))
    _save(panel, panel["chair"], points=_points(panel, org="11", svc="12"))
    domain.scoring_close(round=panel["round"], by=panel["chair"])

    client.force_login(panel["chair"])
    chair_page = client.get(_sheet_url())
    client.force_login(panel["other"])
    other_page = client.get(_sheet_url())

    assert [(s.judge.username, s.points_row) for s in chair_page.context["all_sheets"]] == [
        ("judge", [Decimal("11.00"), Decimal("12.00")]),
        ("judge_b", [Decimal("19.50"), Decimal("29.50")]),
    ]
    assert other_page.context["all_sheets"] is None
    assert 'id="all-scores"' not in other_page.content.decode()
    assert 'id="all-scores"' in chair_page.content.decode()


def test_judging_progress_exact(client, panel, users):
    third = make_declaration(
        round=panel["round"], community=make_community(township=panel["home"].community.township)
    )
    domain.conflict_declare(
        round=panel["round"],
        judge=panel["chair"],
        community=panel["far"].community,
        reason="亲属",
        by=users["county"],
    )
    _save(panel, panel["other"], "home")
    _save(panel, panel["chair"], "home", points={}, abstain=True)
    _save(panel, panel["other"], "far")
    client.force_login(panel["chair"])

    response = client.get(_progress_url())

    grid = {
        row["declaration"].community.code: [cell["state"] for cell in row["cells"]]
        for row in response.context["rows"]
    }
    assert grid == {
        "home": ["abstained", "scored"],
        "far": ["conflicted", "scored"],
        third.community.code: ["missing", "missing"],
    }
    assert response.context["totals"] == {
        "scored": 2,
        "abstained": 1,
        "conflicted": 1,
        "missing": 2,
    }
    assert response.context["can_close"] is True


def test_judging_progress_county_sees_ordinary_judge_404(client, panel, users):
    client.force_login(users["county"])
    assert client.get(_progress_url()).status_code == 200

    client.force_login(panel["other"])
    assert client.get(_progress_url()).status_code == 404


def test_scoring_close_before_the_review_meeting_needs_a_second_yes(panel):
    meeting = datetime.date(2026, 3, 5)
    Round.objects.filter(pk=panel["round"].pk).update(review_meeting_on=meeting)
    today = datetime.date(2026, 3, 2)

    with pytest.raises(Refused) as refused:
        domain.scoring_close(round=panel["round"], by=panel["chair"], today=today)
    assert refused.value.message.startswith(
        "The review meeting is set for 5 March 2026, 3 days from today: scoring would close "
        "before it is held."
    )

    closed = domain.scoring_close(
        round=panel["round"], by=panel["chair"], today=today, despite_dates=True
    )
    assert closed.status == RoundStatus.RANKING


def test_judging_close_through_page_asks_first(client, panel):
    client.force_login(panel["chair"])
    url = reverse("ratings:judging_close", kwargs={"code": "r2026"})

    asked = client.post(url)
    panel["round"].refresh_from_db()
    assert (asked.status_code, panel["round"].status) == (200, RoundStatus.REVIEW)
    page = asked.content.decode()
    assert f'<form method="post" action="{url}"' in page
    facts = re.search(r'id="advance-facts">(.*?)</ul>', page, re.S)[1]
    assert "<li>4 score sheets are still missing.</li>" in facts

    response = client.post(url, {"confirm": "1", "note": "评审结束"})

    assert response.status_code == 302
    panel["round"].refresh_from_db()
    assert panel["round"].status == RoundStatus.RANKING
    assert panel["round"].events.get().note == "评审结束"


def test_judging_close_before_the_meeting_without_the_tick_is_summed_up_at_the_top(client, panel):
    # The meeting is still to come: closing scoring now goes against its date.
    Round.objects.filter(pk=panel["round"].pk).update(review_meeting_on=datetime.date(2099, 1, 1))
    client.force_login(panel["chair"])

    response = client.post(
        reverse("ratings:judging_close", kwargs={"code": "r2026"}), {"confirm": "1"}
    )

    assert response.status_code == 400
    assert error_summary_at_top(response) == [
        (
            "#id_despite_dates",
            "Move on all the same, against the dates above: The move goes against the "
            "round's dates: tick the box to move on all the same.",
        )
    ]
    panel["round"].refresh_from_db()
    assert panel["round"].status == RoundStatus.REVIEW


def _add_declarations(panel, count):
    township = panel["home"].community.township
    for _n in range(count):
        declaration = make_declaration(
            round=panel["round"], community=make_community(township=township)
        )
        _save(
            panel, panel["other"], points=_points(panel), declaration="x", **{}
        ) if False else None
        domain.sheet_save(
            declaration=declaration,
            judge=panel["other"],
            points=_points(panel),
            abstain=False,
            by=panel["other"],
        )


def _count(client, url):
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    assert response.status_code == 200
    return len(queries)


def test_judging_query_counts_do_not_grow(client, panel):
    client.force_login(panel["chair"])
    _add_declarations(panel, 1)  # 3 declarations
    few = [
        _count(client, _sheet_url()),
        _count(client, _progress_url()),
        _count(client, reverse("ratings:judging_list", kwargs={"code": "r2026"})),
    ]

    _add_declarations(panel, 27)  # 30 declarations
    many = [
        _count(client, _sheet_url()),
        _count(client, _progress_url()),
        _count(client, reverse("ratings:judging_list", kwargs={"code": "r2026"})),
    ]

    assert few == many


def test_judges_round_list_query_count_does_not_grow_with_rounds(client, users):
    """round_actions reads a judge's places for the whole list at once (with_panel_places)."""
    judge = users["judge"]
    client.force_login(judge)
    url = reverse("ratings:staff_round_list")

    def add_rounds(count):
        for _ in range(count):
            make_assignment(round=make_round(status=RoundStatus.REVIEW), judge=judge)

    add_rounds(1)
    few = _count(client, url)
    add_rounds(3)
    many = _count(client, url)
    assert many == few
