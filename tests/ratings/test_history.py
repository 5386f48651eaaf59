"""The 2008 round from the county speech, loaded by `load_chunan`, and the demo's example
round (`load_example_round`, with `--demo-accounts`)."""

import datetime
import re
from io import StringIO

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command

from communities.loading import Loader
from communities.models import Community, Role
from operations.demo.ratings import load_example_round
from operations.demo.ratings_2008 import ROUND_CURRENT_DECLARATIONS
from ratings.models import (
    Criterion,
    CutOff,
    Declaration,
    JudgeAssignment,
    Prerequisite,
    Rating,
    Round,
    RoundStatus,
    Tier,
)
from tests.factories import make_community, make_user

pytestmark = pytest.mark.django_db

D = datetime.date

QIANDAOHU = {
    "西园社区",
    "南苑社区",
    "火炉尖社区",
    "江滨社区",
    "望湖社区",
    "李家坞社区",
    "新北社区",
    "施家塘社区",
}
ALL_TEN = QIANDAOHU | {"杨旗社区", "虹桥社区"}
THREE_STAR = {"西园社区", "南苑社区", "火炉尖社区", "江滨社区", "望湖社区"}
FOUR_STAR = {"李家坞社区", "新北社区", "施家塘社区"}

SECTION_RE = re.compile(
    r'<section class="results-category" data-category="([\w-]+)".*?</section>', re.S
)
COMMUNITY_RE = re.compile(
    r'<th scope="row" class="results-community"><a href="([^"]+)">([^<]+)</a>'
)


def _load():
    call_command("load_chunan", stdout=StringIO())


def results_on_page(content: str) -> dict[str, list[tuple[str, str]]]:
    """Category key → [(profile link, community name)], as the page lists them."""
    return {
        match.group(1): COMMUNITY_RE.findall(match.group(0))
        for match in SECTION_RE.finditer(content)
    }


def test_2008_results_page_matches_the_speech_community_by_community(client):
    _load()

    response = client.get("/ratings/2008/")

    assert response.status_code == 200
    results = results_on_page(response.content.decode())
    assert set(results) == {"normative", "star-3", "star-4"}
    names = {key: [name for _link, name in rows] for key, rows in results.items()}
    # Each community once, under the rating it reached; the page says that a star
    # community has also reached normative ("10个社区都达到规范社区，其中……").
    assert sorted(names["normative"]) == ["杨旗社区", "虹桥社区"]
    assert sorted(names["star-3"]) == sorted(THREE_STAR)
    assert sorted(names["star-4"]) == sorted(FOUR_STAR)
    assert sorted(name for rows in names.values() for name in rows) == sorted(ALL_TEN)
    assert 'id="listed-once"' in response.content.decode()
    links = {name: link for link, name in results["normative"]}
    assert links["杨旗社区"] == "/communities/yangqi/"


def test_2008_results_page_has_no_empty_columns_and_links_its_printable_notice(client, settings):
    _load()
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"

    content = client.get("/ratings/2008/").content.decode()

    headers = re.findall(r'<th scope="col"[^>]*>([^<]+)</th>', content)
    assert headers == ["Community", "Township", "Rating"] * 3
    assert 'href="/ratings/2008/notice/" id="notice-print-link"' in content


def test_2008_and_current_rounds_let_a_round_rate_normative_and_star_at_once():
    _load()
    _load_example_round(D(2026, 12, 7))

    assert dict(Round.objects.values_list("code", "prerequisite")) == {
        "2008": Prerequisite.HELD_OR_REACHED,
        "2026": Prerequisite.HELD_OR_REACHED,
    }


def test_2008_results_page_says_no_scores_were_kept(client):
    _load()

    content = client.get("/ratings/2008/", HTTP_ACCEPT_LANGUAGE="en").content.decode()

    assert 'id="from-record"' in content
    assert 'id="tie-break"' not in content


def test_2008_round_and_ratings_as_loaded():
    _load()

    round_ = Round.objects.get(code="2008")
    assert (round_.year, round_.status, round_.review_meeting_on, round_.results_from_record) == (
        2008,
        RoundStatus.FINAL,
        datetime.date(2008, 1, 18),
        True,
    )
    rows = set(
        Rating.objects.filter(round=round_).values_list(
            "community__name", "tier", "stars", "score", "rank", "valid_until"
        )
    )
    until = datetime.date(2010, 12, 31)
    assert rows == {
        *((name, Tier.STAR, 3, None, None, until) for name in THREE_STAR),
        *((name, Tier.STAR, 4, None, None, until) for name in FOUR_STAR),
        ("杨旗社区", Tier.NORMATIVE, None, None, None, until),
        ("虹桥社区", Tier.NORMATIVE, None, None, None, until),
    }


def _load_example_round(today):
    """The example round as `load_chunan --demo-accounts` loads it, with its sample
    declarations' communities and the demo's judge and clerk."""
    loader = Loader(change_reason="test")
    communities = {
        code: Community.objects.filter(code=code).first() or make_community(code=code)
        for code in ROUND_CURRENT_DECLARATIONS
    }
    User = get_user_model()
    judge = User.objects.filter(username="demo_judge").first() or make_user(
        Role.JUDGE, username="demo_judge"
    )
    clerk = User.objects.filter(username="demo_clerk").first() or make_user(
        Role.CLERK, community=communities["xiyuan"], username="demo_clerk"
    )
    current = load_example_round(
        loader, today=today, communities=communities, judge=judge, clerk=clerk
    )
    return loader, current


@pytest.mark.parametrize(
    ("today", "dates"),
    [
        (D(2026, 12, 7), (D(2026, 10, 28), D(2026, 11, 27), D(2026, 12, 7))),
        (D(2028, 2, 29), (D(2028, 1, 20), D(2028, 2, 19), D(2028, 2, 29))),
        (D(2027, 1, 1), (D(2026, 11, 22), D(2026, 12, 22), D(2027, 1, 1))),
    ],
)
def test_example_round_is_this_years_at_its_review_meeting_today(today, dates):
    _loader, current = _load_example_round(today)

    current.refresh_from_db()
    assert (current.code, current.year, current.name) == (
        str(today.year),
        today.year,
        f"{today.year}年度创建“规范、星级、花园”社区评定",
    )
    assert (current.status, current.scheme_is_example) == (RoundStatus.REVIEW, True)
    assert (
        current.declarations_open_on,
        current.declarations_close_on,
        current.review_meeting_on,
    ) == dates
    assert current.declarations_close_on < today == current.review_meeting_on


def test_example_round_has_its_declarations_in_and_the_demo_judge_chairing():
    _loader, current = _load_example_round(D(2026, 12, 7))

    declarations = Declaration.objects.filter(round=current).order_by("community__code")
    assert [
        (d.community.code, d.target_tier, d.target_stars, d.status, d.submitted_by_id is not None)
        for d in declarations
    ] == [
        ("huolujian", Tier.NORMATIVE, None, Declaration.Status.SUBMITTED, False),
        ("jiangbin", Tier.NORMATIVE, None, Declaration.Status.SUBMITTED, False),
        ("nanyuan", Tier.NORMATIVE, None, Declaration.Status.SUBMITTED, False),
        ("xiyuan", Tier.STAR, 3, Declaration.Status.SUBMITTED, True),
    ]
    assert {d.submitted_at.date() for d in declarations} == {D(2026, 11, 24)}
    assert list(
        JudgeAssignment.objects.filter(round=current).values_list("judge__username", "is_chair")
    ) == [("demo_judge", True)]


def test_a_later_load_leaves_the_rounds_declarations_and_panel_as_staff_left_them():
    _loader, current = _load_example_round(D(2026, 12, 7))
    Declaration.objects.filter(round=current, community__code="nanyuan").delete()
    JudgeAssignment.objects.filter(round=current).update(is_chair=False)

    _load_example_round(D(2026, 12, 8))

    assert Declaration.objects.filter(round=current).count() == 3
    assert JudgeAssignment.objects.get(round=current).is_chair is False


def test_example_round_has_the_example_scheme():
    _loader, current = _load_example_round(D(2026, 12, 7))

    cutoffs = list(CutOff.objects.filter(round=current).values_list("tier", "stars", "min_score"))
    assert [(t, s, int(m)) for t, s, m in cutoffs] == [
        ("garden", 0, 85),
        ("normative", 0, 60),
        ("star", 1, 60),
        ("star", 2, 68),
        ("star", 3, 76),
        ("star", 4, 84),
        ("star", 5, 92),
    ]
    sources = set(Criterion.objects.filter(round=current).values_list("source", flat=True))
    assert sources == set(Criterion.Source.values)
    for tier in Tier:
        total = sum(c.max_points for c in Criterion.objects.filter(round=current, tier=tier))
        assert total == 100


def test_load_chunan_twice_adds_no_round_rating_or_history():
    _load()
    _load_example_round(D(2026, 12, 7))
    counts = (
        Round.objects.count(),
        Rating.objects.count(),
        Criterion.objects.count(),
        CutOff.objects.count(),
        Round.history.count(),
        Rating.history.count(),
        Criterion.history.count(),
        CutOff.history.count(),
    )

    _load()
    _load_example_round(D(2026, 12, 7))

    assert counts == (2, 10, 18, 7, 2, 10, 18, 7)
    assert (
        Round.objects.count(),
        Rating.objects.count(),
        Criterion.objects.count(),
        CutOff.objects.count(),
        Round.history.count(),
        Rating.history.count(),
        Criterion.history.count(),
        CutOff.history.count(),
    ) == counts


def test_example_round_is_kept_as_staff_moved_and_adjusted_it():
    _loader, current = _load_example_round(D(2026, 12, 7))
    current.status = RoundStatus.DECLARATIONS_CLOSED
    current.save()
    CutOff.objects.filter(round=current, tier=Tier.NORMATIVE).update(min_score=65)

    # Loaded again in the new year: the round under way is kept, no 2027 round added.
    _load_example_round(D(2027, 1, 5))

    current.refresh_from_db()
    assert current.status == RoundStatus.DECLARATIONS_CLOSED
    assert CutOff.objects.get(round=current, tier=Tier.NORMATIVE).min_score == 65
    assert list(Round.objects.values_list("code", flat=True)) == ["2026"]


def test_example_round_of_a_new_year_once_the_last_one_is_confirmed():
    _loader, current = _load_example_round(D(2026, 12, 7))
    Round.objects.filter(pk=current.pk).update(status=RoundStatus.FINAL)

    _loader, later = _load_example_round(D(2027, 11, 20))

    assert sorted(Round.objects.values_list("code", "status")) == [
        ("2026", RoundStatus.FINAL),
        ("2027", RoundStatus.REVIEW),
    ]
    assert later.code == "2027"


@pytest.mark.parametrize("code", ["manage", "judging", "evidence"])
def test_round_code_cannot_shadow_the_staff_pages(code):
    from django.core.exceptions import ValidationError

    from ratings.models import Round

    round_ = Round(code=code, year=2027, name="2027年度评定")
    with pytest.raises(ValidationError) as excinfo:
        round_.full_clean()
    assert list(excinfo.value.message_dict) == ["code"]


def test_2008_printed_notice_is_the_announcement_of_the_results(client, settings):
    _load()
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"

    page = client.get("/ratings/2008/notice/").content.decode()

    assert re.search(r'id="notice-title">(.*?)</h1>', page)[1] == (
        "Announcement of the results of the 2008 “normative, star and garden” community rating"
    )
    period = re.sub(r"\s+", " ", re.search(r'id="notice-period">(.*?)</p>', page, re.S)[1])
    assert period.strip() == (
        "The proposed results were publicly announced for opinions before they were confirmed."
    )
    assert 'id="notice-from-record"' in page
    assert "hereby announced to the public" not in page
    assert 'id="notice-real-name"' not in page
    assert (
        re.findall(r'<th scope="col"[^>]*>([^<]+)</th>', page)
        == [
            "Community",
            "Township",
            "Rating",
        ]
        * 3
    )
    assert len(re.findall(r'<tr data-community="', page)) == 10
