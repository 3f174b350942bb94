"""The match explanation as a waterfall: each comparison's weight (log2 Bayes factor)
added to the running total, drawn as an inline SVG bar chart (geometry here, markup in
`templates/_waterfall.html`)."""

from dataclasses import dataclass

import polars as pl

WIDTH, LABEL, ROW = 700, 270, 22
"""Chart width, the width of the label column and the height of a row (SVG units)."""


@dataclass(frozen=True)
class Bar:
    label: str
    weight: float
    x: float
    width: float
    y: float
    positive: bool
    total: bool = False


@dataclass(frozen=True)
class Waterfall:
    bars: list[Bar]
    zero: float
    height: float
    width: int = WIDTH
    label_width: int = LABEL


def waterfall(explanation: pl.DataFrame) -> Waterfall | None:
    """Bars from the running total before each weight to the one after it, then the total;
    None when the record has no explanation (never linked)."""
    if explanation.is_empty():
        return None
    steps: list[tuple[str, float, float, float]] = []
    total = 0.0
    for comparison, level, weight in explanation.select(
            "comparison", "level", "weight").iter_rows():
        steps.append((f"{comparison}: {level}", float(weight), total, total + float(weight)))
        total += float(weight)
    ends = [0.0, *(s[3] for s in steps)]
    low, high = min(ends), max(ends)
    span = (high - low) or 1.0
    scale = (WIDTH - LABEL - 60) / span

    def x(value: float) -> float:
        return round(LABEL + (value - low) * scale, 1)

    bars = [Bar(label, weight, min(x(start), x(end)), max(abs(x(end) - x(start)), 1.0),
                i * ROW + 4, weight >= 0)
            for i, (label, weight, start, end) in enumerate(steps)]
    bars.append(Bar("total", total, min(x(0), x(total)), max(abs(x(total) - x(0)), 1.0),
                    len(steps) * ROW + 4, total >= 0, total=True))
    return Waterfall(bars, x(0.0), (len(steps) + 1) * ROW + 10)
