import datetime
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from communities.access import PUBLIC_ACCESS, Access, access_for
from communities.models import Community, Facility, GovernanceBody, Role, UserScope
from communities.permissions import can_add, can_change, can_delete, can_view, scope_q
from tests.factories import (
    make_body,
    make_branch,
    make_community,
    make_facility,
    make_honour,
    make_pairing,
    make_term,
    make_township,
    make_user,
)

pytestmark = pytest.mark.django_db


def _violates(fn):
    with pytest.raises(IntegrityError), transaction.atomic():
        fn()


def test_community_code_unique():
    make_community(code="xiyuan")
    _violates(lambda: make_community(code="xiyuan"))


def test_township_code_unique():
    make_township(code="qiandaohu")
    _violates(lambda: make_township(code="qiandaohu"))


def test_community_name_unique_within_township_only():
    township = make_township()
    make_community(township=township, name="西园社区")
    make_community(name="西园社区")  # another township: allowed
    _violates(lambda: make_community(township=township, name="西园社区"))


def test_community_premises_cannot_be_negative():
    _violates(lambda: make_community(premises_area_m2=Decimal("-1")))


def test_facility_area_cannot_be_negative():
    _violates(lambda: make_facility(area_m2=Decimal("-0.5")))


def test_facility_absent_has_no_area():
    _violates(lambda: make_facility(present=False, area_m2=Decimal("10")))


def test_facility_one_per_kind():
    community = make_community()
    make_facility(community=community, kind="police_room")
    _violates(lambda: make_facility(community=community, kind="police_room"))


def test_term_must_end_after_it_starts():
    start = datetime.date(2021, 6, 1)
    _violates(lambda: make_term(starts_on=start, ends_on=start))


def test_term_elected_before_it_starts():
    start = datetime.date(2021, 6, 1)
    _violates(lambda: make_term(starts_on=start, elected_on=start + datetime.timedelta(days=1)))


def test_term_full_clean_names_the_rule():
    term = make_term()
    term.ends_on = term.starts_on - datetime.timedelta(days=1)
    with pytest.raises(ValidationError) as excinfo:
        term.full_clean()
    assert "communities_term_ends_after_start" in str(excinfo.value)


def test_party_level_only_on_party_organisation():
    community = make_community()
    _violates(
        lambda: GovernanceBody.objects.create(
            community=community, kind="residents_committee", party_level="branch", name="x"
        )
    )
    _violates(lambda: GovernanceBody.objects.create(community=community, kind="party", name="y"))


def test_one_governance_body_per_kind():
    body = make_body()
    _violates(lambda: make_body(community=body.community, kind=body.kind))


def test_pairing_must_end_after_it_starts():
    _violates(
        lambda: make_pairing(
            started_on=datetime.date(2010, 1, 1), ended_on=datetime.date(2009, 1, 1)
        )
    )


def test_pairing_branch_must_belong_to_paired_community():
    branch = make_branch()
    pairing = make_pairing()
    pairing.party_branch = branch
    with pytest.raises(ValidationError) as excinfo:
        pairing.full_clean()
    assert list(excinfo.value.message_dict) == ["party_branch"]


def test_honour_year_range():
    _violates(lambda: make_honour(year=1800))


def test_userscope_place_must_match_role():
    user = make_user()
    township = make_township()
    _violates(lambda: UserScope.objects.create(user=user, role=Role.CLERK, township=township))
    _violates(lambda: UserScope.objects.create(user=user, role=Role.COUNTY, township=township))


@pytest.mark.parametrize(
    ("households", "premises", "required", "shortfall"),
    [
        (1000, "250.0", "200.0", "0"),
        (2000, "350.0", "400.0", "50.0"),
        (1755, "351.0", "351.0", "0"),
        (0, "0", "0.0", "0"),
    ],
)
def test_space_standard_20m2_per_100_households(households, premises, required, shortfall):
    community = make_community(households=households, premises_area_m2=Decimal(premises))
    assert community.space_required_m2 == Decimal(required)
    assert community.space_shortfall_m2 == Decimal(shortfall)
    assert community.meets_space_standard is (Decimal(shortfall) == 0)


def test_below_space_standard_lists_only_shortfalls_with_gap():
    short = make_community(households=2000, premises_area_m2=Decimal("350"))
    make_community(households=1000, premises_area_m2=Decimal("250"))
    make_community(households=1750, premises_area_m2=Decimal("350"))  # exactly met
    rows = list(Community.objects.below_space_standard())
    assert [c.pk for c in rows] == [short.pk]
    assert rows[0].space_gap == Decimal("50.0")


def test_access_for_each_role(users, tree):
    assert access_for(users["county"]) == Access(role="county")
    assert access_for(users["township"]) == Access(role="township", township_id=tree["north"].pk)
    assert access_for(users["clerk"]) == Access(
        role="clerk", township_id=tree["north"].pk, community_id=tree["home"].pk
    )
    assert access_for(users["judge"]) == Access(role="judge")
    assert access_for(users["no_role"]) is PUBLIC_ACCESS


def test_access_for_inactive_user_is_public(users):
    users["county"].is_active = False
    users["county"].save()
    assert access_for(users["county"]) is PUBLIC_ACCESS


def test_access_for_superuser_is_county():
    user = make_user(is_superuser=True)
    assert access_for(user).is_county


def test_access_is_read_once_per_user_object(users, django_assert_num_queries):
    user = users["clerk"]
    with django_assert_num_queries(1):
        access_for(user)
        access_for(user)


@pytest.mark.parametrize(
    ("role", "expected"),
    [
        ("county", {"home", "neighbour", "far"}),
        ("township", {"home", "neighbour"}),
        ("other_township", {"far"}),
        ("clerk", {"home"}),
        ("other_clerk", {"far"}),
        ("judge", set()),
        ("no_role", set()),
    ],
)
def test_visible_to_scopes_communities_and_their_records(users, tree, role, expected):
    for community in tree.values():
        if isinstance(community, Community):
            make_facility(community=community)
    user = users[role]
    assert {c.code for c in Community.objects.visible_to(user)} == expected
    assert {f.community.code for f in Facility.objects.visible_to(user)} == expected


@pytest.mark.parametrize(
    ("role", "own", "other"),
    [
        ("county", True, True),
        ("township", True, False),
        ("clerk", True, False),
        ("judge", False, False),
        ("no_role", False, False),
    ],
)
def test_permissions_follow_scope(users, tree, role, own, other):
    user = users[role]
    mine = make_facility(community=tree["home"])
    theirs = make_facility(community=tree["far"])
    assert can_view(user, Facility, mine) is own
    assert can_change(user, Facility, mine) is own
    assert can_change(user, Facility, theirs) is other
    assert can_view(user, Facility, theirs) is other


@pytest.mark.parametrize(
    ("role", "add_community", "change_own_community", "add_honour", "add_township"),
    [
        ("county", True, True, True, True),
        ("township", False, True, True, False),
        ("clerk", False, True, False, False),
        ("judge", False, False, False, False),
    ],
)
def test_role_policy(
    users, tree, role, add_community, change_own_community, add_honour, add_township
):
    from communities.models import Honour, Township

    user = users[role]
    assert can_add(user, Community) is add_community
    assert can_change(user, Community, tree["home"]) is change_own_community
    assert can_delete(user, Community, tree["home"]) is (role == "county")
    assert can_add(user, Honour) is add_honour
    assert can_add(user, Township) is add_township


def test_scope_q_for_judge_matches_nothing(users, tree):
    make_facility(community=tree["home"])
    assert not Facility.objects.filter(scope_q(access_for(users["judge"]), Facility)).exists()


def test_party_branch_must_hang_under_party_organisation():
    branch = make_branch()
    branch.organisation = make_body(kind=GovernanceBody.Kind.ASSEMBLY)
    with pytest.raises(ValidationError) as excinfo:
        branch.full_clean()
    assert list(excinfo.value.message_dict) == ["organisation"]
