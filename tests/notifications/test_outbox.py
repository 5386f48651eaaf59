"""The inbox and the outbox: a message is written with its event, sent by the worker to a
real SMTP server, retried when the server refuses, never lost."""

import datetime

import pytest
import time_machine
from django.db import transaction
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from notifications import outbox
from notifications.models import Delivery, DeliveryStatus, Kind, Message, Mode, Preference, Profile
from notifications.notify import email_to, notify
from tests.mail import run_worker

pytestmark = pytest.mark.django_db

TEMPLATE = "notifications/messages/password_changed.txt"


def test_a_message_reaches_the_inbox_and_the_smtp_server(users, mailbox):
    clerk = users["clerk"]
    clerk.email = "clerk@example.org"
    clerk.save(update_fields=["email"])
    [message] = notify(Kind.RETURN_SENT_BACK, [clerk], TEMPLATE, {"user": clerk}, url="/returns/")
    assert Message.objects.get().recipient == clerk
    delivery = Delivery.objects.get()
    assert (delivery.to, delivery.status, delivery.message) == (
        "clerk@example.org",
        DeliveryStatus.PENDING,
        message,
    )
    assert mailbox.messages == []  # nothing is sent in the request

    run_worker()

    [mail] = mailbox.to("clerk@example.org")
    assert mail["Subject"] == "您的密码已更改"
    assert "http://127.0.0.1:8000/returns/" in mailbox.text(mail)
    assert "/account/notifications/" in mailbox.text(mail)
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts) == (DeliveryStatus.SENT, 1)


def test_english_users_get_english_messages(users, mailbox):
    clerk = users["clerk"]
    clerk.email = "clerk@example.org"
    clerk.save(update_fields=["email"])
    Profile.objects.create(user=clerk, language="en")
    notify(Kind.RETURN_SENT_BACK, [clerk], TEMPLATE, {"user": clerk})
    run_worker()
    assert mailbox.messages[0]["Subject"] == "Your password was changed"


def test_preferences_choose_inbox_only_or_the_digest(users, mailbox):
    clerk, township = users["clerk"], users["township"]
    for user in (clerk, township):
        user.email = f"{user.username}@example.org"
        user.save(update_fields=["email"])
    Preference.objects.create(user=clerk, kind=Kind.RETURN_SENT_BACK, mode=Mode.INBOX)
    Preference.objects.create(user=township, kind=Kind.RETURN_SENT_BACK, mode=Mode.DIGEST)
    notify(Kind.RETURN_SENT_BACK, [clerk, township], TEMPLATE, {"user": clerk})
    assert Message.objects.count() == 2
    assert not Delivery.objects.exists()
    assert Message.objects.get(recipient=township).in_digest

    from notifications.reminders import send_digests

    today = timezone.localdate()
    assert send_digests(today) == 1
    assert send_digests(today) == 0  # once
    run_worker()
    [digest] = mailbox.messages
    assert digest.rcpt_tos == ["township@example.org"]
    assert "您的密码已更改" in mailbox.text(digest)
    assert "/account/notifications/" in mailbox.text(digest)


def test_a_refused_send_is_retried_then_kept_as_failed(users, mailbox, settings):
    settings.CHUNAN_MAIL_MAX_ATTEMPTS = 2
    delivery = email_to(
        "someone@example.org", Kind.OPINION_REPLY, TEMPLATE, {"user": users["clerk"]}
    )
    mailbox.refuse_with = "451 Try again later"
    run_worker()
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts) == (DeliveryStatus.PENDING, 1)
    assert "451" in delivery.last_error
    assert delivery.next_attempt_at > timezone.now()
    # The retry waits for its time: the worker sends nothing before.
    run_worker()
    delivery.refresh_from_db()
    assert delivery.attempts == 1
    with time_machine.travel(delivery.next_attempt_at + datetime.timedelta(seconds=1)):
        run_worker()
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts) == (DeliveryStatus.FAILED, 2)
    # County staff send it again (outbox page); the server now accepts.
    mailbox.refuse_with = None
    outbox.retry(delivery)
    run_worker()
    delivery.refresh_from_db()
    assert delivery.status == DeliveryStatus.SENT
    assert len(mailbox.to("someone@example.org")) == 1


def test_a_delivery_whose_task_was_lost_is_swept_back(users, mailbox):
    delivery = email_to("lost@example.org", Kind.OPINION_REPLY, TEMPLATE, {"user": users["clerk"]})
    # The worker took the task and died: the queue row says running, the delivery is pending.
    DBTaskResult.objects.update(status="RUNNING")
    run_worker()
    assert mailbox.messages == []
    assert outbox.sweep() == 0  # not stale yet
    with time_machine.travel(timezone.now() + outbox.STALE + datetime.timedelta(seconds=1)):
        assert outbox.sweep() == 1
        run_worker()
    delivery.refresh_from_db()
    assert delivery.status == DeliveryStatus.SENT
    assert len(mailbox.to("lost@example.org")) == 1


def test_a_claimed_delivery_is_sent_by_one_worker_only(users, mailbox):
    delivery = email_to("once@example.org", Kind.OPINION_REPLY, TEMPLATE, {"user": users["clerk"]})
    assert outbox.claim(delivery.pk) is not None
    assert outbox.send(delivery.pk) == "skipped"
    assert mailbox.messages == []


def test_a_rolled_back_event_writes_nothing(users):
    with pytest.raises(RuntimeError), transaction.atomic():
        notify(Kind.RETURN_SENT_BACK, [users["clerk"]], TEMPLATE, {"user": users["clerk"]})
        raise RuntimeError
    assert not Message.objects.exists()
    assert not Delivery.objects.exists()
    assert not DBTaskResult.objects.exists()


def test_a_keyed_message_is_written_once(users):
    clerk = users["clerk"]
    for _ in range(3):
        notify(Kind.RETURN_DUE, [clerk], TEMPLATE, {"user": clerk}, key="due:1")
    assert Message.objects.filter(key="due:1").count() == 1


def test_inactive_users_get_no_message(users):
    clerk = users["clerk"]
    clerk.is_active = False
    clerk.save()
    assert notify(Kind.RETURN_DUE, [clerk], TEMPLATE, {"user": clerk}) == []


def test_text_messages_for_deadlines_go_through_the_sms_backend(users, caplog):
    clerk = users["clerk"]
    Profile.objects.create(user=clerk, phone="138 1234 5678", sms=True)
    notify(Kind.RETURN_DUE, [clerk], TEMPLATE, {"user": clerk})
    notify(Kind.RETURN_SENT_BACK, [clerk], TEMPLATE, {"user": clerk})  # not a deadline
    sms = Delivery.objects.get(channel="sms")
    assert sms.to == "138 1234 5678"
    with caplog.at_level("INFO", logger="notifications.sms"):
        run_worker()
    sms.refresh_from_db()
    assert sms.status == DeliveryStatus.SENT
    assert "SMS to 138 1234 5678: 您的密码已更改" in caplog.text
