"""The staff gates every app's staff pages ask (communities.permissions): the role matrix."""

import pytest
from django.contrib.auth.models import AnonymousUser
from django.core.exceptions import PermissionDenied

from communities.access import CLERK, COUNTY, TOWNSHIP
from communities.permissions import overseer_access, staff_access

pytestmark = pytest.mark.django_db

# user → the role the gate lets in, or None for 403
STAFF = {
    "county": COUNTY,
    "township": TOWNSHIP,
    "clerk": CLERK,
    "judge": None,
    "no_role": None,
    "anonymous": None,
}
OVERSEERS = {**STAFF, "clerk": None}


def _user(users, name):
    return AnonymousUser() if name == "anonymous" else users[name]


@pytest.mark.parametrize(("gate", "matrix"), [(staff_access, STAFF), (overseer_access, OVERSEERS)])
def test_staff_gates_let_in_exactly_their_roles(users, gate, matrix):
    outcomes = {}
    for name in matrix:
        try:
            outcomes[name] = gate(_user(users, name)).role
        except PermissionDenied:
            outcomes[name] = None
    assert outcomes == matrix


def test_staff_gate_gives_the_users_place(users, tree):
    access = staff_access(users["clerk"])
    assert (access.township_id, access.community_id) == (tree["north"].pk, tree["home"].pk)
