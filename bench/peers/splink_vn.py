"""Splink 5 (DuckDB backend) linking the synthetic world's sources to the registry.

Set up as a competent Splink user would, with generic cleaning only (nothing
Vietnamese-specific: no syllable rules, no Telex/VNI repair, no old→new
locality table, no ID decoding):

- names: Unicode → ASCII with `unidecode`, lower case, single spaces; split
  into words (an array, and the words sorted), family name (first word) and
  given name (last word). The full name is compared by levels:
  exact (term-frequency adjusted), same words in another order, Jaro-Winkler
  ≥ 0.92, one name's words a subset of the other's, two words in common; the
  given name by Splink's NameComparison (term-frequency adjusted);
- IDs: every character but digits removed (spaces, dashes). The 12-digit
  personal ID is compared with the registry's person_id, a 9-digit old ID with
  its old_id_number. The key column (bhxh_code, tax_code, card_number) holds
  the 12-digit ID for some records (contract §1): then it is used as the ID;
- dates: parsed from the contract's written forms (dd/mm/yyyy, d/m/yyyy,
  dd-mm-yyyy, yyyy-mm-dd, and mm/dd/yyyy as a last try) to ISO; a year alone
  (`yyyy`, `00/00/yyyy`) becomes 1 January, a registry `YYYY-MM` the 1st;
  anything else (impossible dates) is missing;
- sex: Nam/Nữ/M/F in any case → M/F.

Each source is linked to the registry with its own `link_only` model: OR-ed
blocking rules, comparisons from `splink.comparison_library`, λ from
deterministic rules, u by random sampling, m by EM on two blocking rules,
then `predict`. A source record links to at most one person: its best-scoring
candidate with match_probability ≥ `threshold` (0.9 by default, as for Febrl:
a link must be far more likely than not; bench/README.md has the sweep).
"""

import logging
from collections.abc import Mapping
from typing import Any

import duckdb
import polars as pl
import splink.comparison_level_library as cll
import splink.comparison_library as cl
from splink import DuckDBAPI, Linker, SettingsCreator, block_on
from splink.internals.blocking_rule_creator import BlockingRuleCreator
from splink.internals.comparison_creator import ComparisonCreator
from unidecode import unidecode

THRESHOLD = 0.9
"""Default match_probability threshold for a link."""

U_MAX_PAIRS = 3e6
"""Pairs sampled to estimate u, per source: ~10 s each here (1e7 takes ~38 s per source)."""

KEY_COLUMN = {"social_insurance": "bhxh_code", "tax": "tax_code",
              "health_insurance": "card_number"}

BLOCKING_RULES: list[BlockingRuleCreator | dict[str, Any]] = [
    block_on("pid"),
    block_on("old_id"),
    block_on("dob", "given_name"),
    block_on("dob", "family_name"),
    block_on("family_name", "given_name", "birth_year"),
    block_on("full_name", "commune_code"),
]
"""Blocking rules for prediction (OR-ed): each true link needs to satisfy one."""


def _comparisons() -> list[ComparisonCreator | dict[str, Any]]:
    full_name = cl.CustomComparison(
        output_column_name="full_name",
        comparison_levels=[
            cll.NullLevel("full_name"),
            cll.ExactMatchLevel("full_name").configure(tf_adjustment_column="full_name"),
            cll.ExactMatchLevel("name_sorted"),  # same words in another order
            cll.JaroWinklerLevel("full_name", 0.92),  # typos
            cll.ArraySubsetLevel("name_tokens"),  # a dropped or added middle name
            cll.ArrayIntersectLevel("name_tokens", 2),
            cll.ElseLevel(),
        ],
    )
    return [
        full_name,
        cl.NameComparison("given_name").configure(term_frequency_adjustments=True),
        cl.DateOfBirthComparison("dob", input_is_string=True, datetime_format="%Y-%m-%d"),
        cl.ExactMatch("sex"),
        cl.CustomComparison(
            output_column_name="locality",
            comparison_levels=[
                cll.NullLevel("province_code"),
                cll.ExactMatchLevel("commune_code"),
                cll.ExactMatchLevel("province_code"),
                cll.ElseLevel(),
            ],
        ),
        cl.DamerauLevenshteinAtThresholds("pid", [1, 2]),
        cl.ExactMatch("old_id"),
    ]


def _fold_names(names: pl.Series) -> pl.Series:
    """ASCII, lower case, single spaces (unidecode on the distinct values)."""
    distinct = names.unique().to_list()
    folded = {n: " ".join(unidecode(n).lower().split()) for n in distinct}
    return names.replace_strict(folded, return_dtype=pl.String)


def _names(frame: pl.DataFrame) -> pl.DataFrame:
    """full_name (folded), its words (as given and sorted), family and given name; '' → null."""
    words = pl.col("full_name").str.split(" ")
    return frame.with_columns(full_name=_fold_names(frame["full_name"])).with_columns(
        name_tokens=pl.when(pl.col("full_name") != "").then(words),
        name_sorted=words.list.sort().list.join(" "),
        family_name=words.list.first(),
        given_name=pl.when(words.list.len() > 1).then(words.list.last()),
    ).with_columns(pl.col("full_name", "name_sorted", "family_name", "given_name")
                   .replace("", None))


DOB_SQL = """
    coalesce(
        try_strptime(trim({c}), ['%d/%m/%Y', '%d-%m-%Y', '%Y-%m-%d', '%m/%d/%Y'])::date,
        try_strptime(trim({c}), '%Y-%m')::date,
        case when regexp_full_match(trim({c}), '(00/00/)?[0-9]{{4}}')
             then make_date(right(trim({c}), 4)::int, 1, 1) end
    )::varchar
"""


def _to_duckdb(con: duckdb.DuckDBPyConnection, frame: pl.DataFrame,
               dob: str, pid: str, old_id: str) -> duckdb.DuckDBPyRelation:
    """The prepared relation: uid, name columns, dob, birth_year, sex, locality, pid, old_id."""
    rel = con.from_arrow(frame.to_arrow())
    sex = "strip_accents(lower(trim(sex)))" if "sex" in frame.columns else "NULL"
    commune = "nullif(trim(commune_code), '')" if "commune_code" in frame.columns else "NULL"
    return rel.project(f"""
        uid, full_name, name_tokens, name_sorted, family_name, given_name,
        {DOB_SQL.format(c=dob)} as dob,
        year(({DOB_SQL.format(c=dob)})::date) as birth_year,
        case when {sex} in ('nam', 'm') then 'M' when {sex} in ('nu', 'f') then 'F' end as sex,
        nullif(trim(province_code), '') as province_code,
        {commune} as commune_code,
        nullif({pid}, '') as pid,
        nullif({old_id}, '') as old_id
    """)


def prepare_registry(con: duckdb.DuckDBPyConnection, registry: pl.DataFrame
                     ) -> duckdb.DuckDBPyRelation:
    """The registry in the comparison columns, in `con`."""
    frame = _names(registry.rename({"person_id": "uid"}))
    return _to_duckdb(con, frame, dob="date_of_birth", pid="uid", old_id="trim(old_id_number)")


def prepare_source(con: duckdb.DuckDBPyConnection, source: pl.DataFrame, kind: str
                   ) -> duckdb.DuckDBPyRelation:
    """A source extract in the comparison columns, in `con`."""
    digits = "regexp_replace(id_number, '[^0-9]', '', 'g')"
    key = f"regexp_replace({KEY_COLUMN[kind]}, '[^0-9]', '', 'g')"
    frame = _names(source.rename({"record_id": "uid"}))
    pid = (f"coalesce(case when length({key}) = 12 and length({KEY_COLUMN[kind]}) = 12 "
           f"then {key} end, case when length({digits}) in (11, 12) then {digits} end)")
    old_id = f"case when length({digits}) = 9 then {digits} end"
    return _to_duckdb(con, frame, dob="date_of_birth", pid=pid, old_id=old_id)


def link_source(registry: pl.DataFrame, source: pl.DataFrame, kind: str,
                threshold: float = THRESHOLD) -> dict[str, str]:
    """Train a model for one source against the registry; record_id → person_id."""
    con = duckdb.connect()
    try:
        db_api = DuckDBAPI(connection=con)
        tables = [
            db_api.register(prepare_registry(con, registry), dataset_display_name="registry"),
            db_api.register(prepare_source(con, source, kind), dataset_display_name="source"),
        ]
        settings = SettingsCreator(
            link_type="link_only",
            unique_id_column_name="uid",
            blocking_rules_to_generate_predictions=BLOCKING_RULES,
            comparisons=_comparisons(),
        )
        linker = Linker(tables, settings, log_level=logging.ERROR)
        linker.training.estimate_probability_two_random_records_match(
            [block_on("pid", "dob"), block_on("full_name", "dob", "commune_code")], recall=0.8)
        linker.training.estimate_u_using_random_sampling(max_pairs=U_MAX_PAIRS, seed=1)
        for rule in (block_on("dob"), block_on("family_name", "given_name", "province_code")):
            linker.training.estimate_parameters_using_expectation_maximisation(
                rule, estimate_without_term_frequencies=True)
        predictions = linker.inference.predict(threshold_match_probability=threshold,
                                               warning_mode="never")
        # Either table may be on the left of a pair: put the source record first.
        best = con.execute(f"""
            select record_id, person_id from (
                select case when source_dataset_l = 'source' then uid_l else uid_r end
                           as record_id,
                       case when source_dataset_l = 'source' then uid_r else uid_l end
                           as person_id,
                       match_weight
                from {predictions.physical_name})
            qualify row_number() over (
                partition by record_id order by match_weight desc, person_id) = 1
        """).fetchall()
    finally:
        con.close()
    return dict(best)


def link_world(registry: pl.DataFrame, sources: Mapping[str, pl.DataFrame],
               threshold: float = THRESHOLD) -> dict[tuple[str, str], str]:
    """Link every source to the registry; (source, record_id) → person_id."""
    links: dict[tuple[str, str], str] = {}
    for kind, frame in sources.items():
        for record_id, person_id in link_source(registry, frame, kind, threshold).items():
            links[kind, record_id] = person_id
    return links
