"""The county's announcements (通知公告): notices county staff publish on the public home
page, each with a date, an optional attachment and a page of its own. A rating round's call
for declarations is one (portal.announcements.publish_declaration_call).

Every change goes through portal.announcements.
"""

import datetime
import uuid

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from ratings.models import Round


class AnnouncementStatus(models.TextChoices):
    """Where an announcement stands, from its own dates (Announcement.status_on)."""

    DRAFT = "draft", _("Draft")
    SCHEDULED = "scheduled", _("Scheduled")
    PUBLISHED = "published", _("Published")
    WITHDRAWN = "withdrawn", _("Withdrawn")


class AnnouncementQuerySet(models.QuerySet):
    def public(self, today: datetime.date):
        """What the public sees on `today`: published on or before it, and not withdrawn."""
        return self.filter(published_on__lte=today, withdrawn_on__isnull=True)

    def with_status(self, status, today: datetime.date):
        """Those whose status_on(today) is `status`."""
        if status == AnnouncementStatus.WITHDRAWN:
            return self.filter(withdrawn_on__isnull=False)
        current = self.filter(withdrawn_on__isnull=True)
        if status == AnnouncementStatus.DRAFT:
            return current.filter(published_on__isnull=True)
        if status == AnnouncementStatus.SCHEDULED:
            return current.filter(published_on__gt=today)
        return current.filter(published_on__lte=today)


def attachment_path(instance, filename):
    # Server-generated names: the uploaded name is kept only as data (attachment_name).
    return f"announcements/{uuid.uuid4().hex}"


class Announcement(models.Model):
    title = models.CharField(_("announcement title"), max_length=200)
    body = models.TextField(
        _("announcement text"), help_text=_("Plain text; an empty line starts a new paragraph.")
    )
    published_on = models.DateField(
        _("published on"),
        null=True,
        blank=True,
        help_text=_("Public from this day on. Empty: a draft, not public."),
    )
    attachment = models.FileField(
        _("attachment"), upload_to=attachment_path, max_length=200, blank=True
    )
    attachment_name = models.CharField(_("attachment's file name"), max_length=200, blank=True)
    attachment_type = models.CharField(_("attachment's content type"), max_length=100, blank=True)
    attachment_size = models.PositiveIntegerField(_("attachment's size (bytes)"), default=0)
    round = models.ForeignKey(
        Round,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="announcements",
        verbose_name=_("rating round"),
    )
    withdrawn_on = models.DateField(_("withdrawn on"), null=True, blank=True)
    withdrawn_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("withdrawn by"),
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("created by"),
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)
    is_sample = models.BooleanField(
        _("sample data"),
        default=False,
        help_text=_("Invented for the demonstration (load_chunan --demo-accounts)."),
    )
    history = HistoricalRecords()

    objects = AnnouncementQuerySet.as_manager()

    class Meta:
        verbose_name = _("announcement")
        verbose_name_plural = _("announcements")
        # Newest first; drafts (no date yet) before them all: the county's work in hand.
        ordering = [models.F("published_on").desc(nulls_first=True), "-created_at", "-pk"]
        constraints = [
            models.CheckConstraint(
                condition=~Q(title=""), name="portal_announcement_title_not_empty"
            ),
            # A file and what is known of it go together.
            models.CheckConstraint(
                condition=Q(attachment="", attachment_name="", attachment_type="")
                | (~Q(attachment="") & ~Q(attachment_name="") & ~Q(attachment_type="")),
                name="portal_announcement_attachment_described",
            ),
        ]
        indexes = [
            models.Index(fields=["published_on"], name="portal_announcement_published"),
        ]

    def __str__(self):
        return self.title

    def get_absolute_url(self):
        return reverse("portal:announcement", kwargs={"pk": self.pk})

    def status_on(self, today: datetime.date) -> AnnouncementStatus:
        if self.withdrawn_on is not None:
            return AnnouncementStatus.WITHDRAWN
        if self.published_on is None:
            return AnnouncementStatus.DRAFT
        if self.published_on > today:
            return AnnouncementStatus.SCHEDULED
        return AnnouncementStatus.PUBLISHED

    def is_public_on(self, today: datetime.date) -> bool:
        return self.status_on(today) == AnnouncementStatus.PUBLISHED

    @property
    def has_attachment(self) -> bool:
        return bool(self.attachment)
