"""The rating work in a person's to-do list (chunan_community.worklist).

A clerk: their community's declaration while declarations are open. A judge: the score
sheets still to fill at the review meeting, and for the chair, closing the scoring once every
sheet is in. County staff: the stage moves the rounds' dates say are due, and the public's
opinions waiting for moderation.
"""

import datetime

from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from chunan_community.worklist import Task, Work, work_from
from communities.access import CLERK, COUNTY, JUDGE
from ratings.domain import next_status, owes_declaration, planned_move_on, unsaved_sheets
from ratings.models import CONFIRMED, JudgeAssignment, Objection, Round, RoundStatus


def ratings_work(user, access, today: datetime.date) -> list[Work]:
    if access.role == CLERK:
        return [_declarations(access.community_id)]
    if access.role == JUDGE:
        return [_scoring(user)]
    if access.role == COUNTY:
        return [_moves_due(today), _opinions()]
    return []


def _declarations(community_id) -> Work:
    """Open rounds in which the clerk's community has not submitted a declaration: one query."""
    rounds = list(
        Round.objects.filter(owes_declaration(community_id)).order_by(
            "declarations_close_on", "code"
        )
    )
    tasks = tuple(
        Task(
            what=_("Submit our community's declaration for %(round)s") % {"round": round_.name},
            url=reverse("ratings:declaration_own", args=[round_.code]),
            due=round_.declarations_close_on,
        )
        for round_ in rounds
    )
    return Work(
        kind="ratings.declare",
        heading=_("Rating declarations"),
        total=len(tasks),
        tasks=tasks,
        all_url=reverse("ratings:staff_round_list"),
    )


def _scoring(user) -> Work:
    """The judge's sheets to fill, round by round, and for the chair the closing: five queries."""
    panels = list(
        JudgeAssignment.objects.filter(judge=user, round__status=RoundStatus.REVIEW)
        .select_related("round")
        .order_by("round__review_meeting_on", "round__code")
    )
    unsaved = unsaved_sheets([panel.round for panel in panels]) if panels else {}
    tasks = []
    for panel in panels:
        round_, meeting = panel.round, panel.round.review_meeting_on
        own = unsaved[round_.pk, user.pk]
        if own:
            tasks.append(
                Task(
                    what=ngettext(
                        "Score %(count)d community for %(round)s",
                        "Score %(count)d communities for %(round)s",
                        own,
                    )
                    % {"count": own, "round": round_.name},
                    url=reverse("ratings:judging_list", args=[round_.code]),
                    due=meeting,
                )
            )
        elif panel.is_chair and not _round_total(unsaved, round_.pk):
            tasks.append(
                Task(
                    what=_("Close the scoring of %(round)s") % {"round": round_.name},
                    url=reverse("ratings:judging_progress", args=[round_.code]),
                    due=meeting,
                    note=_("Every score sheet is in."),
                )
            )
    return Work(
        kind="ratings.score",
        heading=_("Scoring at the review meeting"),
        total=len(tasks),
        tasks=tuple(tasks),
    )


def _round_total(unsaved, round_id) -> int:
    return sum(count for (round_pk, _judge), count in unsaved.items() if round_pk == round_id)


def _moves_due(today) -> Work:
    """The rounds whose dates say their next stage is due: one query."""
    tasks = []
    for round_ in Round.objects.exclude(status__in=CONFIRMED).order_by("year", "code"):
        planned, to = planned_move_on(round_), next_status(round_.status)
        if planned and to and planned <= today:
            tasks.append(
                Task(
                    what=_("Move %(round)s on to “%(stage)s”")
                    % {"round": round_.name, "stage": to.label},
                    url=reverse("ratings:staff_round_detail", args=[round_.code]),
                    due=planned,
                )
            )
    return Work(
        kind="ratings.move",
        heading=_("Rating stages due"),
        total=len(tasks),
        tasks=tuple(tasks),
        all_url=reverse("ratings:staff_round_list"),
    )


def _opinions() -> Work:
    """Opinions sent during a notice and not yet moderated, oldest first: one query."""
    pending = (
        Objection.objects.filter(status=Objection.Status.PENDING)
        .select_related("round", "community")
        .order_by("submitted_at", "pk")
    )
    return work_from(
        pending,
        lambda objection: Task(
            what=_("Moderate an opinion on %(round)s") % {"round": objection.round.name},
            url=reverse("ratings:objection_moderate", args=[objection.round.code, objection.pk]),
            community=objection.community.local_name if objection.community else "",
            due=objection.round.notice_ends_on,
        ),
        kind="ratings.opinions",
        heading=_("Opinions to moderate"),
        all_url=reverse("ratings:staff_round_list"),
    )
