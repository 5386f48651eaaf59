"""Sample service networks and outlets (示例数据) for `manage.py load_chunan`, and with
`--demo-accounts` the sample records of the services (`load_sample_records`, below).

The speech says the communities set out to build five service networks (五大服务网络),
with convenience outlets, health stations, cultural stations and gyms (生活服务网点、医疗
卫生服务站、文化活动站、健身房), and that every community has a gym (各社区都建立了……
健身房). It names no outlet and dates no network: the rest is invented for the
demonstration. Everything is written only when its row is created (`initial`), so whatever
a person enters later is kept; outlets carry `is_sample`, and the networks, which have no
flag of their own, are marked by the community's `figures_are_sample`, as its facilities are.

Outlets agree with the facilities checklist: a community whose medical station is missing
(`FACILITIES_MISSING`) has no health station here. Contacts are left empty rather than
invented, so that no real telephone number is published by chance.
"""

import datetime
import random
from decimal import Decimal

from chunan_community.months import add_months
from communities.access import CLERK, COUNTY, access_for
from communities.models import CoBuildingUnit
from operations.demo import chunan_facts as facts
from operations.demo.people import load_people
from services.models import (
    AdmissionRequest,
    Commendation,
    ProcessingProject,
    ReemploymentOutcome,
    ServiceNetwork,
    ServiceOutlet,
    TrainingClass,
)

D = datetime.date
Network = ServiceNetwork.Kind
Outlet = ServiceOutlet.Kind

QIANDAOHU_NETWORKS_SINCE = {
    Network.SOCIAL_ASSISTANCE: D(2003, 3, 1),
    Network.CONVENIENCE: D(2003, 6, 1),
    Network.SOCIALISED: D(2004, 9, 1),
    Network.REEMPLOYMENT: D(2005, 3, 1),
    Network.CO_BUILDING: D(2006, 3, 1),
}
# Community → the networks it has established and since when; the others are not yet.
NETWORKS = {
    **dict.fromkeys(
        ("xiyuan", "nanyuan", "huolujian", "jiangbin", "wanghu", "lijiawu", "xinbei", "shijiatang"),
        QIANDAOHU_NETWORKS_SINCE,
    ),
    "yangqi": {
        Network.SOCIAL_ASSISTANCE: D(2008, 12, 1),
        Network.CONVENIENCE: D(2008, 12, 1),
        Network.REEMPLOYMENT: D(2009, 3, 1),
        Network.CO_BUILDING: D(2009, 5, 1),
    },
    "hongqiao": {
        Network.SOCIAL_ASSISTANCE: D(2008, 12, 1),
        Network.CONVENIENCE: D(2009, 1, 1),
        Network.CO_BUILDING: D(2009, 6, 1),
    },
}

OFFICE_HOURS = "周一至周五 8:30-17:00"
HOURS = {
    Outlet.CONVENIENCE: "每日 7:00-20:00",
    Outlet.HEALTH: "每日 8:00-17:30",
    Outlet.CULTURE: "每日 8:30-21:00",
    Outlet.GYM: "每日 6:00-21:00",
    Outlet.OTHER: OFFICE_HOURS,
}
SUFFIXES = {
    Outlet.CONVENIENCE: "便民服务网点",
    Outlet.HEALTH: "卫生服务站",
    Outlet.CULTURE: "文化活动站",
    Outlet.GYM: "健身房",
}
# Community → the kinds of its outlets (one each), or (kind, name) for a named one.
OUTLETS = {
    "xiyuan": (Outlet.CONVENIENCE, Outlet.CULTURE, Outlet.GYM),
    "nanyuan": (Outlet.CONVENIENCE, Outlet.HEALTH, Outlet.CULTURE, Outlet.GYM),
    "huolujian": (Outlet.CONVENIENCE, Outlet.GYM),
    "jiangbin": (Outlet.HEALTH, Outlet.CULTURE, Outlet.GYM),
    "wanghu": (Outlet.CONVENIENCE, Outlet.HEALTH, Outlet.GYM),
    "lijiawu": (Outlet.CONVENIENCE, Outlet.HEALTH, Outlet.CULTURE, Outlet.GYM),
    "xinbei": (Outlet.HEALTH, Outlet.CULTURE, Outlet.GYM),
    "shijiatang": (
        Outlet.HEALTH,
        Outlet.CULTURE,
        Outlet.GYM,
        (Outlet.OTHER, "施家塘社区星光老年之家"),
    ),
    "yangqi": (Outlet.CONVENIENCE, Outlet.GYM),
    "hongqiao": (Outlet.HEALTH, Outlet.CULTURE, Outlet.GYM),
}


def outlet_rows(community):
    """(kind, name, address, opening hours) of the sample outlets of `community`."""
    for spec in OUTLETS.get(community.code, ()):
        kind, name = spec if isinstance(spec, tuple) else (spec, community.name + SUFFIXES[spec])
        yield kind, name, community.address, HOURS[kind]


def load_service_networks(loader, communities: dict) -> None:
    """The five networks of each community and its outlets, as sample data."""
    for code, community in communities.items():
        established = NETWORKS.get(code, {})
        for kind in Network:
            loader.put(
                ServiceNetwork,
                {"community": community, "kind": kind},
                initial={
                    "established": kind in established,
                    "established_on": established.get(kind),
                },
            )
        for kind, name, address, opening_hours in outlet_rows(community):
            loader.put(
                ServiceOutlet,
                {"community": community, "name": name},
                initial={
                    "kind": kind,
                    "address": address,
                    "opening_hours": opening_hours,
                    "is_sample": True,
                },
            )


# Sample records of the services (`load_chunan --demo-accounts` only) ---------------------
#
# Like the sample returns, these are demonstration data, loaded only with the demonstration
# accounts: they stand for residents, county departments and commended people, none of whom
# belongs on a server with real data. Dates follow the demo's calendar (chunan_facts
# .DemoCalendar, relative to the day of the load); the re-employment and training figures of
# every demo month are those of the sample returns (chunan_facts.sample_figures), so the
# return page and the records agree on them.

TRAINING_NAMES = [
    "家政服务技能培训班",
    "养老护理员培训班",
    "电子商务技能培训班",
    "茶艺技能培训班",
    "中式烹调技能培训班",
    "手工编织技能培训班",
]
PROCESSING_NAMES = [
    "来料加工：手工串珠",
    "来料加工：服装剪线头",
    "来料加工：电子元件组装",
    "来料加工：毛衫缝盘",
    "来料加工：竹制品加工",
]
QIANDAOHU = (
    "xiyuan",
    "nanyuan",
    "huolujian",
    "jiangbin",
    "wanghu",
    "lijiawu",
    "xinbei",
    "shijiatang",
)

# (department, task, funds, staff, authority follow, funds in yuan, communities or None for
# all, status, decided on as (months after the last closed month, day), reason)
ADMISSION_REQUESTS = [
    (
        "县卫生健康局",
        "组织辖区60岁以上老年人参加每年一次的免费健康体检，社区负责通知和组织。",
        True,
        True,
        True,
        Decimal(30000),
        None,
        "approved",
        (-8, 10),
        "经费按参检人数拨付，社区卫生服务站派医生上门，符合准入要求。",
    ),
    (
        "县统计局",
        "协助开展居民家庭收支抽样调查的入户登记。",
        True,
        False,
        True,
        Decimal(8000),
        QIANDAOHU,
        "approved",
        (-6, 20),
        "调查员补贴随事拨付，任务有期限，同意准入。",
    ),
    (
        "县综合行政执法局",
        "由社区承担辖区违章搭建的日常巡查和劝阻。",
        False,
        False,
        False,
        Decimal(0),
        None,
        "refused",
        (-4, 8),
        "未随事转移经费、人员和执法权限，不符合“费随事转、人随事转、权随事转”的准入要求；"
        "违章搭建查处属执法事项，社区可协助发现和报告。",
    ),
    (
        "县人力社保局",
        "在社区设立就业援助联络员，每月上报就业困难人员动态。",
        True,
        False,
        True,
        Decimal(20000),
        None,
        "submitted",
        None,
        "",
    ),
]
# The speech says the conference commended advanced collectives and individuals
# (表彰了社区建设先进集体和个人) but names none: these are invented. (kind, name, community
# code or None, title)
COMMENDATIONS_2008 = [
    ("collective", "江滨社区居民委员会", "jiangbin", "社区建设先进集体"),
    ("collective", "施家塘社区居民委员会", "shijiatang", "社区建设先进集体"),
    ("collective", "县工贸资产经营有限公司", None, "社区共建先进单位"),
    ("individual", "徐丽萍", "nanyuan", "优秀社区工作者"),
    ("individual", "方国平", "yangqi", "优秀社区工作者"),
    ("individual", "汪美玲", "xinbei", "优秀社区志愿者"),
]


def _actor(accounts, stand_in, role, community=None):
    """The demo account with this role (covering `community`), else the stand-in."""
    for user in accounts:
        access = access_for(user)
        if access.role == role and (community is None or access.covers(community)):
            return user
    return stand_in


def load_sample_records(
    loader, communities: dict, *, accounts: list, stand_in, calendar: facts.DemoCalendar
) -> None:
    """Sample volunteers, households, visits, time bank, training, processing work,
    re-employment, admission requests and the 2008 commendations (示例数据), for the
    months of `calendar`."""
    units = {
        code: loader.find(CoBuildingUnit, {"name": unit})
        for unit, code, _branch, _since, _contribution in facts.PAIRINGS
    }
    recorders = {
        code: _actor(accounts, stand_in, CLERK, community)
        for code, community in communities.items()
    }
    load_people(loader, communities, units=units, recorders=recorders, calendar=calendar)
    last = calendar.last_month
    for code, community in communities.items():
        for period in calendar.months:
            figures = facts.sample_figures(code, period)
            loader.put(
                ReemploymentOutcome,
                {"community": community, "month": period},
                initial={"reemployed": int(figures["reemployed"]), "is_sample": True},
            )
            _training(loader, community, period, figures)
        _processing(loader, community, facts.sample_figures(code, last), year=last.year)
    _admission(loader, communities, _actor(accounts, stand_in, COUNTY), last_month=last)
    for kind, name, code, title in COMMENDATIONS_2008:
        loader.put(
            Commendation,
            {"year": 2008, "kind": kind, "name": name, "title": title},
            initial={"community": communities.get(code), "is_sample": True},
        )


def _training(loader, community, period, figures):
    """The month's classes: as many as the sample return says, sharing its trainees."""
    rng = random.Random(f"{community.code}-training-{period:%Y-%m}")  # noqa: S311
    count, trainees = int(figures["training_classes"]), int(figures["trainees"])
    first = trainees // count + (rng.randint(-3, 3) if count > 1 else 0)
    sizes = [first, trainees - first][:count]
    for number, (name, size) in enumerate(
        zip(rng.sample(TRAINING_NAMES, count), sizes, strict=True)
    ):
        starts_on = period + datetime.timedelta(days=4 + 12 * number)
        loader.put(
            TrainingClass,
            {"community": community, "name": name, "starts_on": starts_on},
            initial={
                "ends_on": starts_on + datetime.timedelta(days=9),
                "trainees": size,
                "completions": size - rng.randint(0, 2),
                "is_sample": True,
            },
        )


def _processing(loader, community, figures, *, year):
    """Two processing-work projects of the year sharing the sample return's participants."""
    rng = random.Random(f"{community.code}-processing")  # noqa: S311
    participants = int(figures["processing_participants"])
    first = participants // 2 + rng.randint(-3, 3)
    for name, people in zip(
        rng.sample(PROCESSING_NAMES, 2), (first, participants - first), strict=True
    ):
        loader.put(
            ProcessingProject,
            {"community": community, "name": name, "year": year},
            initial={
                "participants": people,
                "income_yuan": Decimal(people * rng.randint(80, 150) * 10),
                "is_sample": True,
            },
        )


def _admission(loader, communities, county, *, last_month):
    for (
        department,
        task,
        funds,
        staff,
        authority,
        funds_yuan,
        codes,
        status,
        decided,
        reason,
    ) in ADMISSION_REQUESTS:
        if decided:
            decided_on = add_months(last_month, decided[0]).replace(day=decided[1])
            # Received on paper some weeks before the county decided.
            received_on = decided_on - datetime.timedelta(days=21)
        else:
            decided_on, received_on = None, last_month.replace(day=20)
        key = {"department": department, "task": task}
        new = loader.find(AdmissionRequest, key) is None
        request = loader.put(
            AdmissionRequest,
            key,
            initial={
                "funds_follow": funds,
                "staff_follow": staff,
                "authority_follow": authority,
                "funds_yuan": funds_yuan,
                "status": status,
                "decision_reason": reason,
                "decided_by": county if decided_on else None,
                "decided_on": decided_on,
                "received_on": received_on,
                "is_sample": True,
            },
        )
        if new:
            request.communities.set(
                [communities[code] for code in codes] if codes else communities.values()
            )
