"""The linkage API on a small synthetic world (matching.linker): decisions, traps, reruns."""

import math
from dataclasses import dataclass, replace
from typing import cast

import polars as pl
import pytest

import synth
from matching.decisions import DECIDED, MATCHES_SCHEMA, REJECTED
from matching.evidence import SHARED_PERSON, shared_numbers, with_shared_persons
from matching.explain import EXPLANATIONS_SCHEMA
from matching.linker import (
    LinkModel,
    Links,
    check_model,
    link,
    prepare_registry,
    prepare_source,
    train,
)
from popdq.errors import PopdqError

SOURCES = ("social_insurance", "tax", "health_insurance")


@dataclass(frozen=True)
class Linked:
    world: synth.World
    registry: pl.DataFrame
    sources: dict[str, pl.DataFrame]
    model: LinkModel
    links: dict[str, Links]


@pytest.fixture(scope="module")
def linked() -> Linked:
    world = synth.generate_world(3000, 5)
    registry = prepare_registry(world.registry)
    sources = {kind: prepare_source(kind, getattr(world, kind)) for kind in SOURCES}
    numbers = shared_numbers(registry, sources.values())
    sources = {kind: with_shared_persons(frame, numbers) for kind, frame in sources.items()}
    model = train(registry, sources, seed=3, u_pairs=200_000)
    links = {kind: link(model, registry, sources[kind], source=kind) for kind in SOURCES}
    return Linked(world, registry, sources, model, links)


def test_matches_have_one_row_per_record_in_record_order(linked: Linked) -> None:
    for kind, links in linked.links.items():
        matches = links.matches
        assert matches.schema == pl.Schema(MATCHES_SCHEMA)
        assert matches.get_column("record_id").to_list() == sorted(
            getattr(linked.world, kind).get_column("record_id").to_list())
        assert matches.get_column("score").is_between(0, 1).all()
        assert set(matches.get_column("decision")) <= {"match", "review", "none"}
        none = matches.filter(pl.col("decision") == "none")
        assert none.get_column("person_id").is_null().all()
        assert (matches.get_column("source") == kind).all()


def test_accuracy_on_a_small_world(linked: Linked) -> None:
    truth = linked.world.truth.select("source", "record_id", pl.col("person_id").alias("true"))
    matches = pl.concat(links.matches for links in linked.links.values()).join(
        truth, on=["source", "record_id"])
    linked_rows = matches.filter(pl.col("decision") == "match")
    correct = cast(int, (linked_rows.get_column("person_id")
                         == linked_rows.get_column("true")).sum())
    assert correct / linked_rows.height >= 0.998
    assert correct / cast(int, (matches.get_column("true") != "").sum()) >= 0.98
    assert cast(float, (matches.get_column("decision") == "review").mean()) <= 0.01


def test_explanations_are_the_waterfall_of_each_linked_or_reviewed_record(linked: Linked) -> None:
    links = linked.links["health_insurance"]
    explanations = links.explanations
    assert explanations.schema == pl.Schema(EXPLANATIONS_SCHEMA)
    decided = links.matches.filter(pl.col("decision") != "none")
    assert set(explanations.get_column("record_id")) == set(decided.get_column("record_id"))
    first = explanations.filter(pl.col("record_id") == explanations.item(0, "record_id"))
    assert first.get_column("comparison").to_list() == [
        "prior", "family_name", "middle_name", "given_name", "birth_date", "sex", "id_number",
        "id_in_code", "shared_number", "place"]
    totals = explanations.group_by("record_id", "person_id").agg(pl.col("weight").sum())
    checked = decided.join(totals, on=["record_id", "person_id"]).filter(pl.col("score") < 0.999)
    for score, weight in checked.select("score", "weight").iter_rows():
        assert score == pytest.approx(1 / (1 + 2 ** -weight), rel=1e-9)


def test_blocking_statistics_per_rule(linked: Linked) -> None:
    blocking = linked.links["social_insurance"].blocking
    assert blocking.get_column("rule").to_list()[-1] == "all"
    assert "personal_id" in blocking.get_column("rule").to_list()
    assert blocking.get_column("reduction_ratio").is_between(0.99, 1).all()


def source_record(world: synth.World, person_id: str, **changes: str) -> dict[str, str]:
    """A clean health-insurance record of a registry person, with some fields changed."""
    person = world.registry.filter(pl.col("person_id") == person_id).row(0, named=True)
    record = {
        "record_id": f"HI9{person_id}", "card_number": "", "full_name": person["full_name"],
        "date_of_birth": person["date_of_birth"], "sex": person["sex"], "id_number": person_id,
        "province_code": person["province_code"], "commune_code": person["commune_code"],
        "valid_from": "", "valid_to": "", "updated_at": "",
    }
    return record | changes


def link_records(linked: Linked, records: list[dict[str, str]],
                 registry: pl.DataFrame | None = None, **columns: pl.Series) -> pl.DataFrame:
    return link_with(linked, records, registry, **columns).matches


def link_with(linked: Linked, records: list[dict[str, str]],
              registry: pl.DataFrame | None = None, **columns: pl.Series) -> Links:
    """Link clean-looking records, with extra right-frame columns (evidence, decisions)."""
    prepared = prepare_source("health_insurance", pl.DataFrame(records)).with_columns(
        *columns.values())
    return link(linked.model, linked.registry if registry is None else registry, prepared,
                source="health_insurance")


def children_with_fathers(world: synth.World) -> list[tuple[str, str]]:
    families = world.families.filter((pl.col("role") == "child") & (pl.col("father_id") != ""))
    return list(families.select("person_id", "father_id").head(40).iter_rows())


def test_a_childs_record_with_the_fathers_id_never_links_to_the_father(linked: Linked) -> None:
    pairs = children_with_fathers(linked.world)
    records = [source_record(linked.world, child, id_number=father) for child, father in pairs]
    matches = link_records(linked, records)
    fathers = {f"HI9{child}": father for child, father in pairs}
    children = {f"HI9{child}": child for child, _ in pairs}
    for record_id, person_id, decision in matches.select(
            "record_id", "person_id", "decision").iter_rows():
        assert person_id != fathers[record_id]
        assert decision != "match" or person_id == children[record_id]
    assert cast(float, (matches.get_column("decision") == "match").mean()) >= 0.9


def test_the_fathers_id_alone_does_not_force_a_match(linked: Linked) -> None:
    """The child is missing from the registry: the father is the only candidate, by ID alone."""
    pairs = children_with_fathers(linked.world)
    records = [source_record(linked.world, child, id_number=father) for child, father in pairs]
    children = [child for child, _ in pairs]
    registry = linked.registry.filter(~pl.col("person_id").is_in(children))
    matches = link_records(linked, records, registry)
    assert (matches.get_column("decision") != "match").all()


def twins(world: synth.World) -> list[tuple[str, str]]:
    registry = world.registry.join(world.families, on="person_id")
    sets = (registry.filter(pl.col("role") == "child")
            .group_by("household_id", "date_of_birth").agg(pl.col("person_id").sort())
            .filter(pl.col("person_id").list.len() == 2))
    return [(a, b) for a, b in sets.get_column("person_id").to_list()]


def test_twins_are_not_linked_to_each_other(linked: Linked) -> None:
    pairs = twins(linked.world)
    assert pairs
    records = [source_record(linked.world, person, id_number="")
               for pair in pairs for person in pair]
    matches = link_records(linked, records)
    for record_id, person_id, decision in matches.select(
            "record_id", "person_id", "decision").iter_rows():
        assert decision == "match"
        assert person_id == record_id.removeprefix("HI9")


def test_records_without_an_id_are_found_despite_a_second_error(linked: Linked) -> None:
    """Stage-1 keys: no ID and a typo in the given name, or a dropped middle name with
    only the birth year."""
    people = linked.world.registry.filter(
        pl.col("full_name").str.count_matches(" ") == 2).head(20).to_dicts()
    records = []
    for person in people:
        family, middle, given = person["full_name"].split(" ")
        typo = given[:-1] + ("x" if given[-1] != "x" else "y")
        records.append(source_record(linked.world, person["person_id"], id_number="",
                                     full_name=f"{family} {middle} {typo}"))
        records.append(source_record(linked.world, person["person_id"], id_number="",
                                     full_name=f"{family} {given}",
                                     date_of_birth=person["date_of_birth"][:4])
                       | {"record_id": f"HI8{person['person_id']}"})
    matches = link_records(linked, records)
    found = matches.filter(pl.col("person_id").is_not_null())
    assert (found.get_column("person_id")
            == found.get_column("record_id").str.slice(3)).all()
    assert found.height >= 0.9 * len(records)


def test_two_people_who_look_the_same_are_ambiguous(linked: Linked) -> None:
    person = linked.world.registry.row(100, named=True)
    double = {**person, "person_id": "001099999999", "old_id_number": ""}
    registry = prepare_registry(pl.concat([linked.world.registry, pl.DataFrame([double])]))
    record = source_record(linked.world, person["person_id"], id_number="")
    row = link_records(linked, [record], registry).row(0, named=True)
    assert row["ambiguous"]
    assert row["decision"] != "match"
    assert {row["person_id"], row["second_person_id"]} <= {person["person_id"], "001099999999"}


def test_a_subset_links_exactly_as_in_the_full_run(linked: Linked) -> None:
    kind = "health_insurance"
    full = linked.links[kind]
    subset = linked.sources[kind].gather_every(7, offset=3).reverse()
    partial = link(linked.model, linked.registry, subset, source=kind)
    ids = subset.get_column("record_id").to_list()
    assert partial.matches.equals(full.matches.filter(pl.col("record_id").is_in(ids)))
    assert partial.explanations.equals(
        full.explanations.filter(pl.col("record_id").is_in(ids)))


def test_the_model_round_trips_through_json_exactly(linked: Linked) -> None:
    text = linked.model.to_json()
    loaded = LinkModel.from_json(text)
    assert loaded == linked.model
    assert loaded.to_json() == text
    again = link(loaded, linked.registry, linked.sources["tax"], source="tax")
    assert again.matches.equals(linked.links["tax"].matches)


def test_training_is_deterministic(linked: Linked) -> None:
    assert train(linked.registry, linked.sources, seed=3, u_pairs=200_000) == linked.model
    other = train(linked.registry, linked.sources, seed=4, u_pairs=200_000)
    assert other.sources[0].comparisons[0].u != linked.model.sources[0].comparisons[0].u


def test_training_needs_no_labels_and_converges(linked: Linked) -> None:
    for params in linked.model.sources:
        assert params.em_converged
        id_number = params.comparison("id_number")
        assert id_number.m[id_number.levels.index("exact")] > 0.8
        assert id_number.u[id_number.levels.index("exact")] < 1e-4
        weights = dict(zip(id_number.levels, id_number.weights(), strict=True))
        assert weights["exact"] > 10 > weights["one_digit"] > 0 > weights["different"]
        assert params.prior_weight == pytest.approx(math.log2(1 / 3000), abs=1.5)


def test_an_unknown_source_is_a_clear_error(linked: Linked) -> None:
    with pytest.raises(KeyError, match="not trained on source 'pension'"):
        link(linked.model, linked.registry, linked.sources["tax"], source="pension")
    with pytest.raises(PopdqError, match="unknown dataset kind 'pension'"):
        prepare_source("pension", linked.world.tax)


def test_a_source_without_records_links_to_nothing_and_trains_nothing(linked: Linked) -> None:
    empty = prepare_source("tax", linked.world.tax.head(0))
    links = link(linked.model, linked.registry, empty, source="tax")
    assert links.matches.is_empty() and links.explanations.is_empty()
    assert links.matches.schema == pl.Schema(MATCHES_SCHEMA)
    assert (links.blocking.get_column("pairs") == 0).all()
    model = train(linked.registry, {"tax": empty, "social_insurance":
                                    linked.sources["social_insurance"]}, u_pairs=20_000)
    assert [params.source for params in model.sources] == ["social_insurance"]


def test_a_model_from_another_version_is_refused(linked: Linked) -> None:
    check_model(linked.model)
    params = linked.model.sources[0]
    first = params.comparisons[0]
    changed = replace(params, comparisons=(
        replace(first, levels=(*first.levels[:-1], "renamed")), *params.comparisons[1:]))
    stale = replace(linked.model, sources=(changed, *linked.model.sources[1:]))
    with pytest.raises(ValueError, match="differ from this version"):
        check_model(stale)


def test_a_registry_that_shares_no_key_with_a_source_is_refused_in_one_line(
    linked: Linked,
) -> None:
    """A loaded but unusable registry (one row, say) is a clear refusal, not a crash."""
    one_person = linked.registry.head(1)
    with pytest.raises(PopdqError, match=r"cannot estimate a model for tax: .* 1 registry rows"):
        train(one_person, {"tax": linked.sources["tax"].tail(5)}, seed=0, u_pairs=1000)


def with_a_double(linked: Linked, row: int) -> tuple[dict[str, str], pl.DataFrame]:
    """A registry person, and the registry with a stranger of the same name and birth date
    (the homonyms a national registry is full of)."""
    person = linked.world.registry.row(row, named=True)
    double = {**person, "person_id": "001099999999", "old_id_number": "", "household_id": ""}
    return person, prepare_registry(pl.concat([linked.world.registry, pl.DataFrame([double])]))


def test_the_model_weighs_a_shared_bhxh_number() -> None:
    """The synthetic world's records without an ID share BHXH numbers with anchors."""
    world = synth.generate_world(3000, 5)
    registry = prepare_registry(world.registry)
    sources = [prepare_source(kind, getattr(world, kind)) for kind in SOURCES]
    numbers = shared_numbers(registry, sources)
    assert numbers.height > 500
    assert numbers.get_column(SHARED_PERSON).is_in(
        registry.get_column("person_id").implode()).all()


def test_a_shared_bhxh_number_links_a_record_without_an_id(linked: Linked) -> None:
    person, registry = with_a_double(linked, 120)
    record = source_record(linked.world, person["person_id"], id_number="")
    alone = link_records(linked, [record], registry).row(0, named=True)
    assert alone["decision"] != "match"  # two persons fit: a coin toss without evidence
    shared = link_with(linked, [record], registry,
                       shared=pl.Series(SHARED_PERSON, [person["person_id"]]))
    row = shared.matches.row(0, named=True)
    assert (row["decision"], row["person_id"]) == ("match", person["person_id"])
    waterfall = dict(shared.explanations.select("comparison", "level").iter_rows())
    assert waterfall["shared_number"] == "agrees"


@pytest.mark.parametrize("changes", [
    {"full_name": "Trần Thị Bích"},
    {"date_of_birth": "1931-02-17"},
])
def test_a_shared_bhxh_number_is_vetoed_when_name_or_birth_date_disagree(
        linked: Linked, changes: dict[str, str]) -> None:
    person = linked.world.registry.row(120, named=True)
    record = source_record(linked.world, person["person_id"], id_number="", **changes)
    row = link_records(linked, [record],
                       shared=pl.Series(SHARED_PERSON, [person["person_id"]])).row(0, named=True)
    assert row["decision"] != "match"


def test_a_reviewers_choice_is_the_link_and_a_rejected_person_no_candidate(
        linked: Linked) -> None:
    person, registry = with_a_double(linked, 130)
    record = source_record(linked.world, person["person_id"], id_number="")
    chosen = link_with(linked, [record], registry,
                       decided=pl.Series(DECIDED, ["001099999999"]))
    row = chosen.matches.row(0, named=True)
    assert (row["decision"], row["person_id"]) == ("match", "001099999999")
    assert chosen.explanations.filter(pl.col("comparison") == "reviewer").height == 1
    rejected = link_records(linked, [record], registry,
                            rejected=pl.Series(REJECTED, [["001099999999"]]))
    row = rejected.row(0, named=True)
    assert row["person_id"] == person["person_id"]
    assert "001099999999" not in {row["person_id"], row["second_person_id"]}
    assert row["decision"] == "match"  # the double was all that made it uncertain
