"""No typing twice: the monthly return starts from what the service records say."""

import datetime
from decimal import Decimal
from html.parser import HTMLParser

import pytest
from django.conf import settings
from django.utils import timezone

from chunan_community.months import add_months, month_end, month_start
from communities.models import MonthlyReturn, ReturnValue, Role
from communities.returns import domain
from communities.returns.prefill import prefill_for
from services.domain import service_record
from services.models import (
    AssistanceVisit,
    HelperPairing,
    HelpKind,
    ReemploymentOutcome,
    TrainingClass,
    Volunteer,
)
from tests.factories import (
    make_community,
    make_group,
    make_household,
    make_indicator,
    make_user,
    make_volunteer,
)

# The moment this module's dates are built for: each test keeps it, should the run cross
# midnight or a month's end (`.ci/run` moves the clock of a run to such days).
NOW = timezone.localtime()
pytestmark = [pytest.mark.django_db, pytest.mark.time_machine(NOW, tick=False)]

# Last month: still open for the clerk, as on the return pages' own tests.
MONTH = add_months(month_start(NOW.date()), -1)
END = month_end(MONTH)
DAY = datetime.timedelta(days=1)
BEFORE = MONTH - DAY  # the last day of the month before
AFTER = END + DAY  # the first day of the month after
URL = f"/returns/home/{MONTH:%Y-%m}/"

CODES = [
    "households_in_difficulty_paired",
    "help_visits_hardship",
    "help_visits_medical",
    "help_visits_schooling",
    "registered_volunteers",
    "inservice_party_members",
    "volunteer_hours",
    "training_classes",
    "trainees",
    "reemployed",
]
# What the records below say for MONTH in `home`.
EXPECTED = {
    "households_in_difficulty_paired": Decimal(2),
    "help_visits_hardship": Decimal(2),
    "help_visits_medical": Decimal(1),
    "help_visits_schooling": Decimal(0),
    "registered_volunteers": Decimal(2),
    "inservice_party_members": Decimal(1),
    "volunteer_hours": Decimal("5.50"),
    "training_classes": Decimal(1),
    "trainees": Decimal(12),
    "reemployed": Decimal(4),
}


@pytest.fixture
def catalogue(db):
    group = make_group(code="services", name_en="Services")
    return {
        code: make_indicator(
            code=code,
            group=group,
            name_en=code.replace("_", " ").capitalize(),
            value_type="decimal" if code == "volunteer_hours" else "integer",
        )
        for code in CODES
    }


@pytest.fixture
def home(db):
    return make_community(code="home")


@pytest.fixture
def clerk(home):
    return make_user(Role.CLERK, community=home, username="clerk")


def _paired(household, volunteer, started_on, ended_on=None):
    return HelperPairing.objects.create(
        household=household, volunteer=volunteer, started_on=started_on, ended_on=ended_on
    )


def _visit(household, on, kind):
    return AssistanceVisit.objects.create(household=household, visited_on=on, kind=kind)


def _class(community, starts_on, trainees, name="家政服务技能培训班"):
    return TrainingClass.objects.create(
        community=community,
        name=name,
        starts_on=starts_on,
        ends_on=starts_on + datetime.timedelta(days=5),
        trainees=trainees,
    )


@pytest.fixture
def records(home, clerk):
    """Records of `home` inside MONTH, on its edges, outside it, and of another community."""
    other = make_community(code="other")
    long_ago = MONTH - datetime.timedelta(days=400)

    resident = make_volunteer(community=home, registered_on=long_ago)
    member = make_volunteer(community=home, kind=Volunteer.Kind.PARTY_MEMBER, registered_on=END)
    make_volunteer(community=home, kind=Volunteer.Kind.PARTY_MEMBER, registered_on=AFTER)
    make_volunteer(community=home, registered_on=long_ago, active=False)
    stranger = make_volunteer(community=other, registered_on=long_ago)

    running = make_household(community=home)
    _paired(running, resident, long_ago)
    ended = make_household(community=home, help_medical=True)
    _paired(ended, resident, long_ago, ended_on=BEFORE)
    until_month_end = make_household(community=home, help_schooling=True)
    _paired(until_month_end, member, long_ago, ended_on=END)
    _paired(make_household(community=home, active=False), resident, long_ago)
    _paired(make_household(community=home), resident, AFTER)
    elsewhere = make_household(community=other)
    _paired(elsewhere, stranger, long_ago)

    _visit(running, MONTH, HelpKind.HARDSHIP)
    _visit(running, END, HelpKind.HARDSHIP)
    _visit(running, BEFORE, HelpKind.HARDSHIP)
    _visit(ended, MONTH + datetime.timedelta(days=14), HelpKind.MEDICAL)
    _visit(until_month_end, AFTER, HelpKind.SCHOOLING)
    _visit(elsewhere, MONTH, HelpKind.HARDSHIP)

    service_record(volunteer=resident, served_on=MONTH, hours="2.5", activity="助老", by=clerk)
    service_record(volunteer=member, served_on=END, hours="3", activity="助老", by=clerk)
    service_record(volunteer=resident, served_on=BEFORE, hours="4", activity="助老", by=clerk)
    service_record(volunteer=stranger, served_on=MONTH, hours="5", activity="助老", by=clerk)

    _class(home, MONTH + datetime.timedelta(days=2), 12)
    _class(home, BEFORE - datetime.timedelta(days=10), 20)
    _class(home, AFTER, 15)
    _class(other, MONTH, 30)

    ReemploymentOutcome.objects.create(community=home, month=MONTH, reemployed=4)
    ReemploymentOutcome.objects.create(community=home, month=add_months(MONTH, -1), reemployed=9)
    ReemploymentOutcome.objects.create(community=other, month=MONTH, reemployed=7)


# ---------- The figures ----------


def test_prefill_counts_the_month_of_the_community_only(catalogue, home, records):
    assert prefill_for(home, MONTH) == EXPECTED


def test_prefill_counts_the_next_month_from_the_same_records(catalogue, home, records):
    # The volunteer registered AFTER and the household paired AFTER now count; a month with
    # no re-employment figure gives none.
    expected = {
        **EXPECTED,
        "households_in_difficulty_paired": Decimal(2),
        "help_visits_hardship": Decimal(0),
        "help_visits_medical": Decimal(0),
        "help_visits_schooling": Decimal(1),
        "registered_volunteers": Decimal(3),
        "inservice_party_members": Decimal(2),
        "volunteer_hours": Decimal("0.00"),
        "training_classes": Decimal(1),
        "trainees": Decimal(15),
    }
    del expected["reemployed"]

    assert prefill_for(home, add_months(MONTH, 1)) == expected


def test_prefill_gives_nothing_where_no_records_are_kept(catalogue, home):
    assert prefill_for(home, MONTH) == {}


def test_prefill_leaves_out_indicators_not_in_force(catalogue, home, records):
    catalogue["trainees"].active_to = add_months(MONTH, -1)
    catalogue["trainees"].save()

    figures = prefill_for(home, MONTH)

    assert "trainees" not in figures
    assert figures["training_classes"] == Decimal(1)


@pytest.mark.parametrize("count", [3, 30])
def test_prefill_queries_constant_in_records(
    catalogue, home, clerk, django_assert_num_queries, count
):
    for n in range(count):
        volunteer = make_volunteer(community=home, registered_on=MONTH)
        household = make_household(community=home)
        _paired(household, volunteer, MONTH)
        _visit(household, MONTH, HelpKind.MEDICAL)
        service_record(volunteer=volunteer, served_on=MONTH, hours=1, activity="助老", by=clerk)
        _class(home, MONTH, 10, name=f"培训班{n}")

    # The indicators in force, then one aggregate per kind of record.
    with django_assert_num_queries(7):
        figures = prefill_for(home, MONTH)

    assert figures["registered_volunteers"] == figures["help_visits_medical"] == count


# ---------- The return page ----------


class _Fields(HTMLParser):
    """Each input's attributes by name, and the text of each element with an id."""

    def __init__(self, html):
        super().__init__()
        self.inputs, self.texts, self._open = {}, {}, []
        self.feed(html)

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "input" and "name" in attrs:
            self.inputs[attrs["name"]] = attrs
        elif "id" in attrs:
            self._open.append([attrs["id"], tag, ""])

    def handle_endtag(self, tag):
        if self._open and self._open[-1][1] == tag:
            element, _tag, text = self._open.pop()
            self.texts[element] = " ".join(text.split())
            if self._open:
                self._open[-1][2] += text

    def handle_data(self, data):
        if self._open:
            self._open[-1][2] += data


def _page(client, user):
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    client.force_login(user)
    response = client.get(URL)
    assert response.status_code == 200
    return _Fields(response.content.decode())


def _value(page, code):
    return page.inputs[f"v_{code}"].get("value")


def _note(page, code):
    return page.texts.get(f"id_v_{code}_records")


def test_return_page_new_return_starts_from_the_records(client, catalogue, clerk, records):
    page = _page(client, clerk)

    assert {code: _value(page, code) for code in CODES} == {
        "households_in_difficulty_paired": "2",
        "help_visits_hardship": "2",
        "help_visits_medical": "1",
        "help_visits_schooling": "0",
        "registered_volunteers": "2",
        "inservice_party_members": "1",
        "volunteer_hours": "5.50",
        "training_classes": "1",
        "trainees": "12",
        "reemployed": "4",
    }
    assert _note(page, "help_visits_hardship") == "From the service records: 2"
    assert _note(page, "volunteer_hours") == "From the service records: 5.50"
    assert page.texts["records-note"] == (
        "Figures marked “From the service records” come from the service records; check "
        "them and save to confirm. Nothing is stored until you save."
    )
    assert page.inputs["v_help_visits_hardship"]["aria-describedby"] == (
        "id_v_help_visits_hardship_records"
    )
    # Nothing is stored until the clerk saves.
    assert MonthlyReturn.objects.count() == 0


def test_return_page_keeps_stored_figures_and_fills_only_blanks(
    client, catalogue, home, clerk, records
):
    domain.return_save(
        community=home,
        period=MONTH,
        values={
            catalogue["help_visits_hardship"].pk: Decimal(5),  # differs from the records
            catalogue["help_visits_medical"].pk: None,  # blank
            catalogue["reemployed"].pk: Decimal(4),  # as the records say
        },
        version=0,
        by=clerk,
    )

    page = _page(client, clerk)

    assert _value(page, "help_visits_hardship") == "5"
    assert _note(page, "help_visits_hardship") == "Service records say 2"
    assert _value(page, "help_visits_medical") == "1"
    assert _note(page, "help_visits_medical") == "From the service records: 1"
    assert _value(page, "reemployed") == "4"
    assert _note(page, "reemployed") is None
    # Shown, not saved: the blank stays blank until the clerk saves.
    stored = dict(
        ReturnValue.objects.filter(value__isnull=False).values_list("indicator__code", "value")
    )
    assert stored == {"help_visits_hardship": Decimal(5), "reemployed": Decimal(4)}


def test_return_page_saving_the_prefilled_figures_confirms_them(
    client, catalogue, home, clerk, records
):
    page = _page(client, clerk)
    data = {name: attrs.get("value", "") for name, attrs in page.inputs.items()}

    response = client.post(URL, {**data, "action": "save"})

    assert response.status_code == 302
    stored = dict(ReturnValue.objects.values_list("indicator__code", "value"))
    assert stored == EXPECTED
    page = _page(client, clerk)
    assert [code for code in CODES if _note(page, code)] == []
    assert "records-note" not in page.texts


def test_return_page_read_only_shows_no_records(client, catalogue, home, records):
    township = make_user(Role.TOWNSHIP, township=home.township, username="township")

    page = _page(client, township)

    assert [code for code in CODES if _note(page, code)] == []
    assert "records-note" not in page.texts
