"""The report's figures, computed from the warehouse's frames: pure, no I/O, no markup.

Every figure that can change from run to run carries the previous run's value, so the
page shows the change. Rates are per 1,000 records checked. A province's quality score is
the share of its records with no finding at all, in % (100: entirely clean); rank 1 is the
best score, and the league lists the worst first.
"""

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import polars as pl

from matching.model import LinkModel
from popdq.contract import CRITERIA, SOURCE_KINDS
from popdq.masking import mask_value
from report.highlight import Segment, differences

PER = 1000
"""Rates are findings per this many records checked."""


@dataclass(frozen=True)
class Figure:
    """A value now and at the previous run (None before the first summarised run)."""

    now: float | None
    before: float | None

    @property
    def change(self) -> float | None:
        return None if self.now is None or self.before is None else self.now - self.before


@dataclass(frozen=True)
class Headline:
    records: dict[str, Figure]
    """Records checked per source, and `total`."""
    match_rate: dict[str, Figure]
    """Share linked (decision match) per source, and `total`."""
    findings: dict[str, Figure]
    """Findings per criterion."""
    rates: dict[str, Figure]
    """Findings per 1,000 records per criterion."""
    queue: dict[str, Figure]
    """active, opened, closed_by_reviewers, fixed_at_source."""


@dataclass(frozen=True)
class Place:
    """A province or commune in the league table."""

    code: str
    records: int
    rates: dict[str, float | None]
    """Findings per 1,000 records per criterion, and `total`."""
    score: float | None


@dataclass(frozen=True)
class ProvinceRow(Place):
    rank: int | None
    score_change: float | None
    rank_change: int | None
    """Places climbed since the previous run (positive: better)."""
    scores: tuple[float | None, ...]
    """The score at each run of the history."""
    criterion_rates: dict[str, tuple[float | None, ...]]
    """Findings per 1,000 records per criterion at each run of the history."""
    communes: tuple[Place, ...]


@dataclass(frozen=True)
class KindRow:
    kind: str
    criterion: str
    counts: dict[str, int]
    """Per source, and `total`."""
    rates: dict[str, float | None]


@dataclass(frozen=True)
class Sample:
    """One of a kind's most urgent items, as a reviewer would see it in the queue."""

    item_id: int
    kind: str
    source: str
    record_id: str
    field: str
    locality: str
    detail: str
    source_value: tuple[Segment, ...]
    registry_value: tuple[Segment, ...]
    waterfall: tuple[tuple[str, float], ...]
    """(comparison: level, weight in bits) of the record's link; empty when not linked."""


@dataclass(frozen=True)
class Quality:
    """How the linker decided: its scores, thresholds, review band and weights."""

    edges: tuple[float, ...]
    counts: tuple[int, ...]
    match_threshold: float
    review_threshold: float
    review: int
    records: int
    weights: dict[str, tuple[tuple[str, float], ...]]
    """Per source: (comparison: level, weight in bits)."""


def _rate(count: float, records: float) -> float | None:
    return PER * count / records if records else None


def _share(part: float, whole: float) -> float | None:
    return part / whole if whole else None


def _sums(frame: pl.DataFrame, keys: Sequence[str], columns: Sequence[str]
          ) -> dict[tuple[object, ...], dict[str, int]]:
    """Column sums per key, as a lookup (a key absent from the frame sums to nothing)."""
    summed = frame.group_by(*keys).agg(pl.col(c).sum() for c in columns)
    return {tuple(row[k] for k in keys): {c: int(row[c]) for c in columns}
            for row in summed.iter_rows(named=True)}


@dataclass(frozen=True)
class History:
    """The run summaries of the report's history (`warehouse.reporting.run_*`), one scope."""

    run_ids: tuple[int, ...]
    records: pl.DataFrame
    findings: pl.DataFrame
    queue: pl.DataFrame

    @property
    def run_id(self) -> int:
        return self.run_ids[-1]

    @property
    def previous(self) -> int | None:
        return self.run_ids[-2] if len(self.run_ids) > 1 else None

    def within(self, province: str | None) -> "History":
        """The same history, of one province (summaries are kept per province)."""
        if province is None:
            return self
        mine = pl.col("province") == province
        return History(self.run_ids, self.records.filter(mine), self.findings.filter(mine),
                       self.queue.filter(mine))


_QUEUE = ("active", "opened", "closed_by_reviewers", "fixed_at_source")


def _totals(history: History, run: int) -> dict[str, float | None]:
    """A run's headline values by name (`records <source>`, `match_rate <source>`,
    `findings <criterion>`, `rate <criterion>`, `queue <column>`)."""
    records = history.records.filter(pl.col("run_id") == run)
    findings = history.findings.filter(pl.col("run_id") == run)
    queue = history.queue.filter(pl.col("run_id") == run)
    values: dict[str, float | None] = {}
    for source in (*SOURCE_KINDS, "total"):
        mine = records if source == "total" else records.filter(pl.col("source") == source)
        values[f"records {source}"] = _sum(mine, "records")
        values[f"match_rate {source}"] = _share(_sum(mine, "linked"), _sum(mine, "records"))
    for criterion in CRITERIA:
        found = _sum(findings.filter(pl.col("criterion") == criterion), "findings")
        values[f"findings {criterion}"] = found
        values[f"rate {criterion}"] = _rate(found, _sum(records, "records"))
    for column in _QUEUE:
        values[f"queue {column}"] = _sum(queue, column)
    return values


def headline(history: History) -> Headline:
    """Records, match rate, findings and queue of the report's run, against the one before."""
    now = _totals(history, history.run_id)
    before = {} if history.previous is None else _totals(history, history.previous)

    def figures(prefix: str, names: Iterable[str]) -> dict[str, Figure]:
        return {name: Figure(now[f"{prefix} {name}"], before.get(f"{prefix} {name}"))
                for name in names}

    sources = (*SOURCE_KINDS, "total")
    return Headline(records=figures("records", sources),
                    match_rate=figures("match_rate", sources),
                    findings=figures("findings", CRITERIA), rates=figures("rate", CRITERIA),
                    queue=figures("queue", _QUEUE))


def _score(records: int, flagged: int) -> float | None:
    return 100 * (records - flagged) / records if records else None


def _places(records: pl.DataFrame, findings: pl.DataFrame, key: str) -> pl.DataFrame:
    """Per `key` (province, or run and province): records, flagged, findings per criterion."""
    keys = [c for c in ("run_id", key) if c in records.columns]
    counted = records.group_by(keys).agg(pl.col("records").sum(), pl.col("flagged").sum())
    per_criterion = findings.group_by(*keys, "criterion").agg(pl.col("findings").sum())
    for criterion in CRITERIA:
        counted = counted.join(
            per_criterion.filter(pl.col("criterion") == criterion)
            .select(*keys, pl.col("findings").alias(criterion)),
            on=keys, how="left", nulls_equal=True)
    return counted.with_columns(pl.col(c).fill_null(0) for c in CRITERIA)


def _rates(row: dict[str, object]) -> dict[str, float | None]:
    records = int(row["records"])  # type: ignore[call-overload]
    counts = {c: int(row[c]) for c in CRITERIA}  # type: ignore[call-overload]
    return {**{c: _rate(n, records) for c, n in counts.items()},
            "total": _rate(sum(counts.values()), records)}


def _ranks(places: pl.DataFrame) -> dict[str, int]:
    """Province → rank by score (1 = best; ties by code); provinces without records and
    records without a province have none."""
    ranked = (places.filter(pl.col("province").is_not_null() & (pl.col("records") > 0))
              .with_columns(score=(pl.col("records") - pl.col("flagged")) / pl.col("records"))
              .sort(["score", "province"], descending=[True, False]))
    return {code: rank for rank, code in enumerate(ranked.get_column("province"), start=1)}


def league(history: History, communes: pl.DataFrame, provinces: Iterable[str], *,
           unplaced: bool) -> list[ProvinceRow]:
    """The rows of `provinces`, worst first, and with `unplaced` a last row (code "") of the
    records of no province. `history` is national: ranks are among all provinces whatever
    rows are shown."""
    per_run = _places(history.records, history.findings, "province")
    at = {run: per_run.filter(pl.col("run_id") == run) for run in history.run_ids}
    ranks = {run: _ranks(frame) for run, frame in at.items()}
    rows_at = {run: {r["province"]: r for r in frame.iter_rows(named=True)}
               for run, frame in at.items()}
    now, before = history.run_id, history.previous
    commune_rows: dict[str | None, list[Place]] = {}
    for commune in communes.iter_rows(named=True):
        commune_rows.setdefault(commune["province"], []).append(Place(
            commune["commune"] or "", int(commune["records"]), _rates(commune),
            _score(int(commune["records"]), int(commune["flagged"]))))
    shown: list[str | None] = [*provinces, *([None] if unplaced and None in rows_at[now]
                                             else [])]
    result = []
    for code in shown:
        row = rows_at[now].get(code)
        records = int(row["records"]) if row else 0
        score = _score(records, int(row["flagged"])) if row else None
        old = rows_at[before].get(code) if before is not None else None
        old_score = _score(int(old["records"]), int(old["flagged"])) if old else None
        rank, old_rank = ranks[now].get(code or ""), (
            ranks[before].get(code or "") if before is not None else None)
        history_rows = [rows_at[run].get(code) for run in history.run_ids]
        result.append(ProvinceRow(
            code=code or "", records=records,
            rates=_rates(row) if row else dict.fromkeys([*CRITERIA, "total"]),
            score=score, rank=rank,
            score_change=None if score is None or old_score is None else score - old_score,
            rank_change=None if rank is None or old_rank is None else old_rank - rank,
            scores=tuple(_score(int(h["records"]), int(h["flagged"])) if h else None
                         for h in history_rows),
            criterion_rates={c: tuple(_rate(int(h[c]), int(h["records"])) if h else None
                                      for h in history_rows) for c in CRITERIA},
            communes=tuple(sorted(commune_rows.get(code, []), key=_worst_first)),
        ))
    return sorted(result, key=lambda r: (r.code == "", *_worst_first(r)))


def _worst_first(place: Place) -> tuple[bool, float, str]:
    return (place.score is None, place.score or 0.0, place.code)


@dataclass(frozen=True)
class Trends:
    """Per run of the history: findings per 1,000 records per criterion, and the queue."""

    run_ids: tuple[int, ...]
    rates: dict[str, tuple[float | None, ...]]
    queue: dict[str, tuple[int, ...]]


def trends(history: History) -> Trends:
    checked = _sums(history.records, ("run_id",), ("records",))
    found = _sums(history.findings, ("run_id", "criterion"), ("findings",))
    queue = _sums(history.queue, ("run_id",), _QUEUE)
    runs = history.run_ids
    return Trends(
        run_ids=runs,
        rates={c: tuple(_rate(found.get((r, c), {}).get("findings", 0),
                              checked.get((r,), {}).get("records", 0)) for r in runs)
               for c in CRITERIA},
        queue={k: tuple(queue.get((r,), {}).get(k, 0) for r in runs) for k in _QUEUE},
    )


def kinds(history: History, kind_criteria: dict[str, str]) -> list[KindRow]:
    """Each kind of the contract (in its order): findings per source and per 1,000 records
    of that source, at the report's run."""
    run = history.run_id
    checked = _sums(history.records.filter(pl.col("run_id") == run), ("source",), ("records",))
    found = _sums(history.findings.filter(pl.col("run_id") == run), ("kind", "source"),
                  ("findings",))
    total = sum(v["records"] for v in checked.values())
    rows = []
    for kind, criterion in kind_criteria.items():
        counts = {s: found.get((kind, s), {}).get("findings", 0) for s in SOURCE_KINDS}
        rates = {s: _rate(n, checked.get((s,), {}).get("records", 0)) for s, n in counts.items()}
        counts["total"] = sum(counts.values())
        rows.append(KindRow(kind, criterion, counts,
                            {**rates, "total": _rate(counts["total"], total)}))
    return rows


def samples(items: pl.DataFrame, waterfalls: pl.DataFrame, per_kind: int, *, masked: bool
            ) -> dict[str, list[Sample]]:
    """Kind → its `per_kind` most urgent items, values side by side with the differing
    characters marked (masked values compared as shown), and each linked record's waterfall."""
    steps = {(source, record_id): waterfall_steps(rows) for (source, record_id), rows in
             waterfalls.group_by("source", "record_id", maintain_order=True)}
    found: dict[str, list[Sample]] = {}
    for row in items.sort("priority", "item_id").iter_rows(named=True):
        kept = found.setdefault(row["kind"], [])
        if len(kept) == per_kind:
            continue
        shown = {side: mask_value(row["field"], row[side]) if masked else row[side]
                 for side in ("source_value", "registry_value")}
        left, right = differences(shown["source_value"], shown["registry_value"])
        linked = row["decision"] in ("match", "review")
        kept.append(Sample(
            item_id=int(row["item_id"]), kind=row["kind"], source=row["source"],
            record_id=row["record_id"], field=row["field"],
            locality=row["commune"] or row["province"] or "", detail=row["detail"],
            source_value=tuple(left), registry_value=tuple(right),
            waterfall=steps.get((row["source"], row["record_id"]), ()) if linked else ()))
    return found


def waterfall_steps(explanation: pl.DataFrame) -> tuple[tuple[str, float], ...]:
    """A record's stored explanation (`comparison`, `level`, `weight`, in order) as the
    steps of its waterfall: `prior`, then `comparison: level` with its weight in bits."""
    return tuple((comparison if level == comparison else f"{comparison}: {level}",
                  float(weight)) for comparison, level, weight in
                 explanation.select("comparison", "level", "weight").iter_rows())


def quality(bins: pl.DataFrame, edges: int, model: LinkModel | None, history: History
            ) -> Quality:
    """Scores of the best candidates in `edges` bins, the thresholds, the review band, and
    each source's weights per comparison level (log2 m/u, in bits)."""
    counted = dict(bins.select("bin", "records").iter_rows())
    latest = history.records.filter(pl.col("run_id") == history.run_id)
    weights = {} if model is None else {
        source.source: tuple(
            (f"{c.comparison}: {level}", weight)
            for c in source.comparisons
            for level, weight in zip(c.levels, c.weights(), strict=True)
            if math.isfinite(weight))
        for source in model.sources}
    thresholds = model.thresholds if model is not None else None
    return Quality(
        edges=tuple(i / edges for i in range(edges + 1)),
        counts=tuple(int(counted.get(i, 0)) for i in range(edges)),
        match_threshold=thresholds.match_probability if thresholds else 1.0,
        review_threshold=thresholds.review_probability if thresholds else 1.0,
        review=_sum(latest, "review"), records=_sum(latest, "records"),
        weights=weights,
    )


def _sum(frame: pl.DataFrame, column: str) -> int:
    return int(frame.get_column(column).sum()) if frame.height else 0
