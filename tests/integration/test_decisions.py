"""Reviewers' decisions on links (`popdq link`), the review band in the queue, and
`popdq evaluate`, through the CLI (issue: reviewer decisions the linker honours)."""

import re
from pathlib import Path

import polars as pl
import pytest

from tests.integration.conftest import load_world, popdq, query
from tests.integration.test_incremental import edit, run

pytestmark = pytest.mark.usefixtures("shared_prefect")

DOUBLE = "001099999999"
"""A stranger added to the registry with the name, birth date and commune of a person."""


def link(db: Path, *args: str) -> str:
    result = popdq("link", *args, "--by", "reviewer-a", "--warehouse", db)
    assert result.returncode == 0, result.stderr
    return result.stdout


def linked(db: Path, source: str, record_id: str) -> tuple[str | None, str, str | None]:
    """A record's stored link: person, decision, runner-up."""
    rows = query(db, "SELECT person_id, decision, second_person_id FROM matches WHERE source ="
                     f" '{source}' AND record_id = '{record_id}'")
    return rows[0]  # type: ignore[return-value]


@pytest.fixture(scope="module")
def setting(world: Path, tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path, str]:
    """The world, with a homonym of one person's in the registry and that person's health
    insurance record stripped of its ID: the record can only be a review. Returns the
    folder, the warehouse after a full run, and that record's id."""
    folder = tmp_path_factory.mktemp("decisions")
    truth = pl.read_csv(world / "truth.csv", infer_schema=False)
    registry = pl.read_csv(world / "registry.csv", infer_schema=False)
    clean = truth.filter((pl.col("source") == "health_insurance") & (pl.col("kinds") == "")
                         & (pl.col("person_id") != ""))
    record_id, person_id = clean.row(10)[1:3]
    person = registry.filter(pl.col("person_id") == person_id).row(0, named=True)
    edit(world / "registry.csv", folder / "registry.csv", {}, set(), [
        {**person, "person_id": DOUBLE, "old_id_number": "", "household_id": ""}])
    edit(world / "health_insurance.csv", folder / "health_insurance.csv",
         {record_id: {"id_number": "", "card_number": ""}}, set(), [])
    for name in ("social_insurance", "tax", "truth"):
        (folder / f"{name}.csv").write_bytes((world / f"{name}.csv").read_bytes())
    db = load_world(folder, folder / "w.duckdb")
    run(db)
    return folder, db, record_id


def test_a_record_in_review_is_a_ranked_queue_item_until_a_reviewer_decides(
        setting: tuple[Path, Path, str]) -> None:
    _, db, record_id = setting
    person, decision, second = linked(db, "health_insurance", record_id)
    assert decision == "review" and DOUBLE in {person, second}
    items = query(db, "SELECT item_id, kind, status, priority, detail FROM queue_items"
                      f" WHERE record_id = '{record_id}' AND kind = 'link_review'")
    assert len(items) == 1
    item_id, _, status, priority, detail = items[0]
    assert status == "open" and 25 <= int(str(priority)) <= 35
    assert "best candidate scores" in str(detail)
    assert popdq("export", "discrepancies", "--out", "-", "--warehouse", db
                 ).stdout.count("link_review") == 0  # a queue item, not a discrepancy

    truth_person = query(db, "SELECT person_id FROM registry WHERE person_id <> '001099999999'"
                             f" AND person_id IN ('{person}', '{second}')")[0][0]
    out = link(db, "set", "health_insurance", record_id, str(truth_person), "--note", "card")
    assert "review item resolved" in out
    assert query(db, f"SELECT status FROM queue_items WHERE item_id = {item_id}") == [
        ("resolved",)]
    assert query(db, "SELECT actor, action FROM queue_audit"
                     f" WHERE item_id = {item_id} ORDER BY audit_id DESC LIMIT 1") == [
        ("reviewer-a", "resolved")]
    assert query(db, "SELECT verdict, decided_by, note FROM link_decisions WHERE record_id ="
                     f" '{record_id}'") == [("set", "reviewer-a", "card")]

    province = query(db, "SELECT province FROM matches WHERE record_id ="
                         f" '{record_id}' AND source = 'health_insurance'")[0][0]
    for args in ((), ("--full",), ("--locality", str(province)), ("--retrain",)):
        run(db, *args)
        assert linked(db, "health_insurance", record_id)[:2] == (truth_person, "match"), args
    waterfall = query(db, "SELECT level FROM match_explanations WHERE record_id ="
                          f" '{record_id}' AND comparison = 'reviewer'")
    assert waterfall == [("decided",)]

    evaluated = popdq("evaluate", "--warehouse", db)
    assert evaluated.returncode == 0, evaluated.stderr
    confirmed = int(truth_person == person)
    assert (f"review: 1 decided, {confirmed} confirmed the proposed person,"
            f" {1 - confirmed} another person, 0 nobody") in evaluated.stdout
    assert re.search(r"recall, from decisions: [01]\.\d{4}", evaluated.stdout)
    assert "the model's own estimate" in evaluated.stdout
    assert DOUBLE not in evaluated.stdout and str(truth_person) not in evaluated.stdout


def test_a_rejected_person_is_not_proposed_again_until_the_record_changes(
        setting: tuple[Path, Path, str]) -> None:
    folder, db, _ = setting
    record_id, person_id = query(
        db, "SELECT record_id, person_id FROM matches WHERE source = 'social_insurance'"
            " AND decision = 'match' ORDER BY record_id LIMIT 1")[0]
    link(db, "reject", "social_insurance", str(record_id), "--note", "not him")
    for args in ((), ("--full",)):
        run(db, *args)
        now, _, second = linked(db, "social_insurance", str(record_id))
        assert person_id not in {now, second}

    rows = pl.read_csv(folder / "social_insurance.csv", infer_schema=False)
    name = rows.filter(pl.col("record_id") == record_id).item(0, "full_name")
    edit(folder / "social_insurance.csv", folder / "social_insurance.2.csv",
         {str(record_id): {"full_name": str(name).swapcase()}}, set(), [])
    assert popdq("load", "social_insurance", folder / "social_insurance.2.csv",
                 "--warehouse", db).returncode == 0
    run(db)
    assert linked(db, "social_insurance", str(record_id))[:2] == (person_id, "match")
    assert query(db, "SELECT count(*) FROM link_decisions WHERE record_id ="
                     f" '{record_id}'") == [(1,)]  # kept as audit, no longer holding


def test_a_decision_on_an_unknown_record_or_person_is_refused_in_one_line(
        setting: tuple[Path, Path, str]) -> None:
    _, db, record_id = setting
    for args in (("confirm", "tax", "NO-SUCH"),
                 ("set", "health_insurance", record_id, "000000000000"),
                 ("confirm", "nonsense", record_id)):
        result = popdq("link", *args, "--warehouse", db)
        assert result.returncode != 0
        assert len(result.stderr.strip().splitlines()) == 1, result.stderr
