"""The sample monthly returns of `load_chunan --demo-accounts`.

The demo is loaded once for the module, on DEMO_DAY (in a transaction rolled back at the
end); each test runs in its own savepoint on top of it, on the same day. Loads on other days
are tried in tests/communities/test_demo_calendar.py.
"""

import datetime
from collections import Counter, defaultdict
from decimal import Decimal
from io import StringIO

import pytest
import time_machine
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.db import transaction
from django.http import HttpRequest
from django.utils import timezone, translation

from communities.models import (
    Community,
    Indicator,
    MonthlyReturn,
    ReturnEvent,
    ReturnStatus,
    ReturnValue,
)
from communities.returns import domain
from communities.returns.checks import due_on
from communities.returns.forms import ReturnForm, comment_field_name, value_field_name
from communities.returns.queries import entry_context, value_changes

pytestmark = pytest.mark.django_db

D = datetime.date
S = ReturnStatus
E = ReturnEvent.Action
DEMO_DAY = datetime.datetime.fromisoformat("2026-11-25T10:00+08:00")
# January of last year to the last closed month, seen from DEMO_DAY.
MONTHS = [D(2025, m, 1) for m in range(1, 13)] + [D(2026, m, 1) for m in range(1, 11)]
QIANDAOHU = {
    "xiyuan",
    "nanyuan",
    "huolujian",
    "jiangbin",
    "wanghu",
    "lijiawu",
    "xinbei",
    "shijiatang",
}


@pytest.fixture(scope="module")
def demo(django_db_setup, django_db_blocker):
    with (
        time_machine.travel(DEMO_DAY, tick=False),
        django_db_blocker.unblock(),
        transaction.atomic(),
    ):
        call_command("load_chunan", demo_accounts=True, verbosity=0)
        yield
        transaction.set_rollback(True)


@pytest.fixture
def returns(demo):
    return list(MonthlyReturn.objects.select_related("community__township"))


def _row_counts():
    return {
        "returns": MonthlyReturn.objects.count(),
        "values": ReturnValue.objects.count(),
        "value history": ReturnValue.history.count(),
        "events": ReturnEvent.objects.count(),
    }


def test_demo_returns_cover_last_year_and_this_year_but_two_not_started(returns):
    found = {(r.community.code, r.period) for r in returns}

    assert len(returns) == 10 * 22 - 2
    assert {period for _code, period in found} == set(MONTHS)
    assert ("xiyuan", D(2026, 10, 1)) not in found
    assert ("yangqi", D(2026, 10, 1)) not in found
    assert ("xiyuan", D(2026, 9, 1)) in found


def test_demo_returns_status_counts_per_month(returns):
    counts = defaultdict(Counter)
    for r in returns:
        counts[f"{r.period:%Y-%m}"][r.status] += 1

    accepted_months = {f"{month:%Y-%m}": {S.ACCEPTED: 10} for month in MONTHS[:-3]}
    assert {month: dict(c) for month, c in counts.items()} == {
        **accepted_months,
        "2026-08": {S.APPROVED: 7, S.ACCEPTED: 2, S.DRAFT: 1},
        "2026-09": {S.APPROVED: 4, S.SUBMITTED: 5, S.RETURNED: 1},
        "2026-10": {S.SUBMITTED: 5, S.DRAFT: 3},
    }


def test_demo_returns_mark_the_late_submissions(returns):
    late = {(r.community.code, f"{r.period:%Y-%m}") for r in returns if r.is_late}

    assert late == {
        ("hongqiao", "2025-12"),
        ("yangqi", "2026-02"),
        ("huolujian", "2026-09"),
        ("hongqiao", "2026-09"),
        ("xinbei", "2026-10"),
    }
    for r in returns:
        if r.submitted_at:
            assert (timezone.localtime(r.submitted_at).date() > due_on(r.period)) == r.is_late


def test_demo_returns_are_all_sample_data(returns):
    assert {r.is_sample for r in returns} == {True}


def test_demo_returns_pass_every_check_of_a_submission(returns):
    """Every rule, minimum and maximum, the required figures, and no unexplained outlier."""
    values = defaultdict(dict)
    for row in ReturnValue.objects.select_related("indicator"):
        values[row.monthly_return_id][row.indicator.code] = (row.value, row.comment)
    problems, commented = [], Counter()

    for r in returns:
        context = entry_context(r.community, r.period)
        data = {}
        for indicator in context["indicators"]:
            value, comment = values[r.pk].get(indicator.code, (None, ""))
            data[value_field_name(indicator)] = "" if value is None else str(value)
            data[comment_field_name(indicator)] = comment
            if comment:
                commented[indicator.code] += 1
        form = ReturnForm(data, submitting=True, **context)
        if not form.is_valid():
            problems.append((r.community.code, f"{r.period:%Y-%m}", form.errors))

    assert problems == []
    # Only the quarterly co-building funds stand out from the recent months, and say why.
    assert set(commented) == {"cobuilding_funds"}


def test_demo_returns_values_respect_the_rules_and_active_indicators(returns):
    values = defaultdict(dict)
    for return_id, code, value in ReturnValue.objects.values_list(
        "monthly_return_id", "indicator__code", "value"
    ):
        values[return_id][code] = value

    for r in returns:
        figures = values[r.pk]
        assert figures["reemployed"] <= figures["registered_unemployed"]
        assert figures["requests_resolved"] <= figures["requests_received"]
        assert figures["households"] <= figures["residents"]
        if r.status != S.DRAFT:
            assert ("cobuilding_funds" in figures) == (r.period >= D(2026, 1, 1))
    counted = Counter(len(values[r.pk]) for r in returns if r.status != S.DRAFT)
    # The co-building funds are asked for from 2026 on.
    assert counted == {22: 120, 23: 94}


def test_demo_returns_drafts_leave_the_optional_figures_blank(returns):
    required = set(Indicator.objects.filter(required=True).values_list("pk", flat=True))
    drafts = [r for r in returns if r.status == S.DRAFT]

    stored = {
        r.pk: set(r.values.exclude(value__isnull=True).values_list("indicator_id", flat=True))
        for r in drafts
    }
    assert len(drafts) == 4
    assert {frozenset(ids) for ids in stored.values()} == {frozenset(required)}


def test_demo_returns_went_through_the_workflow(returns):
    events = defaultdict(list)
    for event in ReturnEvent.objects.order_by("at", "pk"):
        events[event.monthly_return_id].append(event.action)

    paths = Counter((r.status, tuple(events[r.pk])) for r in returns)
    assert paths == {
        (S.ACCEPTED, (E.SAVED, E.SUBMITTED, E.APPROVED, E.ACCEPTED)): 192,
        (S.APPROVED, (E.SAVED, E.SUBMITTED, E.APPROVED)): 11,
        (S.SUBMITTED, (E.SAVED, E.SUBMITTED)): 10,
        (S.RETURNED, (E.SAVED, E.SUBMITTED, E.RETURNED)): 1,
        (S.DRAFT, (E.SAVED,)): 4,
    }


def test_demo_returns_were_made_by_the_people_whose_step_it_is(demo):
    actors = set(
        ReturnEvent.objects.values_list(
            "monthly_return__community__township__code", "action", "by__username"
        )
        .distinct()
        .order_by()
    )
    by_xiyuan = set(
        ReturnEvent.objects.filter(
            monthly_return__community__code="xiyuan", action__in=[E.SAVED, E.SUBMITTED]
        ).values_list("by__username", flat=True)
    )

    assert by_xiyuan == {"demo_clerk"}
    assert actors == {
        ("qiandaohu", E.SAVED, "demo_clerk"),
        ("qiandaohu", E.SUBMITTED, "demo_clerk"),
        ("qiandaohu", E.SAVED, "chunan-loader"),
        ("qiandaohu", E.SUBMITTED, "chunan-loader"),
        ("qiandaohu", E.APPROVED, "demo_township"),
        ("qiandaohu", E.RETURNED, "demo_township"),
        ("qiandaohu", E.ACCEPTED, "demo_county"),
        ("fenkou", E.SAVED, "chunan-loader"),
        ("fenkou", E.SUBMITTED, "chunan-loader"),
        ("fenkou", E.APPROVED, "chunan-loader"),
        ("fenkou", E.ACCEPTED, "demo_county"),
        ("weiping", E.SAVED, "chunan-loader"),
        ("weiping", E.SUBMITTED, "chunan-loader"),
        ("weiping", E.APPROVED, "chunan-loader"),
        ("weiping", E.ACCEPTED, "demo_county"),
    }


def test_demo_returns_sent_back_one_with_its_reason(demo):
    event = ReturnEvent.objects.select_related("monthly_return__community").get(action=E.RETURNED)

    assert (event.monthly_return.community.code, event.monthly_return.period) == (
        "wanghu",
        D(2026, 9, 1),
    )
    assert event.reason == "助医服务次数与走访台账对不上，请核对台账后重新提交。"


def test_demo_returns_events_happen_on_days_after_the_month(returns):
    events = defaultdict(dict)
    moments = defaultdict(list)
    for event in ReturnEvent.objects.order_by("pk"):
        events[event.monthly_return_id][event.action] = event.at
        moments[event.monthly_return_id].append(timezone.localtime(event.at))

    for r in returns:
        assert moments[r.pk] == sorted(moments[r.pk])
        assert moments[r.pk][0].date() > r.period.replace(day=28)
        assert moments[r.pk][-1] < DEMO_DAY
        assert r.updated_at == moments[r.pk][-1]
        assert (r.submitted_at, r.approved_at, r.accepted_at) == (
            events[r.pk].get(E.SUBMITTED),
            events[r.pk].get(E.APPROVED),
            events[r.pk].get(E.ACCEPTED),
        )


def test_demo_returns_value_history_shows_the_draft_then_the_submission(returns):
    nanyuan = next(r for r in returns if (r.community.code, r.period) == ("nanyuan", MONTHS[-1]))
    event_times = set(
        ReturnEvent.objects.filter(monthly_return=nanyuan).values_list("at", flat=True)
    )

    changes = value_changes(nanyuan)

    assert {c["at"] for c in changes} <= event_times
    changed = [c for c in changes if c["old"] is not None]
    assert {c["indicator"].code for c in changed} == {"requests_received", "requests_resolved"}
    assert all(c["new"] > c["old"] for c in changed)
    assert {c["by"].username for c in changes} == {"chunan-loader"}
    submitted = timezone.localtime(nanyuan.submitted_at)
    assert {c["at"] for c in changed} == {nanyuan.submitted_at}
    assert submitted.date() <= due_on(nanyuan.period)


def test_demo_returns_stand_in_account_cannot_log_in(demo, client):
    stand_in = get_user_model().objects.select_related("scope").get(username="chunan-loader")

    assert (stand_in.is_active, stand_in.is_staff, stand_in.is_superuser) == (True, False, False)
    assert not stand_in.has_usable_password()
    assert stand_in.scope.role == "county"
    # django-axes throttles log-ins by address: authenticate() needs the request.
    assert client.login(request=HttpRequest(), username="chunan-loader", password="") is False


def test_demo_returns_second_run_creates_and_changes_nothing(demo):
    before = _row_counts()
    statuses = dict(MonthlyReturn.objects.values_list("pk", "status"))
    out = StringIO()

    with translation.override("en"):
        call_command("load_chunan", demo_accounts=True, stdout=out)

    assert _row_counts() == before
    assert dict(MonthlyReturn.objects.values_list("pk", "status")) == statuses
    assert out.getvalue().splitlines()[0].startswith("Chun'an data loaded: 0 created, 0 updated, ")


def test_demo_returns_rerun_leaves_returns_people_changed_alone(demo):
    users = {u.username: u for u in get_user_model().objects.all()}
    xiyuan = Community.objects.get(code="xiyuan")
    households = Indicator.objects.get(code="households")
    mine = domain.return_save(
        community=xiyuan,
        period=D(2026, 10, 1),
        values={households.pk: Decimal(1999)},
        version=0,
        by=users["demo_clerk"],
        today=D(2026, 11, 25),
    )
    accepted = MonthlyReturn.objects.get(community=xiyuan, period=D(2026, 7, 1))
    domain.return_reopen(monthly_return=accepted, by=users["demo_county"], reason="核对")
    before = _row_counts()

    call_command("load_chunan", demo_accounts=True, verbosity=0)

    mine.refresh_from_db()
    accepted.refresh_from_db()
    assert (mine.status, mine.is_sample, mine.version) == (S.DRAFT, False, 1)
    assert list(mine.values.values_list("value", flat=True)) == [Decimal(1999)]
    assert accepted.status == S.DRAFT
    assert _row_counts() == before
