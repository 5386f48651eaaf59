"""Two people making the same change at the same moment get exactly one change: the second is
refused by the workflow's own rule, and exactly one event or record is written.

Each test runs the two changes in two threads, each on its own PostgreSQL connection, released
together by a barrier. The read each change decides on is slowed down (faults.slow_read), so
that without a row lock both would read the old state and both would write: with the lock
the second waits for the first to commit, then sees its result. SQLite has one writer at a
time and no row locks: these tests need PostgreSQL. The threads must see what the test
wrote: the test is not wrapped in a transaction (faults.committed).
"""

import datetime
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.test import Client

from chunan_community.errors import Refused
from communities.models import MonthlyReturn, ReturnEvent, ReturnImport, ReturnStatus
from communities.returns import domain as returns_domain
from communities.returns.imports import return_import_apply
from ratings import domain as ratings_domain
from ratings.models import Rating, Round, RoundEvent, RoundStatus
from services.admission import admission_approve, admission_refuse, admission_submit
from services.domain import service_record, time_bank_balance, time_bank_draw
from services.households_domain import helper_end, helper_pair
from services.models import AdmissionRequest, HelperPairing, TimeBankEntry, Volunteer
from tests.factories import make_household, make_indicator, make_return, make_volunteer
from tests.security.faults import (
    AFTER_NOTICE,
    PERIOD,
    checked_import,
    committed,
    race,
    round_to_confirm,
)

pytestmark = [
    pytest.mark.skipif(connection.vendor != "postgresql", reason="row locks: PostgreSQL"),
    pytest.mark.usefixtures("db"),
]


@pytest.fixture
def db(django_db_setup, django_db_blocker):
    """pytest-django's `db` (which `tree` and `users` use) with the data committed."""
    with committed(django_db_blocker):
        yield


def _succeeded(outcomes) -> list:
    return [outcome for outcome in outcomes if not isinstance(outcome, Exception)]


def _refused(outcomes) -> list:
    return [type(outcome) for outcome in outcomes if isinstance(outcome, Exception)]


def test_two_approvals_of_one_return_approve_it_once(tree, users):
    monthly_return = make_return(
        community=tree["home"], period=PERIOD, status=ReturnStatus.SUBMITTED
    )
    township, county = users["township"], users["county"]

    outcomes = race(
        lambda: returns_domain.return_approve(monthly_return=monthly_return, by=township),
        lambda: returns_domain.return_approve(monthly_return=monthly_return, by=county),
        slow=MonthlyReturn,
    )

    assert len(_succeeded(outcomes)) == 1
    assert _refused(outcomes) == [Refused]
    [event] = ReturnEvent.objects.filter(monthly_return=monthly_return)
    assert (event.action, event.from_status, event.to_status) == (
        "approved",
        "submitted",
        "approved",
    )
    monthly_return.refresh_from_db()
    assert (monthly_return.status, monthly_return.version) == (ReturnStatus.APPROVED, 2)


def test_two_first_saves_of_one_month_create_one_return(tree, users):
    # Two people open the empty month (version 0) and save it at the same moment.
    indicator = make_indicator()
    clerk, county = users["clerk"], users["county"]

    def save(user, value):
        return returns_domain.return_save(
            community=tree["home"],
            period=PERIOD,
            values={indicator.pk: Decimal(value)},
            version=0,
            by=user,
        )

    outcomes = race(lambda: save(clerk, 10), lambda: save(county, 20), slow=MonthlyReturn)

    assert len(_succeeded(outcomes)) == 1
    assert _refused(outcomes) == [returns_domain.StaleReturn]
    winner = 10 if isinstance(outcomes[1], Exception) else 20
    stored = MonthlyReturn.objects.get()
    assert stored.version == 1
    assert list(stored.values.values_list("value", flat=True)) == [Decimal(winner)]
    assert list(stored.events.values_list("action", flat=True)) == [ReturnEvent.Action.SAVED]


def test_two_decisions_on_one_admission_request_decide_it_once(tree, users):
    county = users["county"]
    request = admission_submit(
        department="县卫生局",
        task="Check the drinking water of every household once a year.",
        funds_follow=False,
        staff_follow=False,
        authority_follow=True,
        funds_yuan=None,
        communities=[tree["home"]],
        by=county,
    )

    outcomes = race(
        lambda: admission_approve(admission_request=request, by=county),
        lambda: admission_refuse(admission_request=request, by=county, reason="Not funded."),
        slow=AdmissionRequest,
    )

    [decided] = _succeeded(outcomes)
    assert _refused(outcomes) == [Refused]
    request.refresh_from_db()
    assert (request.status, request.decision_reason) == (decided.status, decided.decision_reason)
    # One decision in the history (the request's creation wrote the submitted rows).
    statuses = request.history.order_by("history_id").values_list("status", flat=True)
    assert [status for status in statuses if status != "submitted"] == [decided.status]


def test_two_confirmations_of_one_round_record_its_ratings_once(tree, users):
    round_ = round_to_confirm(tree)["round"]
    county = users["county"]

    def confirm():
        return ratings_domain.round_confirm(round=round_, by=county, today=AFTER_NOTICE)

    outcomes = race(confirm, confirm, slow=Round)

    assert len(_succeeded(outcomes)) == 1
    assert _refused(outcomes) == [Refused]
    assert sorted(
        Rating.objects.filter(round=round_).values_list("community__code", flat=True)
    ) == ["home", "neighbour"]
    assert list(RoundEvent.objects.filter(round=round_).values_list("to_status", flat=True)) == [
        RoundStatus.FINAL
    ]


def test_two_revocations_of_one_rating_revoke_it_once(tree, users):
    round_ = round_to_confirm(tree)["round"]
    county = users["county"]
    ratings_domain.round_confirm(round=round_, by=county, today=AFTER_NOTICE)
    rating = Rating.objects.get(round=round_, community=tree["home"])

    outcomes = race(
        lambda: ratings_domain.rating_revoke(rating=rating, by=county, reason="First."),
        lambda: ratings_domain.rating_revoke(rating=rating, by=county, reason="Second."),
        slow=Rating,
    )

    [revoked] = _succeeded(outcomes)
    assert _refused(outcomes) == [Refused]
    rating.refresh_from_db()
    assert rating.revoked_reason == revoked.revoked_reason
    assert rating.history.filter(revoked_on__isnull=False).count() == 1


def test_two_draws_that_together_overdraw_give_one_draw(tree, users):
    clerk = users["clerk"]
    volunteer = make_volunteer(community=tree["home"])
    service_record(
        volunteer=volunteer,
        served_on=datetime.date(2026, 3, 1),
        hours=Decimal(3),
        activity="助老服务",
        by=clerk,
    )

    def draw():
        return time_bank_draw(
            volunteer=volunteer, hours=Decimal(2), on=datetime.date(2026, 3, 2), by=clerk
        )

    # The balance read is slowed: without the volunteer's row lock both draws would pass.
    outcomes = race(draw, draw, slow=TimeBankEntry)

    assert len(_succeeded(outcomes)) == 1
    assert _refused(outcomes) == [Refused]
    assert TimeBankEntry.objects.filter(kind=TimeBankEntry.Kind.DRAW).count() == 1
    assert time_bank_balance(Volunteer.objects.get(pk=volunteer.pk)) == Decimal("1.00")


def test_one_import_confirmed_twice_at_once_imports_once(tree, users):
    county = users["county"]
    client = Client()
    client.force_login(county)
    make_indicator(code="households")
    make_indicator(code="residents")
    checked = checked_import(client)

    def confirm():
        return return_import_apply(return_import=checked, by=county)

    outcomes = race(confirm, confirm, slow=ReturnImport)

    assert _succeeded(outcomes) == [3]
    assert _refused(outcomes) == [Refused]
    assert MonthlyReturn.objects.filter(period=PERIOD).count() == 3
    assert ReturnEvent.objects.filter(action=ReturnEvent.Action.IMPORTED).count() == 3
    assert ReturnImport.objects.get().status == ReturnImport.Status.APPLIED


def test_two_people_ending_one_pairing_end_it_once(tree, users):
    household = make_household(community=tree["home"])
    volunteer = make_volunteer(community=tree["home"])
    pairing = helper_pair(
        household=household, volunteer=volunteer, started_on=datetime.date(2026, 1, 5)
    )

    def end(day):
        # As the page does: the pairing as read by this request, then the change.
        return helper_end(pairing=HelperPairing.objects.get(pk=pairing.pk), ended_on=day)

    outcomes = race(
        lambda: end(datetime.date(2026, 3, 1)),
        lambda: end(datetime.date(2026, 3, 2)),
        slow=HelperPairing,
    )

    [ended] = _succeeded(outcomes)
    assert _refused(outcomes) == [ValidationError]
    pairing.refresh_from_db()
    assert pairing.ended_on == ended.ended_on
