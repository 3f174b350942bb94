"""The contract has one home (popdq/data/contract.toml); every consumer covers exactly its
datasets and kinds."""

import polars as pl
import pytest

from expectations.suites import checks_for
from matching.discrepancies import RULES
from matching.vietnamese import prepare_source
from popdq.contract import CRITERIA, DATASETS, KINDS, MASKED_FIELDS, SOURCE_KINDS, dataset
from popdq.errors import BadParameter
from popdq.masking import mask_value
from warehouse.tables import DATASET_TABLES


def test_the_contract_lists_the_four_datasets_and_thirteen_kinds() -> None:
    assert list(DATASETS) == ["registry", "social_insurance", "tax", "health_insurance"]
    assert SOURCE_KINDS == ("social_insurance", "tax", "health_insurance")
    assert len(KINDS) == 13
    assert list(CRITERIA) == ["correct", "sufficient", "clean", "alive"]
    assert {k.criterion for k in KINDS.values()} == set(CRITERIA)
    assert len({k.priority for k in KINDS.values()}) == len(KINDS), "priorities order kinds"


@pytest.mark.parametrize("kind", list(DATASETS))
def test_each_datasets_columns_are_consistent(kind: str) -> None:
    ds = DATASETS[kind]
    named = {ds.key, ds.personal_id, *ds.identifiers, *ds.dates, *ds.masked,
             ds.active.column, *ds.required}
    assert named <= set(ds.columns), named - set(ds.columns)
    assert (ds.code is None) == (not ds.is_source)
    assert ds.active.value is None or ds.active.value in ds.statuses


def test_the_validation_suites_cover_every_dataset_and_only_contract_kinds() -> None:
    for kind in DATASETS:
        checks = checks_for(kind)
        assert {c.kind for c in checks} - {None} <= set(KINDS)
        assert {c.field for c in checks} <= set(DATASETS[kind].columns)


def test_the_discrepancy_rules_raise_exactly_the_contracts_kinds() -> None:
    assert sorted(k for rule in RULES for k in rule.kinds) == sorted(KINDS)


def test_the_warehouse_has_a_table_per_dataset() -> None:
    assert sorted(DATASET_TABLES) == sorted(d.table for d in DATASETS.values())
    for ds in DATASETS.values():
        assert [c for c in DATASET_TABLES[ds.table] if c in ds.columns] == list(ds.columns)


def test_matching_prepares_every_source_and_nothing_else() -> None:
    for kind in SOURCE_KINDS:
        empty = pl.DataFrame(schema=dict.fromkeys(DATASETS[kind].columns, pl.String))
        assert "record_id" in prepare_source(kind, empty).columns
    with pytest.raises(ValueError, match="not a source"):
        prepare_source("registry", pl.DataFrame())


def test_masking_covers_every_identifier_column() -> None:
    for ds in DATASETS.values():
        for column in ds.identifiers:
            assert column in MASKED_FIELDS
            assert mask_value(column, "001090123456") == "••••••••3456"
    assert mask_value("full_name", "Nguyễn Văn An") == "N. V. An"


def test_an_unknown_dataset_is_a_bad_parameter() -> None:
    with pytest.raises(BadParameter, match="unknown dataset kind 'pension'"):
        dataset("pension")
