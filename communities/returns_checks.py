"""Pure helpers for monthly returns: months, deadlines and the checks on figures.

Nothing here touches the database, so the entry form, the Excel import and the tests share
the very same rules.
"""

import datetime
import re
import statistics
from decimal import Decimal

from django.conf import settings

from communities.models import month_end

MONTH_RE = re.compile(r"^(\d{4})-(\d{2})$")


def parse_month(text: str) -> datetime.date | None:
    """'2026-10' → 2026-10-01; None for anything else."""
    match = MONTH_RE.match(text or "")
    if not match:
        return None
    year, month = int(match[1]), int(match[2])
    if not (2000 <= year <= 2100 and 1 <= month <= 12):
        return None
    return datetime.date(year, month, 1)


def month_start(day: datetime.date) -> datetime.date:
    return day.replace(day=1)


def add_months(period: datetime.date, months: int) -> datetime.date:
    index = period.year * 12 + period.month - 1 + months
    return datetime.date(index // 12, index % 12 + 1, 1)


def months_apart(first: datetime.date, last: datetime.date) -> int:
    """Months from `first`'s month to `last`'s: 0 for the same month, negative if earlier."""
    return (last.year - first.year) * 12 + last.month - first.month


def months_between(first: datetime.date, last: datetime.date) -> list[datetime.date]:
    """The first days of the months from `first` to `last`, oldest first."""
    return [add_months(first, n) for n in range(max(months_apart(first, last) + 1, 0))]


def months_back(last: datetime.date, count: int) -> list[datetime.date]:
    """`count` months ending with `last`, newest first."""
    return [add_months(last, -n) for n in range(count)]


def due_on(period: datetime.date) -> datetime.date:
    """Submissions after this day are marked late."""
    return month_end(period) + datetime.timedelta(days=settings.RETURN_DUE_DAYS)


def closes_on(period: datetime.date, open_until: datetime.date | None = None) -> datetime.date:
    """After this day a clerk can no longer change the return (the county can reopen it)."""
    if open_until:
        return open_until
    return month_end(period) + datetime.timedelta(days=settings.RETURN_CLOSE_DAYS)


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
