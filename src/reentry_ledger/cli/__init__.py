"""The `reentry-ledger` command line: one click group, commands split by concern.

The commands are listed from a table (cli/commands.py) and each one's module is imported only
when it runs, so that `--help` imports none of them and a command only what it needs.
"""

from __future__ import annotations

import importlib
import os
import signal
import sys
from collections.abc import Iterator, Mapping, MutableMapping
from gettext import gettext as _
from typing import Any

import click

from reentry_ledger import __version__
from reentry_ledger.backends import DB_ENV_VAR
from reentry_ledger.cli.commands import COMMANDS, SUBCOMMANDS, Entry
from reentry_ledger.cli.context import (
    ACTOR_ENV_VAR,
    LedgerContext,
    check_command,
    check_given_options,
)
from reentry_ledger.pydantic_plugins import without_plugin_scan
from reentry_ledger.sqlite_memory import without_memory_statistics


class LazyCommands(MutableMapping[str, click.Command]):
    """A group's commands: the names those of its table and those registered; a command of the
    table is imported when it is first looked up (click's `get_command`), not when listed."""

    def __init__(self, table: Mapping[str, Entry], registered: Mapping[str, click.Command]):
        self.table = table
        self.registered: dict[str, click.Command] = dict(registered)

    def __getitem__(self, name: str) -> click.Command:
        if name not in self.registered and name in self.table:
            module, _, attribute = self.table[name][0].partition(":")
            command = getattr(importlib.import_module(f"reentry_ledger.cli.{module}"), attribute)
            self.registered.setdefault(name, command)  # the module registered it on import
        return self.registered[name]

    def __setitem__(self, name: str, command: click.Command) -> None:
        self.registered[name] = command

    def __delitem__(self, name: str) -> None:
        del self.registered[name]

    def __iter__(self) -> Iterator[str]:
        return iter(sorted(self.registered.keys() | self.table.keys()))

    def __len__(self) -> int:
        return len(self.registered.keys() | self.table.keys())

    def __contains__(self, name: object) -> bool:
        return name in self.registered or name in self.table


class LazyGroup(click.Group):
    """A group whose commands come from a table, each imported when it runs; its subgroups
    are LazyGroups too, with the table SUBCOMMANDS holds under their name (if any)."""

    def __init__(
        self,
        name: str | None = None,
        commands: Mapping[str, click.Command] | None = None,
        table: Mapping[str, Entry] | None = None,
        **attrs: Any,
    ) -> None:
        super().__init__(name, None, **attrs)
        self.commands = LazyCommands(
            table if table is not None else SUBCOMMANDS.get(name or "", {}), commands or {}
        )

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        """As click's, with the table's short help for a command not imported yet."""
        commands = self.commands
        assert isinstance(commands, LazyCommands)
        rows = []
        for name in self.list_commands(ctx):
            if name in commands.registered:
                command = commands.registered[name]
            else:
                command = click.Command(name, help=commands.table[name][1])
            if not command.hidden:
                rows.append((name, command))
        if rows:
            limit = formatter.width - 6 - max(len(name) for name, _ in rows)
            with formatter.section(_("Commands")):
                formatter.write_dl([(name, c.get_short_help_str(limit)) for name, c in rows])


LazyGroup.group_class = LazyGroup


class LedgerGroup(LazyGroup):
    """Runs a command and turns any error into a message and an exit code."""

    def invoke(self, ctx: click.Context) -> Any:
        from reentry_ledger.cli.errors import EXIT_BROKEN_PIPE, EXIT_INTERRUPTED, report

        state = ctx.ensure_object(LedgerContext)
        try:
            return super().invoke(ctx)
        except (click.exceptions.Exit, click.ClickException, click.Abort):
            raise
        except BrokenPipeError:
            # The reader went away (e.g. `| head`): stop quietly, as pipes expect.
            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
            ctx.exit(EXIT_BROKEN_PIPE)
        except KeyboardInterrupt as stop:  # Ctrl-C or SIGTERM: rolled back or kept whole
            from reentry_ledger.workers import stop_all

            sigterm = isinstance(stop, StoppedBySigterm)
            click.echo("Error: stopped by SIGTERM." if sigterm else "Interrupted.", err=True)
            code = 128 + signal.SIGTERM if sigterm else EXIT_INTERRUPTED
            if stop_all():  # worker processes were started (they ignore Ctrl-C: ours to stop)
                state.close()
                sys.stdout.flush()
                sys.stderr.flush()
                os._exit(code)  # not waiting, at exit, on their queues' threads
            ctx.exit(code)
        except Exception as error:  # every other error is reported, never dumped
            ctx.exit(report(error, debug=state.debug, database=state.database))
        finally:
            state.close()

    def resolve_command(
        self, ctx: click.Context, args: list[str]
    ) -> tuple[str | None, click.Command | None, list[str]]:
        name, command, rest = super().resolve_command(ctx, args)
        check_command(name, rest)  # with a server, operators' commands are refused
        return name, command, rest


@click.group(
    cls=LedgerGroup, table=COMMANDS, context_settings={"help_option_names": ["-h", "--help"]}
)
@click.option(
    "--db",
    envvar=DB_ENV_VAR,
    default=None,
    help=f"Database URL: sqlite:///PATH (default sqlite:///reentry-ledger.db) or "
    f"postgresql://USER@HOST:PORT/DBNAME[?schema=NAME][&partitions=N] (N: a new ledger's "
    f"event table in N hash partitions). Env: {DB_ENV_VAR}.",
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
    3 refused by a rule, 4 not found, 5 conflict (retry), 6 verification failed,
    130 interrupted (Ctrl-C), 143 stopped by SIGTERM.

    Every date and moment, given or imported, lies between 1900-01-01 and 2199-12-31. Names
    and codes (agency, officer, volunteer, actor...) take no control characters and no
    spaces at either end, and at most 200 characters; notes and other free text may hold
    line breaks and tabs only, and at most 100,000 characters.

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
    without_plugin_scan()  # the ledger uses no pydantic plugin: none is looked for (ADR 0030)
    without_memory_statistics()  # SQLite's statements side by side, none queued (ADR 0031)
    signal.signal(signal.SIGINT, interrupted_once)
    signal.signal(signal.SIGTERM, terminated_once)
    cli.main(prog_name="reentry-ledger")


class StoppedBySigterm(KeyboardInterrupt):
    """SIGTERM (a service manager's stop, `kill`): the command winds down as on Ctrl-C, and
    exits 143. Commands that make a ledger or write a file say what they left, by their own
    handler while they run (cli/files.py's `terminating`)."""


def terminated_once(*_: object) -> None:
    signal.signal(signal.SIGTERM, signal.SIG_IGN)  # a second one lets the winding down end
    raise StoppedBySigterm


def interrupted_once(*_: object) -> None:
    """Ctrl-C: the command stops (KeyboardInterrupt: rolled back or kept whole, its workers
    stopped, "Interrupted."), and a second one while it winds down is let go. Taken as Python
    takes it, a second one (Ctrl-C pressed twice, or `timeout -s INT`, which signals the
    command and then its group) cut the winding down short where it stood: on a busy machine
    a traceback ("Exception ignored in: <generator object ordered_map>", KeyboardInterrupt)
    came before "Interrupted." (a demo, 5 runs of 18 with a core kept busy)."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    raise KeyboardInterrupt


if __name__ == "__main__":  # pragma: no cover
    main()
