"""The ratings admin: the county keeps rounds and schemes; declarations and ratings are
read-only and scoped along the tree; judges and the public have no access."""

import datetime
from decimal import Decimal

import pytest
from django.urls import reverse

from ratings.models import Criterion, CutOff, Declaration, Rating, Round, RoundStatus, Tier

pytestmark = pytest.mark.django_db

COUNTY_ONLY_MODELS = ["round", "judgeassignment", "conflictofinterest", "scoresheet", "objection"]


def _url(model, action, *args):
    return reverse(f"admin:ratings_{model}_{action}", args=args)


@pytest.fixture
def round_(db):
    round_ = Round.objects.create(
        code="2026", year=2026, name="2026年度评定", status=RoundStatus.DECLARATIONS_OPEN
    )
    Criterion.objects.create(
        round=round_, tier=Tier.NORMATIVE, code="n-org", name="组织健全", max_points=20
    )
    CutOff.objects.create(round=round_, tier=Tier.NORMATIVE, min_score=60)
    return round_


@pytest.fixture
def scoped(tree, round_):
    """A declaration and a 2008-style rating for each community of the tree."""
    old = Round.objects.create(code="2008", year=2008, name="首届评定", status=RoundStatus.FINAL)
    for community in (tree["home"], tree["neighbour"], tree["far"]):
        Declaration.objects.create(round=round_, community=community, target_tier=Tier.NORMATIVE)
        Rating.objects.create(
            round=old,
            community=community,
            tier=Tier.NORMATIVE,
            valid_until=datetime.date(2010, 12, 31),
        )
    return old


def _round_post(round_, **extra):
    """The round's change form as the admin posts it, with its three inlines."""
    criterion = round_.criteria.get()
    cutoff = round_.cutoffs.get()
    data = {
        "code": round_.code,
        "year": round_.year,
        "name": round_.name,
        "notice_days": 7,
        "trim_extremes": "on",
        "trim_min_judges": 5,
        "prerequisite": "held_or_reached",
        "garden_min_stars": 4,
        "valid_years": 3,
        "issuing_office": round_.issuing_office,
        "criteria-TOTAL_FORMS": 2,
        "criteria-INITIAL_FORMS": 1,
        "criteria-0-id": criterion.pk,
        "criteria-0-round": round_.pk,
        "criteria-0-tier": "normative",
        "criteria-0-sort_order": 1,
        "criteria-0-code": "n-org",
        "criteria-0-name": "组织健全",
        "criteria-0-max_points": "25",
        "criteria-0-weight": "1",
        "criteria-0-source": "judged",
        "criteria-1-round": round_.pk,
        "criteria-1-tier": "star",
        "criteria-1-sort_order": 2,
        "criteria-1-code": "s-party",
        "criteria-1-name": "党建",
        "criteria-1-max_points": "30",
        "criteria-1-weight": "1",
        "criteria-1-source": "judged",
        "cutoffs-TOTAL_FORMS": 1,
        "cutoffs-INITIAL_FORMS": 1,
        "cutoffs-0-id": cutoff.pk,
        "cutoffs-0-round": round_.pk,
        "cutoffs-0-tier": "normative",
        "cutoffs-0-stars": 0,
        "cutoffs-0-min_score": "60",
        "events-TOTAL_FORMS": 0,
        "events-INITIAL_FORMS": 0,
    }
    data.update(extra)
    return data


def test_county_edits_a_rounds_criteria_but_not_its_status(client, users, round_):
    client.force_login(users["county"])

    response = client.post(
        _url("round", "change", round_.pk), _round_post(round_, status=RoundStatus.FINAL)
    )

    assert response.status_code == 302, response.context["errors"]
    round_.refresh_from_db()
    assert (round_.status, round_.prerequisite) == (
        RoundStatus.DECLARATIONS_OPEN,
        "held_or_reached",
    )
    assert list(round_.criteria.values_list("code", "max_points")) == [
        ("n-org", Decimal("25.00")),
        ("s-party", Decimal("30.00")),
    ]


@pytest.mark.parametrize("role", ["township", "clerk"])
def test_township_and_clerk_cannot_see_or_edit_rounds(client, users, round_, role):
    client.force_login(users[role])

    assert client.get(_url("round", "changelist")).status_code == 403
    assert client.get(_url("round", "change", round_.pk)).status_code == 403
    response = client.post(_url("round", "change", round_.pk), _round_post(round_))

    assert response.status_code == 403
    assert round_.criteria.get().max_points == Decimal("20.00")


@pytest.mark.parametrize("role", ["township", "clerk"])
@pytest.mark.parametrize("model", COUNTY_ONLY_MODELS)
def test_county_only_models_are_403_below_the_county(client, users, round_, role, model):
    client.force_login(users[role])

    assert client.get(_url(model, "changelist")).status_code == 403


@pytest.mark.parametrize("role", ["judge", "no_role"])
@pytest.mark.parametrize("model", [*COUNTY_ONLY_MODELS, "declaration", "rating"])
def test_judges_and_others_have_no_admin_access(client, users, round_, role, model):
    client.force_login(users[role])

    response = client.get(_url(model, "changelist"))

    assert response.status_code == 302
    assert response.url.startswith(reverse("admin:login"))


def test_anonymous_is_sent_to_the_admin_login(client, round_):
    response = client.get(_url("round", "changelist"))

    assert response.status_code == 302
    assert response.url.startswith(reverse("admin:login"))


VISIBLE = {
    "county": {"home", "neighbour", "far"},
    "township": {"home", "neighbour"},
    "clerk": {"home"},
}


@pytest.mark.parametrize("role", list(VISIBLE))
@pytest.mark.parametrize("model", ["declaration", "rating"])
def test_declarations_and_ratings_listed_in_scope(client, users, scoped, role, model):
    client.force_login(users[role])

    response = client.get(_url(model, "changelist"))

    assert response.status_code == 200
    assert {row.community.code for row in response.context["cl"].result_list} == VISIBLE[role]


def test_clerk_gets_404_for_another_communitys_declaration(client, users, scoped, tree):
    declaration = Declaration.objects.get(community=tree["far"])
    client.force_login(users["clerk"])

    assert client.get(_url("declaration", "change", declaration.pk)).status_code == 404


@pytest.mark.parametrize("role", list(VISIBLE))
@pytest.mark.parametrize("model", ["declaration", "rating"])
def test_declarations_and_ratings_are_read_only_for_everyone(
    client, users, scoped, tree, role, model
):
    row = (Declaration if model == "declaration" else Rating).objects.get(community=tree["home"])
    client.force_login(users[role])

    page = client.get(_url(model, "change", row.pk))
    posted = client.post(_url(model, "change", row.pk), {"tier": "garden", "target_tier": "garden"})

    assert page.status_code == 200
    assert page.context["has_change_permission"] is False
    assert posted.status_code == 403
    assert client.get(_url(model, "add")).status_code == 403
    row.refresh_from_db()
    assert getattr(row, "tier", None) != "garden" and getattr(row, "target_tier", None) != "garden"


def test_county_round_page_shows_status_read_only_and_no_delete(client, users, round_):
    client.force_login(users["county"])

    response = client.get(_url("round", "change", round_.pk))

    assert response.status_code == 200
    assert "status" not in response.context["adminform"].form.fields
    assert response.context["has_delete_permission"] is False
