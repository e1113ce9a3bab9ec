"""`serve`: the ledger over HTTP, for agency staff and oversight bodies (ADR 0019)."""

from __future__ import annotations

import json
import os

import click

from reentry_ledger.backends import resolve_db
from reentry_ledger.cli import cli
from reentry_ledger.cli.context import LedgerContext, ledger_options, pass_context
from reentry_ledger.domain.errors import InvalidInput

SETTINGS_ENV_VAR = "REENTRY_LEDGER_SERVE_SETTINGS"  # hands the settings to worker processes


@cli.command()
@click.option(
    "--host",
    default="127.0.0.1",
    show_default=True,
    help="Address to listen on (behind a TLS-terminating proxy in production).",
)
@click.option("--port", type=click.IntRange(1, 65535), default=8080, show_default=True)
@click.option(
    "--workers",
    type=click.IntRange(1, 64),
    default=1,
    show_default=True,
    help="Worker processes, each serving one request at a time.",
)
@click.option(
    "--proxy-user-header",
    default=None,
    metavar="HEADER",
    help="Trust this header to name the user (single sign-on at a reverse proxy); "
    "off by default, and only from --trusted-proxy addresses.",
)
@click.option(
    "--trusted-proxy",
    "trusted_proxies",
    multiple=True,
    metavar="ADDRESS",
    help="An address or network (CIDR) of the proxy; repeatable.",
)
@click.option(
    "--session-minutes",
    type=click.IntRange(5, 24 * 60),
    default=480,
    show_default=True,
    help="A web session ends this long after sign-in.",
)
@click.option(
    "--keep-alive",
    type=click.IntRange(1, 3600),
    default=75,
    show_default=True,
    metavar="SECONDS",
    help="Keep an idle connection this long: longer than any proxy or client keeps its own "
    "idle connections to the server (else a request sent as the server closes one is lost).",
)
@click.option(
    "--secure-cookies",
    is_flag=True,
    help="Send the session cookie over HTTPS only (set when a proxy terminates TLS).",
)
@ledger_options
@pass_context
def serve(
    state: LedgerContext,
    host: str,
    port: int,
    workers: int,
    proxy_user_header: str | None,
    trusted_proxies: tuple[str, ...],
    session_minutes: int,
    keep_alive: int,
    secure_cookies: bool,
) -> None:
    """Serve the ledger over HTTP: the JSON API under /api/, the web pages, and the API's
    documentation at /docs (OpenAPI at /openapi.json).

    Every request is made as the user its token or session names (`users token`,
    `users password`); the ledger must have users.

    \b
    Example:
      reentry-ledger --db sqlite:///ledger.db serve --port 8080
    """
    import uvicorn

    from reentry_ledger.server.auth import Settings

    if proxy_user_header and not trusted_proxies:
        raise InvalidInput("--proxy-user-header needs --trusted-proxy: the proxy's address")
    try:  # checked here, so a bad address stops `serve` before it listens
        Settings(session_minutes, proxy_user_header, trusted_proxies, secure_cookies)
    except ValueError as error:
        raise InvalidInput(f"--trusted-proxy: {error}") from None
    if not state.ledger.is_user_directory_open():
        raise InvalidInput(
            "this ledger has no users: add one (`users add NAME --role auditor`), then give "
            "them a token (`users token NAME`) or a password (`users password NAME`)"
        )
    state.close()
    os.environ[SETTINGS_ENV_VAR] = json.dumps(
        {
            "db": resolve_db(state.db),
            "session_minutes": session_minutes,
            "proxy_user_header": proxy_user_header,
            "trusted_proxies": list(trusted_proxies),
            "secure_cookies": secure_cookies,
        }
    )
    click.echo(
        f"serving {resolve_db_display(state.db)} at http://{host}:{port}/ "
        f"(API docs at /docs); Ctrl-C stops",
        err=True,
    )
    uvicorn.run(
        "reentry_ledger.server.app:from_environment",
        factory=True,
        host=host,
        port=port,
        workers=workers,
        log_level="info",
        proxy_headers=False,
        server_header=False,
        timeout_keep_alive=keep_alive,
    )


def resolve_db_display(db: str | None) -> str:
    from reentry_ledger.backends import parse_db_url

    return parse_db_url(resolve_db(db)).display
