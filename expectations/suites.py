"""The validation suites, one per dataset, as code.

Each expectation carries in its `meta` the discrepancy kind and the contract
field a failing row raises (contract §3), so row-level failures can go
straight to the discrepancy step; expectations without a kind guard the
dataset as a whole (keys unique and present).
"""

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from popdq.contract import KINDS, dataset

if TYPE_CHECKING:
    import great_expectations as gx

@dataclass(frozen=True)
class Check:
    """One expectation: what it tests, and what a failing row means."""

    expectation: str
    """A Great Expectations 1.x expectation class name."""
    column: str
    field: str
    kind: str | None
    options: tuple[tuple[str, Any], ...] = ()


def checks_for(kind: str) -> list[Check]:
    """The checks of one dataset, in the order a reviewer reads them."""
    ds = dataset(kind)
    checks = [
        Check("ExpectColumnValuesToNotBeNull", ds.key, ds.key, None),
        Check("ExpectColumnValuesToBeUnique", ds.key, ds.key, None),
    ]
    if kind == "registry":
        checks += [
            Check("ExpectColumnValuesToNotBeNull", f, f, "missing_field")
            for f in ("full_name", "date_of_birth", "sex")
        ]
        checks.append(Check("ExpectColumnValuesToMatchRegex", "date_of_birth", "date_of_birth",
                            "invalid_format", (("regex", r"^\d{4}(?:-\d{2}){0,2}$"),)))
        checks.append(Check("ExpectColumnValuesToBeInSet", "sex", "sex", "invalid_format",
                            (("value_set", ["M", "F"]),)))
    else:
        checks += [
            Check("ExpectColumnValuesToNotBeNull", f, f, "missing_field")
            for f in KINDS["missing_field"].checks
        ]
        assert ds.code is not None  # every source has its key code
        checks.append(Check("ExpectColumnValuesToNotBeNull", ds.code, ds.code, "missing_field"))
        if "sex" in ds.columns:  # tax records carry no sex
            checks.append(Check("ExpectColumnValuesToBeInSet", "sex_invalid", "sex",
                                "invalid_format", (("value_set", [False]),)))
    for field in ds.identifiers:
        checks.append(Check("ExpectColumnValuesToBeNull", f"{field}_invalid_reason", field,
                            "invalid_format"))
    for field in ds.dates:
        checks.append(Check("ExpectColumnValuesToBeNull", f"{field}_problem", field,
                            "invalid_format"))
    person = ds.personal_id
    checks.append(Check("ExpectColumnValuesToNotBeInSet", f"{person}_id_consistency", person,
                        "id_inconsistent", (("value_set", ["inconsistent"]),)))
    if ds.statuses:
        checks.append(Check("ExpectColumnValuesToBeInSet", "status", "status", "invalid_format",
                            (("value_set", list(ds.statuses)),)))
    if "date_of_death" in ds.columns:  # a death before the birth, or of a living person
        checks.append(Check("ExpectColumnValuesToBeNull", "date_of_death_conflict",
                            "date_of_death", "invalid_format"))
    if kind == "registry":  # the reference holds current divisions only
        checks += [
            Check("ExpectColumnValuesToBeInSet", f"{f}_status", f, "invalid_format",
                  (("value_set", ["current"]),))
            for f in ("province_code", "commune_code")
        ]
    else:  # a pre-2025 code is out of date (found later), not malformed
        checks.append(Check("ExpectColumnValuesToNotBeInSet", "province_code_status",
                            "province_code", "invalid_format", (("value_set", ["unknown"]),)))
        if "commune_code" in ds.columns:
            checks.append(Check("ExpectColumnValuesToNotBeInSet", "commune_code_status",
                                "commune_code", "invalid_format", (("value_set", ["invalid"]),)))
    return checks


def columns_used(kind: str) -> list[str]:
    """The prepared columns a suite reads: the only ones handed to Great Expectations."""
    key = dataset(kind).key
    return list(dict.fromkeys([key, *(c.column for c in checks_for(kind))]))


def build_suite(kind: str) -> "gx.ExpectationSuite":
    """The Great Expectations suite of one dataset, named after it."""
    import great_expectations as gx

    suite = gx.ExpectationSuite(name=f"popdq.{kind}")
    for number, check in enumerate(checks_for(kind)):
        expectation_class = getattr(gx.expectations, check.expectation)
        suite.add_expectation(
            expectation_class(
                column=check.column,
                meta={"check": number, "field": check.field, "kind": check.kind or ""},
                **dict(check.options),
            )
        )
    return suite
