"""Objective criteria computed from the portal's own data, shown to the judges as evidence.

For all the communities that declared in a round, in two queries whatever their number:

- facilities: all nine standard facilities (五室二站一校一场所) are recorded as present;
- space: the premises reach 20 m² per 100 households (每百户不少于20平方米);
- terms: a term of the residents' committee covers the day of the review meeting
  (starts on or before it, ends on or after it);
- returns: the monthly returns of the calendar year before the round's year (for the
  2008 round: January to December 2007) were all submitted: each of the twelve months has
  a return that is submitted, approved or accepted (a draft or a return sent back does not
  count). The calendar year is used, not the twelve months before the meeting, because the
  review judges a year's work (年度) and every month of that year is past its deadline by the
  time the meeting is held, wherever in the year it falls.

The review day is the round's review meeting date, or today while none is set.
"""

from __future__ import annotations

import datetime
from collections import defaultdict
from decimal import Decimal

from django.db.models import Count, IntegerField, OuterRef, Subquery
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from communities.models import (
    Community,
    Facility,
    FacilityKind,
    GovernanceBody,
    MonthlyReturn,
    Term,
)
from communities.returns.models import REPORTED
from ratings.models import Criterion, Declaration, Round
from ratings.scoring import Finding

Source = Criterion.Source
MONTHS = 12


def review_day(round: Round) -> datetime.date:
    return round.review_meeting_on or timezone.localdate()


def returns_year(round: Round) -> int:
    """The year whose monthly returns a round looks at: the calendar year before it."""
    return round.year - 1


def _communities(community_ids, *, on: datetime.date, year: int):
    committee_terms = Term.objects.filter(
        body__community=OuterRef("pk"), body__kind=GovernanceBody.Kind.RESIDENTS_COMMITTEE
    )
    covering = committee_terms.filter(starts_on__lte=on, ends_on__gte=on).order_by("-starts_on")
    latest = committee_terms.order_by("-starts_on")
    submitted_months = (
        MonthlyReturn.objects.filter(
            community=OuterRef("pk"), period__year=year, status__in=REPORTED
        )
        .order_by()
        .values("community")
        .annotate(n=Count("period", distinct=True))
        .values("n")
    )
    return (
        Community.objects.filter(pk__in=community_ids)
        .annotate(
            term_covering_ends=Subquery(covering.values("ends_on")[:1]),
            term_latest_starts=Subquery(latest.values("starts_on")[:1]),
            term_latest_ends=Subquery(latest.values("ends_on")[:1]),
            months_submitted=Coalesce(Subquery(submitted_months, output_field=IntegerField()), 0),
        )
        .order_by()
    )


def _facilities(community, present: set[str]) -> Finding:
    missing = [label for kind, label in FacilityKind.choices if kind not in present]
    detail = _("%(present)s of %(all)s facilities") % {
        "present": len(FacilityKind) - len(missing),
        "all": len(FacilityKind),
    }
    if missing:
        detail += _("; missing: %(kinds)s") % {"kinds": _(", ").join(str(m) for m in missing)}
    return Finding(not missing, detail)


def _m2(value: Decimal) -> str:
    """348.0 → "348", 348.5 → "348.5"."""
    return str(value.quantize(Decimal(1)) if value == value.to_integral_value() else value)


def _space(community) -> Finding:
    detail = _("%(required)s m² required, %(present)s m² present") % {
        "required": _m2(community.space_required_m2),
        "present": _m2(community.premises_area_m2),
    }
    # The model's properties, not the with_space_standard() annotation: SQLite computes
    # that one in floating point (400.2 comes back as 400.200000000000).
    return Finding(community.meets_space_standard, detail)


def _term(community, on: datetime.date) -> Finding:
    if community.term_covering_ends:
        return Finding(
            True, _("term ends %(date)s") % {"date": date_format(community.term_covering_ends)}
        )
    if community.term_latest_starts is None:
        return Finding(False, _("no term of the residents' committee recorded"))
    if community.term_latest_starts > on:
        return Finding(
            False,
            _("term starts %(date)s, after the review meeting")
            % {"date": date_format(community.term_latest_starts)},
        )
    return Finding(
        False, _("term ended %(date)s") % {"date": date_format(community.term_latest_ends)}
    )


def _returns(community, year: int) -> Finding:
    detail = _("%(count)s of %(all)s months submitted (%(year)s)") % {
        "count": community.months_submitted,
        "all": MONTHS,
        "year": year,
    }
    return Finding(community.months_submitted >= MONTHS, detail)


def evidence_for(
    community_ids, *, on: datetime.date, returns_year: int
) -> dict[int, dict[str, Finding]]:
    """Community id → criterion source → Finding, for the given communities (two queries).

    `community_ids` may be a list or a queryset of ids (then used as a subquery).
    """
    communities = list(_communities(community_ids, on=on, year=returns_year))
    present: defaultdict[int, set[str]] = defaultdict(set)
    for community_id, kind in Facility.objects.filter(
        community__in=community_ids, present=True, kind__in=FacilityKind.values
    ).values_list("community_id", "kind"):
        present[community_id].add(kind)
    return {
        community.pk: {
            Source.FACILITIES: _facilities(community, present[community.pk]),
            Source.SPACE: _space(community),
            Source.TERMS: _term(community, on),
            Source.RETURNS: _returns(community, returns_year),
        }
        for community in communities
    }


def round_evidence(round: Round) -> dict[int, dict[str, Finding]]:
    """The objective criteria of every community that declared in `round` (withdrawn
    declarations left out), keyed by community id, in two queries."""
    community_ids = round.declarations.exclude(status=Declaration.Status.WITHDRAWN).values(
        "community_id"
    )
    return evidence_for(community_ids, on=review_day(round), returns_year=returns_year(round))
