"""The server-side SVG charts: scales, ticks, layout, accessibility and escaping."""

from decimal import Decimal

import pytest
from defusedxml import ElementTree as ET

from chunan_community.charts import (
    BandScale,
    LinearScale,
    Margins,
    Series,
    bar_chart,
    format_number,
    line_chart,
    nice_step,
    nice_ticks,
    text_width,
)

SVG = "{http://www.w3.org/2000/svg}"
MONTHS = ["2025-01", "2025-02", "2025-03"]


def parse(svg):
    return ET.fromstring(str(svg))


def bars(root):
    return root.findall(f".//{SVG}rect[@class='chart__bar']")


def points(root):
    return root.findall(f".//{SVG}circle[@class='chart__point']")


def texts(root, group_class):
    return [t.text for t in root.findall(f".//{SVG}g[@class='{group_class}']/{SVG}text")]


def simple_bar(**kwargs):
    options = {
        "id_prefix": "c",
        "title": "户数",
        "desc": "描述",
        "categories": MONTHS,
        "series": [Series("西园", [1, 2, 3])],
    }
    return bar_chart(**{**options, **kwargs})


# ---------------------------------------------------------------------------- scales and ticks


def test_linear_scale_maps_domain_to_range():
    scale = LinearScale(0, 100, 200, 0)  # an upward y axis: 0 at the bottom (200)

    assert [scale(v) for v in (0, 25, 100)] == [200.0, 150.0, 0.0]
    assert scale(Decimal("50")) == 100.0


def test_linear_scale_survives_an_empty_domain():
    assert LinearScale(5, 5, 0, 10)(5) == 0.0


def test_band_scale_divides_the_range():
    bands = BandScale(4, 0, 400, padding=0.2)

    assert bands.step == 100
    assert bands.bandwidth == 80
    assert [bands(i) for i in range(4)] == [10, 110, 210, 310]
    assert bands.centre(1) == 150


@pytest.mark.parametrize(
    ("span", "max_ticks", "step"),
    [(10, 5, 2), (100, 5, 20), (1234, 5, 250), (0.3, 5, 0.1), (7, 5, 2), (0, 5, 1)],
)
def test_nice_step(span, max_ticks, step):
    assert nice_step(span, max_ticks) == pytest.approx(step)


def test_nice_ticks_cover_the_data_from_zero():
    assert nice_ticks(0, 1234) == [0, 250, 500, 750, 1000, 1250]
    assert nice_ticks(40, 98) == [0, 20, 40, 60, 80, 100]
    assert nice_ticks(-3, 7) == [-4, -2, 0, 2, 4, 6, 8]
    assert nice_ticks(0, 0.3) == [0, 0.1, 0.2, 0.3]
    assert nice_ticks(0, 0) == [0, 0.2, 0.4, 0.6, 0.8, 1.0]


def test_nice_ticks_for_whole_numbers():
    assert nice_ticks(0, 3, integer=True) == [0, 1, 2, 3]
    assert nice_ticks(0, 10, max_ticks=4, integer=True) == [0, 5, 10]
    assert nice_ticks(0, 0, integer=True) == [0, 1]


@pytest.mark.parametrize(
    ("value", "text"),
    [
        (1234, "1,234"),
        (Decimal("1234.50"), "1,234.5"),
        (Decimal("12.00"), "12"),
        (2.5, "2.5"),
        (0, "0"),
        (-1500, "-1,500"),
        (None, "—"),
    ],
)
def test_format_number(value, text):
    assert format_number(value) == text


def test_text_width_counts_cjk_as_wide():
    assert text_width("AB", 10) == 12
    assert text_width("西园", 10) == 20
    assert text_width("西园A", 10) == 26


# ---------------------------------------------------------------------------- bar chart


def test_bar_chart_is_an_accessible_image():
    root = parse(simple_bar(id_prefix="households-chart"))

    assert root.tag == f"{SVG}svg"
    assert root.get("role") == "img"
    assert root.get("aria-labelledby") == "households-chart-title households-chart-desc"
    assert root.find(f"{SVG}title").get("id") == "households-chart-title"
    assert root.find(f"{SVG}title").text == "户数"
    assert root.find(f"{SVG}desc").text == "描述"
    assert (root.get("width"), root.get("height")) == ("720", "316")
    assert root.get("viewBox") == "0 0 720 316"


def test_bar_chart_draws_one_bar_per_value_present():
    root = parse(simple_bar(series=[Series("西园", [10, None, 30])]))

    assert [bar.find(f"{SVG}title").text for bar in bars(root)] == [
        "西园 · 2025-01: 10",
        "西园 · 2025-03: 30",
    ]
    assert texts(root, "chart__ticks chart__ticks--x") == MONTHS
    assert texts(root, "chart__ticks chart__ticks--y") == ["0", "10", "20", "30"]


def test_bar_heights_follow_the_scale():
    root = parse(simple_bar(series=[Series("", [10, 20, 30])], unit="户"))

    # Ticks 0 … 30 over a plot 260 high starting 16 from the top: 10 = 86.7 units.
    heights = [float(bar.get("height")) for bar in bars(root)]
    assert heights == [86.7, 173.3, 260]
    assert [float(bar.get("y")) for bar in bars(root)] == [189.3, 102.7, 16]
    assert bars(root)[0].find(f"{SVG}title").text == "2025-01: 10 户"


def test_grouped_bars_with_a_legend():
    root = parse(simple_bar(series=[Series("千岛湖镇", [1, 2, 3]), Series("汾口镇", [4, None, 6])]))

    assert len(bars(root)) == 5
    assert [t.text for t in root.findall(f".//{SVG}g[@class='chart__legend-item']/{SVG}text")] == [
        "千岛湖镇",
        "汾口镇",
    ]
    groups = root.findall(f"{SVG}g[@fill]")
    assert [g.get("fill") for g in groups] == ["#0072b2", "#d55e00"]


def test_a_single_series_has_value_labels_and_no_legend():
    root = parse(simple_bar())

    assert [t.text for t in root.findall(f"{SVG}text[@class='chart__value']")] == ["1", "2", "3"]
    assert root.findall(f".//{SVG}g[@class='chart__legend']") == []


def test_crowded_category_labels_are_thinned_out():
    categories = [f"2025-{m:02d}" for m in range(1, 13)] * 3
    root = parse(
        bar_chart(
            id_prefix="c",
            title="t",
            desc="d",
            categories=categories,
            series=[Series("", list(range(36)))],
            width=400,
        )
    )

    labels = texts(root, "chart__ticks chart__ticks--x")
    assert 0 < len(labels) < 36
    assert labels[0] == "2025-01"
    assert len(bars(root)) == 36


def test_values_must_match_the_categories():
    with pytest.raises(ValueError, match="one value per category"):
        simple_bar(series=[Series("a", [1, 2])])


@pytest.mark.parametrize("prefix", ["", "1abc", 'x" onload="alert(1)', "a b"])
def test_id_prefix_must_be_a_plain_name(prefix):
    with pytest.raises(ValueError, match="id prefix"):
        simple_bar(id_prefix=prefix)


def test_empty_data_still_draws_axes():
    root = parse(simple_bar(series=[Series("a", [None, None, None])]))

    assert bars(root) == []
    assert texts(root, "chart__ticks chart__ticks--x") == MONTHS


# ---------------------------------------------------------------------------- line chart


def test_line_chart_draws_a_point_per_value_and_breaks_at_gaps():
    root = parse(
        line_chart(
            id_prefix="c",
            title="t",
            desc="d",
            categories=["1", "2", "3", "4", "5"],
            series=[Series("a", [1, 2, None, 4, 5]), Series("b", [None, 3, None, None, 1])],
        )
    )

    assert len(points(root)) == 6
    lines = root.findall(f".//{SVG}polyline[@class='chart__line']")
    # a: 1 to 2 and 4 to 5; b has no two neighbouring values.
    assert len(lines) == 2
    assert [line.get("stroke") for line in lines] == ["#0072b2", "#0072b2"]
    legend = root.findall(f".//{SVG}g[@class='chart__legend-item']")
    assert [item.find(f"{SVG}line").get("stroke-dasharray") for item in legend] == [None, "6 3"]


def test_line_points_sit_on_the_band_centres():
    root = parse(
        line_chart(
            id_prefix="c",
            title="t",
            desc="d",
            categories=["a", "b"],
            series=[Series("s", [0, 10])],
            width=264,
            margins=Margins(left=64, right=0),
        )
    )

    assert [(p.get("cx"), p.get("cy")) for p in points(root)] == [("114", "276"), ("214", "16")]


def test_a_long_legend_wraps_and_the_chart_grows():
    labels = [f"测试社区名称很长的社区{n}" for n in range(8)]
    one = parse(simple_bar(series=[Series(labels[0], [1, 2, 3])]))
    many = parse(
        line_chart(
            id_prefix="c",
            title="t",
            desc="d",
            categories=MONTHS,
            series=[Series(label, [1, 2, 3]) for label in labels],
        )
    )

    items = many.findall(f".//{SVG}g[@class='chart__legend-item']")
    rows = {item.find(f"{SVG}text").get("y") for item in items}
    assert len(rows) > 1
    assert int(many.get("height")) > int(one.get("height"))


# ---------------------------------------------------------------------------- escaping


NASTY = '<script>alert("x")</script> & "quoted" \'single\''


@pytest.mark.parametrize("draw", [bar_chart, line_chart])
def test_labels_are_escaped_never_markup(draw):
    svg = draw(
        id_prefix="c",
        title=NASTY,
        desc=NASTY,
        categories=[NASTY, "b"],
        series=[Series(NASTY, [1, 2]), Series("<b>&amp;</b>", [2, 1])],
        unit='"户"',
    )

    assert "<script" not in svg
    assert "<b>" not in svg
    assert "&lt;script&gt;" in svg
    assert "&amp;amp;" in svg
    root = parse(svg)  # well-formed XML
    assert root.find(f"{SVG}title").text == NASTY
    all_text = [t.text for t in root.iter(f"{SVG}text")]
    assert NASTY in all_text
    assert "<b>&amp;</b>" in all_text
    assert {el.tag for el in root.iter()} <= {
        f"{SVG}{tag}"
        for tag in ("svg", "title", "desc", "g", "line", "text", "rect", "polyline", "circle")
    }


def test_no_style_attributes_or_scripts():
    svg = str(simple_bar(series=[Series("a", [1, 2, 3]), Series("b", [3, 2, 1])]))

    assert "style=" not in svg
    assert "<script" not in svg
    assert " on" not in svg.replace(" one", "")  # no event handler attributes
