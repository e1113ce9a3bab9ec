"""The `reentry-ledger` command line: one click group, commands split by concern."""

from __future__ import annotations

import os
import sys
from typing import Any

import click

from reentry_ledger import __version__
from reentry_ledger.backends import DB_ENV_VAR
from reentry_ledger.cli.context import (
    ACTOR_ENV_VAR,
    LedgerContext,
    check_command,
    check_given_options,
)
from reentry_ledger.cli.errors import EXIT_BROKEN_PIPE, report


class LedgerGroup(click.Group):
    """Runs a command and turns any error into a message and an exit code."""

    def invoke(self, ctx: click.Context) -> Any:
        state = ctx.ensure_object(LedgerContext)
        try:
            return super().invoke(ctx)
        except (click.exceptions.Exit, click.ClickException, click.Abort):
            raise
        except BrokenPipeError:
            # The reader went away (e.g. `| head`): stop quietly, as pipes expect.
            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
            ctx.exit(EXIT_BROKEN_PIPE)
        except Exception as error:  # every other error is reported, never dumped
            ctx.exit(report(error, debug=state.debug))
        finally:
            state.close()

    def resolve_command(
        self, ctx: click.Context, args: list[str]
    ) -> tuple[str | None, click.Command | None, list[str]]:
        name, command, rest = super().resolve_command(ctx, args)
        check_command(name, rest)  # with a server, operators' commands are refused
        return name, command, rest


@click.group(cls=LedgerGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.option(
    "--db",
    envvar=DB_ENV_VAR,
    default=None,
    help=f"Database URL: sqlite:///PATH (default sqlite:///reentry-ledger.db) or "
    f"postgresql://USER@HOST:PORT/DBNAME[?schema=NAME]. Env: {DB_ENV_VAR}.",
)
@click.option(
    "--actor", envvar=ACTOR_ENV_VAR, default=None, help=f"Who acts. Env: {ACTOR_ENV_VAR}."
)
@click.option("--debug", is_flag=True, help="Show the full traceback of an error.")
@click.version_option(__version__, prog_name="reentry-ledger")
@click.pass_context
def cli(ctx: click.Context, db: str | None, actor: str | None, debug: bool) -> None:
    """An event-sourced case ledger for community supervision and reentry casework.

    Every write records one immutable event on a client's ledger; nothing is ever edited.
    Exit codes: 0 done, 1 failed (e.g. database unreachable), 2 bad usage or input,
    3 refused by a rule, 4 not found, 5 conflict (retry), 6 verification failed.

    Every date and moment, given or imported, lies between 1900-01-01 and 2199-12-31. Names
    and codes (agency, officer, volunteer, actor...) take no control characters and no
    spaces at either end; notes and other free text may hold line breaks and tabs only.

    With REENTRY_LEDGER_URL (a server started by `serve`) and REENTRY_LEDGER_TOKEN (from
    `users token`) set, commands go to that server, as the token's user, with the same
    output and exit codes; --db and --actor are then refused.

    \b
    Example:
      export REENTRY_LEDGER_ACTOR=jdoe REENTRY_LEDGER_DB=sqlite:///ledger.db
      reentry-ledger enroll GA-1 --agency GA --officer o-17 --supervision parole
      reentry-ledger timeline GA-1
    """
    state = ctx.ensure_object(LedgerContext)
    state.db, state.actor, state.debug = db, actor, debug
    check_given_options(ctx)


def main() -> None:
    cli.main(prog_name="reentry-ledger")


# Importing the command modules registers their commands on the group.
from reentry_ledger.cli import (  # noqa: E402, F401
    casework,
    exchange,
    goals,
    integrity,
    needs,
    programmes,
    progress,
    reading,
    reports,
    serve,
    status,
    users,
    volunteers,
)

if __name__ == "__main__":  # pragma: no cover
    main()
