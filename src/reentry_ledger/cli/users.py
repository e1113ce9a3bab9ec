"""Users and their roles: who may act on this ledger."""

from __future__ import annotations

import sys

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

    The first user is an auditor or a supervisor, who adds the others.

    \b
    Examples:
      reentry-ledger --actor admin users add admin --role auditor
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
    """List the users, their roles and agencies (a supervisor: its agency's).

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


@users.command("token")
@click.argument("name")
@click.option(
    "--expires",
    "expires_days",
    type=int,
    default=None,
    metavar="DAYS",
    help="Days until the token stops working (default: until revoked).",
)
@ledger_options
@pass_context
def users_token(state: LedgerContext, name: str, expires_days: int | None) -> None:
    """Issue a bearer token for user NAME, for the server (`serve`) and its API.

    The token is printed once, alone on stdout; the ledger keeps only its hash. Requests carry
    it as `Authorization: Bearer TOKEN`; the CLI, as REENTRY_LEDGER_TOKEN. Issued by those who
    may manage that user.

    \b
    Example:
      reentry-ledger --actor admin users token jdoe --expires 90 > jdoe.token
    """
    token = state.ledger.issue_token(name, actor=state.actor_name, expires_days=expires_days)
    click.echo(token)
    token_id = token.split(".")[0].removeprefix("rlt_")
    until = f", expires in {expires_days} days" if expires_days else ", until revoked"
    click.echo(f"issued token {token_id} for {name}{until}", err=True)


@users.command("revoke-token")
@click.argument("name")
@click.option(
    "--id",
    "token_id",
    default=None,
    help="Revoke this token only (its id, as `users token` said); default: all.",
)
@ledger_options
@pass_context
def users_revoke_token(state: LedgerContext, name: str, token_id: str | None) -> None:
    """Revoke user NAME's tokens (all, or one with --id), and end their web sessions.

    \b
    Example:
      reentry-ledger --actor admin users revoke-token jdoe
    """
    state.ledger.revoke_tokens(name, actor=state.actor_name, token_id=token_id)
    click.echo(f"revoked {'token ' + token_id if token_id else 'every token'} of {name}", err=True)


@users.command("password")
@click.argument("name")
@ledger_options
@pass_context
def users_password(state: LedgerContext, name: str) -> None:
    """Set user NAME's password for the web pages' sign-in: at least 12 characters, asked
    twice and not echoed on a terminal; otherwise read once, as the first line of standard
    input. It is stored hashed with Argon2id, and ends the user's web sessions.

    \b
    Example:
      reentry-ledger --actor admin users password jdoe
    """
    if sys.stdin.isatty():
        password = click.prompt(
            f"Password for {name}", hide_input=True, confirmation_prompt=True, err=True
        )
    else:
        password = sys.stdin.readline().removesuffix("\n").removesuffix("\r")
    state.ledger.set_password(name, password, actor=state.actor_name)
    click.echo(f"password set for {name}", err=True)
