"""Case plans and their goals (`plan`, `goal`), and the caseworker's work list (`report due`)."""

from __future__ import annotations

from datetime import date
from typing import Any

import click

from reentry_ledger.cli import cli
from reentry_ledger.cli.casework import confirm
from reentry_ledger.cli.context import LedgerContext, ledger_options, pass_context, server_url
from reentry_ledger.cli.params import ISO_DATE, NAME, codes, json_option, on_option
from reentry_ledger.cli.reports import format_option, report
from reentry_ledger.domain.checks import WINDOW
from reentry_ledger.domain.client import parse_goal
from reentry_ledger.domain.codes import GoalStatus, Need, PlanModel
from reentry_ledger.domain.errors import InvalidInput
from reentry_ledger.reports.due import TABLE_COLUMNS
from reentry_ledger.reports.output import as_csv, as_table
from reentry_ledger.reports.output import as_json as json_text


class Forms(click.Command):
    """A command whose usage is several forms (`goal REF add ...`, `goal REF GOAL_ID ...`)."""

    def __init__(self, *args: Any, forms: tuple[str, ...] = (), **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.forms = forms

    def format_usage(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        for n, form in enumerate(self.forms):
            prefix = "Usage: " if n == 0 else "       "
            formatter.write_usage(ctx.command_path, form, prefix=prefix)


def check_options(form: str, given: dict[str, Any], needed: tuple[str, ...]) -> None:
    """Refuse (exit 2) an option the form does not take, or one it needs left out."""
    for name, value in given.items():
        if value is not None and name not in needed and name not in OPTIONAL[form]:
            raise click.UsageError(f"--{name} does not go with `goal REF {form}`")
    missing = [f"--{name}" for name in needed if given.get(name) is None]
    if missing:
        raise click.UsageError(f"`goal REF {form}` needs {' and '.join(missing)}")


OPTIONAL = {"add": ("priority", "target"), "GOAL_ID progress": ("note",), "GOAL_ID reorder": ()}
GOAL_FORMS = (
    "REF add --need NEED --text TEXT [--priority P] [--target YYYY-MM-DD] [--on YYYY-MM-DD]",
    "REF GOAL_ID progress --status STATUS [--note TEXT] [--on YYYY-MM-DD]",
    "REF GOAL_ID reorder --priority P [--on YYYY-MM-DD]",
)


@cli.command(cls=Forms, forms=GOAL_FORMS)
@click.argument("ref")
@click.argument("words", nargs=-1, required=True, metavar="add | GOAL_ID progress|reorder")
@on_option
@click.option("--need", type=codes(Need), default=None, help="add: the need the goal serves.")
@click.option("--text", default=None, help="add: the goal, in words (personal data).")
@click.option(
    "--priority",
    type=click.IntRange(min=1),
    default=None,
    help="add: its place in the plan, from 1 (default: last); reorder: the place to move it to.",
)
@click.option("--target", type=ISO_DATE, default=None, help="add: the day it should be met by.")
@click.option("--status", type=codes(GoalStatus), default=None, help="progress: where it stands.")
@click.option("--note", default=None, help="progress: the progress made (personal data).")
@ledger_options
@pass_context
def goal(
    state: LedgerContext, ref: str, words: tuple[str, ...], on: date | None, **given: Any
) -> None:
    """Add a goal to client REF's case plan (prints its id), or record a goal's progress, or
    move it to another place in the plan's order of priority.

    A goal serves one criminogenic need. Its priority is its place in the plan (1 first);
    adding or moving a goal shifts the others. Statuses: not_started, in_progress, achieved,
    abandoned; an achieved or abandoned goal is closed (to reopen it, `correct` the event that
    closed it). A goal past its target and still open is `overdue` (`show`, `report due`).
    Goals belong to the current term's plan; a new term starts an empty plan.

    \b
    Examples:
      G=$(reentry-ledger goal GA-1 add --on 2024-02-01 --need school_work \\
        --text "find stable work" --target 2024-06-30)
      reentry-ledger goal GA-1 G1 progress --on 2024-03-01 --status in_progress \\
        --note "two applications sent"
      reentry-ledger goal GA-1 G1 reorder --priority 1
    """
    ledger, actor = state.ledger, state.actor_name
    if words == ("add",):
        check_options("add", given, ("need", "text"))
        recorded = ledger.add_goal(ref, actor=actor, on=on, need=given["need"],
                                   description=given["text"], priority=given["priority"],
                                   target=given["target"])  # fmt: skip
        confirm(recorded)
        click.echo(recorded.new_id)
        return
    if len(words) == 2 and words[1] == "progress":
        check_options("GOAL_ID progress", given, ("status",))
        confirm(ledger.progress_goal(ref, words[0], actor=actor, on=on, status=given["status"],
                                     note=given["note"]))  # fmt: skip
        return
    if len(words) == 2 and words[1] == "reorder":
        check_options("GOAL_ID reorder", given, ("priority",))
        confirm(ledger.reorder_goal(ref, words[0], actor=actor, on=on,
                                    priority=given["priority"]))  # fmt: skip
        return
    raise click.UsageError(
        f"`goal REF {' '.join(words)}`: give `add`, or a goal's id then `progress` or "
        "`reorder` (e.g. goal GA-1 G2 progress --status achieved)"
    )


PLAN_FORMS = (
    "REF --goal NEED:TEXT|GOAL_ID [--goal ...] [--model MODEL] [--on YYYY-MM-DD]",
    "REF approve [--on YYYY-MM-DD]",
)


@cli.command(cls=Forms, forms=PLAN_FORMS)
@click.argument("ref")
@click.argument("action", required=False, type=click.Choice(["approve"]))
@on_option
@click.option(
    "--goal",
    "goals",
    multiple=True,
    help="NEED:description (a new goal) or a goal's id (G2: moves that goal), repeatable; the "
    "goals given take the plan's first places in their order, the others follow.",
)
@click.option("--model", type=codes(PlanModel), default=None, help="Casework model.")
@ledger_options
@pass_context
def plan(
    state: LedgerContext,
    ref: str,
    action: str | None,
    on: date | None,
    goals: tuple[str, ...],
    model: str | None,
) -> None:
    """Revise the case plan of client REF: prioritised goals, each tied to a need (prints
    the ids of the goals given, one a line); or, as a supervisor, approve it as it stands.

    A revision adds the new goals (NEED:description) and moves the goals named by id; goals
    it does not name keep their order after those it does. `approve` records a supervisor's
    approval of the plan's open goals in their order (a caseworker is refused, exit 3); `show`
    says when the plan has changed since.

    \b
    Examples:
      reentry-ledger plan GA-1 --goal "substance_use:complete outpatient treatment" \\
        --goal "school_work:find stable work"
      reentry-ledger plan GA-1 --goal G2
      reentry-ledger plan GA-1 approve --on 2024-02-05
    """
    if action == "approve":
        if goals or model:
            raise click.UsageError("`plan REF approve` takes no --goal or --model")
        confirm(state.ledger.approve_plan(ref, actor=state.actor_name, on=on))
        return
    if not goals:
        raise click.UsageError("give the plan's goals (--goal, repeatable), or `approve`")
    parsed = [parse_goal(goal) for goal in goals]
    recorded = state.ledger.revise_plan(ref, actor=state.actor_name, on=on, goals=parsed,
                                        model=model)  # fmt: skip
    confirm(recorded)
    for goal_id in (recorded.new_id or "").split(", "):
        click.echo(goal_id)


@report.command("due")
@click.option("--on", type=ISO_DATE, default=None, help=f"The day (default: today, UTC; {WINDOW}).")
@click.option("--officer", type=NAME, default=None, help="Only this officer's clients.")
@format_option
@json_option
@ledger_options
@pass_context
def report_due(
    state: LedgerContext, on: date | None, officer: str | None, output: str, as_json: bool
) -> None:
    """A caseworker's work list: what is overdue on a day, per officer.

    For each client whose term is open on the day, of the agency you work in (an auditor, or
    a ledger without users: every agency): a reassessment overdue (due 6 months after an
    assessment in the term finding high or very_high risk, 12 after moderate or low; a term
    with no assessment of its own is due one 30 days after its start); too few contacts
    with the client (not collateral) in the month(s) ending on the day against the standard of
    its supervision level (maximum 4 a month, high 2, medium 1, low 1 every 3 months; no level
    set, in custody or absconded: not asked); and goals of its plan past their target and
    still open. An item is overdue the day after it fell due. Goal texts stay out of the list
    (`show REF` gives them). Each client listed is logged as read; the oversight role is
    refused (the list names clients). --json is --format json.

    \b
    Examples:
      reentry-ledger report due --on 2024-07-01
      reentry-ledger report due --officer o-17 --format csv
    """
    if server_url() is not None:
        raise InvalidInput(
            "report due is not offered through a server yet: run it against the database "
            "(unset REENTRY_LEDGER_URL, with --db)"
        )
    work = state.ledger.reports(actor=state.actor_name).due(on, officer)
    output = "json" if as_json else output
    if output == "json":
        click.echo(json_text(work.as_document()), nl=False)
    elif output == "csv":
        click.echo(as_csv(work.rows, work.columns), nl=False)
    elif work.rows:
        click.echo(as_table(work.rows, TABLE_COLUMNS), nl=False)
    else:
        who = f" for officer {officer}" if officer else ""
        click.echo(f"nothing overdue on {work.on}{who}")
