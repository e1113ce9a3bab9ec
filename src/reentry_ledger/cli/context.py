"""What every command shares: the database, the actor, and the ledger opened on demand."""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import click

from reentry_ledger.application import Ledger
from reentry_ledger.backends import DB_ENV_VAR, parse_db_url, resolve_db
from reentry_ledger.cli.params import F

ACTOR_ENV_VAR = "REENTRY_LEDGER_ACTOR"

# Commands that only read, and log no read: they open the ledger read-only, so they work on a
# ledger file (or folder) that may not be written. `timeline` and `show` log each read, and
# reports catch their projections up: those write.
READ_ONLY_COMMANDS = frozenset({"verify", "digest", "export", "replay", "access-log", "users list"})


def reads_only() -> bool:
    """Whether the command running is one of the read-only ones."""
    ctx = click.get_current_context(silent=True)
    if ctx is None:
        return False
    command = " ".join(ctx.command_path.split()[1:])  # without the program's name
    return command in READ_ONLY_COMMANDS


@dataclass
class LedgerContext:
    db: str | None = None
    actor: str | None = None
    debug: bool = False
    _ledger: Ledger | None = field(default=None, repr=False)

    @property
    def ledger(self) -> Ledger:
        if self._ledger is None:
            self._ledger = Ledger(parse_db_url(resolve_db(self.db), read_only=reads_only()))
        return self._ledger

    @property
    def actor_name(self) -> str | None:
        """The actor, if one was named (option, then environment)."""
        name = self.actor if self.actor is not None else os.environ.get(ACTOR_ENV_VAR, "")
        return name if name.strip() else None  # padded names are the application's to refuse

    def close(self) -> None:
        if self._ledger is not None:
            self._ledger.close()
            self._ledger = None


pass_context = click.make_pass_decorator(LedgerContext, ensure=True)


def _remember(attribute: str) -> Callable[[click.Context, click.Parameter, Any], None]:
    def callback(ctx: click.Context, _: click.Parameter, value: Any) -> None:
        if value is not None:
            setattr(ctx.ensure_object(LedgerContext), attribute, value)

    return callback


def ledger_options(func: F) -> F:
    """--db and --actor, accepted after the command name too (they override the group's)."""
    func = click.option(
        "--db",
        default=None,
        expose_value=False,
        is_eager=True,
        callback=_remember("db"),
        help=f"Database URL (overrides the group option and {DB_ENV_VAR}).",
    )(func)
    return click.option(
        "--actor",
        default=None,
        expose_value=False,
        is_eager=True,
        callback=_remember("actor"),
        help=f"Who records this (overrides the group option and {ACTOR_ENV_VAR}).",
    )(func)
