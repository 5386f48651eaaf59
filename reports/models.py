"""A published report: a frozen snapshot of a document (chunan_community.documents).

What the public reads is what was published: later edits to the returns or the registry do
not change it. A correction is a new version of the same report (the same kind, scope and
period) with a note saying what changed; the public page shows the newest version and lists
the earlier ones.
"""

import datetime

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from chunan_community.documents import Document
from communities.models import Township


class Kind(models.TextChoices):
    YEARLY = "yearly", _("Yearly report on community building")
    BULLETIN = "bulletin", _("Statistics bulletin")
    CIRCULAR = "circular", _("Circular on timely reporting")


class PublicationQuerySet(models.QuerySet):
    def public(self, today: datetime.date | None = None):
        """Published on or before today (county time) and not withdrawn."""
        today = today or timezone.localdate()
        return self.filter(published_on__lte=today, withdrawn_at__isnull=True)

    def newest_versions(self):
        """Of each report (kind, scope, period), only its newest version."""
        return self.filter(replaced_by__isnull=True)


class Publication(models.Model):
    kind = models.CharField(_("kind"), max_length=10, choices=Kind)
    title = models.CharField(_("title"), max_length=200)
    # The county's report has no township.
    township = models.ForeignKey(
        Township,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="publications",
        verbose_name=_("township"),
    )
    # The months the report covers: a year, a quarter or a month.
    first_month = models.DateField(_("first month"))
    last_month = models.DateField(_("last month"))
    number = models.CharField(
        _("document number"),
        max_length=60,
        blank=True,
        help_text=_("The reference the office gives the document."),
    )
    published_on = models.DateField(
        _("date published"), help_text=_("The public sees the report from this day.")
    )
    document = models.JSONField(_("document"))
    has_sample = models.BooleanField(_("contains sample data"), default=False)
    version = models.PositiveSmallIntegerField(_("version"), default=1)
    replaces = models.OneToOneField(
        "self",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="replaced_by",
        verbose_name=_("corrects"),
    )
    note = models.TextField(
        _("correction note"), blank=True, help_text=_("What this version corrects.")
    )
    published_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("published by"),
    )
    created_at = models.DateTimeField(_("created"), default=timezone.now)
    withdrawn_at = models.DateTimeField(_("withdrawn"), null=True, blank=True)

    objects = PublicationQuerySet.as_manager()

    class Meta:
        verbose_name = _("published report")
        verbose_name_plural = _("published reports")
        ordering = ["-published_on", "-pk"]
        indexes = [models.Index(fields=["-published_on", "-id"], name="reports_pub_newest")]
        constraints = [
            models.CheckConstraint(
                condition=Q(first_month__lte=models.F("last_month")),
                name="reports_publication_months",
            ),
            models.CheckConstraint(
                condition=Q(version=1, replaces__isnull=True)
                | Q(version__gt=1, replaces__isnull=False),
                name="reports_publication_version",
            ),
        ]

    def __str__(self):
        return self.title

    def get_absolute_url(self):
        return reverse("reports:publication", kwargs={"pk": self.pk})

    @property
    def as_document(self) -> Document:
        return Document.from_data(self.document)
