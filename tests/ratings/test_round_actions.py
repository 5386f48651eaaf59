"""What each user may do with a round at each stage: ratings.domain.round_actions, the one
place the round's status rules are written, over the matrix of users and stages."""

import datetime

import pytest
from django.contrib.auth.models import AnonymousUser

from communities.access import access_for
from communities.models import Role
from ratings import domain
from ratings.models import ROUND_FLOW, RoundStatus
from tests.factories import make_user
from tests.ratings.factories import make_assignment, make_round

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("english_ui")]

TODAY = datetime.date(2026, 3, 2)

S = RoundStatus
FLAGS = (
    "manage",
    "change_panel",
    "moderate",
    "revoke",
    "declare",
    "score",
    "close_scoring",
    "confirm_page",
    "see_ranking",
    "see_all_sheets",
)
RANKED = {S.RANKING, S.NOTICE, S.FINAL, S.ARCHIVED}


def county(stage):
    flags = {"manage", "revoke"}
    if stage in (S.PLANNED, S.DECLARATIONS_OPEN, S.DECLARATIONS_CLOSED, S.REVIEW):
        flags.add("change_panel")
    if stage == S.DECLARATIONS_OPEN:
        flags.add("declare")
    if stage == S.REVIEW:
        flags.add("close_scoring")
    if stage in (S.NOTICE, S.FINAL, S.ARCHIVED):
        flags.add("moderate")
    if stage == S.NOTICE:
        flags.add("confirm_page")
    if stage in RANKED:
        flags.add("see_ranking")
    return flags


def township(stage):
    return {"see_ranking"} if stage in RANKED else set()


def clerk(stage):
    flags = township(stage)
    if stage == S.DECLARATIONS_OPEN:
        flags.add("declare")
    return flags


def chair(stage):
    if stage == S.REVIEW:
        return {"score", "close_scoring"}
    return {"see_ranking", "see_all_sheets"} if stage in RANKED else set()


def judge(stage):
    return {"score"} if stage == S.REVIEW else set()


def nobody(stage):
    return set()


# The next move each user is offered: (kind, to, allowed), by stage; None elsewhere.
COUNTY_MOVES = {
    S.PLANNED: ("advance", S.DECLARATIONS_OPEN, True),
    S.DECLARATIONS_OPEN: ("advance", S.DECLARATIONS_CLOSED, True),
    S.DECLARATIONS_CLOSED: ("advance", S.REVIEW, True),
    S.REVIEW: ("close_scoring", S.RANKING, True),
    S.RANKING: ("advance", S.NOTICE, True),
    # The notice ends today: the results can be confirmed from tomorrow.
    S.NOTICE: ("confirm", S.FINAL, False),
    S.FINAL: ("advance", S.ARCHIVED, True),
}
MATRIX = {
    "county": (county, COUNTY_MOVES),
    "township": (township, {}),
    "clerk": (clerk, {}),
    "chair": (chair, {S.REVIEW: ("close_scoring", S.RANKING, True)}),
    "judge": (judge, {}),
    "unassigned_judge": (nobody, {}),
    "no_role": (nobody, {}),
    "anonymous": (nobody, {}),
}


@pytest.fixture
def people(users):
    people = {
        **users,
        "chair": make_user(Role.JUDGE, username="chair"),
        "unassigned_judge": make_user(Role.JUDGE, username="unassigned_judge"),
        "anonymous": AnonymousUser(),
    }
    return people


def _round_at(stage, people):
    round_ = make_round(
        status=stage,
        notice_starts_on=datetime.date(2026, 2, 24),
        notice_ends_on=TODAY,
    )
    make_assignment(round=round_, judge=people["chair"], is_chair=True)
    make_assignment(round=round_, judge=people["judge"])
    return round_


@pytest.mark.parametrize("stage", ROUND_FLOW)
@pytest.mark.parametrize("who", list(MATRIX))
def test_round_actions_matrix(people, who, stage):
    round_ = _round_at(stage, people)
    expected_flags, moves = MATRIX[who]

    actions = domain.round_actions(round_, people[who], today=TODAY)

    assert {flag for flag in FLAGS if getattr(actions, flag)} == expected_flags(stage)
    move = actions.move and (actions.move.kind, actions.move.to, actions.move.allowed)
    assert move == moves.get(stage)


def test_round_actions_county_may_confirm_after_the_notice(people):
    round_ = _round_at(S.NOTICE, people)

    actions = domain.round_actions(round_, people["county"], today=TODAY + datetime.timedelta(1))

    assert (actions.move, actions.confirm_refusal) == (
        domain.Move("confirm", S.FINAL, True),
        None,
    )


@pytest.mark.parametrize(
    ("stage", "who", "refusal"),
    [
        (S.PLANNED, "clerk", "Declarations for this round are not open yet."),
        (
            S.DECLARATIONS_CLOSED,
            "county",
            "Declarations for this round are closed; the round is at “Declarations closed”.",
        ),
        (
            S.DECLARATIONS_OPEN,
            "township",
            "A declaration is made by the community's clerk or by county staff.",
        ),
        (
            S.DECLARATIONS_OPEN,
            "judge",
            "A declaration is made by the community's clerk or by county staff.",
        ),
        (S.DECLARATIONS_OPEN, "clerk", None),
    ],
)
def test_round_actions_declare_refusal(people, stage, who, refusal):
    actions = domain.round_actions(_round_at(stage, people), people[who], today=TODAY)

    assert actions.declare_refusal == refusal


@pytest.mark.parametrize(
    ("stage", "who", "refusal"),
    [
        (S.REVIEW, "unassigned_judge", "You are not on this round's panel."),
        (S.REVIEW, "county", "You are not on this round's panel."),
        (
            S.RANKING,
            "judge",
            "Scores can be entered only during the review meeting; "
            "the round is at “Scoring closed: ranking”.",
        ),
        (S.REVIEW, "judge", None),
    ],
)
def test_round_actions_score_refusal(people, stage, who, refusal):
    actions = domain.round_actions(_round_at(stage, people), people[who], today=TODAY)

    assert actions.score_refusal == refusal


@pytest.mark.parametrize(
    ("stage", "who", "refusal"),
    [
        (S.REVIEW, "judge", "Only the chair of the panel or county staff close scoring."),
        (
            S.RANKING,
            "chair",
            "Scoring can be closed only during the review meeting; "
            "the round is at “Scoring closed: ranking”.",
        ),
        (S.REVIEW, "chair", None),
    ],
)
def test_round_actions_close_refusal(people, stage, who, refusal):
    actions = domain.round_actions(_round_at(stage, people), people[who], today=TODAY)

    assert actions.close_refusal == refusal


@pytest.mark.parametrize(
    ("stage", "who", "refusal"),
    [
        (S.NOTICE, "clerk", "Only county civil-affairs staff confirm a round's results."),
        (
            S.RANKING,
            "county",
            "Only a round under public notice can be confirmed; "
            "the round is at “Scoring closed: ranking”.",
        ),
        (
            S.NOTICE,
            "county",
            "The public notice runs until 2 March 2026: the results can be confirmed after it.",
        ),
    ],
)
def test_round_actions_confirm_refusal(people, stage, who, refusal):
    actions = domain.round_actions(_round_at(stage, people), people[who], today=TODAY)

    assert actions.confirm_refusal == refusal


@pytest.mark.parametrize(
    ("stage", "who", "to", "refusal"),
    [
        (
            S.PLANNED,
            "chair",
            S.DECLARATIONS_OPEN,
            "Only county civil-affairs staff move a round on.",
        ),
        (S.PLANNED, "county", S.DECLARATIONS_OPEN, None),
        (
            S.PLANNED,
            "county",
            S.REVIEW,
            "The round is at “Planned”: it can only move on to “Declarations open”.",
        ),
        (
            S.NOTICE,
            "county",
            S.FINAL,
            "A round under public notice is made final by confirming its results.",
        ),
        (S.ARCHIVED, "county", S.ARCHIVED, "This round is archived: it has no further stage."),
    ],
)
def test_round_actions_advance_refusal(people, stage, who, to, refusal):
    actions = domain.round_actions(_round_at(stage, people), people[who], today=TODAY)

    assert actions.advance_refusal(to) == refusal


def test_round_actions_panel_refusal_once_scoring_is_closed(people):
    actions = domain.round_actions(_round_at(S.RANKING, people), people["county"], today=TODAY)

    assert actions.panel_refusal == (
        "The panel can no longer change: scoring is closed "
        "(the round is at “Scoring closed: ranking”)."
    )


@pytest.mark.parametrize(
    ("who", "queries"),
    [("county", 0), ("township", 0), ("clerk", 0), ("judge", 1), ("anonymous", 0)],
)
def test_round_actions_queries(people, who, queries, django_assert_num_queries):
    round_ = _round_at(S.REVIEW, people)
    user = people[who]
    access_for(user)  # the user's role is read once per request, before any page's rules

    with django_assert_num_queries(queries):
        domain.round_actions(round_, user, today=TODAY)
