"""`manage.py send_reminders`, as the systemd timer and the worker run it: run twice on the
same day, it sends each reminder once."""

import datetime
import io
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core.management import CommandError, call_command

from notifications.models import Delivery, Kind, Message
from tests.mail import run_worker

pytestmark = pytest.mark.django_db

# Two days before October 2026's return is due (10 November): September's is overdue.
DAY = datetime.datetime(2026, 11, 8, 7, 0, tzinfo=ZoneInfo("Asia/Shanghai"))


def send(day: str) -> str:
    out = io.StringIO()
    call_command("send_reminders", date=day, stdout=out)
    return out.getvalue()


def test_run_twice_on_a_day_each_reminder_is_sent_once(users, mailbox):
    for role in ("clerk", "township"):
        users[role].email = f"{role}@example.org"
        users[role].save(update_fields=["email"])

    with time_machine.travel(DAY, tick=False):
        first = send("2026-11-08")
        run_worker()
        second = send("2026-11-08")
        run_worker()

    clerk_kinds = sorted(
        Message.objects.filter(recipient=users["clerk"]).values_list("kind", flat=True)
    )
    assert clerk_kinds == [Kind.RETURN_DUE, Kind.RETURN_OVERDUE]
    assert list(
        Message.objects.filter(recipient=users["township"]).values_list("kind", flat=True)
    ) == [Kind.RETURNS_OVERDUE_AREA]
    # The clerks of home and far two each, the staff of both townships one each.
    assert "send_reminders 2026-11-08: 6 messages" in first
    assert "send_reminders 2026-11-08: 0 messages" in second
    assert Delivery.objects.count() == 3
    assert len(mailbox.to("clerk@example.org")) == 2
    assert len(mailbox.to("township@example.org")) == 1

    # The next day, only what is new: each township's overdue report (one a day).
    with time_machine.travel(DAY + datetime.timedelta(days=1), tick=False):
        third = send("2026-11-09")
    assert "send_reminders 2026-11-09: 2 messages" in third


def test_a_bad_date_is_refused_with_the_reason():
    with pytest.raises(CommandError, match="--date"):
        send("2026-13-01")
