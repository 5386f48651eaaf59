"""The admin keeps every user inside their part of the county → township → community tree."""

import datetime
from decimal import Decimal

import pytest
from django import forms
from django.contrib import admin
from django.contrib.admin import helpers
from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from communities.models import Community, Facility, GovernanceBody, Honour, Role, Term, Township
from tests.factories import (
    make_body,
    make_branch,
    make_community,
    make_facility,
    make_honour,
    make_pairing,
    make_term,
    make_user,
)

pytestmark = pytest.mark.django_db

STAFF_ROLES = ("county", "township", "clerk")
VISIBLE = {
    "county": {"home", "neighbour", "far"},
    "township": {"home", "neighbour"},
    "clerk": {"home"},
}


def _url(model, view, *args):
    return reverse(f"admin:communities_{model}_{view}", args=args)


@pytest.fixture
def records(tree):
    """A facility, a residents' committee with a term, and an honour in every community."""
    made = {}
    for code in ("home", "neighbour", "far"):
        community = tree[code]
        body = make_body(community=community)
        made[code] = {
            "facility": make_facility(community=community),
            "body": body,
            "term": make_term(body=body),
            "honour": make_honour(community=community),
        }
    return made


def _community_codes(result_list):
    return {obj.community.code for obj in result_list}


def _change_form_data(response):
    """What the admin's change form sends back when nothing is edited."""
    data = {}

    def add(form):
        for bound in form:
            value = bound.value()
            if isinstance(bound.field, forms.BooleanField):
                if value:
                    data[bound.html_name] = "on"
            elif value is not None:
                data[bound.html_name] = value

    add(response.context["adminform"].form)
    for inline in response.context.get("inline_admin_formsets", []):
        add(inline.formset.management_form)
        for form in inline.formset.forms:
            add(form)
    return data


# Changelists


@pytest.mark.parametrize("role", STAFF_ROLES)
def test_community_changelist_lists_communities_in_scope(client, users, role):
    client.force_login(users[role])

    response = client.get(_url("community", "changelist"))

    assert response.status_code == 200
    assert {c.code for c in response.context["cl"].result_list} == VISIBLE[role]


@pytest.mark.parametrize("role", STAFF_ROLES)
@pytest.mark.parametrize("model", ["facility", "term", "honour"])
def test_record_changelist_lists_records_in_scope(client, users, records, role, model):
    client.force_login(users[role])

    response = client.get(_url(model, "changelist"))

    assert response.status_code == 200
    result_list = response.context["cl"].result_list
    if model == "term":
        assert {t.body.community.code for t in result_list} == VISIBLE[role]
    else:
        assert _community_codes(result_list) == VISIBLE[role]


REGISTRY_MODELS = [
    "township",
    "community",
    "restructuring",
    "formerarea",
    "formation",
    "governancebody",
    "partybranch",
    "term",
    "cobuildingunit",
    "cobuildingpairing",
    "honour",
    "facility",
    "userscope",
]


@pytest.mark.parametrize("model", REGISTRY_MODELS)
def test_changelist_county_lists_every_row(client, users, records, model):
    make_pairing(community=records["home"]["body"].community, party_branch=make_branch())
    client.force_login(users["county"])

    response = client.get(_url(model, "changelist"))
    add_page = client.get(_url(model, "add"))

    assert response.status_code == 200
    cl = response.context["cl"]
    assert cl.result_count == cl.model._default_manager.count()
    assert add_page.status_code == 200


@pytest.mark.parametrize("role", ["judge", "no_role", None])
def test_community_changelist_without_staff_role_redirects_to_admin_login(client, users, role):
    if role:
        client.force_login(users[role])
    url = _url("community", "changelist")

    response = client.get(url)

    assert response.status_code == 302
    assert response.url == f"{reverse('admin:login')}?next={url}"


@pytest.mark.parametrize("role", ["judge", "no_role"])
def test_community_changelist_staff_flag_without_registry_role_is_forbidden(client, users, role):
    user = users[role]
    user.is_staff = True
    user.save()
    client.force_login(user)

    response = client.get(_url("community", "changelist"))

    assert response.status_code == 403


def test_admin_index_staff_judge_lists_no_apps(client, users):
    judge = users["judge"]
    judge.is_staff = True
    judge.save()
    client.force_login(judge)

    response = client.get(reverse("admin:index"))

    assert response.status_code == 200
    assert response.context["app_list"] == []


def test_admin_index_clerk_lists_registry_models_but_no_accounts(client, users):
    client.force_login(users["clerk"])

    response = client.get(reverse("admin:index"))

    apps = {app["app_label"]: app for app in response.context["app_list"]}
    # The ratings app shows a clerk their community's declarations and ratings, read-only.
    assert set(apps) == {"communities", "ratings", "services"}
    assert "UserScope" not in {m["object_name"] for m in apps["communities"]["models"]}
    assert {m["object_name"] for m in apps["ratings"]["models"]} == {"Declaration", "Rating"}


def test_userscope_changelist_township_is_forbidden(client, users):
    client.force_login(users["township"])

    response = client.get(_url("userscope", "changelist"))

    assert response.status_code == 403


def test_community_changelist_query_count_does_not_grow_with_rows(client, users, tree):
    client.force_login(users["county"])
    url = _url("community", "changelist")
    client.get(url)  # warm caches (content types, session)

    with CaptureQueriesContext(connection) as few:
        response = client.get(url)
    assert response.context["cl"].result_count == 3
    for _ in range(27):
        make_community()
    with CaptureQueriesContext(connection) as many:
        response = client.get(url)

    assert response.context["cl"].result_count == 30
    assert len(many.captured_queries) == len(few.captured_queries)


# Objects outside the scope


@pytest.mark.parametrize(
    ("role", "code"), [("clerk", "far"), ("clerk", "neighbour"), ("township", "far")]
)
@pytest.mark.parametrize("view", ["change", "delete", "history"])
def test_community_view_out_of_scope_is_404(client, users, tree, role, code, view):
    client.force_login(users[role])

    response = client.get(_url("community", view, tree[code].pk))

    assert response.status_code == 404


@pytest.mark.parametrize(("role", "code"), [("clerk", "far"), ("township", "far")])
def test_facility_change_post_out_of_scope_is_404_and_unchanged(client, users, records, role, code):
    facility = records[code]["facility"]
    client.force_login(users[role])

    response = client.post(
        _url("facility", "change", facility.pk),
        {"community": facility.community_id, "kind": "party_room", "note": "hijacked"},
    )

    assert response.status_code == 404
    facility.refresh_from_db()
    assert facility.note == ""


def test_community_change_view_clerk_opens_own_community(client, users, tree):
    client.force_login(users["clerk"])

    response = client.get(_url("community", "change", tree["home"].pk))

    assert response.status_code == 200
    assert response.context["original"] == tree["home"]


def test_community_change_form_clerk_township_and_code_are_read_only(client, users, tree):
    client.force_login(users["clerk"])

    response = client.get(_url("community", "change", tree["home"].pk))

    form_fields = set(response.context["adminform"].form.fields)
    assert form_fields == {"address", "households", "residents", "premises_area_m2", "description"}


def test_community_change_post_clerk_cannot_change_code_or_township(client, users, tree):
    home = tree["home"]
    client.force_login(users["clerk"])
    url = _url("community", "change", home.pk)
    data = _change_form_data(client.get(url))
    data.update(code="stolen", township=tree["south"].pk, households=1200)

    response = client.post(url, data)

    assert response.status_code == 302
    home.refresh_from_db()
    assert (home.code, home.township, home.households) == ("home", tree["north"], 1200)


def test_community_change_post_township_cannot_move_community_out(client, users, tree):
    home = tree["home"]
    client.force_login(users["township"])
    url = _url("community", "change", home.pk)
    data = _change_form_data(client.get(url))
    data["township"] = tree["south"].pk

    response = client.post(url, data)

    assert response.status_code == 200
    assert response.context["adminform"].form.errors.as_data()["township"][0].code == (
        "invalid_choice"
    )
    home.refresh_from_db()
    assert home.township == tree["north"]


def test_community_change_post_clerk_adds_facility_inline(client, users, tree):
    home = tree["home"]
    client.force_login(users["clerk"])
    url = _url("community", "change", home.pk)
    data = _change_form_data(client.get(url))
    data.update(
        {
            "facilities-TOTAL_FORMS": "1",
            "facilities-0-kind": "police_room",
            "facilities-0-present": "on",
            "facilities-0-area_m2": "25.0",
        }
    )

    response = client.post(url, data)

    assert response.status_code == 302
    assert list(home.facilities.values_list("kind", "area_m2")) == [
        ("police_room", Decimal("25.0"))
    ]


def test_community_change_post_clerk_cannot_edit_other_facility_through_inline(
    client, users, tree, records
):
    far_facility = records["far"]["facility"]
    client.force_login(users["clerk"])
    url = _url("community", "change", tree["home"].pk)
    data = _change_form_data(client.get(url))
    data.update(
        {
            "facilities-TOTAL_FORMS": "2",
            "facilities-INITIAL_FORMS": "2",
            "facilities-1-id": far_facility.pk,
            "facilities-1-community": tree["home"].pk,
            "facilities-1-kind": "party_room",
            "facilities-1-note": "hijacked",
        }
    )

    response = client.post(url, data)

    assert response.status_code == 200
    far_facility.refresh_from_db()
    assert (far_facility.community, far_facility.note) == (tree["far"], "")


# Adding records


def test_facility_add_form_clerk_offers_only_own_community(client, users, tree):
    client.force_login(users["clerk"])

    response = client.get(_url("facility", "add"))

    choices = response.context["adminform"].form.fields["community"].queryset
    assert list(choices) == [tree["home"]]


@pytest.mark.parametrize(
    ("role", "code"), [("clerk", "far"), ("clerk", "neighbour"), ("township", "far")]
)
def test_facility_add_out_of_scope_community_is_form_error(client, users, tree, role, code):
    client.force_login(users[role])

    response = client.post(
        _url("facility", "add"),
        {"community": tree[code].pk, "kind": "police_room", "present": "on", "area_m2": "20"},
    )

    assert response.status_code == 200
    errors = response.context["adminform"].form.errors.as_data()
    assert [e.code for e in errors["community"]] == ["invalid_choice"]
    assert Facility.objects.count() == 0


def test_facility_add_in_scope_community_saves(client, users, tree):
    client.force_login(users["clerk"])

    response = client.post(
        _url("facility", "add"),
        {"community": tree["home"].pk, "kind": "police_room", "present": "on", "area_m2": "20"},
    )

    assert response.status_code == 302
    assert list(Facility.objects.values_list("community__code", "kind")) == [
        ("home", "police_room")
    ]


def test_honour_add_township_out_of_scope_community_is_form_error(client, users, tree):
    client.force_login(users["township"])

    response = client.post(
        _url("honour", "add"),
        {"community": tree["far"].pk, "title": "文明社区", "level": Honour.Level.COUNTY},
    )

    assert response.status_code == 200
    errors = response.context["adminform"].form.errors.as_data()
    assert [e.code for e in errors["community"]] == ["invalid_choice"]
    assert Honour.objects.count() == 0


@pytest.mark.parametrize("role", ["clerk", "township"])
def test_term_add_out_of_scope_body_is_form_error(client, users, records, role):
    body = records["far"]["body"]
    client.force_login(users[role])
    terms_before = Term.objects.count()

    response = client.post(
        _url("term", "add"),
        {
            "body": body.pk,
            "number": 99,
            "elected_on": "2024-05-01",
            "starts_on": "2024-06-01",
            "ends_on": "2029-06-01",
            "members": 7,
        },
    )

    assert response.status_code == 200
    errors = response.context["adminform"].form.errors.as_data()
    assert [e.code for e in errors["body"]] == ["invalid_choice"]
    assert Term.objects.count() == terms_before


@pytest.mark.parametrize("model", ["honour", "township", "community", "cobuildingunit"])
def test_add_view_clerk_without_add_right_is_forbidden(client, users, model):
    client.force_login(users["clerk"])

    response = client.get(_url(model, "add"))

    assert response.status_code == 403


def test_township_add_post_township_staff_is_forbidden(client, users):
    client.force_login(users["township"])

    response = client.post(_url("township", "add"), {"code": "new", "name": "新镇", "kind": "town"})

    assert response.status_code == 403
    assert not Township.objects.filter(code="new").exists()


def test_autocomplete_community_clerk_gets_only_own_community(client, users, tree):
    client.force_login(users["clerk"])

    response = client.get(
        reverse("admin:autocomplete"),
        {"app_label": "communities", "model_name": "facility", "field_name": "community"},
    )

    assert response.status_code == 200
    assert [r["id"] for r in response.json()["results"]] == [str(tree["home"].pk)]


def test_autocomplete_users_clerk_is_forbidden(client, users):
    client.force_login(users["clerk"])

    response = client.get(
        reverse("admin:autocomplete"),
        {"app_label": "communities", "model_name": "userscope", "field_name": "user"},
    )

    assert response.status_code == 403


# Actions


def test_delete_selected_township_deletes_only_honours_in_scope(client, users, records):
    client.force_login(users["township"])
    selected = [records[code]["honour"].pk for code in ("home", "far")]

    response = client.post(
        _url("honour", "changelist"),
        {"action": "delete_selected", helpers.ACTION_CHECKBOX_NAME: selected, "post": "yes"},
    )

    assert response.status_code == 302
    remaining = set(Honour.objects.values_list("community__code", flat=True))
    assert remaining == {"neighbour", "far"}


def test_delete_selected_township_deletes_no_community(client, users, tree):
    client.force_login(users["township"])
    selected = [tree[code].pk for code in ("home", "neighbour", "far")]

    response = client.post(
        _url("community", "changelist"),
        {"action": "delete_selected", helpers.ACTION_CHECKBOX_NAME: selected, "post": "yes"},
    )

    assert response.status_code == 302
    assert Community.objects.count() == 3


def test_delete_view_clerk_cannot_delete_own_term(client, users, records):
    term = records["home"]["term"]
    client.force_login(users["clerk"])

    response = client.post(_url("term", "delete", term.pk), {"post": "yes"})

    assert response.status_code == 403
    assert Term.objects.filter(pk=term.pk).exists()


def test_export_csv_clerk_exports_only_own_community(client, users, tree):
    client.force_login(users["clerk"])
    selected = [tree[code].pk for code in ("home", "far")]

    response = client.post(
        _url("community", "changelist"),
        {"action": "export_csv", helpers.ACTION_CHECKBOX_NAME: selected},
    )

    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    rows = response.content.decode("utf-8-sig").splitlines()
    assert len(rows) == 2
    assert rows[1].startswith(f"home,{tree['home'].name},")


def test_delete_view_township_deletes_honour_in_scope(client, users, records):
    honour = records["neighbour"]["honour"]
    client.force_login(users["township"])

    response = client.post(_url("honour", "delete", honour.pk), {"post": "yes"})

    assert response.status_code == 302
    assert not Honour.objects.filter(pk=honour.pk).exists()


# Defence in depth: the write hooks refuse what no form should have let through


def _admin_request(rf, user):
    request = rf.post("/admin/")
    request.user = user
    return request


def test_save_model_record_moved_out_of_scope_is_denied(rf, users, tree):
    facility = make_facility(community=tree["home"])
    facility.community = tree["far"]

    with pytest.raises(PermissionDenied):
        admin.site.get_model_admin(Facility).save_model(
            _admin_request(rf, users["township"]), facility, form=None, change=True
        )

    facility.refresh_from_db()
    assert facility.community == tree["home"]


def test_delete_queryset_with_rows_out_of_scope_is_denied(rf, users, records):
    with pytest.raises(PermissionDenied):
        admin.site.get_model_admin(Honour).delete_queryset(
            _admin_request(rf, users["township"]), Honour.objects.all()
        )

    assert Honour.objects.count() == 3


def test_save_formset_under_community_out_of_scope_is_denied(rf, users, tree):
    community_admin = admin.site.get_model_admin(Community)
    inline = next(i for i in community_admin.inlines if i.model is Facility)(Community, admin.site)
    # Built as for the county (the admin's own inline checks would drop the row for the
    # clerk), so that only the write hook stands in the way.
    formset_class = inline.get_formset(_admin_request(rf, users["county"]), tree["far"])
    formset = formset_class(
        {
            "facilities-TOTAL_FORMS": "1",
            "facilities-INITIAL_FORMS": "0",
            "facilities-0-kind": "police_room",
        },
        instance=tree["far"],
    )
    assert formset.is_valid()

    with pytest.raises(PermissionDenied):
        community_admin.save_formset(_admin_request(rf, users["clerk"]), None, formset, change=True)

    assert Facility.objects.count() == 0


# Audit history


def test_history_view_county_shows_change_and_who_made_it(client, users, tree):
    home = tree["home"]
    county = users["county"]
    client.force_login(county)
    url = _url("community", "change", home.pk)
    data = _change_form_data(client.get(url))
    data["households"] = 1500
    client.post(url, data)

    response = client.get(_url("community", "history", home.pk))

    assert response.status_code == 200
    latest = response.context["page_obj"].object_list[0]
    assert (latest.history_type, latest.history_user, latest.households) == ("~", county, 1500)
    assert [(c["old"], c["new"]) for c in latest.history_delta_changes] == [("1000", "1500")]
    assert ">county</a>" in response.content.decode()


def test_history_view_county_shows_deleted_record(client, users, records):
    honour = records["far"]["honour"]
    client.force_login(users["county"])
    client.post(_url("honour", "delete", honour.pk), {"post": "yes"})

    response = client.get(_url("honour", "history", honour.pk))

    assert response.status_code == 200
    history = [(r.history_type, r.history_user) for r in response.context["page_obj"]]
    assert history == [("-", users["county"]), ("+", None)]


@pytest.mark.parametrize("role", ["township", "clerk"])
def test_history_view_township_or_clerk_is_forbidden(client, users, tree, role):
    client.force_login(users[role])

    response = client.get(_url("community", "history", tree["home"].pk))

    assert response.status_code == 403


@pytest.mark.parametrize("role", ["township", "clerk"])
def test_history_form_view_township_or_clerk_is_forbidden(client, users, tree, role):
    home = tree["home"]
    version = home.history.latest()
    client.force_login(users[role])

    response = client.get(_url("community", "simple_history", home.pk, version.history_id))

    assert response.status_code == 403


def test_history_form_view_clerk_out_of_scope_is_404(client, users, tree):
    far = tree["far"]
    version = far.history.latest()
    client.force_login(users["clerk"])

    response = client.get(_url("community", "simple_history", far.pk, version.history_id))

    assert response.status_code == 404


def test_history_revert_post_township_is_forbidden_and_unchanged(client, users, tree):
    home = tree["home"]
    version = home.history.latest()
    home.households = 4321
    home.save()
    client.force_login(users["township"])

    response = client.post(
        _url("community", "simple_history", home.pk, version.history_id), {"households": 1000}
    )

    assert response.status_code == 403
    home.refresh_from_db()
    assert home.households == 4321


def test_history_revert_county_restores_old_value(client, users, tree):
    home = tree["home"]
    version = home.history.latest()
    home.households = 4321
    home.save()
    client.force_login(users["county"])
    url = _url("community", "simple_history", home.pk, version.history_id)
    data = _change_form_data(client.get(url))

    response = client.post(url, data)

    assert response.status_code == 302
    home.refresh_from_db()
    assert home.households == 1000
    assert home.history.latest().history_user == users["county"]


# Accounts


def test_user_admin_county_opens_user_list(client, users):
    client.force_login(users["county"])

    response = client.get(reverse("admin:auth_user_changelist"))

    assert response.status_code == 200
    assert response.context["cl"].result_count == len(users)


@pytest.mark.parametrize("role", ["township", "clerk"])
@pytest.mark.parametrize("name", ["auth_user_changelist", "auth_group_changelist"])
def test_account_admin_township_or_clerk_is_forbidden(client, users, role, name):
    client.force_login(users[role])

    response = client.get(reverse(f"admin:{name}"))

    assert response.status_code == 403


def test_user_add_county_creates_clerk_with_scope(client, users, tree):
    client.force_login(users["county"])

    response = client.post(
        reverse("admin:auth_user_add"),
        {
            "username": "new_clerk",
            "usable_password": "true",
            "password1": "a-long-enough-passphrase",
            "password2": "a-long-enough-passphrase",
            "scope-TOTAL_FORMS": "1",
            "scope-INITIAL_FORMS": "0",
            "scope-0-role": Role.CLERK,
            "scope-0-community": tree["home"].pk,
        },
    )

    assert response.status_code == 302
    created = get_user_model().objects.get(username="new_clerk")
    assert (created.scope.role, created.scope.community) == (Role.CLERK, tree["home"])


def test_user_change_form_county_cannot_grant_superuser(client, users):
    township_user = users["township"]
    client.force_login(users["county"])

    response = client.get(reverse("admin:auth_user_change", args=[township_user.pk]))

    form_fields = set(response.context["adminform"].form.fields)
    assert {"is_superuser", "groups", "user_permissions"} & form_fields == set()
    assert {"username", "is_staff", "is_active"} <= form_fields


def test_user_change_county_cannot_change_superuser(client, users):
    admin_user = make_user(None, username="root", is_superuser=True, is_staff=True)
    client.force_login(users["county"])

    response = client.post(
        reverse("admin:auth_user_password_change", args=[admin_user.pk]),
        {"password1": "a-long-enough-passphrase", "password2": "a-long-enough-passphrase"},
    )

    assert response.status_code == 403
    admin_user.refresh_from_db()
    assert not admin_user.check_password("a-long-enough-passphrase")


def test_governance_body_change_form_party_organisation_has_branch_inline(client, users, tree):
    party = make_body(community=tree["home"], kind=GovernanceBody.Kind.PARTY)
    committee = make_body(community=tree["home"])
    client.force_login(users["clerk"])

    party_page = client.get(_url("governancebody", "change", party.pk))
    committee_page = client.get(_url("governancebody", "change", committee.pk))

    def inline_models(response):
        return [f.formset.model.__name__ for f in response.context["inline_admin_formsets"]]

    assert inline_models(party_page) == ["Term", "PartyBranch"]
    assert inline_models(committee_page) == ["Term"]


def test_term_change_township_keeps_dates(client, users, records):
    term = records["home"]["term"]
    client.force_login(users["township"])
    url = _url("term", "change", term.pk)
    data = _change_form_data(client.get(url))
    data["ends_on"] = "2026-06-01"

    response = client.post(url, data)

    assert response.status_code == 302
    term.refresh_from_db()
    assert term.ends_on == datetime.date(2026, 6, 1)


# Invisible and text-direction characters (chunan_community.forms.visible_text)

BIDI_MESSAGE = (
    "Remove the invisible or text-direction character U+202E (character 3): it hides or "
    "reverses the text around it."
)


def test_community_change_post_refuses_a_bidi_override_in_its_name_and_inline(client, users, tree):
    home = tree["home"]
    client.cookies["django_language"] = "en"
    client.force_login(users["county"])
    url = _url("community", "change", home.pk)
    data = _change_form_data(client.get(url))
    data["name"] = "西园\u202e社区"
    prefix = next(
        inline.formset.prefix
        for inline in client.get(url).context["inline_admin_formsets"]
        if inline.formset.model is Facility
    )
    data.update(
        {
            f"{prefix}-TOTAL_FORMS": "1",
            f"{prefix}-0-kind": "party_room",
            f"{prefix}-0-note": "活动\u202e室",
        }
    )

    response = client.post(url, data)

    assert response.status_code == 200
    assert response.context["adminform"].form.errors["name"] == [BIDI_MESSAGE]
    [facility_errors] = [
        inline.formset.errors
        for inline in response.context["inline_admin_formsets"]
        if inline.formset.model is Facility
    ]
    assert facility_errors[0]["note"] == [BIDI_MESSAGE]
    home.refresh_from_db()
    assert home.name != "西园\u202e社区"
    assert not Facility.objects.filter(community=home).exists()


def test_user_change_post_refuses_a_name_of_invisible_characters(client, users):
    clerk = users["clerk"]
    client.cookies["django_language"] = "en"
    client.force_login(users["county"])
    url = reverse("admin:auth_user_change", args=[clerk.pk])
    data = _change_form_data(client.get(url))
    data.update(first_name="\u200d\u200d", last_name="王\u200b")

    response = client.post(url, data)

    assert response.status_code == 200
    errors = response.context["adminform"].form.errors
    assert (errors["first_name"], errors["last_name"]) == (
        ["Enter visible text: this holds only spaces or invisible characters."],
        [
            "Remove the invisible or text-direction character U+200B (character 2): it hides "
            "or reverses the text around it."
        ],
    )
    clerk.refresh_from_db()
    assert (clerk.first_name, clerk.last_name) == ("", "")
