"""The admin at province scale: no filter or form lists every community.

List filters go by township (with a search by community name or code); foreign keys to
communities and to the per-community tables are picked with the admin's autocomplete, which
searches within the user's scope.
"""

import re

import pytest
from django.contrib import admin
from django.contrib.admin.utils import get_fields_from_path
from django.contrib.auth import get_user_model
from django.urls import reverse

from communities.models import Community, GovernanceBody, PartyBranch
from services.models import AssistedHousehold, ContributionPoints, Volunteer
from tests.factories import make_township

pytestmark = pytest.mark.django_db

# Tables that grow with the number of communities.
GROWING = (Community, GovernanceBody, PartyBranch, Volunteer, AssistedHousehold, get_user_model())
# (model, field) keeping a select: contribution points go to Party members only (a filter
# of ContributionPointsAdmin that the autocomplete's search would not apply).
KEPT_SELECTS = {(ContributionPoints, "volunteer")}


def _filter_paths(model_admin):
    for entry in model_admin.list_filter:
        if isinstance(entry, str):
            yield entry
        elif isinstance(entry, tuple):
            yield entry[0]


def _editable_relations(model_admin, model, request):
    """Relations to a growing table that the page shows as a form widget (not read-only)."""
    if isinstance(model_admin, admin.options.InlineModelAdmin):
        writes = model_admin.has_add_permission(request, None)
    else:
        writes = model_admin.has_add_permission(request)
    if not (writes or model_admin.has_change_permission(request)):
        return
    readonly = set(model_admin.get_readonly_fields(request))
    names = model_admin.fields or [
        name for _title, options in model_admin.fieldsets or () for name in options["fields"]
    ]
    for name in names:
        if name in readonly:
            continue
        field = model._meta.get_field(name)
        if field.is_relation and field.related_model in GROWING:
            yield name


def _admins():
    for model, model_admin in admin.site._registry.items():
        yield model, model_admin
        for inline in model_admin.inlines:
            yield inline.model, inline(model, admin.site)


def test_no_admin_list_filter_lists_every_community():
    by_community = []
    for model, model_admin in admin.site._registry.items():
        for path in _filter_paths(model_admin):
            if get_fields_from_path(model, path)[-1].related_model in GROWING:
                by_community.append(f"{model.__name__}: {path}")

    assert by_community == []


def test_every_relation_to_a_growing_table_is_an_autocomplete(rf, users):
    request = rf.get("/admin/")
    request.user = users["county"]
    selects = []
    for model, model_admin in _admins():
        for name in _editable_relations(model_admin, model, request):
            if name not in model_admin.autocomplete_fields and (model, name) not in KEPT_SELECTS:
                selects.append(f"{type(model_admin).__name__}.{name}")

    assert selects == []


def _bulk_communities(count, township):
    Community.objects.bulk_create(
        Community(township=township, code=f"s{n:03d}", name=f"大社区{n:03d}", founded_year=2002)
        for n in range(count)
    )


@pytest.mark.parametrize(
    "url",
    [
        "admin:communities_facility_add",
        "admin:communities_governancebody_add",
        "admin:services_serviceoutlet_add",
        "admin:services_admissionrequest_add",
        "admin:ratings_conflictofinterest_add",
    ],
)
def test_admin_add_form_does_not_grow_with_the_communities(client, tree, users, url):
    client.force_login(users["county"])
    few = client.get(reverse(url)).content.decode()

    _bulk_communities(80, make_township(code="big"))
    many = client.get(reverse(url)).content.decode()

    assert many.count("<option") == few.count("<option")
    assert len(many) == len(few)


def test_admin_changelist_filters_by_township_not_by_community(client, tree, users):
    client.force_login(users["county"])
    big = make_township(code="big", name="大镇")
    _bulk_communities(80, big)
    for community in (Community.objects.get(code="s042"), tree["far"]):
        community.facilities.create(kind="party_room", present=True)

    html = client.get(reverse("admin:communities_facility_changelist")).content.decode()

    assert "?community__township__id__exact=" in html
    assert "大镇" in html
    assert "?community__id__exact=" not in html
    assert 'name="q"' in html


def test_admin_changelist_search_finds_a_community_by_code(client, tree, users):
    client.force_login(users["county"])
    _bulk_communities(80, make_township(code="big"))
    Community.objects.get(code="s042").facilities.create(kind="party_room", present=True)
    Community.objects.get(code="s043").facilities.create(kind="party_room", present=True)

    response = client.get(reverse("admin:communities_facility_changelist"), {"q": "s042"})

    assert [f.community.code for f in response.context["cl"].result_list] == ["s042"]


def test_admin_autocomplete_of_communities_is_scoped_to_the_township(client, tree, users):
    client.force_login(users["township"])
    _bulk_communities(80, make_township(code="big"))

    response = client.get(
        reverse("admin:autocomplete"),
        {"app_label": "services", "model_name": "serviceoutlet", "field_name": "community"},
    )

    assert [r["text"] for r in response.json()["results"]] == [
        tree["home"].name,
        tree["neighbour"].name,
    ]


def test_admin_autocomplete_searches_by_code(client, tree, users):
    client.force_login(users["county"])
    _bulk_communities(80, make_township(code="big"))

    response = client.get(
        reverse("admin:autocomplete"),
        {
            "app_label": "communities",
            "model_name": "facility",
            "field_name": "community",
            "term": "s04",
        },
    )

    names = [r["text"] for r in response.json()["results"]]
    assert names == [f"大社区{n:03d}" for n in range(40, 50)]
    assert re.fullmatch(r"\d+", response.json()["results"][0]["id"])
