"""Who may open and change the services pages: the one place every services view asks.

The records of a community's service work are for its keepers (county, its township, its
clerk). Households and volunteers are personal data (issue #5): their models say so with
`personal_data = True`, and only the community's own clerk and county staff see them
(`Access.sees_personal_data`); township staff get 403 on those pages for a community in
their township, and every keeper gets 404 for a community outside their scope, so that no one
learns which codes exist elsewhere. Service records and time-bank entries change only through
services.domain: read-only in the admin. Networks, outlets, training, processing work and
re-employment follow the registry's scope. Admission requests and commendations: county
edits, all staff read.

The rows of the policy (which role may add, change, delete each model) are registered at
start-up (`register_policy`, from services.apps) into communities.permissions; the functions
below apply them to a request.
"""

from django.core.exceptions import PermissionDenied
from django.shortcuts import get_object_or_404

from communities.access import CLERK, COUNTY
from communities.permissions import (
    ALL_STAFF,
    COUNTY_ONLY,
    COUNTY_TOWNSHIP,
    can_add,
    can_change,
    get_community_for_user,
    register,
    staff_access,
)
from services import models

NOBODY = frozenset()
COUNTY_CLERK = frozenset({COUNTY, CLERK})


def register_policy():
    register(
        {
            models.ServiceNetwork: (ALL_STAFF, ALL_STAFF, COUNTY_TOWNSHIP),
            models.ServiceOutlet: (ALL_STAFF, ALL_STAFF, COUNTY_TOWNSHIP),
            models.TrainingClass: (ALL_STAFF, ALL_STAFF, COUNTY_TOWNSHIP),
            models.ProcessingProject: (ALL_STAFF, ALL_STAFF, COUNTY_TOWNSHIP),
            models.ReemploymentOutcome: (ALL_STAFF, ALL_STAFF, COUNTY_TOWNSHIP),
            models.AssistedHousehold: (COUNTY_CLERK, COUNTY_CLERK, COUNTY_CLERK),
            models.HelperPairing: (COUNTY_CLERK, COUNTY_CLERK, COUNTY_CLERK),
            models.AssistanceVisit: (COUNTY_CLERK, COUNTY_CLERK, COUNTY_CLERK),
            models.Volunteer: (COUNTY_CLERK, COUNTY_CLERK, COUNTY_CLERK),
            models.ContributionPoints: (COUNTY_CLERK, COUNTY_CLERK, COUNTY_CLERK),
            models.ServiceRecord: (NOBODY, NOBODY, NOBODY),
            models.TimeBankEntry: (NOBODY, NOBODY, NOBODY),
            models.AdmissionRequest: (COUNTY_ONLY, COUNTY_ONLY, COUNTY_ONLY),
            models.Commendation: (COUNTY_ONLY, COUNTY_ONLY, COUNTY_ONLY),
        },
        unscoped={models.AdmissionRequest, models.Commendation},
    )


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
