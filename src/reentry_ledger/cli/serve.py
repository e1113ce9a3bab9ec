"""`serve`: the ledger over HTTP, for agency staff and oversight bodies (ADR 0019)."""

from __future__ import annotations

import ipaddress
import json
import os
import socket

import click

from reentry_ledger.backends import resolve_db
from reentry_ledger.cli import cli
from reentry_ledger.cli.context import LedgerContext, db_option, pass_context
from reentry_ledger.domain.errors import InvalidInput, LedgerError

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
@db_option
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
    if trusted_proxies and not proxy_user_header:
        raise InvalidInput(
            "--trusted-proxy is only for --proxy-user-header: the header that proxy sets"
        )
    try:  # checked here, so a bad address stops `serve` before it listens
        Settings(session_minutes, proxy_user_header, trusted_proxies, secure_cookies)
    except ValueError as error:
        raise InvalidInput(f"--trusted-proxy: {error}") from None
    url = resolve_db(state.db)
    if not has_users(url):
        raise InvalidInput(
            f"{resolve_db_display(state.db)} holds no ledger with users: add one "
            "(`--actor NAME users add NAME --role auditor`), then give them a token "
            "(`users token NAME`) or a password (`users password NAME`)"
        )
    check_free(host, port)
    if not ipaddress.ip_address(socket.gethostbyname(host)).is_loopback:
        click.echo(
            f"Note: listening on {host}, beyond this machine, over plain HTTP: put a proxy "
            "that terminates TLS in front (and use --secure-cookies)",
            err=True,
        )
    os.environ[SETTINGS_ENV_VAR] = json.dumps(
        {
            "db": url,
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


def has_users(url: str) -> bool:
    """Has the ledger users? Asked read-only: a refused `serve` creates nothing."""
    from reentry_ledger.application import Ledger
    from reentry_ledger.backends import parse_db_url

    try:
        ledger = Ledger(parse_db_url(url, read_only=True))
    except Exception as error:
        text = str(error)
        if "no such table" in text or "does not exist" in text or text.startswith("no ledger at"):
            return False  # no ledger there yet
        raise
    try:
        return ledger.is_user_directory_open()
    finally:
        ledger.close()


def check_free(host: str, port: int) -> None:
    """Refuse, before saying anything else, an address another program listens on."""
    try:
        with socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET) as probe:
            probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            probe.bind((host, port))
    except OSError as error:
        raise LedgerError(f"cannot listen on {host}:{port}: {error.strerror}") from None


def resolve_db_display(db: str | None) -> str:
    from reentry_ledger.backends import parse_db_url

    return parse_db_url(resolve_db(db)).display
