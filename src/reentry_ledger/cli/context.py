"""What every command shares: the database, the actor, and the ledger opened on demand."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, TypeVar

import click

from reentry_ledger.backends import DB_ENV_VAR, check_ledger_exists, parse_db_url, resolve_db
from reentry_ledger.domain.errors import LedgerError

if TYPE_CHECKING:  # imported when a command opens the ledger: `--help` needs none of it
    from reentry_ledger.application import Ledger

F = TypeVar("F", bound=Callable[..., Any])

ACTOR_ENV_VAR = "REENTRY_LEDGER_ACTOR"
# Set, the CLI is a client of that server, as the user the token names (cli/remote.py).
URL_ENV_VAR = "REENTRY_LEDGER_URL"
TOKEN_ENV_VAR = "REENTRY_LEDGER_TOKEN"

# Commands that only read, and log no read: they open the ledger read-only, so they work on a
# ledger file (or folder) that may not be written. `timeline` and `show` log each read, and
# reports catch their projections up: those write.
READ_ONLY_COMMANDS = frozenset({"verify", "digest", "access-log", "users list"})
# Commands that read the whole ledger and log that they did: read-only only where the ledger
# cannot be written (an archive), and then they say the read is not on record.
LOGGED_READS = frozenset({"export", "replay"})
# Commands that read clients' records and log each read: the ledger is opened read-only (no
# writer's lock is taken, so an import does not hold them up) and the reads go to the access
# log's own store (ADR 0027); where that cannot be written (a replica), nothing is shown.
CLIENT_READS = frozenset({"timeline", "show", "report due", "report progress"})
# Commands that read make no ledger: pointed at a SQLite file that is not there, or a
# PostgreSQL schema that holds none, they say so (backends.check_ledger_exists).
READING_GROUPS = ("report", "projections")


def reads(command: str) -> bool:
    return (
        command in READ_ONLY_COMMANDS
        or command in LOGGED_READS
        or command in CLIENT_READS
        or command.split(" ")[0] in READING_GROUPS
    )


def server_url() -> str | None:
    """The server the CLI is a client of, if REENTRY_LEDGER_URL names one."""
    return os.environ.get(URL_ENV_VAR, "").strip() or None


def running() -> str:
    """The command running, without the program's name (e.g. "users list")."""
    ctx = click.get_current_context(silent=True)
    return " ".join(ctx.command_path.split()[1:]) if ctx is not None else ""


@dataclass
class LedgerContext:
    db: str | None = None
    actor: str | None = None
    debug: bool = False
    _ledger: Ledger | None = field(default=None, repr=False)

    @property
    def ledger(self) -> Ledger:
        if self._ledger is None:
            server = server_url()
            if server is not None:  # the server's ledger: the database's variable is ignored
                from reentry_ledger.cli.remote import connect

                self._ledger = connect(server, os.environ.get(TOKEN_ENV_VAR))
            else:
                self._ledger = opened(resolve_db(self.db), running())
        return self._ledger

    @property
    def database(self) -> str | None:
        """The local ledger's database as messages name it (without a password)."""
        if server_url() is not None:
            return None
        try:
            return parse_db_url(resolve_db(self.db)).display
        except LedgerError:  # a URL refused on its own, with its own message
            return None

    @property
    def actor_name(self) -> str | None:
        """The actor, if one was named (option, then environment)."""
        name = self.actor if self.actor is not None else os.environ.get(ACTOR_ENV_VAR, "")
        return name if name.strip() else None  # padded names are the application's to refuse

    @contextmanager
    def making(self) -> Iterator[None]:
        """For a command that makes the ledger if it is not there (import, demo): made whole or
        not at all, so that a refused one leaves no empty ledger behind (making.py)."""
        if server_url() is not None:  # the server's ledger is there
            yield
            return
        from reentry_ledger.cli.files import Terminated, terminating
        from reentry_ledger.making import made_or_nothing

        given = self.db
        try:
            with terminating(), made_or_nothing(resolve_db(given), self.close) as url:
                self.db = url
                yield
        except Terminated:  # SIGTERM (a service stopped): rolled back whole, as on Ctrl-C
            # (into an existing ledger nothing was being made: it is as it was)
            click.echo(
                "Error: stopped by SIGTERM; nothing was written (a new ledger is not kept)",
                err=True,
            )
            raise
        finally:
            self.db = given

    def close(self) -> None:
        if self._ledger is not None:
            for notice in self._ledger.notices:
                click.echo(f"Note: {notice}", err=True)
            self._ledger.close()
            self._ledger = None


def opened(url: str, command: str) -> Ledger:
    """The ledger at `url`, opened as `command` needs it."""
    from reentry_ledger.application import Ledger

    if reads(command):
        check_ledger_exists(url)
    if command in LOGGED_READS or command in CLIENT_READS:
        return opened_to_read_and_log(url)
    return Ledger(parse_db_url(url, read_only=command in READ_ONLY_COMMANDS))


def opened_to_read_and_log(url: str) -> Ledger:
    """The ledger, read-only, logging its reads in the access log's store; opened as before
    (read-write where possible) when it cannot be opened read-only (no ledger there yet)."""
    from reentry_ledger.application import Ledger

    try:
        ledger = Ledger(parse_db_url(url, read_only=True))
    except Exception:
        return opened_for_writing_if_possible(url)
    ledger.logs_reads = True
    return ledger


def opened_for_writing_if_possible(url: str) -> Ledger:
    """The ledger, read-write; read-only where it cannot be written (an archive)."""
    from reentry_ledger.application import Ledger
    from reentry_ledger.application.access import cannot_write

    try:
        return Ledger(parse_db_url(url))
    except Exception as error:
        if not cannot_write(error):
            raise
    return Ledger(parse_db_url(url, read_only=True))


pass_context = click.make_pass_decorator(LedgerContext, ensure=True)


def _remember(attribute: str) -> Callable[[click.Context, click.Parameter, Any], None]:
    def callback(ctx: click.Context, _: click.Parameter, value: Any) -> None:
        if value is not None:
            refuse_with_a_server(f"--{attribute}")
            setattr(ctx.ensure_object(LedgerContext), attribute, value)

    return callback


def refuse_with_a_server(option: str) -> None:
    """--db and --actor name a database and who acts on it: with a server, neither."""
    if server_url() is not None:
        from reentry_ledger.cli.remote import refuse_option

        raise refuse_option(option)


def check_given_options(ctx: click.Context) -> None:
    """Refuse the group's --db and --actor when given with a server (their environment
    variables are ignored then, not refused)."""
    for name in ("db", "actor"):
        if ctx.get_parameter_source(name) is click.core.ParameterSource.COMMANDLINE:
            refuse_with_a_server(f"--{name}")


def check_command(name: str | None, args: list[str]) -> None:
    """Refuse, with a server, a command that is not offered over HTTP."""
    if server_url() is not None:
        from reentry_ledger.cli.remote import refuse_operator_commands

        refuse_operator_commands(name, args)


def db_option(func: F) -> F:
    """--db alone, accepted after the command name too (a command no actor runs: `serve`)."""
    return click.option(
        "--db",
        default=None,
        expose_value=False,
        is_eager=True,
        callback=_remember("db"),
        help=f"Database URL (overrides the group option and {DB_ENV_VAR}).",
    )(func)


def ledger_options(func: F) -> F:
    """--db and --actor, accepted after the command name too (they override the group's)."""
    return click.option(
        "--actor",
        default=None,
        expose_value=False,
        is_eager=True,
        callback=_remember("actor"),
        help=f"Who records this (overrides the group option and {ACTOR_ENV_VAR}).",
    )(db_option(func))
