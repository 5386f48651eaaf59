"""Personal data of paired assistance (issue #5): a household's or a volunteer's details are
seen only by their own community's clerk and by county staff, never by another community,
a township, a judge or an anonymous visitor, whether by URL, search or the admin."""

import pytest
from django.apps import apps
from django.urls import reverse

from communities import permissions
from communities.access import access_for
from communities.models import Role
from services.masking import mask_name, mask_phone
from services.models import (
    AssistanceVisit,
    AssistedHousehold,
    HelperPairing,
    ServiceNetwork,
    ServiceRecord,
    TimeBankEntry,
    Volunteer,
)
from tests.factories import make_household, make_user, make_volunteer

pytestmark = pytest.mark.django_db

CODES = ("home", "neighbour", "far")
NAMES = {"home": "张三明", "neighbour": "李四光", "far": "赵五云"}
PHONES = {"home": "13812345678", "neighbour": "13900001111", "far": "13700002222"}
VOLUNTEER_NAMES = {"home": "钱六平", "neighbour": "孙七安", "far": "周八宁"}
VOLUNTEER_PHONES = {"home": "13611112222", "neighbour": "13533334444", "far": "13455556666"}

# Which communities' personal records each role sees; None: no admin access at all.
SEES = {
    "county": {"home", "neighbour", "far"},
    "clerk": {"home"},
    "other_clerk": {"far"},
    "township": None,
    "other_township": None,
}
STAFF = tuple(SEES)
NOT_STAFF = ("judge", "no_role")


@pytest.fixture
def people(tree):
    made = {}
    for code in CODES:
        made[code] = {
            "household": make_household(
                community=tree[code], household_name=NAMES[code], phone=PHONES[code]
            ),
            "volunteer": make_volunteer(
                community=tree[code], name=VOLUNTEER_NAMES[code], phone=VOLUNTEER_PHONES[code]
            ),
        }
    return made


MODELS = {
    "household": (AssistedHousehold, NAMES, PHONES),
    "volunteer": (Volunteer, VOLUNTEER_NAMES, VOLUNTEER_PHONES),
}


def _url(model, view, *args):
    return reverse(f"admin:services_{model._meta.model_name}_{view}", args=args)


def _client(client, users, role):
    if role != "anonymous":
        client.force_login(users[role])
    return client


@pytest.mark.parametrize("kind", MODELS)
@pytest.mark.parametrize("role", STAFF)
def test_changelist_rows_per_role(client, users, people, kind, role):
    model = MODELS[kind][0]
    response = _client(client, users, role).get(_url(model, "changelist"))
    if SEES[role] is None:
        assert response.status_code == 403
        return
    assert response.status_code == 200
    rows = response.context["cl"].result_list
    assert {obj.community.code for obj in rows} == SEES[role]


@pytest.mark.parametrize("kind", MODELS)
@pytest.mark.parametrize("role", (*NOT_STAFF, "anonymous"))
def test_no_admin_for_judges_the_public_and_anonymous(client, users, people, kind, role):
    model = MODELS[kind][0]
    for url in (_url(model, "changelist"), _url(model, "change", people["home"][kind].pk)):
        response = _client(client, users, role).get(url)
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("admin:login"))


@pytest.mark.parametrize("kind", MODELS)
def test_a_judge_made_staff_still_sees_nothing(client, users, people, kind):
    model = MODELS[kind][0]
    judge = users["judge"]
    judge.is_staff = True
    judge.save()
    client.force_login(judge)
    assert client.get(_url(model, "changelist")).status_code == 403
    # The row is outside every scope of the judge: a 404, as for a missing one.
    assert client.get(_url(model, "change", people["home"][kind].pk)).status_code == 404


@pytest.mark.parametrize("kind", MODELS)
@pytest.mark.parametrize("role", STAFF)
@pytest.mark.parametrize("code", CODES)
def test_change_page_only_in_scope(client, users, people, kind, role, code):
    model, names, phones = MODELS[kind]
    response = _client(client, users, role).get(_url(model, "change", people[code][kind].pk))
    if SEES[role] is None or code not in SEES[role]:
        assert response.status_code == 404
    else:
        assert response.status_code == 200
        # Those in scope see the full details on the change form.
        assert names[code] in response.content.decode()
        assert phones[code] in response.content.decode()


@pytest.mark.parametrize("kind", MODELS)
@pytest.mark.parametrize("role", ("clerk", "other_clerk"))
def test_search_never_reaches_another_community(client, users, people, kind, role):
    model, names, _ = MODELS[kind]
    client.force_login(users[role])
    for code in CODES:
        response = client.get(_url(model, "changelist"), {"q": names[code]})
        assert response.status_code == 200
        expected = 1 if code in SEES[role] else 0
        assert response.context["cl"].result_count == expected


@pytest.mark.parametrize("kind", MODELS)
@pytest.mark.parametrize("role", ("county", "clerk", "other_clerk"))
def test_changelist_shows_names_and_phones_only_masked(client, users, people, kind, role):
    model, names, phones = MODELS[kind]
    client.force_login(users[role])
    html = client.get(_url(model, "changelist")).content.decode()
    for code in CODES:
        assert names[code] not in html
        assert phones[code] not in html
        shown = code in SEES[role]
        assert (mask_name(names[code]) in html) is shown
        assert (mask_phone(phones[code]) in html) is shown


@pytest.mark.parametrize("kind", MODELS)
@pytest.mark.parametrize("role", (*STAFF, *NOT_STAFF))
@pytest.mark.parametrize("code", CODES)
def test_permissions_can_view_and_scope_q(users, people, kind, role, code):
    model = MODELS[kind][0]
    user, obj = users[role], people[code][kind]
    sees = SEES.get(role) or set()
    assert permissions.can_view(user, model) is (role in ("county", "clerk", "other_clerk"))
    assert permissions.can_view(user, model, obj) is (code in sees)
    rows = model.objects.filter(permissions.scope_q(access_for(user), model))
    assert obj in rows if code in sees else obj not in rows
    assert {o.community.code for o in model.objects.visible_to(user)} == sees


@pytest.mark.parametrize("role", ("township", "other_township", "judge", "no_role"))
def test_no_personal_record_for_townships_judges_or_public(users, people, role):
    user = users[role]
    personal = [
        m
        for m in apps.get_app_config("services").get_models()
        if getattr(m, "personal_data", False)
    ]
    assert len(personal) == 7
    for model in personal:
        assert not permissions.can_view(user, model)
        assert not permissions.can_add(user, model)
        assert not model.objects.visible_to(user).exists()
    for code in CODES:
        assert not permissions.in_scope(access_for(user), people[code]["household"])


def test_township_keeps_non_personal_services_records(tree, users):
    network = ServiceNetwork.objects.create(community=tree["home"], kind="convenience")
    far = ServiceNetwork.objects.create(community=tree["far"], kind="convenience")
    township = users["township"]
    assert permissions.can_view(township, ServiceNetwork, network)
    assert not permissions.can_view(township, ServiceNetwork, far)
    assert permissions.can_change(township, ServiceNetwork, network)


def test_ledger_and_service_records_are_read_only_in_the_admin(users, people):
    for role in ("county", "clerk"):
        for model in (ServiceRecord, TimeBankEntry):
            assert permissions.can_view(users[role], model)
            assert not permissions.can_add(users[role], model)
            assert not permissions.can_change(users[role], model)
            assert not permissions.can_delete(users[role], model)


def test_clerk_edits_only_own_household(users, people):
    clerk = users["clerk"]
    assert permissions.can_change(clerk, AssistedHousehold, people["home"]["household"])
    assert not permissions.can_change(clerk, AssistedHousehold, people["neighbour"]["household"])
    assert not permissions.can_change(users["township"], AssistedHousehold)
    for model in (HelperPairing, AssistanceVisit):
        assert permissions.can_add(clerk, model)
        assert not permissions.can_add(users["township"], model)


def test_clerk_cannot_pick_another_communitys_household(client, users, people, tree):
    clerk = make_user(Role.CLERK, community=tree["neighbour"])
    client.force_login(clerk)
    response = client.get(_url(AssistanceVisit, "add"))
    assert response.status_code == 200
    choices = response.context["adminform"].form.fields["household"].queryset
    assert set(choices) == {people["neighbour"]["household"]}
