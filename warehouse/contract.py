"""The input contract (shared/spec/contract.md §1): dataset kinds and their columns.

Everything that reads or writes an extract (loaders, the synthetic world,
the validation suites) takes its column lists from here, so the contract has
exactly one home in code.
"""

from dataclasses import dataclass


@dataclass(frozen=True)
class Dataset:
    """One input dataset: its kind, key column, columns in contract order, required ones."""

    kind: str
    key: str
    columns: tuple[str, ...]
    required: frozenset[str]


DATASETS: dict[str, Dataset] = {
    "registry": Dataset(
        kind="registry",
        key="person_id",
        columns=("person_id", "full_name", "date_of_birth", "sex", "province_code",
                 "commune_code", "household_id", "old_id_number", "status", "date_of_death",
                 "updated_at"),
        required=frozenset({"person_id", "full_name", "date_of_birth", "sex", "province_code",
                            "commune_code", "status"}),
    ),
    "social_insurance": Dataset(
        kind="social_insurance",
        key="record_id",
        columns=("record_id", "bhxh_code", "full_name", "date_of_birth", "sex", "id_number",
                 "province_code", "commune_code", "address", "status", "updated_at"),
        required=frozenset({"record_id", "bhxh_code", "full_name", "date_of_birth", "status"}),
    ),
    "tax": Dataset(
        kind="tax",
        key="record_id",
        columns=("record_id", "tax_code", "full_name", "date_of_birth", "id_number",
                 "province_code", "address", "status", "updated_at"),
        required=frozenset({"record_id", "tax_code", "full_name", "status"}),
    ),
    "health_insurance": Dataset(
        kind="health_insurance",
        key="record_id",
        columns=("record_id", "card_number", "full_name", "date_of_birth", "sex", "id_number",
                 "province_code", "commune_code", "valid_from", "valid_to", "updated_at"),
        required=frozenset({"record_id", "card_number", "full_name", "date_of_birth"}),
    ),
}

SOURCE_KINDS: tuple[str, ...] = ("social_insurance", "tax", "health_insurance")
"""The source extracts, in the order the contract lists them."""

TRUTH_COLUMNS: tuple[str, ...] = ("source", "record_id", "person_id", "kinds")
"""Columns of the synthetic world's truth.csv (contract §4)."""

DISCREPANCY_KINDS: dict[str, str] = {
    "name_mismatch": "correct",
    "dob_mismatch": "correct",
    "sex_mismatch": "correct",
    "id_mismatch": "correct",
    "id_inconsistent": "correct",
    "invalid_format": "clean",
    "duplicate_in_source": "clean",
    "ambiguous_match": "clean",
    "missing_field": "sufficient",
    "not_in_registry": "sufficient",
    "deceased_active": "alive",
    "outdated_locality": "alive",
    "stale_id": "alive",
}
"""Contract §3: each discrepancy kind and the criterion it belongs to."""


def dataset(kind: str) -> Dataset:
    """The dataset of a kind; a clear error for an unknown kind."""
    try:
        return DATASETS[kind]
    except KeyError:
        known = ", ".join(DATASETS)
        raise ValueError(f"unknown dataset kind {kind!r} (expected one of: {known})") from None
