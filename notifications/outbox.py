"""The outbox: e-mails and text messages waiting to be sent, and the sending of each.

A delivery is written with its event (notify) and put on the task queue (django-tasks, the
database backend: a row in the same database and the same transaction). A worker runs
`deliver`, which claims each delivery for LEASE, sends it and marks it sent. Nothing is
lost on the way:

- a send that fails (the SMTP server down, refused) is tried again later, RETRY_MINUTES
  apart, up to CHUNAN_MAIL_MAX_ATTEMPTS times; then it is marked failed and stays in the
  outbox, where county staff can send it again;
- a worker that dies in the middle of a send leaves the delivery pending, its claim runs
  out, and `sweep` (every SWEEP_MINUTES, and with the daily reminders) puts it back on the
  queue. A message may then go out twice, never not at all; its Message-ID is the same each
  time, so a mail client shows it once.
"""

import datetime
import logging
from collections import Counter
from email.utils import make_msgid

from django.conf import settings
from django.core.mail import EmailMessage
from django.db.models import Q
from django.utils import timezone
from django_tasks import task

from notifications import sms
from notifications.models import Channel, Delivery, DeliveryStatus

logger = logging.getLogger(__name__)

# A worker owns a delivery this long once it claimed it: longer than any send can take
# (EMAIL_TIMEOUT bounds an SMTP conversation).
LEASE = datetime.timedelta(minutes=5)
# A pending delivery put on the queue this long ago and still not sent was lost by a worker.
STALE = datetime.timedelta(minutes=10)
# Minutes between the tries of a failing delivery, the last repeated.
RETRY_MINUTES = (1, 5, 15, 30, 60, 120, 240)


def write(deliveries: list[Delivery]) -> list[Delivery]:
    """Save `deliveries` and put each on the task queue, in the caller's transaction."""
    if not deliveries:
        return []
    Delivery.objects.bulk_create(deliveries)
    enqueue(deliveries)
    return deliveries


def enqueue(deliveries, *, run_after: datetime.datetime | None = None) -> None:
    """One task for all of `deliveries` (an event writes one queue row however many people
    it tells); each is claimed and sent on its own, so one failing retries alone."""
    pks = [delivery.pk for delivery in deliveries]
    if not pks:
        return
    sender = deliver.using(run_after=run_after) if run_after else deliver
    sender.enqueue(pks)
    Delivery.objects.filter(pk__in=pks).update(enqueued_at=run_after or timezone.now())


def claim(pk: int) -> Delivery | None:
    """Take delivery `pk` for LEASE if it is pending, due and nobody holds it; None if not
    (sent already, or another worker is sending it)."""
    now = timezone.now()
    taken = (
        Delivery.objects.filter(pk=pk, status=DeliveryStatus.PENDING, next_attempt_at__lte=now)
        .filter(Q(claimed_until__isnull=True) | Q(claimed_until__lt=now))
        .update(claimed_until=now + LEASE)
    )
    return Delivery.objects.get(pk=pk) if taken else None


def _send_email(delivery: Delivery) -> None:
    domain = settings.DEFAULT_FROM_EMAIL.rpartition("@")[2] or "chunan.invalid"
    EmailMessage(
        subject=delivery.subject,
        body=delivery.body,
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=[delivery.to],
        headers={
            # The same on every try: a message sent twice shows once.
            "Message-ID": make_msgid(idstring=f"delivery-{delivery.pk}", domain=domain),
            "Auto-Submitted": "auto-generated",
        },
    ).send()


@task()
def deliver(delivery_ids: list[int]) -> dict:
    """The queue's task: send each delivery of `delivery_ids`; what happened, counted."""
    outcomes = Counter(send(pk) for pk in delivery_ids)
    return dict(outcomes)


def send(pk: int) -> str:
    """Send delivery `pk` once; returns what happened ("sent", "retry", "failed", "skipped")."""
    delivery = claim(pk)
    if delivery is None:
        return "skipped"
    try:
        if delivery.channel == Channel.SMS:
            sms.backend().send(delivery.to, delivery.body)
        else:
            _send_email(delivery)
    except Exception as error:
        return _failed(delivery, error)
    Delivery.objects.filter(pk=pk).update(
        status=DeliveryStatus.SENT,
        sent_at=timezone.now(),
        attempts=delivery.attempts + 1,
        claimed_until=None,
        last_error="",
    )
    return "sent"


def _failed(delivery: Delivery, error: Exception) -> str:
    attempts = delivery.attempts + 1
    message = f"{type(error).__name__}: {error}"[:500]
    logger.warning("delivery %s failed (attempt %s): %s", delivery.pk, attempts, message)
    if attempts >= settings.CHUNAN_MAIL_MAX_ATTEMPTS:
        Delivery.objects.filter(pk=delivery.pk).update(
            status=DeliveryStatus.FAILED, attempts=attempts, claimed_until=None, last_error=message
        )
        return "failed"
    wait = RETRY_MINUTES[min(attempts, len(RETRY_MINUTES)) - 1]
    when = timezone.now() + datetime.timedelta(minutes=wait)
    Delivery.objects.filter(pk=delivery.pk).update(
        attempts=attempts, next_attempt_at=when, claimed_until=None, last_error=message
    )
    enqueue([delivery], run_after=when)
    return "retry"


def retry(delivery: Delivery) -> None:
    """Send a failed delivery again (county staff, from the outbox page)."""
    Delivery.objects.filter(pk=delivery.pk).update(
        status=DeliveryStatus.PENDING, attempts=0, next_attempt_at=timezone.now()
    )
    enqueue([delivery])


def sweep() -> int:
    """Put back on the queue each pending, due delivery whose task was lost (a worker killed
    while sending it, a queue row removed); returns how many."""
    now = timezone.now()
    lost = list(
        Delivery.objects.filter(status=DeliveryStatus.PENDING, next_attempt_at__lte=now)
        .filter(Q(enqueued_at__isnull=True) | Q(enqueued_at__lt=now - STALE))
        .filter(Q(claimed_until__isnull=True) | Q(claimed_until__lt=now))
        .only("pk")
    )
    enqueue(lost)
    return len(lost)
