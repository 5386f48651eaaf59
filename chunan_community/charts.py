"""Charts drawn on the server as inline SVG: bars and lines with axes, ticks, labels and legend.

The markup is built with ElementTree, which escapes every label and attribute, so a label
such as ``<b>&"`` can never inject markup. No style attributes (the CSP forbids them):
colours are SVG presentation attributes, everything else hangs on the ``chart__*`` classes
of static/css/reports.css. The size is fixed in ``width``/``height`` and ``viewBox``; CSS
lets it shrink on a narrow screen. Text widths are estimated (a CJK character is about
1 em wide, a Latin one about 0.6 em), which is enough to lay out the legend and thin out
crowded axis labels.
"""

import math
import re
import unicodedata
import xml.etree.ElementTree as ET
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal

from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _

SVG_NS = "http://www.w3.org/2000/svg"
FONT_SIZE = 12
FONT_FAMILY = "Noto Sans CJK SC, PingFang SC, Microsoft YaHei, sans-serif"
# Okabe-Ito colours, which colour-blind readers can tell apart; yellow left out (too pale on
# white). Lines also differ by dash pattern, so colour is never the only signal.
PALETTE = ("#0072b2", "#d55e00", "#009e73", "#cc79a7", "#e69f00", "#56b4e9", "#000000", "#7f7f7f")
DASHES = ("", "6 3", "2 3", "8 3 2 3", "1 2", "10 4", "4 2 1 2", "12 2")
ID_RE = re.compile(r"^[A-Za-z][\w-]*$")

Number = int | float | Decimal


@dataclass(frozen=True)
class Series:
    label: str
    values: Sequence[Number | None]


@dataclass(frozen=True)
class Margins:
    top: int = 16
    right: int = 16
    bottom: int = 40
    left: int = 64


class LinearScale:
    """Maps the domain [lo, hi] onto the range [start, end] (which may run backwards)."""

    def __init__(self, lo: float, hi: float, start: float, end: float):
        if hi == lo:
            hi = lo + 1
        self.lo, self.hi, self.start, self.end = float(lo), float(hi), float(start), float(end)

    def __call__(self, value: Number) -> float:
        share = (float(value) - self.lo) / (self.hi - self.lo)
        return self.start + share * (self.end - self.start)


class BandScale:
    """`count` equal bands across [start, end]; `padding` is the gap's share of a band."""

    def __init__(self, count: int, start: float, end: float, padding: float = 0.2):
        self.count, self.start, self.padding = max(count, 1), float(start), padding
        self.step = (float(end) - self.start) / self.count

    @property
    def bandwidth(self) -> float:
        return self.step * (1 - self.padding)

    def __call__(self, index: int) -> float:
        """The left edge of band `index`."""
        return self.start + self.step * index + self.step * self.padding / 2

    def centre(self, index: int) -> float:
        return self.start + self.step * (index + 0.5)


def nice_step(span: float, max_ticks: int) -> float:
    """A step of 1, 2, 2.5 or 5 times 10^n giving at most `max_ticks` intervals over `span`."""
    if span <= 0:
        return 1.0
    raw = span / max(max_ticks, 1)
    magnitude = 10 ** math.floor(math.log10(raw))
    for factor in (1, 2, 2.5, 5, 10):
        if raw <= factor * magnitude:
            return factor * magnitude
    return 10 * magnitude  # pragma: no cover (the loop always returns)


def nice_ticks(lo: Number, hi: Number, max_ticks: int = 5, *, integer: bool = False) -> list[float]:
    """Round tick values covering [lo, hi]; the axis then runs from the first to the last.

    Zero is always inside (bars grow from zero), and an empty span still gets an axis.
    With `integer`, steps are whole numbers (no "2.5 people").
    """
    lo, hi = min(float(lo), 0.0), max(float(hi), 0.0)
    if hi == lo:
        hi = lo + 1
    step = nice_step(hi - lo, max_ticks)
    if integer and step < 1:
        step = 1.0
    elif integer and step != int(step):
        step *= 2  # 2.5 → 5
    first = math.floor(lo / step + 1e-9) * step
    last = math.ceil(hi / step - 1e-9) * step
    count = round((last - first) / step)
    return [_clean(first + i * step) for i in range(count + 1)]


def _clean(value: float) -> float:
    """Drop float noise such as 0.30000000000000004."""
    return float(f"{value:.10g}")


def format_number(value: Number | None) -> str:
    """1234 → '1,234'; 2.5 → '2.5'; 1234.50 → '1,234.5'; None → '—'."""
    if value is None:
        return "—"
    value = Decimal(str(value)).normalize()
    if value == value.to_integral_value():
        return f"{int(value):,}"
    return f"{value:,f}"


def text_width(text: str, size: float = FONT_SIZE) -> float:
    """An estimate of the rendered width: wide (CJK) characters 1 em, others 0.6 em."""
    return sum(
        size if unicodedata.east_asian_width(ch) in ("W", "F") else 0.6 * size for ch in text
    )


def _n(value: float) -> str:
    """A coordinate with at most one decimal: 12.0 → '12', 12.25 → '12.2'."""
    text = f"{value:.1f}"
    return text[:-2] if text.endswith(".0") else text


def _el(parent, tag: str, text: str | None = None, **attributes) -> ET.Element:
    """A child element; attribute names use '_' for '-' (stroke_width → stroke-width)."""
    element = ET.SubElement(
        parent,
        tag,
        {key.rstrip("_").replace("_", "-"): str(v) for key, v in attributes.items() if v != ""},
    )
    if text is not None:
        element.text = text
    return element


def _svg(*, id_prefix: str, title: str, desc: str, width: int, height: int) -> ET.Element:
    if not ID_RE.match(id_prefix):
        raise ValueError(f"Not a usable id prefix: {id_prefix!r}")
    svg = ET.Element(
        "svg",
        {
            "xmlns": SVG_NS,
            "class": "chart",
            "role": "img",
            "width": str(width),
            "height": str(height),
            "viewBox": f"0 0 {width} {height}",
            "aria-labelledby": f"{id_prefix}-title {id_prefix}-desc",
            "font-family": FONT_FAMILY,
            "font-size": str(FONT_SIZE),
        },
    )
    _el(svg, "title", title, id=f"{id_prefix}-title")
    _el(svg, "desc", desc, id=f"{id_prefix}-desc")
    return svg


def _render(svg: ET.Element) -> SafeString:
    # Every text and attribute went through ElementTree, which escapes & < > and quotes.
    return mark_safe(ET.tostring(svg, encoding="unicode"))  # noqa: S308


@dataclass(frozen=True)
class _Frame:
    """The plot area and the vertical scale, shared by bar and line charts."""

    left: float
    top: float
    right: float
    bottom: float
    ticks: list[float]
    y: LinearScale


def _frame(values, *, width, plot_height, margins: Margins, max_ticks, integer) -> _Frame:
    present = [float(v) for v in values if v is not None]
    ticks = nice_ticks(min(present, default=0), max(present, default=0), max_ticks, integer=integer)
    widest = max(text_width(format_number(t)) for t in ticks)
    left = max(margins.left, widest + 14)
    top, bottom = margins.top, margins.top + plot_height
    y = LinearScale(ticks[0], ticks[-1], bottom, top)
    return _Frame(left, top, width - margins.right, bottom, ticks, y)


def _axes(svg, frame: _Frame, categories: Sequence[str], centres: Sequence[float], y_label: str):
    grid = _el(svg, "g", class_="chart__grid", aria_hidden="true")
    for tick in frame.ticks:
        y = frame.y(tick)
        _el(
            grid,
            "line",
            x1=_n(frame.left),
            x2=_n(frame.right),
            y1=_n(y),
            y2=_n(y),
            stroke="#d0d7de",
            stroke_width=1,
        )
    axis = _el(svg, "g", class_="chart__axis")
    _el(
        axis,
        "line",
        x1=_n(frame.left),
        x2=_n(frame.right),
        y1=_n(frame.y(0)),
        y2=_n(frame.y(0)),
        stroke="#1b1f24",
        stroke_width=1,
    )
    _el(
        axis,
        "line",
        x1=_n(frame.left),
        x2=_n(frame.left),
        y1=_n(frame.top),
        y2=_n(frame.bottom),
        stroke="#1b1f24",
        stroke_width=1,
    )
    y_ticks = _el(axis, "g", class_="chart__ticks chart__ticks--y", text_anchor="end")
    for tick in frame.ticks:
        _el(
            y_ticks,
            "text",
            format_number(tick),
            x=_n(frame.left - 6),
            y=_n(frame.y(tick) + FONT_SIZE * 0.35),
            fill="#1b1f24",
        )
    if y_label:
        _el(
            axis,
            "text",
            y_label,
            class_="chart__axis-label",
            x=_n(frame.left),
            y=_n(frame.top - 4),
            fill="#4a5563",
        )
    # Thin out the category labels until they no longer overlap.
    slot = (frame.right - frame.left) / max(len(categories), 1)
    widest = max((text_width(label) for label in categories), default=0)
    every = max(1, math.ceil((widest + 8) / max(slot, 1)))
    x_ticks = _el(axis, "g", class_="chart__ticks chart__ticks--x", text_anchor="middle")
    for index, (label, centre) in enumerate(zip(categories, centres, strict=True)):
        _el(
            x_ticks,
            "line",
            x1=_n(centre),
            x2=_n(centre),
            y1=_n(frame.bottom),
            y2=_n(frame.bottom + 4),
            stroke="#1b1f24",
            stroke_width=1,
        )
        if index % every == 0:
            _el(
                x_ticks,
                "text",
                label,
                x=_n(centre),
                y=_n(frame.bottom + 6 + FONT_SIZE),
                fill="#1b1f24",
            )


def _legend_rows(labels: Sequence[str], width: float, swatch: float) -> list[list[int]]:
    """Indexes of the labels on each legend row, wrapped to `width`."""
    rows, row, used = [], [], 0.0
    for index, label in enumerate(labels):
        item = swatch + 6 + text_width(label) + 18
        if row and used + item > width:
            rows.append(row)
            row, used = [], 0.0
        row.append(index)
        used += item
    if row:
        rows.append(row)
    return rows


LEGEND_ROW = 20


def _legend(svg, labels, *, left, top, width, swatch_for):
    rows = _legend_rows(labels, width, 24)
    legend = _el(svg, "g", class_="chart__legend")
    for row_index, row in enumerate(rows):
        x = left
        y = top + row_index * LEGEND_ROW
        for index in row:
            item = _el(legend, "g", class_="chart__legend-item")
            swatch_for(item, index, x, y)
            _el(
                item,
                "text",
                labels[index],
                x=_n(x + 30),
                y=_n(y + FONT_SIZE * 0.35),
                fill="#1b1f24",
            )
            x += 24 + 6 + text_width(labels[index]) + 18
    return len(rows)


def _legend_height(labels, width) -> int:
    return len(_legend_rows(labels, width, 24)) * LEGEND_ROW + 8


def _tooltip(series: Series, category: str, value, unit: str) -> str:
    amount = f"{format_number(value)} {unit}".strip()
    return f"{series.label} · {category}: {amount}" if series.label else f"{category}: {amount}"


def bar_chart(
    *,
    id_prefix: str,
    title: str,
    desc: str,
    categories: Sequence[str],
    series: Sequence[Series],
    unit: str = "",
    width: int = 720,
    plot_height: int = 260,
    margins: Margins = Margins(),
    max_ticks: int = 5,
    integer: bool = False,
) -> SafeString:
    """Vertical bars, grouped by category, one bar per series; missing values draw no bar.

    One `<rect class="chart__bar">` per value present, each with a `<title>` tooltip.
    A single series is labelled above its bars when they are wide enough; several get a
    legend below the axis.
    """
    for s in series:
        if len(s.values) != len(categories):
            raise ValueError("Every series needs one value per category.")
    labels = [s.label for s in series]
    show_legend = len(series) > 1
    frame = _frame(
        [v for s in series for v in s.values],
        width=width,
        plot_height=plot_height,
        margins=margins,
        max_ticks=max_ticks,
        integer=integer,
    )
    legend_height = _legend_height(labels, frame.right - frame.left) if show_legend else 0
    height = int(frame.bottom + margins.bottom + legend_height)
    svg = _svg(id_prefix=id_prefix, title=title, desc=desc, width=width, height=height)
    bands = BandScale(len(categories), frame.left, frame.right)
    _axes(svg, frame, categories, [bands.centre(i) for i in range(len(categories))], unit)

    bar_width = bands.bandwidth / max(len(series), 1)
    zero = frame.y(0)
    for s_index, s in enumerate(series):
        colour = PALETTE[s_index % len(PALETTE)]
        group = _el(svg, "g", class_=f"chart__series chart__series--{s_index}", fill=colour)
        for c_index, value in enumerate(s.values):
            if value is None:
                continue
            y = frame.y(value)
            bar = _el(
                group,
                "rect",
                class_="chart__bar",
                x=_n(bands(c_index) + s_index * bar_width),
                y=_n(min(y, zero)),
                width=_n(max(bar_width - 1, 1)),
                height=_n(abs(zero - y)),
            )
            _el(bar, "title", _tooltip(s, categories[c_index], value, unit))
            if len(series) == 1 and bar_width >= text_width(format_number(value)) + 2:
                _el(
                    svg,
                    "text",
                    format_number(value),
                    class_="chart__value",
                    x=_n(bands.centre(c_index)),
                    y=_n(min(y, zero) - 4),
                    text_anchor="middle",
                    fill="#1b1f24",
                )
    if show_legend:

        def swatch(item, index, x, y):
            _el(
                item,
                "rect",
                x=_n(x),
                y=_n(y - 6),
                width=24,
                height=12,
                fill=PALETTE[index % len(PALETTE)],
            )

        _legend(
            svg,
            labels,
            left=frame.left,
            top=frame.bottom + margins.bottom,
            width=frame.right - frame.left,
            swatch_for=swatch,
        )
    return _render(svg)


def line_chart(
    *,
    id_prefix: str,
    title: str,
    desc: str,
    categories: Sequence[str],
    series: Sequence[Series],
    unit: str = "",
    width: int = 720,
    plot_height: int = 260,
    margins: Margins = Margins(),
    max_ticks: int = 5,
    integer: bool = False,
) -> SafeString:
    """One line per series, a `<circle class="chart__point">` per value present.

    A missing value breaks the line. Series differ by colour and by dash pattern; the legend
    below the axis shows both.
    """
    for s in series:
        if len(s.values) != len(categories):
            raise ValueError("Every series needs one value per category.")
    labels = [s.label for s in series]
    frame = _frame(
        [v for s in series for v in s.values],
        width=width,
        plot_height=plot_height,
        margins=margins,
        max_ticks=max_ticks,
        integer=integer,
    )
    legend_height = _legend_height(labels, frame.right - frame.left)
    height = int(frame.bottom + margins.bottom + legend_height)
    svg = _svg(id_prefix=id_prefix, title=title, desc=desc, width=width, height=height)
    bands = BandScale(len(categories), frame.left, frame.right, padding=0)
    centres = [bands.centre(i) for i in range(len(categories))]
    _axes(svg, frame, categories, centres, unit)

    for s_index, s in enumerate(series):
        colour = PALETTE[s_index % len(PALETTE)]
        group = _el(svg, "g", class_=f"chart__series chart__series--{s_index}")
        runs, run = [], []
        for c_index, value in enumerate(s.values):
            if value is None:
                if run:
                    runs.append(run)
                run = []
            else:
                run.append((centres[c_index], frame.y(value)))
        if run:
            runs.append(run)
        for points in runs:
            if len(points) > 1:
                _el(
                    group,
                    "polyline",
                    class_="chart__line",
                    points=" ".join(f"{_n(x)},{_n(y)}" for x, y in points),
                    fill="none",
                    stroke=colour,
                    stroke_width=2,
                    stroke_dasharray=DASHES[s_index % len(DASHES)],
                )
        for c_index, value in enumerate(s.values):
            if value is None:
                continue
            point = _el(
                group,
                "circle",
                class_="chart__point",
                cx=_n(centres[c_index]),
                cy=_n(frame.y(value)),
                r=3.5,
                fill=colour,
            )
            _el(point, "title", _tooltip(s, categories[c_index], value, unit))

    def swatch(item, index, x, y):
        colour = PALETTE[index % len(PALETTE)]
        _el(
            item,
            "line",
            x1=_n(x),
            x2=_n(x + 24),
            y1=_n(y),
            y2=_n(y),
            stroke=colour,
            stroke_width=2,
            stroke_dasharray=DASHES[index % len(DASHES)],
        )
        _el(item, "circle", cx=_n(x + 12), cy=_n(y), r=3.5, fill=colour)

    _legend(
        svg,
        labels,
        left=frame.left,
        top=frame.bottom + margins.bottom,
        width=frame.right - frame.left,
        swatch_for=swatch,
    )
    return _render(svg)


# ---------------------------------------------------------------------------- a table's chart

# Beyond this many areas a table's chart shows only the total (the table keeps every area):
# one colour and one dash pattern per line.
MAX_SERIES = len(PALETTE)


def area_series(areas: Sequence[Series], total: Sequence) -> list[Series]:
    """What to draw of a table of areas by period: one area's values (`total`, under the
    area's name), a series per area up to MAX_SERIES, else the total alone."""
    if len(areas) == 1:
        return [Series(areas[0].label, list(total))]
    if len(areas) > MAX_SERIES:
        return [Series(_("Total"), list(total))]
    return list(areas)


def trend_chart(
    *,
    id_prefix: str,
    title: str,
    desc: str,
    categories: Sequence[str],
    series: Sequence[Series],
    unit: str = "",
    integer: bool = False,
) -> SafeString:
    """Bars for one series, a line per series for several; `desc` is followed by the highest
    value, where it was and when (if any value is above zero)."""
    peak = max(
        ((v, categories[i], s.label) for s in series for i, v in enumerate(s.values) if v),
        default=None,
        key=lambda item: item[0],
    )
    if peak:
        desc += " " + _("Highest: %(value)s (%(area)s, %(period)s).") % {
            "value": format_number(peak[0]),
            "area": peak[2],
            "period": peak[1],
        }
    draw = bar_chart if len(series) == 1 else line_chart
    return draw(
        id_prefix=id_prefix,
        title=title,
        desc=desc,
        categories=categories,
        series=series,
        unit=unit,
        integer=integer,
    )
