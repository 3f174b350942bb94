"""The report's figures from run summaries: changes, rates, ranks, samples."""

import polars as pl
import pytest

from report.figures import History, Sample, headline, kinds, league, samples, trends


def history() -> History:
    """Two runs of two provinces: 79 (many findings, improving) and 01 (few)."""
    records = pl.DataFrame({
        "run_id": [1, 1, 2, 2, 2],
        "source": ["tax", "tax", "tax", "tax", "tax"],
        "province": ["79", "01", "79", "01", None],
        "records": [1000, 500, 1000, 400, 10],
        "linked": [900, 490, 950, 396, 0],
        "review": [10, 0, 5, 0, 0],
        "flagged": [300, 10, 200, 20, 10],
    })
    findings = pl.DataFrame({
        "run_id": [1, 1, 2, 2, 2],
        "source": ["tax"] * 5,
        "province": ["79", "01", "79", "01", None],
        "criterion": ["correct", "correct", "correct", "alive", "sufficient"],
        "kind": ["name_mismatch", "name_mismatch", "name_mismatch", "stale_id",
                 "missing_field"],
        "findings": [400, 10, 250, 20, 10],
    })
    queue = pl.DataFrame({
        "run_id": [1, 2], "province": ["79", "79"], "active": [410, 260], "opened": [410, 5],
        "closed_by_reviewers": [0, 100], "fixed_at_source": [0, 55],
    })
    return History((1, 2), records, findings, queue)


def test_the_headline_gives_each_figure_and_its_change_since_the_previous_run() -> None:
    top = headline(history())
    assert top.records["tax"].now == 1410 and top.records["tax"].change == -90
    assert top.match_rate["total"].now == pytest.approx(1346 / 1410)
    assert top.findings["correct"].now == 250 and top.findings["correct"].change == -160
    assert top.rates["correct"].now == pytest.approx(250 * 1000 / 1410)
    assert top.queue["closed_by_reviewers"].now == 100
    assert top.queue["fixed_at_source"].change == 55


def test_a_first_run_has_no_change() -> None:
    first = History((1,), *(f.filter(pl.col("run_id") == 1) for f in (
        history().records, history().findings, history().queue)))
    assert headline(first).records["tax"].change is None


def test_the_league_ranks_provinces_by_the_share_of_clean_records_worst_first() -> None:
    rows = league(history(), pl.DataFrame(schema={
        "province": pl.String, "commune": pl.String, "records": pl.Int64,
        "flagged": pl.Int64, "correct": pl.Int64, "sufficient": pl.Int64, "clean": pl.Int64,
        "alive": pl.Int64}), ["01", "79", "12"], unplaced=True)
    assert [r.code for r in rows] == ["79", "01", "12", ""]  # no records, then no province
    worst, best, empty, unknown = rows
    assert worst.score == pytest.approx(80.0) and worst.rank == 2
    assert worst.score_change == pytest.approx(10.0) and worst.rank_change == 0
    assert best.score == pytest.approx(95.0) and best.rank == 1
    assert best.rates["alive"] == pytest.approx(50.0) and best.rates["correct"] == 0
    assert worst.scores == pytest.approx((70.0, 80.0))
    assert empty.rank is None and empty.score is None and empty.records == 0
    assert unknown.rank is None and unknown.records == 10


def test_ranks_stay_national_when_one_province_is_shown() -> None:
    (only,) = league(history(), pl.DataFrame(schema={
        "province": pl.String, "commune": pl.String, "records": pl.Int64,
        "flagged": pl.Int64, "correct": pl.Int64, "sufficient": pl.Int64, "clean": pl.Int64,
        "alive": pl.Int64}), ["79"], unplaced=False)
    assert only.rank == 2


def test_trends_give_rates_per_run() -> None:
    trend = trends(history().within("79"))
    assert trend.rates["correct"] == pytest.approx((400.0, 250.0))
    assert trend.queue["active"] == (410, 260)


def test_kinds_count_and_rate_per_source() -> None:
    rows = {r.kind: r for r in kinds(history(), {"name_mismatch": "correct",
                                                 "stale_id": "alive"})}
    assert rows["name_mismatch"].counts == {"social_insurance": 0, "tax": 250,
                                            "health_insurance": 0, "total": 250}
    assert rows["stale_id"].rates["tax"] == pytest.approx(20 * 1000 / 1410)
    assert rows["name_mismatch"].rates["social_insurance"] is None  # no records


def item(item_id: int, kind: str, field: str, source_value: str, registry_value: str,
         decision: str | None) -> dict[str, object]:
    return {"item_id": item_id, "kind": kind, "criterion": "correct", "source": "tax",
            "record_id": f"T{item_id}", "field": field, "person_id": "079090000001",
            "source_value": source_value, "registry_value": registry_value,
            "province": "79", "commune": "26734", "detail": "differs", "priority": item_id,
            "decision": decision, "score": 0.99}


def test_samples_are_masked_compared_and_explained() -> None:
    items = pl.DataFrame([
        item(1, "name_mismatch", "full_name", "Nguyen Van Anh", "Nguyễn Văn An", "match"),
        item(2, "id_mismatch", "id_number", "079090000002", "079090000001", "match"),
        item(3, "name_mismatch", "full_name", "Tran Thi B", "Trần Thị B", "match"),
        item(4, "name_mismatch", "full_name", "Le C", "Lê C", None),
    ])
    waterfalls = pl.DataFrame({
        "source": ["tax"] * 3, "record_id": ["T1"] * 3,
        "comparison": ["prior", "given_name", "id_number"],
        "level": ["prior", "one_letter", "exact"], "weight": [-12.3, -2.5, 17.5]})
    found = samples(items, waterfalls, 2, masked=True)
    assert [s.item_id for s in found["name_mismatch"]] == [1, 3]  # two per kind, most urgent
    name, ident = found["name_mismatch"][0], found["id_mismatch"][0]
    assert "".join(s.text for s in name.source_value) == "N. V. Anh"
    assert [s.text for s in name.source_value if s.differs] == ["h"]
    assert "".join(s.text for s in ident.registry_value) == "••••••••0001"
    assert name.waterfall == (("prior", -12.3), ("given_name: one_letter", -2.5),
                              ("id_number: exact", 17.5))
    assert found["name_mismatch"][1].waterfall == ()  # linked, but no stored explanation
    full: Sample = samples(items, waterfalls, 2, masked=False)["id_mismatch"][0]
    assert "".join(s.text for s in full.source_value) == "079090000002"
