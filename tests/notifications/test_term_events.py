"""Terms of office falling due: the community's clerks and its township's staff are told 90
days before a term ends and again 30 days before, each notice once."""

import datetime
from contextlib import contextmanager
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from communities.models import Community, GovernanceBody, Role
from communities.reminders import term_reminders
from notifications.models import Kind, Message, Profile
from notifications.reminders import send_reminders
from tests.factories import make_body, make_community, make_term, make_user
from tests.mail import run_worker

pytestmark = pytest.mark.django_db

ENDS = datetime.date(2027, 3, 31)


@pytest.fixture(autouse=True)
def notice_days(settings):
    settings.TERMS_DUE_DAYS = 90


@contextmanager
def on(day: datetime.date):
    """The clock at 10:00 in the county on that day; yields the day."""
    moment = datetime.datetime.combine(day, datetime.time(10), ZoneInfo("Asia/Shanghai"))
    with time_machine.travel(moment, tick=False):
        yield timezone.localdate()


def reachable(user):
    """The user with an e-mail address, reading messages in English."""
    user.email = f"{user.username}@example.org"
    user.save(update_fields=["email"])
    Profile.objects.create(user=user, language="en")
    return user


def term_messages():
    return list(
        Message.objects.filter(kind=Kind.TERM_ENDING)
        .order_by("recipient__username", "key")
        .values_list("recipient__username", "key")
    )


def term_of(community, *, number=7, ends_on=ENDS, kind=GovernanceBody.Kind.RESIDENTS_COMMITTEE):
    body = make_body(community=community, kind=kind, name="居民委员会")
    make_term(body=body, number=number, starts_on=datetime.date(2022, 4, 1), ends_on=ends_on)
    return body


def test_a_term_is_announced_90_then_30_days_before_it_ends(tree, users, mailbox):
    for name in ("clerk", "township", "other_township", "other_clerk", "county"):
        reachable(users[name])
    body = term_of(tree["home"])

    with on(ENDS - datetime.timedelta(days=91)) as too_early:
        send_reminders(too_early)
    assert term_messages() == []

    with on(ENDS - datetime.timedelta(days=90)) as ninety_days_before:
        first = send_reminders(ninety_days_before)
        second = send_reminders(ninety_days_before)
        run_worker()

    assert (first.by_kind[Kind.TERM_ENDING], second.by_kind[Kind.TERM_ENDING]) == (2, 0)
    assert term_messages() == [
        ("clerk", f"term_ending:{body.pk}:7:90"),
        ("township", f"term_ending:{body.pk}:7:90"),
    ]
    message = Message.objects.get(recipient=users["township"], kind=Kind.TERM_ENDING)
    assert (message.subject, message.url) == (
        "The term of 居民委员会 ends on 31 March 2027",
        tree["home"].get_workspace_url(),
    )
    assert message.body == (
        "Hello township,\n\n"
        f"Term 7 of 居民委员会 ({tree['home'].name_en}) ends on 31 March 2027, in 90 days.\n\n"
        "Prepare the election of the next term in time, and record it in the community's "
        "records when it is held."
    )
    # The returns of the tree's communities are overdue too: only the term's e-mails here.
    # (A subject with Chinese in it is folded onto the header's next line: strip.)
    terms = [mail for mail in mailbox.messages if "The term of" in mail["Subject"]]
    assert sorted((mail.rcpt_tos[0], mail["Subject"].strip()) for mail in terms) == [
        ("clerk@example.org", "The term of 居民委员会 ends on 31 March 2027"),
        ("township@example.org", "The term of 居民委员会 ends on 31 March 2027"),
    ]
    [mail] = [mail for mail in terms if mail.rcpt_tos == ["clerk@example.org"]]
    assert f"http://127.0.0.1:8000{tree['home'].get_workspace_url()}" in mailbox.text(mail)

    with on(ENDS - datetime.timedelta(days=31)) as before_the_second:
        send_reminders(before_the_second)
    assert len(term_messages()) == 2

    with on(ENDS - datetime.timedelta(days=30)) as thirty_days_before:
        send_reminders(thirty_days_before)
        send_reminders(thirty_days_before)
    assert term_messages() == [
        ("clerk", f"term_ending:{body.pk}:7:30"),
        ("clerk", f"term_ending:{body.pk}:7:90"),
        ("township", f"term_ending:{body.pk}:7:30"),
        ("township", f"term_ending:{body.pk}:7:90"),
    ]
    last = Message.objects.get(recipient=users["clerk"], key=f"term_ending:{body.pk}:7:30")
    assert last.body.splitlines()[2] == (
        f"Term 7 of 居民委员会 ({tree['home'].name_en}) ends on 31 March 2027, in 30 days."
    )

    with on(ENDS + datetime.timedelta(days=1)) as after_the_end:
        send_reminders(after_the_end)
    assert len(term_messages()) == 4


def test_a_term_found_within_30_days_gets_the_last_notice_only(tree, users):
    body = term_of(tree["far"])

    with on(ENDS - datetime.timedelta(days=20)) as today:
        send_reminders(today)

    assert term_messages() == [
        ("other_clerk", f"term_ending:{body.pk}:7:30"),
        ("other_township", f"term_ending:{body.pk}:7:30"),
    ]


def test_a_term_already_followed_by_the_next_is_not_announced(tree, users):
    body = term_of(tree["home"], number=6)
    make_term(
        body=body,
        number=7,
        starts_on=ENDS + datetime.timedelta(days=1),
        elected_on=ENDS - datetime.timedelta(days=40),
    )
    merged = make_community(township=tree["north"], status=Community.Status.MERGED)
    make_user(Role.CLERK, community=merged)
    term_of(merged)

    with on(ENDS - datetime.timedelta(days=30)) as today:
        send_reminders(today)

    assert term_messages() == []


def test_term_reminders_queries_do_not_grow_with_the_terms(tree, users):
    term_of(tree["home"])
    today = ENDS - datetime.timedelta(days=60)

    def counted():
        with CaptureQueriesContext(connection) as queries:
            reminders = term_reminders(today)
        return len(queries), len(reminders)

    small = counted()
    for _n in range(5):
        community = make_community(township=tree["south"])
        make_user(Role.CLERK, community=community)
        term_of(community)
        # Not due yet:
        term_of(community, ends_on=ENDS.replace(year=2028), kind=GovernanceBody.Kind.ASSEMBLY)
    large = counted()

    # The terms, the people; one reminder per term due.
    assert (small, large) == ((2, 1), (2, 6))
