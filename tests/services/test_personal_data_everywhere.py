"""A household's and a volunteer's details never reach anyone but their own community's
clerk and county staff (issue #5), whatever the way in: every page of the portal that takes
a community code or a record number, every search box, every export, every admin list.

The walk is built from the URL configuration itself, so a page added later is walked too.
"""

import datetime
from decimal import Decimal

import pytest
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from services.domain import service_record
from services.models import AssistanceVisit, HelperPairing
from tests.factories import make_household, make_volunteer

pytestmark = pytest.mark.django_db

HOUSEHOLD_NAME = "欧阳晓梅"
HOUSEHOLD_PHONE = "13912345678"
VOLUNTEER_NAME = "司马长风"
VOLUNTEER_PHONE = "13698765432"
SECRETS = (HOUSEHOLD_NAME, HOUSEHOLD_PHONE, VOLUNTEER_NAME, VOLUNTEER_PHONE)
# Searches use a part of each: a page echoes the search box, and a hit would show the whole.
NAME_PART = "阳晓"
PHONE_PART = "98765"
# The phone numbers as a template may print them, with separators.
SPACED = ("139 1234 5678", "139-1234-5678", "136 9876 5432", "136-9876-5432")

# Everyone but the community's own clerk and the county.
OUTSIDERS = ("anonymous", "other_clerk", "township", "other_township", "judge", "no_role")


@pytest.fixture
def people(tree, users):
    home = tree["home"]
    household = make_household(community=home, household_name=HOUSEHOLD_NAME, phone=HOUSEHOLD_PHONE)
    volunteer = make_volunteer(community=home, name=VOLUNTEER_NAME, phone=VOLUNTEER_PHONE)
    HelperPairing.objects.create(
        household=household, volunteer=volunteer, started_on=datetime.date(2026, 2, 1)
    )
    service_record(
        volunteer=volunteer,
        served_on=datetime.date(2026, 3, 2),
        hours=Decimal("2.5"),
        activity="陪同就医",
        household=household,
        by=users["clerk"],
    )
    AssistanceVisit.objects.create(
        household=household,
        visited_on=datetime.date(2026, 3, 3),
        kind="medical",
        by_volunteer=volunteer,
        note=f"{VOLUNTEER_NAME}陪同就医",
    )
    return {"household": household, "volunteer": volunteer, "community": home}


def _patterns(resolver=None, prefix=""):
    """(name with namespace, the URL pattern as text, its converters) for every view."""
    resolver = resolver or get_resolver()
    for entry in resolver.url_patterns:
        if isinstance(entry, URLResolver):
            namespace = f"{entry.namespace}:" if entry.namespace else ""
            for name, route, converters in _patterns(entry, prefix + str(entry.pattern)):
                yield (namespace + name if name else None), route, converters
        elif isinstance(entry, URLPattern):
            converters = getattr(entry.pattern, "converters", {})
            yield entry.name, prefix + str(entry.pattern), converters


def _kwargs(name, route, people):
    """The URL's arguments pointing at the home community and its people's records."""
    kwargs = {}
    for part in ("code", "community"):
        if f"<slug:{part}>" in route:
            kwargs[part] = people["community"].code
    if "<int:pk>" in route:
        if "volunteers/" in route:
            kwargs["pk"] = people["volunteer"].pk
        elif "households/" in route:
            kwargs["pk"] = people["household"].pk
        else:
            return None  # a record of another kind: not a person's page
    if "<int:pairing_pk>" in route:
        kwargs["pairing_pk"] = people["household"].helpers.get().pk
    if "<str:month>" in route:
        kwargs["month"] = "2026-03"
    if "<str:action>" in route or "<int:declaration>" in route or "<path:" in route:
        return None
    return kwargs


def portal_urls(people):
    """Every GET address of the portal (not the admin) that may show a person's details,
    with a search for the household's full name where the page has a search box."""
    urls = []
    for name, route, _converters in _patterns():
        if not name or name.startswith("admin:") or "^" in route:
            continue
        kwargs = _kwargs(name, route, people)
        if kwargs is None:
            continue
        url = reverse(name, kwargs=kwargs)
        urls.append(url)
        urls.append(f"{url}?q={NAME_PART}")
        urls.append(f"{url}?q={PHONE_PART}")
    return urls


def admin_urls(people):
    urls = []
    for model, obj in (
        ("assistedhousehold", people["household"]),
        ("volunteer", people["volunteer"]),
        ("assistancevisit", AssistanceVisit.objects.get()),
        ("helperpairing", people["household"].helpers.get()),
        ("servicerecord", people["volunteer"].service_records.get()),
        ("timebankentry", people["volunteer"].time_bank_entries.get()),
    ):
        changelist = reverse(f"admin:services_{model}_changelist")
        urls += [
            changelist,
            f"{changelist}?q={NAME_PART}",
            f"{changelist}?q={PHONE_PART}",
            reverse(f"admin:services_{model}_change", args=[obj.pk]),
            reverse(f"admin:services_{model}_history", args=[obj.pk]),
        ]
    return urls


def _login(client, users, role):
    if role != "anonymous":
        client.force_login(users[role])
    return client


def _leaks(response) -> list[str]:
    body = b"".join(response) if response.streaming else response.content
    text = body.decode("utf-8", errors="replace")
    return [secret for secret in SECRETS + SPACED if secret in text]


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
    _login(client, users, role)
    household = client.get(f"/services/home/households/{people['household'].pk}/")
    volunteer = client.get(f"/services/home/volunteers/{people['volunteer'].pk}/")
    assert household.status_code == volunteer.status_code == 200
    assert HOUSEHOLD_NAME in household.content.decode()
    assert HOUSEHOLD_PHONE in household.content.decode()
    assert VOLUNTEER_NAME in volunteer.content.decode()


@pytest.mark.parametrize("role", OUTSIDERS)
def test_no_portal_page_search_or_export_shows_them_to_outsiders(client, users, people, role):
    _login(client, users, role)
    leaks = {}
    for url in portal_urls(people):
        response = client.get(url)
        assert response.status_code < 500, url
        if found := _leaks(response):
            leaks[url] = found
    assert leaks == {}


@pytest.mark.parametrize("role", OUTSIDERS)
def test_no_admin_page_or_search_shows_them_to_outsiders(client, users, people, role):
    _login(client, users, role)
    leaks = {}
    for url in admin_urls(people):
        response = client.get(url)
        assert response.status_code in (200, 302, 403, 404), url
        if found := _leaks(response):
            leaks[url] = found
    assert leaks == {}


@pytest.mark.parametrize("role", ("clerk", "county"))
def test_lists_and_searches_show_them_masked_even_to_the_clerk(client, users, people, role):
    """Lists show 欧**梅 and 139****5678 only; the whole name is on the record's own page."""
    _login(client, users, role)
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
        assert _leaks(response) == [], url
    found = client.get(f"/services/home/households/?q={NAME_PART}").content.decode()
    assert "欧**梅" in found
    assert "139****5678" in found
