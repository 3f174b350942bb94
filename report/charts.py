"""Chart geometry for the reviewers' report: numbers in, frozen dataclasses of numbers out.

The report is one offline HTML file, so its charts are inline SVG written by the Jinja2
macros of `templates/charts.html`; the arithmetic lives here, where it is tested without a
browser. Coordinates are viewBox units rounded to one decimal, so the same input gives the
same bytes. Text (labels, tick labels, tooltips) stays data for the macros to escape, and
colour is only ever a CSS class (`templates/charts.css`), so screen and print may differ.
"""

import itertools
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass

WIDTH = 640.0
"""Every chart but the sparkline: about the report's column at 11px text."""
CHAR_WIDTH = 6.2
"""Average advance of an 11px sans-serif character: how much room a text needs."""
PAD = 4.0
GAP = 8.0
BASELINE = 4.0
"""From a row's middle to the baseline that centres 11px text on it."""
TEXT_LINE = 14.0
"""Baseline to baseline of 11px text."""

ROW_HEIGHT = 22.0
BAR_HEIGHT = 14.0
MAX_LABEL = 28
"""Row labels longer than this are cut with "…" (the full label stays in the tooltip)."""
LABEL_WIDTH = MAX_LABEL * CHAR_WIDTH + PAD
MAX_VALUE_WIDTH = WIDTH / 4
ZERO_STEP = 1.5
"""A waterfall step of 0 bits is a tick this wide, so the row does not look missing."""

PLOT_TOP = 24.0
"""Room above a plot for the axis caption and marker labels."""
PLOT_HEIGHT = 180.0
RIGHT_MARGIN = 12.0
"""Room right of a plot for half the last x tick label."""
X_LABEL_DROP = 16.0
MAX_X_LABELS = 12
POINT_RADIUS = 3.0
SWATCH = 10.0
LEGEND_ROW = 18.0
LEGEND_GAP = 16.0
MIN_TICK_INTERVALS = 3
MAX_TICK_INTERVALS = 5
NICE_STEPS = (1.0, 2.0, 2.5, 5.0, 10.0)
"""Tick steps are one of these times a power of ten."""

BIN_GAP = 1.0
MIN_BIN_FOR_GAP = 3.0
"""Histogram bins narrower than this touch: a gap would leave no bar."""

SPARK_WIDTH = 100.0
SPARK_HEIGHT = 24.0
SPARK_PAD = 3.0
SPARK_RADIUS = 2.0


@dataclass(frozen=True)
class Rect:
    """A bar; `tip` is its tooltip (an SVG `<title>`), empty for none."""

    x: float
    y: float
    width: float
    height: float
    css: str
    tip: str = ""


@dataclass(frozen=True)
class Line:
    x1: float
    y1: float
    x2: float
    y2: float
    css: str


@dataclass(frozen=True)
class Label:
    """A text at a baseline point; `anchor` is SVG's text-anchor (start, middle or end)."""

    x: float
    y: float
    text: str
    anchor: str = "start"
    css: str = ""


@dataclass(frozen=True)
class Point:
    x: float
    y: float
    tip: str = ""


@dataclass(frozen=True)
class BarChart:
    width: float
    height: float
    title: str
    bars: tuple[Rect, ...]
    labels: tuple[Label, ...]
    values: tuple[Label, ...]
    zero: Line


@dataclass(frozen=True)
class Series:
    """One line of a trend: legend name, CSS class and a value per run (None: no value)."""

    name: str
    css: str
    values: Sequence[float | None]


@dataclass(frozen=True)
class SeriesPlot:
    """A series drawn: a polyline per unbroken run of two or more points, every point,
    and its legend entry."""

    name: str
    css: str
    segments: tuple[tuple[Point, ...], ...]
    points: tuple[Point, ...]
    swatch: Rect
    key: Label


@dataclass(frozen=True)
class LineChart:
    width: float
    height: float
    title: str
    radius: float
    y_label: Label
    grid: tuple[Line, ...]
    y_ticks: tuple[Label, ...]
    x_labels: tuple[Label, ...]
    axis: Line
    series: tuple[SeriesPlot, ...]


@dataclass(frozen=True)
class Sparkline:
    width: float
    height: float
    title: str
    radius: float
    segments: tuple[tuple[Point, ...], ...]
    last: Point | None


@dataclass(frozen=True)
class Marker:
    """A vertical line on a histogram's x axis, e.g. the review or the match threshold."""

    label: str
    at: float
    css: str


@dataclass(frozen=True)
class Histogram:
    width: float
    height: float
    title: str
    y_label: Label
    grid: tuple[Line, ...]
    y_ticks: tuple[Label, ...]
    x_ticks: tuple[Label, ...]
    axis: Line
    bars: tuple[Rect, ...]
    markers: tuple[Line, ...]
    marker_labels: tuple[Label, ...]


@dataclass(frozen=True)
class Waterfall:
    width: float
    height: float
    title: str
    bars: tuple[Rect, ...]
    labels: tuple[Label, ...]
    values: tuple[Label, ...]
    connectors: tuple[Line, ...]
    zero: Line


def bars(labels: Sequence[str], values: Sequence[float], value_labels: Sequence[str], *,
         title: str, classes: Sequence[str] | None = None) -> BarChart:
    """Horizontal bars on one scale, negatives left of the zero line (diverging weights).

    `value_labels` are the values as the reader should see them (the caller formats);
    `classes` gives each bar a CSS class, e.g. a criterion or `for`/`against`.
    """
    css = classes if classes is not None else [""] * len(labels)
    _same_lengths(labels=labels, values=values, value_labels=value_labels, classes=css)
    left, right = _row_plot(value_labels)
    x = _scale(min(0.0, *values), max(0.0, *values), left, right)
    rects = tuple(
        _bar(x(0.0), x(value), _row_top(i), f"bar {c}".strip(), f"{label}: {shown}")
        for i, (label, value, shown, c) in enumerate(
            zip(labels, values, value_labels, css, strict=True)))
    height = _rows_height(len(labels))
    return BarChart(WIDTH, height, title, rects, _row_labels(labels), _row_values(value_labels),
                    _zero_line(x(0.0), height))


def waterfall(steps: Sequence[tuple[str, float]], *, title: str,
              value_format: Callable[[float], str], total_label: str = "total") -> Waterfall:
    """A match explained: each step (the prior, then a comparison) a weight in bits drawn
    from the running total, then the total from 0; rows, so long comparison names fit."""
    starts: list[float] = []
    ends: list[float] = []
    running = 0.0
    for _, weight in steps:
        starts.append(running)
        running += weight
        ends.append(running)
    names = [name for name, _ in steps] + [total_label]
    weights = [weight for _, weight in steps] + [running]
    shown = [value_format(weight) for weight in weights]
    starts.append(0.0)
    ends.append(running)
    left, right = _row_plot(shown)
    x = _scale(min(0.0, *ends), max(0.0, *ends), left, right)
    rects = tuple(
        _bar(x(start), x(end), _row_top(i), _step_class(weight, total=i == len(steps)),
             f"{name}: {text}", min_width=ZERO_STEP)
        for i, (name, start, end, weight, text) in enumerate(
            zip(names, starts, ends, weights, shown, strict=True)))
    connectors = tuple(
        Line(_r(x(end)), _r(_row_top(i) + BAR_HEIGHT), _r(x(end)), _r(_row_top(i + 1)),
             "connector")
        for i, end in enumerate(ends[:-1]))
    height = _rows_height(len(names))
    return Waterfall(WIDTH, height, title, rects, _row_labels(names), _row_values(shown),
                     connectors, _zero_line(x(0.0), height))


def lines(x_labels: Sequence[str], series: Sequence[Series], *, title: str, y_label: str,
          tick_format: Callable[[float], str]) -> LineChart:
    """A trend over runs from 0 up: one polyline per series, broken where a run has no value.

    Values must not be negative. Whole-number data (counts) get whole-number ticks.
    """
    for one in series:
        _same_lengths(x_labels=x_labels, values=one.values)
    present = [v for one in series for v in one.values if v is not None]
    if any(v < 0 for v in present):
        raise ValueError("a trend's values must not be negative")
    ticks = _nice_ticks(max(present, default=0.0),
                        whole=all(float(v).is_integer() for v in present))
    tick_texts = [tick_format(t) for t in ticks]
    left = PAD + _text_width(tick_texts) + GAP
    right = WIDTH - RIGHT_MARGIN
    bottom = PLOT_TOP + PLOT_HEIGHT
    slot = (right - left) / max(len(x_labels), 1)

    def x(i: int) -> float:
        return _r(left + (i + 0.5) * slot)

    def y(value: float) -> float:
        return _r(bottom - value / ticks[-1] * PLOT_HEIGHT)

    x_texts = tuple(Label(x(i), _r(bottom + X_LABEL_DROP), x_labels[i], "middle", "tick")
                    for i in _thinned(len(x_labels), _fitting(x_labels, right - left)))
    legend_top = bottom + X_LABEL_DROP + GAP
    keys = _legend([one.name for one in series], left, legend_top)
    plots = []
    for one, (swatch, key) in zip(series, keys, strict=True):
        points = [None if v is None else Point(x(i), y(v),
                                               f"{one.name}, {x_labels[i]}: {tick_format(v)}")
                  for i, v in enumerate(one.values)]
        plots.append(SeriesPlot(one.name, one.css, _segments(points),
                                tuple(p for p in points if p is not None), swatch, key))
    grid, y_ticks = _y_axis(tick_texts, [y(t) for t in ticks], left, right)
    height = (keys[-1][0].y + SWATCH if keys else legend_top) + PAD
    return LineChart(WIDTH, _r(height), title, POINT_RADIUS, _caption(y_label), grid, y_ticks,
                     x_texts, Line(_r(left), bottom, _r(right), bottom, "axis"), tuple(plots))


def sparkline(values: Sequence[float | None], *, title: str) -> Sparkline:
    """A 100×24 trend for a table cell, scaled to its own range, the last value marked."""
    present = [v for v in values if v is not None]
    low, high = min(present, default=0.0), max(present, default=0.0)
    inner_w, inner_h = SPARK_WIDTH - 2 * SPARK_PAD, SPARK_HEIGHT - 2 * SPARK_PAD

    def at(i: int, value: float) -> Point:
        x = 1.0 if len(values) == 1 else i / (len(values) - 1)
        y = 0.5 if high == low else (value - low) / (high - low)
        return Point(_r(SPARK_PAD + x * inner_w), _r(SPARK_PAD + (1 - y) * inner_h))

    points = [None if v is None else at(i, v) for i, v in enumerate(values)]
    drawn = [p for p in points if p is not None]
    return Sparkline(SPARK_WIDTH, SPARK_HEIGHT, title, SPARK_RADIUS, _segments(points),
                     drawn[-1] if drawn else None)


def histogram(edges: Sequence[float], counts: Sequence[int], *, title: str,
              markers: Sequence[Marker], log_scale: bool, tick_format: Callable[[float], str],
              y_label: str = "count") -> Histogram:
    """The score distribution with its thresholds as labelled vertical lines.

    With `log_scale` bar heights follow log10(count + 1): most pairs score near 0 or 1, and
    on a linear axis the band in between, which reviewers work on, would be invisible.
    `tick_format` formats both axes, so it must suit scores (0.2) and counts (1000) alike.
    """
    if len(edges) != len(counts) + 1 or not counts:
        raise ValueError("a histogram needs one more edge than counts, and one count or more")
    if any(b <= a for a, b in itertools.pairwise(edges)) or any(c < 0 for c in counts):
        raise ValueError("edges must increase and counts must not be negative")
    low, high = edges[0], edges[-1]
    if any(not low <= m.at <= high for m in markers):
        raise ValueError(f"markers must lie within [{low}, {high}]")
    if log_scale:
        decades = max(1, math.ceil(math.log10(max(max(counts), 1))))
        every = math.ceil(decades / (MAX_TICK_INTERVALS - 1))
        # The tick 1 stands log10(2) / decades of the height above 0: kept where labels fit.
        room_for_one = PLOT_HEIGHT * math.log10(2) / decades >= TEXT_LINE
        ticks: tuple[float, ...] = (0.0, *(
            10.0 ** k for k in range(decades % every, decades + 1, every) if k or room_for_one))
    else:
        ticks = _nice_ticks(max(counts), whole=True)

    def height_of(count: float) -> float:
        return math.log10(count + 1) if log_scale else count

    tick_texts = [tick_format(t) for t in ticks]
    left = PAD + _text_width(tick_texts) + GAP
    right = WIDTH - RIGHT_MARGIN
    bottom = PLOT_TOP + PLOT_HEIGHT
    x = _scale(low, high, left, right)

    def y(count: float) -> float:
        return bottom - height_of(count) / height_of(ticks[-1]) * PLOT_HEIGHT

    gap = BIN_GAP if (right - left) / len(counts) >= MIN_BIN_FOR_GAP else 0.0
    rects = tuple(
        Rect(_r(x(a)), _r(y(c)), _r(max(_r(x(b) - gap) - _r(x(a)), 0.0)), _r(bottom - y(c)),
             "bar", f"{tick_format(a)}–{tick_format(b)}: {tick_format(c)}")
        for (a, b), c in zip(itertools.pairwise(edges), counts, strict=True))
    grid, y_ticks = _y_axis(tick_texts, [y(t) for t in ticks], left, right)
    x_values = [low + t for t in _nice_ticks(high - low, whole=False) if low + t <= high]
    x_ticks = tuple(Label(_r(x(t)), _r(bottom + X_LABEL_DROP), tick_format(t), "middle", "tick")
                    for t in x_values)
    lines_, labels = _markers(markers, x, (left + right) / 2, bottom)
    caption = f"{y_label} (log)" if log_scale else y_label
    return Histogram(WIDTH, _r(bottom + X_LABEL_DROP + PAD), title, _caption(caption), grid,
                     y_ticks, x_ticks, Line(_r(left), bottom, _r(right), bottom, "axis"), rects,
                     lines_, labels)


def _nice_ticks(top: float, *, whole: bool) -> tuple[float, ...]:
    """0 to a round maximum ≥ top in 4–6 evenly spaced ticks (1, 2, 2.5 or 5 × 10^k apart);
    whole steps only for whole-number data, so a count axis never reads 0.5."""
    top = top if top > 0 else 1.0
    magnitude = 10.0 ** math.floor(math.log10(top / MAX_TICK_INTERVALS))
    step = next(s for s in (m * magnitude for m in (*NICE_STEPS, *(10 * n for n in NICE_STEPS)))
                if top / s <= MAX_TICK_INTERVALS + 1e-9 and (not whole or s.is_integer()))
    intervals = max(MIN_TICK_INTERVALS, math.ceil(top / step - 1e-9))
    digits = 2 - math.floor(math.log10(step))
    return tuple(round(i * step, digits) for i in range(intervals + 1))


def _y_axis(texts: Sequence[str], ys: Sequence[float], left: float,
            right: float) -> tuple[tuple[Line, ...], tuple[Label, ...]]:
    """A grid line and a tick label per tick."""
    grid = tuple(Line(_r(left), _r(y), _r(right), _r(y), "grid") for y in ys)
    labels = tuple(Label(_r(left - PAD), _r(y + BASELINE), text, "end", "tick")
                   for y, text in zip(ys, texts, strict=True))
    return grid, labels


def _caption(text: str) -> Label:
    return Label(PAD, TEXT_LINE, text, "start", "caption")


def _markers(markers: Sequence[Marker], x: Callable[[float], float], middle: float,
             bottom: float) -> tuple[tuple[Line, ...], tuple[Label, ...]]:
    """Threshold lines, labelled inside the plot on the side towards its middle; a label
    that would overlap an earlier one goes a row lower."""
    taken: list[tuple[float, float, int]] = []
    lines_: list[Line] = []
    labels: list[Label] = []
    for marker in markers:
        at = x(marker.at)
        width = len(marker.label) * CHAR_WIDTH
        rightwards = at <= middle
        start = at + PAD if rightwards else at - PAD - width
        row = next(r for r in range(len(markers) + 1)
                   if all(r != t_row or start + width < t0 or t1 < start
                          for t0, t1, t_row in taken))
        taken.append((start, start + width, row))
        lines_.append(Line(_r(at), PLOT_TOP, _r(at), bottom, f"marker {marker.css}"))
        labels.append(Label(_r(at + PAD if rightwards else at - PAD),
                            _r(PLOT_TOP + (row + 1) * TEXT_LINE - BASELINE), marker.label,
                            "start" if rightwards else "end", f"marker-label {marker.css}"))
    return tuple(lines_), tuple(labels)


def _legend(names: Sequence[str], left: float, top: float) -> list[tuple[Rect, Label]]:
    """Swatch and name per series, left to right, wrapping at the chart's width."""
    keys: list[tuple[Rect, Label]] = []
    x, y = left, top
    for name in names:
        width = SWATCH + PAD + len(name) * CHAR_WIDTH
        if x > left and x + width > WIDTH - PAD:
            x, y = left, y + LEGEND_ROW
        keys.append((Rect(_r(x), _r(y), SWATCH, SWATCH, "swatch"),
                     Label(_r(x + SWATCH + PAD), _r(y + SWATCH - 1), name, "start", "key")))
        x += width + LEGEND_GAP
    return keys


def _fitting(texts: Sequence[str], room: float) -> int:
    """How many x labels fit side by side, at most MAX_X_LABELS."""
    return max(1, min(MAX_X_LABELS, int(room // (_text_width(texts) + GAP))))


def _thinned(count: int, most: int) -> list[int]:
    """Every k-th index so at most `most` remain, counted back from the last (the newest run
    is always labelled)."""
    every = math.ceil(count / most)
    return [i for i in range(count) if (count - 1 - i) % every == 0]


def _segments(points: Sequence[Point | None]) -> tuple[tuple[Point, ...], ...]:
    """Runs of two or more consecutive points; a None breaks the line."""
    runs: list[list[Point]] = [[]]
    for point in points:
        if point is None:
            runs.append([])
        else:
            runs[-1].append(point)
    return tuple(tuple(run) for run in runs if len(run) > 1)


def _row_plot(value_labels: Sequence[str]) -> tuple[float, float]:
    """The x range of the bars between the label column and the value column."""
    values_width = min(_text_width(value_labels), MAX_VALUE_WIDTH)
    return LABEL_WIDTH + GAP, WIDTH - PAD - values_width - GAP


def _row_top(i: int) -> float:
    return PAD + i * ROW_HEIGHT + (ROW_HEIGHT - BAR_HEIGHT) / 2


def _rows_height(rows: int) -> float:
    return _r(2 * PAD + rows * ROW_HEIGHT)


def _row_labels(labels: Sequence[str]) -> tuple[Label, ...]:
    return tuple(Label(LABEL_WIDTH, _row_baseline(i), _truncate(label), "end", "label")
                 for i, label in enumerate(labels))


def _row_values(values: Sequence[str]) -> tuple[Label, ...]:
    return tuple(Label(WIDTH - PAD, _row_baseline(i), value, "end", "value")
                 for i, value in enumerate(values))


def _row_baseline(i: int) -> float:
    return _r(PAD + (i + 0.5) * ROW_HEIGHT + BASELINE)


def _zero_line(x: float, height: float) -> Line:
    return Line(_r(x), 0.0, _r(x), height, "axis")


def _bar(x0: float, x1: float, top: float, css: str, tip: str, min_width: float = 0.0) -> Rect:
    """A horizontal bar between two x, whichever is left; at least `min_width` wide,
    centred."""
    low, high = min(x0, x1), max(x0, x1)
    if high - low < min_width:
        middle = (low + high) / 2
        low, high = middle - min_width / 2, middle + min_width / 2
    return Rect(_r(low), _r(top), _r(_r(high) - _r(low)), BAR_HEIGHT, css, tip)


def _step_class(weight: float, *, total: bool) -> str:
    sign = "for" if weight > 0 else "against" if weight < 0 else "zero"
    return f"bar total {sign}" if total else f"bar {sign}"


def _scale(low: float, high: float, left: float, right: float) -> Callable[[float], float]:
    """Linear map of [low, high] onto [left, right]; an empty range maps to `left`."""
    span = high - low or 1.0
    return lambda value: left + (value - low) / span * (right - left)


def _truncate(label: str) -> str:
    return label if len(label) <= MAX_LABEL else label[:MAX_LABEL - 1] + "…"


def _text_width(texts: Sequence[str]) -> float:
    return max((len(t) for t in texts), default=0) * CHAR_WIDTH


def _same_lengths(**sequences: Sequence[object]) -> None:
    if len({len(s) for s in sequences.values()}) > 1:
        sizes = ", ".join(f"{name} {len(s)}" for name, s in sequences.items())
        raise ValueError(f"lengths differ: {sizes}")


def _r(value: float) -> float:
    """One decimal, finer than a pixel: the same input gives the same bytes (+0.0: no -0.0)."""
    return round(value, 1) + 0.0
