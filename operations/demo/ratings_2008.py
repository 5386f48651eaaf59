"""Rating rounds for `manage.py load_chunan`: pure data, no database access.

FACTS from the county leader's speech (about 2009): the first statement-and-defence review
meeting of the three-tier creation (首届创建"规范、星级、花园"社区陈述答辩评审会) on
2008-01-18, ranked by category, publicly announced, then confirmed: all ten communities
normative, five three-star, three four-star. The speech keeps no scores and no ranks.

EXAMPLE values for the demo's current round (of the year it is loaded in): dates around the
day of the load and a scheme (criteria, cut-offs) to try the whole flow with. The county's
real scheme is not public: the round is flagged `scheme_is_example`, and the loader writes
these values only when it creates the rows.
"""

import datetime
from decimal import Decimal

from ratings.models import Criterion, Prerequisite, RoundStatus, Tier

D = datetime.date

# ── FACTS: the 2008 round ──────────────────────────────────────────────────────────────

ROUND_2008 = {
    "code": "2008",
    "year": 2008,
    "name": "首届创建“规范、星级、花园”社区评定",
    "status": RoundStatus.FINAL,
    "review_meeting_on": D(2008, 1, 18),
    "results_from_record": True,
    # Nobody held a rating before the first round, yet eight communities were rated star in it.
    "prerequisite": Prerequisite.HELD_OR_REACHED,
}
RESULTS_2008_NOTE = (
    "据县领导在全县社区建设工作会议上的讲话：2008年1月18日首届创建“规范、星级、花园”社区"
    "陈述答辩评审会评审，经向社会公示后确定。未保存评分。"
)
# Community code → (tier, stars): each community's highest result. Every star community
# also reached normative ("10个社区都达到规范社区，其中……").
RESULTS_2008 = {
    "xiyuan": (Tier.STAR, 3),
    "nanyuan": (Tier.STAR, 3),
    "huolujian": (Tier.STAR, 3),
    "jiangbin": (Tier.STAR, 3),
    "wanghu": (Tier.STAR, 3),
    "lijiawu": (Tier.STAR, 4),
    "xinbei": (Tier.STAR, 4),
    "shijiatang": (Tier.STAR, 4),
    "yangqi": (Tier.NORMATIVE, None),
    "hongqiao": (Tier.NORMATIVE, None),
}

# ── EXAMPLE: the current round, in its declaration phase ─────────────────────────────

# The demo's round of the year it is loaded in (`load_example_round`): its code and name
# come from the year, its dates from the day of the load, so that declarations are open
# and every later stage lies ahead, a few weeks away.
# The demo's round stands at its review meeting, today: the declarations are in, the judge
# has score sheets to fill, county staff close the scoring when the meeting ends.
ROUND_CURRENT = {
    "status": RoundStatus.REVIEW,
    "scheme_is_example": True,
    # The speech's practice (2008): a community may reach normative and star in one round.
    # Every rating of 2008 lapsed at the end of 2010, so under "held" no star could be given.
    "prerequisite": Prerequisite.HELD_OR_REACHED,
}
ROUND_CURRENT_NAME = "%(year)s年度创建“规范、星级、花园”社区评定"
# Round date field → days after the day of the load.
ROUND_CURRENT_DAYS = {
    "declarations_open_on": -40,
    "declarations_close_on": -10,
    "review_meeting_on": 0,
}
# The declarations of the current round (invented, sample data): community code → target
# tier, stars, self-assessment. demo_clerk's 西园 is one of them.
ROUND_CURRENT_DECLARATIONS = {
    "xiyuan": (
        Tier.STAR,
        3,
        "社区“两委”班子健全，议事协商制度化；共建单位六家，年内开展共建活动二十余次。",
    ),
    "nanyuan": (Tier.NORMATIVE, None, "服务中心用房达标，便民服务窗口全日开放。"),
    "jiangbin": (Tier.NORMATIVE, None, "志愿者队伍三百余人，时间银行运行满一年。"),
    "huolujian": (Tier.NORMATIVE, None, "结对帮扶困难家庭全覆盖，每月走访一次。"),
}

J = Criterion.Source.JUDGED
# (tier, code, name, name_en, max_points, source), weight 1 each; each tier totals 100.
# The judged criteria follow the speech's themes; the others are computed from portal data.
EXAMPLE_CRITERIA = [
    (
        Tier.NORMATIVE,
        "n-organisation",
        "组织健全：党组织、成员代表大会、居委会、议事委员会",
        "Governance bodies in place",
        20,
        J,
    ),
    (Tier.NORMATIVE, "n-services", "五大服务网络运行", "Five service networks working", 20, J),
    (
        Tier.NORMATIVE,
        "n-facilities",
        "“五室二站一校一场所”齐全",
        "Facility checklist complete",
        20,
        Criterion.Source.FACILITIES,
    ),
    (
        Tier.NORMATIVE,
        "n-space",
        "办公活动用房每百户不少于20平方米",
        "Space standard met",
        15,
        Criterion.Source.SPACE,
    ),
    (
        Tier.NORMATIVE,
        "n-terms",
        "居委会任期有效",
        "Committee term valid",
        10,
        Criterion.Source.TERMS,
    ),
    (
        Tier.NORMATIVE,
        "n-returns",
        "月报按时完整",
        "Monthly returns complete",
        15,
        Criterion.Source.RETURNS,
    ),
    (
        Tier.STAR,
        "s-party",
        "以党建为龙头：楼道党支部、在职党员报到、奉献积分卡",
        "Party building",
        25,
        J,
    ),
    (
        Tier.STAR,
        "s-services",
        "服务品位：结对帮困、便民利民、再就业服务",
        "Quality of services",
        25,
        J,
    ),
    (Tier.STAR, "s-cobuilding", "共驻共建：共建单位资金、设施、人员", "Co-building", 20, J),
    (
        Tier.STAR,
        "s-facilities",
        "“五室二站一校一场所”齐全",
        "Facility checklist complete",
        10,
        Criterion.Source.FACILITIES,
    ),
    (
        Tier.STAR,
        "s-space",
        "办公活动用房每百户不少于20平方米",
        "Space standard met",
        10,
        Criterion.Source.SPACE,
    ),
    (
        Tier.STAR,
        "s-returns",
        "月报按时完整",
        "Monthly returns complete",
        10,
        Criterion.Source.RETURNS,
    ),
    (
        Tier.GARDEN,
        "g-environment",
        "社区环境“洁化、绿化、亮化、序化”",
        "Clean, green, lit and orderly",
        35,
        J,
    ),
    (Tier.GARDEN, "g-civilisation", "文明创建与荣誉", "Civilisation creation and honours", 25, J),
    (Tier.GARDEN, "g-distinctive", "特色品牌与示范作用", "Distinctive work and example set", 25, J),
    (
        Tier.GARDEN,
        "g-facilities",
        "“五室二站一校一场所”齐全",
        "Facility checklist complete",
        5,
        Criterion.Source.FACILITIES,
    ),
    (
        Tier.GARDEN,
        "g-space",
        "办公活动用房每百户不少于20平方米",
        "Space standard met",
        5,
        Criterion.Source.SPACE,
    ),
    (Tier.GARDEN, "g-terms", "居委会任期有效", "Committee term valid", 5, Criterion.Source.TERMS),
]

# (tier, stars, lowest total): normative 60; one to five stars 60/68/76/84/92; garden 85
# (and `garden_min_stars`, 4 by default, before garden).
EXAMPLE_CUTOFFS = [
    (Tier.NORMATIVE, 0, Decimal(60)),
    *((Tier.STAR, stars, Decimal(score)) for stars, score in enumerate((60, 68, 76, 84, 92), 1)),
    (Tier.GARDEN, 0, Decimal(85)),
]
