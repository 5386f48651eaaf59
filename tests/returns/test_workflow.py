"""The return workflow at the domain level: each transition and each refusal."""

import datetime
from decimal import Decimal

import pytest
from django.utils import translation

from chunan_community.errors import Refused
from communities.models import MonthlyReturn, ReturnEvent, ReturnStatus, ReturnValue
from communities.returns import domain
from communities.returns.domain import StaleReturn
from communities.returns.queries import value_changes
from tests.factories import make_indicator

pytestmark = pytest.mark.django_db

PERIOD = datetime.date(2026, 10, 1)
# Due on 10 November (RETURN_DUE_DAYS = 10), closes on 15 December (RETURN_CLOSE_DAYS = 45).
IN_TIME = datetime.date(2026, 11, 5)
LATE = datetime.date(2026, 11, 20)
CLOSED = datetime.date(2026, 12, 16)
E = ReturnEvent.Action


@pytest.fixture(autouse=True)
def english():
    with translation.override("en"):
        yield


@pytest.fixture
def indicators(db):
    return {
        "households": make_indicator(code="households"),
        "residents": make_indicator(code="residents"),
    }


def save(user, community, indicators, *, version, submit=False, today=IN_TIME, **values):
    return domain.return_save(
        community=community,
        period=PERIOD,
        values={indicators[code].pk: Decimal(v) for code, v in values.items()},
        version=version,
        by=user,
        submit=submit,
        today=today,
    )


def submitted(users, tree, indicators, today=IN_TIME):
    draft = save(users["clerk"], tree["home"], indicators, version=0, households=100)
    return save(
        users["clerk"], tree["home"], indicators, version=draft.version, submit=True, today=today
    )


def stored(monthly_return):
    return {
        v.indicator.code: v.value
        for v in ReturnValue.objects.filter(monthly_return=monthly_return).select_related(
            "indicator"
        )
    }


def events(monthly_return):
    return list(
        ReturnEvent.objects.filter(monthly_return=monthly_return).values_list(
            "action", "from_status", "to_status", "by__username", "reason"
        )
    )


# ---------- Transitions ----------


def test_return_save_draft_creates_return_at_version_1(tree, users, indicators):
    saved = save(users["clerk"], tree["home"], indicators, version=0, households=100)

    saved.refresh_from_db()
    assert (saved.status, saved.version, saved.is_late, saved.submitted_at) == (
        ReturnStatus.DRAFT,
        1,
        False,
        None,
    )
    assert stored(saved) == {"households": Decimal("100")}
    assert events(saved) == [(E.SAVED, "", ReturnStatus.DRAFT, "clerk", "")]


def test_return_save_second_draft_bumps_version(tree, users, indicators):
    first = save(users["clerk"], tree["home"], indicators, version=0, households=100)

    second = save(
        users["clerk"], tree["home"], indicators, version=1, households=101, residents=300
    )

    assert second.version == 2
    assert stored(second) == {"households": Decimal("101"), "residents": Decimal("300")}
    assert [e[0] for e in events(first)] == [E.SAVED, E.SAVED]


def test_return_submit_in_time_is_not_late(tree, users, indicators):
    result = submitted(users, tree, indicators)

    result.refresh_from_db()
    assert (result.status, result.version, result.is_late) == (ReturnStatus.SUBMITTED, 2, False)
    assert result.submitted_at is not None
    assert events(result)[-1] == (
        E.SUBMITTED,
        ReturnStatus.DRAFT,
        ReturnStatus.SUBMITTED,
        "clerk",
        "",
    )


def test_return_submit_after_due_date_is_late(tree, users, indicators):
    result = submitted(users, tree, indicators, today=LATE)

    result.refresh_from_db()
    assert (result.status, result.is_late) == (ReturnStatus.SUBMITTED, True)


def test_return_approve_by_township(tree, users, indicators):
    result = domain.return_approve(
        monthly_return=submitted(users, tree, indicators), by=users["township"]
    )

    result.refresh_from_db()
    assert (result.status, result.version) == (ReturnStatus.APPROVED, 3)
    assert result.approved_at is not None
    assert events(result)[-1] == (
        E.APPROVED,
        ReturnStatus.SUBMITTED,
        ReturnStatus.APPROVED,
        "township",
        "",
    )


def test_return_send_back_with_reason_reopens_window(tree, users, indicators):
    result = domain.return_send_back(
        monthly_return=submitted(users, tree, indicators),
        by=users["township"],
        reason="  户数与上月相差太大，请核实。 ",
    )

    result.refresh_from_db()
    assert result.status == ReturnStatus.RETURNED
    assert result.open_until >= datetime.date(2026, 12, 15)
    assert events(result)[-1] == (
        E.RETURNED,
        ReturnStatus.SUBMITTED,
        ReturnStatus.RETURNED,
        "township",
        "户数与上月相差太大，请核实。",
    )


def test_return_resubmit_after_send_back(tree, users, indicators):
    sent_back = domain.return_send_back(
        monthly_return=submitted(users, tree, indicators), by=users["township"], reason="核实"
    )

    result = save(
        users["clerk"],
        tree["home"],
        indicators,
        version=sent_back.version,
        submit=True,
        households=98,
    )

    result.refresh_from_db()
    assert (result.status, result.version) == (ReturnStatus.SUBMITTED, 4)
    assert stored(result) == {"households": Decimal("98")}
    assert [e[0] for e in events(result)] == [E.SAVED, E.SUBMITTED, E.RETURNED, E.SUBMITTED]


def test_return_county_sends_back_approved_return(tree, users, indicators):
    approved = domain.return_approve(
        monthly_return=submitted(users, tree, indicators), by=users["township"]
    )

    result = domain.return_send_back(monthly_return=approved, by=users["county"], reason="复核")

    assert result.status == ReturnStatus.RETURNED


def test_return_accept_by_county_locks(tree, users, indicators):
    approved = domain.return_approve(
        monthly_return=submitted(users, tree, indicators), by=users["township"]
    )

    result = domain.return_accept(monthly_return=approved, by=users["county"])

    result.refresh_from_db()
    assert (result.status, result.version) == (ReturnStatus.ACCEPTED, 4)
    assert result.accepted_at is not None
    assert events(result)[-1] == (
        E.ACCEPTED,
        ReturnStatus.APPROVED,
        ReturnStatus.ACCEPTED,
        "county",
        "",
    )
    with pytest.raises(Refused) as refused:
        save(users["clerk"], tree["home"], indicators, version=4, households=1)
    assert refused.value.message.startswith("Accepted by the county on ")
    assert refused.value.message.endswith("and locked. Only county staff can reopen it.")


def test_return_reopen_by_county_with_reason(tree, users, indicators):
    approved = domain.return_approve(
        monthly_return=submitted(users, tree, indicators), by=users["township"]
    )
    accepted = domain.return_accept(monthly_return=approved, by=users["county"])

    result = domain.return_reopen(monthly_return=accepted, by=users["county"], reason="更正户数")

    result.refresh_from_db()
    assert (result.status, result.version) == (ReturnStatus.DRAFT, 5)
    assert result.open_until >= datetime.date(2026, 12, 15)
    assert events(result)[-1] == (
        E.REOPENED,
        ReturnStatus.ACCEPTED,
        ReturnStatus.DRAFT,
        "county",
        "更正户数",
    )
    edited = save(users["clerk"], tree["home"], indicators, version=5, households=97)
    assert stored(edited) == {"households": Decimal("97")}


def test_available_transitions_by_role_and_status(tree, users, indicators):
    result = submitted(users, tree, indicators)

    assert domain.available_transitions(users["clerk"], result) == []
    assert domain.available_transitions(users["township"], result) == ["approve", "send_back"]
    assert domain.available_transitions(users["other_township"], result) == []
    assert domain.available_transitions(users["county"], result) == ["approve", "send_back"]
    approved = domain.return_approve(monthly_return=result, by=users["township"])
    assert domain.available_transitions(users["township"], approved) == []
    assert domain.available_transitions(users["county"], approved) == ["send_back", "accept"]
    accepted = domain.return_accept(monthly_return=approved, by=users["county"])
    assert domain.available_transitions(users["county"], accepted) == ["reopen"]


# ---------- Refusals ----------


def test_return_save_other_community_refused(tree, users, indicators):
    with pytest.raises(Refused) as refused:
        save(users["other_clerk"], tree["home"], indicators, version=0, households=1)

    assert refused.value.message == "This return is outside your area."
    assert MonthlyReturn.objects.count() == 0


def test_return_save_by_township_refused(tree, users, indicators):
    with pytest.raises(Refused) as refused:
        save(users["township"], tree["home"], indicators, version=0, households=1)

    assert refused.value.message == (
        "Figures are entered by the community's clerk; township staff review them."
    )
    assert MonthlyReturn.objects.count() == 0


def test_return_approve_other_township_refused(tree, users, indicators):
    result = submitted(users, tree, indicators)

    with pytest.raises(Refused) as refused:
        domain.return_approve(monthly_return=result, by=users["other_township"])

    assert refused.value.message == "You may not do this for this return."
    result.refresh_from_db()
    assert result.status == ReturnStatus.SUBMITTED


def test_return_approve_other_community_clerk_refused(tree, users, indicators):
    result = submitted(users, tree, indicators)

    with pytest.raises(Refused) as refused:
        domain.return_approve(monthly_return=result, by=users["other_clerk"])

    assert refused.value.message == "You may not do this for this return."


def test_return_save_closed_window_refused_for_clerk(tree, users, indicators):
    draft = save(users["clerk"], tree["home"], indicators, version=0, households=100)

    with pytest.raises(Refused) as refused:
        save(
            users["clerk"],
            tree["home"],
            indicators,
            version=draft.version,
            submit=True,
            today=CLOSED,
            households=100,
        )

    assert refused.value.message == (
        "The entry window for October 2026 closed on 15 December 2026. Ask the county to "
        "reopen the return."
    )
    draft.refresh_from_db()
    assert (draft.status, draft.version) == (ReturnStatus.DRAFT, 1)


def test_return_save_closed_window_still_open_to_county(tree, users, indicators):
    result = save(users["county"], tree["home"], indicators, version=0, today=CLOSED, residents=5)

    assert stored(result) == {"residents": Decimal("5")}


def test_return_save_future_month_refused(tree, users, indicators):
    with pytest.raises(Refused) as refused:
        save(
            users["clerk"],
            tree["home"],
            indicators,
            version=0,
            today=datetime.date(2026, 9, 30),
            households=1,
        )

    assert refused.value.message == "October 2026 has not begun yet."


def test_return_save_submitted_refused(tree, users, indicators):
    result = submitted(users, tree, indicators)

    with pytest.raises(Refused) as refused:
        save(users["clerk"], tree["home"], indicators, version=result.version, households=1)

    assert refused.value.message.startswith("Submitted on ")
    assert stored(result) == {"households": Decimal("100")}


def test_return_save_approved_refused(tree, users, indicators):
    approved = domain.return_approve(
        monthly_return=submitted(users, tree, indicators), by=users["township"]
    )

    with pytest.raises(Refused) as refused:
        save(users["clerk"], tree["home"], indicators, version=approved.version, households=1)

    assert refused.value.message.startswith("Approved by the township on ")


def test_return_save_stale_version_refused_and_first_save_kept(tree, users, indicators):
    draft = save(users["clerk"], tree["home"], indicators, version=0, households=100)
    save(users["clerk"], tree["home"], indicators, version=draft.version, households=111)

    with pytest.raises(StaleReturn) as stale:
        save(users["county"], tree["home"], indicators, version=draft.version, households=222)

    assert stale.value.message == (
        "Someone else saved this return while you were editing it. Your figures are still "
        "in the form below: compare them with the saved ones, then save again."
    )
    result = MonthlyReturn.objects.get()
    assert result.version == 2
    assert stored(result) == {"households": Decimal("111")}


def test_return_save_two_first_saves_second_is_stale(tree, users, indicators):
    save(users["clerk"], tree["home"], indicators, version=0, households=100)

    with pytest.raises(StaleReturn):
        save(users["county"], tree["home"], indicators, version=0, households=200)

    assert stored(MonthlyReturn.objects.get()) == {"households": Decimal("100")}


def test_return_send_back_without_reason_refused(tree, users, indicators):
    result = submitted(users, tree, indicators)

    with pytest.raises(Refused) as refused:
        domain.return_send_back(monthly_return=result, by=users["township"], reason="   ")

    assert refused.value.message == "Give a reason: the community sees it with the return."
    result.refresh_from_db()
    assert result.status == ReturnStatus.SUBMITTED


def test_return_clerk_approving_refused(tree, users, indicators):
    result = submitted(users, tree, indicators)

    with pytest.raises(Refused) as refused:
        domain.return_approve(monthly_return=result, by=users["clerk"])

    assert refused.value.message == "You may not do this for this return."
    result.refresh_from_db()
    assert result.status == ReturnStatus.SUBMITTED


def test_return_township_accepting_refused(tree, users, indicators):
    approved = domain.return_approve(
        monthly_return=submitted(users, tree, indicators), by=users["township"]
    )

    with pytest.raises(Refused) as refused:
        domain.return_accept(monthly_return=approved, by=users["township"])

    assert refused.value.message == "You may not do this for this return."
    approved.refresh_from_db()
    assert approved.status == ReturnStatus.APPROVED


def test_return_township_reopening_refused(tree, users, indicators):
    approved = domain.return_approve(
        monthly_return=submitted(users, tree, indicators), by=users["township"]
    )
    accepted = domain.return_accept(monthly_return=approved, by=users["county"])

    with pytest.raises(Refused):
        domain.return_reopen(monthly_return=accepted, by=users["township"], reason="更正")

    accepted.refresh_from_db()
    assert accepted.status == ReturnStatus.ACCEPTED


def test_return_county_reopening_without_reason_refused(tree, users, indicators):
    approved = domain.return_approve(
        monthly_return=submitted(users, tree, indicators), by=users["township"]
    )
    accepted = domain.return_accept(monthly_return=approved, by=users["county"])

    with pytest.raises(Refused) as refused:
        domain.return_reopen(monthly_return=accepted, by=users["county"], reason="")

    assert refused.value.message == "Give a reason: the community sees it with the return."
    accepted.refresh_from_db()
    assert accepted.status == ReturnStatus.ACCEPTED


def test_return_accept_of_submitted_refused_with_current_status(tree, users, indicators):
    result = submitted(users, tree, indicators)

    with pytest.raises(Refused) as refused:
        domain.return_accept(monthly_return=result, by=users["county"])

    assert refused.value.message == (
        "This return is now “Submitted”; reload the page to see its current state."
    )


def test_return_transition_of_unsaved_return_refused(tree, users):
    unsaved = MonthlyReturn(community=tree["home"], period=PERIOD, version=0)

    with pytest.raises(Refused) as refused:
        domain.return_approve(monthly_return=unsaved, by=users["county"])

    assert refused.value.message == "This return has not been saved yet."


def test_return_two_approvals_make_one_event(tree, users, indicators):
    result = submitted(users, tree, indicators)
    # Both reviewers opened the page while the return was still submitted.
    seen_by_township = MonthlyReturn.objects.get(pk=result.pk)
    seen_by_county = MonthlyReturn.objects.get(pk=result.pk)

    domain.return_approve(monthly_return=seen_by_township, by=users["township"])
    with pytest.raises(Refused) as refused:
        domain.return_approve(monthly_return=seen_by_county, by=users["county"])

    assert refused.value.message == (
        "This return is now “Approved by township”; reload the page to see its current state."
    )
    assert ReturnEvent.objects.filter(action=E.APPROVED).count() == 1


# ---------- Audit ----------


def test_value_changes_lists_old_and_new_newest_first(tree, users, indicators):
    draft = save(users["clerk"], tree["home"], indicators, version=0, households=100)
    save(users["clerk"], tree["home"], indicators, version=1, households=120, residents=300)
    save(users["county"], tree["home"], indicators, version=2, households=120, residents=310)

    changes = value_changes(draft)

    assert [(c["indicator"].code, c["old"], c["new"], c["by"].username) for c in changes] == [
        ("residents", Decimal("300"), Decimal("310"), "county"),
        ("residents", None, Decimal("300"), "clerk"),
        ("households", Decimal("100"), Decimal("120"), "clerk"),
        ("households", None, Decimal("100"), "clerk"),
    ]


def test_value_changes_unchanged_values_leave_no_history(tree, users, indicators):
    draft = save(users["clerk"], tree["home"], indicators, version=0, households=100)
    save(users["clerk"], tree["home"], indicators, version=1, households=100)

    assert len(value_changes(draft)) == 1
    assert ReturnValue.history.count() == 1
