"""The default indicator catalogue of the monthly returns: pure data, no database access.

`manage.py load_indicators` (and `load_chunan`) create these groups, indicators, rules and
derived indicators (ratios) when they are missing. The catalogue is the county's to keep:
every value here is only a starting point, written when the row is created and never again,
so that a re-run keeps whatever county staff have changed since.

The themes follow the county speech: the five service networks (social assistance with
paired help 助困、助医、助学; re-employment and social security with skills training and
processing work 来料加工), volunteers and in-service Party members reporting to their
community, Party building, culture and sports, residents' requests, and co-building.
"""

import datetime
from decimal import Decimal

D = datetime.date
DEFAULT_ACTIVE_FROM = D(2025, 1, 1)

# (code, name, name in English, sort order)
GROUPS = [
    ("population", "人口", "Population", 10),
    ("assistance", "社会救助", "Social assistance", 20),
    ("employment", "就业和社会保障", "Re-employment and social security", 30),
    ("volunteers", "志愿服务", "Volunteers", 40),
    ("party", "党建", "Party building", 50),
    ("culture", "文体活动", "Culture and sports", 60),
    ("requests", "居民诉求", "Residents' requests", 70),
    ("cobuilding", "社区共建", "Co-building", 80),
]

# Upper bounds that catch a slipped key (an extra digit) without getting in the way of the
# biggest community; the county can change any of them.
PEOPLE = Decimal(100_000)
MONTHLY_COUNT = Decimal(10_000)
MONTHLY_EVENTS = Decimal(500)


# Figures of what exists at the month's end; every other indicator counts what happened
# during the month and adds up over a quarter or a year.
STOCKS = frozenset(
    {
        "households",
        "residents",
        "residents_60_plus",
        "disabled_residents",
        "entitled_groups",
        "households_in_difficulty_paired",
        "registered_unemployed",
        "registered_volunteers",
        "party_members",
        "inservice_party_members",
    }
)


def _indicator(group, code, name, name_en, unit, help_text, **options):
    return {
        "group": group,
        "code": code,
        "name": name,
        "name_en": name_en,
        "unit": unit,
        "help_text": help_text,
        "value_type": options.pop("value_type", "integer"),
        "minimum": Decimal(0),
        "maximum": options.pop("maximum"),
        "required": options.pop("required", False),
        "active_from": options.pop("active_from", DEFAULT_ACTIVE_FROM),
        "aggregation": "stock" if code in STOCKS else "flow",
        **options,
    }


INDICATORS = [
    # 人口: required, the base of every rate.
    _indicator(
        "population",
        "households",
        "户数",
        "Households",
        "户",
        "辖区内常住户数，填月末数。",
        maximum=Decimal(50_000),
        required=True,
    ),
    _indicator(
        "population",
        "residents",
        "居民人数",
        "Residents",
        "人",
        "辖区内常住居民人数，填月末数。",
        maximum=PEOPLE,
        required=True,
    ),
    _indicator(
        "population",
        "residents_60_plus",
        "60岁以上居民",
        "Residents aged 60 and over",
        "人",
        "年满60周岁的常住居民人数，填月末数。",
        maximum=PEOPLE,
        required=True,
    ),
    _indicator(
        "population",
        "disabled_residents",
        "残疾人",
        "Disabled residents",
        "人",
        "持有残疾人证的常住居民人数，填月末数。",
        maximum=PEOPLE,
        required=True,
    ),
    _indicator(
        "population",
        "entitled_groups",
        "优抚对象",
        "Entitled groups",
        "人",
        "享受优待抚恤的对象（烈属、伤残军人、复员退伍军人等）人数，填月末数。",
        maximum=PEOPLE,
        required=True,
    ),
    # 社会救助: paired help for households in difficulty (结对帮困).
    _indicator(
        "assistance",
        "households_in_difficulty_paired",
        "结对帮扶困难户",
        "Households in difficulty with paired help",
        "户",
        "已落实结对帮扶的困难家庭户数，填月末数。",
        maximum=Decimal(50_000),
    ),
    _indicator(
        "assistance",
        "help_visits_hardship",
        "助困走访",
        "Hardship help visits",
        "次",
        "本月对困难家庭上门助困走访的次数。",
        maximum=MONTHLY_COUNT,
    ),
    _indicator(
        "assistance",
        "help_visits_medical",
        "助医服务",
        "Medical help",
        "次",
        "本月为困难群众提供助医服务（陪诊、送药、健康随访等）的次数。",
        maximum=MONTHLY_COUNT,
    ),
    _indicator(
        "assistance",
        "help_visits_schooling",
        "助学帮扶",
        "Schooling help",
        "次",
        "本月对困难家庭子女助学帮扶的次数。",
        maximum=MONTHLY_COUNT,
    ),
    # 就业和社会保障: registered unemployment and re-employment are required.
    _indicator(
        "employment",
        "registered_unemployed",
        "登记失业人员",
        "Registered unemployed",
        "人",
        "在社区登记的失业人员人数，填月末数。",
        maximum=PEOPLE,
        required=True,
    ),
    _indicator(
        "employment",
        "reemployed",
        "本月再就业人数",
        "Re-employed this month",
        "人",
        "本月实现再就业的登记失业人员人数。",
        maximum=PEOPLE,
        required=True,
    ),
    _indicator(
        "employment",
        "training_classes",
        "技能培训班",
        "Skills training classes",
        "期",
        "本月举办的技能培训班期数，没有填0。",
        maximum=MONTHLY_EVENTS,
    ),
    _indicator(
        "employment",
        "trainees",
        "培训人次",
        "Trainees",
        "人次",
        "本月参加技能培训的人次，同一人参加两期计2人次。",
        maximum=MONTHLY_COUNT,
    ),
    _indicator(
        "employment",
        "processing_participants",
        "来料加工参与人数",
        "Processing-work participants",
        "人",
        "本月参与来料加工项目的居民人数。",
        maximum=PEOPLE,
    ),
    # 志愿服务
    _indicator(
        "volunteers",
        "registered_volunteers",
        "注册志愿者",
        "Registered volunteers",
        "人",
        "在社区注册的志愿者人数（含报到的在校团员），填月末数。",
        maximum=PEOPLE,
    ),
    _indicator(
        "volunteers",
        "volunteer_hours",
        "志愿服务时长",
        "Volunteer service hours",
        "小时",
        "本月志愿服务的总时长，可填小数（如12.5）；存入时间银行的时长也计入。",
        value_type="decimal",
        maximum=Decimal(1_000_000),
    ),
    # 党建
    _indicator(
        "party",
        "party_members",
        "党员人数",
        "Party members",
        "人",
        "社区党组织管理的党员人数，填月末数。",
        maximum=PEOPLE,
    ),
    _indicator(
        "party",
        "inservice_party_members",
        "在职党员到社区报到人数",
        "In-service Party members reporting to the community",
        "人",
        "到居住地社区报到的在职党员人数，填月末数。",
        maximum=PEOPLE,
    ),
    _indicator(
        "party",
        "party_activities",
        "党组织活动",
        "Party activities",
        "次",
        "本月社区党组织开展活动的次数，含党员奉献日活动。",
        maximum=MONTHLY_EVENTS,
    ),
    # 文体活动
    _indicator(
        "culture",
        "cultural_events",
        "文体活动",
        "Cultural and sports events",
        "次",
        "本月组织的群众文化、体育活动次数。",
        maximum=MONTHLY_EVENTS,
    ),
    # 居民诉求: required.
    _indicator(
        "requests",
        "requests_received",
        "受理居民诉求",
        "Residents' requests received",
        "件",
        "本月受理的居民诉求件数（来访、来电、网上留言）。",
        maximum=MONTHLY_COUNT,
        required=True,
    ),
    _indicator(
        "requests",
        "requests_resolved",
        "办结居民诉求",
        "Residents' requests resolved",
        "件",
        "本月受理的诉求中已经办结的件数。",
        maximum=MONTHLY_COUNT,
        required=True,
    ),
    # 社区共建: added in 2026, so it is not asked for in 2025's months.
    _indicator(
        "cobuilding",
        "cobuilding_funds",
        "共建资金到位",
        "Co-building funds received",
        "元",
        "本月共建单位实际到位的共建资金，单位为元，没有填0。",
        value_type="decimal",
        maximum=None,
        active_from=D(2026, 1, 1),
    ),
]
# Display order inside each group: the order above.
for _number, _spec in enumerate(INDICATORS, start=1):
    _spec["sort_order"] = _number * 10

# (left, operator, right, message): a blank message lets the entry form say it, naming both
# indicators and the figure to compare with; a message is set where the rule needs the
# counting convention spelled out.
RULES = [
    ("households", "lte", "residents", ""),
    ("residents_60_plus", "lte", "residents", ""),
    ("disabled_residents", "lte", "residents", ""),
    ("entitled_groups", "lte", "residents", ""),
    ("households_in_difficulty_paired", "lte", "households", ""),
    (
        "reemployed",
        "lte",
        "registered_unemployed",
        "本月再就业人数只统计登记失业人员中实现再就业的人，不能多于登记失业人员数。",
    ),
    (
        "requests_resolved",
        "lte",
        "requests_received",
        "办结件数只统计本月受理的诉求中已办结的，不能多于受理件数。",
    ),
]


def _ratio(code, name, name_en, numerator, denominator, factor, unit, places, help_text):
    return {
        "code": code,
        "name": name,
        "name_en": name_en,
        "numerator": numerator,
        "denominator": denominator,
        "factor": Decimal(factor),
        "unit": unit,
        "decimal_places": places,
        # Shown beside the figures it is worked out from.
        "group": next(spec["group"] for spec in INDICATORS if spec["code"] == numerator),
        "help_text": help_text,
    }


# Derived indicators (派生指标): nobody enters them; the reports work each out as the ratio of
# the totals of two indicators above (each side adding up over months by its own rule), never
# as the mean of the communities' ratios.
RATIOS = [
    _ratio(
        "reemployment_rate",
        "再就业率",
        "Re-employment rate",
        "reemployed",
        "registered_unemployed",
        100,
        "%",
        1,
        "再就业人数占登记失业人员数的百分比；季度、年度以期内各月再就业人数之和"
        "除以期末登记失业人员数。",
    ),
    _ratio(
        "request_resolution_rate",
        "诉求办结率",
        "Request resolution rate",
        "requests_resolved",
        "requests_received",
        100,
        "%",
        1,
        "办结件数占受理件数的百分比；季度、年度以期内办结件数之和除以受理件数之和。",
    ),
    _ratio(
        "volunteers_per_thousand",
        "每千名居民志愿者数",
        "Volunteers per 1,000 residents",
        "registered_volunteers",
        "residents",
        1000,
        "人/千人",
        1,
        "每千名居民中的注册志愿者人数：期末注册志愿者人数除以期末居民人数，乘以1000。",
    ),
    _ratio(
        "cobuilding_funds_per_household",
        "户均共建资金",
        "Co-building funds per household",
        "cobuilding_funds",
        "households",
        1,
        "元/户",
        2,
        "每户平均到位的共建资金：期内到位的共建资金之和除以期末户数。",
    ),
]
for _number, _spec in enumerate(RATIOS, start=1):
    _spec["sort_order"] = _number * 10
