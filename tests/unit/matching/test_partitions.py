"""Partitions of a run's records (matching.partitions): every record once, persons kept
together, and linking in partitions gives what one call gives."""

import polars as pl
import pytest

import synth
from matching.linker import link, prepare_registry, prepare_source, train
from matching.partitions import by_person, by_province, count_partitions


def test_count_partitions_rounds_up_and_is_never_zero() -> None:
    assert [count_partitions(n, 10) for n in (0, 1, 10, 11, 95)] == [1, 1, 1, 2, 10]


def test_by_province_takes_every_record_once_in_province_order() -> None:
    records = pl.DataFrame({"record_id": [f"r{i:02}" for i in range(25)],
                            "province": ["79", "01", None, "40", "01"] * 5})
    parts = by_province(records, 4)
    assert len(parts) == 4
    together = pl.concat(parts)
    assert sorted(together) == sorted(records.get_column("record_id"))
    provinces = dict(records.iter_rows())
    assert [provinces[r] for r in together] == sorted(
        records.get_column("province").to_list(), key=lambda p: (p is None, p))


def test_by_person_keeps_the_records_of_one_person_together() -> None:
    links = pl.DataFrame({
        "record_id": [f"r{i}" for i in range(8)],
        "person_id": ["p1", "p2", "p1", None, "p3", "p1", "p2", "p9"],
        "decision": ["match", "match", "match", "none", "match", "match", "match", "review"],
    })
    groups = by_person(links, 3)
    assert sorted(r for g in groups for r in g) == links.get_column("record_id").to_list()
    for person in ("p1", "p2"):
        ids = links.filter(pl.col("person_id") == person).get_column("record_id").to_list()
        assert sum(set(ids) <= set(g) for g in groups) == 1


@pytest.mark.parametrize("parts", [2, 7])
def test_linking_in_partitions_gives_what_one_call_gives(parts: int) -> None:
    world = synth.generate_world(1500, 8)
    registry = prepare_registry(world.registry)
    records = prepare_source("health_insurance", world.health_insurance)
    model = train(registry, {"health_insurance": records}, seed=1, u_pairs=100_000)
    whole = link(model, registry, records, source="health_insurance")
    linked = [link(model, registry, records.filter(pl.col("record_id").is_in(ids.implode())),
                   source="health_insurance") for ids in by_province(records, parts)]
    assert pl.concat([p.matches for p in linked]).sort("record_id").equals(whole.matches)
    assert pl.concat([p.explanations for p in linked]).sort(
        "record_id", maintain_order=True).equals(whole.explanations)
