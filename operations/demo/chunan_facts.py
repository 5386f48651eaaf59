"""Chun'an's communities for `manage.py load_chunan`: pure data, no database access.

Two kinds of value live here and are kept apart:

* FACTS, from the county leader's speech at the county community-building conference
  (about 2009; see the project's domain brief). The loader asserts them on every run.
* SAMPLE values (示例数据), invented so that the demonstration has something to show.
  Every one of them lands in a row that carries a sample flag (`is_sample`, or the
  community's `figures_are_sample` for figures and facilities), and the loader writes them
  only when it creates that row, so that what a person enters later is kept.
"""

import datetime
import random
from dataclasses import dataclass
from decimal import Decimal

from chunan_community.months import add_months, months_apart, months_between
from communities.access import CLERK, COUNTY, JUDGE, TOWNSHIP

D = datetime.date

# ── FACTS ──────────────────────────────────────────────────────────────────────────────

TOWNSHIPS = [
    {"code": "qiandaohu", "name": "千岛湖镇", "name_en": "Qiandaohu Town", "sort_order": 1},
    {"code": "fenkou", "name": "汾口镇", "name_en": "Fenkou Town", "sort_order": 2},
    {"code": "weiping", "name": "威坪镇", "name_en": "Weiping Town", "sort_order": 3},
]

_QIANDAOHU_2002 = (
    "2002年下半年，千岛湖镇作为全县社区改革试点，把原来的12个居民区调整组建成8个社区，"
    "本社区是其中之一。"
)
_REPORTED = "在全县社区建设工作会议上作了经验介绍。"
_SUB_CENTRE_2008 = "2008年成立，社区建设由此向副中心镇延伸。"
_ELECTED_2008 = "2008年依法选举产生社区居委会。"

# The speech says only "second half of 2002" and "2008": founded_on stays empty.
COMMUNITIES = [
    {"code": "xiyuan", "name": "西园社区", "name_en": "Xiyuan Community"},
    {"code": "nanyuan", "name": "南苑社区", "name_en": "Nanyuan Community"},
    {"code": "huolujian", "name": "火炉尖社区", "name_en": "Huolujian Community"},
    {"code": "jiangbin", "name": "江滨社区", "name_en": "Jiangbin Community"},
    {"code": "wanghu", "name": "望湖社区", "name_en": "Wanghu Community"},
    {
        "code": "lijiawu",
        "name": "李家坞社区",
        "name_en": "Lijiawu Community",
        "description": _QIANDAOHU_2002 + _REPORTED,
    },
    {"code": "xinbei", "name": "新北社区", "name_en": "Xinbei Community"},
    {"code": "shijiatang", "name": "施家塘社区", "name_en": "Shijiatang Community"},
    {
        "code": "yangqi",
        "name": "杨旗社区",
        "name_en": "Yangqi Community",
        "township": "fenkou",
        "founded_year": 2008,
        "address": "淳安县汾口镇原镇二建公司办公楼",
        "description": (
            _SUB_CENTRE_2008
            + "汾口镇将原镇二建公司办公楼拨付给社区使用。"
            + _ELECTED_2008
            + _REPORTED
        ),
    },
    {
        "code": "hongqiao",
        "name": "虹桥社区",
        "name_en": "Hongqiao Community",
        "township": "weiping",
        "founded_year": 2008,
        "address": "淳安县威坪镇文化科技中心",
        "description": _SUB_CENTRE_2008 + "社区进驻威坪镇文化科技中心办公。" + _ELECTED_2008,
    },
]
for _community in COMMUNITIES:
    _community.setdefault("township", "qiandaohu")
    _community.setdefault("founded_year", 2002)
    _community.setdefault("address", "淳安县千岛湖镇")
    _community.setdefault("description", _QIANDAOHU_2002)

RESTRUCTURING_2002 = {
    "township": "qiandaohu",
    "name": "千岛湖镇社区改革试点",
    "effective_year": 2002,
    "description": (
        "2002年下半年，按照杭州市委、市政府的统一部署，淳安县启动社区改革，以千岛湖镇为试点，"
        "把原来的12个居民区调整组建成8个社区。"
    ),
}

# 各社区普遍建立了党组织、社区成员代表大会，社区居民委员会和社区议事委员会.
BODY_NAME_SUFFIXES = {
    "assembly": "成员代表大会",
    "residents_committee": "居民委员会",
    "deliberation": "议事委员会",
}
PARTY_NAME_SUFFIXES = {"committee": "党委", "general_branch": "党总支", "branch": "党支部"}

QIANDAOHU_COMMUNITIES = [c["code"] for c in COMMUNITIES if c["township"] == "qiandaohu"]

HONOURS = [
    # 千岛湖镇8个社区全部进入县文明社区行列
    *((code, "县文明社区", "county") for code in QIANDAOHU_COMMUNITIES),
    ("xinbei", "市级文明社区", "city"),
    ("lijiawu", "市级文明社区", "city"),
    ("nanyuan", "市级文明社区", "city"),
    ("jiangbin", "市级示范文明社区", "city"),
    ("nanyuan", "省级绿色社区", "province"),
    ("shijiatang", "市级绿色社区", "city"),
    ("xinbei", "市级绿色社区", "city"),
    ("jiangbin", "市级绿色社区", "city"),
    ("shijiatang", "省级示范社区居委会", "province"),
    ("shijiatang", "市级优秀特色社区", "city"),
    ("shijiatang", "市星光老年之家十佳社区", "city"),
]

# 各社区都建立了党建活动室、老年人活动中心和健身房: these two facilities are present everywhere.
FACILITIES_EVERYWHERE = ("party_room", "elderly_room")

# It gave an experience report at the conference; its pairings below are invented.
SPEECH_UNIT = "县工贸资产经营有限公司"

# ── SAMPLE (示例数据) ───────────────────────────────────────────────────────────────────

# households, residents, premises (m2). The premises of the eight Qiandaohu communities
# average exactly 350 m2, the speech's figure; against the standard of 20 m2 per 100
# households, 西园, 火炉尖 and 望湖 fall short (by 32, 26 and 30 m2) and the rest meet it.
FIGURES = {
    "xiyuan": (1960, 5480, Decimal(360)),
    "nanyuan": (1820, 5120, Decimal(400)),
    "huolujian": (1630, 4590, Decimal(300)),
    "jiangbin": (1740, 4870, Decimal(380)),
    "wanghu": (1700, 4760, Decimal(310)),
    "lijiawu": (1580, 4420, Decimal(380)),
    "xinbei": (1690, 4730, Decimal(350)),
    "shijiatang": (1450, 4060, Decimal(320)),
    "yangqi": (1200, 3350, Decimal(450)),
    "hongqiao": (1100, 3080, Decimal(260)),
}

# The bigger communities have a Party committee, the others a general branch.
PARTY_LEVELS = {
    code: "committee" if households >= 1700 else "general_branch"
    for code, (households, _residents, _premises) in FIGURES.items()
}

# Building-level Party branches (楼道党支部) per community, with their members.
BUILDING_BRANCH_MEMBERS = {
    "xiyuan": (18, 15, 12, 9),
    "nanyuan": (16, 14, 11),
    "huolujian": (13, 10),
    "jiangbin": (17, 12, 10),
    "wanghu": (15, 13, 9),
    "lijiawu": (14, 12, 11),
    "xinbei": (16, 11, 10),
    "shijiatang": (15, 12, 8),
    "yangqi": (12, 9),
    "hongqiao": (11, 8),
}
CHINESE_ORDINALS = "一二三四五六七八九十"

# The twelve former residential areas (the speech gives their number, not their names)
# and the communities each went into: four communities from two areas, four from one.
FORMER_AREAS = [f"第{n}居民区" for n in (*CHINESE_ORDINALS, "十一", "十二")]
FORMATIONS = {
    "xiyuan": ("第一居民区", "第二居民区"),
    "nanyuan": ("第三居民区", "第四居民区"),
    "huolujian": ("第五居民区",),
    "jiangbin": ("第六居民区", "第七居民区"),
    "wanghu": ("第八居民区",),
    "lijiawu": ("第九居民区", "第十居民区"),
    "xinbei": ("第十一居民区",),
    "shijiatang": ("第十二居民区",),
}

# Terms of office, as fixed dates so that every load is the same. Terms lasted three years
# until residents' committees moved to five-year terms; the current term is five years long.
# Qiandaohu (first elections after the 2002 reform): the previous term is the 6th, the
# current the 7th. 杨旗 and 虹桥 held their first residents' committee election in 2008 (a
# fact; the day is invented); their bodies keep term 1 and the current 5th term.
# As seen on 2026-11-25, the current Party and residents' committee terms of 西园, 南苑 and
# 江滨 (and their assemblies, elected with the committee) end within 90 days; all others later.
PREVIOUS_TERM_YEARS = 3
CURRENT_TERM_YEARS = 5
QIANDAOHU_TERM_NUMBERS = (6, 7)
FOUNDED_2008_TERM_NUMBERS = (1, 5)
FIRST_ELECTIONS_2008 = {"yangqi": D(2008, 11, 16), "hongqiao": D(2008, 11, 23)}
# Start of the current term: (Party organisation, residents' committee and assembly,
# deliberation committee).
CURRENT_TERM_STARTS = {
    "xiyuan": (D(2021, 12, 10), D(2022, 1, 8), D(2022, 3, 20)),
    "nanyuan": (D(2021, 12, 14), D(2022, 1, 15), D(2022, 3, 26)),
    "jiangbin": (D(2021, 12, 17), D(2022, 2, 12), D(2022, 4, 9)),
    "huolujian": (D(2022, 4, 8), D(2022, 5, 14), D(2022, 6, 18)),
    "wanghu": (D(2022, 4, 12), D(2022, 5, 21), D(2022, 6, 25)),
    "lijiawu": (D(2022, 4, 15), D(2022, 5, 28), D(2022, 7, 2)),
    "xinbei": (D(2022, 4, 19), D(2022, 6, 4), D(2022, 7, 9)),
    "shijiatang": (D(2022, 4, 22), D(2022, 6, 11), D(2022, 7, 16)),
    "yangqi": (D(2022, 10, 14), D(2022, 11, 19), D(2022, 12, 17)),
    "hongqiao": (D(2022, 10, 21), D(2022, 11, 26), D(2022, 12, 24)),
}
PARTY_MEMBERS = {"committee": 7, "general_branch": 5}
BODY_MEMBERS = {"residents_committee": 7, "assembly": 45, "deliberation": 11}

# The nine facilities (五室二站一校一场所): area at 400 m2 of premises, scaled to each
# community's premises, and the ones a community lacks. All nine together stay within
# the community's premises.
FACILITY_AREAS_AT_400_M2 = {
    "party_room": Decimal(40),
    "committee_office": Decimal(60),
    "police_room": Decimal(15),
    "youth_room": Decimal(30),
    "elderly_room": Decimal(60),
    "social_security_station": Decimal(25),
    "medical_station": Decimal(40),
    "citizens_school": Decimal(50),
    "culture_sports_venue": Decimal(60),
}
FACILITIES_MISSING = {
    "xiyuan": ("medical_station",),
    "huolujian": ("youth_room", "medical_station"),
    "wanghu": ("police_room", "citizens_school"),
    "yangqi": ("medical_station",),
    "hongqiao": ("police_room", "social_security_station"),
}

# Co-building units. Only 县工贸资产经营有限公司 comes from the speech; the three others are
# real kinds of county body chosen for the demonstration, and every pairing is invented.
CO_BUILDING_UNITS = [
    {"name": SPEECH_UNIT, "kind": "enterprise"},
    {"name": "县建设局", "kind": "government"},
    {"name": "县财政局", "kind": "government"},
    {"name": "县第一人民医院", "kind": "hospital"},
]
# (unit, community, building branch number or None, paired since, contribution)
PAIRINGS = [
    (SPEECH_UNIT, "lijiawu", 1, D(2007, 6, 1), "共建资金，开放职工活动室供居民使用"),
    ("县建设局", "xiyuan", 2, D(2006, 3, 1), "社区用房改造和设施建设"),
    ("县财政局", "jiangbin", 1, D(2006, 5, 1), "共建资金，党员志愿服务"),
    ("县第一人民医院", "nanyuan", None, D(2007, 9, 1), "医务人员定期坐诊，健康讲座"),
]

# ── Demonstration accounts (`--demo-accounts`) ────────────────────────────────────────

DEMO_PASSWORD = "chunan-demo"  # noqa: S105 - published in the README, for demonstration only
DEMO_ACCOUNTS = [
    {"username": "demo_county", "role": COUNTY, "is_staff": True},
    {"username": "demo_township", "role": TOWNSHIP, "township": "qiandaohu", "is_staff": True},
    {"username": "demo_clerk", "role": CLERK, "community": "xiyuan", "is_staff": True},
    {"username": "demo_judge", "role": JUDGE, "is_staff": False},
]

# ── Sample monthly returns (`--demo-accounts`) ────────────────────────────────────────

# The demo is built relative to the day it is loaded (`DemoCalendar`), so that it always has
# current work: returns for the whole previous calendar year and this year up to the last
# closed month, the service records of the same months and of this month so far. The
# loader creates the returns through the workflow (save, submit, approve, send back,
# accept), as the people would have, and never touches a return that already exists: a
# load on a later day adds the months that have closed since.
DEMO_LOADER_USERNAME = "chunan-loader"
# The month from which the sample figures grow (`sample_figures`), and the first month the
# sample people's records are generated from: fixed, so that a month's figures and records
# are the same whichever day the demo is loaded.
DEMO_FIGURES_EPOCH = D(2025, 11, 1)
DEMO_RECORDS_ORIGIN = D(2024, 1, 1)

# Where each return stands, by its month's age (0: the last closed month, 1: the month
# before, …): the month's usual state, then the exceptions. Older months have been accepted
# by the county. None: not started (西园's last month is left for demo_clerk).
DEMO_RETURN_STATES = {
    2: (
        "approved",
        {
            "nanyuan": "accepted",
            "jiangbin": "accepted",
            # Never submitted, and the entry window has closed: only the county can reopen it.
            "yangqi": "draft",
        },
    ),
    1: (
        "submitted",
        {
            "xiyuan": "approved",
            "nanyuan": "approved",
            "jiangbin": "approved",
            "xinbei": "approved",
            "wanghu": "returned",
        },
    ),
    0: (
        "submitted",
        {
            "xiyuan": None,
            "yangqi": None,
            "huolujian": "draft",
            "wanghu": "draft",
            "shijiatang": "draft",
        },
    ),
}
# (community, age of the month) submitted after the due day.
DEMO_LATE = {
    ("hongqiao", 10),
    ("yangqi", 8),
    ("huolujian", 1),
    ("hongqiao", 1),
    ("xinbei", 0),
}
DEMO_SENT_BACK = {
    ("wanghu", 1): "助医服务次数与走访台账对不上，请核对台账后重新提交。",
}


@dataclass(frozen=True)
class DemoCalendar:
    """The demo's months, seen from the day it is loaded."""

    today: datetime.date

    @property
    def this_month(self) -> datetime.date:
        return self.today.replace(day=1)

    @property
    def last_month(self) -> datetime.date:
        """The last closed month: the clerks' current return."""
        return add_months(self.this_month, -1)

    @property
    def first_month(self) -> datetime.date:
        """January of last year."""
        return datetime.date(self.today.year - 1, 1, 1)

    @property
    def months(self) -> list[datetime.date]:
        """The months with sample returns, oldest first."""
        return months_between(self.first_month, self.last_month)

    def age(self, period: datetime.date) -> int:
        """0 for the last closed month, 1 for the month before, …"""
        return months_apart(period, self.last_month)

    def state(self, code: str, period: datetime.date) -> str | None:
        usual, exceptions = DEMO_RETURN_STATES.get(self.age(period), ("accepted", {}))
        return exceptions.get(code, usual)

    def is_late(self, code: str, period: datetime.date) -> bool:
        return (code, self.age(period)) in DEMO_LATE

    def sent_back_reason(self, code: str, period: datetime.date) -> str:
        return DEMO_SENT_BACK[code, self.age(period)]


# Co-building funds, paid each quarter in its first month by the paired unit (PAIRINGS);
# 县第一人民医院 sends doctors rather than money.
DEMO_QUARTERLY_FUNDS = {
    "xiyuan": ("县建设局", Decimal(15000)),
    "jiangbin": ("县财政局", Decimal(12000)),
    "lijiawu": (SPEECH_UNIT, Decimal(20000)),
}
DEMO_FUNDS_PAID = "%(unit)s第%(quarter)s季度共建资金到位。"
DEMO_NO_FUNDS = "共建资金按季度拨付，本月没有到位资金。"
DEMO_FAR_FROM_USUAL = "示例数据：本月情况与前几个月不同。"


def sample_figures(code: str, period: datetime.date) -> dict[str, Decimal]:
    """Invented figures of one community's month, keyed by indicator code.

    Derived from the community's sample households and residents (FIGURES), growing slowly
    from DEMO_FIGURES_EPOCH, with a pseudo-random spread fixed per community, indicator and
    month: the same figures whichever day the demo is loaded. They respect every rule of the
    default catalogue, and each monthly figure stays within a band narrow enough that the
    entry form finds none of them "far from the recent months" (only the quarterly
    co-building funds are, and they carry a comment).
    """
    households, residents, _premises = FIGURES[code]
    index = months_apart(DEMO_FIGURES_EPOCH, period)

    def spread(name: str, low: int, high: int) -> int:
        return random.Random(f"{code}-{name}-{period:%Y-%m}").randint(low, high)  # noqa: S311

    figures = {}
    figures["households"] = households - 11 + index + spread("households", -2, 2)
    figures["residents"] = residents - 33 + 3 * index + spread("residents", -6, 6)
    figures["residents_60_plus"] = (
        round(residents * 0.19) - 6 + index // 2 + spread("residents_60_plus", -3, 3)
    )
    figures["disabled_residents"] = round(residents * 0.021) + spread("disabled_residents", -1, 1)
    figures["entitled_groups"] = round(residents * 0.007) + spread("entitled_groups", -1, 1)
    paired = round(households * 0.014) + spread("households_in_difficulty_paired", -1, 1)
    figures["households_in_difficulty_paired"] = paired
    figures["help_visits_hardship"] = paired + spread("help_visits_hardship", 0, 6)
    figures["help_visits_medical"] = round(residents * 0.002) + spread("help_visits_medical", 0, 5)
    # More schooling help when the school terms start (February, September).
    term_start = 3 if period.month in (2, 9) else 0
    figures["help_visits_schooling"] = 1 + term_start + spread("help_visits_schooling", 0, 3)
    figures["registered_unemployed"] = round(residents * 0.012) + spread(
        "registered_unemployed", -5, 5
    )
    figures["reemployed"] = spread("reemployed", 2, 8)
    figures["training_classes"] = spread("training_classes", 1, 2)
    figures["trainees"] = spread("trainees", 22, 32)
    figures["processing_participants"] = round(residents * 0.006) + spread(
        "processing_participants", -3, 3
    )
    # Volunteers register and stay (the records have no leaving date): one to three more
    # each month, so that the count never falls and the new ones can include a Party member.
    volunteers = round(residents * 0.05) - 11 + 2 * index + spread("registered_volunteers", 0, 1)
    figures["registered_volunteers"] = volunteers
    # 0.5 to 0.6 hours per registered volunteer, to the half hour: many who registered
    # serve only now and then.
    hours = Decimal(volunteers * spread("volunteer_hours", 10, 12)) / 10
    figures["volunteer_hours"] = hours.quantize(Decimal(1)) / 2
    figures["party_members"] = (
        round(residents * 0.045) + index // 3 + spread("party_members", -1, 1)
    )
    # In-service Party members report to the community and stay: the services records count
    # them at each month's end and have no leaving date, so the figure never falls.
    reporting = random.Random(f"{code}-inservice_party_members").randint(-1, 1)  # noqa: S311
    figures["inservice_party_members"] = round(residents * 0.015) + index // 4 + reporting
    # 七一 (the Party's anniversary) in July, the Spring Festival in January and February.
    figures["party_activities"] = 3 + (2 if period.month == 7 else 0) + spread("party", 0, 3)
    festival = 3 if period.month in (1, 2) else 0
    figures["cultural_events"] = 3 + festival + spread("cultural_events", 0, 4)
    received = round(residents * 0.01) + spread("requests_received", -4, 4)
    figures["requests_received"] = received
    figures["requests_resolved"] = received - spread("requests_resolved", 0, 3)
    unit_and_amount = DEMO_QUARTERLY_FUNDS.get(code)
    paid = unit_and_amount and period.month % 3 == 1
    figures["cobuilding_funds"] = unit_and_amount[1] if paid else Decimal(0)
    return {name: Decimal(value) for name, value in figures.items()}


def sample_comment(code: str, indicator: str, period: datetime.date, value: Decimal) -> str:
    """Why a sample figure far from the community's recent months is right."""
    if indicator == "cobuilding_funds":
        if value:
            unit = DEMO_QUARTERLY_FUNDS[code][0]
            quarter = CHINESE_ORDINALS[(period.month - 1) // 3]
            return DEMO_FUNDS_PAID % {"unit": unit, "quarter": quarter}
        return DEMO_NO_FUNDS
    return DEMO_FAR_FROM_USUAL
