"""Community admission (社区准入): who may open which page, the request form, the decision
workflow (approve; refuse with a reason; never twice), and the tasks each community sees."""

import datetime
import re
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, connection, transaction
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format

from chunan_community.errors import Refused
from communities.models import Community, Role
from services.admission import (
    admission_approve,
    admission_refuse,
    admission_submit,
    admission_update,
)
from services.models import AdmissionRequest
from tests.factories import make_community, make_township, make_user
from tests.html import tables

pytestmark = pytest.mark.django_db

# The county's New Year, while it is still 31 December in UTC.
NEW_YEAR = datetime.datetime(2027, 1, 1, 0, 30, tzinfo=ZoneInfo("Asia/Shanghai"))

ROLES = ("anonymous", "county", "township", "other_township", "clerk", "other_clerk", "judge")
ROLES += ("no_role",)
STAFF = {"county": 200, "township": 200, "other_township": 200, "clerk": 200}
STAFF |= {"other_clerk": 200, "judge": 403, "no_role": 403, "anonymous": 302}
COUNTY = dict.fromkeys(ROLES, 403) | {"county": 200, "anonymous": 302}
# The tasks of `home` (township north): its clerk, its township's staff and the county.
HOME_KEEPERS = {"county": 200, "township": 200, "clerk": 200, "anonymous": 302}
HOME_KEEPERS |= {"other_township": 404, "other_clerk": 404, "judge": 403, "no_role": 403}


@pytest.fixture
def english(client):
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    return client


RECEIVED = "2025-06-02"  # a paper request, typed in later


def submit(by, communities, **kwargs):
    kwargs.setdefault("department", "县卫生局")
    kwargs.setdefault("task", "Check the drinking water of every household once a year.")
    kwargs.setdefault("funds_follow", True)
    kwargs.setdefault("funds_yuan", Decimal("50000"))
    kwargs.setdefault("staff_follow", False)
    kwargs.setdefault("authority_follow", True)
    return admission_submit(communities=communities, by=by, **kwargs)


def login(client, users, role):
    if role != "anonymous":
        client.force_login(users[role])
    return client


def form_data(communities=(), **overrides):
    data = {
        "department": "县民政局",
        "received_on": RECEIVED,
        "task": "Keep the register of the elderly living alone.",
        "funds_follow": "on",
        "funds_yuan": "12000.50",
        "staff_follow": "on",
        "communities": [str(c.pk) for c in communities],
    }
    data.update(overrides)
    return {key: value for key, value in data.items() if value is not None}


# ---------------------------------------------------------------------------- permissions


@pytest.fixture
def pending(tree, users):
    return submit(users["county"], [tree["home"], tree["far"]])


def _check(response, expected):
    assert response.status_code == expected
    if expected == 302 and not response.wsgi_request.user.is_authenticated:
        assert response["Location"].startswith(reverse("login") + "?next=")


@pytest.mark.parametrize("role", ROLES)
def test_list_statuses_by_role(client, users, pending, role):
    response = login(client, users, role).get(reverse("services:admission_list"))
    _check(response, STAFF[role])


@pytest.mark.parametrize("role", ROLES)
def test_detail_statuses_by_role(client, users, pending, role):
    url = reverse("services:admission_detail", kwargs={"pk": pending.pk})
    _check(login(client, users, role).get(url), STAFF[role])


@pytest.mark.parametrize("role", ROLES)
def test_new_statuses_by_role(client, users, tree, role):
    _check(login(client, users, role).get(reverse("services:admission_new")), COUNTY[role])


@pytest.mark.parametrize("role", ROLES)
def test_new_post_by_others_is_refused_and_stores_nothing(client, users, tree, role):
    if role == "county":
        return
    url = reverse("services:admission_new")
    response = login(client, users, role).post(url, form_data([tree["home"]]))
    _check(response, COUNTY[role] if role == "anonymous" else 403)
    assert AdmissionRequest.objects.count() == 0


@pytest.mark.parametrize("role", ROLES)
def test_edit_statuses_by_role(client, users, pending, role):
    url = reverse("services:admission_edit", kwargs={"pk": pending.pk})
    _check(login(client, users, role).get(url), COUNTY[role])


@pytest.mark.parametrize("action", ["approve", "refuse"])
@pytest.mark.parametrize("role", ROLES)
def test_decision_statuses_by_role(client, users, pending, role, action):
    url = reverse(f"services:admission_{action}", kwargs={"pk": pending.pk})
    response = login(client, users, role).post(url, {f"{action}-reason": "Agreed at the meeting."})
    expected = {"county": 302, "anonymous": 302}.get(role, 403)
    _check(response, expected)
    pending.refresh_from_db()
    if role == "county":
        assert response["Location"] == reverse(
            "services:admission_detail", kwargs={"pk": pending.pk}
        )
        assert pending.status == action.replace("approve", "approved").replace("refuse", "refused")
    else:
        assert pending.status == AdmissionRequest.Status.SUBMITTED


@pytest.mark.parametrize("action", ["approve", "refuse"])
def test_decision_by_get_is_not_allowed(client, users, pending, action):
    client.force_login(users["county"])
    url = reverse(f"services:admission_{action}", kwargs={"pk": pending.pk})
    assert client.get(url).status_code == 405


def test_unknown_request_is_404(client, users, tree):
    client.force_login(users["county"])
    for name in ("admission_detail", "admission_edit"):
        assert client.get(reverse(f"services:{name}", kwargs={"pk": 999})).status_code == 404
    response = client.post(reverse("services:admission_approve", kwargs={"pk": 999}))
    assert response.status_code == 404


@pytest.mark.parametrize("role", ROLES)
def test_tasks_statuses_by_role(client, users, tree, role):
    for name in ("admitted_tasks", "admitted_tasks_print"):
        url = reverse(f"services:{name}", kwargs={"code": "home"})
        _check(login(client, users, role).get(url), HOME_KEEPERS[role])


def test_tasks_of_an_unknown_community_is_404(client, users, tree):
    client.force_login(users["county"])
    url = reverse("services:admitted_tasks", kwargs={"code": "nowhere"})
    assert client.get(url).status_code == 404


# ---------------------------------------------------------------------------- the list


def test_list_shows_requests_and_new_button_for_county(english, users, tree, pending):
    english.force_login(users["county"])

    response = english.get(reverse("services:admission_list"))

    body = response.content.decode()
    assert 'id="admission-new"' in body
    [table] = tables(response)
    today = timezone.localdate()
    assert table["tbody"] == [
        [
            "县卫生局",
            "Check the drinking water of every household once a year.",
            "✓ 50,000.00 yuan",
            "✗ No",
            "✓ Yes",
            "2",
            "Submitted",
            date_format(today, "SHORT_DATE_FORMAT"),
            "—",
        ]
    ]


@pytest.mark.parametrize("role", ["township", "clerk"])
def test_list_has_no_new_button_for_others(client, users, pending, role):
    client.force_login(users[role])
    response = client.get(reverse("services:admission_list"))
    assert response.status_code == 200
    assert 'id="admission-new"' not in response.content.decode()


@time_machine.travel(NEW_YEAR, tick=False)
def test_list_filters_by_status_department_and_year(client, users, tree):
    county = users["county"]
    water = submit(county, [tree["home"]], department="县卫生局")
    roads = submit(county, [tree["home"]], department="县交通局")
    admission_approve(admission_request=roads, by=county)
    old = submit(county, [tree["far"]], department="县卫生局")
    AdmissionRequest.objects.filter(pk=old.pk).update(received_on=datetime.date(2009, 3, 1))
    client.force_login(users["township"])
    url = reverse("services:admission_list")

    def shown(**params):
        return [row[0] for row in tables(client.get(url, params))[0]["tbody"]]

    assert shown(status="approved") == ["县交通局"]
    assert shown(department="卫生") == ["县卫生局", "县卫生局"]
    assert shown(year="2009") == ["县卫生局"]
    assert shown(year="2027", department="卫生") == ["县卫生局"]
    years = client.get(url).context["filter"].form.fields["year"].choices
    assert [value for value, _label in years] == ["", "2027", "2009"]
    assert water.pk != old.pk


def test_list_paginates(client, users, tree):
    for n in range(settings.PAGE_SIZE + 1):
        submit(users["county"], [tree["home"]], department=f"部门{n:02d}")
    client.force_login(users["clerk"])

    first = client.get(reverse("services:admission_list"))
    second = client.get(reverse("services:admission_list"), {"page": 2})

    assert len(tables(first)[0]["tbody"]) == settings.PAGE_SIZE
    assert [row[0] for row in tables(second)[0]["tbody"]] == ["部门00"]


def _queries(client, url, build):
    build()
    client.get(url)
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url)
    assert response.status_code == 200
    return len(captured)


def test_list_and_tasks_run_the_same_queries_for_3_and_30_rows(client, users, tree):
    county = users["county"]
    client.force_login(county)
    list_url = reverse("services:admission_list")
    tasks_url = reverse("services:admitted_tasks", kwargs={"code": "home"})
    print_url = reverse("services:admitted_tasks_print", kwargs={"code": "home"})

    def add(count):
        for n in range(count):
            made = submit(county, [tree["home"], tree["far"]], department=f"部门{n:02d}")
            admission_approve(admission_request=made, by=county)

    counts = {}
    for rows, extra in ((3, 3), (30, 27)):
        counts[rows] = [
            _queries(client, list_url, lambda extra=extra: add(extra)),
            _queries(client, tasks_url, lambda: None),
            _queries(client, print_url, lambda: None),
        ]
    assert AdmissionRequest.objects.count() == 30
    assert counts[3] == counts[30]


# ---------------------------------------------------------------------------- the form


def test_new_request_is_recorded(english, users, tree):
    english.force_login(users["county"])

    response = english.post(
        reverse("services:admission_new"), form_data([tree["home"], tree["far"]])
    )

    made = AdmissionRequest.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("services:admission_detail", kwargs={"pk": made.pk})
    assert (made.department, made.task) == (
        "县民政局",
        "Keep the register of the elderly living alone.",
    )
    assert (made.funds_follow, made.funds_yuan, made.staff_follow, made.authority_follow) == (
        True,
        Decimal("12000.50"),
        True,
        False,
    )
    assert set(made.communities.all()) == {tree["home"], tree["far"]}
    assert (made.status, made.decided_by, made.decided_on) == ("submitted", None, None)
    assert made.received_on == datetime.date(2025, 6, 2)
    assert made.history.first().history_user == users["county"]
    page = english.get(response["Location"])
    assert "The request was recorded. Approve or refuse it below." in page.content.decode()


# ---------------------------------------------------------------------------- received date


@time_machine.travel(datetime.datetime(2026, 11, 25, 10, tzinfo=datetime.UTC), tick=False)
def test_new_form_offers_today_as_the_received_date(english, users, tree):
    english.force_login(users["county"])

    body = english.get(reverse("services:admission_new")).content.decode()

    assert re.search(r'<input type="date" name="received_on" value="2026-11-25"', body)


@time_machine.travel(datetime.datetime(2026, 11, 25, 10, tzinfo=datetime.UTC), tick=False)
def test_received_date_after_today_is_refused(english, users, tree):
    english.force_login(users["county"])

    response = english.post(
        reverse("services:admission_new"), form_data([tree["home"]], received_on="2026-11-26")
    )

    assert response.status_code == 400
    assert response.context["form"].errors["received_on"] == [
        "The request cannot be received after today (25 November 2026)."
    ]
    assert AdmissionRequest.objects.count() == 0


def test_received_date_is_kept_apart_from_the_recording_and_before_the_decision(users, tree):
    county = users["county"]
    made = submit(county, [tree["home"]], received_on=datetime.date(2025, 6, 2))

    approved = admission_approve(admission_request=made, by=county)

    assert approved.received_on == datetime.date(2025, 6, 2)
    assert approved.received_on <= approved.decided_on
    assert timezone.localdate(approved.submitted_at) >= approved.received_on


def test_received_after_the_decision_breaks_the_constraint(users, tree):
    made = submit(users["county"], [tree["home"]], received_on=datetime.date(2025, 6, 2))
    made.status, made.decided_on = "approved", datetime.date(2025, 6, 1)

    with pytest.raises(ValidationError) as invalid:
        made.full_clean()
    assert invalid.value.messages == ["A request cannot be received after the day it was decided."]
    with pytest.raises(IntegrityError), transaction.atomic():
        AdmissionRequest.objects.filter(pk=made.pk).update(
            status="approved", decided_on=datetime.date(2025, 6, 1)
        )


def test_list_and_detail_show_the_received_date(english, users, tree):
    made = submit(users["county"], [tree["home"]], received_on=datetime.date(2025, 6, 2))
    english.force_login(users["clerk"])

    rows = tables(english.get(reverse("services:admission_list")))[0]
    detail = english.get(reverse("services:admission_detail", kwargs={"pk": made.pk}))

    assert rows["thead"][0][7] == "Received"
    assert rows["tbody"][0][7] == "2025-06-02"
    assert '<dd id="admission-received"><time datetime="2025-06-02">2 June 2025</time></dd>' in (
        detail.content.decode()
    )


def test_new_form_lists_active_communities_by_township(english, users, tree):
    make_community(township=tree["south"], code="gone", status=Community.Status.MERGED)
    english.force_login(users["county"])

    body = english.get(reverse("services:admission_new")).content.decode()

    for code in ("home", "neighbour", "far"):
        assert f'value="{tree[code].pk}"' in body
    gone = Community.objects.get(code="gone")
    assert f'value="{gone.pk}"' not in body
    north, south = tree["north"].name_en, tree["south"].name_en
    assert body.index(f"<legend>{north}</legend>") < body.index(tree["home"].name_en)
    assert body.index(tree["neighbour"].name_en) < body.index(f"<legend>{south}</legend>")
    assert body.index(f"<legend>{south}</legend>") < body.index(tree["far"].name_en)
    assert '<label for="id_all_communities">All communities</label>' in body


def test_all_communities_takes_every_active_community(client, users, tree):
    make_community(township=tree["south"], code="gone", status=Community.Status.MERGED)
    client.force_login(users["county"])

    client.post(reverse("services:admission_new"), form_data(all_communities="on"))

    made = AdmissionRequest.objects.get()
    assert set(made.communities.values_list("code", flat=True)) == {"home", "neighbour", "far"}


@pytest.mark.parametrize(
    ("overrides", "field", "message"),
    [
        (
            {"funds_yuan": ""},
            "id_funds_yuan",
            "Funds (yuan): Funds follow the task: enter the amount in yuan the department "
            "hands over with it (more than 0).",
        ),
        (
            {"funds_yuan": "0"},
            "id_funds_yuan",
            "Funds (yuan): Funds follow the task: enter the amount in yuan the department "
            "hands over with it (more than 0).",
        ),
        (
            {"funds_follow": None},
            "id_funds_yuan",
            "Funds (yuan): An amount is entered but “funds follow the task” is not ticked: "
            "tick it, or clear the amount.",
        ),
        (
            {"funds_yuan": "lots"},
            "id_funds_yuan",
            "Funds (yuan): Enter the funds as a number of yuan, e.g. 50000 or 1250.50.",
        ),
        (
            {"funds_yuan": "-5"},
            "id_funds_yuan",
            "Funds (yuan): The funds cannot be negative.",
        ),
        (
            {"department": "  "},
            "id_department",
            "Department: Enter the department making the request.",
        ),
        (
            {"communities": []},
            "id_communities_0",
            "Communities concerned: Choose the communities concerned, or tick “All communities”.",
        ),
        (
            {"communities": ["999"]},
            "id_communities_0",
            "Communities concerned: Choose only active communities.",
        ),
    ],
)
def test_bad_input_gets_a_clear_message_and_loses_nothing(
    english, users, tree, overrides, field, message
):
    english.force_login(users["county"])
    data = form_data([tree["far"]]) | overrides
    data = {key: value for key, value in data.items() if value is not None}

    response = english.post(reverse("services:admission_new"), data)

    body = response.content.decode()
    assert response.status_code == 400
    assert AdmissionRequest.objects.count() == 0
    assert f'<li><a href="#{field}">{message}</a></li>' in body
    assert 'id="error-summary"' in body
    # What was typed is still there.
    assert "Keep the register of the elderly living alone.</textarea>" in body
    if overrides.get("department") is None:
        assert 'value="县民政局"' in body
    if "communities" not in overrides:
        far = tree["far"].pk
        assert re.search(
            rf'<input type="checkbox" name="communities" value="{far}" [^>]*checked', body
        )


def test_no_funds_and_no_amount_is_fine(client, users, tree):
    client.force_login(users["county"])

    client.post(
        reverse("services:admission_new"),
        form_data([tree["home"]], funds_follow=None, funds_yuan=""),
    )

    made = AdmissionRequest.objects.get()
    assert (made.funds_follow, made.funds_yuan) == (False, Decimal("0.00"))


def test_edit_a_submitted_request(client, users, tree, pending):
    client.force_login(users["county"])
    url = reverse("services:admission_edit", kwargs={"pk": pending.pk})
    form = client.get(url).content.decode()
    assert 'value="县卫生局"' in form
    assert 'value="50000.00"' in form

    response = client.post(url, form_data([tree["neighbour"]], department="县卫健局"))

    assert response.status_code == 302
    pending.refresh_from_db()
    assert pending.department == "县卫健局"
    assert list(pending.communities.all()) == [tree["neighbour"]]
    assert pending.status == "submitted"


def test_a_decided_request_cannot_be_edited(english, users, tree, pending):
    admission_approve(admission_request=pending, by=users["county"])
    english.force_login(users["county"])
    url = reverse("services:admission_edit", kwargs={"pk": pending.pk})

    opened = english.get(url, follow=True)
    posted = english.post(url, form_data([tree["home"]], department="县卫健局"))

    today = timezone.localdate()
    message = (
        f"This request was approved on {date_format(today, 'DATE_FORMAT')}: a decided "
        "request cannot be changed or decided again."
    )
    assert opened.redirect_chain == [
        (reverse("services:admission_detail", kwargs={"pk": pending.pk}), 302)
    ]
    assert message in opened.content.decode()
    assert posted.status_code == 409
    assert message in posted.content.decode()
    assert 'value="县卫健局"' in posted.content.decode()
    pending.refresh_from_db()
    assert pending.department == "县卫生局"
    assert 'id="admission-edit"' not in opened.content.decode()


def test_domain_update_refuses_a_decided_request(users, tree, pending):
    admission_refuse(admission_request=pending, by=users["county"], reason="No funds.")
    with pytest.raises(Refused):
        admission_update(
            admission_request=pending,
            department="x",
            task="y",
            funds_follow=False,
            staff_follow=False,
            authority_follow=False,
            funds_yuan=None,
            communities=[tree["home"]],
            by=users["county"],
        )


# ---------------------------------------------------------------------------- the workflow


def test_detail_shows_decision_forms_to_county_only(client, users, pending):
    url = reverse("services:admission_detail", kwargs={"pk": pending.pk})
    client.force_login(users["county"])
    body = client.get(url).content.decode()
    assert 'id="approve-form"' in body
    assert 'id="refuse-form"' in body
    assert 'name="csrfmiddlewaretoken"' in body
    assert '<label for="id_refuse-reason">' in body

    client.force_login(users["township"])
    body = client.get(url).content.decode()
    assert 'id="approve-form"' not in body
    assert 'id="refuse-form"' not in body


def test_approve(english, users, pending):
    english.force_login(users["county"])
    url = reverse("services:admission_approve", kwargs={"pk": pending.pk})

    response = english.post(url, {"approve-reason": ""}, follow=True)

    pending.refresh_from_db()
    assert (pending.status, pending.decided_by, pending.decided_on) == (
        "approved",
        users["county"],
        timezone.localdate(),
    )
    assert pending.decision_reason == ""
    body = response.content.decode()
    assert "Approved: the task is admitted to its communities." in body
    assert 'id="approve-form"' not in body


def test_refuse_needs_a_reason(english, users, pending):
    english.force_login(users["county"])
    url = reverse("services:admission_refuse", kwargs={"pk": pending.pk})

    response = english.post(url, {"refuse-reason": "   "})

    body = response.content.decode()
    assert response.status_code == 400
    assert (
        '<li><a href="#id_refuse-reason">Reason for the refusal (the department is told it): '
        "Give the reason for the refusal: the department is told it.</a></li>"
    ) in body
    pending.refresh_from_db()
    assert (pending.status, pending.decided_on) == ("submitted", None)


def test_refuse_with_a_reason(english, users, pending):
    english.force_login(users["county"])
    url = reverse("services:admission_refuse", kwargs={"pk": pending.pk})

    response = english.post(url, {"refuse-reason": "  No staff follow the task.  "}, follow=True)

    pending.refresh_from_db()
    assert (pending.status, pending.decision_reason, pending.decided_by) == (
        "refused",
        "No staff follow the task.",
        users["county"],
    )
    assert pending.decided_on == timezone.localdate()
    body = response.content.decode()
    assert "Refused, with your reason." in body
    assert '<div class="prose" id="admission-reason"><p>No staff follow the task.</p></div>' in body


@pytest.mark.parametrize(
    ("first", "second"),
    [("approve", "approve"), ("approve", "refuse"), ("refuse", "approve"), ("refuse", "refuse")],
)
def test_cannot_decide_twice(english, users, pending, first, second):
    english.force_login(users["county"])
    detail = reverse("services:admission_detail", kwargs={"pk": pending.pk})
    english.post(
        reverse(f"services:admission_{first}", kwargs={"pk": pending.pk}),
        {f"{first}-reason": "First decision."},
    )
    pending.refresh_from_db()
    decided = (pending.status, pending.decision_reason, pending.decided_on)

    response = english.post(
        reverse(f"services:admission_{second}", kwargs={"pk": pending.pk}),
        {f"{second}-reason": "Second decision."},
        follow=True,
    )

    assert response.redirect_chain == [(detail, 302)]
    word = {"approve": "approved", "refuse": "refused"}[first]
    today = timezone.localdate()
    assert (
        f"This request was {word} on {date_format(today, 'DATE_FORMAT')}: a decided request "
        "cannot be changed or decided again."
    ) in response.content.decode()
    pending.refresh_from_db()
    assert (pending.status, pending.decision_reason, pending.decided_on) == decided


def test_domain_rules(users, tree, pending):
    county = users["county"]
    with pytest.raises(Refused, match="Give the reason for the refusal"):
        admission_refuse(admission_request=pending, by=county, reason=" ")
    with pytest.raises(Refused, match="Only county staff"):
        admission_approve(admission_request=pending, by=users["township"])
    admission_refuse(admission_request=pending, by=county, reason="No funds for it.")
    with pytest.raises(Refused, match="was refused on"):
        admission_approve(admission_request=pending, by=county)
    pending.refresh_from_db()
    assert pending.status == "refused"


def test_domain_submit_checks_funds_and_communities(users, tree):
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError) as funds:
        submit(users["county"], [tree["home"]], funds_yuan=Decimal(0))
    assert list(funds.value.message_dict) == ["funds_yuan"]
    with pytest.raises(ValidationError) as none:
        submit(users["county"], [])
    assert list(none.value.message_dict) == ["communities"]
    with pytest.raises(Refused):
        submit(users["clerk"], [tree["home"]])
    assert AdmissionRequest.objects.count() == 0


# ---------------------------------------------------------------------------- admitted tasks


def test_clerk_sees_only_approved_tasks_of_their_community(english, users, tree):
    county = users["county"]
    admitted = submit(county, [tree["home"], tree["far"]], department="县卫生局")
    admission_approve(admission_request=admitted, by=county)
    submit(county, [tree["home"]], department="县教育局")  # still submitted
    refused = submit(county, [tree["home"]], department="县财政局")
    admission_refuse(admission_request=refused, by=county, reason="No.")
    elsewhere = submit(county, [tree["far"]], department="县交通局")
    admission_approve(admission_request=elsewhere, by=county)
    english.force_login(users["clerk"])

    response = english.get(reverse("services:admitted_tasks", kwargs={"code": "home"}))

    today = timezone.localdate()
    [table] = tables(response)
    assert table["tbody"] == [
        [
            "县卫生局",
            "Check the drinking water of every household once a year.",
            "✓ 50,000.00 yuan",
            "✗ No",
            "✓ Yes",
            "2",
            date_format(today, "SHORT_DATE_FORMAT"),
        ]
    ]
    printed = english.get(reverse("services:admitted_tasks_print", kwargs={"code": "home"}))
    assert [row[0] for row in tables(printed)[0]["tbody"]] == ["县卫生局"]


def test_township_sees_tasks_of_its_communities(client, users, tree):
    county = users["county"]
    admitted = submit(county, [tree["neighbour"]])
    admission_approve(admission_request=admitted, by=county)
    client.force_login(users["township"])

    home = client.get(reverse("services:admitted_tasks", kwargs={"code": "home"}))
    neighbour = client.get(reverse("services:admitted_tasks", kwargs={"code": "neighbour"}))

    assert tables(home) == []
    assert "本社区尚无准入事项。" in home.content.decode()  # Chinese first: no cookie
    assert [row[0] for row in tables(neighbour)[0]["tbody"]] == ["县卫生局"]


def test_tasks_paginate_and_print_shows_all(client, users, tree):
    county = users["county"]
    for n in range(settings.PAGE_SIZE + 2):
        made = submit(county, [tree["home"]], department=f"部门{n:02d}")
        admission_approve(admission_request=made, by=county)
    client.force_login(users["clerk"])

    page = client.get(reverse("services:admitted_tasks", kwargs={"code": "home"}))
    printed = client.get(reverse("services:admitted_tasks_print", kwargs={"code": "home"}))

    assert len(tables(page)[0]["tbody"]) == settings.PAGE_SIZE
    assert 'class="pager"' in page.content.decode()
    assert len(tables(printed)[0]["tbody"]) == settings.PAGE_SIZE + 2
    assert 'class="pager"' not in printed.content.decode()


def test_admission_for_a_second_township_is_separate(client, tree):
    """A township user of a third township sees no task of north's communities."""
    west = make_township(code="west")
    user = make_user(Role.TOWNSHIP, township=west)
    client.force_login(user)
    response = client.get(reverse("services:admitted_tasks", kwargs={"code": "home"}))
    assert response.status_code == 404


# ---------------------------------------------------------------------------- at scale
# Above SELECT_MAX active communities (communities.forms) the form has no box per community:
# "All communities", a multiple select of townships and a text box of codes instead.


def _add_communities(tree, total, per_township=11):
    """Active communities up to `total` in all (the tree's 3 included), in new townships
    `east-0`, `east-1`, … of `per_township` each."""
    made = []
    for n in range(total - 3):
        if n % per_township == 0:
            township = make_township(code=f"east-{n // per_township}")
        made.append(make_community(township=township, code=f"e{n:03d}"))
    return made


@pytest.mark.parametrize(("total", "boxes", "options"), [(5, 5, 0), (80, 0, 9)])
def test_form_widgets_do_not_grow_with_the_communities(english, users, tree, total, boxes, options):
    _add_communities(tree, total)
    english.force_login(users["county"])

    body = english.get(reverse("services:admission_new")).content.decode()

    assert body.count('type="checkbox" name="communities"') == boxes
    # north, south and east-0 … east-6 (77 communities, 11 a township).
    assert body.count("<option ") == options
    assert ('name="community_codes"' in body) == (total > 50)
    assert '<label for="id_all_communities">All communities</label>' in body


def test_many_townships_and_codes_are_stored(english, users, tree):
    _add_communities(tree, 80)
    east = Community.objects.filter(township__code="east-1")
    english.force_login(users["county"])

    response = english.post(
        reverse("services:admission_new"),
        form_data(
            townships=[str(east[0].township_id)],
            community_codes=" home、far,e000；e012\ne000 ",
        ),
    )

    assert response.status_code == 302
    made = AdmissionRequest.objects.get()
    expected = {"home", "far", "e000", *(c.code for c in east)}
    assert set(made.communities.values_list("code", flat=True)) == expected
    assert len(expected) == 14


def test_many_all_communities_takes_every_active_one(client, users, tree):
    _add_communities(tree, 80)
    make_community(township=tree["south"], code="gone", status=Community.Status.MERGED)
    client.force_login(users["county"])

    client.post(
        reverse("services:admission_new"),
        form_data(all_communities="on", community_codes="nonsense"),
    )

    made = AdmissionRequest.objects.get()
    assert made.communities.count() == 80
    assert not made.communities.filter(code="gone").exists()


def test_many_bad_codes_are_named_and_nothing_is_lost(english, users, tree):
    _add_communities(tree, 80)
    make_community(township=tree["south"], code="gone", status=Community.Status.MERGED)
    english.force_login(users["county"])
    typed = "home nope、gone"

    response = english.post(
        reverse("services:admission_new"),
        form_data(townships=[str(tree["south"].pk)], community_codes=typed),
    )

    body = response.content.decode()
    assert response.status_code == 400
    assert AdmissionRequest.objects.count() == 0
    message = (
        "Single communities, by code: No active community has these codes: nope、gone. "
        "Correct or remove them."
    )
    assert f'<li><a href="#id_community_codes">{message}</a></li>' in body
    assert f">\n{typed}</textarea>" in body
    assert re.search(rf'<option value="{tree["south"].pk}" selected>', body)
    assert "Keep the register of the elderly living alone.</textarea>" in body


def test_many_one_bad_code_and_many_bad_codes(english, users, tree):
    _add_communities(tree, 80)
    english.force_login(users["county"])
    url = reverse("services:admission_new")

    one = english.post(url, form_data(community_codes="nope"))
    many = english.post(url, form_data(community_codes=" ".join(f"x{n}" for n in range(25))))

    assert "No active community has the code nope: correct it or remove it." in (
        one.content.decode()
    )
    shown = "、".join(f"x{n}" for n in range(20))
    assert f"these codes: {shown} and 5 more. Correct or remove them." in many.content.decode()
    assert AdmissionRequest.objects.count() == 0


def test_many_nothing_chosen_gets_a_clear_message(english, users, tree):
    _add_communities(tree, 80)
    english.force_login(users["county"])

    response = english.post(reverse("services:admission_new"), form_data(community_codes=" 、 "))

    assert response.status_code == 400
    message = (
        "Single communities, by code: Choose the communities concerned: tick “All communities”, "
        "choose townships or enter community codes."
    )
    assert f'<li><a href="#id_community_codes">{message}</a></li>' in response.content.decode()


def test_many_edit_shows_whole_townships_and_the_other_codes(client, users, tree):
    made = _add_communities(tree, 80)
    request = submit(users["county"], [tree["home"], tree["neighbour"], tree["far"], made[0]])
    everything = submit(users["county"], list(Community.objects.all()))
    client.force_login(users["county"])

    body = client.get(reverse("services:admission_edit", kwargs={"pk": request.pk})).content
    every = client.get(reverse("services:admission_edit", kwargs={"pk": everything.pk})).content

    body = body.decode()
    selected = re.findall(r'<option value="(\d+)" selected>', body)
    assert selected == [str(tree["north"].pk), str(tree["south"].pk)]
    assert ">\ne000</textarea>" in body
    assert re.search(r'name="all_communities"[^>]*checked', every.decode())
    assert not re.search(r'name="all_communities"[^>]*checked', body)
