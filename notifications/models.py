"""Messages to people, the outbox that carries them by e-mail or text message, and each
person's preferences and contact details.

A Message is what a user finds in the inbox. A Delivery is one e-mail or text message in the
outbox: written in the same transaction as its message (and so as the event), then sent by
the task queue; it stays pending until the sending succeeds, so nothing is lost when a send
fails or a worker dies (notifications.outbox).
"""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class Kind(models.TextChoices):
    """What a message is about; a user's preferences are kept per kind."""

    RETURN_SENT_BACK = "return_sent_back", _("A return sent back")
    RETURN_DUE = "return_due", _("A return due soon")
    RETURN_OVERDUE = "return_overdue", _("A return overdue")
    RETURNS_OVERDUE_AREA = "returns_overdue_area", _("Overdue returns in my area")
    RETURNS_WAITING = "returns_waiting", _("Returns waiting for me (daily)")
    TERM_ENDING = "term_ending", _("Terms falling due")
    DECLARATIONS_OPEN = "declarations_open", _("Declarations opened")
    DECLARATION_DEADLINE = "declaration_deadline", _("The declaration deadline")
    SHEETS_ASSIGNED = "sheets_assigned", _("Score sheets assigned")
    SCORING_DEADLINE = "scoring_deadline", _("The scoring deadline")
    NEW_OPINION = "new_opinion", _("A new opinion on a notice")
    OPINION_REPLY = "opinion_reply", _("The reply to an opinion")
    ADMISSION_DECISION = "admission_decision", _("An admission decision")
    PASSWORD_CHANGED = "password_changed", _("My password changed")
    ACCOUNT_DISABLED = "account_disabled", _("My account disabled")
    PASSWORD_RESET = "password_reset", _("Password reset")
    SET_PASSWORD = "set_password", _("Set your password")
    DIGEST = "digest", _("Daily digest")


# Kinds a user cannot turn off or delay: what concerns the account itself.
ACCOUNT_KINDS = frozenset(
    {Kind.PASSWORD_CHANGED, Kind.ACCOUNT_DISABLED, Kind.PASSWORD_RESET, Kind.SET_PASSWORD}
)
# Kinds that never reach an inbox: sent to an address, or to someone who cannot log in.
EMAIL_ONLY_KINDS = frozenset(
    {Kind.OPINION_REPLY, Kind.PASSWORD_RESET, Kind.SET_PASSWORD, Kind.DIGEST}
)
# Deadlines: also sent as a text message to a user who asked for them (Profile.sms).
SMS_KINDS = frozenset(
    {Kind.RETURN_DUE, Kind.RETURN_OVERDUE, Kind.DECLARATION_DEADLINE, Kind.SCORING_DEADLINE}
)


def chosen_kinds() -> list[Kind]:
    """The kinds a user sets a preference for, in the order of Kind."""
    return [kind for kind in Kind if kind not in ACCOUNT_KINDS | EMAIL_ONLY_KINDS]


class Mode(models.TextChoices):
    EMAIL = "email", _("E-mail and inbox")
    INBOX = "inbox", _("Inbox only")
    DIGEST = "digest", _("Inbox, and one e-mail a day")


class Profile(models.Model):
    """A user's contact details and language for the messages sent to them."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="notification_profile",
        verbose_name=_("user"),
    )
    phone = models.CharField(
        _("mobile phone"),
        max_length=20,
        blank=True,
        help_text=_("A mainland mobile number, for text-message reminders of deadlines."),
    )
    sms = models.BooleanField(_("text-message reminders of deadlines"), default=False)
    language = models.CharField(
        _("language of messages"),
        max_length=8,
        choices=settings.LANGUAGES,
        default=settings.LANGUAGE_CODE,
    )

    class Meta:
        verbose_name = _("contact details")
        verbose_name_plural = _("contact details")

    def __str__(self):
        return str(self.user)


class Preference(models.Model):
    """How a user wants one kind of message; a kind without a row is sent as Mode.EMAIL."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="notification_preferences",
        verbose_name=_("user"),
    )
    kind = models.CharField(_("kind"), max_length=32, choices=Kind)
    mode = models.CharField(_("how"), max_length=8, choices=Mode, default=Mode.EMAIL)

    class Meta:
        verbose_name = _("notification preference")
        verbose_name_plural = _("notification preferences")
        constraints = [
            models.UniqueConstraint(fields=["user", "kind"], name="one_preference_per_kind")
        ]

    def __str__(self):
        return f"{self.user} · {self.get_kind_display()}: {self.get_mode_display()}"


class MessageQuerySet(models.QuerySet):
    def unread(self):
        return self.filter(read_at__isnull=True)


class Message(models.Model):
    """One message in a user's inbox. `key` names the event for reminders: a user gets one
    message per key, however often the reminders run."""

    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="messages_received",
        verbose_name=_("recipient"),
    )
    kind = models.CharField(_("kind"), max_length=32, choices=Kind)
    subject = models.CharField(_("subject"), max_length=200)
    body = models.TextField(_("text"))
    url = models.CharField(_("link"), max_length=300, blank=True)
    key = models.CharField(_("event"), max_length=120, blank=True)
    created_at = models.DateTimeField(_("sent"), auto_now_add=True, db_index=True)
    read_at = models.DateTimeField(_("read"), null=True, blank=True)
    # Waiting for the recipient's daily digest e-mail (Mode.DIGEST).
    in_digest = models.BooleanField(_("waiting for the digest"), default=False)

    objects = MessageQuerySet.as_manager()

    class Meta:
        verbose_name = _("message")
        verbose_name_plural = _("messages")
        ordering = ["-created_at", "-pk"]
        indexes = [
            models.Index(fields=["recipient", "read_at"], name="message_unread"),
            models.Index(fields=["recipient", "-created_at"], name="message_inbox"),
            models.Index(fields=["in_digest"], name="message_digest", condition=Q(in_digest=True)),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["recipient", "key"], condition=~Q(key=""), name="one_message_per_event"
            )
        ]

    def __str__(self):
        return self.subject

    def get_absolute_url(self):
        return reverse("notifications:message", args=[self.pk])


class Channel(models.TextChoices):
    EMAIL = "email", _("E-mail")
    SMS = "sms", _("Text message")


class DeliveryStatus(models.TextChoices):
    PENDING = "pending", _("Waiting to be sent")
    SENT = "sent", _("Sent")
    FAILED = "failed", _("Failed")


class Delivery(models.Model):
    """One e-mail or text message in the outbox (notifications.outbox sends it).

    `key`, when set, names the event: one delivery per key, so a digest or a reply is sent
    once however often its command runs. A `sensitive` one (a password link) keeps its text
    from the outbox page.
    """

    channel = models.CharField(_("channel"), max_length=8, choices=Channel, default=Channel.EMAIL)
    kind = models.CharField(_("kind"), max_length=32, choices=Kind)
    to = models.CharField(_("to"), max_length=254)
    subject = models.CharField(_("subject"), max_length=200)
    body = models.TextField(_("text"))
    message = models.ForeignKey(
        Message,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="deliveries",
        verbose_name=_("message"),
    )
    key = models.CharField(_("event"), max_length=160, blank=True)
    sensitive = models.BooleanField(_("text withheld from the outbox page"), default=False)
    status = models.CharField(
        _("status"), max_length=8, choices=DeliveryStatus, default=DeliveryStatus.PENDING
    )
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    # Due at once when written; later after a failed try (outbox._failed).
    next_attempt_at = models.DateTimeField(_("next attempt"), default=timezone.now)
    # A worker sending it holds it until then; after that another may (outbox.claim).
    claimed_until = models.DateTimeField(null=True, blank=True)
    # When it was last put on the task queue (outbox.sweep puts it back if that was lost).
    enqueued_at = models.DateTimeField(null=True, blank=True)
    sent_at = models.DateTimeField(_("sent"), null=True, blank=True)
    last_error = models.CharField(_("last error"), max_length=500, blank=True)
    created_at = models.DateTimeField(_("written"), auto_now_add=True)

    class Meta:
        verbose_name = _("outgoing message")
        verbose_name_plural = _("outbox")
        ordering = ["-created_at", "-pk"]
        indexes = [
            models.Index(
                fields=["next_attempt_at"],
                name="delivery_pending",
                condition=Q(status="pending"),
            ),
            models.Index(fields=["status", "-created_at"], name="delivery_outbox"),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["channel", "key"], condition=~Q(key=""), name="one_delivery_per_event"
            )
        ]

    def __str__(self):
        return f"{self.get_channel_display()} → {self.to}: {self.subject}"
