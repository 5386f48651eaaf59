"""What the apps call when something happens: `notify` writes a message to each user's inbox
and, by their preferences, an e-mail and a text message to the outbox; `email_to` writes an
e-mail to an address that belongs to no account (an objector's, a department's).

Call them inside the transaction of the event: the messages commit with it or not at all,
and the outbox's deliveries are put on the task queue in the same transaction (the queue is
a table of the same database), so a commit never leaves a message unsent.

Each message is written in its recipient's language (Profile.language) from a template whose
first line is the subject and whose remaining lines are the text.
"""

from collections.abc import Iterable
from dataclasses import dataclass

from django.conf import settings
from django.template import Context, engines
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import translation

from notifications import outbox
from notifications.models import (
    ACCOUNT_KINDS,
    EMAIL_ONLY_KINDS,
    SMS_KINDS,
    Channel,
    Delivery,
    Kind,
    Message,
    Mode,
    Preference,
    Profile,
)


@dataclass(frozen=True)
class Text:
    subject: str
    body: str


def render_text(template: str, context: dict, language: str) -> Text:
    """`template` in `language`: its first line the subject, the rest the text."""
    # Plain text: what people typed (an ampersand, a quote) stays as typed.
    with translation.override(language):
        compiled = engines["django"].engine.get_template(template)
        lines = compiled.render(Context(context, autoescape=False)).strip().splitlines()
    subject = " ".join(lines[0].split()) if lines else ""
    body = "\n".join(line.rstrip() for line in lines[1:]).strip("\n")
    return Text(subject[:200], _squeezed(body))


def _squeezed(text: str) -> str:
    """At most one blank line in a row: template tags leave empty lines behind."""
    out, blank = [], False
    for line in text.splitlines():
        if not line.strip():
            if not blank and out:
                out.append("")
            blank = True
            continue
        out.append(line)
        blank = False
    return "\n".join(out).strip()


def site_url(path: str) -> str:
    """`path` on the portal's public address (CHUNAN_SITE_URL), for links in e-mails."""
    if not path or "://" in path:
        return path
    return settings.CHUNAN_SITE_URL.rstrip("/") + path


def _email_body(text: Text, url: str, language: str, *, preferences: bool) -> str:
    with translation.override(language):
        footer = render_to_string(
            "notifications/email_footer.txt",
            {
                "url": site_url(url),
                "preferences_url": (
                    site_url(reverse("notifications:preferences")) if preferences else ""
                ),
            },
        )
    return f"{text.body}\n\n{footer.strip()}\n"


def notify(
    kind: Kind,
    recipients: Iterable,
    template: str,
    context: dict | None = None,
    *,
    url: str = "",
    key: str = "",
) -> list[Message]:
    """Write `kind` to each active user of `recipients`; returns the messages written.

    `url` is the page where the matter is dealt with. With `key`, a user who already has a
    message for that key gets no second one (the reminders run daily; each is sent once).
    The account kinds reach an account that was just disabled too, by e-mail only.
    """
    context = context or {}
    account_kind = kind in ACCOUNT_KINDS
    users = {user.pk: user for user in recipients if user.is_active or account_kind}
    if key and users:
        already = Message.objects.filter(key=key, recipient__in=list(users)).values_list(
            "recipient_id", flat=True
        )
        for pk in already:
            users.pop(pk, None)
    if not users:
        return []
    profiles = {p.user_id: p for p in Profile.objects.filter(user__in=list(users))}
    modes = dict(
        Preference.objects.filter(user__in=list(users), kind=kind).values_list("user_id", "mode")
    )
    messages, deliveries = [], []
    for pk, user in users.items():
        profile = profiles.get(pk)
        language = profile.language if profile else settings.LANGUAGE_CODE
        text = render_text(template, {**context, "recipient": user}, language)
        mode = Mode.EMAIL if account_kind else modes.get(pk, Mode.EMAIL)
        message = Message(
            recipient=user,
            kind=kind,
            subject=text.subject,
            body=text.body,
            url=url,
            key=key,
            in_digest=mode == Mode.DIGEST and bool(user.email),
        )
        if user.is_active and kind not in EMAIL_ONLY_KINDS:
            messages.append(message)
        if mode == Mode.EMAIL and user.email:
            deliveries.append(
                (
                    message,
                    Delivery(
                        channel=Channel.EMAIL,
                        kind=kind,
                        to=user.email,
                        subject=text.subject,
                        body=_email_body(text, url, language, preferences=not account_kind),
                    ),
                )
            )
        if kind in SMS_KINDS and profile and profile.sms and profile.phone:
            deliveries.append(
                (
                    message,
                    Delivery(
                        channel=Channel.SMS,
                        kind=kind,
                        to=profile.phone,
                        subject=text.subject,
                        body=text.subject,
                    ),
                )
            )
    Message.objects.bulk_create(messages)
    for message, delivery in deliveries:
        delivery.message = message if message.pk else None
    outbox.write([delivery for _message, delivery in deliveries])
    return messages


def email_to(
    address: str,
    kind: Kind,
    template: str,
    context: dict | None = None,
    *,
    url: str = "",
    key: str = "",
    language: str | None = None,
    sensitive: bool = False,
    preferences: bool = False,
) -> Delivery | None:
    """Write an e-mail to `address`, which belongs to no account (or to a user who cannot log
    in). With `key`, a second call for the same key writes nothing and returns None. With
    `preferences`, the e-mail links to the recipient's message settings (a user's digest)."""
    if not address:
        return None
    if key and Delivery.objects.filter(channel=Channel.EMAIL, key=key).exists():
        return None
    language = language or settings.LANGUAGE_CODE
    text = render_text(template, context or {}, language)
    delivery = Delivery(
        channel=Channel.EMAIL,
        kind=kind,
        to=address,
        subject=text.subject,
        body=_email_body(text, url, language, preferences=preferences),
        key=key,
        sensitive=sensitive,
    )
    outbox.write([delivery])
    return delivery


def unread_of(request) -> int:
    """The number of the user's unread messages, counted once per request (the navigation
    and the inbox share it)."""
    if not hasattr(request, "_chunan_unread"):
        request._chunan_unread = Message.objects.filter(recipient=request.user).unread().count()
    return request._chunan_unread
