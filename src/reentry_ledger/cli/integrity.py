"""Integrity and encryption: verify the ledger, publish its digest, make a ledger key."""

from __future__ import annotations

import click

from reentry_ledger.cli import cli
from reentry_ledger.cli.context import LedgerContext, ledger_options, pass_context
from reentry_ledger.cli.errors import EXIT_TAMPERED
from reentry_ledger.cli.render import Progress
from reentry_ledger.encryption import new_key
from reentry_ledger.verification import Digest


@cli.command()
@click.option(
    "--against",
    default=None,
    help="A line printed by `digest`, or a file holding it: prove the ledger up to its "
    "position is unchanged (later events are allowed).",
)
@ledger_options
@pass_context
def verify(state: LedgerContext, against: str | None) -> None:
    """Recompute every hash and the running digest; exit 0 only if all holds.

    Otherwise exit 6 and name the first broken link: position, client, event, what is wrong.
    The projections reports are read from are checked against the events by
    `projections verify`.

    \b
    Examples:
      reentry-ledger verify
      reentry-ledger verify --against published-digest.txt
    """
    reference = Digest.parse(against) if against else None
    progress = Progress("events verified", every=1, batches=True)
    result = state.ledger.verify(reference, progress, actor=state.actor_name)
    progress.done()
    if result.broken:
        click.echo(f"Error: verification failed at {result.broken}", err=True)
        raise SystemExit(EXIT_TAMPERED)
    checked = f" and matches the digest at position {reference.position}" if reference else ""
    clients = "client" if result.clients == 1 else "clients"
    click.echo(f"verified {result.events} events of {result.clients} {clients}{checked}")


@cli.command()
@ledger_options
@pass_context
def digest(state: LedgerContext) -> None:
    """Print the ledger's head (position and running digest) as one line to publish.

    The ledger is verified first; a ledger that does not verify has no digest (exit 6).

    \b
    Example:
      reentry-ledger digest > published-digest.txt
    """
    result = state.ledger.verify(actor=state.actor_name)
    if result.broken:
        click.echo(f"Error: verification failed at {result.broken}", err=True)
        raise SystemExit(EXIT_TAMPERED)
    click.echo(result.digest.line())


@cli.group()
def key() -> None:
    """Encryption at rest: every stored event encrypted under the ledger's key.

    Set REENTRY_LEDGER_KEY (or REENTRY_LEDGER_KEY_FILE, a file holding it) for every command
    on an encrypted ledger. Keep the key apart from the database: without it the events
    cannot be read.
    """


@key.command("new")
def key_new() -> None:
    """Print a new random 256-bit key (base64).

    \b
    Example:
      reentry-ledger key new > ledger.key && chmod 600 ledger.key
      export REENTRY_LEDGER_KEY_FILE=ledger.key
    """
    click.echo(new_key())
