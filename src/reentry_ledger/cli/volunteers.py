"""The volunteer register: registering, training, supervising and leaving; the register as
you may see it; volunteers suggested for a client by the needs their skills meet."""

from __future__ import annotations

from datetime import date
from typing import Any

import click

from reentry_ledger.cli import cli
from reentry_ledger.cli.context import LedgerContext, ledger_options, pass_context
from reentry_ledger.cli.params import ISO_DATE, NAME, codes, json_option, on_option
from reentry_ledger.cli.render import echo_json
from reentry_ledger.cli.reports import (
    emit,
    format_option,
    no_catch_up_option,
    report,
    reports_for,
    suppress_option,
)
from reentry_ledger.domain.codes import Need, SupervisionSessionKind, VolunteerSkill
from reentry_ledger.domain.volunteer import MAX_CAPACITY
from reentry_ledger.reports.output import as_table
from reentry_ledger.reports.requests import check_range

LIST_COLUMNS = ("volunteer_id", "name", "skills", "capacity", "open_matches", "capacity_left",
                "trained_on", "last_supervised", "left_on", "matched_clients")  # fmt: skip
SUGGEST_COLUMNS = ("volunteer_id", "name", "needs_met", "skills", "capacity_left")


def joined(value: Any) -> Any:
    return ",".join(value) if isinstance(value, tuple | list) else value


def printed(rows: list[dict[str, Any]], columns: tuple[str, ...], as_json: bool) -> None:
    if as_json:
        echo_json(rows)
        return
    shown = [{column: joined(row.get(column)) for column in columns} for row in rows]
    click.echo(as_table(shown, columns) if rows else "(none)\n", nl=False)


@cli.group()
def volunteer() -> None:
    """The agency's volunteer register: befriending volunteers, their skills, training,
    availability and supervision. A volunteer's personal data (name, availability, notes,
    why it left) lies under its own key; a client's record names it by id (`match
    --volunteer VOL1`). Staff of the volunteer's agency record; its staff and auditors read.
    """


@volunteer.command("register")
@click.option("--name", required=True, help="The volunteer's name (personal data).")
@click.option("--skill", "skills", multiple=True, required=True, type=codes(VolunteerSkill),
              help="What the volunteer brings (repeatable).")  # fmt: skip
@click.option("--trained", "trained_on", type=ISO_DATE, default=None, help="When trained.")
@click.option("--availability", default=None, help="When the volunteer can meet (personal).")
@click.option("--capacity", type=click.IntRange(1, MAX_CAPACITY), default=1, show_default=True,
              help="Clients at a time.")  # fmt: skip
@click.option(
    "--agency",
    default=None,
    help="The volunteer's agency (default: yours; required in single-user mode).",
)
@on_option
@ledger_options
@pass_context
def volunteer_register(
    state: LedgerContext,
    name: str,
    skills: tuple[str, ...],
    trained_on: date | None,
    availability: str | None,
    capacity: int,
    agency: str | None,
    on: date | None,
) -> None:
    """Register a volunteer; prints its id (VOL1, VOL2, ...), as `refer` prints a referral's.

    \b
    Example:
      reentry-ledger volunteer register --name "Vera V" --skill empathetic_listening \\
        --skill bureaucracy --trained 2025-01-15 --availability "weekday evenings" \\
        --capacity 2 --agency GA
    """
    volunteer_id = state.ledger.register_volunteer(
        actor=state.actor_name,
        name=name,
        skills=skills,
        agency=agency,
        on=on,
        trained_on=trained_on,
        availability=availability,
        capacity=capacity,
    )
    click.echo(volunteer_id)
    click.echo(f"registered volunteer {volunteer_id}", err=True)


@volunteer.command("train")
@click.argument("volunteer_id", metavar="VOL")
@on_option
@ledger_options
@pass_context
def volunteer_train(state: LedgerContext, volunteer_id: str, on: date | None) -> None:
    """Record that volunteer VOL completed (further) training.

    \b
    Example:
      reentry-ledger volunteer train VOL1 --on 2025-03-01
    """
    state.ledger.train_volunteer(volunteer_id, actor=state.actor_name, on=on)
    click.echo(f"{volunteer_id}: training recorded", err=True)


@volunteer.command("supervise")
@click.argument("volunteer_ids", metavar="VOL...", nargs=-1, required=True)
@click.option("--kind", required=True, type=codes(SupervisionSessionKind))
@click.option("--note", default="", help="What was discussed (personal: each volunteer's key).")
@click.option("--professional", default=None,
              help="The coordinating professional (default: you).")  # fmt: skip
@on_option
@ledger_options
@pass_context
def volunteer_supervise(
    state: LedgerContext,
    volunteer_ids: tuple[str, ...],
    kind: str,
    note: str,
    professional: str | None,
    on: date | None,
) -> None:
    """Record a supervision session: individual (one VOL) or group (every VOL present, each
    recorded, all or none).

    \b
    Examples:
      reentry-ledger volunteer supervise VOL1 VOL2 VOL4 --kind group --on 2025-03-05
      reentry-ledger volunteer supervise VOL2 --kind individual --note "boundaries"
    """
    count = state.ledger.supervise_volunteers(
        volunteer_ids,
        actor=state.actor_name,
        kind=kind,
        on=on,
        note=note,
        professional=professional,
    )
    click.echo(f"{kind} supervision recorded for {count} volunteer(s)", err=True)


@volunteer.command("leave")
@click.argument("volunteer_id", metavar="VOL")
@click.option("--reason", default=None, help="Why (personal).")
@on_option
@ledger_options
@pass_context
def volunteer_leave(
    state: LedgerContext, volunteer_id: str, reason: str | None, on: date | None
) -> None:
    """Record that volunteer VOL left the register: no new match may name it.

    \b
    Example:
      reentry-ledger volunteer leave VOL3 --on 2025-06-30 --reason moved
    """
    state.ledger.volunteer_leaves(volunteer_id, actor=state.actor_name, on=on, reason=reason)
    click.echo(f"{volunteer_id}: left the register", err=True)


@volunteer.command("list")
@click.option("--agency", type=NAME, default=None, help="Only this agency's volunteers.")
@click.option("--include-left", is_flag=True, help="Also those who left.")
@json_option
@ledger_options
@pass_context
def volunteer_list(
    state: LedgerContext, agency: str | None, include_left: bool, as_json: bool
) -> None:
    """The register as you may see it: skills, capacity, open matches and capacity left,
    training and supervision; the clients matched that you may see.

    \b
    Example:
      reentry-ledger volunteer list --agency GA
    """
    found = state.ledger.list_volunteers(
        actor=state.actor_name, agency=agency, include_left=include_left
    )
    printed([_dict(v) for v in found], LIST_COLUMNS, as_json)


@volunteer.command("suggest")
@click.argument("ref")
@click.option("--need", "needs", multiple=True, type=codes(Need),
              help="Needs to meet (repeatable; default: the latest assessment's).")  # fmt: skip
@json_option
@ledger_options
@pass_context
def volunteer_suggest(
    state: LedgerContext, ref: str, needs: tuple[str, ...], as_json: bool
) -> None:
    """Volunteers for client REF: the active volunteers of its agency with capacity left,
    most of its needs met by their skills first (then most capacity left).

    \b
    Example:
      reentry-ledger volunteer suggest GA-1
    """
    found = state.ledger.suggest_volunteers(ref, actor=state.actor_name, needs=needs)
    printed([_dict(s) for s in found], SUGGEST_COLUMNS, as_json)


def _dict(value: Any) -> dict[str, Any]:
    from dataclasses import asdict

    row: dict[str, Any] = asdict(value)
    return {key: item.isoformat() if isinstance(item, date) else item for key, item in row.items()}


@report.command("volunteer-supervision")
@click.option(
    "--from",
    "first",
    type=ISO_DATE,
    default=None,
    help="First day, not after the last (default: the first registration's); counted from "
    "the first day of its month.",
)
@click.option(
    "--to",
    "last",
    type=ISO_DATE,
    default=None,
    help="Last day, not after today (default: today); counted to the end of the last whole "
    "month up to it (this month is left out until it is over).",
)
@click.option("--by-agency", is_flag=True, help="One row per agency.")
@format_option
@suppress_option
@no_catch_up_option
@ledger_options
@pass_context
def report_volunteer_supervision(
    state: LedgerContext,
    first: date | None,
    last: date | None,
    by_agency: bool,
    output: str,
    suppress_below: int | None,
    no_catch_up: bool,
) -> None:
    """Volunteers' supervision: active volunteers and volunteer-months in the range (a
    calendar month each volunteer was on the register for a day of), those with at least one
    supervision session, the share, and sessions (individual, group: one for each volunteer
    present) per volunteer-month.

    \b
    Example:
      reentry-ledger report volunteer-supervision --from 2025-01-01 --to 2025-06-30 --by-agency
    """
    check_range(first, last)
    reports = reports_for(state, no_catch_up)
    by = ("agency",) if by_agency else ()
    emit(reports.volunteer_supervision(first, last, by, suppress_below), output, reports)
