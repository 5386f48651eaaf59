"""The clerk's pages for volunteers, sessions of service, the time bank and the contribution
points card: who may open them, what they show (masked in lists), what they write."""

import datetime
import io
from decimal import Decimal

import pytest
from django.conf import settings
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from openpyxl import load_workbook

from services.domain import service_record, time_bank_balance, time_bank_draw
from services.models import (
    AdmissionRequest,
    ContributionPoints,
    ServiceRecord,
    TimeBankEntry,
    Volunteer,
)
from tests.factories import make_household, make_volunteer
from tests.html import error_summary_at_top, soup, tables

pytestmark = pytest.mark.django_db

D = Decimal
FULL_NAME = "钱六平"
FULL_PHONE = "13611112222"
REGISTERED = datetime.date(2026, 1, 5)
NONE = "\N{EN DASH}"


@pytest.fixture(autouse=True)
def english_pages(client):
    """The pages in English, so that the English source text can be asserted."""
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"


@pytest.fixture
def volunteer(tree):
    return make_volunteer(
        community=tree["home"], name=FULL_NAME, phone=FULL_PHONE, registered_on=REGISTERED
    )


@pytest.fixture
def party_member(tree):
    return make_volunteer(
        community=tree["home"],
        name="孙七安",
        kind=Volunteer.Kind.PARTY_MEMBER,
        registered_on=REGISTERED,
    )


def url(name, volunteer=None, code="home", **query):
    kwargs = {"code": code}
    if volunteer is not None:
        kwargs["pk"] = volunteer.pk
    path = reverse(f"services:{name}", kwargs=kwargs)
    if query:
        path += "?" + "&".join(f"{key}={value}" for key, value in query.items())
    return path


def serve(volunteer, hours, on, by, activity="助老服务"):
    return service_record(
        volunteer=volunteer, served_on=on, hours=D(hours), activity=activity, by=by
    )


def text(response) -> str:
    return " ".join(response.content.decode().split())


def error_summary(response) -> list[str]:
    """The texts of the page's error summary, which must be first in <main>."""
    return [text for _href, text in error_summary_at_top(response)]


# ---------- Who may open which page ----------

LIST_PAGES = ["volunteer_list", "volunteer_create", "volunteer_sessions_bulk"]
VOLUNTEER_PAGES = [
    "volunteer_detail",
    "volunteer_edit",
    "volunteer_session",
    "volunteer_draw",
    "volunteer_statement_print",
    "volunteer_statement_xlsx",
    "volunteer_points",
]
EXPECTED = {
    "clerk": 200,
    "county": 200,
    "township": 403,  # of north, home's township: figures, not people
    "other_township": 404,
    "other_clerk": 404,
    "judge": 403,
    "no_role": 403,
}


def _get(client, users, role, path):
    if role != "anonymous":
        client.force_login(users[role])
    return client.get(path)


@pytest.mark.parametrize("role", [*EXPECTED, "anonymous"])
@pytest.mark.parametrize("name", LIST_PAGES + VOLUNTEER_PAGES)
def test_every_page_opens_only_for_the_clerk_and_the_county(
    client, users, party_member, name, role
):
    path = url(name, party_member if name in VOLUNTEER_PAGES else None)

    response = _get(client, users, role, path)

    if role == "anonymous":
        assert response.status_code == 302
        assert response["Location"] == f"{reverse('login')}?next={path}"
    else:
        assert response.status_code == EXPECTED[role]


@pytest.mark.parametrize("name", VOLUNTEER_PAGES)
def test_a_volunteer_of_another_community_is_not_found_under_this_code(client, users, tree, name):
    stranger = make_volunteer(community=tree["neighbour"], kind=Volunteer.Kind.PARTY_MEMBER)

    response = _get(client, users, "county", url(name, stranger, code="home"))

    assert response.status_code == 404


@pytest.mark.parametrize(("role", "status"), [("township", 403), ("other_clerk", 404)])
@pytest.mark.parametrize("name", ["volunteer_session", "volunteer_draw", "volunteer_edit"])
def test_writes_are_refused_to_other_users_and_change_nothing(
    client, users, volunteer, name, role, status
):
    client.force_login(users[role])
    data = {"served_on": "2026-03-01", "on": "2026-03-01", "hours": "2", "activity": "x"}
    data.update({"note": "x", "name": "改名", "kind": "resident", "registered_on": "2026-01-05"})

    response = client.post(url(name, volunteer), data)

    assert response.status_code == status
    assert (ServiceRecord.objects.count(), TimeBankEntry.objects.count()) == (0, 0)
    volunteer.refresh_from_db()
    assert volunteer.name == FULL_NAME


def test_bulk_entry_post_is_refused_to_township_staff(client, users, volunteer):
    client.force_login(users["township"])

    response = client.post(url("volunteer_sessions_bulk"), {"slips-TOTAL_FORMS": "1"})

    assert response.status_code == 403
    assert ServiceRecord.objects.count() == 0


def test_writes_need_post(client, users, volunteer):
    client.force_login(users["clerk"])

    response = client.put(url("volunteer_session", volunteer))

    assert response.status_code == 405


# ---------- The list ----------


def test_list_shows_names_and_phones_masked_with_each_balance(client, users, tree, volunteer):
    clerk = users["clerk"]
    serve(volunteer, "2.5", datetime.date(2026, 3, 1), clerk)
    other = make_volunteer(community=tree["home"], name="Li Ming", phone="0571-6500 1234")
    make_volunteer(community=tree["far"], name="赵五云")
    client.force_login(clerk)

    response = client.get(url("volunteer_list"))

    html = response.content.decode()
    assert FULL_NAME not in html
    assert FULL_PHONE not in html
    assert "Li Ming" not in html
    rows = tables(response)[0]["tbody"]
    assert rows == [
        [
            str(other.pk),
            "L* M**g",
            "057*****1234",
            "Resident",
            "2026-01-05",
            "On the register",
            "0.00",
        ],
        [
            str(volunteer.pk),
            "钱*平",
            "136****2222",
            "Resident",
            "2026-01-05",
            "On the register",
            "2.50",
        ],
    ]


def test_list_filters_by_name_kind_and_active(client, users, tree, volunteer, party_member):
    make_volunteer(community=tree["home"], name="钱七", active=False)
    client.force_login(users["clerk"])

    def names(**query):
        return [row[1] for row in tables(client.get(url("volunteer_list", **query)))[0]["tbody"]]

    assert names(q="钱") == ["钱*", "钱*平"]
    assert names(q="钱", active="yes") == ["钱*平"]
    assert names(kind="party_member") == ["孙*安"]
    assert names(active="no") == ["钱*"]


def test_list_paginates(client, users, tree, settings):
    settings.PAGE_SIZE = 2
    for n in range(5):
        make_volunteer(community=tree["home"], name=f"志愿者{n}号")
    client.force_login(users["clerk"])

    response = client.get(url("volunteer_list", page=3))

    assert [row[1] for row in tables(response)[0]["tbody"]] == ["志***号"]
    assert "5 volunteers" in text(response)


def _count_queries(client, path) -> int:
    client.get(path)  # warm up: the first request may fill caches
    with CaptureQueriesContext(connection) as queries:
        response = client.get(path)
    assert response.status_code == 200
    return len(queries)


def test_list_query_count_does_not_grow_with_volunteers(client, users, tree):
    clerk = users["clerk"]
    counts = []
    for community, size in ((tree["home"], 3), (tree["neighbour"], 30)):
        for n in range(size):
            v = make_volunteer(community=community, name=f"志愿者{n}")
            serve(v, "1", datetime.date(2026, 3, 1), clerk)
            serve(v, "2", datetime.date(2026, 3, 2), clerk)
        client.force_login(users["county"])
        counts.append(_count_queries(client, url("volunteer_list", code=community.code)))

    assert counts[0] == counts[1]


# ---------- Registering and editing ----------


def _volunteer_data(**kwargs):
    data = {"name": "王小明", "phone": "+86 138-1234-5678", "kind": "league_member"}
    data["registered_on"] = "2026-02-01"
    data.update(kwargs)
    return data


def test_register_saves_in_the_urls_community_and_goes_to_the_volunteer(client, users, tree):
    client.force_login(users["clerk"])

    response = client.post(
        url("volunteer_create"), _volunteer_data(community=tree["far"].pk), follow=True
    )

    volunteer = Volunteer.objects.get()
    assert (volunteer.community, volunteer.name, volunteer.phone, volunteer.kind) == (
        tree["home"],
        "王小明",
        "+86 138-1234-5678",
        "league_member",
    )
    assert volunteer.registered_on == datetime.date(2026, 2, 1)
    assert response.redirect_chain == [(url("volunteer_detail", volunteer), 302)]
    assert [str(m) for m in response.context["messages"]] == ["The volunteer is registered."]
    assert "王小明" in text(response)


def test_register_form_defaults_to_today(client, users):
    client.force_login(users["clerk"])

    response = client.get(url("volunteer_create"))

    today = timezone.localdate().isoformat()
    assert f'type="date" name="registered_on" value="{today}"' in response.content.decode()
    assert response.context["form"]["registered_on"].value() == timezone.localdate()


@pytest.mark.parametrize(
    ("data", "errors"),
    [
        (
            {"phone": "138 1234 abcd"},
            [
                "Phone: Enter the phone number with digits only; spaces, dashes and a "
                "leading + are allowed."
            ],
        ),
        ({"phone": "12-3"}, ["Phone: A phone number has at least 5 digits."]),
        ({"name": "  "}, ["Name: Enter the volunteer's name."]),
        (
            {"registered_on": "2099-01-01"},
            ["Registered on: The registration date cannot be in the future."],
        ),
        ({"registered_on": "1 March"}, ["Registered on: Enter a valid date."]),
    ],
)
def test_register_refuses_bad_input_and_keeps_what_was_typed(client, users, data, errors):
    client.force_login(users["clerk"])

    response = client.post(url("volunteer_create"), _volunteer_data(**data))

    assert response.status_code == 200
    assert error_summary(response) == errors
    assert Volunteer.objects.count() == 0
    html = response.content.decode()
    for name, value in _volunteer_data(**data).items():
        if name != "kind":
            assert f'name="{name}" value="{value}"' in html or f'value="{value}"' in html
    assert "Nothing was saved." in html


def test_edit_refuses_a_registration_after_the_first_service(client, users, volunteer):
    serve(volunteer, "1", datetime.date(2026, 2, 1), users["clerk"])
    client.force_login(users["clerk"])

    response = client.post(
        url("volunteer_edit", volunteer),
        _volunteer_data(name=FULL_NAME, registered_on="2026-03-01", active="on"),
    )

    assert error_summary(response) == [
        "Registered on: Service is recorded on 1 February 2026: the registration date cannot "
        "be later than that."
    ]
    volunteer.refresh_from_db()
    assert volunteer.registered_on == REGISTERED


def test_edit_can_make_a_volunteer_inactive(client, users, volunteer):
    client.force_login(users["clerk"])

    response = client.post(
        url("volunteer_edit", volunteer), _volunteer_data(name="钱六平", phone="")
    )

    assert response.status_code == 302
    volunteer.refresh_from_db()
    assert (volunteer.active, volunteer.phone, volunteer.kind) == (False, "", "league_member")


# ---------- The volunteer's page and the time bank ----------


def test_two_sessions_and_a_draw_make_the_balance_and_the_statement(client, users, volunteer):
    client.force_login(users["clerk"])
    household = make_household(community=volunteer.community, household_name="张三明")

    first = client.post(
        url("volunteer_session", volunteer),
        {
            "served_on": "2026-03-01",
            "hours": "2.5",
            "activity": "陪老人看病",
            "household": household.pk,
        },
        follow=True,
    )
    second = client.post(
        url("volunteer_session", volunteer),
        {"served_on": "2026-03-08", "hours": "1.25", "activity": "清扫楼道"},
        follow=True,
    )
    drawn = client.post(
        url("volunteer_draw", volunteer),
        {"on": "2026-03-10", "hours": "1.5", "note": "家政服务"},
        follow=True,
    )

    assert [str(m) for m in first.context["messages"]] == [
        "Recorded 2.50 hours of service. The balance is now 2.50 hours."
    ]
    assert [str(m) for m in second.context["messages"]] == [
        "Recorded 1.25 hours of service. The balance is now 3.75 hours."
    ]
    assert [str(m) for m in drawn.context["messages"]] == [
        "Drew 1.50 hours. The balance is now 2.25 hours."
    ]
    assert time_bank_balance(volunteer) == D("2.25")
    statement, records = tables(drawn)
    assert statement["tbody"] == [
        ["2026-03-01", "Deposit for service given", "陪老人看病", "2.50", "", "2.50"],
        ["2026-03-08", "Deposit for service given", "清扫楼道", "1.25", "", "3.75"],
        ["2026-03-10", "Draw for service received", "家政服务", "", "1.50", "2.25"],
    ]
    assert records["tbody"] == [
        ["2026-03-08", "清扫楼道", NONE, "1.25"],
        ["2026-03-01", "陪老人看病", "张*明", "2.50"],
    ]
    page = text(drawn)
    assert "2.25 hours" in page
    assert f"<h1>{FULL_NAME}</h1>" in page
    assert FULL_PHONE in page
    assert ServiceRecord.objects.get(hours=D("2.5")).recorded_by == users["clerk"]


def test_a_draw_below_the_floor_is_refused_and_keeps_what_was_typed(
    client, users, volunteer, settings
):
    settings.TIME_BANK_FLOOR_HOURS = 1
    serve(volunteer, "2", datetime.date(2026, 3, 1), users["clerk"])
    client.force_login(users["clerk"])

    response = client.post(
        url("volunteer_draw", volunteer),
        {"on": "2026-03-10", "hours": "1.5", "note": "理发服务"},
    )

    assert response.status_code == 200
    message = "Cannot draw 1.50 hours: the balance is 2.00 hours and may not go below 1 hours."
    assert response.context["form"].errors == {"hours": [message]}
    assert error_summary(response) == [f"Hours: {message}"]
    html = response.content.decode()
    assert 'value="理发服务"' in html
    assert 'value="1.5"' in html
    assert 'value="2026-03-10"' in html
    assert '<a href="#id_hours">' in html
    assert TimeBankEntry.objects.filter(kind="draw").count() == 0
    assert time_bank_balance(volunteer) == D("2.00")


@pytest.mark.parametrize(
    ("data", "errors"),
    [
        ({"hours": "0"}, {"hours": ["Enter a number of hours above zero."]}),
        ({"hours": "24.5"}, {"hours": ["A session lasts at most 24 hours."]}),
        ({"hours": "1.234"}, {"hours": ["Enter the hours with at most two decimals."]}),
        ({"hours": "two"}, {"hours": ["Enter the hours as a number, such as 1.5."]}),
        (
            {"served_on": "2099-01-01"},
            {"served_on": ["The date of service cannot be in the future."]},
        ),
        (
            {"served_on": "2026-01-04"},
            {
                "served_on": [
                    "The volunteer registered on 5 January 2026: the date cannot be earlier."
                ]
            },
        ),
        ({"activity": "   "}, {"activity": ["Say what the service was."]}),
    ],
)
def test_a_session_with_bad_input_is_not_recorded(client, users, volunteer, data, errors):
    client.force_login(users["clerk"])
    post = {"served_on": "2026-03-01", "hours": "2", "activity": "助老"}
    post.update(data)

    response = client.post(url("volunteer_session", volunteer), post)

    assert response.status_code == 200
    assert response.context["form"].errors == errors
    assert (ServiceRecord.objects.count(), TimeBankEntry.objects.count()) == (0, 0)


def test_session_offers_only_the_communitys_active_households_masked(
    client, users, tree, volunteer
):
    mine = make_household(community=tree["home"], household_name="张三明")
    make_household(community=tree["home"], household_name="李四光", active=False)
    theirs = make_household(community=tree["far"], household_name="赵五云")
    client.force_login(users["clerk"])

    page = client.get(url("volunteer_session", volunteer))
    refused = client.post(
        url("volunteer_session", volunteer),
        {"served_on": "2026-03-01", "hours": "1", "activity": "助老", "household": theirs.pk},
    )

    choices = list(page.context["form"].fields["household"].choices)
    assert choices == [("", "No household"), (mine.pk, f"张*明 · Elderly · No. {mine.pk}")]
    assert "张三明" not in page.content.decode()
    assert list(refused.context["form"].errors) == ["household"]
    assert ServiceRecord.objects.count() == 0


def test_statement_filters_by_year_with_the_balance_brought_forward(client, users, volunteer):
    clerk = users["clerk"]
    serve(volunteer, "3", datetime.date(2025, 12, 30), clerk)
    serve(volunteer, "2", datetime.date(2026, 1, 10), clerk)
    time_bank_draw(volunteer=volunteer, hours=D("1"), on=datetime.date(2026, 2, 1), by=clerk)
    client.force_login(clerk)

    response = client.get(url("volunteer_detail", volunteer, year=2026))

    assert tables(response)[0]["tbody"] == [
        ["Balance brought forward", "3.00"],
        ["2026-01-10", "Deposit for service given", "助老服务", "2.00", "", "5.00"],
        ["2026-02-01", "Draw for service received", "", "", "1.00", "4.00"],
    ]
    choices = list(response.context["year_form"].fields["year"].choices)
    assert choices == [("", "All years"), (2026, 2026), (2025, 2025)]


def test_statement_query_count_does_not_grow_with_entries(client, users, tree, settings):
    settings.PAGE_SIZE = 50
    clerk = users["clerk"]
    few = make_volunteer(community=tree["home"], registered_on=REGISTERED)
    many = make_volunteer(community=tree["home"], registered_on=REGISTERED)
    household = make_household(community=tree["home"])
    for volunteer, size in ((few, 3), (many, 30)):
        for n in range(size):
            service_record(
                volunteer=volunteer,
                served_on=datetime.date(2026, 2, 1) + datetime.timedelta(days=n),
                hours=D("1.5"),
                activity="助老",
                household=household,
                by=clerk,
            )
        time_bank_draw(volunteer=volunteer, hours=D(1), on=datetime.date(2026, 4, 1), by=clerk)
    client.force_login(clerk)

    counts = [_count_queries(client, url("volunteer_detail", v)) for v in (few, many)]
    yearly = [_count_queries(client, url("volunteer_detail", v, year=2026)) for v in (few, many)]
    printed = [_count_queries(client, url("volunteer_statement_print", v)) for v in (few, many)]

    assert counts[0] == counts[1]
    assert yearly[0] == yearly[1]
    assert printed[0] == printed[1]


def test_printable_statement_shows_totals_and_the_closing_balance(client, users, volunteer):
    clerk = users["clerk"]
    serve(volunteer, "3", datetime.date(2025, 12, 30), clerk)
    serve(volunteer, "2", datetime.date(2026, 1, 10), clerk)
    time_bank_draw(volunteer=volunteer, hours=D("0.5"), on=datetime.date(2026, 2, 1), by=clerk)
    client.force_login(clerk)

    response = client.get(url("volunteer_statement_print", volunteer, year=2026))

    assert response.status_code == 200
    assert len(tables(response)[0]["tbody"]) == 3
    html = response.content.decode()
    assert '<dd id="total-in">2.00</dd>' in html
    assert '<dd id="total-out">0.50</dd>' in html
    assert '<dd id="closing">4.50</dd>' in html
    assert FULL_NAME in html
    assert "css/services.css" in html
    assert "no-store" in response["Cache-Control"]


def test_statement_export_is_a_workbook_with_numbers(client, users, volunteer):
    clerk = users["clerk"]
    serve(volunteer, "3", datetime.date(2025, 12, 30), clerk)
    serve(volunteer, "2", datetime.date(2026, 1, 10), clerk, activity="=HYPERLINK(1)")
    client.force_login(clerk)

    response = client.get(url("volunteer_statement_xlsx", volunteer, year=2026))

    assert response["Content-Type"] == (
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    )
    assert response["Content-Disposition"] == (
        f'attachment; filename="time-bank-home-{volunteer.pk}-2026.xlsx"'
    )
    sheet = load_workbook(io.BytesIO(response.content)).active
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[2][:2] == ("Volunteer", FULL_NAME)
    assert rows[4][:2] == ("Balance brought forward", 3)
    assert rows[6] == ("Date", "Kind", "Note", "Hours", "Balance")
    assert rows[7] == (
        datetime.datetime(2026, 1, 10),
        "Deposit for service given",
        "'=HYPERLINK(1)",
        2,
        5,
    )


def test_statement_export_refuses_a_year_without_entries(client, users, volunteer):
    client.force_login(users["clerk"])

    response = client.get(url("volunteer_statement_xlsx", volunteer, year=1999))

    assert response.status_code == 400


# ---------- Paper slips ----------


def _slips(rows, total=10):
    data = {"slips-TOTAL_FORMS": str(total), "slips-INITIAL_FORMS": "0"}
    for index, row in rows.items():
        for key, value in row.items():
            data[f"slips-{index}-{key}"] = value
    return data


def test_bulk_entry_saves_the_filled_rows_and_ignores_blank_ones(client, users, tree, volunteer):
    other = make_volunteer(community=tree["home"], registered_on=REGISTERED)
    client.force_login(users["clerk"])
    rows = {
        0: {"volunteer": volunteer.pk, "served_on": "2026-03-01", "hours": "2", "activity": "助老"},
        3: {"volunteer": other.pk, "served_on": "2026-03-02", "hours": "1.5", "activity": "巡逻"},
        7: {
            "volunteer": volunteer.pk,
            "served_on": "2026-03-03",
            "hours": "0.75",
            "activity": "助学",
        },
    }

    response = client.post(url("volunteer_sessions_bulk"), _slips(rows), follow=True)

    assert [str(m) for m in response.context["messages"]] == [
        "Recorded 3 sessions of service, 4.25 hours in all."
    ]
    assert (ServiceRecord.objects.count(), TimeBankEntry.objects.count()) == (3, 3)
    assert time_bank_balance(volunteer) == D("2.75")
    assert time_bank_balance(other) == D("1.50")


def test_bulk_entry_with_one_bad_row_saves_nothing_and_keeps_every_row(
    client, users, tree, volunteer
):
    client.force_login(users["clerk"])
    rows = {
        0: {"volunteer": volunteer.pk, "served_on": "2026-03-01", "hours": "2", "activity": "助老"},
        1: {
            "volunteer": volunteer.pk,
            "served_on": "2026-03-02",
            "hours": "30",
            "activity": "巡逻",
        },
        2: {"volunteer": volunteer.pk, "served_on": "2026-03-03", "hours": "1"},
        5: {"volunteer": volunteer.pk, "served_on": "2025-12-31", "hours": "1", "activity": "助学"},
    }

    response = client.post(url("volunteer_sessions_bulk"), _slips(rows))

    assert response.status_code == 200
    assert (ServiceRecord.objects.count(), TimeBankEntry.objects.count()) == (0, 0)
    assert error_summary(response) == [
        "Row 2, Hours: A session lasts at most 24 hours.",
        "Row 3, Activity: Say what the service was.",
        "Row 6, Served on: The volunteer registered on 5 January 2026: the date cannot be earlier.",
    ]
    html = response.content.decode()
    for typed in ('value="助老"', 'value="巡逻"', 'value="30"', 'value="2025-12-31"'):
        assert typed in html
    assert '<a href="#id_slips-1-hours">' in html
    assert html.count('class="svc-row--error"') == 3


def test_bulk_entry_with_only_blank_rows_says_so(client, users, volunteer):
    client.force_login(users["clerk"])

    response = client.post(url("volunteer_sessions_bulk"), _slips({}))

    assert error_summary(response) == ["Fill in at least one row."]
    assert ServiceRecord.objects.count() == 0


def test_bulk_entry_offers_only_active_volunteers_of_the_community(client, users, tree, volunteer):
    make_volunteer(community=tree["home"], name="钱七", active=False)
    stranger = make_volunteer(community=tree["far"])
    client.force_login(users["clerk"])

    page = client.get(url("volunteer_sessions_bulk"))
    refused = client.post(
        url("volunteer_sessions_bulk"),
        _slips(
            {
                0: {
                    "volunteer": stranger.pk,
                    "served_on": "2026-03-01",
                    "hours": "1",
                    "activity": "x",
                }
            }
        ),
    )

    choices = list(page.context["formset"].forms[0].fields["volunteer"].choices)
    assert choices == [
        ("", "Choose a volunteer"),
        (volunteer.pk, f"钱*平 · Resident · 136****2222 · No. {volunteer.pk}"),
    ]
    assert FULL_NAME not in page.content.decode()
    assert list(refused.context["formset"].forms[0].errors) == ["volunteer"]
    assert ServiceRecord.objects.count() == 0


@pytest.mark.parametrize(("rows", "shown"), [(None, 10), ("25", 25), ("500", 50), ("x", 10)])
def test_bulk_entry_shows_the_rows_asked_for(client, users, volunteer, rows, shown):
    client.force_login(users["clerk"])
    query = {"rows": rows} if rows else {}

    response = client.get(url("volunteer_sessions_bulk"), query)

    assert len(response.context["formset"].forms) == shown
    assert len(tables(response)[0]["tbody"]) == shown


def test_bulk_entry_refuses_more_than_fifty_rows(client, users, volunteer):
    client.force_login(users["clerk"])
    rows = {
        n: {"volunteer": volunteer.pk, "served_on": "2026-03-01", "hours": "0.5", "activity": "x"}
        for n in range(60)
    }

    response = client.post(url("volunteer_sessions_bulk"), _slips(rows, total=60))

    assert response.status_code == 200
    assert error_summary(response) == ["Please submit at most 50 forms."]
    assert ServiceRecord.objects.count() == 0


# ---------- Contribution points card ----------


def test_points_card_adds_lines_and_totals_them_per_year(client, users, party_member):
    ContributionPoints.objects.create(
        volunteer=party_member,
        year=2025,
        activity="结对帮扶",
        points=5,
        on=datetime.date(2025, 6, 1),
    )
    client.force_login(users["clerk"])

    response = client.post(
        url("volunteer_points", party_member),
        {"on": "2026-03-01", "activity": "社区报到服务", "points": "3"},
        follow=True,
    )
    client.post(
        url("volunteer_points", party_member),
        {"on": "2026-04-01", "year": "2026", "activity": "义务巡逻", "points": "4"},
    )
    page = client.get(url("volunteer_points", party_member))

    assert [str(m) for m in response.context["messages"]] == [
        "Added 3 points to the card for 2026."
    ]
    totals, lines = tables(page)
    assert totals["tbody"] == [["2026", "2", "7"], ["2025", "1", "5"]]
    assert totals["tfoot"] == [["All years", "12"]]
    assert lines["tbody"] == [
        ["2026", "2026-03-01", "社区报到服务", "3"],
        ["2026", "2026-04-01", "义务巡逻", "4"],
        ["2025", "2025-06-01", "结对帮扶", "5"],
    ]


@pytest.mark.parametrize(
    ("data", "errors"),
    [
        ({"points": "0"}, {"points": ["Enter at least 1 point."]}),
        ({"points": "2.5"}, {"points": ["Enter the points as a whole number."]}),
        ({"year": "2025"}, {"on": ["The date must fall in the card's year."]}),
        ({"on": ""}, {"on": ["Enter the day of the activity."]}),
        ({"on": "2099-01-01"}, {"on": ["The date cannot be in the future."]}),
    ],
)
def test_points_with_bad_input_are_not_added(client, users, party_member, data, errors):
    client.force_login(users["clerk"])
    post = {"on": "2026-03-01", "activity": "报到服务", "points": "3"}
    post.update(data)

    response = client.post(url("volunteer_points", party_member), post)

    assert response.status_code == 200
    assert response.context["form"].errors == errors
    [field] = errors
    assert [href for href, _text in error_summary_at_top(response)] == [f"#id_{field}"]
    assert ContributionPoints.objects.count() == 0
    assert 'value="报到服务"' in response.content.decode()


def test_points_card_of_a_volunteer_who_is_not_a_party_member_says_so(client, users, volunteer):
    client.force_login(users["clerk"])

    page = client.get(url("volunteer_points", volunteer))
    posted = client.post(
        url("volunteer_points", volunteer), {"on": "2026-03-01", "activity": "x", "points": "3"}
    )

    assert page.status_code == 200
    assert (
        "The contribution points card is for in-service Party members reporting to the "
        "community (在职党员报到)." in text(page)
    )
    assert "Add points" not in text(page)
    assert posted.status_code == 409
    assert ContributionPoints.objects.count() == 0


def test_points_card_query_count_does_not_grow_with_lines(client, users, tree, settings):
    settings.PAGE_SIZE = 50
    counts = []
    for size in (3, 30):
        member = make_volunteer(community=tree["home"], kind=Volunteer.Kind.PARTY_MEMBER)
        for n in range(size):
            ContributionPoints.objects.create(
                volunteer=member,
                year=2020 + n % 6,
                activity="服务",
                points=1,
                on=datetime.date(2020 + n % 6, 1, 1),
            )
        client.force_login(users["clerk"])
        counts.append(_count_queries(client, url("volunteer_points", member)))

    assert counts[0] == counts[1]


def test_the_community_hub_links_to_the_volunteers(client, users):
    client.force_login(users["clerk"])

    response = client.get(reverse("services:community", kwargs={"code": "home"}))

    assert url("volunteer_list") in response.content.decode()


def _cards(response) -> dict[str, str]:
    """The service-area cards of a hub page: link → the card's count line ("" without one)."""
    cards = soup(response).select("#service-areas .card")
    counts = [card.select_one(".card__count") for card in cards]
    return {
        card.select_one(".card__title a")["href"]: " ".join(count.text.split()) if count else ""
        for card, count in zip(cards, counts, strict=True)
    }


def test_the_community_hub_is_a_card_per_service_area_with_its_count(client, users, tree):
    for n in range(3):
        make_volunteer(community=tree["home"], active=n < 2)
    make_household(community=tree["home"])
    make_volunteer(community=tree["neighbour"])
    client.force_login(users["clerk"])

    response = client.get(reverse("services:community", kwargs={"code": "home"}))

    cards = _cards(response)
    assert (cards[url("volunteer_list")], cards[url("household_list")]) == (
        "2 volunteers on the register",
        "1 household helped",
    )
    assert cards[url("admitted_tasks")] == "0 tasks"
    assert cards[reverse("services:employment", kwargs={"code": "home"})] == ""


def test_the_community_hub_shows_township_staff_no_personal_cards(client, users):
    client.force_login(users["township"])

    response = client.get(reverse("services:community", kwargs={"code": "home"}))

    assert url("volunteer_list") not in _cards(response)
    assert url("household_list") not in _cards(response)


def test_the_hub_is_a_card_per_service_area_in_constant_queries(client, users):
    client.force_login(users["county"])
    counts = []
    for size in (1, 3):
        while AdmissionRequest.objects.count() < size:
            AdmissionRequest.objects.create(
                department="县民政局", task="协助核查", received_on=datetime.date(2026, 3, 1)
            )
        counts.append(_count_queries(client, reverse("services:hub")))

    response = client.get(reverse("services:hub"))

    assert list(_cards(response).items()) == [
        (reverse("services:reports"), "4 reports"),
        (reverse("services:admission_list"), "3 requests waiting for a decision"),
        (reverse("services:commendations"), ""),
    ]
    # The admission card's count is one query, whatever the number of requests.
    assert counts[0] == counts[1]
