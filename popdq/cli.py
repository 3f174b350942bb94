"""The `popdq` command line (contract §2). Thin: parse options, call a verb, print.

Every failure a user can cause ends as one line on stderr and a non-zero exit;
set POPDQ_DEBUG=1 to see the traceback of an unexpected error.
"""

import atexit
import datetime as dt
import getpass
import os
import sys
from collections import defaultdict
from pathlib import Path
from typing import Any

import click
import polars as pl
from click.core import ParameterSource

from popdq import progress
from popdq.errors import PopdqError
from popdq.settings import DEFAULT_WAREHOUSE, WAREHOUSE_ENV
from warehouse.contract import DATASETS, DISCREPANCY_KINDS, SOURCE_KINDS
from warehouse.queue import STATUSES as QUEUE_STATUSES


@atexit.register  # registered first, so it runs last, after Prefect has stopped its server
def _quiet_interpreter_teardown() -> None:
    """After a Prefect run, duckdb's nanobind bindings print a screen of benign
    `nanobind: leaked … DuckDBPyType` lines while the interpreter tears down
    (wjakob/nanobind#69 explains why they are harmless). Nothing of ours is written
    after this point, so stderr is closed to keep the one-line-error promise."""
    sys.stderr.flush()
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, 2)


class _OneLineErrors(click.Group):
    """Turn every error into `popdq: <reason>` on one line."""

    def main(self, *args: Any, **kwargs: Any) -> Any:
        kwargs["standalone_mode"] = False
        try:
            return super().main(*args, **kwargs)
        except click.exceptions.Exit as exc:
            sys.exit(exc.exit_code)
        except click.Abort:
            click.echo("popdq: aborted", err=True)
            sys.exit(1)
        except KeyboardInterrupt:
            click.echo("popdq: interrupted", err=True)
            sys.exit(130)
        except click.ClickException as exc:
            click.echo(f"popdq: {exc.format_message()}", err=True)
            sys.exit(exc.exit_code)
        except PopdqError as exc:
            click.echo(f"popdq: {exc}", err=True)
            sys.exit(1)
        except Exception as exc:
            if os.environ.get("POPDQ_DEBUG"):
                raise
            click.echo(
                f"popdq: internal error ({type(exc).__name__}); "
                "rerun with POPDQ_DEBUG=1 for details",
                err=True,
            )
            sys.exit(70)


def _remember_warehouse(ctx: click.Context, param: click.Parameter, value: Path | None) -> None:
    if value is not None:
        ctx.meta["popdq.warehouse"] = value


def _choose_warehouse(ctx: click.Context, param: click.Parameter, value: Path) -> Path:
    """`popdq --warehouse W load …` and `popdq load … --warehouse W` both work; the
    command's own option wins, then the group's, then $POPDQ_WAREHOUSE, then the default."""
    given_here = ctx.get_parameter_source("warehouse") == ParameterSource.COMMANDLINE
    return value if given_here else ctx.meta.get("popdq.warehouse", value)


warehouse_option = click.option(
    "--warehouse",
    type=click.Path(dir_okay=False, path_type=Path),
    envvar=WAREHOUSE_ENV,
    default=DEFAULT_WAREHOUSE,
    show_default=f"${WAREHOUSE_ENV}, else {DEFAULT_WAREHOUSE}",
    callback=_choose_warehouse,
    help="The DuckDB warehouse file.",
)


@click.group(cls=_OneLineErrors, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="popdq")
@click.option("--warehouse", type=click.Path(dir_okay=False, path_type=Path), default=None,
              expose_value=False, is_eager=True, callback=_remember_warehouse,
              help="The DuckDB warehouse file, for any command.")
def app() -> None:
    """popdq: data quality for the population registry and its source extracts."""


@app.command()
@click.option("--persons", type=click.IntRange(min=1), required=True, help="Registry size.")
@click.option("--seed", type=int, required=True, help="Same seed, same bytes.")
@click.option("--out", type=click.Path(file_okay=False, path_type=Path), required=True)
@warehouse_option
def synth(persons: int, seed: int, out: Path, warehouse: Path) -> None:
    """Write a synthetic registry, the three sources and truth.csv (the warehouse is not
    touched: --warehouse is accepted, as by every command, and unused)."""
    _write_synthetic_world(persons, seed, out)


@app.command()
@click.argument("kind", type=click.Choice(list(DATASETS)), metavar="KIND")
@click.argument("file", type=click.Path(path_type=Path))
@click.option("--by", default=None, help="Who loads (default: the OS user).")
@warehouse_option
def load(kind: str, file: Path, by: str | None, warehouse: Path) -> None:
    """Load or replace the registry or one source extract."""
    _load(warehouse, kind, file, by or getpass.getuser())


@app.command()
@click.option("--locality", default=None, help="Only this province (2 digits) or commune (5).")
@click.option("--source", type=click.Choice(list(SOURCE_KINDS)), default=None)
@click.option("--as-of", "as_of", type=click.DateTime(["%Y-%m-%d"]), default=None,
              help="Run date, YYYY-MM-DD (default: today).")
@warehouse_option
def run(locality: str | None, source: str | None, as_of: dt.datetime | None,
        warehouse: Path) -> None:
    """The nightly flow: validate, normalise, match, report."""
    _run(warehouse, locality, source, as_of.date() if as_of else dt.date.today())


def _queue_filters(function: Any) -> Any:
    """The filters every queue command shares."""
    options = [
        click.option("--locality", default=None, help="Province or commune code."),
        click.option("--source", type=click.Choice(list(SOURCE_KINDS)), default=None),
        click.option("--kind", type=click.Choice(list(DISCREPANCY_KINDS)), default=None),
        click.option("--criterion", default=None,
                     type=click.Choice(sorted(set(DISCREPANCY_KINDS.values())))),
        click.option("--status", type=click.Choice(list(QUEUE_STATUSES)), default=None),
        click.option("--assignee", default=None),
        warehouse_option,
    ]
    for option in reversed(options):
        function = option(function)
    return function


@app.group()
def queue() -> None:
    """The cleaning queue: list, show, assign, resolve, reject, reopen items."""


@queue.command("list")
@_queue_filters
@click.option("--limit", type=click.IntRange(min=1), default=50, show_default=True)
def queue_list(limit: int, warehouse: Path, locality: str | None, **filters: str | None) -> None:
    """Items most urgent first (priority, then item id)."""
    from popdq.views import render_list
    from warehouse.db import open_warehouse
    from warehouse.queue import count_items, find_items

    _require_warehouse(warehouse)
    chosen = {k: v for k, v in filters.items() if v is not None}
    with open_warehouse(warehouse) as con:
        items = find_items(con, chosen, locality, limit=limit)
        total = count_items(con, chosen, locality)
    if items.is_empty():
        click.echo("no items")
        return
    click.echo(render_list(items))
    click.echo(f"{items.height:,} of {total:,} items shown")


@queue.command("show")
@click.argument("item_id", type=int)
@click.option("--unmask", is_flag=True, help="Show identifiers in full (audited).")
@click.option("--by", default=None, help="Who is looking (default: the OS user).")
@warehouse_option
def queue_show(item_id: int, unmask: bool, by: str | None, warehouse: Path) -> None:
    """One item: the source record beside the registry person, and why they were linked."""
    from popdq.views import render_item
    from warehouse.datasets import read_record
    from warehouse.db import open_warehouse
    from warehouse.findings import read_findings
    from warehouse.linkage import read_explanation
    from warehouse.queue import audit_trail, note_unmasked_view, read_item

    _require_warehouse(warehouse)
    with open_warehouse(warehouse) as con:
        item = read_item(con, item_id)
        source, record_id = str(item["source"]), str(item["record_id"])
        record = read_record(con, source, record_id)
        person_id = item["person_id"]
        person = read_record(con, "registry", str(person_id)) if person_id else {}
        explanation = read_explanation(con, source, record_id)
        flagged = set(read_findings(con, source).filter(
            pl.col("record_id") == record_id)["field"].to_list()) | {str(item["field"])}
        if unmask:
            note_unmasked_view(con, item_id, actor=by or getpass.getuser())
        audit = audit_trail(con, item_id)
    click.echo(render_item(item, record, person, explanation, audit, flagged, unmask=unmask))


def _queue_action(verb: str, needs_note: bool, *extra: Any) -> None:
    def with_extra(function: Any) -> Any:
        for option in extra:
            function = option(function)
        return function

    @queue.command(verb)
    @click.argument("item_ids", type=int, nargs=-1)
    @with_extra
    @click.option("--note", required=needs_note, help="Why (kept in the audit).")
    @click.option("--by", default=None, help="Who acts (default: the OS user).")
    @click.option("--yes", is_flag=True, help="Do not ask before acting on a filter.")
    @_queue_filters
    def command(item_ids: tuple[int, ...], note: str | None, by: str | None, yes: bool,
                warehouse: Path, locality: str | None, to: str | None = None,
                **filters: str | None) -> None:
        from warehouse.db import open_warehouse
        from warehouse.queue import act_on_items, find_items

        _require_warehouse(warehouse)
        chosen = {k: v for k, v in filters.items() if v is not None}
        if item_ids and (chosen or locality):
            raise click.UsageError("give item ids or filters, not both")
        if not item_ids and not (chosen or locality):
            raise click.UsageError("give item ids, or filters for a bulk action")
        with open_warehouse(warehouse) as con:
            ids = list(item_ids) or find_items(
                con, chosen, locality, actionable_by=verb)["item_id"].to_list()
            if not ids:
                click.echo("no items match")
                return
            if not item_ids and not yes:
                click.confirm(f"{verb} {len(ids):,} items?", abort=True, err=True)
            changed = act_on_items(con, ids, verb, actor=by or getpass.getuser(), note=note,
                                   assignee=to)
        click.echo(f"{verb}: {changed:,} item{'' if changed == 1 else 's'}")

    command.help = f"{verb.capitalize()} items by id, or every item a filter matches."


_queue_action("assign", False, click.option("--to", required=True,
                                            help="Reviewer or locality team."))
_queue_action("resolve", True)
_queue_action("reject", True)
_queue_action("reopen", True)


@app.command()
@click.option("--cron", default="0 2 * * *", show_default=True,
              help="When to run, as a cron expression (server time).")
@warehouse_option
def serve(cron: str, warehouse: Path) -> None:
    """Serve the nightly flow on a schedule through Prefect (Ctrl-C stops)."""
    from flows.schedule import serve_nightly

    _require_warehouse(warehouse)
    click.echo(f"serving the nightly flow on {warehouse} at '{cron}'; Ctrl-C stops")
    serve_nightly(warehouse, cron)


@app.command()
@click.option("--locality", default=None, help="Only this province or commune.")
@click.option("--out", type=click.Path(dir_okay=False, path_type=Path), required=True)
@warehouse_option
def report(locality: str | None, out: Path, warehouse: Path) -> None:
    """The reviewers' report (HTML) of the last successful run."""
    from popdq.report import write_report
    from warehouse.db import open_warehouse

    _require_warehouse(warehouse)
    with open_warehouse(warehouse) as con:
        write_report(con, out, locality)
    click.echo(f"report: {out}")


@app.group()
def export() -> None:
    """Write matches, discrepancies or the queue to CSV (Parquet for .parquet names)."""


def _export_command(name: str, doc: str) -> None:
    @export.command(name, help=doc)
    @click.option("--out", type=click.Path(dir_okay=False, path_type=Path), required=True)
    @click.option("--source", type=click.Choice(list(SOURCE_KINDS)), default=None)
    @warehouse_option
    def command(out: Path, source: str | None, warehouse: Path) -> None:
        from warehouse.db import open_warehouse
        from warehouse.exports import write_export
        from warehouse.findings import read_discrepancies
        from warehouse.linkage import read_matches
        from warehouse.queue import read_queue

        read = {"matches": read_matches, "discrepancies": read_discrepancies,
                "queue": read_queue}[name]
        _require_warehouse(warehouse)
        with open_warehouse(warehouse) as con:
            frame = read(con, source)
        if frame.is_empty() and name == "matches":
            raise PopdqError("no matches yet: run `popdq run` first")
        write_export(frame, out)
        click.echo(f"{frame.height:,} {name} rows written to {out}")


_export_command("matches", "One row per source record: source, record_id, person_id, score, "
                "decision.")
_export_command("discrepancies", "One row per finding (contract §3 columns).")
_export_command("queue", "The cleaning queue: every item with its status and assignee.")


@app.command()
@click.option("--docs", type=click.Path(file_okay=False, path_type=Path), default=None,
              help="Also build Great Expectations Data Docs (counts only) in this folder.")
@warehouse_option
def validate(docs: Path | None, warehouse: Path) -> None:
    """Validate the loaded datasets now and print what fails (stores nothing)."""
    from expectations import build_data_docs, validate_dataset
    from warehouse.datasets import dataset_versions, read_dataset
    from warehouse.db import open_warehouse

    _require_warehouse(warehouse)
    with open_warehouse(warehouse) as con:
        kinds = [kind for kind, load_id in dataset_versions(con).items() if load_id is not None]
        frames = {kind: read_dataset(con, kind) for kind in kinds}
    if not frames:
        raise PopdqError(f"{warehouse}: nothing loaded yet")
    for kind, rows in frames.items():
        with progress.step(f"Validating {kind}"):
            outcome = validate_dataset(kind, rows)
        failed = outcome.results.filter(~outcome.results["success"])
        click.echo(f"{kind}: {rows.height:,} rows, {len(outcome.results)} expectations, "
                   f"{len(failed)} failed")
        for row in failed.iter_rows(named=True):
            click.echo(f"  {row['field']}: {row['unexpected_count']:,} rows "
                       f"({row['kind'] or 'integrity'}, {row['expectation']})")
    if docs:
        with progress.step("Building Data Docs"):
            index = build_data_docs(frames, docs)
        click.echo(f"data docs: {index}")


@app.command()
@click.option("--persons", type=click.IntRange(min=1), default=100_000, show_default=True)
@click.option("--seed", type=int, default=1, show_default=True)
@click.option("--out", type=click.Path(file_okay=False, path_type=Path),
              default=Path("popdq-demo"), show_default=True, help="Where the world is written.")
@warehouse_option
def demo(persons: int, seed: int, out: Path, warehouse: Path) -> None:
    """Build a synthetic world, load it into a fresh warehouse and run the nightly flow."""
    from warehouse.demo import reset_demo_warehouse

    files = _write_synthetic_world(persons, seed, out)
    reset_demo_warehouse(warehouse)
    for kind in DATASETS:
        _load(warehouse, kind, files[kind], "popdq-demo")
    run_id = _run(warehouse, None, None, dt.date.today())
    click.echo(f"demo world: {out}/ (truth.csv says what was injected)")
    click.echo(f"warehouse:  {warehouse} (run {run_id})")


def _write_synthetic_world(persons: int, seed: int, out: Path) -> dict[str, Path]:
    import synth

    with progress.step(f"Synthesising {persons:,} persons"):
        files = synth.write_world(synth.generate_world(persons, seed), out)
    for name, path in files.items():
        click.echo(f"{name}: {path}")
    return files


def _load(warehouse: Path, kind: str, file: Path, by: str) -> None:
    from warehouse.datasets import load_file
    from warehouse.db import open_warehouse

    with progress.step(f"Loading {kind} from {file.name}"), open_warehouse(warehouse) as con:
        summary, extract = load_file(con, kind, file, loaded_by=by)
    click.echo(
        f"{kind}: {summary.rows_read:,} rows read = {summary.rows_loaded:,} loaded"
        f" + {summary.rows_quarantined:,} quarantined ({file.name}, load {summary.load_id})"
    )
    lines: dict[str, list[int]] = defaultdict(list)
    for q in extract.quarantined:
        lines[q.reason.split(" (")[0]].append(q.line_number)
    for reason, where in sorted(lines.items(), key=lambda rl: (-len(rl[1]), rl[0])):
        shown = ", ".join(map(str, where[:5])) + (", …" if len(where) > 5 else "")
        click.echo(f"  quarantined {len(where):,}: {reason} (line{'s' * (len(where) > 1)}"
                   f" {shown})")


def _run(warehouse: Path, locality: str | None, source: str | None, as_of: dt.date) -> int:
    from flows.nightly import nightly

    _require_warehouse(warehouse)
    with progress.step("Running the nightly flow"):
        outcome = nightly(warehouse, as_of, locality, source)
    click.echo(f"run {outcome.run_id} succeeded (as of {as_of.isoformat()});"
               f" queue: {outcome.queue}")
    click.echo(f"report: {outcome.report}")
    return outcome.run_id


def _require_warehouse(warehouse: Path) -> None:
    """Commands that read results must not create an empty warehouse by accident."""
    if not warehouse.exists():
        raise PopdqError(f"{warehouse}: no warehouse here (load data first, or pass --warehouse)")
