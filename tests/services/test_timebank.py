import datetime
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError

from chunan_community.errors import Refused
from services.domain import (
    service_record,
    time_bank_balance,
    time_bank_draw,
    time_bank_floor,
    time_bank_statement,
)
from services.models import ServiceRecord, TimeBankEntry, Volunteer
from tests.factories import make_community, make_household, make_user, make_volunteer

pytestmark = pytest.mark.django_db

D = Decimal


def day(month, dom):
    return datetime.date(2026, month, dom)


@pytest.fixture
def clerk():
    return make_user(username="timebank_clerk")


@pytest.fixture
def volunteer():
    return make_volunteer()


def serve(volunteer, hours, on, by, **kwargs):
    return service_record(
        volunteer=volunteer, served_on=on, hours=D(hours), activity="助老服务", by=by, **kwargs
    )


def test_service_record_deposits_its_hours(volunteer, clerk):
    household = make_household(community=volunteer.community)

    record = serve(volunteer, "2.5", day(3, 1), clerk, household=household)

    entry = TimeBankEntry.objects.get()
    assert (entry.kind, entry.hours, entry.on, entry.service_record) == (
        "deposit",
        D("2.50"),
        day(3, 1),
        record,
    )
    assert record.household == household
    assert time_bank_balance(volunteer) == D("2.50")


def test_service_record_refuses_a_household_of_another_community(volunteer, clerk):
    household = make_household(community=make_community())

    with pytest.raises(ValidationError) as error:
        serve(volunteer, "1", day(3, 1), clerk, household=household)

    assert error.value.message_dict == {
        "household": ["Choose a household of the volunteer's own community."]
    }
    assert (ServiceRecord.objects.count(), TimeBankEntry.objects.count()) == (0, 0)


@pytest.mark.parametrize("hours", ["0", "-1", "24.5"])
def test_service_record_refuses_hours_out_of_range(volunteer, clerk, hours):
    with pytest.raises(ValidationError) as error:
        serve(volunteer, hours, day(3, 1), clerk)

    assert list(error.value.message_dict) == ["hours"]
    assert TimeBankEntry.objects.count() == 0


def test_draw_within_the_balance_is_entered(volunteer, clerk):
    serve(volunteer, "3", day(3, 1), clerk)

    entry = time_bank_draw(volunteer=volunteer, hours=D("1.5"), on=day(3, 9), note="理发", by=clerk)

    assert (entry.kind, entry.hours) == ("draw", D("-1.5"))
    assert time_bank_balance(volunteer) == D("1.50")


def test_draw_beyond_the_balance_is_refused_at_the_default_floor(volunteer, clerk):
    serve(volunteer, "2", day(3, 1), clerk)

    with pytest.raises(Refused) as error:
        time_bank_draw(volunteer=volunteer, hours=D("2.5"), on=day(3, 9), by=clerk)

    assert str(error.value) == (
        "Cannot draw 2.5 hours: the balance is 2.00 hours and may not go below 0 hours."
    )
    assert time_bank_balance(volunteer) == D("2.00")


def test_draw_of_the_whole_balance_is_allowed(volunteer, clerk):
    serve(volunteer, "2", day(3, 1), clerk)

    time_bank_draw(volunteer=volunteer, hours=D("2"), on=day(3, 9), by=clerk)

    assert time_bank_balance(volunteer) == D("0.00")


def test_floor_below_zero_allows_a_small_overdraft(volunteer, clerk, settings):
    settings.TIME_BANK_FLOOR_HOURS = -2
    serve(volunteer, "1", day(3, 1), clerk)

    time_bank_draw(volunteer=volunteer, hours=D("3"), on=day(3, 9), by=clerk)
    with pytest.raises(Refused) as error:
        time_bank_draw(volunteer=volunteer, hours=D("0.5"), on=day(3, 10), by=clerk)

    assert time_bank_balance(volunteer) == D("-2.00")
    assert str(error.value) == (
        "Cannot draw 0.5 hours: the balance is -2.00 hours and may not go below -2 hours."
    )


@pytest.mark.parametrize("hours", ["0", "-1"])
def test_draw_of_no_hours_is_refused(volunteer, clerk, hours):
    with pytest.raises(ValidationError):
        time_bank_draw(volunteer=volunteer, hours=D(hours), on=day(3, 9), by=clerk)


def test_balance_of_an_empty_account_is_zero(volunteer):
    assert time_bank_balance(volunteer) == D("0")


@pytest.mark.parametrize("entries", [1, 5])
def test_balance_is_one_query(volunteer, clerk, entries, django_assert_num_queries):
    for n in range(entries):
        serve(volunteer, "1.25", day(3, n + 1), clerk)

    with django_assert_num_queries(1):
        balance = time_bank_balance(volunteer)

    assert balance == D("1.25") * entries


def test_balance_counts_only_the_volunteers_own_entries(volunteer, clerk):
    serve(volunteer, "2", day(3, 1), clerk)
    serve(make_volunteer(), "5", day(3, 1), clerk)

    assert time_bank_balance(volunteer) == D("2.00")


def test_statement_running_balances_are_exact(volunteer, clerk, django_assert_num_queries):
    serve(volunteer, "2.5", day(3, 1), clerk)
    time_bank_draw(volunteer=volunteer, hours=D("1"), on=day(3, 5), by=clerk)
    serve(volunteer, "0.25", day(3, 5), clerk)
    time_bank_draw(volunteer=volunteer, hours=D("1.75"), on=day(4, 1), by=clerk)

    with django_assert_num_queries(1):
        lines = [(e.on, e.kind, e.hours, e.balance) for e in time_bank_statement(volunteer)]

    assert lines == [
        (day(3, 1), "deposit", D("2.50"), D("2.50")),
        (day(3, 5), "draw", D("-1.00"), D("1.50")),
        (day(3, 5), "deposit", D("0.25"), D("1.75")),
        (day(4, 1), "draw", D("-1.75"), D("0.00")),
    ]


def test_statement_of_a_year_brings_the_balance_forward(
    volunteer, clerk, django_assert_num_queries
):
    serve(volunteer, "4", datetime.date(2025, 12, 30), clerk)
    time_bank_draw(volunteer=volunteer, hours=D("1"), on=datetime.date(2025, 12, 31), by=clerk)
    serve(volunteer, "1.5", day(1, 2), clerk)
    time_bank_draw(volunteer=volunteer, hours=D("0.5"), on=day(2, 1), by=clerk)

    with django_assert_num_queries(1):
        lines = [(e.on, e.balance) for e in time_bank_statement(volunteer, year=2026)]

    assert lines == [(day(1, 2), D("4.50")), (day(2, 1), D("4.00"))]


def test_statement_of_a_year_without_earlier_entries_starts_at_zero(volunteer, clerk):
    serve(volunteer, "1", day(1, 2), clerk)

    lines = [(e.on, e.balance) for e in time_bank_statement(volunteer, year=2026)]

    assert lines == [(day(1, 2), D("1.00"))]


# ---------- One balance: the list's annotation and the single volunteer's figure ----------


def _mixed_accounts(clerk):
    """Volunteers of two communities: no account, deposits only, deposits and draws across a
    year end, an adjustment taking the balance below zero."""
    community = make_community()
    empty = make_volunteer(community=community)
    saver = make_volunteer(community=community)
    serve(saver, "2.5", day(3, 1), clerk)
    serve(saver, "0.25", day(3, 2), clerk)
    spender = make_volunteer(community=community)
    serve(spender, "4", datetime.date(2025, 12, 30), clerk)
    time_bank_draw(volunteer=spender, hours=D("1.5"), on=datetime.date(2025, 12, 31), by=clerk)
    serve(spender, "1", day(1, 2), clerk)
    corrected = make_volunteer()
    serve(corrected, "1", day(2, 1), clerk)
    TimeBankEntry.objects.create(
        volunteer=corrected,
        kind=TimeBankEntry.Kind.ADJUSTMENT,
        hours=D("-3.75"),
        on=day(2, 3),
        note="录入更正",
        created_by=clerk,
    )
    return [empty, saver, spender, corrected]


def test_with_balance_equals_the_single_volunteer_balance(clerk):
    volunteers = _mixed_accounts(clerk)

    listed = {v.pk: v.balance for v in Volunteer.objects.with_balance()}

    assert listed == {v.pk: time_bank_balance(v) for v in volunteers}
    assert [time_bank_balance(v) for v in volunteers] == [
        D("0.00"),
        D("2.75"),
        D("3.50"),
        D("-2.75"),
    ]


def test_with_balance_before_a_day_equals_the_balance_brought_forward(clerk):
    volunteers = _mixed_accounts(clerk)
    new_year = datetime.date(2026, 1, 1)

    listed = {v.pk: v.balance for v in Volunteer.objects.with_balance(before=new_year)}

    assert listed == {v.pk: time_bank_balance(v, before=new_year) for v in volunteers}
    assert [listed[v.pk] for v in volunteers] == [D("0"), D("0"), D("2.50"), D("0")]


@pytest.mark.parametrize("size", [1, 4])
def test_with_balance_is_one_query_whatever_the_volunteers(clerk, size, django_assert_num_queries):
    community = make_community()
    for n in range(size):
        volunteer = make_volunteer(community=community)
        serve(volunteer, "1", day(3, n + 1), clerk)
        serve(volunteer, "2", day(4, n + 1), clerk)

    with django_assert_num_queries(1):
        balances = [v.balance for v in Volunteer.objects.filter(community=community).with_balance()]

    assert balances == [D("3.00")] * size


def test_floor_is_read_from_the_setting(settings):
    settings.TIME_BANK_FLOOR_HOURS = -1.5

    assert time_bank_floor() == D("-1.5")
