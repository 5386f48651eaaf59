"""Small factories: plain functions with defaults that a test overrides by keyword."""

import datetime
import itertools
from decimal import Decimal

from django.contrib.auth import get_user_model

from communities.models import (
    CoBuildingPairing,
    CoBuildingUnit,
    Community,
    Facility,
    GovernanceBody,
    Honour,
    Indicator,
    IndicatorGroup,
    IndicatorRule,
    MonthlyReturn,
    PartyBranch,
    Role,
    Term,
    Township,
    UserScope,
)
from portal.models import Announcement
from services.models import AssistedHousehold, Volunteer

_seq = itertools.count(1)
PASSWORD = "correct-horse-battery"


def make_township(**kwargs) -> Township:
    n = next(_seq)
    kwargs.setdefault("code", f"township-{n}")
    kwargs.setdefault("name", f"测试镇{n}")
    kwargs.setdefault("name_en", f"Test town {n}")
    return Township.objects.create(**kwargs)


def make_community(**kwargs) -> Community:
    n = next(_seq)
    if "township" not in kwargs:
        kwargs["township"] = make_township()
    kwargs.setdefault("code", f"community-{n}")
    kwargs.setdefault("name", f"测试社区{n}")
    kwargs.setdefault("name_en", f"Test community {n}")
    kwargs.setdefault("founded_year", 2002)
    kwargs.setdefault("households", 1000)
    kwargs.setdefault("residents", 3000)
    kwargs.setdefault("premises_area_m2", Decimal("250.0"))
    return Community.objects.create(**kwargs)


def make_body(**kwargs) -> GovernanceBody:
    if "community" not in kwargs:
        kwargs["community"] = make_community()
    kwargs.setdefault("kind", GovernanceBody.Kind.RESIDENTS_COMMITTEE)
    if kwargs["kind"] == GovernanceBody.Kind.PARTY:
        kwargs.setdefault("party_level", GovernanceBody.PartyLevel.COMMITTEE)
    kwargs.setdefault("name", f"{kwargs['community'].name}{kwargs['kind']}")
    return GovernanceBody.objects.create(**kwargs)


def make_term(**kwargs) -> Term:
    if "body" not in kwargs:
        kwargs["body"] = make_body()
    kwargs.setdefault("number", next(_seq))
    kwargs.setdefault("starts_on", datetime.date(2021, 6, 1))
    kwargs.setdefault("elected_on", kwargs["starts_on"])
    if "ends_on" not in kwargs:
        start = kwargs["starts_on"]
        day = 28 if (start.month, start.day) == (2, 29) else start.day
        kwargs["ends_on"] = start.replace(year=start.year + 5, day=day)
    return Term.objects.create(**kwargs)


def make_branch(**kwargs) -> PartyBranch:
    if "organisation" not in kwargs:
        kwargs["organisation"] = make_body(kind=GovernanceBody.Kind.PARTY)
    kwargs.setdefault("name", f"第{next(_seq)}楼道党支部")
    kwargs.setdefault("is_building_level", True)
    return PartyBranch.objects.create(**kwargs)


def make_unit(**kwargs) -> CoBuildingUnit:
    kwargs.setdefault("name", f"共建单位{next(_seq)}")
    return CoBuildingUnit.objects.create(**kwargs)


def make_pairing(**kwargs) -> CoBuildingPairing:
    if "unit" not in kwargs:
        kwargs["unit"] = make_unit()
    if "community" not in kwargs:
        kwargs["community"] = make_community()
    kwargs.setdefault("started_on", datetime.date(2008, 1, 1))
    return CoBuildingPairing.objects.create(**kwargs)


def make_honour(**kwargs) -> Honour:
    if "community" not in kwargs:
        kwargs["community"] = make_community()
    kwargs.setdefault("title", f"文明社区{next(_seq)}")
    kwargs.setdefault("level", Honour.Level.COUNTY)
    return Honour.objects.create(**kwargs)


def make_facility(**kwargs) -> Facility:
    if "community" not in kwargs:
        kwargs["community"] = make_community()
    kwargs.setdefault("kind", "party_room")
    kwargs.setdefault("present", True)
    kwargs.setdefault("area_m2", Decimal("40.0"))
    return Facility.objects.create(**kwargs)


def make_user(role=None, *, township=None, community=None, **kwargs):
    """A user with a portal role; staff roles can log in to the admin."""
    n = next(_seq)
    kwargs.setdefault("username", f"user{n}")
    kwargs.setdefault("is_staff", role in (Role.COUNTY, Role.TOWNSHIP, Role.CLERK))
    user = get_user_model().objects.create_user(password=PASSWORD, **kwargs)
    if role:
        UserScope.objects.create(user=user, role=role, township=township, community=community)
    return user


def make_group(**kwargs) -> IndicatorGroup:
    n = next(_seq)
    kwargs.setdefault("code", f"group-{n}")
    kwargs.setdefault("name", f"指标组{n}")
    return IndicatorGroup.objects.create(**kwargs)


def make_indicator(**kwargs) -> Indicator:
    n = next(_seq)
    if "group" not in kwargs:
        kwargs["group"] = IndicatorGroup.objects.first() or make_group()
    kwargs.setdefault("code", f"indicator-{n}")
    kwargs.setdefault("name", f"指标{n}")
    kwargs.setdefault("name_en", f"Indicator {n}")
    kwargs.setdefault("unit", "人")
    kwargs.setdefault("minimum", Decimal(0))
    kwargs.setdefault("active_from", datetime.date(2020, 1, 1))
    kwargs.setdefault("sort_order", n)
    return Indicator.objects.create(**kwargs)


def make_rule(left, operator, right, **kwargs) -> IndicatorRule:
    return IndicatorRule.objects.create(left=left, operator=operator, right=right, **kwargs)


def make_return(**kwargs) -> MonthlyReturn:
    """A return row only (no values); use communities.returns.domain.return_save to fill one."""
    if "community" not in kwargs:
        kwargs["community"] = make_community()
    kwargs.setdefault("period", datetime.date(2026, 10, 1))
    return MonthlyReturn.objects.create(**kwargs)


def make_volunteer(**kwargs) -> Volunteer:
    if "community" not in kwargs:
        kwargs["community"] = make_community()
    kwargs.setdefault("name", f"志愿者{next(_seq)}")
    kwargs.setdefault("registered_on", datetime.date(2026, 1, 5))
    return Volunteer.objects.create(**kwargs)


def make_household(**kwargs) -> AssistedHousehold:
    if "community" not in kwargs:
        kwargs["community"] = make_community()
    kwargs.setdefault("household_name", f"住户{next(_seq)}")
    kwargs.setdefault("category", AssistedHousehold.Category.ELDERLY)
    kwargs.setdefault("help_hardship", True)
    return AssistedHousehold.objects.create(**kwargs)


def make_announcement(**kwargs) -> Announcement:
    """An announcement row as given (published on 1 December 2026 by default), no file; use
    portal.announcements.announcement_create for one with an attachment."""
    n = next(_seq)
    kwargs.setdefault("title", f"测试通知{n}")
    kwargs.setdefault("body", f"测试通知{n}的正文。")
    kwargs.setdefault("published_on", datetime.date(2026, 12, 1))
    return Announcement.objects.create(**kwargs)
