"""Who may open the services pages of a community: one place for every services view.

The records of a community's service work are for its keepers (county, its township, its
clerk). Households and volunteers are personal data: only the community's own clerk and
county staff see them (`Access.sees_personal_data`); township staff get 403 on those pages
for a community in their township, and every keeper gets 404 for a community outside their
scope, so that no one learns which codes exist elsewhere.
"""

from django.core.exceptions import PermissionDenied

from communities.access import access_for
from communities.permissions import can_add, can_change, get_community_for_user


def services_community(request, code: str, *, personal: bool = False, model=None, write=False):
    """The community `code` if this user may open its services pages; else 404 or 403.

    personal: the page shows residents' personal data (households, volunteers).
    model, write: the page changes `model` rows; the user must be allowed to add them.
    """
    access = access_for(request.user)
    if not access.keeps_registry:
        raise PermissionDenied
    community = get_community_for_user(request.user, code)
    if personal and not access.sees_personal_data:
        raise PermissionDenied
    if write and model is not None and not can_add(request.user, model):
        raise PermissionDenied
    return community


def may_change(user, model, obj=None) -> bool:
    return can_change(user, model, obj)
