"""The daily reminders of the rating rounds (notifications.reminders, registered from
RatingsConfig.ready()): the declaration deadline for the clerks whose community has not
submitted its declaration, and the scoring deadline for the judges with score sheets still to
fill. The rules are the to-do list's (ratings.domain: owes_declaration, unsaved_sheets); each
reminder is sent once (its key), from a few days before the deadline until the deadline, so
that a day the reminders did not run loses none.
"""

import datetime
from collections import defaultdict

from django.contrib.auth import get_user_model
from django.db.models import Exists, OuterRef
from django.urls import reverse

from communities.access import CLERK, COUNTY, JUDGE
from notifications.models import Kind
from notifications.reminders import Reminder
from ratings.domain import active_clerks, owes_declaration, unsaved_sheets
from ratings.models import Round, RoundStatus

DECLARATION_DAYS = 3
SCORING_DAYS = 2


def declaration_deadline(today: datetime.date) -> list[Reminder]:
    """The clerks of each active community that owes its declaration in a round whose
    declarations close within DECLARATION_DAYS: two queries."""
    rounds = list(
        Round.objects.filter(
            status=RoundStatus.DECLARATIONS_OPEN,
            declarations_close_on__range=(today, today + datetime.timedelta(DECLARATION_DAYS)),
        ).order_by("declarations_close_on", "code")
    )
    if not rounds:
        return []
    # One column per round closing soon (usually one): does the clerk's community owe it?
    owes = {
        f"owes_{round_.pk}": Exists(
            Round.objects.filter(pk=round_.pk).filter(
                owes_declaration(OuterRef(OuterRef("community_id")))
            )
        )
        for round_ in rounds
    }
    clerks = defaultdict(list)
    communities = {}
    for scope in active_clerks().annotate(**owes):
        communities[scope.community_id] = scope.community
        for round_ in rounds:
            if getattr(scope, f"owes_{round_.pk}"):
                clerks[round_, scope.community_id].append(scope.user)
    return [
        Reminder(
            kind=Kind.DECLARATION_DEADLINE,
            recipients=tuple(users),
            template="notifications/messages/ratings_declaration_deadline.txt",
            key=f"declaration_deadline:{round_.pk}:{community_id}",
            url=reverse("ratings:declaration_own", args=[round_.code]),
            context={"round": round_, "community": communities[community_id]},
        )
        for (round_, community_id), users in clerks.items()
    ]


def scoring_deadline(today: datetime.date) -> list[Reminder]:
    """Each judge with score sheets still to fill in a round at its review meeting, when the
    meeting (where scoring closes) is within SCORING_DAYS: six queries."""
    rounds = list(
        Round.objects.filter(
            status=RoundStatus.REVIEW,
            review_meeting_on__range=(today, today + datetime.timedelta(SCORING_DAYS)),
        ).order_by("review_meeting_on", "code")
    )
    if not rounds:
        return []
    unsaved = {key: count for key, count in unsaved_sheets(rounds).items() if count}
    judges = get_user_model().objects.filter(
        pk__in={judge for _round, judge in unsaved}, is_active=True
    )
    judges = {judge.pk: judge for judge in judges}
    return [
        Reminder(
            kind=Kind.SCORING_DEADLINE,
            recipients=(judges[judge_id],),
            template="notifications/messages/ratings_scoring_deadline.txt",
            key=f"scoring_deadline:{round_.pk}:{judge_id}",
            url=reverse("ratings:judging_list", args=[round_.code]),
            context={"round": round_, "count": unsaved[round_.pk, judge_id]},
        )
        for round_ in rounds
        for (round_id, judge_id) in sorted(unsaved)
        if round_id == round_.pk and judge_id in judges
    ]


# What the ratings tell each role (the message settings' kinds).
KINDS_BY_ROLE = {
    CLERK: {Kind.DECLARATIONS_OPEN, Kind.DECLARATION_DEADLINE},
    JUDGE: {Kind.SHEETS_ASSIGNED, Kind.SCORING_DEADLINE},
    COUNTY: {Kind.NEW_OPINION},
}
