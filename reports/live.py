"""The live reports: built from the records as they stand, and kept in the shared cache while
those records do not change.

A county officer opens a report, then its print view, its workbook and its Word file: four
builds of the same figures within a minute, each a pass over every return value of two
years (about 3 s at 10,000 communities; docs/performance.md). So a built report's data is
kept under a key of the kind, months, area, day and language, together with a version of
the records: saving or deleting a row of any model of the apps the reports read
(communities, ratings, services) draws a new version, as the public pages' cache does
(chunan_community.public_cache), so a report is never served from figures that have
changed through the portal, the admin or a command.

Writes that send no signals (bulk_create, QuerySet.update(), SQL) are not seen: a report
built before them is served for at most REPORT_CACHE_SECONDS. Publishing never reads this
cache: a published snapshot is always built from the records at that moment
(reports.publishing.publish).
"""

import datetime
import logging
import uuid

from django.apps import apps
from django.core.cache import cache
from django.db import transaction
from django.db.models.signals import m2m_changed, post_delete, post_save
from django.utils import translation

from chunan_community.documents import Document
from chunan_community.public_cache import cache_namespace
from communities.models import Township

logger = logging.getLogger(__name__)

# The apps whose records the reports read: every model of theirs is watched.
WATCHED_APPS = ("communities", "ratings", "services")
# The longest a built report is kept (a write the signals do not see shows after this).
REPORT_CACHE_SECONDS = 600


def _version_key() -> str:
    return f"{cache_namespace()}:reports:version"


def current_version() -> str:
    key = _version_key()
    version = cache.get(key)
    if version is None:
        cache.add(key, uuid.uuid4().hex, timeout=None)
        version = cache.get(key)
    return version


def bump_version() -> None:
    try:
        cache.delete(_version_key())
    except Exception:
        logger.exception("reports cache: the version could not be bumped")


def _changed(using=None, **kwargs) -> None:
    # Now, and again after the commit: a report built meanwhile from data not yet
    # committed is kept under the first version only.
    bump_version()
    if transaction.get_connection(using).in_atomic_block:
        transaction.on_commit(bump_version, using=using)


def _relation_changed(sender, action, using=None, **kwargs):
    if action in ("post_add", "post_remove", "post_clear"):
        _changed(using)


def connect_invalidation() -> None:
    """Watch every model of WATCHED_APPS (from ReportsConfig.ready())."""
    for label in WATCHED_APPS:
        for model in apps.get_app_config(label).get_models():
            uid = f"reports.live.{model._meta.label}"
            post_save.connect(_changed, sender=model, dispatch_uid=f"{uid}.save")
            post_delete.connect(_changed, sender=model, dispatch_uid=f"{uid}.delete")
            for field in model._meta.local_many_to_many:
                m2m_changed.connect(
                    _relation_changed,
                    sender=field.remote_field.through,
                    dispatch_uid=f"{uid}.m2m.{field.name}",
                )


def live_document(
    build,
    kind: str,
    *,
    first_month: datetime.date,
    last_month: datetime.date,
    township: Township | None,
    today: datetime.date,
) -> Document:
    """`build(kind, …)`'s document, from the cache while the records are unchanged."""
    key = ":".join(
        [
            cache_namespace(),
            "reports",
            current_version(),
            kind,
            f"{first_month:%Y-%m}",
            f"{last_month:%Y-%m}",
            str(township.pk if township else "county"),
            today.isoformat(),
            translation.get_language() or "",
        ]
    )
    data = cache.get(key)
    if data is not None:
        return Document.from_data(data)
    document = build(
        kind, first_month=first_month, last_month=last_month, township=township, today=today
    )
    cache.set(key, document.to_data(), timeout=REPORT_CACHE_SECONDS)
    return document
