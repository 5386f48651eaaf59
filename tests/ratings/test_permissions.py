"""Who gets which round, declaration and evidence file: the helpers of ratings.permissions,
over one matrix of users. Each helper returns the object or raises Http404, never 403."""

import pytest
from django.contrib.auth.models import AnonymousUser
from django.http import Http404

from communities.models import Role
from ratings.models import Declaration, Evidence, Round, RoundStatus
from ratings.permissions import (
    get_declaration_for_evidence,
    get_evidence_for_user,
    get_round_for_county,
    ranking_access,
)
from tests.factories import make_user
from tests.ratings.factories import make_assignment, make_declaration, make_round

pytestmark = pytest.mark.django_db

NOT_FOUND = "404"


@pytest.fixture
def matrix(tree, users):
    """A ranked round with one submitted declaration of `home` (north) holding one photo;
    a chair and an ordinary judge on its panel, a judge on no panel."""
    round_ = make_round(code="r", status=RoundStatus.RANKING)
    declaration = make_declaration(round=round_, community=tree["home"])
    evidence = Evidence.objects.create(
        declaration=declaration,
        kind=Evidence.Kind.IMAGE,
        file="evidence/r/photo",
        original_name="photo.jpg",
        content_type="image/jpeg",
        size=1,
    )
    chair = make_user(Role.JUDGE, username="chair")
    make_assignment(round=round_, judge=chair, is_chair=True)
    make_assignment(round=round_, judge=users["judge"])
    people = {
        **users,
        "chair": chair,
        "unassigned_judge": make_user(Role.JUDGE, username="unassigned_judge"),
        "anonymous": AnonymousUser(),
    }
    return {"round": round_, "declaration": declaration, "evidence": evidence, "people": people}


def outcome(helper, *args):
    try:
        return helper(*args)
    except Http404:
        return NOT_FOUND


ALL = [
    "county",
    "township",
    "other_township",
    "clerk",
    "other_clerk",
    "chair",
    "judge",
    "unassigned_judge",
    "no_role",
    "anonymous",
]


def test_ranking_access_matrix(matrix):
    round_ = matrix["round"]
    expected = {
        "county": (round_, True),
        "township": (round_, False),
        "other_township": NOT_FOUND,
        "clerk": (round_, False),
        "other_clerk": NOT_FOUND,
        "chair": (round_, True),
        "judge": NOT_FOUND,
        "unassigned_judge": NOT_FOUND,
        "no_role": NOT_FOUND,
        "anonymous": NOT_FOUND,
    }
    got = {who: outcome(ranking_access, matrix["people"][who], "r") for who in ALL}

    assert got == expected


def test_ranking_access_before_scoring_closed_is_404_for_everyone(matrix):
    Round.objects.filter(pk=matrix["round"].pk).update(status=RoundStatus.REVIEW)

    got = {who: outcome(ranking_access, matrix["people"][who], "r") for who in ALL}

    assert got == dict.fromkeys(ALL, NOT_FOUND)


def test_ranking_access_unknown_round_is_404_for_the_county(matrix):
    assert outcome(ranking_access, matrix["people"]["county"], "nope") == NOT_FOUND


def test_get_evidence_for_user_matrix(matrix):
    evidence = matrix["evidence"]
    seen = {"county", "township", "clerk", "chair", "judge"}
    expected = {who: evidence if who in seen else NOT_FOUND for who in ALL}

    got = {who: outcome(get_evidence_for_user, matrix["people"][who], evidence.pk) for who in ALL}

    assert got == expected


def test_get_evidence_for_user_draft_is_hidden_from_the_panel(matrix):
    Declaration.objects.filter(pk=matrix["declaration"].pk).update(status=Declaration.Status.DRAFT)
    evidence = matrix["evidence"]
    seen = {"county", "township", "clerk"}
    expected = {who: evidence if who in seen else NOT_FOUND for who in ALL}

    got = {who: outcome(get_evidence_for_user, matrix["people"][who], evidence.pk) for who in ALL}

    assert got == expected


def test_get_declaration_for_evidence_matrix(matrix):
    declaration = matrix["declaration"]
    expected = {who: declaration if who in ("county", "clerk") else NOT_FOUND for who in ALL}

    got = {
        who: outcome(get_declaration_for_evidence, matrix["people"][who], declaration.pk)
        for who in ALL
    }

    assert got == expected


def test_get_round_for_county_matrix(matrix):
    round_ = matrix["round"]
    expected = {who: round_ if who == "county" else NOT_FOUND for who in ALL}

    got = {who: outcome(get_round_for_county, matrix["people"][who], "r") for who in ALL}

    assert got == expected
