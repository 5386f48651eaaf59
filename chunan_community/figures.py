"""The report toolkit every report shares: a share of a count (`Percent`), a column of a
table of areas (`Area`), and how a figure is written: on a page (`cell_text`, with
`chunan_community.charts.format_number`, which the charts' axes use too), in a CSV file
(`cell_csv`, `plain_number`) and in a workbook (`cell_xlsx`, `export_number`).
"""

from dataclasses import dataclass
from decimal import Decimal
from fractions import Fraction

from chunan_community.charts import format_number


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


def cell_text(value) -> str:
    """A cell as the page shows it: numbers grouped (1,234), no figure as '—'."""
    if value is None or isinstance(value, int | Decimal):
        return format_number(value)
    return str(value)


def cell_csv(value) -> str:
    """A cell for CSV: plain numbers (1234, 12.5), no figure as an empty cell."""
    if value is None or isinstance(value, int | Decimal):
        return plain_number(None if value is None else Decimal(value))
    return str(value)


def cell_xlsx(value) -> tuple[object, str | None]:
    """A cell for a workbook: (value, number format or None). Numbers stay numbers."""
    if value is None:
        return None, None
    if isinstance(value, int):
        return value, None
    if isinstance(value, Decimal):
        return export_number(value), None
    if isinstance(value, Percent):
        fraction = value.fraction
        return (None, None) if fraction is None else (float(fraction), "0%")
    return str(value), None
