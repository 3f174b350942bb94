"""Each run's summary per province (counts only), kept for the report's trends.

A run writes it in its publish transaction, from the tables as the run leaves them: so a
locality or source run summarises the whole warehouse, like a full run, and two
summaries compare like with like.
"""

import duckdb

from warehouse.lifecycle import ACTIVE

_CLOSED_BY_REVIEWERS = ("resolved", "rejected")
_OPENED = ("created", "reopened")


def summarise_run(con: duckdb.DuckDBPyConnection, run_id: int) -> None:
    """The run's findings, records and queue per province; call inside its transaction."""
    con.execute(
        "INSERT INTO run_findings BY NAME SELECT ? AS run_id, source, province, criterion,"
        " kind, count(*) AS findings FROM findings GROUP BY ALL", [run_id])
    con.execute(
        "INSERT INTO run_records BY NAME SELECT ? AS run_id, m.source, m.province,"
        " count(*) AS records, count(*) FILTER (m.decision = 'match') AS linked,"
        " count(*) FILTER (m.decision = 'review') AS review,"
        " count(f.record_id) AS flagged FROM matches m"
        " LEFT JOIN (SELECT DISTINCT source, record_id FROM findings) f"
        "   ON f.source = m.source AND f.record_id = m.record_id"
        " GROUP BY m.source, m.province", [run_id])
    since = con.execute(
        "SELECT coalesce(max(audit_through), 0) FROM runs WHERE run_id < ?",
        [run_id]).fetchall()[0][0]
    con.execute(
        "INSERT INTO run_queue BY NAME SELECT ? AS run_id, q.province,"
        " count(*) FILTER (q.status IN (SELECT unnest(?::VARCHAR[]))) AS active,"
        " coalesce(sum(a.opened), 0) AS opened,"
        " coalesce(sum(a.closed_by_reviewers), 0) AS closed_by_reviewers,"
        " coalesce(sum(a.fixed_at_source), 0) AS fixed_at_source"
        " FROM queue_items q LEFT JOIN ("
        "   SELECT item_id,"
        "   count(*) FILTER (run_id = ? AND action IN (SELECT unnest(?::VARCHAR[]))) AS opened,"
        "   count(*) FILTER (run_id IS NULL AND audit_id > ?"
        "     AND action IN (SELECT unnest(?::VARCHAR[]))) AS closed_by_reviewers,"
        "   count(*) FILTER (run_id = ? AND action = 'fixed_at_source') AS fixed_at_source"
        "   FROM queue_audit WHERE run_id = ? OR (run_id IS NULL AND audit_id > ?)"
        "   GROUP BY item_id) a ON a.item_id = q.item_id"
        " GROUP BY q.province",
        [run_id, list(ACTIVE), run_id, list(_OPENED), since, list(_CLOSED_BY_REVIEWERS),
         run_id, run_id, since])
    con.execute(
        "UPDATE runs SET audit_through = (SELECT coalesce(max(audit_id), 0) FROM queue_audit)"
        " WHERE run_id = ?", [run_id])
