"""The registry's daily reminders (notifications.reminders): the terms of office falling due.

A term's election is prepared months ahead: the community's clerks and its township's staff
are told when the term comes within TERMS_DUE_DAYS of its end (as the to-do list lists it),
and again within LAST_NOTICE_DAYS. Each notice is sent once per term.
"""

import datetime

from django.conf import settings

from communities.access import CLERK, COUNTY, TOWNSHIP
from communities.queries import people_by_place, terms_falling_due
from notifications.models import Kind
from notifications.reminders import Reminder

# What the registry and the monthly returns tell each role (the message settings' kinds).
KINDS_BY_ROLE = {
    CLERK: {Kind.RETURN_SENT_BACK, Kind.RETURN_DUE, Kind.RETURN_OVERDUE, Kind.TERM_ENDING},
    TOWNSHIP: {Kind.RETURNS_OVERDUE_AREA, Kind.RETURNS_WAITING, Kind.TERM_ENDING},
    COUNTY: {Kind.RETURNS_WAITING},
}

# The second, last notice before a term ends.
LAST_NOTICE_DAYS = 30


def notice_days() -> list[int]:
    """The days before a term's end at which it is announced, nearest first."""
    return sorted({settings.TERMS_DUE_DAYS, LAST_NOTICE_DAYS})


def term_reminders(today: datetime.date) -> list[Reminder]:
    """Each term ending within a notice's days, to its community's clerks and its township's
    staff, under the nearest notice (a term found 20 days before its end gets the 30-day
    notice only): two queries (the terms, the people)."""
    notices = notice_days()
    bodies = list(terms_falling_due(days=notices[-1], today=today).filter(term_ends__gte=today))
    if not bodies:
        return []
    people = people_by_place()
    reminders = []
    for body in bodies:
        community = body.community
        recipients = (
            *people.clerks.get(community.pk, ()),
            *people.township_staff.get(community.township_id, ()),
        )
        if not recipients:
            continue
        days_left = (body.term_ends - today).days
        notice = next(days for days in notices if days_left <= days)
        reminders.append(
            Reminder(
                Kind.TERM_ENDING,
                recipients,
                "notifications/messages/term_ending.txt",
                # A term is its body and number (unique together).
                key=f"term_ending:{body.pk}:{body.term_number}:{notice}",
                url=community.get_workspace_url(),
                context={"body": body, "days_left": days_left},
            )
        )
    return reminders
