"""Month arithmetic: a month is the date of its first day (2026-10-01 stands for October 2026).

Pure functions, shared by every app: deadlines, reports, the demo calendar and the charts.
"""

import calendar
import datetime
import re

from django.utils.formats import date_format

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


def month_end(period: datetime.date) -> datetime.date:
    """The last day of `period`'s month."""
    return period.replace(day=calendar.monthrange(period.year, period.month)[1])


def month_name(period: datetime.date) -> str:
    """A month in running text, in the user's language: 2026年11月, November 2026."""
    return date_format(period, "YEAR_MONTH_FORMAT")
