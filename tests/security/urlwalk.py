"""Walking the portal by its URL configuration: every address, as any role, with the personal
details that must show only to their own community's clerk and county staff.

Shared by tests/security/test_access_walk.py (who gets which answer where) and
tests/services/test_personal_data_everywhere.py (no person's details leak). The addresses
come from the URL configuration itself, so a page added later is walked too.
"""

import datetime
from collections.abc import Iterator
from decimal import Decimal

from django.urls import URLPattern, URLResolver, get_resolver, reverse

from services.domain import service_record
from services.models import AssistanceVisit, HelperPairing
from tests.factories import make_household, make_volunteer

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


def make_people(tree, users) -> dict:
    """A household and a volunteer of `home`, paired, with a service record and a visit."""
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


def patterns(resolver=None, prefix="") -> Iterator[tuple[str | None, str, dict]]:
    """(name with namespace, the URL pattern as text, its converters) for every view."""
    resolver = resolver or get_resolver()
    for entry in resolver.url_patterns:
        if isinstance(entry, URLResolver):
            namespace = f"{entry.namespace}:" if entry.namespace else ""
            for name, route, converters in patterns(entry, prefix + str(entry.pattern)):
                yield (namespace + name if name else None), route, converters
        elif isinstance(entry, URLPattern):
            converters = getattr(entry.pattern, "converters", {})
            yield entry.name, prefix + str(entry.pattern), converters


def person_kwargs(route, people):
    """The URL's arguments pointing at the home community and its people's records, or None
    for a page about a record of another kind."""
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
    if "<str:kind>" in route:
        kwargs["kind"] = "yearly"  # a county report: figures, never a person
    if "<str:action>" in route or "<int:declaration>" in route or "<path:" in route:
        return None
    if "<uidb64>" in route:
        return None  # a password link: about an account, not a person's details
    return kwargs


def portal_urls(people):
    """Every GET address of the portal (not the admin) that may show a person's details,
    with a search for a part of the household's name and of the volunteer's phone."""
    urls = []
    for name, route, _converters in patterns():
        if not name or name.startswith("admin:") or "^" in route:
            continue
        kwargs = person_kwargs(route, people)
        if kwargs is None:
            continue
        url = reverse(name, kwargs=kwargs)
        urls.append(url)
        urls.append(f"{url}?q={NAME_PART}")
        urls.append(f"{url}?q={PHONE_PART}")
    return urls


def admin_urls(people):
    """The admin's lists (and searches), change forms and histories of the people's records."""
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


def login(client, users, role):
    """The test client logged in as `role` of the `users` fixture ("anonymous": not at all)."""
    if role != "anonymous":
        client.force_login(users[role])
    return client


def body(response) -> str:
    content = b"".join(response) if response.streaming else response.content
    return content.decode("utf-8", errors="replace")


def secrets_in(response, secrets=SECRETS + SPACED) -> list[str]:
    """The secrets the response shows (a streamed export is read whole)."""
    text = body(response)
    return [secret for secret in secrets if secret in text]
