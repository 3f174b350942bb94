"""The `popdq` command line (contract §2): click only — parse, call one use case, print.

The use cases are in `popdq.commands`, the shared options and the one-line
errors in `popdq.options`. Set POPDQ_DEBUG=1 to see the traceback of an
unexpected error.
"""

import datetime as dt
import getpass
import sys
from pathlib import Path
from typing import Any

import click

from flows.executors import EXECUTORS
from flows.schedule import DEFAULT_HOST, DEFAULT_PORT, DEFAULT_TIMEZONE
from popdq import commands, progress
from popdq.accounts import ROLES
from popdq.contract import DATASETS, SOURCE_KINDS
from popdq.errors import PopdqError
from popdq.localities import Locality
from popdq.options import (
    IsoDate,
    ItemId,
    LocalityCode,
    OneLineErrors,
    by_option,
    force_option,
    is_stdout,
    locality_option,
    queue_filters,
    remember_warehouse,
    say,
    source_option,
    warehouse_option,
    write_to_stdout,
)
from popdq.views import (
    render_estimates,
    render_item,
    render_list,
    render_load,
    render_users,
)
from warehouse.datasets import MAX_SHRINK
from warehouse.encodings import ENCODINGS


@click.group(cls=OneLineErrors, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="popdq")
@click.option("--warehouse", type=click.Path(dir_okay=False, path_type=Path), default=None,
              expose_value=False, is_eager=True, callback=remember_warehouse,
              help="The DuckDB warehouse file, for any command.")
def app() -> None:
    """popdq: data quality for the population registry and its source extracts."""


@app.command()
@click.option("--persons", type=click.IntRange(min=1), required=True, help="Registry size.")
@click.option("--seed", type=int, required=True, help="Same seed, same bytes.")
@click.option("--out", type=click.Path(file_okay=False, path_type=Path), required=True)
@force_option
@warehouse_option
def synth(persons: int, seed: int, out: Path, force: bool, warehouse: Path) -> None:
    """Write a synthetic registry, the three sources and truth.csv (the warehouse is not
    touched: --warehouse is accepted, as by every command, and unused)."""
    with progress.step(f"Synthesising {persons:,} persons"):
        files = commands.synthesise(persons, seed, out, force=force)
    say("\n".join(f"{name}: {path}" for name, path in files.items()))


@app.command()
@click.argument("kind", type=click.Choice(list(DATASETS)), metavar="KIND")
@click.argument("file", type=click.Path(path_type=Path))
@by_option
@click.option("--allow-shrink", is_flag=True, help="Load even if the dataset would be left "
              f"empty or lose more than {MAX_SHRINK:.0%} of its rows.")
@click.option("--encoding", type=click.Choice(list(ENCODINGS)), default=None,
              help="A CSV file's legacy encoding: converted to UTF-8 first.")
@warehouse_option
def load(kind: str, file: Path, by: str | None, allow_shrink: bool, encoding: str | None,
         warehouse: Path) -> None:
    """Load or replace the registry or one source extract."""
    with progress.step(f"Loading {kind} from {file.name}"):
        summary = commands.load(warehouse, kind, file, by or getpass.getuser(),
                                allow_shrink=allow_shrink, encoding=encoding)
    click.echo(render_load(summary))


@app.command()
@locality_option
@source_option
@click.option("--as-of", "as_of", type=IsoDate(), default=None,
              help="Run date, YYYY-MM-DD (default: today).")
@click.option("--full", is_flag=True, help="Relink every record, ignoring kept results.")
@click.option("--retrain", is_flag=True, help="Estimate a new model version first.")
@click.option("--executor", type=click.Choice(EXECUTORS), default="local", show_default=True,
              help="Where the partition tasks run: this process's threads, or a Dask cluster.")
@click.option("--address", default=None, metavar="ADDR",
              help="The Dask scheduler (tcp://HOST:PORT); without it, a local cluster.")
@warehouse_option
def run(locality: Locality | None, source: str | None, as_of: dt.date | None, full: bool,
        retrain: bool, executor: str, address: str | None, warehouse: Path) -> None:
    """The nightly flow: validate, normalise, match, report (redoing only what changed)."""
    day = as_of or dt.date.today()
    with progress.step("Running the nightly flow"):
        outcome = commands.run(warehouse, locality, source, day, full=full, retrain=retrain,
                               executor=executor, address=address)
    say("".join(f"warning: {w}\n" for w in outcome.warnings)
        + f"run {outcome.run_id} succeeded (as of {day.isoformat()}); "
        f"queue: {outcome.queue}\nreport: {outcome.report}")


@app.group()
def queue() -> None:
    """The cleaning queue: list, show, assign, resolve, reject, reopen items."""


@queue.command("list")
@queue_filters
@click.option("--limit", type=click.IntRange(min=1), default=50, show_default=True)
def queue_list(limit: int, warehouse: Path, locality: Locality | None,
               **filters: str | None) -> None:
    """Items most urgent first (priority, then item id)."""
    chosen = {k: v for k, v in filters.items() if v is not None}
    items, total = commands.list_items(warehouse, chosen, locality, limit)
    click.echo(f"{render_list(items)}\n{items.height:,} of {total:,} items shown"
               if not items.is_empty() else "no items")


@queue.command("show")
@click.argument("item_id", type=ItemId())
@click.option("--unmask", is_flag=True, help="Show identifiers in full (audited).")
@by_option
@warehouse_option
def queue_show(item_id: int, unmask: bool, by: str | None, warehouse: Path) -> None:
    """One item: the source record beside the registry person, and why they were linked."""
    view = commands.show_item(warehouse, item_id, unmask=unmask, by=by or getpass.getuser())
    click.echo(render_item(view, unmask=unmask))


def _queue_action(verb: str, needs_note: bool, *extra: Any) -> None:
    @queue.command(verb, help=f"{verb.capitalize()} items by id, or every item a filter matches.")
    @click.argument("item_ids", type=ItemId(), nargs=-1)
    @click.option("--note", required=needs_note, help="Why (kept in the audit).")
    @by_option
    @click.option("--yes", is_flag=True, help="Do not ask before acting on a filter.")
    @queue_filters
    def command(item_ids: tuple[int, ...], note: str | None, by: str | None, yes: bool,
                warehouse: Path, locality: Locality | None, to: str | None = None,
                **filters: str | None) -> None:
        chosen = {k: v for k, v in filters.items() if v is not None}
        try:
            ids = commands.items_to_act_on(warehouse, verb, list(item_ids), chosen, locality)
        except PopdqError as exc:
            raise click.UsageError(str(exc)) from None
        if not ids:
            click.echo("no items match")
            return
        if not item_ids and not yes:
            click.confirm(f"{verb} {len(ids):,} items?", abort=True, err=True)
        changed = commands.act(warehouse, verb, ids, by=by or getpass.getuser(), note=note,
                               assignee=to)
        click.echo(f"{verb}: {changed:,} item{'' if changed == 1 else 's'}")

    for option in extra:
        command = option(command)


_queue_action("assign", False, click.option("--to", required=True,
                                            help="Reviewer or locality team."))
_queue_action("resolve", True)
_queue_action("reject", True)
_queue_action("reopen", True)


@app.group()
def link() -> None:
    """A reviewer's decision on a record's link, honoured by every later run (audited)."""


def _link_command(verdict: str, doc: str, *arguments: Any) -> None:
    @link.command(verdict, help=doc)
    @click.argument("source", type=click.Choice(SOURCE_KINDS))
    @click.argument("record_id")
    @click.option("--note", default=None, help="Why (kept with the decision).")
    @by_option
    @warehouse_option
    def command(source: str, record_id: str, note: str | None, by: str | None,
                warehouse: Path, person_id: str | None = None) -> None:
        decided = commands.decide_link(warehouse, verdict, source, record_id,
                                       by=by or getpass.getuser(), note=note,
                                       person_id=person_id)
        say(f"decision {decided.decision_id}: {verdict} on {source} {record_id}"
            f"{'; its review item resolved' if decided.resolved_items else ''};"
            " the next run links it so")

    for argument in arguments:
        command.params.insert(2, argument)


_link_command("confirm", "The record is the person it is linked or proposed to.")
_link_command("reject", "The record is not the person it is linked or proposed to.")
_link_command("set", "The record is this registry person.",
              click.Argument(["person_id"]))


@app.group()
def users() -> None:
    """Workbench accounts: add, list, disable, reset-password (audited)."""


def _read_password() -> str:
    """One line from standard input (`--password-stdin`), never an argument: arguments are
    visible to every user of the machine (ps) and kept in shell histories."""
    line = sys.stdin.readline()
    return line.removesuffix("\n").removesuffix("\r")


password_stdin = click.option("--password-stdin", is_flag=True, required=True,
                              help="Read the password from the first line of standard input.")


@users.command("add")
@click.argument("name")
@click.option("--role", type=click.Choice(ROLES), required=True)
@click.option("--locality", "localities", type=LocalityCode(), multiple=True,
              help="A province or commune whose items the user works (repeat for more;"
              " none: all, for a steward or an auditor).")
@password_stdin
@by_option
@warehouse_option
def users_add(name: str, role: str, localities: tuple[Locality, ...], password_stdin: bool,
              by: str | None, warehouse: Path) -> None:
    """Add a workbench account."""
    commands.add_user(warehouse, name, role, list(localities), _read_password(),
                      by=by or getpass.getuser())
    say(f"user {name} added ({role}; "
        f"{' '.join(map(str, localities)) if localities else 'all localities'})")


@users.command("list")
@warehouse_option
def users_list(warehouse: Path) -> None:
    """Every account: role, localities, whether disabled."""
    found = commands.list_users(warehouse)
    say(render_users(found) if not found.is_empty() else "no users")


@users.command("disable")
@click.argument("name")
@by_option
@warehouse_option
def users_disable(name: str, by: str | None, warehouse: Path) -> None:
    """Disable an account: it signs in no more, and its sessions stop working."""
    commands.disable_user(warehouse, name, by=by or getpass.getuser())
    say(f"user {name} disabled")


@users.command("reset-password")
@click.argument("name")
@password_stdin
@by_option
@warehouse_option
def users_reset_password(name: str, password_stdin: bool, by: str | None,
                         warehouse: Path) -> None:
    """Give an account a new password; its open sessions stop working."""
    commands.reset_password(warehouse, name, _read_password(), by=by or getpass.getuser())
    say(f"password of {name} reset")


@app.command()
@click.option("--host", default="127.0.0.1", show_default=True,
              help="Where to listen (another address than localhost is reachable by others).")
@click.option("--port", type=click.IntRange(1, 65535), default=8800, show_default=True)
@click.option("--https-only", is_flag=True,
              help="Session cookies only over HTTPS (behind a TLS proxy).")
@warehouse_option
def web(host: str, port: int, https_only: bool, warehouse: Path) -> None:
    """The reviewers' workbench in the browser (Ctrl-C stops)."""
    from web.server import serve_workbench

    serve_workbench(warehouse, host, port, https_only=https_only,
                    started=lambda url: say(f"workbench: {url} (warehouse {warehouse});"
                                            " Ctrl-C stops"))


@app.command()
@warehouse_option
def evaluate(warehouse: Path) -> None:
    """Precision and recall, estimated from reviewers' decisions and by the model itself."""
    say(render_estimates(commands.evaluate(warehouse)))


@app.command()
@click.option("--cron", default="0 2 * * *", show_default=True,
              help="When to run, as a cron expression (in --timezone).")
@click.option("--timezone", default=DEFAULT_TIMEZONE, show_default=True)
@click.option("--host", default=DEFAULT_HOST, show_default=True, help="Where the UI listens.")
@click.option("--port", type=click.IntRange(1, 65535), default=DEFAULT_PORT, show_default=True)
@warehouse_option
def serve(cron: str, timezone: str, host: str, port: int, warehouse: Path) -> None:
    """Serve the nightly flow on a schedule through Prefect, with its UI (Ctrl-C stops)."""
    commands.serve(warehouse, cron, timezone, host, port, started=lambda ui: say(
        f"Prefect UI: {ui}\nserving the nightly flow on {warehouse} at '{cron}' ({timezone});"
        " Ctrl-C stops"))


@app.command()
@locality_option
@click.option("--lang", type=click.Choice(["vi", "en"]), default="vi", show_default=True,
              help="The report's language.")
@click.option("--unmasked", is_flag=True,
              help="Identifiers and names in full, for the operator's own use (audited).")
@click.option("--out", type=click.Path(dir_okay=False, path_type=Path), required=True)
@by_option
@warehouse_option
def report(locality: Locality | None, lang: str, unmasked: bool, out: Path, by: str | None,
           warehouse: Path) -> None:
    """The reviewers' report (HTML) of the last run: masked unless --unmasked."""
    reader = (by or getpass.getuser()) if unmasked else None
    written = commands.write_report(warehouse, locality, out, lang=lang, unmasked_by=reader)
    say(f"report: {written}")


@app.group()
def export() -> None:
    """Write matches, discrepancies or the queue to CSV (Parquet for .parquet names, an
    Excel workbook for .xlsx names)."""


def _export_command(name: str, doc: str) -> None:
    @export.command(name, help=doc)
    @click.option("--out", type=click.Path(dir_okay=False, allow_dash=True, path_type=Path),
                  required=True, help="The file, or - for standard output (CSV).")
    @source_option
    @locality_option
    @warehouse_option
    def command(out: Path, source: str | None, locality: Locality | None,
                warehouse: Path) -> None:
        if not is_stdout(out):
            rows = commands.export(warehouse, name, source, out, locality)
            say(f"{rows:,} {name} rows written to {out}")
            return
        rows = write_to_stdout(lambda sink: commands.export(warehouse, name, source, sink,
                                                            locality))
        click.echo(f"{rows:,} {name} rows written to standard output", err=True)


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
    frames = commands.loaded_datasets(warehouse)
    for kind, rows in frames.items():
        with progress.step(f"Validating {kind}"):
            outcome = commands.validate(kind, rows)
        failed = outcome.results.filter(~outcome.results["success"])
        click.echo(f"{kind}: {rows.height:,} rows, {len(outcome.results)} expectations, "
                   f"{len(failed)} failed")
        for row in failed.iter_rows(named=True):
            click.echo(f"  {row['field']}: {row['unexpected_count']:,} rows "
                       f"({row['kind'] or 'integrity'}, {row['expectation']})")
    if docs:
        with progress.step("Building Data Docs"):
            say(f"data docs: {commands.build_data_docs(frames, docs)}")


@app.command()
@click.option("--persons", type=click.IntRange(min=1), default=100_000, show_default=True)
@click.option("--seed", type=int, default=1, show_default=True)
@click.option("--out", type=click.Path(file_okay=False, path_type=Path),
              default=Path("popdq-demo"), show_default=True, help="Where the world is written.")
@force_option
@warehouse_option
def demo(persons: int, seed: int, out: Path, force: bool, warehouse: Path) -> None:
    """Build a synthetic world, load it into a fresh warehouse and run the nightly flow."""
    with progress.step(f"Building a {persons:,}-person world and running the flow"):
        done = commands.demo(persons, seed, out, warehouse, force=force)
    say("\n".join(f"{name}: {path}" for name, path in done.files.items()))
    click.echo("\n".join(render_load(summary) for summary in done.loads))
    say(f"run {done.outcome.run_id} succeeded; queue: {done.outcome.queue}\n"
        f"report: {done.outcome.report}\n"
        f"demo world: {out}/ (truth.csv says what was injected)\n"
        f"warehouse:  {warehouse} (run {done.outcome.run_id})")
