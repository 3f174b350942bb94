"""The reviewers' report: one self-contained HTML file per run, masked by default.

Figures come from `report.figures`, charts from `report.charts` (inline SVG), words from
`report.i18n`; the page is the Jinja2 template `templates/report.html`, its stylesheet and
script inlined, so the file opens with no network and prints as it shows.
Deterministic: the same warehouse, scope, language and masking give the same bytes (no
clock, no random ids).
"""

from pathlib import Path
from typing import Any

import duckdb
import jinja2
import polars as pl

from matching.model import LinkModel
from matching.names import normalise_names
from popdq.contract import CRITERIA, KINDS, SOURCE_KINDS
from popdq.divisions import Divisions, load_divisions
from popdq.localities import Locality
from report import charts, drawing, figures
from report.history import read_history
from report.i18n import Language, language
from warehouse import reporting
from warehouse.exports import write_text
from warehouse.linkage import latest_model

SAMPLES_PER_KIND = 3
SCORE_BINS = 20

_TEMPLATES = jinja2.Environment(
    loader=jinja2.PackageLoader("report", "templates"),
    autoescape=True, undefined=jinja2.StrictUndefined, trim_blocks=True, lstrip_blocks=True,
    keep_trailing_newline=True,
)


def render_report(con: duckdb.DuckDBPyConnection, locality: Locality | None = None, *,
                  lang: str = "vi", masked: bool = True) -> tuple[str, int]:
    """The report of the newest summarised run (of one locality, or all), and that run."""
    words = language(lang)
    runs, national = read_history(con)
    divisions = load_divisions()
    province = _province_of(locality, divisions)
    scoped = national.within(province)
    shown = [province] if province else divisions.province_codes
    communes = reporting.communes(con, locality)
    model = latest_model(con)
    link_model = LinkModel.from_json(model[1]) if model else None
    items = reporting.samples(con, locality, SAMPLES_PER_KIND)
    run = runs.row(-1, named=True)
    context: dict[str, Any] = {
        "t": words.words, "fmt": words, "lang": words.code, "masked": masked,
        "criteria": list(CRITERIA), "sources": list(SOURCE_KINDS),
        "run_id": run["run_id"], "as_of": words.date(run["as_of"]),
        "previous": scoped.previous, "scope": _scope(locality, divisions, words),
        "summary_province": province if locality and locality.level == "commune" else None,
        "headline": figures.headline(scoped),
        "league": figures.league(national, communes, shown, unplaced=locality is None),
        "province_names": divisions.province_names,
        "commune_names": divisions.commune_names,
        "kinds": figures.kinds(scoped, {k: v.criterion for k, v in KINDS.items()}),
        "samples": figures.samples(items, reporting.explanations(con, items),
                                   SAMPLES_PER_KIND, masked=masked),
        "quality": figures.quality(reporting.score_bins(con, locality, SCORE_BINS),
                                   SCORE_BINS, link_model, scoped),
        "loads": reporting.loads(con).to_dicts(),
        "writing": _writing(reporting.source_names(con, locality)).to_dicts(),
        "history_runs": len(national.run_ids),
        "queue_status": reporting.queue_status(con, locality),
    }
    context["drawn"] = _charts(context, figures.trends(scoped), words)
    html = _TEMPLATES.get_template("report.html").render(context)
    return html, int(run["run_id"])


def write_report(con: duckdb.DuckDBPyConnection, out: Path) -> Path:
    """The default report (Vietnamese, masked, every locality): the nightly flow's."""
    return write_text(render_report(con)[0], out)


def report_path(warehouse: Path, run_id: int) -> Path:
    """Where the nightly flow writes each run's report: beside the warehouse."""
    return Path(warehouse).parent / "reports" / f"run-{run_id:05d}.html"


def _province_of(locality: Locality | None, divisions: Divisions) -> str | None:
    if locality is None or locality.level == "province":
        return None if locality is None else locality.code
    return divisions.province_of_commune[locality.code]


def _scope(locality: Locality | None, divisions: Divisions, words: Language) -> str:
    if locality is None:
        return str(words.words["scope_all"])
    names = {**divisions.province_names, **divisions.commune_names}
    return str(words.words["scope"]).format(code=locality.code, name=names[locality.code])


def _charts(context: dict[str, Any], trend: figures.Trends, words: Language
            ) -> dict[str, Any]:
    """Every chart of the page, labelled in the report's language."""
    t = words.words

    def decimal(value: float) -> str:
        return words.number(value, 1)

    def either(value: float) -> str:
        return words.number(value, 0 if float(value).is_integer() else 1)

    headline: figures.Headline = context["headline"]
    rates = [headline.rates[c].now or 0.0 for c in CRITERIA]
    kinds: list[figures.KindRow] = context["kinds"]
    quality: figures.Quality = context["quality"]
    return {
        "criteria": charts.bars(
            [t["criteria"][c] for c in CRITERIA], rates, [decimal(r) for r in rates],
            title=f"{t['findings']} {t['per_thousand']}", classes=list(CRITERIA)),
        "trends": drawing.trend_charts(trend, words),
        "provinces": drawing.province_charts(context["league"], trend.run_ids, words),
        "kinds": charts.bars(
            [t["kinds"][k.kind] for k in kinds], [float(k.counts["total"]) for k in kinds],
            [words.number(k.counts["total"]) for k in kinds], title=t["by_kind"],
            classes=[k.criterion for k in kinds]),
        "scores": charts.histogram(
            quality.edges, quality.counts, title=t["score_distribution"],
            markers=[charts.Marker(t["review_threshold"], quality.review_threshold, "review"),
                     charts.Marker(t["match_threshold"], quality.match_threshold, "match")],
            log_scale=True, tick_format=either, y_label=t["records"]),
        "weights": {source: charts.bars(
            [label for label, _ in steps], [w for _, w in steps],
            [decimal(w) for _, w in steps], title=str(t["weights"]).format(
                source=t["sources"].get(source, source)),
            classes=["for" if w >= 0 else "against" for _, w in steps])
            for source, steps in quality.weights.items()},
        "waterfalls": {sample.item_id: drawing.explanation(sample.waterfall, words)
                       for kind_samples in context["samples"].values()
                       for sample in kind_samples if sample.waterfall},
    }


def _writing(names: pl.DataFrame) -> pl.DataFrame:
    """Per source: names without diacritics, in capitals, with keystrokes left in."""
    flags = normalise_names(names, "full_name", "n_")

    def records(flag: pl.Expr) -> pl.Expr:
        return pl.col("records").filter(flag).sum()

    return flags.group_by("source").agg(
        pl.col("records").sum(),
        records(pl.col("n_no_diacritics")).alias("no_diacritics"),
        records(pl.col("n_upper_case")).alias("upper_case"),
        records(pl.col("n_repaired_telex") | pl.col("n_repaired_vni")).alias("keystrokes"),
        records(pl.col("n_other_tone_style")).alias("other_tone"),
        records(pl.col("n_nfd")).alias("nfd"),
    ).sort("source")
