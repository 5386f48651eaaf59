"""Small factories for rating rounds: plain functions with defaults a test overrides."""

import itertools
from decimal import Decimal

from ratings.models import Criterion, Declaration, JudgeAssignment, Round, RoundStatus, Tier

_seq = itertools.count(1)


def make_round(**kwargs) -> Round:
    n = next(_seq)
    kwargs.setdefault("code", f"round-{n}")
    kwargs.setdefault("year", 2026)
    kwargs.setdefault("name", f"{kwargs['year']}年度测试评定{n}")
    kwargs.setdefault("status", RoundStatus.PLANNED)
    return Round.objects.create(**kwargs)


def make_criterion(**kwargs) -> Criterion:
    n = next(_seq)
    if "round" not in kwargs:
        kwargs["round"] = make_round()
    kwargs.setdefault("tier", Tier.NORMATIVE)
    kwargs.setdefault("code", f"criterion-{n}")
    kwargs.setdefault("name", f"评分项{n}")
    kwargs.setdefault("max_points", Decimal(10))
    kwargs.setdefault("sort_order", n)
    return Criterion.objects.create(**kwargs)


def make_declaration(**kwargs) -> Declaration:
    """A declaration row as given (submitted by default); the domain is not involved."""
    if "round" not in kwargs:
        kwargs["round"] = make_round(status=RoundStatus.REVIEW)
    kwargs.setdefault("target_tier", Tier.NORMATIVE)
    kwargs.setdefault("status", Declaration.Status.SUBMITTED)
    return Declaration.objects.create(**kwargs)


def make_assignment(**kwargs) -> JudgeAssignment:
    kwargs.setdefault("is_chair", False)
    return JudgeAssignment.objects.create(**kwargs)
