"""services.permissions, the one place the services views ask who may open and change what."""

import pytest
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.test import RequestFactory

from services.models import AdmissionRequest, Volunteer
from services.permissions import services_community, services_record, services_staff
from tests.factories import make_volunteer

pytestmark = pytest.mark.django_db


def _request(user):
    request = RequestFactory().get("/services/")
    request.user = user
    return request


@pytest.mark.parametrize("role", ["county", "township", "clerk"])
def test_services_staff_gives_the_keepers_their_access(users, role):
    access = services_staff(_request(users[role]))

    assert access.role == role


@pytest.mark.parametrize("role", ["judge", "no_role"])
def test_services_staff_refuses_who_keeps_no_records(users, role):
    with pytest.raises(PermissionDenied):
        services_staff(_request(users[role]))


def test_services_staff_for_a_write_gives_county_staff_their_access(users):
    request = _request(users["county"])

    assert services_staff(request, model=AdmissionRequest, write=True).role == "county"


def test_services_staff_for_a_write_refuses_who_may_not_add(users):
    with pytest.raises(PermissionDenied):
        services_staff(_request(users["township"]), model=AdmissionRequest, write=True)


def test_services_community_hides_personal_pages_from_township_staff(users, tree):
    request = _request(users["township"])

    assert services_community(request, "home") == tree["home"]
    with pytest.raises(PermissionDenied):
        services_community(request, "home", personal=True)
    with pytest.raises(Http404):
        services_community(request, "far")


def test_services_record_of_another_community_is_404(users, tree):
    volunteer = make_volunteer(community=tree["neighbour"])

    with pytest.raises(Http404):
        services_record(
            _request(users["clerk"]), Volunteer, community=tree["home"], pk=volunteer.pk
        )


def test_services_record_for_a_write_needs_a_record_the_user_may_change(users, tree):
    volunteer = make_volunteer(community=tree["neighbour"])
    request = _request(users["clerk"])

    assert services_record(request, Volunteer, pk=volunteer.pk) == volunteer
    with pytest.raises(PermissionDenied):
        services_record(request, Volunteer, pk=volunteer.pk, write=True)


def test_services_record_keeps_the_community_it_was_asked_in(
    users, tree, django_assert_num_queries
):
    volunteer = make_volunteer(community=tree["home"])
    request = _request(users["clerk"])
    services_staff(request)  # the user's scope, read once per request

    with django_assert_num_queries(1):
        found = services_record(
            request, Volunteer, community=tree["home"], pk=volunteer.pk, write=True
        )

    assert (found, found.community) == (volunteer, tree["home"])
