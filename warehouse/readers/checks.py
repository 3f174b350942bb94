"""The contract applied to the records any reader found, with column operations.

One rule for every format: a record is set aside (the first reason that applies) for what
the reader found, when it is empty, when a value holds a control character (C0, DEL, C1;
tab and line breaks are text) or is longer than MAX_FIELD_CHARS, naming the column, or
for its key. The registry's key is an ID number: spaces in it are removed, and a key that
is then not 12 digits 0-9 sets its record aside; two keys equal once cleaned are
duplicates. Column operations, so a million records cost no Python loop. The records
kept become the contract's columns, extra columns as one JSON object.
"""

import json
from typing import NamedTuple

import polars as pl

from popdq.contract import Dataset
from warehouse.readers.extract import MAX_FIELD_CHARS, RULES, Extract, QuarantinedRow, _Table
from warehouse.refusals import refuse_bad_header

_CONTROL = "[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]"
"""Control characters (C0, DEL, C1) a value may not hold. Tab is text, and so are line
breaks: a quoted field may span lines (an address), and the name normaliser folds them."""
_CONTROL_NAMES = {chr(c): f"U+{c:04X}" for c in [*range(0x20), *range(0x7F, 0xA0)]}

_KEY_SPACES = r"[\s\u200b-\u200d\u2060\ufeff]"
"""Spaces (any kind) and invisible characters removed from a key checked as an ID."""


def _check_table(file_name: str, file_format: str, dataset: Dataset, table: _Table) -> Extract:
    """Apply the contract to a reader's records: the header, then each record, then split."""
    refuse_bad_header(file_name, dataset, table.header)
    names = {name: f"c{i}" for i, name in enumerate(table.header)}
    cells = _judge_records(table.cells, names, dataset, table.may_hold_controls)
    set_aside = cells.filter(pl.col("rule").is_not_null())
    quarantined = [
        QuarantinedRow(line, raw, rule, reason) for (line, rule, reason), raw in zip(
            set_aside.select("line", "rule", "reason").iter_rows(),
            table.raw_text(set_aside), strict=True)
    ]
    loaded = cells.filter(pl.col("rule").is_null())
    return Extract(file_name, file_format, _contract_rows(dataset, names, loaded), quarantined)


class _Check(NamedTuple):
    """One reason to set a record aside: its rule, when it applies, and the reason."""

    rule: str
    applies: pl.Expr
    reason: pl.Expr


def _judge_records(cells: pl.DataFrame, names: dict[str, str], dataset: Dataset,
                   may_hold_controls: bool) -> pl.DataFrame:
    """Set `rule` and `reason` where a record cannot load, the first that applies: what the
    reader found, an empty record, a control character, a value too long, an empty key, a
    key that is no ID (the registry's), a key already loaded (naming the first line).
    Column operations, so a million records cost no Python loop; checks that cannot apply
    (no control character, no long value, every key an ID) are left out after one scan."""
    columns = list(names.values())
    checks = [_Check("empty_row", pl.all_horizontal(_is_blank(pl.col(c)) for c in columns),
                     pl.lit(RULES["empty_row"]))]
    if may_hold_controls:
        checks += _control_checks(cells, names)
    checks += _length_checks(cells, names)
    key, column = dataset.key, names[dataset.key]
    lengths = dataset.id_digits.get(key)
    cleaning = bool(lengths) and not _all_ids(cells, column, lengths or ())
    # an ID number as key (the registry's person_id): spaces go, the rest must be an ID
    value = pl.col(column).str.replace_all(_KEY_SPACES, "") if cleaning else pl.col(column)
    checks.append(_Check("empty_key", _is_blank(value), pl.lit(f"empty {key}")))
    if lengths and cleaning:
        checks.append(_Check("invalid_key", ~_is_id(value, lengths),
                             _invalid_id_reason(key, value, lengths)))
    rule = pl.col("rule")
    first = pl.when(rule.is_null()).then(pl.col("line")).min().over(column)
    return cells.with_columns(
        pl.coalesce(rule, *(pl.when(c.applies).then(pl.lit(c.rule)) for c in checks)),
        value.alias(column),
    ).with_columns(first.alias("first")).with_columns(
        pl.when(rule.is_null() & (pl.col("line") != pl.col("first")))
        .then(pl.lit("duplicate_key")).otherwise(rule).alias("rule"),
    ).with_columns(pl.coalesce(
        "reason",
        *(pl.when(_names_the_column(c, checks)).then(c.reason) for c in checks),
        pl.when(rule == "duplicate_key").then(
            pl.format(f"duplicate {key} (first at line {{}})", pl.col("first"))),
    ).alias("reason"))


def _names_the_column(check: _Check, checks: list[_Check]) -> pl.Expr:
    """When a check's reason is the record's: its rule, and where several columns share the
    rule, the check's own column applies too (so the reason names the right column)."""
    shared = sum(c.rule == check.rule for c in checks) > 1
    return (pl.col("rule") == check.rule) & check.applies if shared else (
        pl.col("rule") == check.rule)


def _control_checks(cells: pl.DataFrame, names: dict[str, str]) -> list[_Check]:
    """A control character, per column that holds one anywhere (the first column wins)."""
    found = cells.select(pl.col(c).str.contains(_CONTROL).any() for c in names.values())
    return [
        _Check("control_characters", pl.col(column).str.contains(_CONTROL),
               pl.format(f"{name} holds a control character ({{}})",
                         pl.col(column).str.extract(f"({_CONTROL})")
                         .replace_strict(_CONTROL_NAMES, default="?")))
        for (name, column), present in zip(names.items(), found.row(0), strict=True)
        if present
    ]


def _length_checks(cells: pl.DataFrame, names: dict[str, str]) -> list[_Check]:
    """A value over MAX_FIELD_CHARS characters, per column that has one. The byte length
    (free to read) rules most columns out before any characters are counted."""
    widest = cells.select(pl.col(c).str.len_bytes().max() for c in names.values())
    return [
        _Check("field_too_long", pl.col(column).str.len_chars() > MAX_FIELD_CHARS,
               pl.format(f"{name} is {{}} characters long (more than {MAX_FIELD_CHARS:,})",
                         pl.col(column).str.len_chars()))
        for (name, column), most in zip(names.items(), widest.row(0), strict=True)
        if most is not None and most > MAX_FIELD_CHARS
    ]


def _is_id(value: pl.Expr, lengths: tuple[int, ...]) -> pl.Expr:
    """An ID number: only the digits 0-9, as many as one of `lengths`."""
    return value.str.contains("^(?:" + "|".join(f"[0-9]{{{n}}}" for n in lengths) + ")$")


def _all_ids(cells: pl.DataFrame, column: str, lengths: tuple[int, ...]) -> bool:
    """Whether every record still in play has a well-formed ID as its key: one pass, so a
    clean file is not cleaned."""
    ok = _is_id(pl.col(column), lengths).fill_null(False) | pl.col("rule").is_not_null()
    return bool(cells.select(ok.all()).item())


def _invalid_id_reason(key: str, value: pl.Expr, lengths: tuple[int, ...]) -> pl.Expr:
    """Why a key is no ID number (letters, full-width digits, a lost leading zero),
    without showing the value."""
    shown = " or ".join(map(str, lengths))
    return (
        pl.when(~value.str.contains(r"[^0-9]"))
        .then(pl.format(f"{key} has {{}} digits, not {shown}", value.str.len_chars()))
        .when(value.str.contains(r"^\d+$")).then(pl.lit(
            f"{key} is written with full-width or other non-ASCII digits: use 0-9"))
        .otherwise(pl.lit(f"{key} holds characters other than digits"))
    )


def _contract_rows(dataset: Dataset, names: dict[str, str], cells: pl.DataFrame) -> pl.DataFrame:
    """line_number, the contract's columns (empty → null, absent → null) and extra as JSON."""
    extra = [name for name in names if name not in dataset.columns]
    columns = [
        (pl.when(pl.col(names[c]) != "").then(pl.col(names[c])) if c in names else pl.lit(None))
        .cast(pl.String).alias(c)
        for c in dataset.columns
    ]
    return cells.select(
        pl.col("line").cast(pl.Int64).alias("line_number"),
        *columns,
        (_json_object({n: pl.col(names[n]) for n in extra}) if extra else pl.lit(None))
        .cast(pl.String).alias("extra"),
    )


def _json_object(values: dict[str, pl.Expr]) -> pl.Expr:
    """`json.dumps({name: value or ""}, ensure_ascii=False)` for every row, as an expression."""
    parts: list[pl.Expr] = []
    for i, (name, value) in enumerate(values.items()):
        label = ("{" if i == 0 else ", ") + json.dumps(name, ensure_ascii=False) + ": "
        encoded = (pl.struct(value.fill_null("").alias("v")).struct.json_encode()
                   .str.strip_prefix('{"v":').str.strip_suffix("}"))
        parts += [pl.lit(label), encoded]
    return pl.concat_str([*parts, pl.lit("}")])


def _is_blank(value: pl.Expr) -> pl.Expr:
    return value.is_null() | (value == "")
