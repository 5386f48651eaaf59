"""Sample volunteers, households in difficulty and their help (示例数据) for the demo.

Loaded by `manage.py load_chunan --demo-accounts` (through `services.demo.load_sample_records`)
and never without it: these rows stand for residents, so they have no place on a server that
holds real people. The speech names no volunteer and no household: every name here is
invented (common surnames of the county, drawn with a fixed seed), every row that has the
flag carries `is_sample`, and every telephone number is an obviously fake 1xx-0000-nnnn.

Each community gets the same small pattern, dated from `DEMO_LAST_MONTH` (October 2026,
the month the demo clerk has still to enter) rather than from today, so that every load and
every test sees the same figures:

* four volunteers: a resident, two in-service Party members reporting (在职党员报到), and a
  school League member (在校团员) who reported in September 2026, with the new school year;
* three households: an elderly one paired with the community's co-building unit (or a Party
  member where it has none), a disabled one paired with a Party member (党员联系困难户), and
  a low-income family whose helper moved away at the end of June 2026 and that was paired
  again from September;
* visits (助困、助医、助学) and volunteer service, deposited in the time bank, in August,
  September and October 2026; one draw, in 西园.

So for each community the service records say, for October 2026: 3 households paired,
hardship 2, medical 2, schooling 0 visits, 4 volunteers of whom 2 Party members, 8.5 hours.
"""

import datetime
import itertools
import random
from decimal import Decimal

from communities import chunan_facts as facts
from communities.returns_checks import add_months
from services.domain import service_record, time_bank_draw
from services.models import (
    AssistanceVisit,
    AssistedHousehold,
    HelperPairing,
    HelpKind,
    ServiceRecord,
    TimeBankEntry,
    Volunteer,
)

D = datetime.date
LAST = facts.DEMO_LAST_MONTH  # October 2026
MONTHS = [add_months(LAST, -2), add_months(LAST, -1), LAST]  # August to October 2026

SURNAMES = "方汪余王徐洪邵胡吴姜鲁程叶何章"
GIVEN_NAMES = [
    "建华",
    "秀英",
    "丽萍",
    "国平",
    "志强",
    "美玲",
    "卫东",
    "红英",
    "小军",
    "晓燕",
    "海涛",
    "金花",
    "德明",
    "春燕",
    "文斌",
    "玉兰",
    "学军",
    "爱华",
    "慧敏",
    "永康",
]

Kind = Volunteer.Kind
# (kind, registered on, has a phone)
VOLUNTEERS = [
    (Kind.RESIDENT, D(2025, 3, 12), True),
    (Kind.PARTY_MEMBER, D(2025, 4, 1), True),
    (Kind.PARTY_MEMBER, D(2025, 11, 20), True),
    (Kind.LEAGUE_MEMBER, D(2026, 9, 8), False),
]
Category = AssistedHousehold.Category
# (category, the help it needs, has a phone)
HOUSEHOLDS = [
    (Category.ELDERLY, {"help_hardship": True}, True),
    (Category.DISABLED, {"help_medical": True}, False),
    (Category.LOW_INCOME, {"help_hardship": True, "help_schooling": True}, True),
]
# (household, helper: "unit" or a volunteer's number, since, until)
PAIRINGS = [
    (0, "unit", D(2025, 1, 15), None),
    (1, 2, D(2025, 6, 1), None),
    (2, 0, D(2025, 9, 1), D(2026, 6, 30)),
    (2, 1, D(2026, 9, 1), None),
]
# (household, kind, month number (0: August), day, volunteer number or None, hours, note)
VISITS = [
    *(
        (0, HelpKind.HARDSHIP, month, 6, 1, Decimal("1.5"), "上门走访，了解生活情况")
        for month in range(3)
    ),
    *(
        (1, HelpKind.MEDICAL, month, 15, 2, Decimal(2), "陪同到社区卫生服务站就医")
        for month in range(3)
    ),
    (1, HelpKind.MEDICAL, 2, 27, 2, Decimal(2), "陪同复诊，代取药品"),
    (2, HelpKind.SCHOOLING, 1, 3, 1, Decimal(1), "开学送学习用品，了解孩子学习情况"),
    (2, HelpKind.HARDSHIP, 2, 20, 1, Decimal("1.5"), "送米送油，了解家庭困难"),
]
# (volunteer number, month number, day, hours, activity, household number or None)
SERVICE = [
    (0, 0, 10, Decimal(3), "楼道清扫和环境整治", None),
    (1, 0, 18, Decimal("2.5"), "上门助老服务", 0),
    (0, 1, 10, Decimal(3), "楼道清扫和环境整治", None),
    (2, 1, 18, Decimal("2.5"), "上门助老服务", 0),
    (0, 2, 10, Decimal(3), "楼道清扫和环境整治", None),
    (1, 2, 18, Decimal("3.5"), "上门助老服务", 0),
    (3, 2, 24, Decimal(2), "社区文化活动志愿服务", None),
]
# Community → (volunteer number, day in October 2026, hours, note) drawn from the time bank.
DRAWS = {"xiyuan": (0, D(2026, 10, 28), Decimal(2), "兑换服务：家中老人接受助老上门服务")}


def sample_names(code: str, count: int) -> list[str]:
    """`count` different invented names for the community, the same on every load."""
    pool = [surname + given for surname, given in itertools.product(SURNAMES, GIVEN_NAMES)]
    return random.Random(f"{code}-people").sample(pool, count)  # noqa: S311


def fake_phone(prefix: str, number: int) -> str:
    """An obviously fake mobile number: the 0000 in the middle is never issued."""
    return f"{prefix}-0000-{number:04d}"


def load_people(loader, communities: dict, *, units: dict, recorders: dict) -> None:
    """Volunteers, households, pairings, visits, service and the time bank of each community.

    units: community code → its co-building unit (or none); recorders: community code → the
    account that records its service (the demo clerk for 西园, else the loader's stand-in).
    """
    phones = itertools.count(1)
    for code, community in communities.items():
        names = sample_names(code, len(VOLUNTEERS) + len(HOUSEHOLDS))
        volunteers = [
            loader.put(
                Volunteer,
                {"community": community, "name": name},
                initial={
                    "kind": kind,
                    "registered_on": registered_on,
                    "phone": fake_phone("138", next(phones)) if has_phone else "",
                    "is_sample": True,
                },
            )
            for name, (kind, registered_on, has_phone) in zip(
                names[: len(VOLUNTEERS)], VOLUNTEERS, strict=True
            )
        ]
        households = [
            loader.put(
                AssistedHousehold,
                {"community": community, "household_name": name},
                initial={
                    "category": category,
                    **needs,
                    "phone": fake_phone("139", next(phones)) if has_phone else "",
                    "is_sample": True,
                },
            )
            for name, (category, needs, has_phone) in zip(
                names[len(VOLUNTEERS) :], HOUSEHOLDS, strict=True
            )
        ]
        unit = units.get(code)
        for household, helper, started_on, ended_on in PAIRINGS:
            if helper == "unit" and unit is None:
                helper = 1  # no co-building unit here: a Party member (党员联系困难户)
            loader.put(
                HelperPairing,
                {"household": households[household], "started_on": started_on},
                initial={
                    "co_building_unit": unit if helper == "unit" else None,
                    "volunteer": None if helper == "unit" else volunteers[helper],
                    "ended_on": ended_on,
                },
            )
        for household, kind, month, day, volunteer, hours, note in VISITS:
            loader.put(
                AssistanceVisit,
                {
                    "household": households[household],
                    "visited_on": MONTHS[month].replace(day=day),
                    "kind": kind,
                },
                initial={
                    "by_volunteer": None if volunteer is None else volunteers[volunteer],
                    "hours": hours,
                    "note": note,
                },
            )
        by = recorders[code]
        for volunteer, month, day, hours, activity, household in SERVICE:
            served_on = MONTHS[month].replace(day=day)
            key = {"volunteer": volunteers[volunteer], "served_on": served_on, "activity": activity}
            if loader.find(ServiceRecord, key) is not None:
                outcome = "unchanged"
            else:
                # Through the domain, as a clerk would: the record and its time-bank deposit.
                service_record(
                    **key,
                    hours=hours,
                    household=None if household is None else households[household],
                    by=by,
                )
                outcome = "created"
            loader.count(ServiceRecord, outcome)
            loader.count(TimeBankEntry, outcome)
        if code in DRAWS:
            volunteer, on, hours, note = DRAWS[code]
            key = {"volunteer": volunteers[volunteer], "on": on, "kind": TimeBankEntry.Kind.DRAW}
            if loader.find(TimeBankEntry, key) is not None:
                outcome = "unchanged"
            else:
                time_bank_draw(
                    volunteer=volunteers[volunteer], hours=hours, on=on, note=note, by=by
                )
                outcome = "created"
            loader.count(TimeBankEntry, outcome)
