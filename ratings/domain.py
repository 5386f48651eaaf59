"""Writes and state changes of a rating round: its lifecycle, declarations and judging.

Views, admin actions and commands all call these functions. Every function that depends on
the round's status locks the round's row first (select_for_update): a stage move racing a
declaration or a score sheet then gives exactly one outcome, the other is refused with a
Refused whose message says why, in the user's language.
"""

import datetime
from collections import Counter, defaultdict
from dataclasses import dataclass
from decimal import Decimal

from django.db import transaction
from django.db.models import Exists, OuterRef, Prefetch, Q
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from chunan_community.errors import Refused
from communities.access import CLERK, COUNTY, JUDGE, TOWNSHIP, access_for
from communities.models import Community
from communities.queries import active_staff
from notifications.models import Kind
from notifications.notify import notify
from ratings import scoring
from ratings.evidence import review_day
from ratings.models import (
    MAX_STARS,
    PUBLISHED,
    ROUND_FLOW,
    ConflictOfInterest,
    Criterion,
    CutOff,
    Declaration,
    JudgeAssignment,
    Prerequisite,
    Rating,
    Round,
    RoundEvent,
    RoundStatus,
    Score,
    ScoreSheet,
    Tier,
    rating_valid_until,
)
from ratings.queries import round_results, standings
from ratings.signals import round_moved

# From scoring closed on: a ranking to show, and judges and conflicts no longer change.
SCORING_CLOSED = tuple(ROUND_FLOW[ROUND_FLOW.index(RoundStatus.RANKING) :])


def next_status(status) -> RoundStatus | None:
    """The stage after `status` in ROUND_FLOW, or None after the last."""
    index = ROUND_FLOW.index(RoundStatus(status))
    return ROUND_FLOW[index + 1] if index + 1 < len(ROUND_FLOW) else None


def _lock(round) -> Round:
    # The round's row is the lock for everything that depends on its status.
    return Round.objects.select_for_update().get(pk=round.pk)


def _label(status) -> str:
    return str(RoundStatus(status).label)


def _move(locked: Round, to, by, note: str, today: datetime.date) -> Round:
    from_status = locked.status
    locked.status = to
    if to == RoundStatus.DECLARATIONS_OPEN and locked.declarations_open_on is None:
        locked.declarations_open_on = today
    if to == RoundStatus.DECLARATIONS_CLOSED and locked.declarations_close_on is None:
        locked.declarations_close_on = max(today, locked.declarations_open_on or today)
    if to == RoundStatus.REVIEW and locked.review_meeting_on is None:
        locked.review_meeting_on = today
    if to == RoundStatus.NOTICE:
        locked.notice_starts_on = today
        locked.notice_ends_on = today + datetime.timedelta(days=locked.notice_days - 1)
    if to == RoundStatus.FINAL:
        locked.finalised_on = today
    locked.full_clean()
    locked._history_user = by
    locked.save()
    RoundEvent.objects.create(round=locked, from_status=from_status, to_status=to, by=by, note=note)
    if to == RoundStatus.DECLARATIONS_OPEN:
        _tell_declarations_open(locked)
    # Inside the transaction: what a receiver records commits with the move (signals.py).
    round_moved.send(
        sender=Round, round=locked, from_status=from_status, to_status=to, by=by, today=today
    )
    return locked


def active_clerks():
    """The clerks of the active communities who can log in, with their user and community
    (one query): whom a round's declarations concern."""
    return (
        active_staff(CLERK, community__in=Community.objects.public())
        .select_related("community")
        .order_by("community__code", "user__username")
    )


def _tell_declarations_open(round) -> None:
    # Every active community may declare: each clerk is told, in one query for the clerks
    # (notify writes the messages in bulk), inside the move's transaction.
    notify(
        Kind.DECLARATIONS_OPEN,
        [scope.user for scope in active_clerks()],
        "notifications/messages/ratings_declarations_open.txt",
        {"round": round},
        url=reverse("ratings:declaration_own", args=[round.code]),
    )


def owes_declaration(community) -> Q:
    """A filter of Round: the rounds in which `community` (its id, or an OuterRef to one)
    still owes its declaration, being open for declarations with none submitted by it. The
    one rule of the clerk's to-do list and of the declaration deadline's reminder."""
    return Q(status=RoundStatus.DECLARATIONS_OPEN) & ~Exists(
        Declaration.objects.filter(
            round=OuterRef("pk"), community=community, status=Declaration.Status.SUBMITTED
        )
    )


# ---------- What the dates say about a move, and what a user may do now ----------


def _day(value: datetime.date) -> str:
    return date_format(value, "DATE_FORMAT")


def _days_from(today: datetime.date, day: datetime.date) -> str:
    days = (day - today).days
    return ngettext("%(days)d day from today", "%(days)d days from today", days) % {"days": days}


@dataclass(frozen=True)
class MoveCheck:
    """What the round's dates and records say about moving it to `to` today.

    `facts` are said on the confirmation page of every move; `warnings` are where the move
    goes against the round's own dates: the move then needs a second, explicit yes
    (`despite_dates=True`)."""

    to: RoundStatus
    facts: tuple[str, ...] = ()
    warnings: tuple[str, ...] = ()


def _declaration_facts(round) -> list[str]:
    communities = Community.objects.public().count()
    submitted = Declaration.objects.filter(round=round, status=Declaration.Status.SUBMITTED)
    drafts = Declaration.objects.filter(round=round, status=Declaration.Status.DRAFT)
    missing = communities - submitted.filter(community__in=Community.objects.public()).count()
    facts = [
        ngettext(
            "%(missing)d of %(total)d community has not submitted a declaration.",
            "%(missing)d of %(total)d communities have not submitted a declaration.",
            communities,
        )
        % {"missing": missing, "total": communities}
    ]
    if draft_count := drafts.count():
        facts.append(
            ngettext(
                "%(count)d declaration is a draft that was never submitted: it will not be "
                "reviewed.",
                "%(count)d declarations are drafts that were never submitted: they will not be "
                "reviewed.",
                draft_count,
            )
            % {"count": draft_count}
        )
    return facts


def unsaved_sheets(rounds) -> Counter:
    """(round id, judge id) → the score sheets that judge has not saved yet in that round:
    every submitted declaration, less the saved sheets (abstentions included) and the
    judge's conflicts of interest. Four queries, whatever the number of rounds and judges."""
    round_ids = [round.pk for round in rounds]
    panels = JudgeAssignment.objects.filter(round__in=round_ids).values_list("round_id", "judge_id")
    declarations = defaultdict(list)
    for round_id, pk, community in Declaration.objects.filter(
        round__in=round_ids, status=Declaration.Status.SUBMITTED
    ).values_list("round_id", "pk", "community_id"):
        declarations[round_id].append((pk, community))
    saved = set(
        ScoreSheet.objects.filter(declaration__round__in=round_ids).values_list(
            "judge_id", "declaration_id"
        )
    )
    conflicts = set(
        ConflictOfInterest.objects.filter(round__in=round_ids).values_list(
            "round_id", "judge_id", "community_id"
        )
    )
    unsaved = Counter()
    for round_id, judge in panels:
        unsaved[round_id, judge] = sum(
            1
            for pk, community in declarations[round_id]
            if (judge, pk) not in saved and (round_id, judge, community) not in conflicts
        )
    return unsaved


def missing_sheets(round) -> int:
    """Score sheets not yet saved by the round's panel (see unsaved_sheets)."""
    return sum(unsaved_sheets([round]).values())


def planned_move_on(round) -> datetime.date | None:
    """The day the round's own dates plan its next move for, or None (no date set, or no
    further move): the to-do list of county staff shows a move once that day has come."""

    def day_after(day):
        return day and day + datetime.timedelta(days=1)

    planned = {
        RoundStatus.PLANNED: round.declarations_open_on,
        RoundStatus.DECLARATIONS_OPEN: day_after(round.declarations_close_on),
        RoundStatus.DECLARATIONS_CLOSED: round.review_meeting_on,
        # Scoring closes when the review meeting ends, on its day.
        RoundStatus.REVIEW: round.review_meeting_on,
        RoundStatus.RANKING: round.notice_starts_on,
        RoundStatus.NOTICE: day_after(round.notice_ends_on),
    }
    return planned.get(round.status)


def move_check(round, to, today: datetime.date | None = None) -> MoveCheck:
    """What the dates say about moving `round` on to `to` today (see MoveCheck)."""
    today = today or timezone.localdate()
    to = RoundStatus(to)
    facts: list[str] = []
    warnings: list[str] = []
    opens, closes = round.declarations_open_on, round.declarations_close_on
    meeting = round.review_meeting_on
    if to == RoundStatus.DECLARATIONS_OPEN:
        if opens and closes:
            facts.append(
                _("Declarations are planned from %(open)s to %(close)s.")
                % {"open": _day(opens), "close": _day(closes)}
            )
        if opens and today < opens:
            warnings.append(
                _("Declarations are due to open on %(date)s, %(when)s.")
                % {"date": _day(opens), "when": _days_from(today, opens)}
            )
        if closes and today > closes:
            warnings.append(
                _("The closing date of declarations, %(date)s, has already passed.")
                % {"date": _day(closes)}
            )
    elif to == RoundStatus.DECLARATIONS_CLOSED:
        if closes and today < closes:
            warnings.append(
                _("Declarations are due to close on %(date)s, %(when)s.")
                % {"date": _day(closes), "when": _days_from(today, closes)}
            )
        elif closes:
            facts.append(_("Declarations were due to close on %(date)s.") % {"date": _day(closes)})
        facts += _declaration_facts(round)
    elif to == RoundStatus.REVIEW:
        if meeting:
            facts.append(_("The review meeting is set for %(date)s.") % {"date": _day(meeting)})
        else:
            facts.append(_("No date is set for the review meeting: today becomes its date."))
        if meeting and today < meeting:
            warnings.append(
                _("Scoring would open before the review meeting, which is %(when)s.")
                % {"when": _days_from(today, meeting)}
            )
    elif to == RoundStatus.RANKING:
        if missing := missing_sheets(round):
            facts.append(
                ngettext(
                    "%(count)d score sheet is still missing.",
                    "%(count)d score sheets are still missing.",
                    missing,
                )
                % {"count": missing}
            )
        else:
            facts.append(_("Every judge has scored every community they may score."))
        if meeting and today < meeting:
            warnings.append(
                _(
                    "The review meeting is set for %(date)s, %(when)s: scoring would close before "
                    "it is held."
                )
                % {"date": _day(meeting), "when": _days_from(today, meeting)}
            )
    elif to == RoundStatus.NOTICE:
        ends = today + datetime.timedelta(days=round.notice_days - 1)
        facts.append(
            ngettext(
                "The public notice runs from today, %(start)s, to %(end)s (%(days)d day).",
                "The public notice runs from today, %(start)s, to %(end)s (%(days)d days).",
                round.notice_days,
            )
            % {"start": _day(today), "end": _day(ends), "days": round.notice_days}
        )
        if meeting and today < meeting:
            warnings.append(
                _(
                    "The review meeting is set for %(date)s, %(when)s: the notice would announce "
                    "results before the meeting that decides them."
                )
                % {"date": _day(meeting), "when": _days_from(today, meeting)}
            )
    elif to == RoundStatus.FINAL and round.notice_starts_on and round.notice_ends_on:
        facts.append(
            _("The public notice ran from %(start)s to %(end)s.")
            % {"start": _day(round.notice_starts_on), "end": _day(round.notice_ends_on)}
        )
    return MoveCheck(to, tuple(facts), tuple(warnings))


def _refuse_against_dates(check: MoveCheck, despite_dates: bool):
    if check.warnings and not despite_dates:
        raise Refused(
            " ".join(check.warnings)
            + " "
            + _("Confirm that the round moves on all the same, or wait for the date.")
        )


def notice_contacts_missing(round) -> str | None:
    """Why the round's notice cannot open yet for want of contacts, or None."""
    if not round.contact_phone.strip() or not round.contact_address.strip():
        return _(
            "Give the telephone number and the address for written objections before the "
            "public notice opens: the notice prints them."
        )
    return None


def _confirm_dates_refusal(round, today: datetime.date) -> str | None:
    """Why the round's results cannot be confirmed today, by whoever asks, or None."""
    if round.status != RoundStatus.NOTICE:
        return _(
            "Only a round under public notice can be confirmed; the round is at “%(current)s”."
        ) % {"current": _label(round.status)}
    if round.notice_ends_on is None or today <= round.notice_ends_on:
        return _(
            "The public notice runs until %(date)s: the results can be confirmed after it."
        ) % {"date": _day(round.notice_ends_on) if round.notice_ends_on else "—"}
    return None


@dataclass(frozen=True)
class Move:
    """The next move of a round for one user: `kind` is "advance", "close_scoring" or
    "confirm"; a button for it is enabled only when `allowed`, else `refusal` says why."""

    kind: str
    to: RoundStatus
    allowed: bool
    refusal: str | None = None


@dataclass(frozen=True)
class RoundActions:
    """What a user may do with a round now: the one place where the round's status rules
    are written. Pages read it; the domain's writes raise its refusals as Refused.

    Each `*_refusal` is None when the user may do it now, else the sentence saying why not.
    `move` is the next move for the buttons (None when there is none for this user).
    `manage`: county staff run the round (any stage); `moderate`: they moderate the
    opinions of a published round; `revoke`: they revoke its ratings. `see_ranking`: the
    ranking page, from scoring closed on (county, township, clerk, the panel's chair);
    `see_all_sheets`: the chair sees every judge's sheet once scoring is closed."""

    status: RoundStatus
    move: Move | None
    manage: bool
    moderate: bool
    revoke: bool
    see_ranking: bool
    see_all_sheets: bool
    declare_refusal: str | None
    score_refusal: str | None
    close_refusal: str | None
    confirm_refusal: str | None
    panel_refusal: str | None

    @property
    def see_declaration(self) -> bool:
        """The declaration page opens: past planning, read-only outside the window (as
        permissions.get_round_for_declaring lets a clerk in)."""
        return self.status != RoundStatus.PLANNED

    @property
    def declare(self) -> bool:
        """May change a declaration now (of a community in the user's reach)."""
        return self.declare_refusal is None

    @property
    def score(self) -> bool:
        """May save their own score sheets now (a judge on the panel, at the review meeting)."""
        return self.score_refusal is None

    @property
    def close_scoring(self) -> bool:
        return self.close_refusal is None

    @property
    def change_panel(self) -> bool:
        """May assign judges and record conflicts of interest now."""
        return self.manage and self.panel_refusal is None

    @property
    def confirm_page(self) -> bool:
        """The confirmation page is open (county, a round under notice); confirming itself
        waits for `confirm_refusal`."""
        return self.move is not None and self.move.kind == "confirm"

    def advance_refusal(self, to) -> str | None:
        """Why the user may not move the round on to `to` now (round_advance), or None."""
        if not self.manage:
            return _("Only county civil-affairs staff move a round on.")
        expected = next_status(self.status)
        if expected is None:
            return _("This round is archived: it has no further stage.")
        if to != expected:
            return _("The round is at “%(current)s”: it can only move on to “%(next)s”.") % {
                "current": _label(self.status),
                "next": _label(expected),
            }
        if expected == RoundStatus.FINAL:
            return _("A round under public notice is made final by confirming its results.")
        return None


def _declarers_only() -> str:
    return _("A declaration is made by the community's clerk or by county staff.")


def _panel_place(round, user, role) -> JudgeAssignment | None:
    # County, township and community staff are never on a panel (judge_assign takes judges
    # only): no query for them.
    if role in (COUNTY, TOWNSHIP, CLERK) or not user.is_authenticated:
        return None
    # A list of rounds reads the user's places once (with_panel_places): no query per round.
    places = getattr(round, "panel_places", None)
    if places is not None:
        return next((place for place in places if place.judge_id == user.pk), None)
    return JudgeAssignment.objects.filter(round=round, judge=user).first()


def with_panel_places(rounds, user):
    """`rounds` with the user's own places on their panels, for round_actions (one query)."""
    return rounds.prefetch_related(
        Prefetch(
            "judges",
            queryset=JudgeAssignment.objects.filter(judge_id=user.pk),
            to_attr="panel_places",
        )
    )


def round_actions(round, user, today: datetime.date | None = None) -> RoundActions:
    """What `user` may do with `round` today (see RoundActions).

    No query for staff; one for anyone else signed in (their place on the panel), none when
    the round was read with_panel_places."""
    today = today or timezone.localdate()
    role = access_for(user).role
    county = role == COUNTY
    status = RoundStatus(round.status)
    place = _panel_place(round, user, role)
    chair = place is not None and place.is_chair
    current = _label(status)
    scoring_closed = status in SCORING_CLOSED

    if role not in (CLERK, COUNTY):
        declare_refusal = _declarers_only()
    elif ROUND_FLOW.index(status) < ROUND_FLOW.index(RoundStatus.DECLARATIONS_OPEN):
        declare_refusal = _("Declarations for this round are not open yet.")
    elif status != RoundStatus.DECLARATIONS_OPEN:
        declare_refusal = _(
            "Declarations for this round are closed; the round is at “%(current)s”."
        ) % {"current": current}
    else:
        declare_refusal = None

    if place is None:
        score_refusal = _("You are not on this round's panel.")
    elif status != RoundStatus.REVIEW:
        score_refusal = _(
            "Scores can be entered only during the review meeting; the round is at “%(current)s”."
        ) % {"current": current}
    else:
        score_refusal = None

    if not (county or chair):
        close_refusal = _("Only the chair of the panel or county staff close scoring.")
    elif status != RoundStatus.REVIEW:
        close_refusal = _(
            "Scoring can be closed only during the review meeting; the round is at “%(current)s”."
        ) % {"current": current}
    else:
        close_refusal = None

    if county:
        confirm_refusal = _confirm_dates_refusal(round, today)
    else:
        confirm_refusal = _("Only county civil-affairs staff confirm a round's results.")

    panel_refusal = None
    if scoring_closed:
        panel_refusal = _(
            "The panel can no longer change: scoring is closed (the round is at “%(current)s”)."
        ) % {"current": current}

    to = next_status(status)
    move = None
    if to == RoundStatus.FINAL:
        if county:
            move = Move("confirm", to, confirm_refusal is None, confirm_refusal)
    elif to == RoundStatus.RANKING:
        if close_refusal is None:
            move = Move("close_scoring", to, True)
    elif to is not None and county:
        move = Move("advance", to, True)

    return RoundActions(
        status=status,
        move=move,
        manage=county,
        moderate=county and status in PUBLISHED,
        revoke=county,
        see_ranking=scoring_closed and (role in (COUNTY, TOWNSHIP, CLERK) or chair),
        see_all_sheets=scoring_closed and chair,
        declare_refusal=declare_refusal,
        score_refusal=score_refusal,
        close_refusal=close_refusal,
        confirm_refusal=confirm_refusal,
        panel_refusal=panel_refusal,
    )


@transaction.atomic
def round_advance(
    *,
    round,
    to,
    by,
    note: str = "",
    today: datetime.date | None = None,
    despite_dates: bool = False,
) -> Round:
    """Move a round on to its next stage (county staff only); returns the updated round.

    Only the next stage in ROUND_FLOW is allowed: `to` names it, so two people pressing the
    button at once move the round once and the second is refused. A move against the
    round's own dates (move_check's warnings: declarations closed before their closing date,
    a notice before the review meeting …) is refused unless `despite_dates`. A notice opens
    only with a contact telephone and an address for written objections (round_open_notice
    sets them).
    Side effects: sets the stage's dates when still empty (declarations open and close,
    review meeting); opening the notice sets notice_starts_on = today and notice_ends_on =
    today + notice_days - 1. Records a RoundEvent and sends ratings.signals.round_moved (the
    portal then publishes the call for declarations of a round opening them); opening the
    declarations tells the clerk of every active community (Kind.DECLARATIONS_OPEN). A round
    under public notice is not moved on here: round_confirm confirms it, recording the ratings.
    """
    today = today or timezone.localdate()
    locked = _lock(round)
    if refusal := round_actions(locked, by, today).advance_refusal(to):
        raise Refused(refusal)
    if to == RoundStatus.NOTICE and (missing := notice_contacts_missing(locked)):
        raise Refused(missing)
    _refuse_against_dates(move_check(locked, to, today), despite_dates)
    return _move(locked, to, by, note, today)


@transaction.atomic
def round_open_notice(
    *,
    round,
    by,
    contact_phone: str,
    contact_address: str,
    note: str = "",
    today: datetime.date | None = None,
    despite_dates: bool = False,
) -> Round:
    """Open a round's public notice (ranking → notice) with the contacts it prints: the
    telephone and the address for written objections. As round_advance otherwise.

    Side effects: the round's contact_phone and contact_address, then round_advance's.
    """
    locked = _lock(round)
    if refusal := round_actions(locked, by, today).advance_refusal(RoundStatus.NOTICE):
        raise Refused(refusal)
    locked.contact_phone = (contact_phone or "").strip()
    locked.contact_address = (contact_address or "").strip()
    if missing := notice_contacts_missing(locked):
        raise Refused(missing)
    locked.full_clean()
    locked._history_user = by
    locked.save(update_fields=["contact_phone", "contact_address"])
    return round_advance(
        round=locked,
        to=RoundStatus.NOTICE,
        by=by,
        note=note,
        today=today,
        despite_dates=despite_dates,
    )


@transaction.atomic
def round_confirm(*, round, by, note: str = "", today: datetime.date | None = None) -> Round:
    """Confirm a round's results once its public notice has ended (county staff only).

    Writes one Rating per community whose result reached a tier in this round (tier,
    stars, total, rank in its category, the explanation, valid until
    models.rating_valid_until). A community that reached nothing new keeps the rating it
    holds and gets no row: its standing is a rating of an earlier round, which stays in
    force. Side effects: the round becomes FINAL with finalised_on = today; a RoundEvent.
    The round's row is locked first, so two confirmations give one set of ratings.
    """
    today = today or timezone.localdate()
    locked = _lock(round)
    if refusal := round_actions(locked, by, today).confirm_refusal:
        raise Refused(refusal)
    valid_until = rating_valid_until(locked)
    for result in round_results(locked):
        if not result.reached:
            continue
        rating = Rating(
            round=locked,
            community_id=result.community_id,
            tier=result.tier,
            stars=result.stars,
            score=result.total,
            # The rank is within the category declared: none for a lower level reached.
            rank=result.rank if result.tier == result.category else None,
            explanation=" ".join(result.explanation),
            valid_until=valid_until,
        )
        rating.full_clean(exclude=["round", "community"], validate_unique=False)
        rating._history_user = by
        rating.save()
    return _move(locked, RoundStatus.FINAL, by, note, today)


@transaction.atomic
def rating_revoke(*, rating, by, reason: str, today: datetime.date | None = None) -> Rating:
    """Revoke a rating (摘牌) with the reason (county staff only).

    Side effects: revoked_on = today and revoked_reason; the history row records who.
    A revoked rating is no longer in force; it stays in the community's rating history.
    """
    today = today or timezone.localdate()
    if not round_actions(rating.round, by, today).revoke:
        raise Refused(_("Only county civil-affairs staff revoke a rating."))
    reason = (reason or "").strip()
    if not reason:
        raise Refused(_("Give the reason for revoking the rating."))
    # Locked: two revocations at once would each record their own reason and date.
    locked = Rating.objects.select_for_update().get(pk=rating.pk)
    if locked.revoked_on is not None:
        raise Refused(_("This rating is already revoked."))
    locked.revoked_on = today
    locked.revoked_reason = reason
    locked.full_clean()
    locked._history_user = by
    locked.save()
    return locked


@transaction.atomic
def scoring_close(
    *,
    round,
    by,
    note: str = "",
    today: datetime.date | None = None,
    despite_dates: bool = False,
) -> Round:
    """Close scoring (review → ranking): by the panel's chair or county staff.

    Refused before the review meeting's date unless `despite_dates` (move_check).
    Side effects: as round_advance (a RoundEvent). From then on no sheet changes and the
    chair sees every judge's scores.
    """
    today = today or timezone.localdate()
    locked = _lock(round)
    if refusal := round_actions(locked, by, today).close_refusal:
        raise Refused(refusal)
    _refuse_against_dates(move_check(locked, RoundStatus.RANKING, today), despite_dates)
    return _move(locked, RoundStatus.RANKING, by, note, today)


# ---------- Declarations ----------


def declaration_refusal(user, round, community) -> str | None:
    """None if `user` may change `community`'s declaration in `round` now; otherwise why not
    (round_actions' declare_refusal, for a community in the user's reach).

    The declaration page shows this sentence whenever its form is closed.
    """
    if not access_for(user).covers(community):
        return _declarers_only()
    return round_actions(round, user).declare_refusal


def declaration_shortfall(*, round, community, target_tier: str) -> str | None:
    """What `community` lacks for the rating it declares (`target_tier`) under the round's
    prerequisite rule, or None when nothing is missing. Said when it declares, so that a
    community learns it before the notice lists it as not reached (two queries)."""
    if target_tier not in (Tier.STAR, Tier.GARDEN):
        return None
    standing = standings(round, [community.pk]).get(community.pk, scoring.Standing())
    if scoring.prerequisite_held(target_tier, standing, round.garden_min_stars):
        return None
    cutoffs = list(CutOff.objects.filter(round=round))
    rule = scoring.prerequisite_sentence(
        target_tier,
        prerequisite=round.prerequisite,
        cutoffs=cutoffs,
        garden_min_stars=round.garden_min_stars,
    )
    figures = {"community": community.local_name, "date": _day(review_day(round))}
    if standing.tier:
        figures["rating"] = scoring.tier_label(standing.tier, standing.stars)
        holds = _("On %(date)s, the review day, %(community)s holds: %(rating)s.") % figures
    else:
        holds = _("On %(date)s, the review day, %(community)s holds no rating in force.") % figures
    lower = (Tier.NORMATIVE, 0) if target_tier == Tier.STAR else (Tier.STAR, round.garden_min_stars)
    if round.prerequisite == Prerequisite.HELD_OR_REACHED and any(
        (c.tier, c.stars) == lower for c in cutoffs
    ):
        advice = _("Its total in this round must therefore reach that cut-off as well.")
    else:
        advice = _(
            "As declared, it cannot receive this rating in this round: declare a tier it can reach."
        )
    return " ".join((rule, holds, advice))


def _check_target(target_tier, target_stars) -> int | None:
    if target_tier not in Tier.values:
        raise Refused(_("Choose a target tier."))
    if target_tier == Tier.STAR:
        if target_stars is None or not 1 <= target_stars <= MAX_STARS:
            raise Refused(
                _("A star-community target needs a number of stars from 1 to %(max)s.")
                % {"max": MAX_STARS}
            )
        return target_stars
    return None


@transaction.atomic
def declaration_save(
    *,
    round,
    community,
    target_tier: str,
    target_stars: int | None,
    self_assessment: str,
    by,
    submit: bool = False,
) -> Declaration:
    """Save a community's declaration (its creation target) as a draft, or submit it.

    Only the community's clerk or county staff, only while declarations are open. A star
    target needs 1 to 5 stars; other tiers keep none. A submitted declaration is locked:
    withdraw it to change it. Saving a withdrawn declaration makes it a draft again.
    Side effects: creates the declaration on its first save; on submission sets the status,
    submitted_at and submitted_by. Every change leaves a history row.
    """
    locked = _lock(round)
    refusal = declaration_refusal(by, locked, community)
    if refusal:
        raise Refused(refusal)
    stars = _check_target(target_tier, target_stars)
    declaration = (
        Declaration.objects.select_for_update().filter(round=locked, community=community).first()
    )
    if declaration is None:
        declaration = Declaration(round=locked, community=community)
    elif declaration.status == Declaration.Status.SUBMITTED:
        raise Refused(_("This declaration is already submitted. Withdraw it first to change it."))
    declaration.target_tier = target_tier
    declaration.target_stars = stars
    declaration.self_assessment = self_assessment
    declaration.status = Declaration.Status.DRAFT
    declaration.submitted_at = None
    declaration.submitted_by = None
    if submit:
        declaration.status = Declaration.Status.SUBMITTED
        declaration.submitted_at = timezone.now()
        declaration.submitted_by = by
    declaration.full_clean()
    declaration._history_user = by
    declaration.save()
    return declaration


@transaction.atomic
def declaration_withdraw(*, declaration, by) -> Declaration:
    """Withdraw a declaration while declarations are open (the community then takes no part).

    Side effects: status WITHDRAWN, submission time and person cleared (the history keeps them).
    """
    locked = _lock(declaration.round)
    refusal = declaration_refusal(by, locked, declaration.community)
    if refusal:
        raise Refused(refusal)
    declaration = Declaration.objects.select_for_update().get(pk=declaration.pk)
    if declaration.status == Declaration.Status.WITHDRAWN:
        raise Refused(_("This declaration is already withdrawn."))
    declaration.status = Declaration.Status.WITHDRAWN
    declaration.submitted_at = None
    declaration.submitted_by = None
    declaration.full_clean()
    declaration._history_user = by
    declaration.save()
    return declaration


# ---------- The panel ----------


@transaction.atomic
def judge_assign(*, round, judge, is_chair: bool = False, by) -> JudgeAssignment:
    """Put a user with the judge role on the round's panel, as its chair if `is_chair`.

    County staff only, until scoring closes. Assigning an assigned judge again only changes
    the chair flag. Side effects: making a judge the chair removes the flag from the former
    chair (one chair per round); a judge new on the panel is told (Kind.SHEETS_ASSIGNED),
    with a link to their score sheets.
    """
    locked = _lock(round)
    actions = round_actions(locked, by)
    if not actions.manage:
        raise Refused(_("Only county civil-affairs staff assign judges."))
    if access_for(judge).role != JUDGE:
        raise Refused(
            _("%(user)s does not have the review-panel judge role.")
            % {"user": judge.get_username()}
        )
    if actions.panel_refusal:
        raise Refused(actions.panel_refusal)
    if is_chair:
        for former in JudgeAssignment.objects.filter(round=locked, is_chair=True).exclude(
            judge=judge
        ):
            former.is_chair = False
            former._history_user = by
            former.save(update_fields=["is_chair"])
    assignment = JudgeAssignment.objects.filter(round=locked, judge=judge).first()
    new = assignment is None
    if new:
        assignment = JudgeAssignment(round=locked, judge=judge)
    assignment.is_chair = is_chair
    assignment.full_clean()
    assignment._history_user = by
    assignment.save()
    if new:
        notify(
            Kind.SHEETS_ASSIGNED,
            [judge],
            "notifications/messages/ratings_sheets_assigned.txt",
            {"round": locked, "is_chair": is_chair},
            url=reverse("ratings:judging_list", args=[locked.code]),
        )
    return assignment


@transaction.atomic
def conflict_declare(*, round, judge, community, reason: str, by) -> ConflictOfInterest:
    """Record that `judge` is linked to `community` (works or lives there): they may not score it.

    By county staff or by the judge themself, for an assigned judge, until scoring closes.
    Side effects: a sheet the judge already saved for that community is deleted (its history
    keeps it), so that it never counts.
    """
    locked = _lock(round)
    actions = round_actions(locked, by)
    if not actions.manage and by.pk != judge.pk:
        raise Refused(_("A conflict of interest is declared by county staff or the judge."))
    reason = (reason or "").strip()
    if not reason:
        raise Refused(_("Say how the judge is linked to the community."))
    if actions.panel_refusal:
        raise Refused(actions.panel_refusal)
    if not JudgeAssignment.objects.filter(round=locked, judge=judge).exists():
        raise Refused(_("%(user)s is not on this round's panel.") % {"user": judge.get_username()})
    conflict = ConflictOfInterest.objects.filter(
        round=locked, judge=judge, community=community
    ).first() or ConflictOfInterest(round=locked, judge=judge, community=community)
    conflict.reason = reason
    conflict.full_clean()
    conflict._history_user = by
    conflict.save()
    for sheet in ScoreSheet.objects.filter(
        judge=judge, declaration__round=locked, declaration__community=community
    ):
        sheet._history_user = by
        sheet.delete()
    return conflict


def judged_criteria(round, tier):
    """The criteria of `tier` that the judges score (the others come from portal data)."""
    return Criterion.objects.filter(round=round, tier=tier, source=Criterion.Source.JUDGED)


@transaction.atomic
def sheet_save(
    *, declaration, judge, points: dict[int, Decimal], abstain: bool = False, by
) -> ScoreSheet:
    """Save a judge's own score sheet for a declaration, or their abstention.

    Only the judge themself, assigned to the round, not linked to the community, while the
    round is at its review meeting, for a submitted declaration. Without `abstain`, every
    judged criterion of the declaration's target tier needs points from 0 to its maximum.
    Side effects: creates the sheet on its first save; abstaining deletes the sheet's scores;
    every score that changes leaves a history row.
    """
    if by.pk != judge.pk:
        raise Refused(_("A judge's scores are entered by that judge only."))
    locked = _lock(declaration.round)
    if refusal := round_actions(locked, judge).score_refusal:
        raise Refused(refusal)
    conflict = ConflictOfInterest.objects.filter(
        round=locked, judge=judge, community=declaration.community_id
    ).first()
    if conflict is not None:
        raise Refused(
            _("You declared a link with %(community)s (%(reason)s): you cannot score it.")
            % {"community": declaration.community.local_name, "reason": conflict.reason}
        )
    if declaration.status != Declaration.Status.SUBMITTED:
        raise Refused(_("This declaration was not submitted: there is nothing to score."))

    criteria = {c.pk: c for c in judged_criteria(locked, declaration.target_tier)}
    cleaned = {}
    if not abstain:
        unknown = set(points) - set(criteria)
        if unknown:
            raise Refused(_("A score was given for a criterion of another tier or round."))
        for pk, criterion in criteria.items():
            value = points.get(pk)
            if value is None:
                raise Refused(
                    _("Give points for “%(criterion)s”, or abstain.")
                    % {"criterion": criterion.name}
                )
            if not Decimal(0) <= value <= criterion.max_points:
                raise Refused(
                    _("Points for “%(criterion)s” must be from 0 to %(max)s.")
                    % {
                        "criterion": criterion.name,
                        "max": format(criterion.max_points.normalize(), "f"),
                    }
                )
            cleaned[pk] = value

    sheet, _created = ScoreSheet.objects.select_for_update().get_or_create(
        judge=judge, declaration=declaration
    )
    sheet.abstained = abstain
    sheet._history_user = by
    sheet.save()
    existing = {score.criterion_id: score for score in sheet.scores.all()}
    if abstain:
        for score in existing.values():
            score._history_user = by
            score.delete()
        return sheet
    for pk, value in cleaned.items():
        score = existing.get(pk) or Score(sheet=sheet, criterion=criteria[pk])
        if score.pk is None or score.points != value:
            score.points = value
            score.full_clean(exclude=["sheet", "criterion"], validate_unique=False)
            score._history_user = by
            score.save()
    return sheet
