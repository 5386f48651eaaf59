"""Pure helpers for monthly returns: deadlines and the checks on figures.

Nothing here touches the database, so the entry form, the Excel import and the tests share
the very same rules.
"""

import datetime
import statistics
from decimal import Decimal

from django.conf import settings
from django.db.models import Q

from chunan_community.months import add_months, month_end
from communities.returns.models import EDITABLE


def founding_month(founded_year: int, founded_on: datetime.date | None) -> datetime.date:
    """The first month a community owes a return: its founding month, else January of its
    founding year (only the year is known for most communities)."""
    if founded_on:
        return founded_on.replace(day=1)
    return datetime.date(founded_year, 1, 1)


def owes_return(period: datetime.date) -> Q:
    """The communities that owe `period`'s return, as a filter: `founding_month` by then."""
    return Q(founded_on__isnull=False, founded_on__lt=add_months(period, 1)) | Q(
        founded_on__isnull=True, founded_year__lte=period.year
    )


def due_on(period: datetime.date) -> datetime.date:
    """Submissions after this day are marked late."""
    return month_end(period) + datetime.timedelta(days=settings.RETURN_DUE_DAYS)


def closes_on(period: datetime.date, open_until: datetime.date | None = None) -> datetime.date:
    """After this day a clerk can no longer change the return (the county can reopen it)."""
    if open_until:
        return open_until
    return month_end(period) + datetime.timedelta(days=settings.RETURN_CLOSE_DAYS)


def open_for_entry(monthly_return, period: datetime.date, today: datetime.date) -> bool:
    """Does the clerk still have to enter this month's return (None: not started)? It is
    not started, a draft or sent back, and its entry window has not closed."""
    if monthly_return is None:
        return today <= closes_on(period)
    return monthly_return.status in EDITABLE and today <= closes_on(
        period, monthly_return.open_until
    )


# The largest figure a return holds (the value column has 14 digits, 2 after the point).
VALUE_LIMIT = Decimal("999999999999.99")

# A value is "far from recent months" when it differs from their median by more than half
# the median and by more than this many units (so that 1 → 3 training classes is no alarm).
OUTLIER_MIN_HISTORY = 3
OUTLIER_RELATIVE = Decimal("0.5")
OUTLIER_ABSOLUTE = Decimal(10)


def recent_median(value: Decimal | None, recent: list[Decimal]) -> Decimal | None:
    """The median of the recent months when `value` is far from it, else None."""
    known = [v for v in recent if v is not None]
    if value is None or len(known) < OUTLIER_MIN_HISTORY:
        return None
    median = Decimal(statistics.median(known))
    gap = abs(value - median)
    if gap > OUTLIER_ABSOLUTE and gap > OUTLIER_RELATIVE * abs(median):
        return median
    return None
