"""The click plumbing every `popdq` command shares: one-line errors, the warehouse,
locality, source and actor options.

Every failure a user can cause ends as `popdq: <reason>` on one line of stderr
and a non-zero exit (2 for a bad parameter).
"""

import atexit
import os
import sys
from pathlib import Path
from typing import Any

import click
from click.core import ParameterSource

from popdq.contract import SOURCE_KINDS
from popdq.errors import PopdqError
from popdq.localities import Locality, parse_locality
from popdq.settings import DEFAULT_WAREHOUSE, WAREHOUSE_ENV


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
            sys.exit(exc.exit_code)
        except Exception as exc:
            if os.environ.get("POPDQ_DEBUG"):
                raise
            click.echo(f"popdq: internal error ({type(exc).__name__}); "
                       "rerun with POPDQ_DEBUG=1 for details", err=True)
            sys.exit(70)


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
