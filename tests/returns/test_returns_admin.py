"""The admin of monthly returns: scoped reads, no direct writes, the county's domain actions."""

import datetime
from decimal import Decimal

import pytest
from django.conf import settings
from django.contrib.messages import get_messages
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from communities.models import (
    Indicator,
    MonthlyReturn,
    ReturnEvent,
    ReturnImport,
    ReturnStatus,
    ReturnValue,
)
from communities.returns import domain
from tests.factories import make_community, make_indicator, make_rule

pytestmark = pytest.mark.django_db

PERIOD = datetime.date(2026, 10, 1)
IN_TIME = datetime.date(2026, 11, 5)
VISIBLE = {
    "county": {"home", "neighbour", "far"},
    "township": {"home", "neighbour"},
    "other_township": {"far"},
    "clerk": {"home"},
}


def _url(model, view, *args):
    return reverse(f"admin:communities_{model}_{view}", args=args)


@pytest.fixture
def client_en(client):
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    return client


@pytest.fixture
def households(db):
    return make_indicator(code="households")


def _submit(community, user, indicator, value=100):
    draft = domain.return_save(
        community=community,
        period=PERIOD,
        values={indicator.pk: Decimal(value)},
        version=0,
        by=user,
        today=IN_TIME,
    )
    return domain.return_save(
        community=community,
        period=PERIOD,
        values={indicator.pk: Decimal(value)},
        version=draft.version,
        by=user,
        submit=True,
        today=IN_TIME,
    )


@pytest.fixture
def returns(tree, users, households):
    """home: approved by its township; neighbour: submitted; far: approved by the county."""
    home = domain.return_approve(
        monthly_return=_submit(tree["home"], users["clerk"], households), by=users["township"]
    )
    neighbour = _submit(tree["neighbour"], users["county"], households)
    far = domain.return_approve(
        monthly_return=_submit(tree["far"], users["other_clerk"], households),
        by=users["county"],
    )
    return {"home": home, "neighbour": neighbour, "far": far}


# Reading


@pytest.mark.parametrize("role", sorted(VISIBLE))
def test_return_changelist_lists_returns_in_scope(client, users, returns, role):
    client.force_login(users[role])

    response = client.get(_url("monthlyreturn", "changelist"))

    assert response.status_code == 200
    assert {r.community.code for r in response.context["cl"].result_list} == VISIBLE[role]


@pytest.mark.parametrize("role", sorted(VISIBLE))
def test_return_event_changelist_lists_events_in_scope(client, users, returns, role):
    client.force_login(users[role])

    response = client.get(_url("returnevent", "changelist"))

    codes = {e.monthly_return.community.code for e in response.context["cl"].result_list}
    assert codes == VISIBLE[role]


@pytest.mark.parametrize(("role", "code"), [("clerk", "neighbour"), ("township", "far")])
def test_return_change_view_out_of_scope_is_404(client, users, returns, role, code):
    client.force_login(users[role])

    response = client.get(_url("monthlyreturn", "change", returns[code].pk))

    assert response.status_code == 404


def test_return_change_view_clerk_reads_values_and_events(client, users, returns):
    home = returns["home"]
    client.force_login(users["clerk"])

    response = client.get(_url("monthlyreturn", "change", home.pk))

    assert response.status_code == 200
    assert response.context["has_change_permission"] is False
    inlines = {f.formset.model: f for f in response.context["inline_admin_formsets"]}
    assert [form.instance.value for form in inlines[ReturnValue].formset.forms] == [Decimal(100)]
    actions = [form.instance.action for form in inlines[ReturnEvent].formset.forms]
    assert actions == ["saved", "submitted", "approved"]
    assert not any(f.has_change_permission or f.has_add_permission for f in inlines.values())


def test_return_changelist_filters_by_month_status_and_township(client, users, tree, returns):
    client.force_login(users["county"])
    url = _url("monthlyreturn", "changelist")

    by_month = client.get(url, {"month": "2026-10", "status": "approved"})
    by_township = client.get(url, {"community__township__id__exact": tree["south"].pk})
    other_month = client.get(url, {"month": "2026-09"})

    assert {r.community.code for r in by_month.context["cl"].result_list} == {"home", "far"}
    assert {r.community.code for r in by_township.context["cl"].result_list} == {"far"}
    assert list(other_month.context["cl"].result_list) == []


def test_return_changelist_search_by_community_code(client, users, returns):
    client.force_login(users["township"])

    response = client.get(_url("monthlyreturn", "changelist"), {"q": "neighbour"})

    assert [r.community.code for r in response.context["cl"].result_list] == ["neighbour"]


def test_return_changelist_queries_do_not_grow_with_rows(client, users, tree, households):
    def count_queries():
        with CaptureQueriesContext(connection) as queries:
            response = client.get(_url("monthlyreturn", "changelist"))
        assert response.status_code == 200
        return len(queries), len(response.context["cl"].result_list)

    _submit(tree["home"], users["county"], households)
    client.force_login(users["county"])
    one = count_queries()
    for _n in range(2):
        _submit(make_community(township=tree["south"]), users["county"], households)

    three = count_queries()

    assert (one[1], three[1]) == (1, 3)
    assert three[0] == one[0]


def test_return_change_view_queries_do_not_grow_with_values(client, users, tree, households):
    one = _submit(tree["home"], users["county"], households)
    indicators = [households, make_indicator(), make_indicator()]
    three = domain.return_save(
        community=tree["far"],
        period=PERIOD,
        values={indicator.pk: Decimal(5) for indicator in indicators},
        version=0,
        by=users["county"],
        submit=True,
        today=IN_TIME,
    )
    client.force_login(users["county"])
    client.get(_url("monthlyreturn", "change", one.pk))  # the session, once

    counts = []
    for monthly_return in (one, three):
        with CaptureQueriesContext(connection) as queries:
            response = client.get(_url("monthlyreturn", "change", monthly_return.pk))
        counts.append((len(queries), len(response.context["inline_admin_formsets"][0].forms)))

    assert [forms for _queries, forms in counts] == [1, 3]
    assert counts[0][0] == counts[1][0]


# Nobody writes a return, a value or an event in the admin


@pytest.mark.parametrize("role", ["county", "township", "clerk"])
def test_return_change_post_is_forbidden_and_changes_nothing(client, users, returns, role):
    home = returns["home"]
    client.force_login(users[role])

    response = client.post(
        _url("monthlyreturn", "change", home.pk),
        {
            "status": ReturnStatus.ACCEPTED,
            "values-TOTAL_FORMS": "1",
            "values-INITIAL_FORMS": "1",
            "values-0-id": home.values.get().pk,
            "values-0-value": "999",
        },
    )

    assert response.status_code == 403
    home.refresh_from_db()
    assert home.status == ReturnStatus.APPROVED
    assert list(home.values.values_list("value", flat=True)) == [Decimal(100)]


@pytest.mark.parametrize(
    ("model", "view"),
    [
        ("monthlyreturn", "add"),
        ("monthlyreturn", "delete"),
        ("returnevent", "add"),
        ("returnevent", "change"),
    ],
)
def test_return_admin_writes_are_forbidden_even_for_the_county(client, users, returns, model, view):
    client.force_login(users["county"])
    if model == "returnevent":
        args = () if view == "add" else (ReturnEvent.objects.first().pk,)
    else:
        args = () if view == "add" else (returns["home"].pk,)

    response = client.post(_url(model, view, *args), {"post": "yes", "reason": "x"})

    assert response.status_code == 403
    assert MonthlyReturn.objects.count() == 3


def test_return_values_and_events_have_no_admin_of_their_own(client, users):
    client.force_login(users["county"])

    index = client.get(reverse("admin:app_list", args=["communities"]))

    models = {m["object_name"] for m in index.context["app_list"][0]["models"]}
    assert {"MonthlyReturn", "ReturnEvent", "ReturnImport", "Indicator"} <= models
    assert "ReturnValue" not in models


# The county's action: accept through the domain


def test_accept_action_county_accepts_approved_and_leaves_the_others(client_en, users, returns):
    client_en.force_login(users["county"])
    selected = [returns["home"].pk, returns["neighbour"].pk]

    response = client_en.post(
        _url("monthlyreturn", "changelist"),
        {"action": "accept_returns", "_selected_action": selected, "index": "0"},
    )

    assert response.status_code == 302
    statuses = dict(MonthlyReturn.objects.values_list("community__code", "status"))
    assert statuses == {"home": "accepted", "neighbour": "submitted", "far": "approved"}
    accepted = ReturnEvent.objects.get(action=ReturnEvent.Action.ACCEPTED)
    assert (accepted.monthly_return_id, accepted.by, accepted.from_status) == (
        returns["home"].pk,
        users["county"],
        "approved",
    )
    assert MonthlyReturn.objects.get(pk=returns["home"].pk).accepted_at is not None
    assert [str(m) for m in get_messages(response.wsgi_request)] == [
        "1 return accepted and locked.",
        "Only returns approved by the township can be accepted; left as they are: "
        f"{returns['neighbour']} (Submitted).",
    ]


@pytest.mark.parametrize("role", ["township", "clerk"])
def test_accept_action_is_not_offered_to_township_or_clerk(client, users, returns, role):
    client.force_login(users[role])
    url = _url("monthlyreturn", "changelist")

    page = client.get(url)
    response = client.post(
        url,
        {"action": "accept_returns", "_selected_action": [returns["home"].pk], "index": "0"},
    )

    assert page.context["action_form"] is None  # no action at all
    assert response.status_code == 200  # the list again: the post was no action
    assert MonthlyReturn.objects.get(pk=returns["home"].pk).status == ReturnStatus.APPROVED
    assert not ReturnEvent.objects.filter(action=ReturnEvent.Action.ACCEPTED).exists()


def test_accept_action_county_page_offers_only_accept(client, users, returns):
    client.force_login(users["county"])

    page = client.get(_url("monthlyreturn", "changelist"))

    choices = [name for name, _label in page.context["action_form"].fields["action"].choices]
    assert choices == ["", "accept_returns"]


# The catalogue: the county's; every staff level may read it


@pytest.mark.parametrize("role", ["township", "clerk"])
def test_indicator_admin_township_or_clerk_reads_but_cannot_change(client, users, role):
    indicator = make_indicator(code="residents", maximum=Decimal(10000))
    client.force_login(users[role])

    listing = client.get(_url("indicator", "changelist"))
    response = client.post(_url("indicator", "change", indicator.pk), {"maximum": "5"})

    assert [i.code for i in listing.context["cl"].result_list] == ["residents"]
    assert response.status_code == 403
    indicator.refresh_from_db()
    assert indicator.maximum == Decimal(10000)


def test_indicator_admin_county_changes_maximum_and_adds_a_rule(client, users):
    households = make_indicator(code="households", maximum=Decimal(50000))
    residents = make_indicator(code="residents", group=households.group)
    client.force_login(users["county"])
    url = _url("indicator", "change", households.pk)
    data = {
        "code": "households",
        "name": "户数",
        "name_en": "Households",
        "group": households.group_id,
        "sort_order": "1",
        "help_text": "",
        "value_type": "integer",
        "unit": "户",
        "minimum": "0",
        "maximum": "60000",
        "required": "on",
        "active_from": "2025-01-01",
        "active_to": "",
        "rules_left-TOTAL_FORMS": "1",
        "rules_left-INITIAL_FORMS": "0",
        "rules_left-0-operator": "lte",
        "rules_left-0-right": residents.pk,
        "rules_left-0-message": "",
    }

    response = client.post(url, data)

    assert response.status_code == 302
    households.refresh_from_db()
    assert households.maximum == Decimal(60000)
    assert [str(rule) for rule in households.rules_left.all()] == ["households ≤ residents"]


def test_indicator_admin_active_from_must_start_a_month(client_en, users):
    indicator = make_indicator(code="households")
    client_en.force_login(users["county"])

    response = client_en.post(
        _url("indicator", "change", indicator.pk),
        {
            "code": "households",
            "name": "户数",
            "group": indicator.group_id,
            "sort_order": "1",
            "value_type": "integer",
            "minimum": "0",
            "active_from": "2026-01-15",
            "rules_left-TOTAL_FORMS": "0",
            "rules_left-INITIAL_FORMS": "0",
        },
    )

    assert response.status_code == 200
    assert response.context["adminform"].form.errors["active_from"] == [
        "Enter the first day of a month, e.g. 2026-01-01."
    ]
    assert Indicator.objects.get(pk=indicator.pk).active_from == datetime.date(2020, 1, 1)


def test_indicator_rule_admin_township_cannot_add(client, users, households):
    residents = make_indicator(code="residents")
    client.force_login(users["township"])

    response = client.post(
        _url("indicatorrule", "add"),
        {"left": households.pk, "operator": "lte", "right": residents.pk},
    )

    assert response.status_code == 403
    assert not households.rules_left.exists()


def test_indicator_rule_admin_lists_rules_for_the_clerk(client, users, households):
    residents = make_indicator(code="residents")
    make_rule(households, "lte", residents)
    client.force_login(users["clerk"])

    response = client.get(_url("indicatorrule", "changelist"))

    assert [str(rule) for rule in response.context["cl"].result_list] == ["households ≤ residents"]


# Excel imports: county only, read-only


def test_return_import_admin_county_reads_errors(client, users):
    upload = ReturnImport.objects.create(
        uploaded_by=users["clerk"],
        file_name="西园2026-10.xlsx",
        status=ReturnImport.Status.REJECTED,
        rows=[],
        errors=[{"row": 5, "column": "C", "field": "v_households", "message": "不能小于0"}],
    )
    client.force_login(users["county"])

    listing = client.get(_url("returnimport", "changelist"))
    page = client.get(_url("returnimport", "change", upload.pk))

    assert [i.file_name for i in listing.context["cl"].result_list] == ["西园2026-10.xlsx"]
    assert "<div>C5: 不能小于0</div>" in page.content.decode()
    assert page.context["has_change_permission"] is False


@pytest.mark.parametrize("role", ["township", "clerk"])
def test_return_import_admin_township_or_clerk_is_forbidden(client, users, role):
    client.force_login(users[role])

    response = client.get(_url("returnimport", "changelist"))

    assert response.status_code == 403
