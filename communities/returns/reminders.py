"""The monthly returns' daily reminders (notifications.reminders).

The clerks: a return due within REMIND_DAYS_BEFORE days, and a return overdue, each once
per community and month. Township staff: the returns of their township overdue by
CHUNAN_OVERDUE_REPORT_DAYS days or more, in one message a day. Reviewers: one message a day
with the returns waiting for them (the township approves, the county accepts).

What a community owes is the rule of its clerk's to-do list (queries.returns_owed): the
months since its founding whose return is not submitted and whose entry window is open.
"""

import datetime
from collections import Counter, defaultdict
from dataclasses import dataclass

from django.conf import settings
from django.urls import reverse
from django.utils.http import urlencode

from communities.access import COUNTY, TOWNSHIP
from communities.models import Community, MonthlyReturn, ReturnStatus
from communities.queries import people_by_place
from communities.returns.checks import closes_on, due_on
from communities.returns.domain import TO_REVIEW
from communities.returns.models import return_url
from communities.returns.queries import returns_owed
from communities.returns.reports import CELL_STATUSES, NOT_STARTED
from notifications.models import Kind
from notifications.reminders import Reminder

# The clerks are reminded of a return this many days before it is due.
REMIND_DAYS_BEFORE = 3

TEMPLATES = "notifications/messages/"


@dataclass(frozen=True)
class Late:
    """A return overdue, as the township's report lists it."""

    community: Community
    period: datetime.date
    status: str

    @property
    def due(self) -> datetime.date:
        return due_on(self.period)

    @property
    def status_label(self):
        return CELL_STATUSES[self.status]


def owed_return_reminders(today: datetime.date) -> list[Reminder]:
    """The returns due soon and overdue to the clerks, and the overdue ones to the township
    staff: three queries (the communities, their returns, the people)."""
    communities = list(Community.objects.public().select_related("township"))
    owed = returns_owed(communities, today)
    people = people_by_place()
    reminders, late = [], defaultdict(list)
    for community in communities:
        clerks = tuple(people.clerks.get(community.pk, ()))
        for period, monthly_return in owed[community.pk]:
            days_late = (today - due_on(period)).days
            reminder = _clerk_reminder(community, period, monthly_return, clerks, days_late)
            if reminder:
                reminders.append(reminder)
            if days_late >= settings.CHUNAN_OVERDUE_REPORT_DAYS:
                status = monthly_return.status if monthly_return else NOT_STARTED
                late[community.township].append(Late(community, period, status))
    for township, returns in late.items():
        staff = tuple(people.township_staff.get(township.pk, ()))
        if staff:
            reminders.append(
                Reminder(
                    Kind.RETURNS_OVERDUE_AREA,
                    staff,
                    TEMPLATES + "returns_overdue_area.txt",
                    # One a day for each of the township's staff (a key is per recipient).
                    key=f"returns_overdue_area:{today.isoformat()}",
                    url=reverse("returns:completeness"),
                    context={
                        "township": township,
                        "late": sorted(returns, key=lambda r: (r.period, r.community.code)),
                        "days": settings.CHUNAN_OVERDUE_REPORT_DAYS,
                    },
                )
            )
    return reminders


def _clerk_reminder(community, period, monthly_return, clerks, days_late) -> Reminder | None:
    if not clerks or days_late < -REMIND_DAYS_BEFORE:
        return None
    month = f"{period:%Y-%m}"
    kind, template, key = (
        (Kind.RETURN_OVERDUE, "returns_overdue.txt", f"return_overdue:{community.pk}:{month}")
        if days_late > 0
        else (Kind.RETURN_DUE, "returns_due.txt", f"return_due:{community.pk}:{month}")
    )
    return Reminder(
        kind,
        clerks,
        TEMPLATES + template,
        key=key,
        url=return_url(community.code, period),
        context={
            "community": community,
            "period": period,
            "due": due_on(period),
            "closes": closes_on(period, monthly_return.open_until if monthly_return else None),
        },
    )


def waiting_return_reminders(today: datetime.date) -> list[Reminder]:
    """One message a day to each reviewer with returns waiting: township staff the returns
    of their township submitted for approval, county staff the approved returns to accept.
    Two queries (the returns waiting, the people)."""
    waiting = list(
        MonthlyReturn.objects.filter(status__in=TO_REVIEW.values())
        .select_related("community__township")
        .order_by("period", "community__code")
    )
    if not waiting:
        return []
    people = people_by_place()
    # One a day for each reviewer (a key is per recipient).
    key = f"returns_waiting:{today.isoformat()}"
    reminders = []
    to_approve = defaultdict(list)
    for monthly_return in waiting:
        if monthly_return.status == TO_REVIEW[TOWNSHIP]:
            to_approve[monthly_return.community.township_id].append(monthly_return)
    for township_id, returns in to_approve.items():
        staff = tuple(people.township_staff.get(township_id, ()))
        if staff:
            reminders.append(
                Reminder(
                    Kind.RETURNS_WAITING,
                    staff,
                    TEMPLATES + "returns_waiting.txt",
                    key=key,
                    url=_list_url(TO_REVIEW[TOWNSHIP]),
                    context={"returns": returns, "total": len(returns)},
                )
            )
    to_accept = Counter(
        monthly_return.community.township
        for monthly_return in waiting
        if monthly_return.status == TO_REVIEW[COUNTY]
    )
    if to_accept and people.county_staff:
        reminders.append(
            Reminder(
                Kind.RETURNS_WAITING,
                tuple(people.county_staff),
                TEMPLATES + "returns_waiting.txt",
                key=key,
                url=_list_url(TO_REVIEW[COUNTY]),
                context={
                    "townships": sorted(
                        to_accept.items(), key=lambda item: (item[0].sort_order, item[0].code)
                    ),
                    "total": to_accept.total(),
                },
            )
        )
    return reminders


def _list_url(status: ReturnStatus) -> str:
    return f"{reverse('returns:list')}?{urlencode({'status': status})}"
