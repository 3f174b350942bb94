"""The click plumbing every `popdq` command shares: one-line errors, the warehouse,
locality, source and actor options, the parameter types, output to stdout.

Every failure a user can cause ends as `popdq: <reason>` on one line of stderr
and a non-zero exit (2 for a bad parameter).
"""

import atexit
import datetime as dt
import errno
import io
import os
import re
import signal
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any, BinaryIO, NoReturn

import click
from click.core import ParameterSource

from popdq.contract import CRITERIA, QUEUE_KINDS, SOURCE_KINDS
from popdq.errors import PopdqError
from popdq.localities import Locality, parse_locality
from popdq.masking import printable
from popdq.settings import DEFAULT_WAREHOUSE, WAREHOUSE_ENV
from warehouse.db import disk_full, is_disk_full
from warehouse.lifecycle import STATUSES


@atexit.register  # registered first, so it runs last, after Prefect has stopped its server
def _quiet_interpreter_teardown() -> None:
    """After a Prefect run, duckdb's nanobind bindings print a screen of benign
    `nanobind: leaked … DuckDBPyType` lines while the interpreter tears down
    (wjakob/nanobind#69 explains why they are harmless). Nothing of ours is written
    after this point, so stderr is closed to keep the one-line-error promise."""
    sys.stderr.flush()
    os.dup2(os.open(os.devnull, os.O_WRONLY), 2)


class OneLineErrors(click.Group):
    """Turn every error into `popdq: <reason>` on one line; the entry point of the CLI.

    It also sets the umask to 0o077 first thing: the warehouse, its write-ahead log,
    exports and reports hold personal data, so every file popdq (or DuckDB, Prefect,
    …) creates is owner-only from its creation, not chmod-ed afterwards.
    """

    def main(self, *args: Any, **kwargs: Any) -> Any:
        os.umask(0o077)  # before anything is written: every file popdq makes is owner-only
        kwargs["standalone_mode"] = False
        try:
            return super().main(*args, **kwargs)
        except click.exceptions.Exit as exc:
            sys.exit(exc.exit_code)
        except click.Abort:
            fail("aborted", 1)
        except KeyboardInterrupt:
            fail("interrupted", 130)
        except click.ClickException as exc:
            fail(exc.format_message(), exc.exit_code)
        except PopdqError as exc:
            fail(str(exc), exc.exit_code)
        except Exception as exc:
            if is_disk_full(exc):  # where no write of popdq's said so itself (files are
                fail(disk_full(None), 1)  # replaced whole: nothing is left half-written)
            if os.environ.get("POPDQ_DEBUG"):
                raise
            fail(f"internal error ({type(exc).__name__}); rerun with POPDQ_DEBUG=1 for details",
                 70)


def fail(reason: str, exit_code: int) -> NoReturn:
    """`popdq: <reason>` as exactly one screen-safe line (reasons quote file names, column
    names and values, which may hold newlines or escape codes), then exit."""
    click.echo(f"popdq: {printable(reason)}", err=True)
    sys.exit(exit_code)


def say(text: str) -> None:
    """Print to stdout what a command has to say, screen-safe line by line (it names files
    and echoes values that others chose)."""
    click.echo(printable(text, keep_newlines=True))


def write_to_stdout(write: Callable[[BinaryIO], int]) -> int:
    """`--out -`: bytes to stdout as they are for a pipe or file; a terminal gets them
    screen-safe (and so from memory: a person reads it, it is not big). A reader that
    stops early (`| head`) ends popdq quietly, with a shell's SIGPIPE status."""
    stdout = sys.stdout.buffer
    if not stdout.isatty():
        try:
            return write(stdout)
        except OSError as exc:
            if exc.errno != errno.EPIPE and "Broken pipe" not in str(exc):
                raise
            os.dup2(os.open(os.devnull, os.O_WRONLY), stdout.fileno())  # nothing left to flush
            raise click.exceptions.Exit(128 + signal.SIGPIPE) from None
    kept = io.BytesIO()
    written = write(kept)
    say(kept.getvalue().decode("utf-8", errors="replace").rstrip("\n"))
    return written


def is_stdout(out: Path) -> bool:
    """`--out -` means standard output."""
    return str(out) == "-"


class LocalityCode(click.ParamType):
    """`--locality`: parsed once, here, into a Locality (exit code 2 for anything else)."""

    name = "CODE"

    def convert(self, value: Any, param: click.Parameter | None,
                ctx: click.Context | None) -> Locality:
        if isinstance(value, Locality):
            return value
        try:
            return parse_locality(str(value))
        except PopdqError as exc:
            self.fail(str(exc), param, ctx)


class ItemId(click.ParamType):
    """A queue item id: one beyond DuckDB's BIGINT is simply no item (exit code 2)."""

    name = "ITEM_ID"
    _LARGEST = 2**63 - 1

    def convert(self, value: Any, param: click.Parameter | None,
                ctx: click.Context | None) -> int:
        number = click.INT.convert(value, param, ctx)
        if not 0 < number <= self._LARGEST:
            self.fail(f"no queue item {number}", param, ctx)
        return int(number)


class IsoDate(click.ParamType):
    """A calendar date written YYYY-MM-DD; 2026-02-30 is refused as no such day."""

    name = "YYYY-MM-DD"
    _SHAPE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")

    def convert(self, value: Any, param: click.Parameter | None,
                ctx: click.Context | None) -> dt.date:
        if isinstance(value, dt.date):
            return value
        text = str(value)
        if not self._SHAPE.fullmatch(text):
            self.fail(f"{text!r} is not a date written YYYY-MM-DD", param, ctx)
        try:
            return dt.date.fromisoformat(text)
        except ValueError:
            self.fail(f"{text} is not a calendar date", param, ctx)


def remember_warehouse(ctx: click.Context, param: click.Parameter, value: Path | None) -> None:
    if value is not None:
        ctx.meta["popdq.warehouse"] = value


def _choose_warehouse(ctx: click.Context, param: click.Parameter, value: Path) -> Path:
    """`popdq --warehouse W load …` and `popdq load … --warehouse W` both work; the
    command's own option wins, then the group's, then $POPDQ_WAREHOUSE, then the default."""
    given_here = ctx.get_parameter_source("warehouse") == ParameterSource.COMMANDLINE
    return value if given_here else ctx.meta.get("popdq.warehouse", value)


warehouse_option = click.option(
    "--warehouse", type=click.Path(dir_okay=False, path_type=Path), envvar=WAREHOUSE_ENV,
    default=DEFAULT_WAREHOUSE, show_default=f"${WAREHOUSE_ENV}, else {DEFAULT_WAREHOUSE}",
    callback=_choose_warehouse, help="The DuckDB warehouse file.")
locality_option = click.option("--locality", type=LocalityCode(), default=None,
                               help="Only this province (2 digits) or commune (5 digits).")
source_option = click.option("--source", type=click.Choice(SOURCE_KINDS), default=None)
by_option = click.option("--by", default=None, help="Who acts (default: the OS user).")
force_option = click.option("--force", is_flag=True,
                            help="Write into a folder that is not empty, replacing popdq's "
                            "own files there.")


def queue_filters(function: Any) -> Any:
    """The filters every queue command shares (locality apart)."""
    for option in reversed([
        source_option,
        click.option("--kind", type=click.Choice(list(QUEUE_KINDS)), default=None),
        click.option("--criterion", type=click.Choice(list(CRITERIA)), default=None),
        click.option("--status", type=click.Choice(STATUSES), default=None),
        click.option("--assignee", default=None),
        locality_option, warehouse_option,
    ]):
        function = option(function)
    return function
