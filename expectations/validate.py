"""Running a suite on a loaded dataset and turning its result into rows.

Great Expectations validates pandas frames (DuckDB is not a supported
dialect, see docs/pins.md); the prepared polars frame crosses over through
Arrow with only the columns the suite reads.
"""

import logging
import os
import re
from collections.abc import Sequence
from dataclasses import dataclass
from importlib.resources import files
from pathlib import Path
from typing import Any

import polars as pl

from expectations.prepare import prepare_for_validation
from expectations.suites import build_suite, checks_for, columns_used
from popdq.contract import dataset

RESULT_SCHEMA: dict[str, pl.DataType] = {
    "expectation": pl.String(), "column_name": pl.String(), "field": pl.String(),
    "kind": pl.String(), "success": pl.Boolean(), "element_count": pl.Int64(),
    "unexpected_count": pl.Int64(),
}
"""A row per expectation: what it checked (the prepared column, the contract field)."""
FAILURE_SCHEMA: dict[str, pl.DataType] = {
    "record_key": pl.String(), "kind": pl.String(), "field": pl.String(),
    "expectation": pl.String(), "reason": pl.String(),
}
"""A row per failing record: the kind and field it raises, and why."""

_PLAIN_REASONS = {
    "expect_column_values_to_not_be_null": "empty",
    "expect_column_values_to_be_unique": "not unique",
    "expect_column_values_to_match_regex": "wrong format",
    "expect_column_values_to_be_in_set": "not an allowed value",
}


@dataclass(frozen=True)
class Validation:
    """One dataset's validation: a row per expectation, a row per failing record."""

    kind: str
    results: pl.DataFrame
    failures: pl.DataFrame

    @property
    def success(self) -> bool:
        return bool(self.results["success"].all())


def validate_dataset(kind: str, rows: pl.DataFrame) -> Validation:
    """Validate the current rows of one dataset with its suite."""
    prepared = prepare_for_validation(kind, rows).select(columns_used(kind))
    context = _context()
    batch = (
        context.data_sources.add_pandas("popdq")
        .add_dataframe_asset(name=kind)
        .add_batch_definition_whole_dataframe("current")
        .get_batch(batch_parameters={"dataframe": prepared.to_pandas()})
    )
    key = dataset(kind).key
    outcome = batch.validate(
        context.suites.add(build_suite(kind)),
        result_format={"result_format": "COMPLETE", "unexpected_index_column_names": [key],
                       "return_unexpected_index_query": False},
    )
    results: list[dict[str, Any]] = []
    failures: list[dict[str, Any]] = []
    checks = checks_for(kind)
    for result in outcome.results:
        config = result.expectation_config
        check = checks[config.meta["check"]]  # GX may reorder results: meta says which
        detail = result.result
        results.append({
            "expectation": config.type, "column_name": check.column, "field": check.field,
            "kind": check.kind, "success": bool(result.success),
            "element_count": detail.get("element_count", 0),
            "unexpected_count": detail.get("unexpected_count", 0),
        })
        if check.kind is None:
            continue
        derived = check.column != check.field
        for failing in detail.get("unexpected_index_list") or []:
            value = failing.get(check.column)
            reason = str(value) if derived else _PLAIN_REASONS.get(config.type, config.type)
            failures.append({"record_key": failing[key], "kind": check.kind,
                             "field": check.field, "expectation": config.type,
                             "reason": reason})
    return Validation(
        kind,
        pl.DataFrame(results, schema=RESULT_SCHEMA).sort("field", "expectation", "column_name"),
        pl.DataFrame(failures, schema=FAILURE_SCHEMA).sort(list(FAILURE_SCHEMA)),
    )


def combine_validations(kind: str, parts: Sequence[Validation]) -> Validation:
    """One dataset validated in partitions of its key's hash, as one validation of every row:
    counts add up, and an expectation holds when it holds in every partition (rows that
    share a key share a partition, so uniqueness is still judged whole)."""
    if len(parts) == 1:
        return parts[0]
    results = (pl.concat([part.results for part in parts])
               .group_by("expectation", "column_name", "field", "kind", maintain_order=True)
               .agg(pl.col("success").all(), pl.col("element_count", "unexpected_count").sum())
               .select(list(RESULT_SCHEMA)).sort("field", "expectation", "column_name"))
    failures = pl.concat([part.failures for part in parts]).sort(list(FAILURE_SCHEMA))
    return Validation(kind, results, failures)


def build_data_docs(frames: dict[str, pl.DataFrame], out_dir: Path) -> Path:
    """Render Great Expectations Data Docs for the given datasets; returns index.html.

    Docs show counts only (no unexpected values): they are meant to be shared,
    and the failing values are personal data. They work offline and fetch nothing from
    another host (`bundle_assets`).
    """
    import great_expectations as gx

    _quiet_gx()
    context = gx.get_context(mode="file", project_root_dir=str(out_dir))
    context.variables.progress_bars = _no_progress_bars()
    for name, site in (context.variables.data_docs_sites or {}).items():
        if site.get("show_how_to_buttons", True):  # GX's tutorials footer and walkthrough
            quieter: Any = {**site, "show_how_to_buttons": False}
            context.update_data_docs_site(name, quieter)
    source = context.data_sources.add_or_update_pandas("popdq")
    for kind, rows in frames.items():
        prepared = prepare_for_validation(kind, rows).select(columns_used(kind))
        asset = source.add_dataframe_asset(name=kind)
        definition = asset.add_batch_definition_whole_dataframe("current")
        suite = context.suites.add_or_update(build_suite(kind))
        validation = context.validation_definitions.add_or_update(
            gx.ValidationDefinition(name=f"popdq.{kind}", data=definition, suite=suite)
        )
        checkpoint = context.checkpoints.add_or_update(
            gx.Checkpoint(
                name=f"popdq.{kind}",
                validation_definitions=[validation],
                actions=[gx.checkpoint.UpdateDataDocsAction(name="docs")],
                result_format={"result_format": "SUMMARY", "partial_unexpected_count": 0},
            )
        )
        checkpoint.run(batch_parameters={"dataframe": prepared.to_pandas()})
    sites = context.get_docs_sites_urls()
    index = Path(str(sites[0]["site_url"]).removeprefix("file://"))
    bundle_assets(index.parent)
    return index


LOCAL_ASSETS = ("docs.css", "docs.js")
"""popdq's stand-ins (expectations/static/) for the styles and scripts GX loads from CDNs."""
ASSETS_DIR = "static/popdq"
"""Where they go in a Data Docs site, beside GX's own static/ (images, fonts, styles)."""

_EXTERNAL_TAG = re.compile(
    r"""<link\b[^>]*\bhref\s*=\s*["']?https?://[^>]*>"""
    r"""|<script\b[^>]*\bsrc\s*=\s*["']?https?://[^>]*>\s*</script\s*>""",
    re.IGNORECASE,
)
"""A stylesheet, icon or script a page loads from another host."""
_GX_WEB_ASSET = re.compile(
    r"""https?://great-expectations-web-assets\.[\w.-]+/([\w.-]+)(?:\?[^"')\s]*)?""",
    re.IGNORECASE,
)
"""GX's logos on its S3 bucket; the logo URL carries the data context's id and a timestamp."""
_EXTERNAL_SRC = re.compile(r"""(\bsrc\s*=\s*)(["'])https?://[^"']*\2""", re.IGNORECASE)
_EXTERNAL_URL = re.compile(r"""url\(\s*(["']?)https?://[^)]*\)""", re.IGNORECASE)
_HEAD = re.compile(r"<head\b[^>]*>", re.IGNORECASE)
_SITE_STATIC = re.compile(r"""(\b(?:href|src)\s*=\s*["'])(?:\./|(?:\.\./)+)static/""",
                          re.IGNORECASE)
"""A page's reference to the site's static/ folder (GX counts one ../ short for the favicon
of a validation page)."""


def external_assets(page: str) -> list[str]:
    """What an HTML page or stylesheet would fetch from another host: stylesheets and
    scripts, image and frame sources, CSS url()s (plain links are not fetched)."""
    return [*_EXTERNAL_TAG.findall(page), *(m.group(0) for m in _EXTERNAL_SRC.finditer(page)),
            *(m.group(0) for m in _EXTERNAL_URL.finditer(page))]


def bundle_assets(site: Path) -> None:
    """Make a Data Docs site work offline and call no other host: popdq's local stylesheet
    and script beside the pages (GX's CDN assets are not in the package), GX's logos from the
    site's own static/images (which GX copies from the package), and every page and
    stylesheet rewritten to use them. Rewriting an already rewritten site changes nothing."""
    assets = site / ASSETS_DIR
    assets.mkdir(parents=True, exist_ok=True)
    for name in LOCAL_ASSETS:
        content = files("expectations").joinpath("static", name).read_bytes()
        target = assets / name
        if not target.is_file() or target.read_bytes() != content:
            target.write_bytes(content)
    for path in sorted([*site.rglob("*.html"), *site.rglob("*.css")]):
        if assets in path.parents:
            continue
        text = path.read_text(encoding="utf-8")
        rewritten = _localise(text, site, path)
        if rewritten != text:
            path.write_text(rewritten, encoding="utf-8")


def _localise(text: str, site: Path, path: Path) -> str:
    up = os.path.relpath(site, path.parent).replace(os.sep, "/")
    images = site / "static" / "images"

    def image(match: re.Match[str]) -> str:
        name = match.group(1)  # the dark logo is not in the package: the one logo that is
        return f"{up}/static/images/{name if (images / name).is_file() else 'logo-long.png'}"

    text = _GX_WEB_ASSET.sub(image, text)
    if path.suffix == ".html":
        text = _EXTERNAL_TAG.sub("", text)
        text = _SITE_STATIC.sub(lambda ref: f"{ref.group(1)}{up}/static/", text)
        local = f"{up}/{ASSETS_DIR}"
        if f'href="{local}/docs.css"' not in text:
            text = _HEAD.sub(lambda head: f'{head.group(0)}\n    <link rel="stylesheet" '
                             f'href="{local}/docs.css">\n    <script src="{local}/docs.js">'
                             "</script>", text, count=1)
    text = _EXTERNAL_SRC.sub(r"\1\2\2", text)  # anything else outside: not fetched
    return _EXTERNAL_URL.sub("none", text)


def _context() -> Any:
    import great_expectations as gx

    _quiet_gx()
    context = gx.get_context(mode="ephemeral")
    context.variables.progress_bars = _no_progress_bars()
    return context


def _no_progress_bars() -> Any:
    from great_expectations.data_context.types.base import ProgressBarsConfig

    return ProgressBarsConfig(globally=False, metric_calculations=False)


def _quiet_gx() -> None:
    """No usage statistics leave the machine, and no chatter reaches the steward's terminal."""
    os.environ.setdefault("GX_ANALYTICS_ENABLED", "false")
    for name in [*logging.root.manager.loggerDict, "great_expectations"]:
        if name.startswith("great_expectations"):  # some GX modules pin their own level
            logging.getLogger(name).setLevel(logging.WARNING)
