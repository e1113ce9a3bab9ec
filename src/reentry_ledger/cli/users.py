"""Users and their roles: who may act on this ledger."""

from __future__ import annotations

import click

from reentry_ledger.cli import cli
from reentry_ledger.cli.context import LedgerContext, ledger_options, pass_context
from reentry_ledger.cli.params import codes, json_option
from reentry_ledger.cli.render import echo_json
from reentry_ledger.domain.directory import Role
from reentry_ledger.reports.output import as_table


@cli.group()
def users() -> None:
    """Users and their roles, kept on the ledger as events.

    A ledger with no users runs in single-user mode: any named actor acts, holding every role.
    Once the first user is added (an auditor or a supervisor), only users act, for good:
    caseworkers and supervisors on their own agency's clients (supervisors also correct and
    seal), auditors read everything and verify, oversight sees only aggregate reports and
    de-identified exports, custodians take backups (their client keys wrapped) and nothing else.
    """


@users.command("add")
@click.argument("name")
@click.option("--role", required=True, type=codes(Role))
@click.option("--agency", default=None, help="Required for caseworkers and supervisors.")
@ledger_options
@pass_context
def users_add(state: LedgerContext, name: str, role: str, agency: str | None) -> None:
    """Add user NAME with a role (the first user ends single-user mode).

    \b
    Example:
      reentry-ledger --actor admin users add jdoe --role caseworker --agency GA
    """
    state.ledger.add_user(name, role, agency, actor=state.actor_name)
    click.echo(f"added {name} ({role}{', ' + agency if agency else ''})", err=True)


@users.command("remove")
@click.argument("name")
@click.option("--reason", default=None)
@ledger_options
@pass_context
def users_remove(state: LedgerContext, name: str, reason: str | None) -> None:
    """Remove user NAME (the record of what they did stays).

    \b
    Example:
      reentry-ledger users remove jdoe --reason "left the agency"
    """
    state.ledger.remove_user(name, actor=state.actor_name, reason=reason)
    click.echo(f"removed {name}", err=True)


@users.command("list")
@json_option
@ledger_options
@pass_context
def users_list(state: LedgerContext, as_json: bool) -> None:
    """List the users, their roles and agencies.

    \b
    Example:
      reentry-ledger users list
    """
    people = state.ledger.list_users(actor=state.actor_name)
    rows = [
        {
            "name": u.name,
            "role": u.role.value,
            "agency": u.agency,
            "added_on": u.added_on.isoformat(),
            "added_by": u.added_by,
        }
        for u in people
    ]
    if as_json:
        echo_json(rows)
    else:
        click.echo(as_table(rows, ["name", "role", "agency", "added_on", "added_by"]), nl=False)
