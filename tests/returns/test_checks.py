import datetime
from decimal import Decimal

import pytest

from chunan_community.months import add_months, months_back, parse_month
from communities.returns.checks import closes_on, due_on, recent_median

D = datetime.date


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2026-10", D(2026, 10, 1)),
        ("2026-01", D(2026, 1, 1)),
        ("2026-13", None),
        ("2026-00", None),
        ("1999-12", None),
        ("2026-1", None),
        ("abc", None),
        ("", None),
        (None, None),
        ("2026-10-01", None),
    ],
)
def test_parse_month(text, expected):
    assert parse_month(text) == expected


def test_add_months_crosses_years():
    assert add_months(D(2026, 1, 1), -1) == D(2025, 12, 1)
    assert add_months(D(2025, 12, 1), 1) == D(2026, 1, 1)
    assert add_months(D(2026, 3, 1), -14) == D(2025, 1, 1)


def test_months_back_newest_first():
    assert months_back(D(2026, 2, 1), 3) == [D(2026, 2, 1), D(2026, 1, 1), D(2025, 12, 1)]


def test_due_and_closing_days_follow_settings(settings):
    settings.RETURN_DUE_DAYS = 10
    settings.RETURN_CLOSE_DAYS = 45
    assert due_on(D(2026, 2, 1)) == D(2026, 3, 10)
    assert closes_on(D(2026, 2, 1)) == D(2026, 4, 14)
    assert closes_on(D(2026, 2, 1), open_until=D(2026, 6, 1)) == D(2026, 6, 1)


@pytest.mark.parametrize(
    ("value", "recent", "expected"),
    [
        (Decimal(100), [Decimal(100), Decimal(98), Decimal(102)], None),
        (Decimal(300), [Decimal(100), Decimal(98), Decimal(102)], Decimal(100)),
        (Decimal(20), [Decimal(100), Decimal(98), Decimal(102)], Decimal(100)),
        # Small counts: 1 → 8 is more than half the median but within ten units.
        (Decimal(8), [Decimal(1), Decimal(2), Decimal(1)], None),
        # Too little history to judge.
        (Decimal(300), [Decimal(100), None, Decimal(102), None], None),
        (None, [Decimal(100), Decimal(98), Decimal(102)], None),
    ],
)
def test_recent_median_flags_values_far_from_recent_months(value, recent, expected):
    assert recent_median(value, recent) == expected
