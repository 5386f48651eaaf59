"""The demo's published reports (统计信息) for `load_chunan --demo-accounts`: last year's
yearly report on community building and the circular of the last closed quarter, published
by county staff on the day of the load, so that a visitor finds both on the home page.

Each is published through reports.publishing (a frozen snapshot of the sample figures, marked
as sample data) only when no version of it exists: a load on a later day keeps what was
published and adds the circular of a quarter closed since.
"""

import datetime

from communities.loading import Loader
from reports import publishing
from reports.circular import last_closed_quarter
from reports.models import Kind, Publication

# The demo's document numbers (文号), invented.
YEARLY_NUMBER = "淳民〔{year}〕1号"
CIRCULAR_NUMBER = "淳民〔{year}〕{quarter}0号"


def load_sample_reports(loader: Loader, *, today: datetime.date, by) -> None:
    year = today.year - 1
    quarter = last_closed_quarter(today)
    wanted = [
        (
            Kind.YEARLY,
            datetime.date(year, 1, 1),
            datetime.date(year, 12, 1),
            YEARLY_NUMBER.format(year=today.year),
        ),
        (
            Kind.CIRCULAR,
            quarter.first,
            quarter.last,
            CIRCULAR_NUMBER.format(year=today.year, quarter=(quarter.first.month - 1) // 3 + 1),
        ),
    ]
    for kind, first, last, number in wanted:
        months = {"first_month": first, "last_month": last, "township": None}
        if publishing.series(kind, **months).exists():
            loader.count(Publication, "unchanged")
            continue
        publishing.publish(
            kind, **months, number=number, published_on=today, note="", user=by, today=today
        )
        loader.count(Publication, "created")
