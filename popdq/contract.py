"""The contract (shared/spec/contract.md) as values: datasets, discrepancy kinds, criteria.

Every fact lives in `data/contract.toml`; this module only reads it into typed,
frozen values. Any layer may import it (it imports nothing of popdq's but the
error type), so a column list, a kind or a status is never written twice.
"""

import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from importlib import resources
from types import MappingProxyType
from typing import Any

from popdq.errors import BadParameter


@dataclass(frozen=True)
class Active:
    """How a record is told active: `column` equals `value`, or (no value) a date in
    `column` that is on or after the run date."""

    column: str
    value: str | None = None


@dataclass(frozen=True)
class Dataset:
    """One input dataset (contract §1); see data/contract.toml for each field."""

    kind: str
    table: str
    key: str
    columns: tuple[str, ...]
    required: frozenset[str]
    code: str | None
    personal_id: str
    identifiers: tuple[str, ...]
    id_digits: Mapping[str, tuple[int, ...]] = field(hash=False)
    """Identifier column → the digit counts its numbers may have (with `ID_LEADING_ZEROS`)."""
    dates: tuple[str, ...]
    statuses: tuple[str, ...]
    active: Active
    masked: frozenset[str]

    @property
    def is_source(self) -> bool:
        return self.kind != "registry"


@dataclass(frozen=True)
class Kind:
    """One discrepancy kind (contract §3)."""

    name: str
    criterion: str
    field: str | None
    """The field it is reported on; None where the failing field decides."""
    priority: int
    why: str
    checks: tuple[str, ...] = ()
    """The fields it checks, where it checks several (missing_field)."""


def _read() -> dict[str, Any]:
    text = resources.files("popdq").joinpath("data", "contract.toml").read_text("utf-8")
    return tomllib.loads(text)


def _dataset(kind: str, spec: dict[str, Any]) -> Dataset:
    return Dataset(
        kind=kind, table=spec["table"], key=spec["key"], columns=tuple(spec["columns"]),
        required=frozenset(spec["required"]), code=spec["code"] or None,
        personal_id=spec["personal_id"], identifiers=tuple(spec["identifiers"]),
        id_digits=MappingProxyType({c: tuple(n) for c, n in spec["id_digits"].items()}),
        dates=tuple(spec["dates"]), statuses=tuple(spec["statuses"]),
        active=Active(**spec["active"]), masked=frozenset(spec["masked"]),
    )


_CONTRACT = _read()

DATASETS: dict[str, Dataset] = {k: _dataset(k, v) for k, v in _CONTRACT["datasets"].items()}
"""Dataset kind → its facts, in contract order (the registry first)."""

SOURCE_KINDS: tuple[str, ...] = tuple(k for k, d in DATASETS.items() if d.is_source)
"""The source extracts, in the order the contract lists them."""

KINDS: dict[str, Kind] = {
    name: Kind(name, spec["criterion"], spec["field"] or None, spec["priority"], spec["why"],
               tuple(spec.get("checks", ())))
    for name, spec in _CONTRACT["kinds"].items()
}
"""Discrepancy kind → its criterion, field and priority, in contract order."""

REVIEW_KIND: Kind = next(
    Kind(name, spec["criterion"], spec["field"], spec["priority"], spec["why"])
    for name, spec in _CONTRACT["review_kind"].items())
"""The queue item of a record whose link a human must decide: no discrepancy, no finding."""

QUEUE_KINDS: dict[str, Kind] = {**KINDS, REVIEW_KIND.name: REVIEW_KIND}
"""Every kind a queue item may have."""

CRITERIA: dict[str, str] = dict(_CONTRACT["criteria"])
"""Criterion → its Vietnamese name, in the programme's order (đúng, đủ, sạch, sống)."""

IDENTIFYING_COLUMNS: tuple[str, ...] = tuple(_CONTRACT["identifying_columns"])
"""The fields that say who a source record is, besides its code column (contract.toml)."""

TRUTH_COLUMNS: tuple[str, ...] = tuple(_CONTRACT["truth_columns"])
"""Columns of the synthetic world's truth.csv (contract §4)."""

ID_LEADING_ZEROS: dict[int, int] = {int(n): z for n, z in _CONTRACT["id_leading_zeros"].items()}
"""Digit count of an identifier number → at most how many leading zeros it can start with."""

MASKED_FIELDS: frozenset[str] = frozenset().union(*(d.masked for d in DATASETS.values()))
"""Every field whose values identify a person by number, in any dataset."""


def dataset(kind: str) -> Dataset:
    """The dataset of a kind; a one-line refusal for anything else."""
    try:
        return DATASETS[kind]
    except KeyError:
        known = ", ".join(DATASETS)
        raise BadParameter(f"unknown dataset kind {kind!r} (expected one of: {known})") from None
