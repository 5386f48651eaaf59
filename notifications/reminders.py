"""The daily reminders (`manage.py send_reminders`): what is due, gathered from every app.

As for the to-do list, the rules of what is due live in each app, which registers a provider
from its AppConfig.ready(). A provider is a callable `(today) -> Iterable[Reminder]`; each
reminder names its event in `key` (a return and its month, a term and the threshold), and a
user gets one message per key: running the reminders twice on a day, or every hour, sends
each reminder once.

After the providers, each user who chose a daily digest gets one e-mail listing the day's
messages, and the outbox is swept for deliveries a worker lost.
"""

import datetime
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from django.conf import settings
from django.db import IntegrityError, transaction

from notifications import notify as notifying
from notifications import outbox
from notifications.models import Kind, Message, Profile, chosen_kinds


@dataclass(frozen=True)
class Reminder:
    kind: Kind
    recipients: tuple
    template: str
    key: str
    url: str = ""
    context: dict = field(default_factory=dict)


Provider = Callable[[datetime.date], Iterable[Reminder]]
# What kinds of message a user can receive from an app, by their role: the message settings
# show those only (a clerk is never sent score sheets).
Audience = Callable[[object], Iterable[Kind]]

_providers: list[Provider] = []
_audiences: list[Audience] = []


def register(provider: Provider) -> None:
    """Add an app's provider; registering the same one twice keeps one."""
    if provider not in _providers:
        _providers.append(provider)


def register_audience(audience: Audience) -> None:
    """Add an app's `(user) -> kinds` (as `register`)."""
    if audience not in _audiences:
        _audiences.append(audience)


def kinds_for(user) -> list[Kind]:
    """The kinds `user` may choose how to receive, in the order of Kind: those the apps say
    their role receives; every kind for an account no app knows (a superuser without a
    role)."""
    wanted = {kind for audience in _audiences for kind in audience(user)}
    return [kind for kind in chosen_kinds() if not wanted or kind in wanted]


@dataclass
class Sent:
    messages: int = 0
    digests: int = 0
    swept: int = 0
    by_kind: dict = field(default_factory=lambda: defaultdict(int))


def send_reminders(today: datetime.date) -> Sent:
    sent = Sent()
    for provider in _providers:
        for reminder in provider(today):
            try:
                with transaction.atomic():
                    written = notifying.notify(
                        reminder.kind,
                        reminder.recipients,
                        reminder.template,
                        reminder.context,
                        url=reminder.url,
                        key=reminder.key,
                    )
            except IntegrityError:
                # Another run wrote the same reminder at the same moment: it is sent once.
                continue
            sent.messages += len(written)
            sent.by_kind[reminder.kind] += len(written)
    sent.digests = send_digests(today)
    sent.swept = outbox.sweep()
    return sent


def send_digests(today: datetime.date) -> int:
    """One e-mail to each user with messages waiting for their digest; returns how many."""
    waiting = defaultdict(list)
    for message in (
        Message.objects.filter(in_digest=True)
        .select_related("recipient")
        .order_by("recipient_id", "created_at")
    ):
        waiting[message.recipient].append(message)
    if not waiting:
        return 0
    languages = dict(
        Profile.objects.filter(user__in=list(waiting)).values_list("user_id", "language")
    )
    count = 0
    for user, messages in waiting.items():
        with transaction.atomic():
            written = notifying.email_to(
                user.email,
                Kind.DIGEST,
                "notifications/messages/digest.txt",
                {"recipient": user, "messages": messages, "today": today},
                url="/inbox/",
                key=f"digest:{user.pk}:{today.isoformat()}",
                language=languages.get(user.pk, settings.LANGUAGE_CODE),
                preferences=True,
            )
            Message.objects.filter(pk__in=[m.pk for m in messages]).update(in_digest=False)
        count += written is not None
    return count
