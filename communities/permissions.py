"""Who may see and change which registry records.

One table (`POLICY`) says which roles may add, change and delete each model; `Access`
says which rows are in a user's scope. The portal views and the admin both ask here.
"""

from django.core.exceptions import PermissionDenied
from django.db.models import Q
from django.http import Http404
from django.shortcuts import get_object_or_404

from communities import models
from communities.access import CLERK, COUNTY, TOWNSHIP, Access, access_for

ALL_STAFF = frozenset({COUNTY, TOWNSHIP, CLERK})
COUNTY_ONLY = frozenset({COUNTY})
COUNTY_TOWNSHIP = frozenset({COUNTY, TOWNSHIP})

# model -> (who may add, who may change, who may delete); always within their scope.
POLICY = {
    models.Township: (COUNTY_ONLY, COUNTY_ONLY, COUNTY_ONLY),
    models.Community: (COUNTY_ONLY, ALL_STAFF, COUNTY_ONLY),
    models.Restructuring: (COUNTY_ONLY, COUNTY_ONLY, COUNTY_ONLY),
    models.FormerArea: (COUNTY_ONLY, COUNTY_ONLY, COUNTY_ONLY),
    models.Formation: (COUNTY_ONLY, COUNTY_ONLY, COUNTY_ONLY),
    models.GovernanceBody: (ALL_STAFF, ALL_STAFF, COUNTY_TOWNSHIP),
    models.PartyBranch: (ALL_STAFF, ALL_STAFF, ALL_STAFF),
    models.Term: (ALL_STAFF, ALL_STAFF, COUNTY_TOWNSHIP),
    models.CoBuildingUnit: (COUNTY_ONLY, COUNTY_ONLY, COUNTY_ONLY),
    models.CoBuildingPairing: (ALL_STAFF, ALL_STAFF, ALL_STAFF),
    models.Honour: (COUNTY_TOWNSHIP, COUNTY_TOWNSHIP, COUNTY_TOWNSHIP),
    models.Facility: (ALL_STAFF, ALL_STAFF, COUNTY_TOWNSHIP),
    models.UserScope: (COUNTY_ONLY, COUNTY_ONLY, COUNTY_ONLY),
    # Monthly returns: the catalogue is the county's; returns change only through domain.py.
    models.IndicatorGroup: (COUNTY_ONLY, COUNTY_ONLY, COUNTY_ONLY),
    models.Indicator: (COUNTY_ONLY, COUNTY_ONLY, COUNTY_ONLY),
    models.IndicatorRule: (COUNTY_ONLY, COUNTY_ONLY, COUNTY_ONLY),
    models.Ratio: (COUNTY_ONLY, COUNTY_ONLY, COUNTY_ONLY),
    models.MonthlyReturn: (frozenset(), frozenset(), frozenset()),
    models.ReturnValue: (frozenset(), frozenset(), frozenset()),
    models.ReturnEvent: (frozenset(), frozenset(), frozenset()),
}

# Fields a community clerk may not change on their own community's record.
CLERK_READONLY_COMMUNITY_FIELDS = (
    "code",
    "name",
    "name_en",
    "township",
    "status",
    "founded_year",
    "founded_on",
    "figures_are_sample",
)
# The sample-data flags (示例数据): county staff alone set or clear them, wherever the record
# is edited (the portal's record pages and the admin).
SAMPLE_FLAGS = ("figures_are_sample", "is_sample")

# Records kept per township rather than per community: model -> path to the Township.
TOWNSHIP_PATHS = {
    models.Township: "",
    models.Restructuring: "township",
    models.FormerArea: "township",
}
# Records every registry keeper may read whole (no personal data, county-wide lists).
UNSCOPED = {
    models.CoBuildingUnit,
    models.IndicatorGroup,
    models.Indicator,
    models.IndicatorRule,
    models.Ratio,
}
# Records only the county may read at all: who holds which role.
COUNTY_READ = {models.UserScope}


def _personal_denied(access: Access, model) -> bool:
    """Residents' personal records (model.personal_data) are not for township staff."""
    return getattr(model, "personal_data", False) and not access.sees_personal_data


def scope_q(access: Access, model):
    """The filter that keeps the rows of `model` that this access may see."""
    if _personal_denied(access, model):
        return Q(pk__in=[])
    if model in UNSCOPED:
        return access.q() if not access.keeps_registry else Q()
    if model in TOWNSHIP_PATHS:
        return access.township_q(TOWNSHIP_PATHS[model])
    if model is models.UserScope:
        return Q() if access.is_county else Q(pk__in=[])
    return access.q(model.community_path)


def community_of(obj):
    """Follow the model's `community_path` from a record to its Community."""
    path = type(obj).community_path
    for step in filter(None, path.split("__")):
        obj = getattr(obj, step)
    return obj


def in_scope(access: Access, obj) -> bool:
    model = type(obj)
    if _personal_denied(access, model):
        return False
    if model in UNSCOPED:
        return access.keeps_registry
    if model in TOWNSHIP_PATHS:
        path = TOWNSHIP_PATHS[model]
        return access.covers_township(getattr(obj, f"{path}_id") if path else obj.pk)
    if model is models.UserScope:
        return access.is_county
    return access.covers(community_of(obj))


def can_view(user, model, obj=None) -> bool:
    access = access_for(user)
    if model not in POLICY or not access.keeps_registry or _personal_denied(access, model):
        return False
    if model in COUNTY_READ and not access.is_county:
        return False
    return obj is None or in_scope(access, obj)


def _allowed(user, model, which: int, obj=None) -> bool:
    access = access_for(user)
    if model not in POLICY or access.role not in POLICY[model][which]:
        return False
    return obj is None or in_scope(access, obj)


def can_add(user, model) -> bool:
    return _allowed(user, model, 0)


def can_change(user, model, obj=None) -> bool:
    return _allowed(user, model, 1, obj)


def can_delete(user, model, obj=None) -> bool:
    return _allowed(user, model, 2, obj)


def readonly_fields(user, model) -> tuple[str, ...]:
    """The fields of `model` the user may see but not change, on any form that edits it:
    a clerk's fixed fields of their own community (CLERK_READONLY_COMMUNITY_FIELDS), and the
    sample-data flags (SAMPLE_FLAGS) for everyone but county staff."""
    access = access_for(user)
    readonly = []
    if model is models.Community and access.role == CLERK:
        readonly += CLERK_READONLY_COMMUNITY_FIELDS
    if not access.is_county:
        names = {field.name for field in model._meta.get_fields()}
        readonly += [name for name in SAMPLE_FLAGS if name in names and name not in readonly]
    return tuple(readonly)


def staff_access(user) -> Access:
    """The staff gate: the user's `Access` if they keep the registry (county, township or
    community staff); else PermissionDenied (403). Every staff page of every app asks this."""
    access = access_for(user)
    if not access.keeps_registry:
        raise PermissionDenied
    return access


def overseer_access(user) -> Access:
    """The user's `Access` if they oversee communities (county or township staff); else 403."""
    access = access_for(user)
    if access.role not in (COUNTY, TOWNSHIP):
        raise PermissionDenied
    return access


def get_community_for_user(user, code: str, *, write: bool = False) -> models.Community:
    """The community with this code if the user may see it (or change it); else Http404.

    A 404 rather than a 403, so that a clerk cannot learn which codes exist elsewhere.
    """
    community = get_object_or_404(
        models.Community.objects.visible_to(user).select_related("township"), code=code
    )
    if write and not can_change(user, models.Community, community):
        raise Http404
    return community


def get_return_for_user(user, code: str, month: str):
    """(community, period, return) for a community the user may see and a valid month.

    The return is an unsaved draft when none exists yet (nothing is written on a GET).
    Http404 for a community outside the scope, a malformed month or a month not begun.
    """
    from django.utils import timezone

    from chunan_community.months import month_start, parse_month

    if not access_for(user).keeps_registry:
        raise Http404
    community = get_community_for_user(user, code)
    period = parse_month(month)
    if period is None or period > month_start(timezone.localdate()):
        raise Http404
    monthly_return = models.MonthlyReturn.objects.filter(
        community=community, period=period
    ).first() or models.MonthlyReturn(community=community, period=period, version=0)
    monthly_return.community = community
    return community, period, monthly_return


def register(policy: dict, *, unscoped=()) -> None:
    """Another app's models join the table (called from its AppConfig.ready()).

    The apps built on the registry (ratings, services) declare their own rules in their own
    permissions module, so that imports flow one way: from them to this app.
    """
    POLICY.update(policy)
    UNSCOPED.update(unscoped)
