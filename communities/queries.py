"""Reusable reads of the registry."""

import datetime
from collections import defaultdict
from dataclasses import dataclass
from decimal import Decimal

from django.conf import settings
from django.db import models
from django.db.models import (
    CharField,
    Count,
    F,
    OuterRef,
    Prefetch,
    Q,
    Subquery,
    Sum,
    Value,
    Window,
)
from django.db.models.functions import Coalesce, RowNumber
from django.utils import timezone
from django.utils.formats import date_format, number_format
from django.utils.text import Truncator, capfirst
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from communities.models import (
    CoBuildingPairing,
    CoBuildingUnit,
    Community,
    Facility,
    Formation,
    GovernanceBody,
    Honour,
    PartyBranch,
    Role,
    Term,
    Township,
    UserScope,
)


def townships_with_communities(townships, communities, *, per_township):
    """Set on each of `townships` `.listed`: its first `per_township` communities of
    `communities`, by code (one query, whatever the number of communities)."""
    first = (
        communities.filter(township__in=[township.pk for township in townships])
        .annotate(
            position=Window(RowNumber(), partition_by=[F("township_id")], order_by=F("code").asc())
        )
        .filter(position__lte=per_township)
        .order_by("township_id", "code")
    )
    listed = {}
    for community in first:
        listed.setdefault(community.township_id, []).append(community)
    for township in townships:
        township.listed = listed.get(township.pk, [])
    return townships


def county_overview():
    """The public home page's figures: one row per township that has active communities
    (its count, households and residents), and the county totals. Two queries."""
    active = Q(communities__status=Community.Status.ACTIVE)
    townships = (
        Township.objects.annotate(
            community_count=Count("communities", filter=active),
            household_total=Sum("communities__households", filter=active),
            resident_total=Sum("communities__residents", filter=active),
        )
        .filter(community_count__gt=0)
        .order_by("sort_order", "code")
    )
    # Honours are counted in a subquery: joining them into the aggregate would repeat each
    # community once per honour and inflate the household and resident sums.
    honours = (
        Honour.objects.filter(community=OuterRef("pk"))
        .order_by()
        .values("community")
        .annotate(n=Count("pk"))
        .values("n")
    )
    totals = (
        Community.objects.public()
        .annotate(honour_count=Coalesce(Subquery(honours), 0))
        .aggregate(
            communities=Count("pk"),
            households=Sum("households"),
            residents=Sum("residents"),
            honours=Sum("honour_count"),
            sample_figures=Count("pk", filter=Q(figures_are_sample=True)),
        )
    )
    return list(townships), totals


def current_terms():
    """Each governance body annotated with the dates of its latest (current) term."""
    latest = Term.objects.filter(body=OuterRef("pk")).order_by("-starts_on")
    return GovernanceBody.objects.annotate(
        term_number=Subquery(latest.values("number")[:1]),
        term_starts=Subquery(latest.values("starts_on")[:1]),
        term_ends=Subquery(latest.values("ends_on")[:1]),
    )


def terms_falling_due(*, days=None, today=None):
    """Governance bodies of active communities whose current term ends within `days` (or has
    already ended), in the whole county.

    Overdue ones come first: a term that ended without a successor is the most urgent.
    """
    today = today or timezone.localdate()
    days = settings.TERMS_DUE_DAYS if days is None else days
    horizon = today + datetime.timedelta(days=days)
    return (
        current_terms()
        .filter(term_ends__lte=horizon, community__status=Community.Status.ACTIVE)
        .select_related("community__township")
        .order_by("term_ends", "community__code", "kind")
    )


def terms_due(user, *, days=None, today=None):
    """The terms falling due (terms_falling_due) in `user`'s scope."""
    return terms_falling_due(days=days, today=today).visible_to(user)


def below_space_standard(user):
    return (
        Community.objects.visible_to(user)
        .public()
        .below_space_standard()
        .select_related("township")
        .order_by("-space_gap", "code")
    )


def community_record(community):
    """Everything the workspace shows of one community, in a fixed number of queries."""
    bodies = (
        current_terms()
        .filter(community=community)
        .prefetch_related(
            Prefetch("terms", queryset=Term.objects.order_by("-starts_on")),
            "branches",
        )
    )
    return {
        "bodies": list(bodies),
        "formations": list(
            Formation.objects.filter(community=community).select_related(
                "former_area", "restructuring"
            )
        ),
        "facilities": list(Facility.objects.filter(community=community)),
        "honours": list(Honour.objects.filter(community=community)),
        "pairings": list(
            CoBuildingPairing.objects.filter(community=community).select_related(
                "unit", "party_branch"
            )
        ),
    }


# ---------- The change history of a community's record (修改记录) ----------

# The records of a community whose changes its history shows, by kind. Their history rows
# (django-simple-history) are found by the community's id, terms and branches by the ids of
# its bodies in their own history: a deleted record's changes stay in the list.
CHANGE_KINDS = {
    "community": Community,
    "facility": Facility,
    "body": GovernanceBody,
    "term": Term,
    "branch": PartyBranch,
    "pairing": CoBuildingPairing,
    "honour": Honour,
}
# Not shown as changes: the keys that tie a record to its community and the kind of a body
# or facility, which never change (the record's name says it).
NOT_COMPARED = {"id", "community", "body", "organisation", "kind"}
# history_type → what became of the record, and its label.
ACTIONS = {
    "+": ("added", _("Record added")),
    "~": ("changed", _("Record changed")),
    "-": ("deleted", _("Record deleted")),
}
# The related records a change names, looked up once for a page of changes.
NAMED = (Township, GovernanceBody, PartyBranch, CoBuildingUnit)


def change_kind_label(kind: str) -> str:
    return capfirst(CHANGE_KINDS[kind]._meta.verbose_name)


def _history_of(kind: str, community, bodies):
    model = CHANGE_KINDS[kind]
    where = {
        "community": Q(id=community.pk),
        "term": Q(body_id__in=bodies),
        "branch": Q(organisation_id__in=bodies),
    }.get(kind, Q(community_id=community.pk))
    previous = (
        model.history.filter(id=OuterRef("id"), history_id__lt=OuterRef("history_id"))
        .order_by("-history_id")
        .values("history_id")[:1]
    )
    return (
        model.history.filter(where)
        .order_by()
        .annotate(change_kind=Value(kind, output_field=CharField()), previous=Subquery(previous))
        .values_list("history_date", "history_id", "change_kind", "previous")
    )


def record_history(community, kind: str | None = None):
    """Every change to the community's record (or to its records of one `kind` of
    CHANGE_KINDS), newest first: rows (history_date, history_id, kind, the history_id of the
    version before), to page. `describe_changes` turns a page of them into what a page shows."""
    kinds = [kind] if kind else list(CHANGE_KINDS)
    bodies = GovernanceBody.history.filter(community_id=community.pk).values("id")
    first, *others = (_history_of(each, community, bodies) for each in kinds)
    rows = first.union(*others, all=True) if others else first
    return rows.order_by("-history_date", "-history_id")


def _compared(model) -> list:
    return [field for field in model._meta.concrete_fields if field.name not in NOT_COMPARED]


def _shown(field, value, names) -> str:
    """A field's value as the history shows it."""
    if value is None or value == "":
        return "—"
    if field.is_relation:
        return names.get((field.related_model, value), "—")
    if field.choices:
        return str(dict(field.flatchoices).get(value, value))
    if isinstance(field, models.BooleanField):
        return str(_("Yes") if value else _("No"))
    if isinstance(field, models.DateField):
        return date_format(value, "DATE_FORMAT")
    if isinstance(value, Decimal):
        return number_format(value.quantize(Decimal(1)) if value == value.to_integral() else value)
    if isinstance(field, models.TextField):
        return Truncator(value).chars(80)
    return str(value)


def _names(versions) -> dict:
    """(model, pk) → the name of each related record the versions point to: one query for
    each kind of related record."""
    wanted = defaultdict(set)
    for version in versions:
        for field in _compared(CHANGE_KINDS[version.change_kind]):
            value = getattr(version, field.attname)
            if field.is_relation and value is not None:
                wanted[field.related_model].add(value)
        if version.change_kind == "term":
            wanted[GovernanceBody].add(version.body_id)
    names = {}
    for model in NAMED:
        if wanted[model]:
            for pk, record in model.objects.in_bulk(wanted[model]).items():
                names[model, pk] = getattr(record, "local_name", None) or str(record.name)
    return names


def _record_label(version, names) -> str:
    kind = version.change_kind
    if kind == "community":
        english = (get_language() or "").startswith("en")
        return version.name_en if english and version.name_en else version.name
    if kind == "facility":
        return str(dict(Facility._meta.get_field("kind").flatchoices).get(version.kind, ""))
    if kind == "term":
        body = names.get((GovernanceBody, version.body_id), "—")
        return str(_("%(body)s, term %(number)s") % {"body": body, "number": version.number})
    if kind == "pairing":
        return names.get((CoBuildingUnit, version.unit_id), "—")
    if kind == "honour":
        return version.title
    return version.name


def describe_changes(rows) -> list[dict]:
    """A page of `record_history` rows as the history shows them, in the same order: when,
    who, what kind of record, which record, added / changed / deleted, and each field that
    changed with its value before and after (for an addition, the values given). One query
    per kind of record on the page and one per kind of related record named."""
    rows = list(rows)
    wanted = defaultdict(set)
    for _at, history_id, kind, previous in rows:
        wanted[kind].add(history_id)
        if previous is not None:
            wanted[kind].add(previous)
    versions = {}
    for kind, ids in wanted.items():
        for version in (
            CHANGE_KINDS[kind].history.filter(history_id__in=ids).select_related("history_user")
        ):
            version.change_kind = kind
            versions[kind, version.history_id] = version
    names = _names(versions.values())
    changes = []
    for at, history_id, kind, previous in rows:
        version = versions[kind, history_id]
        before = versions.get((kind, previous)) if previous is not None else None
        fields = []
        if version.history_type != "-":
            for field in _compared(CHANGE_KINDS[kind]):
                new = getattr(version, field.attname)
                old = getattr(before, field.attname) if before is not None else None
                unchanged = new == old if before is not None else new in (None, "", False)
                if unchanged:
                    continue
                fields.append(
                    {
                        "label": capfirst(field.verbose_name),
                        "old": _shown(field, old, names) if before is not None else None,
                        "new": _shown(field, new, names),
                    }
                )
        changes.append(
            {
                "at": at,
                "by": version.history_user,
                "kind": change_kind_label(kind),
                "record": _record_label(version, names),
                "change": ACTIONS[version.history_type][0],
                "action": ACTIONS[version.history_type][1],
                "fields": fields,
            }
        )
    return changes


def active_staff(*roles, **where):
    """The active users holding one of `roles` (UserScope, with its user), narrowed by
    `where`: whom a message is sent to. The one query of every recipient list."""
    return (
        UserScope.objects.filter(role__in=roles, user__is_active=True, **where)
        .select_related("user")
        .order_by("user__username")
    )


def clerks_of(community) -> list:
    """The active users who keep `community`'s records (its clerks): one query."""
    return [scope.user for scope in active_staff(Role.CLERK, community=community)]


@dataclass(frozen=True)
class People:
    """The active staff of the county by place: whom the reminders are sent to."""

    clerks: dict  # community id → its clerks
    township_staff: dict  # township id → its staff
    county_staff: list


def people_by_place() -> People:
    """Every active clerk, township and county user, by their community or township: one
    query."""
    people = People(clerks=defaultdict(list), township_staff=defaultdict(list), county_staff=[])
    for scope in active_staff(Role.CLERK, Role.TOWNSHIP, Role.COUNTY):
        if scope.role == Role.CLERK:
            people.clerks[scope.community_id].append(scope.user)
        elif scope.role == Role.TOWNSHIP:
            people.township_staff[scope.township_id].append(scope.user)
        else:
            people.county_staff.append(scope.user)
    return people
