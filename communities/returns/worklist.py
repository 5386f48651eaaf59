"""The monthly returns in a person's to-do list (chunan_community.worklist).

A clerk: the months their community still owes, while the entry window is open, and the
returns sent back with the reason. Township staff: the returns to review. County staff: the
returns to accept.
"""

import datetime

from django.db.models import OuterRef, Subquery
from django.urls import reverse
from django.utils.http import urlencode
from django.utils.translation import gettext as _

from chunan_community.months import month_name
from chunan_community.worklist import Task, Work, work_from
from communities.access import CLERK, COUNTY, TOWNSHIP
from communities.models import Community, MonthlyReturn, ReturnEvent, ReturnStatus
from communities.returns.checks import due_on
from communities.returns.domain import TO_REVIEW
from communities.returns.models import return_url
from communities.returns.queries import returns_for, returns_owed


def returns_work(user, access, today: datetime.date) -> list[Work]:
    if access.role == CLERK:
        return [_to_file(access.community_id, today)]
    if access.role in (TOWNSHIP, COUNTY):
        return [_to_review(user, access.role)]
    return []


def _sent_back_reason():
    """The reason given when the return was last sent back."""
    return Subquery(
        ReturnEvent.objects.filter(
            monthly_return=OuterRef("pk"), action=ReturnEvent.Action.RETURNED
        )
        .order_by("-at", "-pk")
        .values("reason")[:1]
    )


def _to_file(community_id, today) -> Work:
    """The months the clerk's community owes, oldest first: two queries."""
    community = Community.objects.only("code", "founded_year", "founded_on").get(pk=community_id)
    with_reasons = MonthlyReturn.objects.annotate(sent_back_reason=_sent_back_reason())
    owed = returns_owed([community], today, returns=with_reasons)
    tasks = [
        _filing_task(community.code, period, monthly_return)
        for period, monthly_return in owed[community.pk]
    ]
    return Work(
        kind="returns.file",
        heading=_("Monthly returns to fill in and submit"),
        total=len(tasks),
        tasks=tuple(tasks),
        all_url=reverse("returns:list"),
    )


def _filing_task(code, period, monthly_return) -> Task:
    if monthly_return and monthly_return.status == ReturnStatus.RETURNED:
        what = _("Correct and resubmit the return for %(month)s")
        reason = monthly_return.sent_back_reason
        note = _("Sent back: %(reason)s") % {"reason": reason} if reason else ""
    else:
        what, note = _("Fill in and submit the return for %(month)s"), ""
    return Task(
        what=what % {"month": month_name(period)},
        url=return_url(code, period),
        due=due_on(period),
        note=note,
    )


def _to_review(user, role) -> Work:
    """The returns waiting for this reviewer, oldest month first: one query."""
    status = TO_REVIEW[role]
    if role == TOWNSHIP:
        heading, action = _("Monthly returns to review"), _("Review the return for %(month)s")
    else:
        heading, action = _("Monthly returns to accept"), _("Accept the return for %(month)s")
    return work_from(
        returns_for(user).filter(status=status).order_by("period", "community__code"),
        lambda monthly_return: Task(
            what=action % {"month": month_name(monthly_return.period)},
            url=monthly_return.get_absolute_url(),
            community=monthly_return.community.local_name,
        ),
        kind=f"returns.{status}",
        heading=heading,
        all_url=f"{reverse('returns:list')}?{urlencode({'status': status})}",
    )
