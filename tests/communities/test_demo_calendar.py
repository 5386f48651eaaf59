"""The demo is built relative to the day it is loaded (`chunan_facts.DemoCalendar`).

Loaded on hard days (New Year in the county while it is still 31 December in UTC, 29 February,
the last evening of a year), it always has current work: 西园's last closed month is left for
the demo clerk and prefilled from the service records, every demo month's records give the
sample return's figures, nothing is dated after the moment of the load, and the example round
has declarations open. Loaded again on a later day, it is topped up, never doubled.
"""

import datetime
from io import StringIO

import pytest
import time_machine
from django.core.management import call_command
from django.db.models import Count, Max
from django.utils import timezone, translation

from communities.models import Community, MonthlyReturn, ReturnEvent, ReturnValue
from communities.returns.prefill import prefill_for
from operations.demo.chunan_facts import DemoCalendar, sample_figures
from ratings.models import Round, RoundStatus
from services.models import AssistanceVisit, HelperPairing, ServiceRecord, TimeBankEntry, Volunteer

pytestmark = pytest.mark.django_db

D = datetime.date
at = datetime.datetime.fromisoformat


def _load() -> str:
    out = StringIO()
    with translation.override("en"):
        call_command("load_chunan", demo_accounts=True, stdout=out)
    return out.getvalue().splitlines()[0]


def _records_match_the_returns(calendar) -> dict:
    """Community code → the months whose prefilled figures differ from the sample return's."""
    differ = {}
    for community in Community.objects.order_by("code"):
        for period in calendar.months:
            figures = sample_figures(community.code, period)
            found = prefill_for(community, period)
            if found != {code: figures[code] for code in found} or len(found) != 10:
                differ.setdefault(community.code, []).append(f"{period:%Y-%m}")
    return differ


@pytest.mark.parametrize(
    "moment",
    [
        at("2027-01-01T00:30+08:00"),  # still 2026-12-31 in UTC
        at("2028-02-29T10:00+08:00"),
        at("2026-12-31T22:00+08:00"),
        at("2027-04-30T18:00+08:00"),
    ],
    ids=str,
)
def test_demo_loaded_on_a_hard_day_has_current_work(moment):
    calendar = DemoCalendar(today=moment.date())

    with time_machine.travel(moment, tick=False):
        _load()
        now = timezone.now()

    found = set(MonthlyReturn.objects.values_list("community__code", "period"))
    assert {period for _code, period in found} == set(calendar.months)
    assert calendar.months[0] == D(moment.year - 1, 1, 1)
    assert len(found) == 10 * len(calendar.months) - 2
    assert ("xiyuan", calendar.last_month) not in found
    xiyuan = Community.objects.get(code="xiyuan")
    last = sample_figures("xiyuan", calendar.last_month)
    prefilled = prefill_for(xiyuan, calendar.last_month)
    assert prefilled == {code: last[code] for code in prefilled}
    assert min(prefilled.values()) > 0
    assert _records_match_the_returns(calendar) == {}
    latest = [
        ReturnEvent.objects.aggregate(last=Max("at"))["last"],
        MonthlyReturn.objects.aggregate(last=Max("updated_at"))["last"],
        ReturnValue.history.aggregate(last=Max("history_date"))["last"],
    ]
    assert max(latest) <= now
    today = moment.date()
    assert ServiceRecord.objects.aggregate(last=Max("served_on"))["last"] <= today
    assert AssistanceVisit.objects.aggregate(last=Max("visited_on"))["last"] <= today
    assert not Volunteer.objects.filter(registered_on__gt=today).exists()
    assert not HelperPairing.objects.filter(started_on__gt=today).exists()
    assert not HelperPairing.objects.filter(ended_on__gt=today).exists()
    example = Round.objects.get(scheme_is_example=True)
    # At its review meeting today, the declarations in: work for the judge and the county.
    assert (example.code, example.status) == (str(today.year), RoundStatus.REVIEW)
    assert example.declarations_close_on < today == example.review_meeting_on
    assert example.declarations.count() == 4


def test_demo_loaded_again_later_is_topped_up_not_doubled():
    with time_machine.travel(at("2026-10-15T09:00+08:00"), tick=False):
        _load()
    sessions_before = dict(
        ServiceRecord.objects.filter(served_on__lt=D(2026, 10, 1))
        .values("volunteer__community__code")
        .annotate(n=Count("pk"))
        .values_list("volunteer__community__code", "n")
    )
    returns_before = dict(MonthlyReturn.objects.values_list("pk", "status"))

    later = at("2027-01-04T09:00+08:00")
    with time_machine.travel(later, tick=False):
        summary = _load()
        again = _load()

    calendar = DemoCalendar(today=later.date())
    assert not summary.startswith("Chun'an data loaded: 0 created")
    assert again.startswith("Chun'an data loaded: 0 created, 0 updated, ")
    # The months that closed since have their returns; what existed is left as it was.
    periods = set(MonthlyReturn.objects.values_list("period", flat=True))
    assert periods >= {D(2026, 10, 1), D(2026, 11, 1), D(2026, 12, 1)}
    assert {
        pk: status
        for pk, status in MonthlyReturn.objects.values_list("pk", "status")
        if pk in returns_before
    } == returns_before
    assert not MonthlyReturn.objects.filter(community__code="xiyuan", period=D(2026, 12, 1))
    # The records of every month, old and new, still give the returns' figures: nothing was
    # added twice, and the months before the first load are as they were.
    assert _records_match_the_returns(calendar) == {}
    assert (
        dict(
            ServiceRecord.objects.filter(served_on__lt=D(2026, 10, 1))
            .values("volunteer__community__code")
            .annotate(n=Count("pk"))
            .values_list("volunteer__community__code", "n")
        )
        == sessions_before
    )
    deposits = TimeBankEntry.objects.filter(kind=TimeBankEntry.Kind.DEPOSIT)
    assert deposits.count() == ServiceRecord.objects.count()
    # One draw for each last closed month the demo was loaded in: September and December.
    draws = TimeBankEntry.objects.filter(kind=TimeBankEntry.Kind.DRAW)
    assert sorted(draws.values_list("on", flat=True)) == [D(2026, 9, 28), D(2026, 12, 28)]
