import datetime
import re

import pytest
from django.urls import reverse

from chunan_community.errors import Refused
from ratings import domain
from ratings.models import CutOff, Declaration, Prerequisite, Rating, Round, RoundStatus, Tier
from tests.html import error_summary_at_top
from tests.ratings.factories import make_round

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("english_ui")]


@pytest.fixture
def open_round(db):
    return make_round(code="r2026", status=RoundStatus.DECLARATIONS_OPEN)


def _declare(round_, community, by, **kwargs):
    kwargs.setdefault("target_tier", Tier.STAR)
    kwargs.setdefault("target_stars", 3)
    kwargs.setdefault("self_assessment", "五室二站一校一场所齐全。")
    return domain.declaration_save(round=round_, community=community, by=by, **kwargs)


def test_declaration_save_clerk_declares_and_submits(open_round, tree, users):
    draft = _declare(open_round, tree["home"], users["clerk"])
    assert (draft.status, draft.submitted_at) == (Declaration.Status.DRAFT, None)

    submitted = _declare(open_round, tree["home"], users["clerk"], target_stars=4, submit=True)

    assert submitted.pk == draft.pk
    assert (submitted.status, submitted.target_stars, submitted.submitted_by) == (
        Declaration.Status.SUBMITTED,
        4,
        users["clerk"],
    )
    assert submitted.submitted_at is not None


def test_declaration_save_submitted_is_locked_until_withdrawn(open_round, tree, users):
    declaration = _declare(open_round, tree["home"], users["clerk"], submit=True)

    with pytest.raises(Refused) as refused:
        _declare(open_round, tree["home"], users["clerk"], target_tier=Tier.NORMATIVE)
    assert refused.value.message == (
        "This declaration is already submitted. Withdraw it first to change it."
    )

    withdrawn = domain.declaration_withdraw(declaration=declaration, by=users["clerk"])
    assert (withdrawn.status, withdrawn.submitted_at) == (Declaration.Status.WITHDRAWN, None)
    again = _declare(open_round, tree["home"], users["clerk"], target_tier=Tier.NORMATIVE)
    assert (again.status, again.target_tier, again.target_stars) == ("draft", "normative", None)


def test_declaration_save_other_community_refused(open_round, tree, users):
    with pytest.raises(Refused) as refused:
        _declare(open_round, tree["far"], users["clerk"])

    assert refused.value.message == (
        "A declaration is made by the community's clerk or by county staff."
    )
    assert not Declaration.objects.exists()


@pytest.mark.parametrize("role", ["township", "judge"])
def test_declaration_save_township_and_judge_refused(open_round, tree, users, role):
    with pytest.raises(Refused):
        _declare(open_round, tree["home"], users[role])

    assert not Declaration.objects.exists()


def test_declaration_save_county_may_declare(open_round, tree, users):
    declaration = _declare(open_round, tree["far"], users["county"], submit=True)

    assert declaration.status == Declaration.Status.SUBMITTED


@pytest.mark.parametrize(
    ("status", "message"),
    [
        (RoundStatus.PLANNED, "Declarations for this round are not open yet."),
        (
            RoundStatus.DECLARATIONS_CLOSED,
            "Declarations for this round are closed; the round is at “Declarations closed”.",
        ),
    ],
)
def test_declaration_save_outside_window_refused(tree, users, status, message):
    round_ = make_round(status=status)

    with pytest.raises(Refused) as refused:
        _declare(round_, tree["home"], users["clerk"])

    assert refused.value.message == message


@pytest.mark.parametrize("stars", [None, 0, 6])
def test_declaration_save_star_without_stars_refused(open_round, tree, users, stars):
    with pytest.raises(Refused) as refused:
        _declare(open_round, tree["home"], users["clerk"], target_stars=stars)

    assert refused.value.message == ("A star-community target needs a number of stars from 1 to 5.")


def test_declaration_save_other_tier_drops_stars(open_round, tree, users):
    declaration = _declare(open_round, tree["home"], users["clerk"], target_tier=Tier.GARDEN)

    assert declaration.target_stars is None


def test_declaration_withdraw_after_window_refused(open_round, tree, users):
    declaration = _declare(open_round, tree["home"], users["clerk"], submit=True)
    domain.round_advance(round=open_round, to=RoundStatus.DECLARATIONS_CLOSED, by=users["county"])

    with pytest.raises(Refused):
        domain.declaration_withdraw(declaration=declaration, by=users["clerk"])


# ---------- Pages ----------


def _url(community="home", code="r2026"):
    return reverse("ratings:declaration_edit", kwargs={"code": code, "community": community})


def test_declaration_page_clerk_submits(client, open_round, users):
    client.force_login(users["clerk"])
    assert client.get(reverse("ratings:declaration_own", kwargs={"code": "r2026"})).url == _url()

    response = client.post(
        _url(),
        {
            "target_tier": "star",
            "target_stars": "3",
            "self_assessment": "自评",
            "action": "submit",
        },
    )

    assert response.status_code == 302
    declaration = Declaration.objects.get()
    assert (declaration.community.code, declaration.status, declaration.target_stars) == (
        "home",
        "submitted",
        3,
    )
    page = client.get(_url()).content.decode()
    assert "The declaration is submitted." in page


def test_declaration_page_star_without_stars_shows_error(client, open_round, users):
    client.force_login(users["clerk"])

    response = client.post(_url(), {"target_tier": "star", "action": "save"})

    assert response.status_code == 400
    assert response.context["form"].errors == {
        "target_stars": ["A star-community target needs a number of stars from 1 to 5."]
    }
    assert not Declaration.objects.exists()


def test_declaration_page_refused_is_summed_up_at_the_top(client, open_round, users):
    client.force_login(users["clerk"])

    response = client.post(_url(), {"self_assessment": "组织健全", "action": "submit"})

    assert response.status_code == 400
    # A group of radio buttons: the link goes to the first.
    assert error_summary_at_top(response) == [
        ("#id_target_tier_0", "Creation target (tier): Choose the tier the community declares.")
    ]
    assert not Declaration.objects.exists()


def test_declaration_page_other_community_404(client, open_round, users):
    client.force_login(users["clerk"])

    assert client.get(_url("far")).status_code == 404
    assert (
        client.post(_url("far"), {"target_tier": "normative", "action": "save"}).status_code == 404
    )
    assert not Declaration.objects.exists()


@pytest.mark.parametrize("role", ["township", "judge", "no_role"])
def test_declaration_page_not_clerk_404(client, open_round, users, role):
    client.force_login(users[role])

    assert client.get(_url()).status_code == 404


def test_declaration_page_anonymous_sent_to_login(client, open_round):
    response = client.get(_url())

    assert (response.status_code, response.url.split("?")[0]) == (302, "/accounts/login/")


def test_declaration_page_closed_window_shows_reason(client, tree, users):
    make_round(code="r2026", status=RoundStatus.REVIEW)
    client.force_login(users["clerk"])

    page = client.get(_url())
    posted = client.post(_url(), {"target_tier": "normative", "action": "save"})

    assert page.context["refusal"] == (
        "Declarations for this round are closed; the round is at “Review meeting: scoring”."
    )
    assert page.context["editable"] is False
    assert posted.status_code == 403
    assert not Declaration.objects.exists()


def _shortfall(page):
    found = re.search(r'id="declaration-shortfall"><p>(.*?)</p></div>', page, re.S)
    return found and re.sub(r"<[^>]+>", "", found[1])


def _submit_star(client):
    return client.post(
        _url(),
        {"target_tier": "star", "target_stars": "3", "self_assessment": "", "action": "submit"},
        follow=True,
    )


@pytest.mark.parametrize(
    ("prerequisite", "advice"),
    [
        (
            Prerequisite.HELD,
            "A star rating needs a normative rating in force. On 15 January 2027, the review "
            "day, {home} holds no rating in force. As declared, it cannot receive this "
            "rating in this round: declare a tier it can reach.",
        ),
        (
            Prerequisite.HELD_OR_REACHED,
            "A star rating needs a normative rating in force, or a total in this round that "
            "reaches the normative cut-off 60.00. On 15 January 2027, the review day, "
            "{home} holds no rating in force. Its total in this round must therefore "
            "reach that cut-off as well.",
        ),
    ],
)
def test_declaration_page_says_what_a_star_target_lacks(
    client, open_round, tree, users, prerequisite, advice
):
    Round.objects.filter(pk=open_round.pk).update(
        prerequisite=prerequisite, review_meeting_on=datetime.date(2027, 1, 15)
    )
    CutOff.objects.create(round=open_round, tier=Tier.NORMATIVE, min_score=60)
    client.force_login(users["clerk"])

    response = _submit_star(client)

    assert _shortfall(response.content.decode()) == (
        "What the declared rating needs: " + advice.format(home=tree["home"].local_name)
    )


def test_declaration_page_says_nothing_when_the_rating_held_suffices(
    client, open_round, tree, users
):
    Rating.objects.create(
        round=make_round(code="r2025", year=2025, status=RoundStatus.FINAL),
        community=tree["home"],
        tier=Tier.NORMATIVE,
        valid_until=datetime.date(2099, 12, 31),
    )
    client.force_login(users["clerk"])

    response = _submit_star(client)

    assert "The declaration is submitted." in response.content.decode()
    assert _shortfall(response.content.decode()) is None
