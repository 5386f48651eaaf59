"""Who may open and change the services pages: the one place every services view asks.

The records of a community's service work are for its keepers (county, its township, its
clerk). Households and volunteers are personal data: only the community's own clerk and
county staff see them (`Access.sees_personal_data`); township staff get 403 on those pages
for a community in their township, and every keeper gets 404 for a community outside their
scope, so that no one learns which codes exist elsewhere.

The rows of the policy (which role may add, change, delete each model) are declared in
`services.permissions` and kept in `communities.permissions`; the functions here apply them
to a request.
"""

from django.core.exceptions import PermissionDenied
from django.shortcuts import get_object_or_404

from communities.permissions import can_add, can_change, get_community_for_user, staff_access


def services_staff(request, *, model=None, write=False):
    """The user's `Access` if they keep the registry (county, township, clerk); else 403.

    model, write: the page adds `model` rows; the user must be allowed to add them.
    """
    access = staff_access(request.user)
    if write and model is not None and not can_add(request.user, model):
        raise PermissionDenied
    return access


def services_community(request, code: str, *, personal: bool = False, model=None, write=False):
    """The community `code` if this user may open its services pages; else 404 or 403.

    personal: the page shows residents' personal data (households, volunteers).
    model, write: the page changes `model` rows; the user must be allowed to add them.
    """
    access = services_staff(request)
    community = get_community_for_user(request.user, code)
    if personal and not access.sees_personal_data:
        raise PermissionDenied
    if write and model is not None and not can_add(request.user, model):
        raise PermissionDenied
    return community


def services_record(request, model, *, community=None, write=False, **lookup):
    """The `model` row matching `lookup` (of `community`, when given), else 404; with
    `write`, one this user may change, else 403."""
    if community is not None:
        lookup["community"] = community
    record = get_object_or_404(model, **lookup)
    if community is not None:
        record.community = community  # known already: its scope is checked without a query
    if write and not can_change(request.user, model, record):
        raise PermissionDenied
    return record


def may_add(user, model) -> bool:
    """May this user add `model` rows (a link or form to show)?"""
    return can_add(user, model)


def may_change(user, model, obj=None) -> bool:
    """May this user change `model` rows (this one, when given)?"""
    return can_change(user, model, obj)
