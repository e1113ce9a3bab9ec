"""Commands that change a term's status as it runs: who supervises, how closely, under which
conditions, and whether the client is in custody or absconded. Each records one event, dated
by --on, on/after the term's latest status change."""

from __future__ import annotations

from datetime import date

import click

from reentry_ledger.cli import cli
from reentry_ledger.cli.casework import confirm
from reentry_ledger.cli.context import LedgerContext, ledger_options, pass_context
from reentry_ledger.cli.params import codes, on_option
from reentry_ledger.domain.codes import Condition, CustodyReason, SupervisionLevel


@cli.command()
@click.argument("ref")
@on_option
@click.option("--officer", required=True, help="The officer the caseload moves to.")
@click.option(
    "--agency",
    default=None,
    help="The agency the case moves to (default: it stays with its agency): a supervisor's "
    "act. The old agency then sees the record only as it stood up to the move, and may not "
    "write to it.",
)
@ledger_options
@pass_context
def reassign(
    state: LedgerContext, ref: str, on: date | None, officer: str, agency: str | None
) -> None:
    """Move client REF's caseload to another officer, and perhaps another agency.

    \b
    Examples:
      reentry-ledger reassign GA-1 --on 2024-04-01 --officer o-22
      reentry-ledger reassign GA-1 --on 2024-04-01 --officer o-5 --agency GB
    """
    confirm(
        state.ledger.reassign(ref, actor=state.actor_name, on=on, officer=officer, agency=agency)
    )


@cli.command()
@click.argument("ref")
@on_option
@click.option("--level", required=True, type=codes(SupervisionLevel), help="The new level.")
@ledger_options
@pass_context
def level(state: LedgerContext, ref: str, on: date | None, level: str) -> None:
    """Set client REF's supervision level, in force from --on.

    \b
    Example:
      reentry-ledger level GA-1 --on 2024-05-01 --level medium
    """
    confirm(state.ledger.change_level(ref, actor=state.actor_name, on=on, level=level))


@cli.command()
@click.argument("ref")
@on_option
@click.option("--add", multiple=True, type=codes(Condition), help="A condition added (repeatable).")
@click.option(
    "--remove", multiple=True, type=codes(Condition), help="A condition removed (repeatable)."
)
@ledger_options
@pass_context
def conditions(
    state: LedgerContext,
    ref: str,
    on: date | None,
    add: tuple[str, ...],
    remove: tuple[str, ...],
) -> None:
    """Change client REF's conditions by a court or board order: give --add, --remove, or both.

    \b
    Example:
      reentry-ledger conditions GA-1 --on 2024-06-01 --add curfew --remove drug_testing
    """
    if not (add or remove):
        raise click.UsageError("give at least one --add or --remove")
    both = sorted(set(add) & set(remove))
    if both:
        raise click.UsageError(f"a condition cannot be both added and removed: {', '.join(both)}")
    confirm(
        state.ledger.change_conditions(ref, actor=state.actor_name, on=on, add=add, remove=remove)
    )


@cli.command()
@click.argument("ref")
@on_option
@click.option("--reason", required=True, type=codes(CustodyReason), help="Why in custody.")
@ledger_options
@pass_context
def custody(state: LedgerContext, ref: str, on: date | None, reason: str) -> None:
    """Record that client REF is in custody from --on (a sanction, a jail hold, a treatment
    facility): still supervised, not at risk, until `custody-end`.

    \b
    Example:
      reentry-ledger custody GA-1 --on 2024-03-05 --reason sanction
    """
    confirm(state.ledger.start_custody(ref, actor=state.actor_name, on=on, reason=reason))


@cli.command("custody-end")
@click.argument("ref")
@on_option
@ledger_options
@pass_context
def custody_end(state: LedgerContext, ref: str, on: date | None) -> None:
    """Record that client REF left custody on --on (at risk again from that day).

    \b
    Example:
      reentry-ledger custody-end GA-1 --on 2024-03-08
    """
    confirm(state.ledger.end_custody(ref, actor=state.actor_name, on=on))


@cli.command()
@click.argument("ref")
@on_option
@ledger_options
@pass_context
def abscond(state: LedgerContext, ref: str, on: date | None) -> None:
    """Record that client REF's whereabouts are unknown from --on, until `return`.

    A violation for absconding is recorded apart, with `violation --absconding`.

    \b
    Example:
      reentry-ledger abscond GA-1 --on 2024-07-01
    """
    confirm(state.ledger.abscond(ref, actor=state.actor_name, on=on))


@cli.command("return")
@click.argument("ref")
@on_option
@ledger_options
@pass_context
def return_(state: LedgerContext, ref: str, on: date | None) -> None:
    """Record that absconded client REF was found, or came back, on --on.

    \b
    Example:
      reentry-ledger return GA-1 --on 2024-07-20
    """
    confirm(state.ledger.record_return(ref, actor=state.actor_name, on=on))
