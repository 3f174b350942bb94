"""Chart geometry (report.charts) and its SVG macros (templates/charts.html): behaviour, not
pixels — scales, running totals, gaps, markers, tick formats, escaping, determinism."""

import itertools
import xml.etree.ElementTree as ET
from collections.abc import Sequence

import jinja2
import pytest
from hypothesis import given
from hypothesis import strategies as st

from report import charts
from report.charts import Marker, Rect, Series

ENV = jinja2.Environment(loader=jinja2.PackageLoader("report", "templates"), autoescape=True,
                         undefined=jinja2.StrictUndefined)
SVG = "{http://www.w3.org/2000/svg}"
SHAPES = {"rect", "line", "polyline", "circle"}
Chart = (charts.BarChart | charts.LineChart | charts.Sparkline | charts.Histogram
         | charts.Waterfall)
ROUNDING = 0.15
"""Two coordinates rounded to 0.1 each agree within this."""


def render(kind: str, chart: Chart, env: jinja2.Environment = ENV) -> str:
    return str(getattr(env.get_template("charts.html").module, kind)(chart))


def parse(kind: str, chart: Chart) -> ET.Element:
    return ET.fromstring(render(kind, chart))


def number(value: float) -> str:
    return f"{value:,.10g}"


def steps(weights: Sequence[float]) -> list[tuple[str, float]]:
    return [("prior", weights[0])] + [(f"comparison {i}", w) for i, w in enumerate(weights[1:])]


def examples(title: str = "A chart") -> dict[str, Chart]:
    """One chart of each kind, with a gap, a negative and a zero among the values."""
    return {
        "bars": charts.bars(["correct", "alive"], [3.5, -1.0], ["3.5", "-1"], title=title,
                            classes=["correct", "alive"]),
        "lines": charts.lines(["#1", "#2", "#3"], [Series("clean", "clean", [1.0, None, 2.0]),
                                                   Series("alive", "alive", [0.0, 1.0, 4.0])],
                              title=title, y_label="per 1,000", tick_format=number),
        "sparkline": charts.sparkline([3.0, 1.0, None, 2.0], title=title),
        "histogram": charts.histogram([i / 10 for i in range(11)],
                                      [900, 40, 3, 0, 1, 2, 5, 9, 60, 700], title=title,
                                      markers=[Marker("review", 0.5, "review")],
                                      log_scale=True, tick_format=number),
        "waterfall": charts.waterfall(steps([-12.0, 8.5, 0.0, 6.25]), title=title,
                                      value_format=number),
    }


def span(rect: Rect) -> tuple[float, float]:
    return rect.x, rect.x + rect.width


def test_bars_scale_to_the_largest_value() -> None:
    chart = charts.bars(["a", "b", "c"], [4.0, 1.0, 2.0], ["4", "1", "2"], title="t")
    widths = [bar.width for bar in chart.bars]
    assert all(bar.x == chart.zero.x1 for bar in chart.bars)
    assert widths[0] == max(widths)
    assert widths[1] / widths[0] == pytest.approx(0.25, abs=0.01)
    assert widths[2] / widths[0] == pytest.approx(0.5, abs=0.01)
    assert chart.bars[0].x + widths[0] < chart.values[0].x


def test_negative_bars_extend_left_of_the_zero_line() -> None:
    chart = charts.bars(["for", "against"], [3.0, -1.5], ["+3", "-1.5"], title="t",
                        classes=["for", "against"])
    positive, negative = chart.bars
    zero = chart.zero.x1
    assert positive.x == zero
    assert negative.x < zero
    assert negative.x + negative.width == pytest.approx(zero, abs=ROUNDING)
    assert positive.width / negative.width == pytest.approx(2, abs=0.01)
    assert chart.labels[0].x < negative.x
    assert [bar.css for bar in chart.bars] == ["bar for", "bar against"]


def test_bars_of_zero_draw_nothing_but_still_have_their_rows() -> None:
    chart = charts.bars(["a", "b"], [0.0, 0.0], ["0", "0"], title="t")
    assert [bar.width for bar in chart.bars] == [0.0, 0.0]
    assert [label.text for label in chart.values] == ["0", "0"]


def test_bars_grow_with_their_number_and_long_labels_are_cut() -> None:
    long = "Phường Hoàn Kiếm, thành phố Hà Nội (trước 2025)"
    one = charts.bars(["a"], [1.0], ["1"], title="t")
    two = charts.bars(["a", long], [1.0, 2.0], ["1", "2"], title="t")
    assert two.height > one.height
    assert one.width == two.width
    cut = two.labels[1].text
    assert cut.endswith("…") and len(cut) == charts.MAX_LABEL and long.startswith(cut[:-1])
    assert long in two.bars[1].tip


def test_bars_need_as_many_values_labels_and_classes_as_labels() -> None:
    with pytest.raises(ValueError, match="lengths differ"):
        charts.bars(["a", "b"], [1.0], ["1", "2"], title="t")
    with pytest.raises(ValueError, match="lengths differ"):
        charts.bars(["a"], [1.0], ["1"], title="t", classes=["x", "y"])


def test_waterfall_floats_each_step_from_the_running_total() -> None:
    weights = [-12.0, 8.5, 0.0, 6.25, -1.5]
    chart = charts.waterfall(steps(weights), title="t", value_format=number)
    *step_bars, total = chart.bars
    ends: list[float] = []
    running = 0.0
    for bar, weight in zip(step_bars, weights, strict=True):
        start, end = span(bar) if weight >= 0 else span(bar)[::-1]
        if weight == 0:
            assert bar.width <= charts.ZERO_STEP + ROUNDING
            assert (start + end) / 2 == pytest.approx(ends[-1], abs=ROUNDING)
        elif ends:
            assert start == pytest.approx(ends[-1], abs=ROUNDING)
        else:
            assert start == pytest.approx(chart.zero.x1, abs=ROUNDING)
        ends.append(end if weight else ends[-1])
        running += weight
    assert running == pytest.approx(sum(weights))
    assert total.x == pytest.approx(chart.zero.x1, abs=ROUNDING)
    assert total.x + total.width == pytest.approx(ends[-1], abs=ROUNDING)
    assert chart.values[-1].text == number(sum(weights))
    assert chart.labels[-1].text == "total"
    assert len(chart.connectors) == len(weights)


def test_waterfall_classes_follow_the_sign_and_a_negative_total_spans_left() -> None:
    chart = charts.waterfall(steps([-20.0, 4.0, 0.0]), title="t", value_format=number,
                             total_label="tổng")
    assert [bar.css for bar in chart.bars] == ["bar against", "bar for", "bar zero",
                                               "bar total against"]
    total = chart.bars[-1]
    assert total.x + total.width == pytest.approx(chart.zero.x1, abs=ROUNDING)
    assert total.x == pytest.approx(chart.bars[1].x + chart.bars[1].width, abs=ROUNDING)
    assert chart.labels[-1].text == "tổng"


def test_lines_with_one_run_draw_a_point_per_series_in_the_middle() -> None:
    chart = charts.lines(["#7"], [Series("clean", "clean", [5.0]), Series("alive", "alive", [2.0])],
                         title="t", y_label="y", tick_format=number)
    middle = (chart.axis.x1 + chart.axis.x2) / 2
    for plot in chart.series:
        assert plot.segments == ()
        assert len(plot.points) == 1
        assert plot.points[0].x == pytest.approx(middle, abs=ROUNDING)
    assert [label.text for label in chart.x_labels] == ["#7"]


def test_a_missing_value_breaks_the_line() -> None:
    chart = charts.lines([f"#{i}" for i in range(5)],
                         [Series("clean", "clean", [1.0, 2.0, None, 4.0, 5.0])],
                         title="t", y_label="y", tick_format=number)
    (plot,) = chart.series
    assert [len(segment) for segment in plot.segments] == [2, 2]
    assert len(plot.points) == 4
    assert "#3" in plot.points[2].tip and "4" in plot.points[2].tip


def test_all_zero_lines_lie_on_the_axis_under_whole_ticks() -> None:
    chart = charts.lines(["#1", "#2"], [Series("clean", "clean", [0.0, 0.0])],
                         title="t", y_label="y", tick_format=number)
    assert all(p.y == chart.axis.y1 for p in chart.series[0].points)
    assert [label.text for label in chart.y_ticks] == ["0", "1", "2", "3"]


def test_ticks_are_formatted_by_the_given_function() -> None:
    chart = charts.lines(["#1", "#2"], [Series("clean", "clean", [0.5, 1.25])],
                         title="t", y_label="‰", tick_format=lambda v: f"{v:.2f}".replace(".", ","))
    assert [label.text for label in chart.y_ticks] == ["0,00", "0,25", "0,50", "0,75", "1,00",
                                                       "1,25"]
    assert chart.y_label.text == "‰"


@given(st.lists(st.floats(min_value=0, max_value=1e9, allow_subnormal=False) | st.none(),
                min_size=1, max_size=20),
       st.booleans())
def test_y_ticks_run_from_zero_to_a_round_top_above_every_value(
        values: list[float | None], whole: bool) -> None:
    if whole:
        values = [None if v is None else float(round(v)) for v in values]
    chart = charts.lines([str(i) for i in range(len(values))], [Series("s", "s", values)],
                         title="t", y_label="y", tick_format=repr)
    ticks = [float(label.text) for label in chart.y_ticks]
    steps_ = {round(b - a, 6) for a, b in itertools.pairwise(ticks)}
    assert ticks[0] == 0 and 4 <= len(ticks) <= 6 and len(steps_) == 1
    assert ticks[-1] >= max((v for v in values if v is not None), default=0)
    assert all(chart.grid[-1].y1 <= p.y <= chart.axis.y1 for p in chart.series[0].points)
    if whole:
        assert all(t.is_integer() for t in ticks)


def test_x_labels_thin_out_and_keep_the_newest_run() -> None:
    runs = [f"#{i}" for i in range(1, 31)]
    chart = charts.lines(runs, [Series("clean", "clean", [float(i) for i in range(30)])],
                         title="t", y_label="y", tick_format=number)
    shown = [label.text for label in chart.x_labels]
    assert 1 < len(shown) <= charts.MAX_X_LABELS
    assert shown[-1] == "#30"


def test_lines_refuse_negative_values_and_short_series() -> None:
    with pytest.raises(ValueError, match="negative"):
        charts.lines(["#1"], [Series("s", "s", [-1.0])], title="t", y_label="y",
                     tick_format=number)
    with pytest.raises(ValueError, match="lengths differ"):
        charts.lines(["#1", "#2"], [Series("s", "s", [1.0])], title="t", y_label="y",
                     tick_format=number)


def test_the_legend_names_each_series_and_wraps_within_the_width() -> None:
    names = [f"a rather long series name {i}" for i in range(6)]
    chart = charts.lines(["#1"], [Series(n, f"series-{i}", [1.0]) for i, n in enumerate(names)],
                         title="t", y_label="y", tick_format=number)
    assert [plot.key.text for plot in chart.series] == names
    assert len({plot.swatch.y for plot in chart.series}) > 1
    assert all(plot.key.x + len(plot.key.text) * charts.CHAR_WIDTH <= chart.width
               for plot in chart.series)
    assert chart.height > chart.series[-1].swatch.y


def test_sparkline_marks_the_last_value_and_breaks_at_gaps() -> None:
    chart = charts.sparkline([1.0, 3.0, None, 2.0, 5.0, None], title="t")
    assert (chart.width, chart.height) == (100.0, 24.0)
    assert [len(segment) for segment in chart.segments] == [2, 2]
    assert chart.last == chart.segments[-1][-1]
    highest = min(p.y for segment in chart.segments for p in segment)
    assert chart.last is not None and chart.last.y == highest


@pytest.mark.parametrize("values", [[], [None, None], [4.0], [2.0, 2.0, 2.0]])
def test_sparkline_of_nothing_one_value_or_a_flat_trend(values: list[float | None]) -> None:
    chart = charts.sparkline(values, title="t")
    present = [v for v in values if v is not None]
    assert (chart.last is None) == (not present)
    points = [p for segment in chart.segments for p in segment]
    if chart.last is not None:
        points.append(chart.last)
    assert all(p.y == chart.height / 2 for p in points)
    assert all(0 <= p.x <= chart.width for p in points)


def test_log_histogram_orders_bars_like_counts_and_says_so() -> None:
    counts = [900_000, 4_000, 30, 0, 1, 2, 5, 90, 6_000, 700_000]
    chart = charts.histogram([i / 10 for i in range(11)], counts, title="t", markers=[],
                             log_scale=True, tick_format=number, y_label="pairs")
    heights = [bar.height for bar in chart.bars]
    for (ca, ha) in zip(counts, heights, strict=True):
        for (cb, hb) in zip(counts, heights, strict=True):
            assert (ca < cb) == (ha < hb)
    assert heights[3] == 0
    assert chart.y_label.text == "pairs (log)"
    ticks = [float(label.text.replace(",", "")) for label in chart.y_ticks]
    assert ticks[0] == 0 and ticks[-1] >= max(counts) and len(ticks) <= 6
    assert all(a.y - b.y >= charts.TEXT_LINE for a, b in itertools.pairwise(chart.y_ticks))
    assert heights[0] / heights[-1] < 1.1


def test_linear_histogram_heights_are_proportional_to_counts() -> None:
    chart = charts.histogram([0.0, 0.5, 1.0], [10, 40], title="t", markers=[],
                             log_scale=False, tick_format=number)
    assert chart.bars[1].height / chart.bars[0].height == pytest.approx(4, abs=0.02)
    assert chart.y_label.text == "count"


def test_markers_stand_at_their_scores() -> None:
    markers = [Marker("review 0,5", 0.5, "review"), Marker("match 0,9", 0.9, "match"),
               Marker("nearly", 0.88, "match")]
    chart = charts.histogram([i / 20 for i in range(21)], [5] * 20, title="t", markers=markers,
                             log_scale=True, tick_format=lambda v: f"{v:g}".replace(".", ","))
    review, match, _ = chart.markers
    assert review.x1 == review.x2 == chart.bars[10].x
    assert match.x1 == chart.bars[18].x
    assert [line.css for line in chart.markers] == ["marker review", "marker match",
                                                    "marker match"]
    assert [label.text for label in chart.marker_labels] == [m.label for m in markers]
    assert chart.marker_labels[2].y != chart.marker_labels[1].y
    assert [label.text for label in chart.x_ticks] == ["0", "0,2", "0,4", "0,6", "0,8", "1"]
    assert chart.x_ticks[-1].x == pytest.approx(chart.bars[-1].x + chart.bars[-1].width,
                                                abs=charts.BIN_GAP + ROUNDING)


@pytest.mark.parametrize(("edges", "counts", "at"), [
    ([0.0, 1.0], [1, 2], 0.5), ([0.0, 0.5, 0.5], [1, 2], 0.5), ([0.0, 1.0], [-1], 0.5),
    ([0.0, 1.0], [1], 1.5), ([0.0], [], 0.0)])
def test_histogram_refuses_bad_input(edges: list[float], counts: list[int], at: float) -> None:
    with pytest.raises(ValueError):
        charts.histogram(edges, counts, title="t", markers=[Marker("m", at, "m")],
                         log_scale=False, tick_format=number)


@pytest.mark.parametrize("kind", ["bars", "lines", "sparkline", "histogram", "waterfall"])
def test_each_macro_renders_a_well_formed_labelled_svg(kind: str) -> None:
    chart = examples("Phát hiện <b>theo</b> “tiêu chí”")[kind]
    root = parse(kind, chart)
    assert root.tag == f"{SVG}svg"
    assert root.get("class") == f"chart chart-{kind}"
    assert root.get("role") == "img"
    assert root.get("aria-label") == "Phát hiện <b>theo</b> “tiêu chí”"
    assert root.get("viewBox") == f"0 0 {chart.width} {chart.height}"
    assert root[0].tag == f"{SVG}title" and root[0].text == root.get("aria-label")
    assert any(element.tag.removeprefix(SVG) in SHAPES for element in root.iter())
    assert all("style" not in element.attrib and "fill" not in element.attrib
               for element in root.iter())


@pytest.mark.parametrize("kind", ["bars", "lines", "sparkline", "histogram", "waterfall"])
def test_rendering_is_deterministic_and_ignores_whitespace_settings(kind: str) -> None:
    report_like = jinja2.Environment(loader=jinja2.PackageLoader("report", "templates"),
                                     autoescape=True, undefined=jinja2.StrictUndefined,
                                     trim_blocks=True, lstrip_blocks=True)
    first = render(kind, examples()[kind])
    assert render(kind, examples()[kind]) == first
    assert render(kind, examples()[kind], report_like) == first


def test_labels_are_escaped() -> None:
    evil = "<script>alert(1)</script>"
    made: list[tuple[str, Chart]] = [
        ("bars", charts.bars([evil], [1.0], [evil], title=evil)),
        ("lines", charts.lines([evil], [Series(evil, "clean", [1.0])], title=evil, y_label=evil,
                               tick_format=lambda _: evil)),
        ("histogram", charts.histogram([0.0, 1.0], [3], title=evil, markers=[
            Marker(evil, 0.5, "review")], log_scale=False, tick_format=lambda _: evil,
            y_label=evil)),
        ("waterfall", charts.waterfall([(evil, 1.0)], title=evil, value_format=lambda _: evil,
                                       total_label=evil)),
    ]
    for kind, chart in made:
        svg = render(kind, chart)
        assert "<script" not in svg
        texts = [element.text for element in ET.fromstring(svg).iter()]
        assert evil in texts


def test_coordinates_have_at_most_one_decimal() -> None:
    for kind, chart in examples().items():
        for element in parse(kind, chart).iter():
            for name in ("x", "y", "width", "height", "x1", "y1", "x2", "y2", "cx", "cy"):
                if name in element.attrib:
                    decimals = element.attrib[name].partition(".")[2]
                    assert len(decimals) <= 1, (kind, name, element.attrib[name])

