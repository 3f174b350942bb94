"""Text views of queue items for the terminal; identifiers masked unless asked otherwise.

Every value a view shows goes through `printable` (popdq.masking): names, notes and file
names come from other people, and must not be able to act on the reader's terminal.
"""

from typing import TYPE_CHECKING

import polars as pl

from popdq.masking import mask_value, printable
from warehouse.datasets import LoadSummary
from warehouse.readers import RULES

if TYPE_CHECKING:
    from matching.evaluation import Estimates
    from popdq.commands import ItemView

LIST_COLUMNS = ("item_id", "priority", "status", "kind", "source", "record_id", "field",
                "locality", "assignee", "detail")


def render_list(items: pl.DataFrame) -> str:
    """One line per item, no personal values: safe to paste in a ticket."""
    shown = items.with_columns(
        pl.coalesce("commune", "province").alias("locality")
    ).select(LIST_COLUMNS)
    rows = [[_text(v) for v in row] for row in shown.iter_rows()]
    return _table(list(LIST_COLUMNS), rows)


def render_users(found: pl.DataFrame) -> str:
    """One line per account (never its hash)."""
    rows = [[_text(row["name"]), _text(row["role"]), _text(row["localities"]) or "all",
             "disabled" if row["disabled"] else "active", f"{row['created_at']:%Y-%m-%d}",
             _text(row["created_by"])] for row in found.iter_rows(named=True)]
    return _table(["name", "role", "localities", "state", "created", "by"], rows)


def render_load(summary: LoadSummary) -> str:
    """rows read = loaded + quarantined, then the quarantined line numbers per rule."""
    lines = [f"{summary.dataset}: {summary.rows_read:,} rows read = {summary.rows_loaded:,}"
             f" loaded + {summary.rows_quarantined:,} quarantined ({_text(summary.file_name)},"
             f" load {summary.load_id})"]
    for rule, where in summary.quarantined_lines.items():
        shown = ", ".join(map(str, where[:5])) + (", …" if len(where) > 5 else "")
        lines.append(f"  quarantined {len(where):,}: {_text(RULES[rule])}"
                     f" (line{'s' * (len(where) > 1)} {shown})")
    return "\n".join(lines)


def render_item(view: "ItemView", *, unmask: bool = False) -> str:
    """The source record beside the registry person, then why they were linked.

    Fields with a finding are marked ≠; other literal differences (date formats,
    Nam/M) are formatting and left unmarked.
    """
    item, record, person = view.item, view.record, view.person
    explanation, audit, flagged = view.explanation, view.audit, view.flagged
    def show(field: str, value: str | None) -> str:
        return _text(value if unmask else mask_value(field, value))

    shown = {k: _text(v) for k, v in item.items()}
    lines = [
        f"item {shown['item_id']}: {shown['kind']} ({shown['criterion']}) on {shown['field']}"
        f", priority {shown['priority']}, {shown['status']}"
        + (f", assigned to {shown['assignee']}" if item["assignee"] else ""),
        f"  {shown['detail']}",
        "",
    ]
    pairs = [("record_id", "person_id")] + [(f, f) for f in record if f in person
                                              and f not in ("record_id", "status")]
    pairs += [(f, "") for f in record if f not in person and f != "record_id"]
    rows = []
    for source_field, registry_field in pairs:
        left = show(source_field, record.get(source_field))
        right = show(registry_field, person.get(registry_field)) if registry_field else ""
        marker = "≠" if source_field in flagged else ""
        rows.append([source_field, left, marker, right])
    lines.append(_table(["field", f"source ({shown['source']})", "", "registry"], rows))
    if not explanation.is_empty():
        lines += ["", "why it linked (log2 Bayes factors):"]
        total = 0.0
        for comparison, level, weight in explanation.iter_rows():
            total += weight
            lines.append(f"  {_text(comparison):<14}{_text(level):<22}{weight:+8.2f}")
        lines.append(f"  {'total':<36}{total:+8.2f}")
    lines += ["", "history:"]
    for row in audit.iter_rows(named=True):
        change = f"{_text(row['old_status']) or '-'} → {_text(row['new_status'])}"
        note = f": {_text(row['note'])}" if row["note"] else ""
        lines.append(f"  {row['changed_at']:%Y-%m-%d %H:%M} {_text(row['actor'])}"
                     f" {_text(row['action'])} ({change}){note}")
    return "\n".join(lines)


def _text(value: object) -> str:
    """A value as one line of screen-safe text ('' for missing)."""
    return "" if value is None else printable(str(value))


def _table(header: list[str], rows: list[list[str]]) -> str:
    """Aligned columns; every cell made screen-safe, whoever built it."""
    header = [_text(h) for h in header]
    rows = [[_text(c) for c in row] for row in rows]
    widths = [max(len(str(c)) for c in column) for column in zip(header, *rows, strict=True)]
    out = ["  ".join(h.ljust(w) for h, w in zip(header, widths, strict=True)).rstrip()]
    out += ["  ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)).rstrip()
            for row in rows]
    return "\n".join(out)


def render_estimates(estimates: "Estimates") -> str:
    """What `popdq evaluate` prints: counts and rates only, no personal values."""
    def rate(value: float | None) -> str:
        return "n/a" if value is None else f"{value:.4f}"

    lines = ["links: " + ", ".join(f"{band.records:,} {band.decision}"
                                   for band in estimates.bands.values())]
    decided = [band for band in estimates.bands.values() if band.decided]
    if decided:
        lines.append("reviewers' decisions (newest per record, still holding):")
        lines += [f"  {band.decision}: {band.decided:,} decided, {band.confirmed:,} confirmed the"
                  f" proposed person, {band.other_person:,} another person,"
                  f" {band.decided - band.confirmed - band.other_person:,} nobody in the"
                  " registry" for band in decided]
    else:
        lines.append("reviewers' decisions: none yet (popdq link confirm|reject|set)")
    lines += [
        f"  precision of match, from decisions: {rate(estimates.reviewed_precision)}",
        f"  recall, from decisions: {rate(estimates.reviewed_recall)}",
        "the model's own estimate at the current thresholds:",
        f"  false matches: {estimates.model_false_matches:,.1f}"
        f" (precision {rate(estimates.model_precision)})",
        f"  missed matches: {estimates.model_missed_matches:,.1f}"
        f" (recall {rate(estimates.model_recall)})",
    ]
    return "\n".join(lines)
