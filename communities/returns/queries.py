"""Reads for monthly returns, each in a fixed number of queries whatever the data size."""

import datetime
from collections import defaultdict

from django.db.models import Q

from chunan_community.months import add_months, month_start, months_between
from communities.models import Indicator, IndicatorRule, MonthlyReturn, ReturnValue
from communities.returns.checks import founding_month, open_for_entry

RECENT_MONTHS = 6
# How far before last month the months a community still owes are looked for: a month's
# entry window closes RETURN_CLOSE_DAYS after its end, so older ones are closed unless the
# county reopened them (which returns_owed finds by their open_until).
OWED_MONTHS_BACK = 3


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


def returns_owed(communities, today: datetime.date, *, returns=None) -> dict:
    """Community id → the months it still owes, oldest first, each as (month, its saved
    return or None when not started): the months from its founding (at most OWED_MONTHS_BACK
    before last month) to last month, and any reopened one, whose entry window is still open
    (open_for_entry). The clerks' to-do list and the reminders both ask this. One query.

    `communities`: instances with founded_year and founded_on. `returns`: the MonthlyReturn
    queryset to read the saved returns from, for a caller that annotates them.
    """
    last_month = add_months(month_start(today), -1)
    earliest = add_months(last_month, -OWED_MONTHS_BACK)
    firsts = {
        community.pk: max(founding_month(community.founded_year, community.founded_on), earliest)
        for community in communities
    }
    if not firsts:
        return {}
    returns = MonthlyReturn.objects.all() if returns is None else returns
    saved = defaultdict(dict)
    for monthly_return in returns.filter(community__in=list(firsts)).filter(
        Q(period__gte=min(firsts.values())) | Q(open_until__gte=today)
    ):
        first = firsts[monthly_return.community_id]
        if monthly_return.period >= first or (
            monthly_return.open_until and monthly_return.open_until >= today
        ):
            saved[monthly_return.community_id][monthly_return.period] = monthly_return
    owed = {}
    for community_id, first in firsts.items():
        mine = saved.get(community_id, {})
        owed[community_id] = [
            (period, mine.get(period))
            for period in sorted(set(months_between(first, last_month)) | set(mine))
            if period <= last_month and open_for_entry(mine.get(period), period, today)
        ]
    return owed
