"""Charts of the report's figures in one language, for the report and the workbench's
dashboard alike (geometry in `report.charts`, drawn by `templates/charts.html`)."""

from popdq.contract import CRITERIA
from report import charts, figures
from report.i18n import Language


def trend_charts(trend: figures.Trends, words: Language) -> dict[str, charts.LineChart]:
    """`findings`: per 1,000 records per criterion; `queue`: waiting, opened, closed and
    fixed at source; over the runs of the history."""
    t = words.words
    runs = [str(t["run_label"]).format(run=r) for r in trend.run_ids]
    names = {"active": t["queue_active"], "opened": t["queue_opened"],
             "closed_by_reviewers": t["queue_closed"], "fixed_at_source": t["queue_fixed"]}
    return {
        "findings": charts.lines(
            runs, [charts.Series(t["criteria"][c], c, trend.rates[c]) for c in CRITERIA],
            title=t["trend_findings"], y_label=t["per_thousand"],
            tick_format=lambda v: words.number(v, 1)),
        "queue": charts.lines(
            runs, [charts.Series(names[k], f"series-{i}", [float(v) for v in values])
                   for i, (k, values) in enumerate(trend.queue.items(), start=1)],
            title=t["trend_queue"], y_label=t["queue"], tick_format=words.number),
    }


def province_charts(rows: list[figures.ProvinceRow], run_ids: tuple[int, ...],
                    words: Language) -> dict[str, dict[str, charts.Sparkline | charts.LineChart]]:
    """Per province: `score`, a sparkline of its quality score, and `trend`, its findings
    per 1,000 records per criterion over the runs `run_ids` of the history."""
    t = words.words
    runs = [str(t["run_label"]).format(run=r) for r in run_ids]
    drawn: dict[str, dict[str, charts.Sparkline | charts.LineChart]] = {}
    for row in rows:
        drawn[row.code] = {
            "score": charts.sparkline(row.scores, title=f"{t['score']}: {row.code}"),
            "trend": charts.lines(
                runs, [charts.Series(t["criteria"][c], c, row.criterion_rates[c])
                       for c in CRITERIA],
                title=f"{t['trend_findings']}: {row.code}", y_label=t["per_thousand"],
                tick_format=lambda v: words.number(v, 1)),
        }
    return drawn


def explanation(steps: tuple[tuple[str, float], ...], words: Language) -> charts.Waterfall:
    """A link's waterfall: the prior, each comparison's weight in bits, the total."""
    t = words.words
    return charts.waterfall(steps, title=t["explanation"], total_label=t["total"],
                            value_format=lambda bits: words.number(bits, 1))
