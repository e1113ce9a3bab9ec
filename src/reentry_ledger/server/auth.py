"""Who a request comes from: the one thing the server decides before the application does.

- `Authorization: Bearer TOKEN`: a token issued by `users token` (the API, and the CLI through
  REENTRY_LEDGER_URL).
- The session cookie the sign-in page sets (the web pages), after a password or a token.
- A reverse proxy that authenticates (single sign-on): only when `serve --proxy-user-header`
  names its header, and only from the addresses `--trusted-proxy` allows; from anywhere else
  the header is ignored.

The actor of every request is the authenticated user: no parameter, header or form field can
name another. The application then checks what that user may do, as for the CLI.
"""

from __future__ import annotations

import ipaddress
from collections import Counter
from collections.abc import Callable, Coroutine, Sequence
from dataclasses import dataclass, field
from types import UnionType
from typing import Any, Union, get_args, get_origin

from fastapi import Request, Response
from fastapi.concurrency import run_in_threadpool
from fastapi.routing import APIRoute
from fastapi.security import HTTPBearer

from reentry_ledger.authorization import NotPermitted
from reentry_ledger.domain.errors import InvalidInput
from reentry_ledger.server.errors import Unauthenticated
from reentry_ledger.server.service import LedgerService

SESSION_COOKIE = "rl_session"
# Documents the bearer token in the OpenAPI document (and the docs' "Authorize" button); who
# the user is, is `api_user`'s to say.
BEARER = HTTPBearer(
    auto_error=False,
    scheme_name="bearer",
    description="A token issued by `reentry-ledger users token NAME`.",
)


@dataclass(frozen=True)
class Settings:
    session_minutes: float = 480.0  # a web session ends 8 hours after sign-in
    proxy_user_header: str | None = None  # off unless named
    trusted_proxies: tuple[str, ...] = ()  # addresses or networks (CIDR)
    secure_cookies: bool = False  # set when the server is reached over HTTPS (behind a proxy)
    networks: tuple[ipaddress.IPv4Network | ipaddress.IPv6Network, ...] = field(
        default=(), init=False
    )

    def __post_init__(self) -> None:
        networks = tuple(ipaddress.ip_network(text, strict=False) for text in self.trusted_proxies)
        object.__setattr__(self, "networks", networks)

    def trusts(self, host: str | None) -> bool:
        if host is None or not self.networks:
            return False
        try:
            address = ipaddress.ip_address(host)
        except ValueError:
            return False
        if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped:
            address = address.ipv4_mapped  # an IPv4 peer of a dual-stack listener (`::`)
        return any(address in network for network in self.networks)


def proxy_user(request: Request, settings: Settings) -> str | None:
    """The user a trusted proxy names, if the proxy is trusted and names one."""
    if not settings.proxy_user_header:
        return None
    name = request.headers.get(settings.proxy_user_header)
    if name is None or not settings.trusts(request.client.host if request.client else None):
        return None
    return name


def bearer(request: Request) -> str | None:
    header = request.headers.get("authorization")
    if header is None:
        return None
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise Unauthenticated("the Authorization header must be 'Bearer TOKEN'")
    return token.strip()


# What a page of another site can make a browser send without asking the server first (a form,
# a plain `fetch`): the media types of a "simple" request in the Fetch standard, and none
SIMPLE_MEDIA = frozenset({"", "application/x-www-form-urlencoded", "multipart/form-data",
                          "text/plain"})  # fmt: skip


def refuse_cross_site(request: Request) -> None:
    """A browser sends what a single sign-on proxy knows its user by (Kerberos, Basic, the
    proxy's cookie) with every request to the server, whatever site's page made it. So a
    request the proxy vouches for is refused where a page of another site could have made
    it: one the browser marks as from another site (`Sec-Fetch-Site: cross-site`), and a POST
    not sent as JSON or a file (a form post, a plain `fetch`; JSON from another site, and any
    other method, needs the server's leave first, which it never gives). A token is never
    sent by a browser unasked, so the API's bearer tokens need none of this; the web pages'
    forms carry their own CSRF token."""
    if request.headers.get("sec-fetch-site", "").lower() == "cross-site":
        raise NotPermitted("a request from another site's page is not taken on a proxy's word")
    media = request.headers.get("content-type", "").partition(";")[0].strip().lower()
    # a PUT, PATCH or DELETE from another site's page needs the server's leave, never given
    if request.method == "POST" and media in SIMPLE_MEDIA:
        raise NotPermitted(
            f"a POST on a proxy's word is taken only as application/json (or a file's own "
            f"type), not as {media or 'no type'}: another site's page can send that"
        )


def api_user(request: Request, service: LedgerService, settings: Settings) -> str:
    """The user an API request comes from (a bearer token, or a trusted proxy), else 401."""
    named = proxy_user(request, settings)
    with service.use() as ledger:
        if named is not None:
            if ledger.is_user(named):
                refuse_cross_site(request)
                return named
            raise Unauthenticated(f"the proxy named {named!r}, who is not a user of this ledger")
        token = bearer(request)
        if token is None:
            raise Unauthenticated("sign in: send 'Authorization: Bearer TOKEN' (`users token`)")
        user = ledger.authenticate_bearer(token)
    if user is None:
        raise Unauthenticated("the token is not valid: unknown, revoked or expired")
    request.state.bearer = token  # for work that outlasts the request's start (an import)
    return user


def authenticated_first(user: Callable[[Request], str]) -> type[APIRoute]:
    """Routes that find who a request comes from (`user`) before they read its body: an
    unauthenticated request is answered 401 whatever it carries (malformed JSON, a body of any
    size), and its body is never read. The route's handler takes the user from
    `authenticated_user`."""

    class AuthenticatedFirst(APIRoute):
        def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
            handler = super().get_route_handler()
            lists = {
                param.alias
                for param in self.dependant.query_params
                if is_list(param.field_info.annotation)
            }

            async def authenticated(request: Request) -> Response:
                request.state.user = await run_in_threadpool(user, request)
                given_once(request, lists)
                return await handler(request)

            return authenticated

    return AuthenticatedFirst


def is_list(annotation: Any) -> bool:
    """A list, tuple or set, or one of them or None."""
    if get_origin(annotation) in (Union, UnionType):
        return any(is_list(argument) for argument in get_args(annotation))
    return get_origin(annotation) in (list, tuple, set, Sequence) or annotation in (list, tuple)


def given_once(request: Request, lists: set[str]) -> None:
    """Refuse a query parameter given more than once that is not one of `lists`: the framework
    takes the last, so `by=officer&by=race` was silently the report by race."""
    for name, times in Counter(key for key, _ in request.query_params.multi_items()).items():
        if times > 1 and name not in lists:
            several = " (several groups are one, comma-separated: by=officer,race)"
            raise InvalidInput(
                f"{name} is given {times} times: give it once" + (several if name == "by" else "")
            )


def authenticated_user(request: Request) -> str:
    """The user an `authenticated_first` route found, for its handler."""
    return str(request.state.user)


def embedded_elsewhere(request: Request) -> bool:
    """A page request another site's page made (an image, a frame, a script's `fetch`), not the
    user following a link to it: on a proxy's word it is not the user's (its read would be
    logged as theirs). The forms carry CSRF tokens of their own."""
    if request.headers.get("sec-fetch-site", "").lower() != "cross-site":
        return False
    navigated = request.headers.get("sec-fetch-mode", "").lower() == "navigate"
    as_page = request.headers.get("sec-fetch-dest", "document").lower() == "document"
    return not (request.method == "GET" and navigated and as_page)


def page_user(request: Request, service: LedgerService, settings: Settings) -> str | None:
    """The user a web page request comes from (a session cookie, or a trusted proxy)."""
    named = proxy_user(request, settings)
    with service.use() as ledger:
        if named is not None:
            return named if ledger.is_user(named) and not embedded_elsewhere(request) else None
        session = request.cookies.get(SESSION_COOKIE)
        if not session:
            return None
        return ledger.authenticate_bearer(session, kind="session")
