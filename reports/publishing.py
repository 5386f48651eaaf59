"""Building a report and publishing it as a frozen snapshot.

`build` makes the document of a kind for its months and area from the records as they are
now; `publish` freezes it: the document's data is stored on the Publication, and every page
and file of a published report is written from that data, never from the records again. A
report published before (the same kind, area and months) is corrected by publishing it again
with a note: the new version replaces the old on the public pages, which stays readable.
"""

import datetime

from django.db import transaction
from django.db.models import Q
from django.utils.translation import gettext as _

from chunan_community.documents import Document
from chunan_community.errors import Refused
from communities.models import Township
from reports.circular import timeliness_circular
from reports.models import Kind, Publication
from reports.yearly import statistics_bulletin, yearly_report

# The newest public reports the home page announces.
HOME_REPORTS = 3


def build(
    kind: str,
    *,
    first_month: datetime.date,
    last_month: datetime.date,
    township: Township | None,
    today: datetime.date,
) -> Document:
    """The report of `kind` for its months (and township, for a yearly report), as of today,
    in the active language."""
    if kind == Kind.YEARLY:
        return yearly_report(year=first_month.year, township=township, today=today)
    if kind == Kind.BULLETIN:
        return statistics_bulletin(year=first_month.year, today=today)
    return timeliness_circular(first_month=first_month, last_month=last_month, today=today)


def series(kind, *, first_month, last_month, township):
    """Every version of one report: the same kind, months and area."""
    return Publication.objects.filter(
        kind=kind, first_month=first_month, last_month=last_month, township=township
    )


@transaction.atomic
def publish(
    kind: str,
    *,
    first_month: datetime.date,
    last_month: datetime.date,
    township: Township | None,
    number: str,
    published_on: datetime.date,
    note: str,
    user,
    today: datetime.date,
) -> Publication:
    """Freeze the report as it stands today and publish it on `published_on`.

    A report published before becomes the previous version of this one; the new version
    needs a note saying what it corrects. Two county officers publishing the same report at
    once: the second waits for the first (the series is locked) and becomes its correction,
    or is refused for want of a note.
    """
    if published_on < today:
        raise Refused(_("A report is published today or on a later day."))
    previous = (
        series(kind, first_month=first_month, last_month=last_month, township=township)
        # The newest version has no replacement: an outer join, which PostgreSQL locks only
        # on the publication's own side.
        .select_for_update(of=("self",))
        .filter(replaced_by__isnull=True)
        .first()
    )
    note = note.strip()
    if previous is not None and not note:
        raise Refused(
            _(
                "This report was published before (version %(version)s): say in the "
                "correction note what the new version corrects."
            )
            % {"version": previous.version}
        )
    document = build(
        kind, first_month=first_month, last_month=last_month, township=township, today=today
    )
    document.number = number.strip()
    document.date = published_on
    if previous is not None:
        document.notes.append(
            _("Corrected version %(version)s, replacing version %(previous)s: %(note)s")
            % {"version": previous.version + 1, "previous": previous.version, "note": note}
        )
    return Publication.objects.create(
        kind=kind,
        title=document.title,
        township=township,
        first_month=first_month,
        last_month=last_month,
        number=document.number,
        published_on=published_on,
        document=document.to_data(),
        has_sample=document.has_sample,
        version=previous.version + 1 if previous else 1,
        replaces=previous,
        note=note,
        published_by=user,
    )


def public_reports(today: datetime.date):
    """The reports the public reads today, newest first: of each report its newest version
    already published (a correction scheduled for a later day leaves the current one up)."""
    return (
        Publication.objects.public(today)
        .exclude(Q(replaced_by__published_on__lte=today) & Q(replaced_by__withdrawn_at=None))
        .select_related("township")
        .defer("document")
    )


def latest_public(today: datetime.date) -> list[Publication]:
    """The home page's newest reports: one query."""
    return list(public_reports(today)[:HOME_REPORTS])


def public_years(today: datetime.date) -> list[int]:
    """The years of the public reports' months, newest first (the list's filter)."""
    return sorted(
        {d.year for d in Publication.objects.public(today).dates("first_month", "year")},
        reverse=True,
    )
