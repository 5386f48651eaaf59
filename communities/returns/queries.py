"""Reads for monthly returns, each in a fixed number of queries whatever the data size."""

import datetime
from collections import defaultdict

from chunan_community.months import add_months
from communities.models import Indicator, IndicatorRule, MonthlyReturn, ReturnValue

RECENT_MONTHS = 6


def active_indicators(period: datetime.date) -> list[Indicator]:
    return list(Indicator.objects.active_in(period).select_related("group"))


def rules_among(indicators) -> list[IndicatorRule]:
    ids = [indicator.pk for indicator in indicators]
    return list(IndicatorRule.objects.filter(left_id__in=ids, right_id__in=ids))


def values_before(community_ids, period: datetime.date, months: int = RECENT_MONTHS):
    """(community id, indicator id) → [value of period-1, period-2, …] for `months` months.

    Missing months are None, so the first item is always last month's value.
    """
    first = add_months(period, -months)
    rows = ReturnValue.objects.filter(
        monthly_return__community_id__in=community_ids,
        monthly_return__period__gte=first,
        monthly_return__period__lt=period,
    ).values_list("monthly_return__community_id", "indicator_id", "monthly_return__period", "value")
    found = defaultdict(dict)
    for community_id, indicator_id, month, value in rows:
        found[community_id, indicator_id][month] = value
    wanted = [add_months(period, -n) for n in range(1, months + 1)]
    return defaultdict(
        lambda: [None] * months,
        {key: [by_month.get(m) for m in wanted] for key, by_month in found.items()},
    )


def entry_context(community, period: datetime.date) -> dict:
    """What a ReturnForm for this community and month needs: indicators, rules, history."""
    indicators = active_indicators(period)
    history = values_before([community.pk], period)
    return {
        "indicators": indicators,
        "rules": rules_among(indicators),
        "previous": {i.pk: history[community.pk, i.pk][0] for i in indicators},
        "recent": {i.pk: history[community.pk, i.pk] for i in indicators},
    }


def stored_values(monthly_return) -> dict:
    """indicator id → (value, comment) of a saved return."""
    if monthly_return is None or monthly_return.pk is None:
        return {}
    return {
        v.indicator_id: (v.value, v.comment)
        for v in ReturnValue.objects.filter(monthly_return=monthly_return)
    }


def value_changes(monthly_return) -> list[dict]:
    """Every change of every value of the return, newest first: who, when, old → new."""
    if monthly_return is None or monthly_return.pk is None:
        return []
    history = list(
        ReturnValue.history.filter(monthly_return_id=monthly_return.pk)
        .select_related("history_user")
        .order_by("indicator_id", "history_date", "history_id")
    )
    indicators = Indicator.objects.in_bulk({row.indicator_id for row in history})
    changes, last = [], {}
    for row in history:
        before = last.get(row.indicator_id)
        old_value = before.value if before else None
        if before is None or old_value != row.value or before.comment != row.comment:
            changes.append(
                {
                    "indicator": indicators.get(row.indicator_id),
                    "old": old_value,
                    "new": row.value if row.history_type != "-" else None,
                    "comment": row.comment,
                    "by": row.history_user,
                    "at": row.history_date,
                }
            )
        last[row.indicator_id] = row
    changes.sort(key=lambda change: change["at"], reverse=True)
    return changes


def returns_for(user):
    return MonthlyReturn.objects.visible_to(user).select_related("community__township")
