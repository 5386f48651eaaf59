import datetime
import re
from collections import Counter
from decimal import Decimal
from io import StringIO

import pytest
from django.apps import apps
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.db.models import Avg, Count, Sum
from django.utils import translation

from communities.models import (
    CoBuildingPairing,
    CoBuildingUnit,
    Community,
    Facility,
    Formation,
    FormerArea,
    GovernanceBody,
    Honour,
    Indicator,
    IndicatorGroup,
    IndicatorRule,
    MonthlyReturn,
    PartyBranch,
    Ratio,
    Restructuring,
    Role,
    Term,
    Township,
    UserScope,
)
from communities.queries import below_space_standard, terms_due
from ratings.models import Round
from tests.factories import make_user

pytestmark = pytest.mark.django_db

QIANDAOHU = {
    "xiyuan",
    "nanyuan",
    "huolujian",
    "jiangbin",
    "wanghu",
    "lijiawu",
    "xinbei",
    "shijiatang",
}
DEMO_ACCOUNTS = {"demo_county", "demo_township", "demo_clerk", "demo_judge"}


def _load(*args):
    out = StringIO()
    with translation.override("en"):
        call_command("load_chunan", *args, stdout=out)
    return out.getvalue().splitlines()


def _row_counts():
    """Rows of every registry model, their history models included, and of users."""
    models = [*apps.get_app_config("communities").get_models(), get_user_model()]
    return {model._meta.label: model._default_manager.count() for model in models}


def test_load_chunan_creates_the_three_townships_in_order():
    _load()

    assert list(Township.objects.values_list("sort_order", "code", "name", "name_en", "kind")) == [
        (1, "qiandaohu", "千岛湖镇", "Qiandaohu Town", "town"),
        (2, "fenkou", "汾口镇", "Fenkou Town", "town"),
        (3, "weiping", "威坪镇", "Weiping Town", "town"),
    ]


def test_load_chunan_places_the_ten_communities_under_their_townships():
    _load()

    rows = Community.objects.values_list(
        "township__code", "code", "name", "name_en", "founded_year", "founded_on", "status"
    )
    assert set(rows) == {
        ("qiandaohu", "xiyuan", "西园社区", "Xiyuan Community", 2002, None, "active"),
        ("qiandaohu", "nanyuan", "南苑社区", "Nanyuan Community", 2002, None, "active"),
        ("qiandaohu", "huolujian", "火炉尖社区", "Huolujian Community", 2002, None, "active"),
        ("qiandaohu", "jiangbin", "江滨社区", "Jiangbin Community", 2002, None, "active"),
        ("qiandaohu", "wanghu", "望湖社区", "Wanghu Community", 2002, None, "active"),
        ("qiandaohu", "lijiawu", "李家坞社区", "Lijiawu Community", 2002, None, "active"),
        ("qiandaohu", "xinbei", "新北社区", "Xinbei Community", 2002, None, "active"),
        ("qiandaohu", "shijiatang", "施家塘社区", "Shijiatang Community", 2002, None, "active"),
        ("fenkou", "yangqi", "杨旗社区", "Yangqi Community", 2008, None, "active"),
        ("weiping", "hongqiao", "虹桥社区", "Hongqiao Community", 2008, None, "active"),
    }
    assert len(rows) == 10


def test_load_chunan_describes_the_premises_of_the_2008_communities():
    _load()

    descriptions = dict(
        Community.objects.filter(code__in=["yangqi", "hongqiao"]).values_list("code", "description")
    )
    assert "汾口镇将原镇二建公司办公楼拨付给社区使用" in descriptions["yangqi"]
    assert "进驻威坪镇文化科技中心办公" in descriptions["hongqiao"]


def test_load_chunan_restructuring_2002_forms_the_eight_qiandaohu_communities():
    _load()

    restructuring = Restructuring.objects.get()
    formations = list(Formation.objects.select_related("community", "former_area"))
    assert (restructuring.township.code, restructuring.effective_year) == ("qiandaohu", 2002)
    assert "12个居民区调整组建成8个社区" in restructuring.description
    assert FormerArea.objects.filter(township__code="qiandaohu").count() == 12
    assert len(formations) == 12
    assert {f.restructuring_id for f in formations} == {restructuring.pk}
    assert len({f.former_area_id for f in formations}) == 12
    assert {f.community.code for f in formations} == QIANDAOHU
    areas_per_community = Counter(f.community.code for f in formations)
    assert sorted(areas_per_community.values()) == [1, 1, 1, 1, 2, 2, 2, 2]


def test_load_chunan_honours_match_the_speech():
    _load()

    honours = set(Honour.objects.values_list("community__name", "title", "level"))
    assert honours == {
        ("西园社区", "县文明社区", "county"),
        ("南苑社区", "县文明社区", "county"),
        ("火炉尖社区", "县文明社区", "county"),
        ("江滨社区", "县文明社区", "county"),
        ("望湖社区", "县文明社区", "county"),
        ("李家坞社区", "县文明社区", "county"),
        ("新北社区", "县文明社区", "county"),
        ("施家塘社区", "县文明社区", "county"),
        ("新北社区", "市级文明社区", "city"),
        ("李家坞社区", "市级文明社区", "city"),
        ("南苑社区", "市级文明社区", "city"),
        ("江滨社区", "市级示范文明社区", "city"),
        ("南苑社区", "省级绿色社区", "province"),
        ("施家塘社区", "市级绿色社区", "city"),
        ("新北社区", "市级绿色社区", "city"),
        ("江滨社区", "市级绿色社区", "city"),
        ("施家塘社区", "省级示范社区居委会", "province"),
        ("施家塘社区", "市级优秀特色社区", "city"),
        ("施家塘社区", "市星光老年之家十佳社区", "city"),
    }
    assert Honour.objects.count() == 19
    assert set(Honour.objects.values_list("year", "awarding_body")) == {(None, "")}


def test_load_chunan_gives_each_community_nine_facilities_and_four_bodies():
    _load()

    counts = Community.objects.annotate(
        facility_count=Count("facilities", distinct=True),
        body_count=Count("governance_bodies", distinct=True),
    ).values_list("code", "facility_count", "body_count")
    assert set(counts) == {
        (code, 9, 4) for code in Community.objects.values_list("code", flat=True)
    }
    assert set(
        GovernanceBody.objects.filter(community__code="xiyuan").values_list("kind", "name")
    ) == {
        ("party", "西园社区党委"),
        ("assembly", "西园社区成员代表大会"),
        ("residents_committee", "西园社区居民委员会"),
        ("deliberation", "西园社区议事委员会"),
    }


def test_load_chunan_facilities_have_an_area_only_when_present_and_fit_the_premises():
    _load()

    assert Facility.objects.filter(present=True, area_m2__isnull=True).count() == 0
    assert Facility.objects.filter(present=False, area_m2__isnull=False).count() == 0
    # 各社区都建立了党建活动室、老年人活动中心: present everywhere.
    assert (
        Facility.objects.filter(kind__in=["party_room", "elderly_room"], present=True).count() == 20
    )
    for community in Community.objects.annotate(facility_area=Sum("facilities__area_m2")):
        assert community.facility_area <= community.premises_area_m2


def test_load_chunan_space_standard_leaves_three_qiandaohu_communities_short():
    county = make_user(Role.COUNTY)
    _load()

    average = Community.objects.filter(code__in=QIANDAOHU).aggregate(a=Avg("premises_area_m2"))
    below = [(c.code, c.space_gap) for c in below_space_standard(county)]
    assert average["a"] == Decimal(350)
    assert below == [("xiyuan", Decimal(32)), ("wanghu", Decimal(30)), ("huolujian", Decimal(26))]


def test_load_chunan_terms_due_on_2026_11_25_lists_three_communities():
    county = make_user(Role.COUNTY)
    _load()

    due = terms_due(county, days=90, today=datetime.date(2026, 11, 25))
    D = datetime.date
    assert [(b.community.code, b.kind, b.term_ends) for b in due] == [
        ("xiyuan", "party", D(2026, 12, 10)),
        ("nanyuan", "party", D(2026, 12, 14)),
        ("jiangbin", "party", D(2026, 12, 17)),
        ("xiyuan", "assembly", D(2027, 1, 8)),
        ("xiyuan", "residents_committee", D(2027, 1, 8)),
        ("nanyuan", "assembly", D(2027, 1, 15)),
        ("nanyuan", "residents_committee", D(2027, 1, 15)),
        ("jiangbin", "assembly", D(2027, 2, 12)),
        ("jiangbin", "residents_committee", D(2027, 2, 12)),
    ]


def test_load_chunan_gives_every_body_a_previous_and_a_current_term():
    _load()

    numbers = {}
    for code, kind, number in Term.objects.order_by("number").values_list(
        "body__community__code", "body__kind", "number"
    ):
        numbers.setdefault((code, kind), []).append(number)
    kinds = ("party", "assembly", "residents_committee", "deliberation")
    assert numbers == {
        **{(code, kind): [6, 7] for code in QIANDAOHU for kind in kinds},
        **{(code, kind): [1, 5] for code in ("yangqi", "hongqiao") for kind in kinds},
    }


def test_load_chunan_first_residents_committees_of_yangqi_and_hongqiao_elected_2008():
    _load()

    first = Term.objects.filter(body__kind="residents_committee", number=1)
    assert {(t.body.community.code, t.elected_on.year) for t in first} == {
        ("yangqi", 2008),
        ("hongqiao", 2008),
    }


def test_load_chunan_pairs_co_building_units_with_branches_of_their_community():
    _load()

    pairings = CoBuildingPairing.objects.values_list(
        "unit__name", "community__code", "party_branch__name"
    )
    assert set(pairings) == {
        ("县工贸资产经营有限公司", "lijiawu", "李家坞社区第一楼道党支部"),
        ("县建设局", "xiyuan", "西园社区第二楼道党支部"),
        ("县财政局", "jiangbin", "江滨社区第一楼道党支部"),
        ("县第一人民医院", "nanyuan", None),
    }
    assert CoBuildingUnit.objects.count() == 4


def test_load_chunan_flags_invented_rows_as_sample():
    _load()

    assert set(FormerArea.objects.values_list("is_sample", flat=True)) == {True}
    assert set(Community.objects.values_list("figures_are_sample", flat=True)) == {True}
    assert set(Term.objects.values_list("is_sample", flat=True)) == {True}
    assert set(PartyBranch.objects.values_list("is_sample", "is_building_level")) == {(True, True)}
    assert set(CoBuildingPairing.objects.values_list("is_sample", flat=True)) == {True}
    # What the speech says is loaded, with no sample flag to carry.
    assert Honour.objects.filter(community__code="shijiatang").count() == 5
    assert CoBuildingUnit.objects.filter(name="县工贸资产经营有限公司").count() == 1


def test_load_chunan_twice_changes_no_row_and_adds_no_history():
    first_output = _load("--demo-accounts")
    first = _row_counts()

    second_output = _load("--demo-accounts")

    assert _row_counts() == first
    assert first["communities.HistoricalCommunity"] == 10
    assert Community.history.count() == 10
    assert Term.history.count() == 80
    # The registry, the indicator catalogue, the 2008 ratings, the demo accounts, and the
    # sample returns, records and example round of the demo (built for the day of the load):
    # all created by the first run, all found by the second.
    created = re.fullmatch(
        r"Chun'an data loaded: (\d+) created, 0 updated, 0 unchanged\.", first_output[0]
    )
    assert created is not None
    assert second_output[0] == (
        f"Chun'an data loaded: 0 created, 0 updated, {created[1]} unchanged."
    )


def test_load_chunan_verbosity_0_prints_nothing():
    out = StringIO()

    call_command("load_chunan", demo_accounts=True, verbosity=0, stdout=out)

    assert out.getvalue() == ""
    assert Community.objects.count() == 10


def test_load_chunan_keeps_values_entered_later_and_restores_facts():
    _load()
    xiyuan = Community.objects.get(code="xiyuan")
    xiyuan.name = "西园"
    xiyuan.households = 2500
    xiyuan.figures_are_sample = False
    xiyuan.save()
    Honour.objects.filter(community=xiyuan).update(year=2006)

    output = _load()

    xiyuan.refresh_from_db()
    assert (xiyuan.name, xiyuan.households, xiyuan.figures_are_sample) == ("西园社区", 2500, False)
    assert list(Honour.objects.filter(community=xiyuan).values_list("year", flat=True)) == [2006]
    assert output[0] == "Chun'an data loaded: 0 created, 1 updated, 436 unchanged."


def test_load_chunan_without_demo_accounts_creates_no_user_no_return_and_no_example_round():
    _load()

    assert get_user_model().objects.count() == 0
    assert UserScope.objects.count() == 0
    assert MonthlyReturn.objects.count() == 0
    # Only the 2008 round of the record: a production load opens no example round.
    assert list(Round.objects.values_list("code", flat=True)) == ["2008"]


def test_load_chunan_loads_the_default_indicator_catalogue():
    _load()

    assert (IndicatorGroup.objects.count(), Indicator.objects.count()) == (8, 23)
    assert IndicatorRule.objects.count() == 7
    # The derived indicators too: `make run`'s aggregates offer them.
    assert list(Ratio.objects.values_list("code", flat=True)) == [
        "reemployment_rate",
        "volunteers_per_thousand",
        "request_resolution_rate",
        "cobuilding_funds_per_household",
    ]


def test_load_chunan_demo_accounts_get_their_role_and_password():
    output = _load("--demo-accounts")

    users = get_user_model().objects.filter(username__in=DEMO_ACCOUNTS).select_related("scope")
    assert {
        (
            u.username,
            u.scope.role,
            u.scope.township and u.scope.township.code,
            u.scope.community and u.scope.community.code,
            u.is_staff,
            u.is_superuser,
            u.is_active,
        )
        for u in users
    } == {
        ("demo_county", "county", None, None, True, False, True),
        ("demo_township", "township", "qiandaohu", None, True, False, True),
        ("demo_clerk", "clerk", None, "xiyuan", True, False, True),
        ("demo_judge", "judge", None, None, False, False, True),
    }
    assert {u.username for u in users if u.check_password("chunan-demo")} == DEMO_ACCOUNTS
    assert output[1] == (
        "Demonstration accounts demo_county, demo_township, demo_clerk, demo_judge, password "
        "chunan-demo: for demonstration only. Never create them on a server that holds real data."
    )


def test_load_chunan_demo_accounts_second_run_keeps_one_of_each():
    _load("--demo-accounts")
    hashes = dict(get_user_model().objects.values_list("username", "password"))

    _load("--demo-accounts")

    assert dict(get_user_model().objects.values_list("username", "password")) == hashes
    assert get_user_model().objects.filter(username__in=DEMO_ACCOUNTS).count() == 4
    # The demo accounts' and the sample returns' stand-in's.
    assert UserScope.objects.count() == 5
    assert UserScope.history.count() == 5


def test_load_chunan_demo_accounts_reset_a_changed_password_and_role():
    _load("--demo-accounts")
    clerk = get_user_model().objects.get(username="demo_clerk")
    clerk.set_password("something-else")
    clerk.is_staff = False
    clerk.save()
    UserScope.objects.filter(user=clerk).update(role=Role.COUNTY, community=None)

    _load("--demo-accounts")

    clerk.refresh_from_db()
    scope = UserScope.objects.get(user=clerk)
    assert (clerk.check_password("chunan-demo"), clerk.is_staff) == (True, True)
    assert (scope.role, scope.community.code) == ("clerk", "xiyuan")
