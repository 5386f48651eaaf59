import datetime
from decimal import Decimal
from io import StringIO

import pytest
from django.core.management import call_command
from django.utils import translation

from communities.models import Indicator, IndicatorGroup, IndicatorRule, Ratio

pytestmark = pytest.mark.django_db

D = datetime.date
REQUIRED = {
    "households",
    "residents",
    "residents_60_plus",
    "disabled_residents",
    "entitled_groups",
    "registered_unemployed",
    "reemployed",
    "requests_received",
    "requests_resolved",
}


def _load_indicators():
    out = StringIO()
    with translation.override("en"):
        call_command("load_indicators", stdout=out)
    return out.getvalue().splitlines()


def _row_counts():
    models = (IndicatorGroup, Indicator, IndicatorRule, Ratio)
    return {model.__name__: (model.objects.count(), model.history.count()) for model in models}


def test_load_indicators_creates_the_eight_groups_in_order():
    _load_indicators()

    assert list(IndicatorGroup.objects.values_list("code", "name", "name_en")) == [
        ("population", "人口", "Population"),
        ("assistance", "社会救助", "Social assistance"),
        ("employment", "就业和社会保障", "Re-employment and social security"),
        ("volunteers", "志愿服务", "Volunteers"),
        ("party", "党建", "Party building"),
        ("culture", "文体活动", "Culture and sports"),
        ("requests", "居民诉求", "Residents' requests"),
        ("cobuilding", "社区共建", "Co-building"),
    ]


def test_load_indicators_creates_the_23_indicators_in_display_order():
    _load_indicators()

    rows = Indicator.objects.values_list("group__code", "code", "name", "unit", "value_type")
    assert list(rows) == [
        ("population", "households", "户数", "户", "integer"),
        ("population", "residents", "居民人数", "人", "integer"),
        ("population", "residents_60_plus", "60岁以上居民", "人", "integer"),
        ("population", "disabled_residents", "残疾人", "人", "integer"),
        ("population", "entitled_groups", "优抚对象", "人", "integer"),
        ("assistance", "households_in_difficulty_paired", "结对帮扶困难户", "户", "integer"),
        ("assistance", "help_visits_hardship", "助困走访", "次", "integer"),
        ("assistance", "help_visits_medical", "助医服务", "次", "integer"),
        ("assistance", "help_visits_schooling", "助学帮扶", "次", "integer"),
        ("employment", "registered_unemployed", "登记失业人员", "人", "integer"),
        ("employment", "reemployed", "本月再就业人数", "人", "integer"),
        ("employment", "training_classes", "技能培训班", "期", "integer"),
        ("employment", "trainees", "培训人次", "人次", "integer"),
        ("employment", "processing_participants", "来料加工参与人数", "人", "integer"),
        ("volunteers", "registered_volunteers", "注册志愿者", "人", "integer"),
        ("volunteers", "volunteer_hours", "志愿服务时长", "小时", "decimal"),
        ("party", "party_members", "党员人数", "人", "integer"),
        ("party", "inservice_party_members", "在职党员到社区报到人数", "人", "integer"),
        ("party", "party_activities", "党组织活动", "次", "integer"),
        ("culture", "cultural_events", "文体活动", "次", "integer"),
        ("requests", "requests_received", "受理居民诉求", "件", "integer"),
        ("requests", "requests_resolved", "办结居民诉求", "件", "integer"),
        ("cobuilding", "cobuilding_funds", "共建资金到位", "元", "decimal"),
    ]


def test_load_indicators_sets_required_minimum_and_help_text():
    _load_indicators()

    indicators = list(Indicator.objects.all())
    assert {i.code for i in indicators if i.required} == REQUIRED
    assert {i.minimum for i in indicators} == {Decimal(0)}
    assert [i.code for i in indicators if i.maximum is None] == ["cobuilding_funds"]
    assert [i.code for i in indicators if not i.help_text or not i.name_en] == []


def test_load_indicators_creates_the_seven_rules():
    _load_indicators()

    rules = IndicatorRule.objects.values_list("left__code", "operator", "right__code")
    assert set(rules) == {
        ("reemployed", "lte", "registered_unemployed"),
        ("requests_resolved", "lte", "requests_received"),
        ("residents_60_plus", "lte", "residents"),
        ("disabled_residents", "lte", "residents"),
        ("entitled_groups", "lte", "residents"),
        ("households", "lte", "residents"),
        ("households_in_difficulty_paired", "lte", "households"),
    }
    assert len(rules) == 7


def test_load_indicators_cobuilding_funds_start_in_2026():
    _load_indicators()

    december = set(Indicator.objects.active_in(D(2025, 12, 1)).values_list("code", flat=True))
    january = set(Indicator.objects.active_in(D(2026, 1, 1)).values_list("code", flat=True))

    assert january - december == {"cobuilding_funds"}
    assert (len(december), len(january)) == (22, 23)
    assert Indicator.objects.active_in(D(2024, 12, 1)).count() == 0


def test_load_indicators_twice_adds_no_row_and_no_history():
    first_output = _load_indicators()
    first = _row_counts()

    second_output = _load_indicators()

    assert (
        _row_counts()
        == first
        == {
            "IndicatorGroup": (8, 8),
            "Indicator": (23, 23),
            "IndicatorRule": (7, 7),
            "Ratio": (4, 4),
        }
    )
    assert first_output == ["Indicator catalogue loaded: 42 created, 0 updated, 0 unchanged."]
    assert second_output == ["Indicator catalogue loaded: 0 created, 0 updated, 42 unchanged."]


def test_load_indicators_keeps_the_countys_edits():
    _load_indicators()
    trainees = Indicator.objects.get(code="trainees")
    trainees.maximum = Decimal(500)
    trainees.name = "培训人数"
    trainees.required = True
    trainees.active_to = D(2026, 6, 1)
    trainees.save()
    rule = IndicatorRule.objects.get(left__code="households", right__code="residents")
    rule.operator = IndicatorRule.Operator.LT
    rule.message = "户数应少于居民人数。"
    rule.save()
    IndicatorGroup.objects.filter(code="party").update(name="党的建设")
    counts = _row_counts()

    output = _load_indicators()

    trainees.refresh_from_db()
    rule.refresh_from_db()
    assert (trainees.maximum, trainees.name, trainees.required) == (Decimal(500), "培训人数", True)
    assert trainees.active_to == D(2026, 6, 1)
    assert (rule.operator, rule.message) == ("lt", "户数应少于居民人数。")
    assert IndicatorGroup.objects.get(code="party").name == "党的建设"
    assert _row_counts() == counts
    assert output == ["Indicator catalogue loaded: 0 created, 0 updated, 42 unchanged."]


def test_load_indicators_adds_back_only_what_is_missing():
    _load_indicators()
    IndicatorRule.objects.filter(left__code="reemployed").delete()

    output = _load_indicators()

    assert IndicatorRule.objects.filter(left__code="reemployed").count() == 1
    assert output == ["Indicator catalogue loaded: 1 created, 0 updated, 41 unchanged."]
