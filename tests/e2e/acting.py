"""The CLI run as a named user, for the end-to-end tests of casework commands: a call, a call
that must succeed, and a call that must be refused with nothing written."""

from __future__ import annotations

from collections.abc import Callable

from click.testing import CliRunner, Result

from reentry_ledger.application import Ledger
from reentry_ledger.cli import cli

Run = Callable[..., Result]


def invoker(db_url: str) -> Run:
    """`run(actor, *args)`: the command on the ledger at `db_url`, as `actor` (None: as
    nobody named)."""
    runner = CliRunner()

    def invoke(actor: str | None, *args: str) -> Result:
        who = ["--actor", actor] if actor else []
        return runner.invoke(cli, ["--db", db_url, *who, *args], catch_exceptions=False)

    return invoke


def ok(run: Run, actor: str, *args: str) -> Result:
    result = run(actor, *args)
    assert result.exit_code == 0, (args, result.output)
    return result


def stored(db_url: str) -> int:
    """Every event the ledger holds (clients', users', policies', reads'): a refused command
    leaves it as it was."""
    ledger = Ledger(db_url)
    try:
        return ledger.recorder.max_notification_id() or 0
    finally:
        ledger.close()


def refused(run: Run, db_url: str, actor: str, *args: str, code: int = 3) -> str:
    """The command is refused with `code`, says why, and writes nothing."""
    before = stored(db_url)
    result = run(actor, *args)
    assert result.exit_code == code, result.output
    assert result.stdout == "" and "Traceback" not in result.output
    assert stored(db_url) == before
    return str(result.stderr)
