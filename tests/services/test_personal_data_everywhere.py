"""A household's and a volunteer's details never reach anyone but their own community's
clerk and county staff (issue #5), whatever the way in: every page of the portal that takes
a community code or a record number, every search box, every export, every admin list.

The walk is built from the URL configuration itself (tests/security/urlwalk.py, shared with
the access walk of tests/security/test_access_walk.py), so a page added later is walked too.
"""

import pytest
from django.urls import reverse

from tests.security.urlwalk import (
    HOUSEHOLD_NAME,
    HOUSEHOLD_PHONE,
    NAME_PART,
    VOLUNTEER_NAME,
    admin_urls,
    login,
    make_people,
    portal_urls,
    secrets_in,
)

pytestmark = pytest.mark.django_db

# Everyone but the community's own clerk and the county.
OUTSIDERS = ("anonymous", "other_clerk", "township", "other_township", "judge", "no_role")


@pytest.fixture
def people(tree, users):
    return make_people(tree, users)


def test_the_walk_covers_the_people_pages_and_the_exports(people):
    """The walk is not vacuous: it reaches the pages that show people and every export."""
    urls = portal_urls(people)
    household, volunteer = people["household"].pk, people["volunteer"].pk
    for expected in (
        f"/services/home/households/{household}/",
        f"/services/home/households/{household}/edit/",
        "/services/home/households/visits/",
        f"/services/home/volunteers/{volunteer}/",
        f"/services/home/volunteers/{volunteer}/statement.xlsx",
        f"/services/home/volunteers/{volunteer}/statement/print/",
        "/services/reports/balances.csv",
        "/services/reports/hours.xlsx",
        "/services/commendations/commendations.csv",
        "/returns/export.csv",
        "/communities/home/",
        "/returns/home/2026-03/",
    ):
        assert expected in urls
    assert len(urls) > 100


@pytest.mark.parametrize("role", ("clerk", "county"))
def test_the_own_clerk_and_the_county_do_see_the_details(client, users, people, role):
    """The control: the same walk finds the details where they belong."""
    login(client, users, role)
    household = client.get(f"/services/home/households/{people['household'].pk}/")
    volunteer = client.get(f"/services/home/volunteers/{people['volunteer'].pk}/")
    assert household.status_code == volunteer.status_code == 200
    assert HOUSEHOLD_NAME in household.content.decode()
    assert HOUSEHOLD_PHONE in household.content.decode()
    assert VOLUNTEER_NAME in volunteer.content.decode()


@pytest.mark.parametrize("role", OUTSIDERS)
def test_no_portal_page_search_or_export_shows_them_to_outsiders(client, users, people, role):
    login(client, users, role)
    leaks = {}
    for url in portal_urls(people):
        response = client.get(url)
        assert response.status_code < 500, url
        if found := secrets_in(response):
            leaks[url] = found
    assert leaks == {}


@pytest.mark.parametrize("role", OUTSIDERS)
def test_no_admin_page_or_search_shows_them_to_outsiders(client, users, people, role):
    login(client, users, role)
    leaks = {}
    for url in admin_urls(people):
        response = client.get(url)
        assert response.status_code in (200, 302, 403, 404), url
        if found := secrets_in(response):
            leaks[url] = found
    assert leaks == {}


@pytest.mark.parametrize("role", ("clerk", "county"))
def test_lists_and_searches_show_them_masked_even_to_the_clerk(client, users, people, role):
    """Lists show 欧**梅 and 139****5678 only; the whole name is on the record's own page."""
    login(client, users, role)
    lists = [
        f"/services/home/households/?q={NAME_PART}",
        "/services/home/households/visits/?month=2026-03",
        "/services/home/volunteers/",
        reverse("admin:services_assistedhousehold_changelist") + f"?q={NAME_PART}",
        reverse("admin:services_volunteer_changelist"),
    ]
    for url in lists:
        response = client.get(url)
        assert response.status_code == 200, url
        assert secrets_in(response) == [], url
    found = client.get(f"/services/home/households/?q={NAME_PART}").content.decode()
    assert "欧**梅" in found
    assert "139****5678" in found
