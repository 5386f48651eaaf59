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

from django.apps import apps
from django.core.cache import cache
from django.utils import translation

from chunan_community.documents import Document
from chunan_community.public_cache import ContentVersion, cache_namespace
from communities.models import Township

# The apps whose records the reports read: every model of theirs is watched.
WATCHED_APPS = ("communities", "ratings", "services")
# The longest a built report is kept (a write the signals do not see shows after this).
REPORT_CACHE_SECONDS = 600


# The records' version: drawn anew by any saved row of WATCHED_APPS.
RECORDS = ContentVersion("reports:version", "reports cache")
bump_version = RECORDS.bump


def connect_invalidation() -> None:
    """Watch every model of WATCHED_APPS (from ReportsConfig.ready())."""
    for label in WATCHED_APPS:
        for model in apps.get_app_config(label).get_models():
            RECORDS.watch(model)


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
            RECORDS.current(),
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
