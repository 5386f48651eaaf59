"""The return pages: the months list, the entry form, the read-only page, workflow buttons."""

import datetime
from decimal import Decimal
from html.parser import HTMLParser

import pytest
from django.conf import settings
from django.utils import timezone, translation
from django.utils.formats import date_format

from chunan_community.months import add_months, month_end, month_start
from communities.models import (
    IndicatorRule,
    MonthlyReturn,
    ReturnEvent,
    ReturnStatus,
    ReturnValue,
    Role,
)
from communities.returns import domain
from tests.factories import (
    make_community,
    make_group,
    make_indicator,
    make_rule,
    make_township,
)
from tests.html import soup
from tests.queries import NAV_QUERIES

# The moment this module's dates are built for: each test keeps it, should the run cross
# midnight or a month's end (`.ci/run` moves the clock of a run to such days).
NOW = timezone.localtime()
pytestmark = [pytest.mark.django_db, pytest.mark.time_machine(NOW, tick=False)]

THIS_MONTH = month_start(NOW.date())
LAST = add_months(THIS_MONTH, -1)
URL = f"/returns/home/{LAST:%Y-%m}/"
OLD = datetime.date(2025, 1, 1)  # its entry window closed long ago
OLD_URL = "/returns/home/2025-01/"


# ---------- Reading the page ----------

VOID = {"input", "br", "hr", "img", "meta", "link", "col", "source", "wbr"}


class _Node:
    def __init__(self, tag, attrs, parent=None):
        self.tag, self.attrs, self.parent, self.children = tag, dict(attrs), parent, []

    @property
    def text(self):
        parts = [c if isinstance(c, str) else c.text for c in self.children]
        return " ".join("".join(parts).split())

    def iter(self):
        for child in self.children:
            if isinstance(child, _Node):
                yield child
                yield from child.iter()


class _Tree(HTMLParser):
    def __init__(self, html):
        super().__init__()
        self.root = self.node = _Node("root", {})
        self.feed(html)

    def handle_starttag(self, tag, attrs):
        node = _Node(tag, attrs, self.node)
        self.node.children.append(node)
        if tag not in VOID:
            self.node = node

    def handle_endtag(self, tag):
        node = self.node
        while node is not self.root and node.tag != tag:
            node = node.parent
        if node is not self.root:
            self.node = node.parent

    def handle_data(self, data):
        self.node.children.append(data)


def page(response):
    return _Tree(response.content.decode()).root


def by_id(response, element_id):
    found = [n for n in page(response).iter() if n.attrs.get("id") == element_id]
    assert len(found) == 1, f"{len(found)} elements with id {element_id!r}"
    return found[0]


def no_id(response, element_id):
    return all(n.attrs.get("id") != element_id for n in page(response).iter())


def links(node):
    return [(n.attrs["href"], n.text) for n in node.iter() if n.tag == "a"]


def rows(table):
    return [
        [cell.text for cell in row.iter() if cell.tag in ("th", "td")]
        for row in table.iter()
        if row.tag == "tr" and row.parent.tag == "tbody"
    ]


def first_table(response):
    return next(n for n in page(response).iter() if n.tag == "table")


def messages_of(response):
    return [m.message for m in response.context["messages"]]


# ---------- Arrangement ----------


@pytest.fixture
def en(client):
    """Interface text in English, so the assertions survive the Chinese catalogue."""
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    return client


@pytest.fixture(autouse=True)
def english():
    with translation.override("en"):
        yield


def login(client, user):
    client.force_login(user)
    return client


@pytest.fixture
def catalogue(db):
    people = make_group(code="people", name="人口", name_en="Population", sort_order=1)
    work = make_group(code="work", name="就业", name_en="Employment", sort_order=2)
    indicators = {
        "households": make_indicator(
            code="households",
            name="户数",
            name_en="Households",
            unit="户",
            group=people,
            maximum=Decimal(100000),
            help_text="Households living in the community at the month's end.",
        ),
        "residents": make_indicator(
            code="residents", name="人口", name_en="Residents", group=people, required=False
        ),
        "unemployed": make_indicator(
            code="unemployed", name="登记失业人员", name_en="Registered unemployed", group=work
        ),
        "reemployed": make_indicator(
            code="reemployed", name="本月再就业", name_en="Re-employed this month", group=work
        ),
    }
    make_rule(indicators["reemployed"], IndicatorRule.Operator.LTE, indicators["unemployed"])
    return indicators


def fill(catalogue, community, period, by, **values):
    """Save figures through the domain (as the county: no entry window applies)."""
    existing = MonthlyReturn.objects.filter(community=community, period=period).first()
    return domain.return_save(
        community=community,
        period=period,
        values={catalogue[code].pk: Decimal(v) for code, v in values.items()},
        version=existing.version if existing else 0,
        by=by,
    )


@pytest.fixture
def history(tree, users, catalogue):
    """Three earlier months of `home`, households steady at 1200."""
    for months in (3, 2, 1):
        fill(
            catalogue,
            tree["home"],
            add_months(LAST, -months),
            users["county"],
            households=1200,
            residents=3600 + months,
            unemployed=20,
            reemployed=2,
        )


def post_data(version=0, **values):
    data = {"version": str(version), "action": "save"}
    for code in ("households", "residents", "unemployed", "reemployed"):
        data[f"v_{code}"] = ""
        data[f"c_{code}"] = ""
    data.update(values)
    return data


GOOD = {"v_households": "1210", "v_residents": "3650", "v_unemployed": "18", "v_reemployed": "3"}


def stored(community=None, period=LAST):
    return {
        v.indicator.code: v.value
        for v in ReturnValue.objects.filter(monthly_return__period=period)
        .select_related("indicator")
        .filter(**({"monthly_return__community": community} if community else {}))
    }


# ---------- The entry form ----------


def test_entry_shows_last_months_value_beside_each_field(en, tree, users, history):
    response = login(en, users["clerk"]).get(URL)

    assert response.status_code == 200
    assert rows(first_table(response)) == [
        ["Population"],
        [
            "Households （户） *required to submit Households living in the community at the "
            "month's end.",
            "",
            "1,200",
            "Comment on Households",
        ],
        ["Residents （人）", "", "3,601", "Comment on Residents"],
        ["Employment"],
        [
            "Registered unemployed （人） *required to submit",
            "",
            "20",
            "Comment on Registered unemployed",
        ],
        [
            "Re-employed this month （人） *required to submit",
            "",
            "2",
            "Comment on Re-employed this month",
        ],
    ]
    field = by_id(response, "id_v_households")
    assert (field.tag, field.attrs["type"], field.attrs["name"], field.attrs.get("value")) == (
        "input",
        "number",
        "v_households",
        None,
    )
    assert field.attrs["aria-describedby"] == "id_v_households_helptext"
    label = [n for n in page(response).iter() if n.attrs.get("for") == "id_v_households"]
    assert [n.text for n in label] == ["Households"]
    assert by_id(response, "id_version").attrs["value"] == "0"
    buttons = [
        (n.attrs["name"], n.attrs["value"], n.text)
        for n in page(response).iter()
        if n.tag == "button" and n.attrs.get("name") == "action"
    ]
    assert buttons == [("action", "save", "Save draft"), ("action", "submit", "Submit")]


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("abc", "Enter a whole number."),
        ("-1", "Ensure this value is greater than or equal to 0."),
        ("100001", "Ensure this value is less than or equal to 100000."),
    ],
)
def test_entry_bad_value_error_next_to_field_nothing_saved(en, users, catalogue, value, message):
    response = login(en, users["clerk"]).post(URL, post_data(**{**GOOD, "v_households": value}))

    assert response.status_code == 200
    assert by_id(response, "id_v_households_error").text == message
    assert by_id(response, "id_v_households").attrs["value"] == value
    assert by_id(response, "id_v_households").attrs["aria-invalid"] == "true"
    assert links(by_id(response, "error-summary")) == [
        ("#id_v_households", f"Households: {message}")
    ]
    assert MonthlyReturn.objects.count() == 0


def test_entry_cross_field_rule_names_the_field(en, users, catalogue):
    data = post_data(**{**GOOD, "v_unemployed": "5", "v_reemployed": "8"})

    response = login(en, users["clerk"]).post(URL, data)

    message = "Re-employed this month must be ≤ Registered unemployed (5). Check both figures."
    assert response.status_code == 200
    assert by_id(response, "id_v_reemployed_error").text == message
    assert links(by_id(response, "error-summary")) == [
        ("#id_v_reemployed", f"Re-employed this month: {message}")
    ]
    assert MonthlyReturn.objects.count() == 0


def test_entry_save_draft_redirects_and_stores(en, tree, users, catalogue):
    client = login(en, users["clerk"])

    response = client.post(URL, post_data(**GOOD))

    assert response.status_code == 302
    assert response["Location"] == URL
    assert stored() == {
        "households": Decimal(1210),
        "residents": Decimal(3650),
        "unemployed": Decimal(18),
        "reemployed": Decimal(3),
    }
    saved = MonthlyReturn.objects.get()
    assert (saved.status, saved.version) == (ReturnStatus.DRAFT, 1)
    followed = client.get(URL)
    assert messages_of(followed) == ["Saved as a draft (version 1)."]
    assert by_id(followed, "id_v_households").attrs["value"] == "1210"
    assert by_id(followed, "id_version").attrs["value"] == "1"


def test_entry_outlier_warning_on_draft_is_saved_and_shown(en, users, history):
    client = login(en, users["clerk"])

    response = client.post(URL, post_data(**{**GOOD, "v_households": "5000"}), follow=True)

    warning = (
        "Far from the recent months (usually about 1200). Check the figure; if it is right, "
        "say why in the comment."
    )
    assert response.redirect_chain == [(URL, 302)]
    assert stored()["households"] == Decimal(5000)
    assert messages_of(response) == [
        "Saved as a draft (version 1).",
        "1 figure(s) are far from the recent months. Check them; to submit, explain each in "
        "its comment.",
    ]
    assert by_id(response, "id_v_households_warning").text == warning
    assert by_id(response, "id_v_households").attrs["aria-describedby"] == (
        "id_v_households_helptext id_v_households_warning"
    )


def test_entry_outlier_submit_without_comment_refused(en, users, history):
    data = post_data(**{**GOOD, "v_households": "5000", "action": "submit"})

    response = login(en, users["clerk"]).post(URL, data)

    message = "Households is far from the recent months: explain it to submit."
    assert response.status_code == 200
    assert by_id(response, "id_c_households_error").text == message
    assert links(by_id(response, "error-summary")) == [
        ("#id_c_households", f"Comment on Households: {message}")
    ]
    assert not MonthlyReturn.objects.filter(period=LAST).exists()


def test_entry_outlier_submit_with_comment_accepted(en, users, history):
    data = post_data(
        **{**GOOD, "v_households": "5000", "c_households": "新小区交付", "action": "submit"}
    )

    response = login(en, users["clerk"]).post(URL, data)

    assert response.status_code == 302
    saved = MonthlyReturn.objects.get(period=LAST)
    assert saved.status == ReturnStatus.SUBMITTED
    value = ReturnValue.objects.get(monthly_return=saved, indicator__code="households")
    assert (value.value, value.comment) == (Decimal(5000), "新小区交付")


def test_entry_required_blank_on_submit_refused(en, users, catalogue):
    data = post_data(**{**GOOD, "v_unemployed": "", "v_reemployed": "", "action": "submit"})

    response = login(en, users["clerk"]).post(URL, data)

    message = "Enter a figure before submitting (0 if there was none)."
    assert response.status_code == 200
    assert links(by_id(response, "error-summary")) == [
        ("#id_v_unemployed", f"Registered unemployed: {message}"),
        ("#id_v_reemployed", f"Re-employed this month: {message}"),
    ]
    assert MonthlyReturn.objects.count() == 0


def test_entry_required_blank_on_draft_allowed(en, users, catalogue):
    data = post_data(**{**GOOD, "v_unemployed": "", "v_reemployed": ""})

    response = login(en, users["clerk"]).post(URL, data)

    assert response.status_code == 302
    assert stored() == {"households": Decimal(1210), "residents": Decimal(3650)}


def test_entry_submit_after_due_date_is_marked_late(en, users, catalogue, settings):
    settings.RETURN_DUE_DAYS = 0  # due on the last day of the month: today is later

    response = login(en, users["clerk"]).post(URL, post_data(**GOOD, action="submit"), follow=True)

    saved = MonthlyReturn.objects.get()
    assert (saved.status, saved.is_late) == (ReturnStatus.SUBMITTED, True)
    due = date_format(domain.due_on(LAST), "DATE_FORMAT")
    assert messages_of(response) == [
        f"Submitted after the due date ({due}): the return is marked late. "
        "The township will review it."
    ]
    assert by_id(response, "return-status").text == "Submitted"


def test_entry_submit_in_time_is_not_late(en, users, catalogue, settings):
    settings.RETURN_DUE_DAYS = 40
    settings.RETURN_CLOSE_DAYS = 60

    response = login(en, users["clerk"]).post(URL, post_data(**GOOD, action="submit"), follow=True)

    saved = MonthlyReturn.objects.get()
    assert (saved.status, saved.is_late) == (ReturnStatus.SUBMITTED, False)
    assert messages_of(response) == ["Submitted. The township will review it."]


def test_entry_stale_version_keeps_typed_values(en, tree, users, catalogue):
    fill(catalogue, tree["home"], LAST, users["clerk"], households=1000)  # version 1
    fill(catalogue, tree["home"], LAST, users["county"], households=1100)  # version 2

    response = login(en, users["clerk"]).post(
        URL, post_data(version=1, **{**GOOD, "v_households": "1234"})
    )

    assert response.status_code == 409
    assert messages_of(response) == [
        "Someone else saved this return while you were editing it. Your figures are still in "
        "the form below: compare them with the saved ones, then save again."
    ]
    assert by_id(response, "id_v_households").attrs["value"] == "1234"
    assert by_id(response, "id_v_residents").attrs["value"] == "3650"
    assert by_id(response, "id_version").attrs["value"] == "2"
    table = first_table(response)
    assert [row[3] for row in rows(table) if len(row) > 1] == ["1100", "—", "—", "—"]
    assert stored() == {"households": Decimal(1100)}
    assert MonthlyReturn.objects.get().version == 2


def test_entry_stale_then_save_again_overwrites(en, tree, users, catalogue):
    fill(catalogue, tree["home"], LAST, users["clerk"], households=1000)
    fill(catalogue, tree["home"], LAST, users["county"], households=1100)
    client = login(en, users["clerk"])
    client.post(URL, post_data(version=1, **{**GOOD, "v_households": "1234"}))

    response = client.post(URL, post_data(version=2, **{**GOOD, "v_households": "1234"}))

    assert response.status_code == 302
    assert stored()["households"] == Decimal(1234)


# ---------- Read-only, and why ----------


def _submitted(catalogue, tree, users):
    fill(catalogue, tree["home"], LAST, users["clerk"], **dict.fromkeys(catalogue, 5))
    saved = MonthlyReturn.objects.get(community=tree["home"], period=LAST)
    return domain.return_save(
        community=tree["home"],
        period=LAST,
        values={i.pk: Decimal(5) for i in catalogue.values()},
        version=saved.version,
        by=users["clerk"],
        submit=True,
        today=LAST + datetime.timedelta(days=33),
    )


def test_read_only_submitted_says_why(en, tree, users, catalogue):
    _submitted(catalogue, tree, users)

    response = login(en, users["clerk"]).get(URL)

    today = date_format(timezone.localdate(), "DATE_FORMAT")
    assert by_id(response, "read-only-reason").text == (
        f"The figures cannot be changed here. Submitted on {today} and waiting for the "
        "township's review. If a figure must change, ask the township to send it back."
    )
    assert by_id(response, "id_v_households").text == "5"
    assert no_id(response, "id_version")


def test_read_only_approved_says_why(en, tree, users, catalogue):
    domain.return_approve(monthly_return=_submitted(catalogue, tree, users), by=users["township"])

    response = login(en, users["clerk"]).get(URL)

    today = date_format(timezone.localdate(), "DATE_FORMAT")
    assert by_id(response, "read-only-reason").text == (
        f"The figures cannot be changed here. Approved by the township on {today}. If a figure "
        "must change, ask the county to send it back."
    )


def test_read_only_accepted_says_why(en, tree, users, catalogue):
    approved = domain.return_approve(
        monthly_return=_submitted(catalogue, tree, users), by=users["township"]
    )
    domain.return_accept(monthly_return=approved, by=users["county"])

    response = login(en, users["clerk"]).get(URL)

    today = date_format(timezone.localdate(), "DATE_FORMAT")
    assert by_id(response, "read-only-reason").text == (
        f"The figures cannot be changed here. Accepted by the county on {today} and locked. "
        "Only county staff can reopen it."
    )


def test_read_only_window_closed_says_why(en, users, catalogue):
    response = login(en, users["clerk"]).get(OLD_URL)

    assert by_id(response, "read-only-reason").text == (
        "The figures cannot be changed here. The entry window for January 2025 closed on "
        "17 March 2025. Ask the county to reopen the return."
    )
    assert no_id(response, "id_version")


def test_read_only_window_closed_post_refused_typed_values_shown(en, users, catalogue):
    response = login(en, users["clerk"]).post(OLD_URL, post_data(**GOOD))

    assert response.status_code == 403
    assert by_id(response, "read-only-reason").text == (
        "The figures cannot be changed here. The entry window for January 2025 closed on "
        "17 March 2025. Ask the county to reopen the return. Your figures were not saved. "
        "They are shown below so that you can copy them."
    )
    assert by_id(response, "id_v_households").text == "1210"
    assert MonthlyReturn.objects.count() == 0


def test_read_only_window_closed_by_setting(en, users, catalogue, settings):
    settings.RETURN_CLOSE_DAYS = 0  # closes on the month's last day: today is later

    response = login(en, users["clerk"]).post(URL, post_data(**GOOD))

    month = date_format(LAST, "YEAR_MONTH_FORMAT")
    closed = date_format(month_end(LAST), "DATE_FORMAT")
    assert response.status_code == 403
    assert by_id(response, "read-only-reason").text == (
        f"The figures cannot be changed here. The entry window for {month} closed on {closed}. "
        "Ask the county to reopen the return. Your figures were not saved. They are shown "
        "below so that you can copy them."
    )
    assert MonthlyReturn.objects.count() == 0


def test_read_only_for_township_says_clerk_enters(en, users, catalogue):
    response = login(en, users["township"]).get(URL)

    assert by_id(response, "read-only-reason").text == (
        "The figures cannot be changed here. Figures are entered by the community's clerk; "
        "township staff review them."
    )


def test_read_only_township_post_refused(en, users, catalogue):
    response = login(en, users["township"]).post(URL, post_data(**GOOD))

    assert response.status_code == 403
    assert MonthlyReturn.objects.count() == 0


# ---------- Who may open a return ----------


@pytest.mark.parametrize(
    ("role", "code", "status"),
    [
        ("clerk", "home", 200),
        ("clerk", "neighbour", 404),
        ("other_clerk", "home", 404),
        ("township", "home", 200),
        ("township", "neighbour", 200),
        ("township", "far", 404),
        ("other_township", "home", 404),
        ("county", "far", 200),
        ("judge", "home", 404),
        ("no_role", "home", 404),
    ],
)
def test_return_detail_permission_matrix(client, users, catalogue, role, code, status):
    response = login(client, users[role]).get(f"/returns/{code}/{LAST:%Y-%m}/")

    assert response.status_code == status


@pytest.mark.parametrize(
    "url",
    ["/returns/", URL, f"{URL}approve/"],
)
def test_returns_anonymous_is_sent_to_login(client, tree, url):
    response = client.get(url)

    assert response.status_code == 302
    assert response["Location"] == f"/accounts/login/?next={url}"


def test_return_post_from_other_community_clerk_is_404(client, users, catalogue):
    response = login(client, users["other_clerk"]).post(URL, post_data(**GOOD))

    assert response.status_code == 404
    assert MonthlyReturn.objects.count() == 0


@pytest.mark.parametrize(
    "month",
    ["2026-13", "abc", "2026-1", f"{add_months(THIS_MONTH, 1):%Y-%m}"],
)
def test_return_bad_or_future_month_is_404(client, users, month):
    response = login(client, users["clerk"]).get(f"/returns/home/{month}/")

    assert response.status_code == 404


def test_return_this_month_is_open(client, users, catalogue):
    response = login(client, users["clerk"]).get(f"/returns/home/{THIS_MONTH:%Y-%m}/")

    assert response.status_code == 200


def test_return_post_without_csrf_refused(users, catalogue):
    from django.test import Client

    client = Client(enforce_csrf_checks=True)
    client.force_login(users["clerk"])

    response = client.post(URL, post_data(**GOOD))

    assert response.status_code == 403
    assert MonthlyReturn.objects.count() == 0


# ---------- Workflow buttons ----------


def test_transition_buttons_for_township(en, tree, users, catalogue):
    _submitted(catalogue, tree, users)

    response = login(en, users["township"]).get(URL)

    forms = [n for n in page(response).iter() if n.attrs.get("class") == "return-step"]
    assert [f.attrs["action"] for f in forms] == [f"{URL}approve/", f"{URL}send_back/"]
    assert by_id(response, "step-approve").text == "Approve"
    assert by_id(response, "id_send_back-reason").tag == "textarea"


def test_transition_approve_by_township(en, tree, users, catalogue):
    _submitted(catalogue, tree, users)

    response = login(en, users["township"]).post(f"{URL}approve/", follow=True)

    assert response.redirect_chain == [(URL, 302)]
    assert messages_of(response) == ["Approved. The county will check and accept it."]
    assert MonthlyReturn.objects.get().status == ReturnStatus.APPROVED
    assert by_id(response, "return-status").text == "Approved by township"


def test_transition_clerk_cannot_approve(en, tree, users, catalogue):
    _submitted(catalogue, tree, users)

    response = login(en, users["clerk"]).post(f"{URL}approve/", follow=True)

    assert response.redirect_chain == [(URL, 302)]
    assert messages_of(response) == ["You may not do this for this return."]
    assert MonthlyReturn.objects.get().status == ReturnStatus.SUBMITTED


def test_transition_get_not_allowed(client, tree, users, catalogue):
    _submitted(catalogue, tree, users)

    response = login(client, users["township"]).get(f"{URL}approve/")

    assert response.status_code == 405
    assert MonthlyReturn.objects.get().status == ReturnStatus.SUBMITTED


def test_transition_unknown_action_is_404(client, tree, users, catalogue):
    _submitted(catalogue, tree, users)

    response = login(client, users["county"]).post(f"{URL}delete/")

    assert response.status_code == 404


def test_transition_other_township_is_404(client, tree, users, catalogue):
    _submitted(catalogue, tree, users)

    response = login(client, users["other_township"]).post(f"{URL}approve/")

    assert response.status_code == 404
    assert MonthlyReturn.objects.get().status == ReturnStatus.SUBMITTED


def test_transition_send_back_without_reason_reshows_form(en, tree, users, catalogue):
    _submitted(catalogue, tree, users)

    response = login(en, users["township"]).post(f"{URL}send_back/", {"send_back-reason": " "})

    assert response.status_code == 400
    assert by_id(response, "id_send_back-reason_error").text == (
        "Give a reason: the community sees it with the return."
    )
    # Said at the top as well, linking to the box: the form is far down the page.
    summary = soup(response).select_one("#error-summary")
    assert summary.select_one("h2").text == "Nothing was done: the step needs what is said below."
    assert [(a["href"], a.text) for a in summary.select("a")] == [
        (
            "#id_send_back-reason",
            "Reason for sending it back (the community sees it): Give a reason: the community"
            " sees it with the return.",
        )
    ]
    assert MonthlyReturn.objects.get().status == ReturnStatus.SUBMITTED


def test_transition_send_back_reason_shown_to_clerk(en, tree, users, catalogue):
    _submitted(catalogue, tree, users)
    login(en, users["township"]).post(
        f"{URL}send_back/", {"send_back-reason": "再就业人数请与社保站核对"}
    )

    response = login(en, users["clerk"]).get(URL)

    assert MonthlyReturn.objects.get().status == ReturnStatus.RETURNED
    assert by_id(response, "sent-back-reason").text == "再就业人数请与社保站核对"
    assert by_id(response, "sent-back-heading").text.startswith("Sent back by township on ")
    assert by_id(response, "id_version").attrs["value"] == "3"
    assert no_id(response, "read-only-reason")


def test_transition_township_cannot_accept_or_reopen(en, tree, users, catalogue):
    approved = domain.return_approve(
        monthly_return=_submitted(catalogue, tree, users), by=users["township"]
    )
    client = login(en, users["township"])

    accept = client.post(f"{URL}accept/", follow=True)
    domain.return_accept(monthly_return=approved, by=users["county"])
    reopen = client.post(f"{URL}reopen/", {"reopen-reason": "更正"}, follow=True)

    assert messages_of(accept) == ["You may not do this for this return."]
    assert messages_of(reopen) == ["You may not do this for this return."]
    assert MonthlyReturn.objects.get().status == ReturnStatus.ACCEPTED


def test_transition_county_accepts_then_reopens_with_reason(en, tree, users, catalogue):
    domain.return_approve(monthly_return=_submitted(catalogue, tree, users), by=users["township"])
    client = login(en, users["county"])

    accepted = client.post(f"{URL}accept/", follow=True)
    no_reason = client.post(f"{URL}reopen/", {"reopen-reason": ""})
    reopened = client.post(f"{URL}reopen/", {"reopen-reason": "户数录错"}, follow=True)

    assert messages_of(accepted) == ["Accepted by the county: the return is locked."]
    assert no_reason.status_code == 400
    assert messages_of(reopened) == ["Reopened: the community can change the figures again."]
    saved = MonthlyReturn.objects.get()
    assert saved.status == ReturnStatus.DRAFT
    assert list(saved.events.values_list("action", "reason"))[-1] == (
        ReturnEvent.Action.REOPENED,
        "户数录错",
    )


def test_events_and_audit_on_the_page(en, tree, users, catalogue, time_machine):
    fill(catalogue, tree["home"], LAST, users["clerk"], households=1000)
    time_machine.shift(datetime.timedelta(minutes=5))
    fill(catalogue, tree["home"], LAST, users["county"], households=1100)

    response = login(en, users["township"]).get(URL)

    events = rows(by_id(response, "events-heading").parent)
    changes = rows(by_id(response, "changes-heading").parent)
    assert [row[1:] for row in events] == [
        ["clerk", "Saved as draft", "Draft", ""],
        ["county", "Saved as draft", "Draft → Draft", ""],
    ]
    assert [row[1:] for row in changes] == [
        ["county", "Households", "1,000", "1,100", ""],
        ["clerk", "Households", "—", "1,000", ""],
    ]


# ---------- Lists ----------


def test_returns_list_clerk_sees_twelve_months(en, tree, users, catalogue):
    fill(catalogue, tree["home"], LAST, users["clerk"], households=1000)
    fill(catalogue, tree["home"], OLD, users["county"], households=900)
    fill(catalogue, tree["far"], LAST, users["county"], households=800)

    response = login(en, users["clerk"]).get("/returns/")

    table = first_table(response)
    months = [row[0] for row in rows(table)]
    statuses = [row[1] for row in rows(table)]
    expected = [add_months(THIS_MONTH, -n) for n in range(12)]
    assert months == [date_format(m, "YEAR_MONTH_FORMAT") for m in [*expected, OLD]]
    assert statuses == ["Not started", "Draft", *["Not started"] * 10, "Draft"]
    assert links(table)[1] == (URL, date_format(LAST, "YEAR_MONTH_FORMAT"))


def test_returns_list_judge_is_403(client, users):
    response = login(client, users["judge"]).get("/returns/")

    assert response.status_code == 403


def _review_setup(catalogue, tree, users):
    fill(catalogue, tree["home"], LAST, users["county"], households=1)
    fill(catalogue, tree["neighbour"], LAST, users["county"], households=1)
    fill(catalogue, tree["far"], LAST, users["county"], households=1)
    return domain.return_save(
        community=tree["neighbour"],
        period=LAST,
        values={},
        version=1,
        by=users["county"],
        submit=True,
    )


@pytest.mark.parametrize(
    ("role", "expected"),
    [
        ("township", ["home", "neighbour"]),
        ("other_township", ["far"]),
        ("county", ["far", "home", "neighbour"]),
    ],
)
def test_returns_list_review_scope(en, tree, users, catalogue, role, expected):
    _review_setup(catalogue, tree, users)

    response = login(en, users[role]).get("/returns/")

    assert [row[0] for row in rows(first_table(response))] == [tree[k].name_en for k in expected]


def test_returns_list_township_to_review_emphasis(en, tree, users, catalogue):
    _review_setup(catalogue, tree, users)

    response = login(en, users["township"]).get("/returns/")

    assert by_id(response, "to-review-count").text == "1"
    table = first_table(response)
    assert [row[3] for row in rows(table)] == ["Draft", "Submitted To review"]


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ({"status": "submitted"}, ["neighbour"]),
        ({"township": "south"}, ["far"]),
        ({"community": "home"}, ["home"]),
        ({"month": f"{LAST:%Y-%m}"}, ["far", "home", "neighbour"]),
        ({"month": "2020-01"}, []),
    ],
)
def test_returns_list_filters(en, tree, users, catalogue, query, expected):
    _review_setup(catalogue, tree, users)

    response = login(en, users["county"]).get("/returns/", query)

    found = [r.community.code for r in response.context["page"]]
    assert found == expected


def test_returns_list_bad_month_filter_shows_error(en, tree, users, catalogue):
    response = login(en, users["county"]).get("/returns/", {"month": "2026-13"})

    assert response.context["filter"].form.errors == {
        "month": ["Enter a month as YYYY-MM, e.g. 2026-10."]
    }


def test_returns_list_township_has_no_township_filter(en, users):
    response = login(en, users["township"]).get("/returns/")

    assert list(response.context["filter"].form.fields) == ["month", "community", "status"]


def test_returns_list_paginated(en, tree, users, catalogue, settings):
    settings.PAGE_SIZE = 2
    _review_setup(catalogue, tree, users)

    response = login(en, users["county"]).get("/returns/", {"page": 2})

    assert [r.community.code for r in response.context["page"]] == ["neighbour"]
    assert response.context["page"].paginator.num_pages == 2


# ---------- Query counts ----------


def _grow(count, catalogue, users, period):
    """`count` more communities, each with a saved return for `period` and the month before."""
    township = make_township()
    for _ in range(count):
        community = make_community(township=township)
        for month in (add_months(period, -1), period):
            fill(catalogue, community, month, users["county"], households=10, residents=30)


@pytest.mark.parametrize("extra_communities", [0, 27])
def test_entry_form_queries_constant_in_communities(
    client, tree, users, history, catalogue, django_assert_num_queries, extra_communities
):
    _grow(extra_communities, catalogue, users, LAST)
    fill(catalogue, tree["home"], LAST, users["clerk"], households=1201)
    client = login(client, users["clerk"])

    with django_assert_num_queries(ENTRY_QUERIES):
        client.get(URL)


@pytest.mark.parametrize("indicator_count", [5, 25])
def test_entry_form_queries_constant_in_indicators(
    client, tree, users, django_assert_num_queries, indicator_count
):
    group = make_group()
    indicators = {
        f"i{n}": make_indicator(code=f"i{n}", group=group) for n in range(indicator_count)
    }
    make_rule(indicators["i1"], IndicatorRule.Operator.LTE, indicators["i0"])
    for month in (add_months(LAST, -1), LAST):
        fill(indicators, tree["home"], month, users["county"], **dict.fromkeys(indicators, 1))
    client = login(client, users["clerk"])

    with django_assert_num_queries(ENTRY_QUERIES):
        client.get(URL)


@pytest.mark.parametrize("extra_communities", [0, 27])
def test_returns_list_queries_constant(
    client, tree, users, catalogue, django_assert_num_queries, extra_communities
):
    _grow(extra_communities, catalogue, users, LAST)
    _review_setup(catalogue, tree, users)
    client = login(client, users["county"])

    with django_assert_num_queries(REVIEW_LIST_QUERIES):
        client.get("/returns/")


@pytest.mark.parametrize("months", [1, 14])
def test_returns_list_clerk_queries_constant(
    client, tree, users, catalogue, django_assert_num_queries, months
):
    for n in range(months):
        fill(catalogue, tree["home"], add_months(LAST, -n), users["county"], households=1)
    client = login(client, users["clerk"])

    with django_assert_num_queries(CLERK_LIST_QUERIES):
        client.get("/returns/")


# 13, and the six of services.prefill (what the service records say, on an editable return).
# Each with the navigation's (tests.queries).
ENTRY_QUERIES = 19 + NAV_QUERIES[Role.CLERK]
REVIEW_LIST_QUERIES = 8 + NAV_QUERIES[Role.COUNTY]
CLERK_LIST_QUERIES = 5 + NAV_QUERIES[Role.CLERK]


def test_nav_links_monthly_returns_for_staff_only(en, users):
    staff = login(en, users["clerk"]).get("/returns/")
    judge = login(en, users["judge"]).get("/")

    assert (
        '<li><a href="/returns/" aria-current="page">Monthly returns</a></li>'
        in staff.content.decode()
    )
    assert "/returns/" not in judge.content.decode()


def test_entry_renders_in_chinese_by_default(client, users, history):
    response = login(client, users["clerk"]).get(URL)

    assert response.status_code == 200
    assert response["Content-Language"] == "zh-hans"
    assert by_id(response, "id_v_households").attrs["name"] == "v_households"
    label = [n for n in page(response).iter() if n.attrs.get("for") == "id_v_households"]
    assert [n.text for n in label] == ["户数"]
