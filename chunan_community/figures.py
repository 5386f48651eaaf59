"""The report toolkit every report shares: a share of a count (`Percent`), a column of a
table of areas (`Area`), and how a figure is written in an export (`export_number`, `plain_number`).

The way a figure is shown on a page (grouped digits, '—' for none) is
`chunan_community.charts.format_number`, which the charts' axes use too.
"""

from dataclasses import dataclass
from decimal import Decimal
from fractions import Fraction


@dataclass(frozen=True)
class Percent:
    """`done` of `of`, shown as a whole percentage rounded half up (2 of 3 → 67%); no
    percentage (None, shown '—') when there is nothing to count. Adding two adds their
    counts (a township's figures into the county's)."""

    done: int = 0
    of: int = 0

    @property
    def fraction(self) -> Fraction | None:
        return Fraction(self.done, self.of) if self.of else None

    @property
    def percent(self) -> int | None:
        """Rounded half up: 2/3 → 67."""
        if not self.of:
            return None
        return int(Fraction(100 * self.done, self.of) + Fraction(1, 2))

    def __add__(self, other: "Percent") -> "Percent":
        return Percent(self.done + other.done, self.of + other.of)

    def __str__(self) -> str:
        return "—" if self.percent is None else f"{self.percent}%"


@dataclass(frozen=True)
class Area:
    """A column of figures: a township or a community (its id), or a total (None)."""

    key: int | None
    label: str


def export_number(value: Decimal | None) -> int | Decimal | None:
    """For a workbook: 1234 and 12.5 rather than 1234.00 and 12.50, as numbers."""
    if value is None:
        return None
    value = value.normalize()
    return int(value) if value == value.to_integral_value() else value


def plain_number(value: Decimal | None) -> str:
    """For CSV: '1234', '12.5', '' for no value (no grouping, no trailing zeros)."""
    number = export_number(value)
    return "" if number is None else f"{number:f}" if isinstance(number, Decimal) else str(number)
