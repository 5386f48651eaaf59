"""Paired assistance (结对帮困) pages: households, helpers, visits.

Households are personal data: only the community's own clerk and county staff open these
pages; lists show names and phones masked, the household's own page in full.
"""

import datetime
import html
import re
from decimal import Decimal

import pytest
from django.conf import settings
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format

from chunan_community.months import add_months, month_start
from services.models import AssistanceVisit, AssistedHousehold, HelperPairing, HelpKind
from tests.factories import make_household, make_pairing, make_unit, make_volunteer
from tests.html import tables

# The moment this module's dates are built for: each test keeps it, should the run cross
# midnight or a month's end (`.ci/run` moves the clock of a run to such days).
NOW = timezone.localtime()
pytestmark = [pytest.mark.django_db, pytest.mark.time_machine(NOW, tick=False)]

TODAY = NOW.date()
THIS_YEAR = TODAY.year
FULL_NAME = "张三明"
FULL_PHONE = "13812345678"


@pytest.fixture(autouse=True)
def english_pages(client):
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"


@pytest.fixture
def household(tree):
    return make_household(
        community=tree["home"],
        household_name=FULL_NAME,
        phone=FULL_PHONE,
        category=AssistedHousehold.Category.ELDERLY,
        help_hardship=True,
        help_medical=True,
    )


@pytest.fixture
def far_household(tree):
    return make_household(community=tree["far"], household_name="赵五云", phone="13700002222")


def url(name, code="home", **kwargs):
    return reverse(f"services:{name}", kwargs={"code": code, **kwargs})


def page_urls(household):
    pk = {"pk": household.pk}
    return {
        "household_list": url("household_list"),
        "household_add": url("household_add"),
        "visit_list": url("visit_list"),
        "household_detail": url("household_detail", **pk),
        "household_edit": url("household_edit", **pk),
        "visit_add": url("visit_add", **pk),
    }


def table_date(day: datetime.date) -> str:
    """A date as tables print it, in both languages (SHORT_DATE_FORMAT)."""
    return date_format(day, "SHORT_DATE_FORMAT")


def body_rows(response, index=0):
    return tables(response)[index]["tbody"]


def error_summary(response) -> list[str]:
    content = response.content.decode()
    if 'id="error-summary"' not in content:
        return []
    start = content.index('id="error-summary"')
    block = content[start : content.index("</div>", start)]
    return [
        " ".join(html.unescape(re.sub(r"<[^>]+>", "", item)).split())
        for item in re.findall(r"<li>(.*?)</li>", block, re.S)
    ]


# ---------- Who may open what ----------

EXPECTED = {
    "clerk": 200,
    "county": 200,
    "township": 403,
    "other_clerk": 404,
    "judge": 403,
    "no_role": 403,
}


@pytest.mark.parametrize("who", sorted(EXPECTED))
@pytest.mark.parametrize(
    "page",
    [
        "household_list",
        "household_add",
        "visit_list",
        "household_detail",
        "household_edit",
        "visit_add",
    ],
)
def test_household_pages_open_for_own_clerk_and_county_only(client, users, household, who, page):
    client.force_login(users[who])

    response = client.get(page_urls(household)[page])

    assert response.status_code == EXPECTED[who]


@pytest.mark.parametrize(
    "page",
    [
        "household_list",
        "household_add",
        "visit_list",
        "household_detail",
        "household_edit",
        "visit_add",
    ],
)
def test_household_pages_send_anonymous_visitors_to_login(client, household, page):
    target = page_urls(household)[page]

    response = client.get(target)

    assert response.status_code == 302
    assert response["Location"] == f"{reverse('login')}?next={target}"


@pytest.mark.parametrize("who", sorted(EXPECTED))
def test_helper_writes_follow_the_same_matrix(client, users, household, who):
    unit = make_unit(name="县供电公司")
    pairing = HelperPairing.objects.create(
        household=household, co_building_unit=unit, started_on=datetime.date(2024, 1, 1)
    )
    client.force_login(users[who])

    add = client.post(
        url("helper_add", pk=household.pk),
        {"pair-co_building_unit": unit.pk, "pair-started_on": "2025-01-01"},
    )
    end = client.post(
        url("helper_end", pk=household.pk, pairing_pk=pairing.pk),
        {f"end-{pairing.pk}-ended_on": TODAY.isoformat()},
    )

    expected = EXPECTED[who]
    assert (add.status_code, end.status_code) == (
        (200, 302) if expected == 200 else (expected, expected)
    )
    pairing.refresh_from_db()
    assert pairing.ended_on == (TODAY if expected == 200 else None)


def test_helper_writes_are_post_only(client, users, household):
    unit = make_unit()
    pairing = HelperPairing.objects.create(
        household=household, co_building_unit=unit, started_on=datetime.date(2024, 1, 1)
    )
    client.force_login(users["clerk"])

    add = client.get(url("helper_add", pk=household.pk))
    end = client.get(url("helper_end", pk=household.pk, pairing_pk=pairing.pk))

    assert (add.status_code, end.status_code) == (405, 405)


def test_helper_writes_send_anonymous_visitors_to_login(client, household):
    target = url("helper_add", pk=household.pk)

    response = client.post(target, {})

    assert response["Location"] == f"{reverse('login')}?next={target}"
    assert HelperPairing.objects.count() == 0


@pytest.mark.parametrize("who", ["clerk", "county"])
@pytest.mark.parametrize("page", ["household_detail", "household_edit", "visit_add"])
def test_another_communitys_household_under_this_code_is_404(
    client, users, far_household, who, page
):
    client.force_login(users[who])

    response = client.get(url(page, code="home", pk=far_household.pk))

    assert response.status_code == 404


def test_posting_to_another_communitys_household_changes_nothing(client, users, far_household):
    client.force_login(users["clerk"])

    visit = client.post(
        url("visit_add", pk=far_household.pk),
        {"visited_on": "2025-01-02", "kind": "hardship", "hours": "1"},
    )
    edit = client.post(
        url("household_edit", pk=far_household.pk),
        {"household_name": "改名", "category": "elderly", "help_hardship": "on"},
    )

    assert (visit.status_code, edit.status_code) == (404, 404)
    far_household.refresh_from_db()
    assert far_household.household_name == "赵五云"
    assert AssistanceVisit.objects.count() == 0


def test_a_pairing_of_another_household_cannot_be_ended_through_this_one(
    client, users, household, tree
):
    other = make_household(community=tree["home"])
    pairing = HelperPairing.objects.create(
        household=other, co_building_unit=make_unit(), started_on=datetime.date(2024, 1, 1)
    )
    client.force_login(users["clerk"])

    response = client.post(
        url("helper_end", pk=household.pk, pairing_pk=pairing.pk),
        {f"end-{pairing.pk}-ended_on": TODAY.isoformat()},
    )

    assert response.status_code == 404
    pairing.refresh_from_db()
    assert pairing.ended_on is None


# ---------- The list ----------


def test_list_shows_households_masked_with_visits_this_year_and_current_helpers(
    client, users, household, tree
):
    volunteer = make_volunteer(community=tree["home"], name="钱六平")
    unit = make_unit(name="县供电公司")
    HelperPairing.objects.create(
        household=household, co_building_unit=unit, started_on=datetime.date(2024, 1, 1)
    )
    HelperPairing.objects.create(
        household=household, volunteer=volunteer, started_on=datetime.date(2024, 2, 1)
    )
    HelperPairing.objects.create(
        household=household,
        co_building_unit=make_unit(name="已结束单位"),
        started_on=datetime.date(2020, 1, 1),
        ended_on=datetime.date(2021, 1, 1),
    )
    first_of_year = datetime.date(THIS_YEAR, 1, 1)
    for day in (first_of_year, TODAY):
        AssistanceVisit.objects.create(household=household, visited_on=day, kind="hardship")
    AssistanceVisit.objects.create(
        household=household, visited_on=datetime.date(THIS_YEAR - 1, 12, 31), kind="medical"
    )
    make_household(
        community=tree["home"],
        household_name="Li Ming",
        phone="0571-6501 2345",
        category=AssistedHousehold.Category.DISABLED,
        help_hardship=False,
        help_schooling=True,
        active=False,
    )
    make_household(community=tree["neighbour"], household_name="李四光")
    client.force_login(users["clerk"])

    response = client.get(url("household_list"))

    assert body_rows(response) == [
        [
            "L* M**g",
            "057*****2345",
            "Disabled",
            "Schooling (助学)",
            "Left the register",
            "0",
            "—",
            "None",
        ],
        [
            "张*明",
            "138****5678",
            "Elderly",
            "Hardship (助困) Medical care (助医)",
            "On the register",
            "2",
            table_date(TODAY),
            "县供电公司, 钱*平",
        ],
    ]
    content = response.content.decode()
    assert FULL_NAME not in content
    assert FULL_PHONE not in content
    assert "钱六平" not in content


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ({"category": "disabled"}, ["王*五"]),
        ({"help": "medical"}, ["张*明"]),
        ({"help": "schooling"}, ["王*五"]),
        ({"active": "no"}, ["王*五"]),
        ({"active": "yes"}, ["李*光", "张*明"]),
        ({"q": "四"}, ["李*光"]),
        ({}, ["李*光", "王*五", "张*明"]),
    ],
)
def test_list_filters(client, users, household, tree, query, expected):
    make_household(
        community=tree["home"],
        household_name="王老五",
        category=AssistedHousehold.Category.DISABLED,
        help_hardship=False,
        help_schooling=True,
        active=False,
    )
    make_household(community=tree["home"], household_name="李四光")
    client.force_login(users["clerk"])

    response = client.get(url("household_list"), query)

    names = sorted(row[0] for row in body_rows(response))
    assert names == sorted(expected)


def test_searching_by_the_full_name_finds_the_household_but_shows_it_masked(
    client, users, household, tree
):
    make_household(community=tree["home"], household_name="张三丰")
    client.force_login(users["county"])

    response = client.get(url("household_list"), {"q": FULL_NAME})

    rows = body_rows(response)
    assert [row[0] for row in rows] == ["张*明"]
    table_html = response.content.decode().split('id="households"')[1].split("</table>")[0]
    assert FULL_NAME not in table_html
    assert FULL_PHONE not in response.content.decode()


def test_list_is_paged(client, users, tree):
    for n in range(settings.PAGE_SIZE + 3):
        make_household(community=tree["home"], household_name=f"住户{n:03}")
    client.force_login(users["clerk"])

    response = client.get(url("household_list"), {"page": 2})

    assert len(body_rows(response)) == 3


def _queries(client, target):
    with CaptureQueriesContext(connection) as queries:
        response = client.get(target)
    assert response.status_code == 200
    return len(queries)


def _households_with_visits_and_helpers(tree, count):
    volunteer = make_volunteer(community=tree["home"])
    made = []
    for n in range(count):
        household = make_household(community=tree["home"], household_name=f"住户{n:03}")
        AssistanceVisit.objects.create(
            household=household, visited_on=TODAY, kind="hardship", by_volunteer=volunteer
        )
        HelperPairing.objects.create(
            household=household, volunteer=volunteer, started_on=datetime.date(2024, 1, 1)
        )
        HelperPairing.objects.create(
            household=household, co_building_unit=make_unit(), started_on=datetime.date(2024, 1, 1)
        )
        made.append(household)
    return made


def test_list_and_visit_list_queries_do_not_grow_with_rows(client, users, tree):
    client.force_login(users["clerk"])
    _households_with_visits_and_helpers(tree, 3)
    few = (_queries(client, url("household_list")), _queries(client, url("visit_list")))
    _households_with_visits_and_helpers(tree, 27)
    many = (_queries(client, url("household_list")), _queries(client, url("visit_list")))

    assert few == many


def test_detail_queries_do_not_grow_with_visits_and_helpers(client, users, household, tree):
    client.force_login(users["clerk"])
    volunteer = make_volunteer(community=tree["home"])

    def add(count):
        for n in range(count):
            AssistanceVisit.objects.create(
                household=household,
                visited_on=TODAY - datetime.timedelta(days=n),
                kind="hardship",
                by_volunteer=volunteer,
            )
            HelperPairing.objects.create(
                household=household,
                co_building_unit=make_unit(),
                started_on=datetime.date(2020, 1, 1) + datetime.timedelta(days=n),
            )
            make_pairing(community=tree["home"], unit=make_unit())

    add(3)
    few = _queries(client, url("household_detail", pk=household.pk))
    add(27)
    many = _queries(client, url("household_detail", pk=household.pk))

    assert few == many


# ---------- The household's page ----------


def test_detail_shows_the_full_name_and_phone_helpers_and_visits_newest_first(
    client, users, household, tree
):
    volunteer = make_volunteer(community=tree["home"], name="钱六平")
    unit = make_unit(name="县供电公司")
    HelperPairing.objects.create(
        household=household,
        co_building_unit=unit,
        started_on=datetime.date(2024, 1, 1),
        ended_on=datetime.date(2025, 1, 1),
    )
    HelperPairing.objects.create(
        household=household, volunteer=volunteer, started_on=datetime.date(2024, 2, 1)
    )
    AssistanceVisit.objects.create(
        household=household,
        visited_on=datetime.date(2025, 3, 1),
        kind="hardship",
        hours=Decimal("1.50"),
        note="送米送油",
    )
    AssistanceVisit.objects.create(
        household=household,
        visited_on=datetime.date(2025, 5, 1),
        kind="medical",
        by_volunteer=volunteer,
        hours=Decimal("2.00"),
    )
    client.force_login(users["clerk"])

    response = client.get(url("household_detail", pk=household.pk))

    content = response.content.decode()
    assert f"<dd>{FULL_NAME}</dd>" in content
    assert f"<dd>{FULL_PHONE}</dd>" in content
    helpers, visits = tables(response)
    assert [row[:3] for row in helpers["tbody"]] == [
        ["钱六平", "Volunteer", table_date(datetime.date(2024, 2, 1))],
        ["县供电公司", "Co-building unit", table_date(datetime.date(2024, 1, 1))],
    ]
    assert helpers["tbody"][1][3] == table_date(datetime.date(2025, 1, 1))
    assert helpers["tbody"][0][3].endswith("End the pairing")
    assert visits["tbody"] == [
        [
            table_date(datetime.date(2025, 5, 1)),
            "Help with medical care (助医)",
            "钱六平",
            "2.00",
            "",
        ],
        [
            table_date(datetime.date(2025, 3, 1)),
            "Help with hardship (助困)",
            "—",
            "1.50",
            "送米送油",
        ],
    ]


def test_detail_lists_units_paired_with_the_community_first(client, users, household, tree):
    make_unit(name="A 其他单位")
    make_pairing(community=tree["home"], unit=make_unit(name="Z 结对单位"))
    make_pairing(
        community=tree["home"],
        unit=make_unit(name="Y 已结束"),
        started_on=datetime.date(2008, 1, 1),
        ended_on=datetime.date(2010, 1, 1),
    )
    make_volunteer(community=tree["home"], name="钱六平")
    make_volunteer(community=tree["far"], name="周八宁")
    client.force_login(users["clerk"])

    response = client.get(url("household_detail", pk=household.pk))

    form = response.context["pairing_form"]
    assert [
        (group, [label for _value, label in options])
        for group, options in form.fields["co_building_unit"].choices[1:]
    ] == [
        ("Paired with this community", ["Z 结对单位"]),
        ("Other units", ["A 其他单位", "Y 已结束"]),
    ]
    assert [v.name for v in form.fields["volunteer"].queryset] == ["钱六平"]


# ---------- Adding and editing a household ----------


def test_clerk_adds_a_household_to_their_community(client, users, tree):
    client.force_login(users["clerk"])

    response = client.post(
        url("household_add"),
        {
            "household_name": " 王老五 ",
            "phone": "+86 138-1234-5678",
            "category": "low_income",
            "help_schooling": "on",
            "active": "on",
        },
        follow=True,
    )

    household = AssistedHousehold.objects.get()
    assert (
        household.community,
        household.household_name,
        household.phone,
        household.category,
        household.help_hardship,
        household.help_medical,
        household.help_schooling,
        household.active,
    ) == (tree["home"], "王老五", "+86 138-1234-5678", "low_income", False, False, True, True)
    assert response.redirect_chain == [(url("household_detail", pk=household.pk), 302)]
    assert [str(m) for m in response.context["messages"]] == ["The household was added."]


def test_adding_without_any_help_says_so_and_keeps_the_input(client, users):
    client.force_login(users["clerk"])

    response = client.post(
        url("household_add"),
        {"household_name": "王老五", "phone": "0571-1234", "category": "elderly"},
    )

    assert response.status_code == 200
    assert error_summary(response) == [
        "Help with hardship (助困): Tick at least one kind of help needed."
    ]
    assert response.context["form"]["household_name"].value() == "王老五"
    assert 'value="0571-1234"' in response.content.decode()
    assert AssistedHousehold.objects.count() == 0


@pytest.mark.parametrize("phone", ["138abc5678", "--", "138/1234", "12+34"])
def test_adding_with_a_bad_phone_says_what_is_allowed(client, users, phone):
    client.force_login(users["clerk"])

    response = client.post(
        url("household_add"),
        {"household_name": "王老五", "phone": phone, "category": "elderly", "help_hardship": "on"},
    )

    assert error_summary(response) == [
        "Phone: Enter the phone number with digits only; spaces, dashes and a leading + "
        "are allowed."
    ]
    assert AssistedHousehold.objects.count() == 0


def test_adding_without_name_or_category_says_so(client, users):
    client.force_login(users["clerk"])

    response = client.post(url("household_add"), {"help_hardship": "on"})

    assert error_summary(response) == [
        "Household name: Enter the household's name.",
        "Category: Choose the household's category.",
    ]


def test_county_edits_a_household(client, users, household):
    client.force_login(users["county"])
    form = client.get(url("household_edit", pk=household.pk)).context["form"]
    assert form["household_name"].value() == FULL_NAME

    response = client.post(
        url("household_edit", pk=household.pk),
        {
            "household_name": FULL_NAME,
            "phone": "",
            "category": "entitled",
            "help_medical": "on",
        },
    )

    assert response.status_code == 302
    household.refresh_from_db()
    assert (
        household.phone,
        household.category,
        household.help_hardship,
        household.help_medical,
        household.active,
    ) == ("", "entitled", False, True, False)
    assert household.community.code == "home"


# ---------- Helpers ----------


def test_pairing_a_unit_and_a_volunteer(client, users, household, tree):
    unit = make_unit(name="县供电公司")
    volunteer = make_volunteer(community=tree["home"])
    client.force_login(users["clerk"])

    by_unit = client.post(
        url("helper_add", pk=household.pk),
        {"pair-co_building_unit": unit.pk, "pair-started_on": "2025-01-01"},
    )
    by_volunteer = client.post(
        url("helper_add", pk=household.pk),
        {"pair-volunteer": volunteer.pk, "pair-started_on": "2025-02-01"},
        follow=True,
    )

    assert by_unit["Location"] == url("household_detail", pk=household.pk) + "#helpers"
    assert [str(m) for m in by_volunteer.context["messages"]] == [
        "The helper was paired with the household.",
        "The helper was paired with the household.",
    ]
    assert list(
        HelperPairing.objects.order_by("started_on").values_list(
            "household", "co_building_unit", "volunteer", "started_on", "ended_on"
        )
    ) == [
        (household.pk, unit.pk, None, datetime.date(2025, 1, 1), None),
        (household.pk, None, volunteer.pk, datetime.date(2025, 2, 1), None),
    ]


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        ({}, ["Choose a co-building unit or a volunteer as the helper."]),
        (
            {"unit": True, "volunteer": True},
            ["Choose either a co-building unit or a volunteer, not both."],
        ),
        ({"unit": True, "started_on": ""}, ["Paired since: This field is required."]),
        (
            {"unit": True, "started_on": "2025-13-01"},
            ["Paired since: Enter a date as YYYY-MM-DD, e.g. 2026-10-08."],
        ),
        (
            {"far_volunteer": True},
            [
                "or a volunteer: Select a valid choice. "
                "That choice is not one of the available choices."
            ],
        ),
        (
            {"unit": True, "again": True},
            ["Co-building unit: This unit is already paired with the household."],
        ),
    ],
)
def test_pairing_problems_are_explained(client, users, household, tree, data, expected):
    unit = make_unit(name="县供电公司")
    volunteer = make_volunteer(community=tree["home"])
    far_volunteer = make_volunteer(community=tree["far"])
    if data.get("again"):
        HelperPairing.objects.create(
            household=household, co_building_unit=unit, started_on=datetime.date(2024, 1, 1)
        )
    post = {"pair-started_on": data.get("started_on", "2025-01-01")}
    if data.get("unit"):
        post["pair-co_building_unit"] = unit.pk
    if data.get("volunteer"):
        post["pair-volunteer"] = volunteer.pk
    if data.get("far_volunteer"):
        post["pair-volunteer"] = far_volunteer.pk
    before = HelperPairing.objects.count()
    client.force_login(users["clerk"])

    response = client.post(url("helper_add", pk=household.pk), post)

    assert response.status_code == 200
    assert error_summary(response) == expected
    assert response.context["pairing_form"]["started_on"].value() == post["pair-started_on"]
    assert HelperPairing.objects.count() == before


@pytest.mark.parametrize(
    ("ended_on", "expected"),
    [
        (TODAY + datetime.timedelta(days=1), "Paired until: The end date cannot be in the future."),
        (
            datetime.date(2024, 1, 1),
            "Paired until: A pairing must end after it started (1 January 2024).",
        ),
    ],
)
def test_ending_a_pairing_checks_the_date(client, users, household, ended_on, expected):
    pairing = HelperPairing.objects.create(
        household=household, co_building_unit=make_unit(), started_on=datetime.date(2024, 1, 1)
    )
    client.force_login(users["clerk"])

    response = client.post(
        url("helper_end", pk=household.pk, pairing_pk=pairing.pk),
        {f"end-{pairing.pk}-ended_on": ended_on.isoformat()},
    )

    assert error_summary(response) == [expected]
    assert f'value="{ended_on.isoformat()}"' in response.content.decode()
    pairing.refresh_from_db()
    assert pairing.ended_on is None


def test_ending_a_pairing_twice_says_it_has_ended(client, users, household):
    pairing = HelperPairing.objects.create(
        household=household,
        co_building_unit=make_unit(),
        started_on=datetime.date(2024, 1, 1),
        ended_on=datetime.date(2024, 6, 1),
    )
    client.force_login(users["clerk"])

    response = client.post(
        url("helper_end", pk=household.pk, pairing_pk=pairing.pk),
        {f"end-{pairing.pk}-ended_on": TODAY.isoformat()},
    )

    assert error_summary(response) == ["This pairing has already ended."]
    pairing.refresh_from_db()
    assert pairing.ended_on == datetime.date(2024, 6, 1)


# ---------- Visits ----------


def test_recording_a_visit(client, users, household, tree):
    volunteer = make_volunteer(community=tree["home"])
    client.force_login(users["clerk"])
    form = client.get(url("visit_add", pk=household.pk)).context["form"]
    assert (form["visited_on"].value(), form["kind"].value()) == (TODAY, "hardship")

    response = client.post(
        url("visit_add", pk=household.pk),
        {
            "visited_on": TODAY.isoformat(),
            "kind": "medical",
            "by_volunteer": volunteer.pk,
            "hours": "1.5",
            "note": " 陪同就医 ",
        },
        follow=True,
    )

    assert response.redirect_chain == [(url("household_detail", pk=household.pk) + "#visits", 302)]
    assert [str(m) for m in response.context["messages"]] == ["The visit was recorded."]
    assert list(
        AssistanceVisit.objects.values_list(
            "household", "visited_on", "kind", "by_volunteer", "hours", "note"
        )
    ) == [(household.pk, TODAY, "medical", volunteer.pk, Decimal("1.50"), "陪同就医")]


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        (
            {"visited_on": (TODAY + datetime.timedelta(days=1)).isoformat()},
            ["Visit date: The visit date cannot be in the future."],
        ),
        ({"hours": "-1"}, ["Hours: Enter the hours as 0 or more."]),
        ({"hours": "many"}, ["Hours: Enter a number."]),
        (
            {"kind": "food"},
            ["Help given: Select a valid choice. food is not one of the available choices."],
        ),
        ({"visited_on": ""}, ["Visit date: This field is required."]),
        (
            {"by_volunteer": "far"},
            ["Volunteer: Select a valid choice. That choice is not one of the available choices."],
        ),
    ],
)
def test_visit_problems_are_explained_and_the_input_kept(
    client, users, household, tree, change, expected
):
    far_volunteer = make_volunteer(community=tree["far"])
    data = {"visited_on": "2025-01-02", "kind": "hardship", "hours": "2", "note": "送米送油"}
    data.update(change)
    if data.get("by_volunteer") == "far":
        data["by_volunteer"] = far_volunteer.pk
    client.force_login(users["clerk"])

    response = client.post(url("visit_add", pk=household.pk), data)

    assert response.status_code == 200
    assert error_summary(response) == expected
    assert "送米送油</textarea>" in response.content.decode()
    assert AssistanceVisit.objects.count() == 0


def test_visit_list_shows_one_month_masked_with_totals(client, users, household, tree):
    volunteer = make_volunteer(community=tree["home"], name="钱六平")
    other = make_household(community=tree["home"], household_name="李四光")
    october = datetime.date(2025, 10, 1)
    AssistanceVisit.objects.create(
        household=household, visited_on=datetime.date(2025, 10, 3), kind="hardship", hours=2
    )
    AssistanceVisit.objects.create(
        household=other,
        visited_on=datetime.date(2025, 10, 31),
        kind="schooling",
        by_volunteer=volunteer,
        hours=Decimal("1.5"),
    )
    AssistanceVisit.objects.create(
        household=household, visited_on=datetime.date(2025, 11, 1), kind="hardship"
    )
    AssistanceVisit.objects.create(
        household=make_household(community=tree["neighbour"]),
        visited_on=datetime.date(2025, 10, 5),
        kind="hardship",
    )
    client.force_login(users["clerk"])

    response = client.get(url("visit_list"), {"month": f"{october:%Y-%m}"})

    assert body_rows(response) == [
        [
            table_date(datetime.date(2025, 10, 31)),
            "李*光",
            "Help with schooling (助学)",
            "钱*平",
            "1.50",
        ],
        [table_date(datetime.date(2025, 10, 3)), "张*明", "Help with hardship (助困)", "—", "2.00"],
    ]
    content = response.content.decode()
    assert "2 visits, 3.50 hours" in content
    assert FULL_NAME not in content
    assert "李四光" not in content
    assert "钱六平" not in content


def test_visit_list_filters_by_kind_and_defaults_to_this_month(client, users, household):
    AssistanceVisit.objects.create(household=household, visited_on=TODAY, kind="hardship")
    AssistanceVisit.objects.create(household=household, visited_on=TODAY, kind="medical")
    AssistanceVisit.objects.create(
        household=household, visited_on=add_months(month_start(TODAY), -1), kind="medical"
    )
    client.force_login(users["clerk"])

    this_month = client.get(url("visit_list"))
    medical = client.get(url("visit_list"), {"kind": HelpKind.MEDICAL})

    assert len(body_rows(this_month)) == 2
    assert [row[2] for row in body_rows(medical)] == ["Help with medical care (助医)"]
    assert this_month.context["month"] == month_start(TODAY)


def test_visit_list_explains_a_bad_month(client, users, household):
    AssistanceVisit.objects.create(household=household, visited_on=TODAY, kind="hardship")
    client.force_login(users["clerk"])

    response = client.get(url("visit_list"), {"month": "October"})

    assert response.status_code == 200
    assert "Enter a month as YYYY-MM, e.g. 2026-10." in response.content.decode()
    assert tables(response) == []
