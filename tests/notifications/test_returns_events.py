"""Monthly returns tell people when work is due: a return sent back or reopened reaches the
clerk with the reason; the daily reminders tell the clerks of a return due or overdue, the
township of its overdue returns, and the reviewers of the returns waiting for them."""

import datetime
from contextlib import contextmanager
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from communities.access import access_for
from communities.models import Community, MonthlyReturn, ReturnStatus, Role
from communities.returns import domain
from communities.returns.reminders import owed_return_reminders, waiting_return_reminders
from communities.returns.worklist import returns_work
from notifications.models import Kind, Message, Profile
from notifications.reminders import send_reminders
from tests.factories import make_community, make_return, make_user
from tests.mail import run_worker

pytestmark = pytest.mark.django_db

OCTOBER = datetime.date(2026, 10, 1)
SEPTEMBER = datetime.date(2026, 9, 1)
AUGUST = datetime.date(2026, 8, 1)
# October's return is due on 10 November (RETURN_DUE_DAYS = 10) and closes on 15 December.
RETURN_KINDS = [
    Kind.RETURN_SENT_BACK,
    Kind.RETURN_DUE,
    Kind.RETURN_OVERDUE,
    Kind.RETURNS_OVERDUE_AREA,
    Kind.RETURNS_WAITING,
]


@contextmanager
def on(year, month, day):
    """The clock at 10:00 in the county on that day; yields the day."""
    moment = datetime.datetime(year, month, day, 10, tzinfo=ZoneInfo("Asia/Shanghai"))
    with time_machine.travel(moment, tick=False):
        yield timezone.localdate()


def reachable(user):
    """The user with an e-mail address, reading messages in English."""
    user.email = f"{user.username}@example.org"
    user.save(update_fields=["email"])
    Profile.objects.create(user=user, language="en")
    return user


def messages(*kinds):
    return list(
        Message.objects.filter(kind__in=kinds or RETURN_KINDS)
        .order_by("recipient__username", "kind", "key")
        .values_list("recipient__username", "kind", "key")
    )


@pytest.fixture
def founded_in_october(tree):
    """The communities of the tree were founded in October 2026: they owe October's return
    and no earlier one."""
    Community.objects.update(founded_year=2026, founded_on=OCTOBER)
    return tree


def submitted_by_clerk(tree, users):
    with on(2026, 11, 5):
        return domain.return_save(
            community=tree["home"],
            period=OCTOBER,
            values={},
            version=0,
            by=users["clerk"],
            submit=True,
        )


def transition_url(action):
    return reverse(
        "returns:transition", kwargs={"code": "home", "month": "2026-10", "action": action}
    )


# ---------- A return sent back or reopened ----------


def test_send_back_on_the_page_tells_the_clerk_the_reason(client, tree, users, mailbox):
    clerk = reachable(users["clerk"])
    reachable(users["other_clerk"])
    submitted_by_clerk(tree, users)

    with on(2026, 11, 6):
        client.force_login(users["township"])
        response = client.post(
            transition_url("send_back"), {"send_back-reason": "户数与上月相差太大，请核实。"}
        )
        run_worker()

    assert response.status_code == 302
    [message] = Message.objects.all()
    assert (message.recipient, message.kind, message.subject, message.url, message.key) == (
        clerk,
        Kind.RETURN_SENT_BACK,
        "Your return for October 2026 was sent back",
        "/returns/home/2026-10/",
        "",
    )
    assert message.body == (
        "Hello clerk,\n\n"
        f"The township sent back the monthly return of {tree['home'].name_en} for October "
        "2026. The reason it gave:\n\n"
        "户数与上月相差太大，请核实。\n\n"
        "Correct the figures and submit the return again by 15 December 2026."
    )
    [mail] = mailbox.messages
    assert (mail.rcpt_tos, mail["Subject"]) == (
        ["clerk@example.org"],
        "Your return for October 2026 was sent back",
    )
    assert "户数与上月相差太大，请核实。" in mailbox.text(mail)
    assert "http://127.0.0.1:8000/returns/home/2026-10/" in mailbox.text(mail)


def test_the_county_sending_back_an_approved_return_says_so(client, tree, users):
    reachable(users["clerk"])
    make_return(community=tree["home"], period=OCTOBER, status=ReturnStatus.APPROVED)

    with on(2026, 11, 20):
        client.force_login(users["county"])
        client.post(transition_url("send_back"), {"send_back-reason": "复核"})

    [message] = Message.objects.all()
    assert message.body.splitlines()[2] == (
        f"The county sent back the monthly return of {tree['home'].name_en} for October 2026. "
        "The reason it gave:"
    )
    # Reopened until RETURN_DUE_DAYS after the day it was sent back.
    assert message.body.splitlines()[-1] == (
        "Correct the figures and submit the return again by 15 December 2026."
    )


def test_reopening_an_accepted_return_tells_the_clerk_the_reason(client, tree, users, mailbox):
    clerk = reachable(users["clerk"])
    make_return(community=tree["home"], period=OCTOBER, status=ReturnStatus.ACCEPTED)

    with on(2027, 1, 4):
        client.force_login(users["county"])
        response = client.post(transition_url("reopen"), {"reopen-reason": "户数录错"})
        run_worker()

    assert response.status_code == 302
    [message] = Message.objects.all()
    assert (message.recipient, message.kind, message.subject, message.url) == (
        clerk,
        Kind.RETURN_SENT_BACK,
        "Your return for October 2026 was reopened",
        "/returns/home/2026-10/",
    )
    assert message.body == (
        "Hello clerk,\n\n"
        f"The county reopened the monthly return of {tree['home'].name_en} for October 2026, "
        "which it had accepted. The reason it gave:\n\n"
        "户数录错\n\n"
        "Correct the figures and submit the return again by 14 January 2027."
    )
    [mail] = mailbox.to("clerk@example.org")
    assert "户数录错" in mailbox.text(mail)


def test_a_refused_send_back_tells_nobody(client, tree, users):
    reachable(users["clerk"])
    submitted_by_clerk(tree, users)

    with on(2026, 11, 6):
        client.force_login(users["clerk"])
        own = client.post(transition_url("send_back"), {"send_back-reason": "自己退回"})
        client.force_login(users["other_township"])
        other = client.post(transition_url("send_back"), {"send_back-reason": "越权"})

    assert (own.status_code, own["Location"], other.status_code) == (
        302,
        "/returns/home/2026-10/",
        404,
    )
    assert MonthlyReturn.objects.get().status == ReturnStatus.SUBMITTED
    assert Message.objects.count() == 0


def test_a_clerk_who_left_gets_nothing_the_other_clerk_does(tree, users):
    returned = submitted_by_clerk(tree, users)
    clerk = reachable(users["clerk"])
    clerk.is_active = False
    clerk.save(update_fields=["is_active"])
    second = reachable(make_user(Role.CLERK, community=tree["home"], username="second_clerk"))

    with on(2026, 11, 6):
        domain.return_send_back(monthly_return=returned, by=users["township"], reason="核实")

    assert messages() == [("second_clerk", Kind.RETURN_SENT_BACK, "")]
    assert Message.objects.get().recipient == second


# ---------- Reminders: due, overdue, the township's report ----------


def test_a_return_due_in_three_days_is_reminded_once(founded_in_october, users, mailbox):
    tree = founded_in_october
    reachable(users["clerk"])
    reachable(users["other_clerk"])
    make_return(community=tree["far"], period=OCTOBER, status=ReturnStatus.SUBMITTED)

    with on(2026, 11, 6) as four_days_before:
        send_reminders(four_days_before)
    assert messages(Kind.RETURN_DUE, Kind.RETURN_OVERDUE) == []

    with on(2026, 11, 7) as three_days_before:
        first = send_reminders(three_days_before)
        second = send_reminders(three_days_before)
        run_worker()

    assert (first.by_kind[Kind.RETURN_DUE], second.by_kind[Kind.RETURN_DUE]) == (1, 0)
    home = tree["home"]
    assert messages(Kind.RETURN_DUE, Kind.RETURN_OVERDUE) == [
        ("clerk", Kind.RETURN_DUE, f"return_due:{home.pk}:2026-10")
    ]
    message = Message.objects.get(kind=Kind.RETURN_DUE)
    assert (message.subject, message.url) == (
        "The return for October 2026 is due on 10 November 2026",
        "/returns/home/2026-10/",
    )
    assert message.body == (
        "Hello clerk,\n\n"
        f"The monthly return of {home.name_en} for October 2026 has not been submitted yet. "
        "It is due on 10 November 2026: a return submitted later is marked late."
    )
    [mail] = mailbox.to("clerk@example.org")
    assert mail["Subject"] == "The return for October 2026 is due on 10 November 2026"
    assert "http://127.0.0.1:8000/returns/home/2026-10/" in mailbox.text(mail)
    # The other clerk's return is submitted: nothing for them.
    assert mailbox.to("other_clerk@example.org") == []

    with on(2026, 11, 10) as due_day:
        send_reminders(due_day)
    assert len(messages(Kind.RETURN_DUE)) == 1


def test_an_overdue_return_goes_to_the_clerk_then_to_the_township(
    founded_in_october, users, settings
):
    settings.CHUNAN_OVERDUE_REPORT_DAYS = 5
    tree = founded_in_october
    home, neighbour = tree["home"], tree["neighbour"]
    for name in ("clerk", "township", "other_township", "county"):
        reachable(users[name])
    make_return(community=neighbour, period=OCTOBER, status=ReturnStatus.DRAFT)
    make_return(community=tree["far"], period=OCTOBER, status=ReturnStatus.APPROVED)

    with on(2026, 11, 11) as day_after:
        send_reminders(day_after)
        send_reminders(day_after)
    assert messages(Kind.RETURN_OVERDUE, Kind.RETURNS_OVERDUE_AREA) == [
        ("clerk", Kind.RETURN_OVERDUE, f"return_overdue:{home.pk}:2026-10")
    ]
    overdue = Message.objects.get(kind=Kind.RETURN_OVERDUE)
    assert overdue.subject == "The return for October 2026 is overdue"
    assert overdue.body == (
        "Hello clerk,\n\n"
        f"The monthly return of {home.name_en} for October 2026 was due on 10 November 2026 and "
        "has not been submitted yet.\n\n"
        "Submit it as soon as you can: its entry window closes on 15 December 2026, after which "
        "only the county can reopen it."
    )

    with on(2026, 11, 14) as four_days_late:
        send_reminders(four_days_late)
    assert messages(Kind.RETURNS_OVERDUE_AREA) == []

    with on(2026, 11, 15) as five_days_late:
        send_reminders(five_days_late)
        send_reminders(five_days_late)
    assert messages(Kind.RETURN_OVERDUE, Kind.RETURNS_OVERDUE_AREA) == [
        ("clerk", Kind.RETURN_OVERDUE, f"return_overdue:{home.pk}:2026-10"),
        ("township", Kind.RETURNS_OVERDUE_AREA, "returns_overdue_area:2026-11-15"),
    ]
    report = Message.objects.get(kind=Kind.RETURNS_OVERDUE_AREA)
    assert (report.subject, report.url) == (
        f"2 monthly returns overdue in {tree['north'].name_en}",
        "/returns/completeness/",
    )
    assert report.body == (
        "Hello township,\n\n"
        "These monthly returns were due 5 days or more ago and have not been submitted yet:\n\n"
        f"- {home.name_en}, October 2026: due on 10 November 2026, Not started\n"
        f"- {neighbour.name_en}, October 2026: due on 10 November 2026, Draft\n\n"
        "Their clerks were reminded. The completeness report shows every month of every "
        "community."
    )

    with on(2026, 11, 16) as next_day:
        send_reminders(next_day)
    assert messages(Kind.RETURN_OVERDUE, Kind.RETURNS_OVERDUE_AREA) == [
        ("clerk", Kind.RETURN_OVERDUE, f"return_overdue:{home.pk}:2026-10"),
        ("township", Kind.RETURNS_OVERDUE_AREA, "returns_overdue_area:2026-11-15"),
        ("township", Kind.RETURNS_OVERDUE_AREA, "returns_overdue_area:2026-11-16"),
    ]


def test_a_submitted_return_is_no_longer_reminded(founded_in_october, users):
    far = founded_in_october["far"]
    submitted_by_clerk(founded_in_october, users)

    with on(2026, 11, 20) as late:
        send_reminders(late)

    # The far community has not submitted October's return: its clerk only is reminded.
    assert messages(Kind.RETURN_DUE, Kind.RETURN_OVERDUE) == [
        ("other_clerk", Kind.RETURN_OVERDUE, f"return_overdue:{far.pk}:2026-10")
    ]


def test_the_reminders_owe_the_months_of_the_clerks_to_do_list(tree, users):
    """One rule: the months the to-do list asks of the clerk are those reminded."""
    make_return(community=tree["home"], period=SEPTEMBER, status=ReturnStatus.RETURNED)
    make_return(community=tree["home"], period=AUGUST, status=ReturnStatus.DRAFT)
    make_return(
        community=tree["home"],
        period=datetime.date(2026, 3, 1),
        status=ReturnStatus.DRAFT,
        open_until=datetime.date(2026, 11, 20),
    )

    with on(2026, 11, 8) as today:
        [work] = returns_work(users["clerk"], access_for(users["clerk"]), today)
        reminded = [
            (reminder.kind, reminder.url)
            for reminder in owed_return_reminders(today)
            if users["clerk"] in reminder.recipients
        ]

    assert [task.url for task in work.tasks] == [url for _kind, url in reminded]
    assert reminded == [
        (Kind.RETURN_OVERDUE, "/returns/home/2026-03/"),
        (Kind.RETURN_OVERDUE, "/returns/home/2026-09/"),
        (Kind.RETURN_DUE, "/returns/home/2026-10/"),
    ]


# ---------- Reminders: the reviewers' daily digest ----------


def test_the_returns_waiting_are_one_message_a_day_per_reviewer(tree, users, mailbox):
    for name in ("township", "other_township", "county", "clerk"):
        reachable(users[name])
    make_return(community=tree["home"], period=OCTOBER, status=ReturnStatus.SUBMITTED)
    make_return(community=tree["home"], period=SEPTEMBER, status=ReturnStatus.APPROVED)
    make_return(community=tree["neighbour"], period=SEPTEMBER, status=ReturnStatus.SUBMITTED)
    make_return(community=tree["neighbour"], period=OCTOBER, status=ReturnStatus.APPROVED)
    make_return(community=tree["far"], period=OCTOBER, status=ReturnStatus.APPROVED)
    make_return(community=tree["far"], period=SEPTEMBER, status=ReturnStatus.ACCEPTED)

    with on(2026, 11, 12) as today:
        send_reminders(today)
        send_reminders(today)
        run_worker()

    assert messages(Kind.RETURNS_WAITING) == [
        ("county", Kind.RETURNS_WAITING, "returns_waiting:2026-11-12"),
        ("township", Kind.RETURNS_WAITING, "returns_waiting:2026-11-12"),
    ]
    township = Message.objects.get(recipient=users["township"], kind=Kind.RETURNS_WAITING)
    assert (township.subject, township.url) == (
        "2 monthly returns waiting for your review",
        "/returns/?status=submitted",
    )
    assert township.body == (
        "Hello township,\n\n"
        "Submitted by the communities and waiting for your approval:\n\n"
        f"- {tree['neighbour'].name_en}, September 2026\n"
        f"- {tree['home'].name_en}, October 2026"
    )
    county = Message.objects.get(recipient=users["county"], kind=Kind.RETURNS_WAITING)
    assert (county.subject, county.url) == (
        "3 monthly returns waiting for your acceptance",
        "/returns/?status=approved",
    )
    north, south = sorted((tree["north"], tree["south"]), key=lambda t: (t.sort_order, t.code))
    assert county.body == (
        "Hello county,\n\n"
        "Approved by the townships and waiting for the county's acceptance, by township:\n\n"
        f"- {north.name_en}: 2 returns\n"
        f"- {south.name_en}: 1 return"
    )
    digests = [mail for mail in mailbox.messages if "waiting for your" in mail["Subject"]]
    assert sorted((mail.rcpt_tos[0], mail["Subject"]) for mail in digests) == [
        ("county@example.org", "3 monthly returns waiting for your acceptance"),
        ("township@example.org", "2 monthly returns waiting for your review"),
    ]

    with on(2026, 11, 13) as next_day:
        send_reminders(next_day)
    assert len(messages(Kind.RETURNS_WAITING)) == 4


def test_nothing_waiting_sends_no_digest(tree, users):
    make_return(community=tree["home"], period=OCTOBER, status=ReturnStatus.ACCEPTED)

    with on(2026, 11, 12) as today:
        assert waiting_return_reminders(today) == []
        send_reminders(today)

    assert messages(Kind.RETURNS_WAITING) == []


# ---------- The providers' queries ----------


def counted(provider, today):
    with CaptureQueriesContext(connection) as queries:
        reminders = provider(today)
    return len(queries), len(reminders)


def grow(tree, count):
    """`count` more communities in each township. In the north each has a clerk, October's
    return not started and September's approved; in the south October's is submitted."""
    for _n in range(count):
        community = make_community(township=tree["north"], founded_year=2026)
        make_user(Role.CLERK, community=community)
        make_user(Role.TOWNSHIP, township=tree["north"])
        make_return(community=community, period=SEPTEMBER, status=ReturnStatus.APPROVED)
        make_return(
            community=make_community(township=tree["south"], founded_year=2026),
            period=OCTOBER,
            status=ReturnStatus.SUBMITTED,
        )


def test_the_providers_queries_do_not_grow_with_the_communities(tree, users):
    make_return(community=tree["home"], period=OCTOBER, status=ReturnStatus.SUBMITTED)
    providers = (owed_return_reminders, waiting_return_reminders)

    with on(2026, 11, 20) as today:
        small = [counted(provider, today) for provider in providers]
        grow(tree, 6)
        large = [counted(provider, today) for provider in providers]

    # Owed: the communities, their returns, the people. Waiting: the returns, the people.
    assert [queries for queries, _count in small] == [3, 2]
    assert [queries for queries, _count in large] == [3, 2]
    # The data did grow: more reminders from the same queries. Owed (September's window
    # closed on 14 November): October overdue at far, and a report to each township; then
    # October overdue in each new northern community. Waiting: the north's township; then
    # the south's and the county too.
    assert [count for _queries, count in small] == [3, 1]
    assert [count for _queries, count in large] == [9, 3]
