"""The reviewers' report: one self-contained HTML file, identifiers masked.

Deterministic: the same warehouse gives the same bytes (no clock, no random ids).
"""

from html import escape
from pathlib import Path

import duckdb
import polars as pl

from matching.names import normalise_names
from popdq.contract import CRITERIA
from popdq.divisions import load_divisions
from popdq.localities import Locality
from popdq.masking import mask_value
from warehouse import reporting
from warehouse.exports import write_text

TOP_ITEMS = 200

_STYLE = """
body{font:14px/1.45 system-ui,sans-serif;margin:2rem auto;max-width:72rem;color:#1d2733}
h1{font-size:1.6rem;margin-bottom:.2rem}h2{margin-top:2rem;border-bottom:2px solid #c8102e}
.sub{color:#5a6673}table{border-collapse:collapse;width:100%;margin:.6rem 0}
th,td{padding:.3rem .5rem;border-bottom:1px solid #dde3e8;text-align:left;vertical-align:top}
th{background:#f3f5f7}td.n{text-align:right;font-variant-numeric:tabular-nums}
.cards{display:flex;gap:1rem;flex-wrap:wrap}.card{border:1px solid #dde3e8;border-radius:6px;
padding:.6rem 1rem;min-width:9rem}.card b{display:block;font-size:1.5rem}
.correct{color:#9c2b23}.sufficient{color:#8a5a00}.clean{color:#1d5c96}.alive{color:#2d6a3e}
"""



def render_report(con: duckdb.DuckDBPyConnection, locality: Locality | None = None) -> str:
    """The whole report for the newest successful run, or one locality of it."""
    run = reporting.last_run(con)
    kinds = reporting.findings_by_kind(con, locality)
    scope = f"locality {escape(str(locality))}" if locality else "all localities"
    parts = [
        "<!doctype html><html lang='en'><head><meta charset='utf-8'>",
        f"<title>popdq report — run {run['run_id']}</title><style>{_STYLE}</style></head><body>",
        "<h1>Population data quality report</h1>",
        f"<p class='sub'>Run {run['run_id']} as of {escape(str(run['as_of']))}, {scope}."
        " Identifiers are masked; <code>popdq queue show ITEM --unmask</code> shows one"
        " in full (audited).</p>",
        _criteria_cards(kinds),
        "<h2>Datasets</h2>", _table(reporting.loads(con)),
        "<h2>Linkage</h2>", _table(reporting.decisions(con, locality)),
        "<h2>Findings by kind</h2>", _table(kinds, criterion_column="criterion"),
        "<h2>Findings by province</h2>",
        _table(_named(reporting.findings_by_province(con, locality))),
        "<h2>Clean-data figures</h2>",
        "<p class='sub'>Formatting is normalised away and never a finding; these counts"
        " show how names were written.</p>",
        _table(_writing(reporting.source_names(con, locality))),
        "<h2>Cleaning queue</h2>", _table(reporting.queue_status(con, locality)),
        f"<h2>Most urgent open items (first {TOP_ITEMS})</h2>",
        _table(_masked(reporting.top_items(con, locality, TOP_ITEMS))),
        "</body></html>\n",
    ]
    return "\n".join(parts)


def write_report(con: duckdb.DuckDBPyConnection, out: Path,
                 locality: Locality | None = None) -> Path:
    return write_text(render_report(con, locality), out)


def report_path(warehouse: Path, run_id: int) -> Path:
    """Where the nightly flow writes each run's report: beside the warehouse."""
    return Path(warehouse).parent / "reports" / f"run-{run_id:05d}.html"


def _criteria_cards(kinds: pl.DataFrame) -> str:
    totals = dict(kinds.group_by("criterion").agg(pl.col("total").sum()).iter_rows())
    cards = "".join(
        f"<div class='card {c}'><b>{totals.get(c, 0):,}</b>{escape(f'{vi} — {c}')}</div>"
        for c, vi in CRITERIA.items())
    return f"<div class='cards'>{cards}</div>"


def _writing(names: pl.DataFrame) -> pl.DataFrame:
    """Per source: names without diacritics, in capitals, with keystrokes left in."""
    flags = normalise_names(names, "full_name", "n_")

    def records(flag: pl.Expr) -> pl.Expr:
        return pl.col("records").filter(flag).sum()

    return flags.group_by("source").agg(
        pl.col("records").sum(),
        records(pl.col("n_no_diacritics")).alias("without diacritics"),
        records(pl.col("n_upper_case")).alias("all capitals"),
        records(pl.col("n_repaired_telex") | pl.col("n_repaired_vni"))
        .alias("Telex/VNI keystrokes"),
        records(pl.col("n_other_tone_style")).alias("other tone placement"),
        records(pl.col("n_nfd")).alias("decomposed (NFD)"),
    ).sort("source")


def _named(by_province: pl.DataFrame) -> pl.DataFrame:
    names = load_divisions().province_names
    return by_province.with_columns(
        pl.col("province").replace_strict(names, default="").alias("name")
    ).select("province", "name", pl.exclude("province", "name"))


def _masked(items: pl.DataFrame) -> pl.DataFrame:
    columns = ("source_value", "registry_value")
    masked = {c: [mask_value(f, v) for f, v in zip(items["field"], items[c], strict=True)]
              for c in columns}
    return items.with_columns(pl.Series(c, masked[c], dtype=pl.String) for c in columns)


def _table(frame: pl.DataFrame, criterion_column: str | None = None) -> str:
    if frame.is_empty():
        return "<p class='sub'>none</p>"
    numeric = {c for c, t in frame.schema.items() if t.is_numeric()}
    head = "".join(f"<th>{escape(c.replace('_', ' '))}</th>" for c in frame.columns)
    body = []
    for row in frame.iter_rows(named=True):
        cells = []
        for column, value in row.items():
            text = "" if value is None else (f"{value:,}" if isinstance(value, int) and
                                            column != "item_id" else str(value))
            css = " class='n'" if column in numeric else (
                f" class='{escape(str(value))}'" if column == criterion_column else "")
            cells.append(f"<td{css}>{escape(text)}</td>")
        body.append("<tr>" + "".join(cells) + "</tr>")
    return f"<table><thead><tr>{head}</tr></thead><tbody>{''.join(body)}</tbody></table>"
