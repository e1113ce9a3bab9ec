"""Commands that read the ledger: timelines, a client's current state, replay."""

from __future__ import annotations

from dataclasses import asdict
from datetime import date, datetime
from typing import Any

import click

from reentry_ledger.case_summary import (
    goals_json,
    incentives_text,
    period_text,
    person_text,
    plan_lines,
    response_text,
    status_text,
    term_periods,
    term_text,
    violation_text,
)
from reentry_ledger.cli import cli
from reentry_ledger.cli.context import LedgerContext, ledger_options, pass_context
from reentry_ledger.cli.params import ISO_DATE, TIMESTAMP, json_option
from reentry_ledger.cli.render import Progress, echo_json, echo_json_items, timeline_lines
from reentry_ledger.domain.checks import WINDOW
from reentry_ledger.domain.state import CaseState
from reentry_ledger.reports.output import escaped, table_blocks


@cli.command()
@click.argument("ref")
@click.option(
    "--as-of", type=ISO_DATE, default=None, help=f"What had happened by this date ({WINDOW})."
)
@click.option(
    "--known-at",
    type=TIMESTAMP,
    default=None,
    help=f"What the record said at this moment (ISO 8601, UTC unless it has an offset; {WINDOW}).",
)
@json_option
@ledger_options
@pass_context
def timeline(
    state: LedgerContext,
    ref: str,
    as_of: date | None,
    known_at: datetime | None,
    as_json: bool,
) -> None:
    """Show the events of client REF in recorded order, numbered from 1.

    Retracted events stay, marked with the correction that retracted them. --as-of shows the
    corrected history up to a date; --known-at shows the record as it stood at a moment,
    before any later correction.

    \b
    Examples:
      reentry-ledger timeline GA-1
      reentry-ledger timeline GA-1 --as-of 2024-02-01 --json
      reentry-ledger timeline GA-1 --known-at 2024-06-02T12:00:00Z
    """
    entries = state.ledger.timeline(ref, actor=state.actor_name, as_of=as_of, known_at=known_at)
    if as_json:
        echo_json([entry.as_json() for entry in entries])
    else:
        for line in timeline_lines(entries):
            click.echo(line)
        if not entries:
            when = "had happened by" if as_of else "was recorded by"
            click.echo(f"{ref}: nothing {when} then", err=True)


def state_json(case: CaseState, today: date) -> dict[str, Any]:
    data = asdict(case)
    data["plan_goals"] = goals_json(case, today)
    data["plan_approved_as_it_stands"] = case.plan_approved_as_it_stands
    data["active_match"] = case.active_match
    data["open_referrals"] = [asdict(r) for r in case.referrals.values() if r.is_open]
    data["revoked_by"] = case.revoked_by
    for violation_id, violation in case.violations.items():
        data["violations"][violation_id]["disposition"] = violation.disposition
    return data


def state_lines(case: CaseState, today: date) -> list[str]:
    open_referrals = [r for r in case.referrals.values() if r.is_open]
    match = case.active_match
    lines = [
        f"client       {case.ref}" + (f"  {case.name}" if case.name else ""),
        f"person       {person_text(case)}",
        f"term         {term_text(case)}",
        f"status       {status_text(case)}" + (", sealed" if case.sealed else ""),
        f"agency       {case.agency}   officer {case.officer}",
        f"supervision  {case.supervision}{' (juvenile)' if case.juvenile else ''}  "
        f"from {case.start}" + (f" to {case.expected_end}" if case.expected_end else ""),
        f"level        {case.level or '-'}",
        f"conditions   {', '.join(case.conditions) or '-'}",
        "periods      " + ("; ".join(period_text(p) for p in term_periods(case)) or "none"),
        f"risk level   {case.risk_level or 'unassessed'}"
        + (f" (assessed {case.assessed_on})" if case.assessed_on else ""),
        f"needs        {', '.join(case.needs) or '-'}",
        *plan_lines(case, today),
        "referrals    "
        + (
            ", ".join(f"{r.referral_id} {r.service} ({r.status})" for r in open_referrals)
            or "none open"
        ),
        "volunteer    "
        + (f"{match.volunteer or match.volunteer_id} since {match.matched_on}" if match else "-"),
        f"contacts     {case.contacts}",
    ]
    for v in case.violations.values():
        lines.append(f"violation    {violation_text(v)}")
        lines += [f"             {response_text(r, case, v.violation_id)}" for r in v.responses]
    if not case.violations:
        lines.append("violations   none")
    lines.append(f"incentives   {incentives_text(case)}")
    return lines


@cli.command()
@click.argument("ref")
@json_option
@ledger_options
@pass_context
def show(state: LedgerContext, ref: str, as_json: bool) -> None:
    """Show client REF as the case stands: who the person is, the current term (its status,
    level, officer and agency, conditions, custody and absconding periods), risk, the case
    plan's goals (one a line in order of priority: need, text, status, target, and `overdue`
    when past its target and still open) and its approval, referrals, violations (each with
    its current disposition, the officer's recommendations and the decision, by whom, and the
    term a revocation decision ended), incentives, outcome.

    \b
    Example:
      reentry-ledger show GA-1 --json
    """
    case = state.ledger.client_state(ref, actor=state.actor_name)
    if as_json:
        echo_json(state_json(case, state.ledger.clock()))
    else:
        for line in state_lines(case, state.ledger.clock()):
            click.echo(escaped(line))


@cli.command()
@click.argument("ref", required=False)
@json_option
@ledger_options
@pass_context
def replay(state: LedgerContext, ref: str | None, as_json: bool) -> None:
    """Rebuild clients' state from their events: client REF, or every client.

    Reads the ledger as a stream, one client in memory at a time, and reports how many
    clients and events it read.

    \b
    Examples:
      reentry-ledger replay
      reentry-ledger replay GA-1
    """
    progress = Progress("replayed clients")
    report = state.ledger.replay(ref, progress, actor=state.actor_name)
    progress.done()
    if as_json:
        echo_json({"clients": report.clients, "events": report.events})
    else:
        clients = "client" if report.clients == 1 else "clients"
        click.echo(f"replayed {report.clients} {clients}, {report.events} events")


@cli.command("access-log")
@click.option("--client", "client_ref", default=None, help="Only reads of this client.")
@click.option("--by", "reader", default=None, help="Only reads by this actor.")
@json_option
@ledger_options
@pass_context
def access_log(
    state: LedgerContext, client_ref: str | None, reader: str | None, as_json: bool
) -> None:
    """List who read which client's record, and when, and refused attempts (auditors).

    An attempt to read or write a client's record that was refused is listed as view
    `refused COMMAND`.

    \b
    Example:
      reentry-ledger access-log --client GA-1
    """
    reads = state.ledger.access_log(actor=state.actor_name, client_ref=client_ref, reader=reader)
    rows = (  # printed as they are read: a log of millions is never held whole
        {
            "recorded_at": read.recorded_at.isoformat().replace("+00:00", "Z"),
            "actor": read.recorded_by,
            "client": read.client_ref,
            "view": read.view,
            "as_of": read.as_of.isoformat() if read.as_of else None,
            "known_at": read.known_at.isoformat() if read.known_at else None,
        }
        for read in reads
    )
    if as_json:
        echo_json_items(rows)
        return
    columns = ["recorded_at", "actor", "client", "view", "as_of", "known_at"]
    for block in table_blocks(rows, columns, empty="(no reads)\n"):
        click.echo(block, nl=False)
