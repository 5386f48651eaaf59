"""Re-employment and social security pages: training classes, processing work (来料加工),
monthly re-employment outcomes. Not personal data: the community's keepers (its clerk,
its township, the county) view and record them."""

import datetime
import html
import re
from decimal import Decimal
from types import SimpleNamespace

import pytest
from django.conf import settings
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format

from chunan_community.months import add_months, month_start
from services.models import ProcessingProject, ReemploymentOutcome, TrainingClass
from tests.html import tables

# The moment this module's dates are built for: each test keeps it, should the run cross
# midnight or a month's end (`.ci/run` moves the clock of a run to such days).
NOW = timezone.localtime()
pytestmark = [pytest.mark.django_db, pytest.mark.time_machine(NOW, tick=False)]

TODAY = NOW.date()
THIS_MONTH = month_start(TODAY)


@pytest.fixture(autouse=True)
def english_pages(client):
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"


def url(name, code="home", **kwargs):
    return reverse(f"services:{name}", kwargs={"code": code, **kwargs})


def table_date(day: datetime.date) -> str:
    """A date as tables print it, in both languages (SHORT_DATE_FORMAT)."""
    return date_format(day, "SHORT_DATE_FORMAT")


def training(community, name="电工培训", starts_on=datetime.date(2025, 3, 1), **kwargs):
    kwargs.setdefault("ends_on", starts_on + datetime.timedelta(days=30))
    kwargs.setdefault("trainees", 20)
    kwargs.setdefault("completions", 15)
    return TrainingClass.objects.create(
        community=community, name=name, starts_on=starts_on, **kwargs
    )


def project(community, name="竹编加工", year=2025, **kwargs):
    kwargs.setdefault("participants", 12)
    kwargs.setdefault("income_yuan", Decimal("36000.00"))
    return ProcessingProject.objects.create(community=community, name=name, year=year, **kwargs)


def outcome(community, month=datetime.date(2025, 3, 1), reemployed=4):
    return ReemploymentOutcome.objects.create(
        community=community, month=month, reemployed=reemployed
    )


def table(response, table_id):
    """The body rows of the table with this id."""
    content = response.content.decode()
    start = content.index(f'id="{table_id}"')
    start = content.rindex("<table", 0, start)
    end = content.index("</table>", start) + len("</table>")
    return tables(SimpleNamespace(content=content[start:end].encode()))[0]["tbody"]


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
    "township": 200,
    "other_township": 404,
    "other_clerk": 404,
    "judge": 403,
    "no_role": 403,
}


@pytest.fixture
def records(tree):
    home = tree["home"]
    return {
        "training": training(home),
        "processing": project(home),
        "outcome": outcome(home),
    }


def page_urls(records):
    return {
        "employment": url("employment"),
        "training_add": url("training_add"),
        "processing_add": url("processing_add"),
        "outcome_add": url("outcome_add"),
        "training_edit": url("training_edit", pk=records["training"].pk),
        "processing_edit": url("processing_edit", pk=records["processing"].pk),
        "outcome_edit": url("outcome_edit", pk=records["outcome"].pk),
    }


PAGES = [
    "employment",
    "training_add",
    "processing_add",
    "outcome_add",
    "training_edit",
    "processing_edit",
    "outcome_edit",
]


@pytest.mark.parametrize("who", sorted(EXPECTED))
@pytest.mark.parametrize("page", PAGES)
def test_employment_pages_open_for_the_communitys_keepers(client, users, records, who, page):
    client.force_login(users[who])

    response = client.get(page_urls(records)[page])

    assert response.status_code == EXPECTED[who]


@pytest.mark.parametrize("page", PAGES)
def test_employment_pages_send_anonymous_visitors_to_login(client, records, page):
    target = page_urls(records)[page]

    response = client.get(target)

    assert response.status_code == 302
    assert response["Location"] == f"{reverse('login')}?next={target}"


@pytest.mark.parametrize("who", sorted(EXPECTED))
def test_recording_follows_the_same_matrix(client, users, tree, who):
    client.force_login(users[who])

    response = client.post(url("outcome_add"), {"month": "2025-04", "reemployed": "3"})

    expected = EXPECTED[who]
    assert response.status_code == (302 if expected == 200 else expected)
    assert ReemploymentOutcome.objects.filter(community=tree["home"]).count() == (
        1 if expected == 200 else 0
    )


@pytest.mark.parametrize("kind", ["training", "processing", "outcome"])
def test_another_communitys_record_under_this_code_is_404(client, users, tree, kind):
    far = {
        "training": training(tree["far"]),
        "processing": project(tree["far"]),
        "outcome": outcome(tree["far"]),
    }[kind]
    client.force_login(users["county"])

    shown = client.get(url(f"{kind}_edit", pk=far.pk))
    posted = client.post(url(f"{kind}_edit", pk=far.pk), {})

    assert (shown.status_code, posted.status_code) == (404, 404)


# ---------- The overview ----------


def test_overview_lists_each_kind_with_totals_per_year(client, users, tree):
    home = tree["home"]
    training(home, "电工培训", datetime.date(2025, 3, 1), trainees=20, completions=15)
    training(home, "家政培训", datetime.date(2025, 9, 1), trainees=10, completions=10)
    training(home, "电脑培训", datetime.date(2024, 5, 1), trainees=0, completions=0)
    training(tree["neighbour"], "别处培训", datetime.date(2025, 3, 1))
    project(home, "竹编加工", 2025, participants=12, income_yuan=Decimal("36000"))
    project(home, "服装加工", 2025, participants=8, income_yuan=Decimal("1234.5"))
    project(home, "竹编加工", 2024, participants=5, income_yuan=Decimal("9000"))
    outcome(home, datetime.date(2025, 3, 1), 4)
    outcome(home, datetime.date(2025, 1, 1), 2)
    outcome(home, datetime.date(2024, 12, 1), 7)
    client.force_login(users["township"])

    response = client.get(url("employment"))

    edit = "Edit"
    assert table(response, "training-table") == [
        [
            "家政培训",
            table_date(datetime.date(2025, 9, 1)),
            table_date(datetime.date(2025, 10, 1)),
            "10",
            "10",
            "100.0%",
            f"{edit} 家政培训",
        ],
        [
            "电工培训",
            table_date(datetime.date(2025, 3, 1)),
            table_date(datetime.date(2025, 3, 31)),
            "20",
            "15",
            "75.0%",
            f"{edit} 电工培训",
        ],
        [
            "电脑培训",
            table_date(datetime.date(2024, 5, 1)),
            table_date(datetime.date(2024, 5, 31)),
            "0",
            "0",
            "—",
            f"{edit} 电脑培训",
        ],
    ]
    assert table(response, "training-totals") == [
        ["2025", "2", "30", "25", "83.3%"],
        ["2024", "1", "0", "0", "—"],
    ]
    assert table(response, "processing-table") == [
        ["服装加工", "2025", "8", "1,234.50", "Edit 服装加工"],
        ["竹编加工", "2025", "12", "36,000.00", "Edit 竹编加工"],
        ["竹编加工", "2024", "5", "9,000.00", "Edit 竹编加工"],
    ]
    assert table(response, "processing-totals") == [
        ["2025", "2", "20", "37,234.50"],
        ["2024", "1", "5", "9,000.00"],
    ]
    assert table(response, "outcomes-table") == [
        ["March 2025", "4", "Edit March 2025"],
        ["January 2025", "2", "Edit January 2025"],
        ["December 2024", "7", "Edit December 2024"],
    ]
    assert table(response, "outcome-totals") == [["2025", "2", "6"], ["2024", "1", "7"]]


def test_overview_filters_by_year(client, users, tree):
    home = tree["home"]
    training(home, "电工培训", datetime.date(2025, 3, 1))
    training(home, "电脑培训", datetime.date(2024, 5, 1))
    project(home, "竹编加工", 2024)
    outcome(home, datetime.date(2025, 3, 1), 4)
    client.force_login(users["clerk"])

    response = client.get(url("employment"), {"year": "2024"})

    assert [row[0] for row in table(response, "training-table")] == ["电脑培训"]
    assert [row[0] for row in table(response, "training-totals")] == ["2024"]
    assert [row[0] for row in table(response, "processing-table")] == ["竹编加工"]
    assert "No month's re-employment is recorded." in html.unescape(response.content.decode())
    assert [label for _value, label in response.context["year_form"].fields["year"].choices] == [
        "All years",
        2025,
        2024,
    ]


def test_overview_explains_an_unknown_year(client, users, tree):
    training(tree["home"])
    client.force_login(users["clerk"])

    response = client.get(url("employment"), {"year": "1990"})

    assert response.status_code == 200
    assert "Select a valid choice. 1990 is not one of the available choices." in html.unescape(
        response.content.decode()
    )
    assert "No training class is recorded." in response.content.decode()


def test_each_list_pages_on_its_own(client, users, tree):
    home = tree["home"]
    for n in range(settings.PAGE_SIZE + 3):
        training(home, f"培训{n:02}", datetime.date(2025, 1, 1))
        project(home, f"加工{n:02}", 2025)
    client.force_login(users["clerk"])

    response = client.get(url("employment"), {"training_page": "2"})

    assert [row[0] for row in table(response, "training-table")] == [
        f"培训{n:02}" for n in range(settings.PAGE_SIZE, settings.PAGE_SIZE + 3)
    ]
    assert len(table(response, "processing-table")) == settings.PAGE_SIZE
    assert response.context["processing"].page.number == 1
    assert response.context["processing"].next_url == (
        "?training_page=2&processing_page=2#processing"
    )


def test_overview_queries_do_not_grow_with_rows(client, users, tree):
    home = tree["home"]
    client.force_login(users["clerk"])

    def add(start, count):
        for n in range(start, start + count):
            training(home, f"培训{n:02}", datetime.date(2020 + n % 5, 1, 1))
            project(home, f"加工{n:02}", 2020 + n % 5)
            outcome(home, add_months(datetime.date(2020, 1, 1), n), n)

    def queries():
        with CaptureQueriesContext(connection) as captured:
            response = client.get(url("employment"))
        assert response.status_code == 200
        return len(captured)

    add(0, 3)
    few = queries()
    add(3, 27)
    many = queries()

    assert few == many


# ---------- Recording ----------


def test_adding_a_training_class(client, users, tree):
    client.force_login(users["township"])

    response = client.post(
        url("training_add"),
        {
            "name": " 电工培训 ",
            "starts_on": "2025-03-01",
            "ends_on": "2025-03-01",
            "trainees": "20",
            "completions": "20",
        },
        follow=True,
    )

    assert response.redirect_chain == [(url("employment") + "#training", 302)]
    assert [str(m) for m in response.context["messages"]] == ["The training class was saved."]
    assert list(
        TrainingClass.objects.values_list(
            "community", "name", "starts_on", "ends_on", "trainees", "completions"
        )
    ) == [
        (
            tree["home"].pk,
            "电工培训",
            datetime.date(2025, 3, 1),
            datetime.date(2025, 3, 1),
            20,
            20,
        )
    ]


def test_training_class_problems_are_explained_together_and_the_input_kept(client, users, tree):
    training(tree["home"], "电工培训", datetime.date(2025, 3, 1))
    client.force_login(users["clerk"])

    response = client.post(
        url("training_add"),
        {
            "name": "电工培训",
            "starts_on": "2025-03-01",
            "ends_on": "2025-02-28",
            "trainees": "10",
            "completions": "12",
        },
    )

    assert response.status_code == 200
    assert error_summary(response) == [
        "Name of the class: A class of this name starting on this date is already recorded.",
        "Ends on: The class cannot end before it starts (1 March 2025).",
        "Completed: Completions (12) cannot be more than trainees (10).",
    ]
    content = response.content.decode()
    assert 'value="2025-02-28"' in content
    assert 'value="12"' in content
    assert TrainingClass.objects.count() == 1


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        ({"trainees": "-1"}, ["Trainees: Enter 0 or more."]),
        ({"starts_on": "March"}, ["Starts on: Enter a date as YYYY-MM-DD, e.g. 2026-10-08."]),
        ({"name": ""}, ["Name of the class: This field is required."]),
    ],
)
def test_training_class_bad_input(client, users, change, expected):
    data = {
        "name": "电工培训",
        "starts_on": "2025-03-01",
        "ends_on": "2025-03-10",
        "trainees": "10",
        "completions": "5",
    }
    data.update(change)
    client.force_login(users["clerk"])

    response = client.post(url("training_add"), data)

    assert error_summary(response) == expected
    assert TrainingClass.objects.count() == 0


def test_editing_a_training_class_keeps_its_community(client, users, tree):
    training_class = training(tree["home"], "电工培训", datetime.date(2025, 3, 1))
    client.force_login(users["county"])
    form = client.get(url("training_edit", pk=training_class.pk)).context["form"]
    assert form["starts_on"].value() == datetime.date(2025, 3, 1)

    response = client.post(
        url("training_edit", pk=training_class.pk),
        {
            "name": "电工培训",
            "starts_on": "2025-03-01",
            "ends_on": "2025-04-30",
            "trainees": "25",
            "completions": "24",
        },
    )

    assert response.status_code == 302
    training_class.refresh_from_db()
    assert (
        training_class.community,
        training_class.ends_on,
        training_class.trainees,
        training_class.completions,
    ) == (tree["home"], datetime.date(2025, 4, 30), 25, 24)


def test_adding_and_editing_a_processing_project(client, users, tree):
    project(tree["home"], "竹编加工", 2024)
    client.force_login(users["clerk"])
    assert client.get(url("processing_add")).context["form"]["year"].value() == TODAY.year

    added = client.post(
        url("processing_add"),
        {"name": "竹编加工", "year": "2025", "participants": "9", "income_yuan": "1234.50"},
    )
    created = ProcessingProject.objects.get(year=2025)
    duplicate = client.post(
        url("processing_edit", pk=created.pk),
        {"name": "竹编加工", "year": "2024", "participants": "9", "income_yuan": "-1"},
    )

    assert added["Location"] == url("employment") + "#processing"
    assert (created.community, created.participants, created.income_yuan) == (
        tree["home"],
        9,
        Decimal("1234.50"),
    )
    assert error_summary(duplicate) == ["Income (yuan): Enter the income as 0 or more."]
    duplicate = client.post(
        url("processing_edit", pk=created.pk),
        {"name": "竹编加工", "year": "2024", "participants": "9", "income_yuan": "0"},
    )
    assert error_summary(duplicate) == [
        "Name of the project: A project of this name is already recorded for this year."
    ]
    created.refresh_from_db()
    assert created.year == 2025


def test_recording_a_month_stores_its_first_day(client, users, tree):
    client.force_login(users["clerk"])
    assert client.get(url("outcome_add")).context["form"]["month"].value() == f"{THIS_MONTH:%Y-%m}"

    response = client.post(url("outcome_add"), {"month": "2025-04", "reemployed": "3"})

    assert response["Location"] == url("employment") + "#outcomes"
    assert list(ReemploymentOutcome.objects.values_list("community", "month", "reemployed")) == [
        (tree["home"].pk, datetime.date(2025, 4, 1), 3)
    ]


def test_a_month_already_recorded_is_explained_not_a_server_error(client, users, tree):
    outcome(tree["home"], datetime.date(2025, 4, 1), 3)
    client.force_login(users["clerk"])

    response = client.post(url("outcome_add"), {"month": "2025-04", "reemployed": "5"})

    assert response.status_code == 200
    assert error_summary(response) == [
        "Month: The outcome of April 2025 is already recorded: edit that month instead."
    ]
    assert 'value="2025-04"' in response.content.decode()
    assert list(ReemploymentOutcome.objects.values_list("reemployed", flat=True)) == [3]


def test_editing_a_month_may_keep_the_same_month(client, users, tree):
    recorded = outcome(tree["home"], datetime.date(2025, 4, 1), 3)
    client.force_login(users["township"])

    response = client.post(
        url("outcome_edit", pk=recorded.pk), {"month": "2025-04", "reemployed": "6"}
    )

    assert response.status_code == 302
    recorded.refresh_from_db()
    assert recorded.reemployed == 6


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        ({"month": "April", "reemployed": "1"}, ["Month: Enter a month as YYYY-MM, e.g. 2026-10."]),
        (
            {"month": f"{add_months(THIS_MONTH, 1):%Y-%m}", "reemployed": "1"},
            ["Month: The month has not begun yet."],
        ),
        ({"month": "", "reemployed": "1"}, ["Month: This field is required."]),
        ({"month": "2025-04", "reemployed": "-2"}, ["People re-employed: Enter 0 or more."]),
    ],
)
def test_month_bad_input(client, users, data, expected):
    client.force_login(users["clerk"])

    response = client.post(url("outcome_add"), data)

    assert response.status_code == 200
    assert error_summary(response) == expected
    assert ReemploymentOutcome.objects.count() == 0
