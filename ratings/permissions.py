"""Who may see which round, declaration and score sheet on the staff and judging pages: the
one place the ratings views ask. What a user may do with a round now (its status rules) is
ratings.domain.round_actions, which these helpers ask in turn.

Each helper returns the object or raises Http404 (never 403), so that nobody learns which
rounds, communities or panels exist outside their reach.
"""

from django.db.models import Q
from django.http import Http404
from django.shortcuts import get_object_or_404

from communities.access import CLERK, COUNTY, JUDGE, PUBLIC, TOWNSHIP, access_for
from communities.models import Community
from ratings.domain import round_actions
from ratings.models import (
    Declaration,
    Evidence,
    JudgeAssignment,
    Rating,
    Round,
    RoundStatus,
)


def rounds_for(user):
    """The rounds on the user's staff list.

    County: all. Township and clerk: rounds with a declaration in their area, and any round
    open for declarations. Judge: the rounds they are on the panel of. Others: none.
    """
    access = access_for(user)
    if access.role == COUNTY:
        return Round.objects.all()
    if access.role in (TOWNSHIP, CLERK):
        in_area = Declaration.objects.filter(access.q("community")).values("round_id")
        return Round.objects.filter(
            Q(pk__in=in_area) | Q(status=RoundStatus.DECLARATIONS_OPEN)
        ).distinct()
    if access.role == JUDGE:
        return Round.objects.filter(judges__judge=user)
    return Round.objects.none()


def is_county_staff(user) -> bool:
    """County civil-affairs staff: every round, its scheme and panel, in the portal and the
    admin."""
    return access_for(user).is_county


def get_rounds_for_staff(user):
    """The rounds of the staff list (rounds_for); Http404 for the public."""
    if access_for(user).role == PUBLIC:
        raise Http404
    return rounds_for(user)


def get_round_for_staff(user, code: str) -> Round:
    """A round on the user's staff list (rounds_for), else Http404."""
    return get_object_or_404(rounds_for(user), code=code)


def get_own_community(user) -> Community:
    """A clerk's own community; Http404 for everyone else."""
    access = access_for(user)
    if access.role != CLERK:
        raise Http404
    return Community.objects.get(pk=access.community_id)


def declares_own_community(user) -> bool:
    """Does the user declare for a community of their own (a clerk)?"""
    return access_for(user).role == CLERK


def sits_on_panels(user) -> bool:
    """Is the user a review-panel judge (their score sheets are on the judging pages)?"""
    return access_for(user).role == JUDGE


def declarations_in_reach(user, round):
    """The round's declarations the staff page lists for the user: a judge sees the
    submitted ones, staff those of the communities in their area (the county: all)."""
    access = access_for(user)
    in_reach = (
        Q(status=Declaration.Status.SUBMITTED) if access.role == JUDGE else access.q("community")
    )
    return Declaration.objects.filter(round=round).filter(in_reach)


def get_declaring_community(user, community_code: str) -> Community:
    """The community whose declaration this user may open: the clerk's own, or any for the
    county. Township staff, judges and other clerks get Http404."""
    access = access_for(user)
    if access.role not in (COUNTY, CLERK):
        raise Http404
    community = get_object_or_404(Community.objects.select_related("township"), code=community_code)
    if not access.covers(community):
        raise Http404
    return community


def get_round_for_declaring(user, code: str) -> Round:
    """The round for a declaration page (after get_declaring_community): any round for the
    county; for a clerk any round past planning, so that the page can say why it is closed."""
    rounds = Round.objects.all()
    if access_for(user).role != COUNTY:
        rounds = rounds.exclude(status=RoundStatus.PLANNED)
    return get_object_or_404(rounds, code=code)


def get_assignment_for_judge(user, code: str) -> JudgeAssignment:
    """The user's place on the round's panel; Http404 if they are not on it."""
    return get_object_or_404(
        JudgeAssignment.objects.select_related("round"), round__code=code, judge=user
    )


def get_round_for_progress(user, code: str) -> tuple[Round, JudgeAssignment | None]:
    """(round, the user's assignment) for the panel's chair or county staff; else Http404."""
    if access_for(user).role == COUNTY:
        return get_object_or_404(Round, code=code), None
    assignment = get_assignment_for_judge(user, code)
    if not assignment.is_chair:
        raise Http404
    return assignment.round, assignment


def get_declaration_for_judge(round, community_code: str) -> Declaration:
    """A submitted declaration of the round, by its community's code; else Http404."""
    return get_object_or_404(
        Declaration.objects.select_related("community", "community__township"),
        round=round,
        community__code=community_code,
        status=Declaration.Status.SUBMITTED,
    )


def ranking_access(user, code: str) -> tuple[Round, bool]:
    """(round, full) for the ranking page and the exports, from scoring closed on
    (round_actions' see_ranking).

    County staff and the panel's chair see everything, judges' names included (`full`).
    Township staff and clerks see the lines of the communities in their area only, with
    the judges numbered (results_in_reach); ordinary judges and everyone else get Http404,
    as does a round before scoring is closed.
    """
    access = access_for(user)
    if access.role == COUNTY:
        round_, full = get_object_or_404(Round, code=code), True
    elif access.role == JUDGE:
        round_, _assignment = get_round_for_progress(user, code)  # the chair, else 404
        full = True
    elif access.role in (TOWNSHIP, CLERK):
        round_, full = get_round_for_staff(user, code), False
    else:
        raise Http404
    if not round_actions(round_, user).see_ranking:
        raise Http404
    return round_, full


def results_in_reach(user, results, full: bool) -> list:
    """The ranking's results the user sees (after ranking_access): all when `full`, else
    those of the communities in their area; Http404 when none is."""
    if full:
        return results
    access = access_for(user)
    results = [r for r in results if access.covers(r.declaration.community)]
    if not results:
        raise Http404
    return results


def get_evidence_for_user(user, pk: int) -> Evidence:
    """An evidence file the user may see, else Http404 (never 403).

    County staff: all; township staff: their township's communities; a clerk: their own
    community's; a judge: the submitted declarations of the rounds on whose panel they sit.
    Nobody else, the public included.
    """
    access = access_for(user)
    evidence = Evidence.objects.select_related("declaration")
    if access.role == COUNTY:
        return get_object_or_404(evidence, pk=pk)
    # Not access.q() alone: for the county it is an empty Q, which an OR would swallow.
    visible = Q(pk__in=[])
    if access.role in (TOWNSHIP, CLERK):
        visible = access.q(Evidence.community_path)
    if user.is_authenticated:
        visible |= Q(
            declaration__round__judges__judge=user,
            declaration__status=Declaration.Status.SUBMITTED,
        )
    return get_object_or_404(evidence.filter(visible).distinct(), pk=pk)


def get_declaration_for_evidence(user, pk: int) -> Declaration:
    """A declaration whose evidence the user may change: the clerk's own community's, or
    any for the county; else Http404. Whether it may change now is ratings.uploads' question."""
    access = access_for(user)
    if access.role not in (CLERK, COUNTY):
        raise Http404
    declaration = get_object_or_404(Declaration.objects.select_related("round", "community"), pk=pk)
    if not access.covers(declaration.community):
        raise Http404
    return declaration


def get_round_for_county(user, code: str) -> Round:
    """Any round, for county staff; Http404 for everyone else (opinions hold personal data)."""
    if not is_county_staff(user):
        raise Http404
    return get_object_or_404(Round, code=code)


def get_round_for_confirming(user, code: str) -> Round:
    """A round whose confirmation page the user may open (round_actions' confirm_page: the
    county, a round under notice); else Http404."""
    round_ = get_round_for_county(user, code)
    if not round_actions(round_, user).confirm_page:
        raise Http404
    return round_


def get_rating_for_revoking(user, code: str, community_code: str) -> Rating:
    """A rating of the round `code` that the user may revoke (round_actions' revoke: county
    staff); else Http404."""
    rating = get_object_or_404(
        Rating.objects.select_related("round", "community"),
        round__code=code,
        community__code=community_code,
    )
    if not round_actions(rating.round, user).revoke:
        raise Http404
    return rating


def register_policy():
    """Declarations and ratings belong to a community: all staff see them in scope, nobody
    changes them in the admin (they change through ratings.domain and the portal's pages).
    The round, its scheme, judges and conflicts are the county's alone (ratings.admin)."""
    from communities import permissions

    nobody = frozenset()
    permissions.register({Declaration: (nobody, nobody, nobody), Rating: (nobody, nobody, nobody)})
