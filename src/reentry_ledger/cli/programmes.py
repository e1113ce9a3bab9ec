"""Group programmes (`programme add|enrol|session|end|list`) and the reports on programmes and
on contacts against the level's standard (`report programmes`, `report contacts`)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime
from typing import Any

import click

from reentry_ledger.application import Recorded
from reentry_ledger.cli import cli
from reentry_ledger.cli.casework import confirm
from reentry_ledger.cli.context import LedgerContext, ledger_options, pass_context
from reentry_ledger.cli.params import NAME, codes, json_option, on_option
from reentry_ledger.cli.render import echo_json
from reentry_ledger.cli.reports import (
    emit,
    format_option,
    known_at_option,
    no_catch_up_option,
    notes_under,
    range_options,
    report,
    reports_for,
    standing_note,
    suppress_option,
)
from reentry_ledger.domain.codes import ProgrammeOutcome, Service, values
from reentry_ledger.reports import contacts
from reentry_ledger.reports.output import as_table
from reentry_ledger.reports.requests import check_range
from reentry_ledger.reports.service import Table

OUTCOMES = [o for o in values(ProgrammeOutcome) if o != ProgrammeOutcome.TERM_ENDED]
LISTED = ("--attended", "--missed")  # options that take several references in a row


def spread(args: Sequence[str], listed: Sequence[str] = LISTED) -> list[str]:
    """`--attended A B C` as click takes it: `--attended A --attended B --attended C`."""
    result: list[str] = []
    current: str | None = None
    for position, arg in enumerate(args):
        if arg == "--":
            return [*result, *args[position:]]
        if arg.startswith("-"):
            current = arg if arg in listed else None
        elif current is not None and result[-1] != current:
            result.append(current)
        result.append(arg)
    return result


class ListingCommand(click.Command):
    """A command whose --attended and --missed each take one reference or several."""

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        return super().parse_args(ctx, spread(args))


@cli.group()
def programme() -> None:
    """An agency's group programmes: places, sessions with attendance, completion."""


@programme.command("add")
@click.argument("name")
@click.option("--service", required=True, type=codes(Service), help="The service it offers.")
@click.option("--agency", default=None,
              help="Its agency (staff: their own; single-user mode: needed).")  # fmt: skip
@click.option("--sessions", type=click.IntRange(min=1, max=1000), default=None,
              help="The sessions it plans.")  # fmt: skip
@on_option
@ledger_options
@pass_context
def programme_add(
    state: LedgerContext,
    name: str,
    service: str,
    agency: str | None,
    sessions: int | None,
    on: date | None,
) -> None:
    """Add NAME to the agency's group programmes (its staff).

    \b
    Example:
      reentry-ledger programme add "Thinking for a Change" --service mental_health \\
        --sessions 12 --agency GA
    """
    added = state.ledger.add_programme(
        name, actor=state.actor_name, service=service, agency=agency, sessions=sessions, on=on
    )
    click.echo(f"{added.agency}: programme {added.name!r} added ({added.service})", err=True)


@programme.command("enrol")
@click.argument("name")
@click.argument("refs", nargs=-1, required=True)
@on_option
@ledger_options
@pass_context
def programme_enrol(
    state: LedgerContext, name: str, refs: tuple[str, ...], on: date | None
) -> None:
    """Give each client REF a place in programme NAME of its agency, from --on: all of them,
    or (one refused) none.

    \b
    Example:
      reentry-ledger programme enrol "Thinking for a Change" GA-1 GA-2 --on 2025-02-03
    """
    for recorded in state.ledger.enrol_in_programme(
        name, list(refs), actor=state.actor_name, on=on
    ):
        confirm(recorded)


@programme.command("session", cls=ListingCommand)
@click.argument("name")
@on_option
@click.option("--attended", multiple=True, metavar="REF...",
              help="The clients who attended (one or several).")  # fmt: skip
@click.option("--missed", multiple=True, metavar="REF...",
              help="The clients who missed it (default: every other client holding an open "
              "place on that date).")  # fmt: skip
@click.option("--agency", default=None,
              help="The programme's agency (single-user mode, when no one attended).")  # fmt: skip
@ledger_options
@pass_context
def programme_session(
    state: LedgerContext,
    name: str,
    on: date | None,
    attended: tuple[str, ...],
    missed: tuple[str, ...],
    agency: str | None,
) -> None:
    """Record a session of programme NAME held on --on: who attended, who missed it.

    Each client's record gets the session, attended or missed, and the programme the count:
    all in one transaction, so one client refused (not holding an open place, not of the
    agency) refuses the session, and nothing is written.

    \b
    Example:
      reentry-ledger programme session "Thinking for a Change" --on 2025-02-10 \\
        --attended GA-1 GA-2 --missed GA-3
    """
    held = state.ledger.record_programme_session(
        name,
        actor=state.actor_name,
        on=on,
        attended=list(attended),
        missed=list(missed) if missed else None,
        agency=agency,
    )
    for recorded in (*held.attended, *held.missed):
        confirm(recorded)
    click.echo(
        f"{held.agency}: session of {held.programme!r} on {held.on}: {len(held.attended)} "
        f"attended, {len(held.missed)} missed{listed(held.missed)}",
        err=True,
    )


def listed(missed: Sequence[Recorded]) -> str:
    return f" ({', '.join(r.ref for r in missed)})" if missed else ""


@programme.command("end")
@click.argument("name")
@click.argument("ref")
@on_option
@click.option("--outcome", required=True, type=click.Choice(OUTCOMES),
              help="How the place ended (one still open ends with the term).")  # fmt: skip
@ledger_options
@pass_context
def programme_end(state: LedgerContext, name: str, ref: str, on: date | None, outcome: str) -> None:
    """End client REF's place in programme NAME.

    \b
    Example:
      reentry-ledger programme end "Thinking for a Change" GA-1 --on 2025-05-01 --outcome completed
    """
    confirm(
        state.ledger.end_programme_place(ref, name, actor=state.actor_name, on=on, outcome=outcome)
    )


@programme.command("list")
@click.option("--agency", type=NAME, default=None, help="One agency's programmes only.")
@json_option
@ledger_options
@pass_context
def programme_list(state: LedgerContext, agency: str | None, as_json: bool) -> None:
    """The programmes of the agencies you see, with the sessions held and their attendance.

    \b
    Example:
      reentry-ledger programme list --json
    """
    found = state.ledger.list_programmes(actor=state.actor_name, agency=agency)
    if as_json:
        echo_json(found)
        return
    columns = ("agency", "name", "service", "added_on", "sessions_planned", "sessions_held",
               "attended", "missed")  # fmt: skip
    rows: list[dict[str, Any]] = [{c: getattr(p, c) for c in columns} for p in found]
    click.echo(as_table(rows, columns), nl=False)


@report.command("programmes")
@range_options
@known_at_option
@format_option
@suppress_option
@no_catch_up_option
@ledger_options
@pass_context
def report_programmes(
    state: LedgerContext,
    first: date | None,
    last: date | None,
    known_at: datetime | None,
    output: str,
    suppress_below: int | None,
    no_catch_up: bool,
) -> None:
    """Per programme: places begun, sessions held, attendance and completion.

    The attendance rate is attended / (attended + missed) of the clients' sessions in the
    range; the completion rate is completed / (completed + dropped_out + removed) of the places
    ended in it: a place still open when the client's term ended (ended_with_term) is counted
    apart, and left out of the rate (docs/metrics.md, "Programmes and contacts").

    \b
    Example:
      reentry-ledger report programmes --from 2025-01-01 --to 2025-12-31
    """
    check_range(first, last)
    reports = reports_for(state, no_catch_up)
    emit(reports.programmes(first, last, known_at, suppress_below), output, reports)


@report.command("contacts")
@range_options
@click.option("--by", default=None,
              help=f"Comma-separated, from: {', '.join(contacts.DIMENSIONS)}.")  # fmt: skip
@known_at_option
@format_option
@suppress_option
@no_catch_up_option
@ledger_options
@pass_context
def report_contacts(
    state: LedgerContext,
    first: date | None,
    last: date | None,
    by: str | None,
    known_at: datetime | None,
    output: str,
    suppress_below: int | None,
    no_catch_up: bool,
) -> None:
    """Client-months against the supervision level's contact standard, and contacts by kind.

    A client-month (of the months ending in the range) is measured when, on its last day,
    the client is under a term, active, at a level asking for contacts (maximum 4 a month,
    high 2, medium 1, low 1 in 3 months), and was under that term for the whole window;
    it met the standard when the contacts with the client (not collateral) in the window reach
    the number asked. The table shows the counts; CSV and JSON add the contacts by kind
    (docs/metrics.md, "Programmes and contacts").

    \b
    Example:
      reentry-ledger report contacts --from 2025-01-01 --to 2025-12-31 --by officer,level
    """
    check_range(first, last)
    dimensions = contacts.parse_dimensions(by)
    reports = reports_for(state, no_catch_up)
    table: Table = reports.contacts(first, last, dimensions, known_at, suppress_below)
    if output == "table":
        columns = [*dimensions, *contacts.TABLE_COLUMNS]
        click.echo(as_table(table.rows, columns), nl=False)
        notes_under(table.rows, columns, table.snapped, output)
        standing_note(reports)
    else:
        emit(table, output, reports)
