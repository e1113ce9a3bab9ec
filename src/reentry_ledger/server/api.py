"""The JSON API's command and read endpoints, made from the contract (contract.ENDPOINTS): each
calls its application method as the authenticated user, with the parameters the method itself
declares, and answers its result as JSON."""

from __future__ import annotations

import inspect
import re
from collections.abc import Callable, Iterator
from typing import Any

from fastapi import Body, Depends, FastAPI, Header, Path, Query, Request, Security
from fastapi.responses import JSONResponse
from pydantic import TypeAdapter, create_model

from reentry_ledger import notices
from reentry_ledger.application import Ledger
from reentry_ledger.contract import ENDPOINTS, Endpoint, listed, parameters, result_type
from reentry_ledger.domain.errors import InvalidInput
from reentry_ledger.server.auth import BEARER, authenticated_first, authenticated_user
from reentry_ledger.server.errors import ERROR_RESPONSES
from reentry_ledger.server.service import LedgerService

IF_MATCH_HELP = (
    "The number of the client's last event as you saw it (the ETag of GET /api/clients/{ref}): "
    "the write is refused with 409 if the client has moved on since."
)


# An event number, bare or as our ETag ("7"), or weakened by a proxy (W/"7"): ASCII digits only.
_IF_MATCH = re.compile(r'(?:W/)?("?)([0-9]{1,12})\1')


def expected_number(if_match: str | None) -> int | None:
    """The event number an If-Match header holds ("7", or the ETag "\\"7\\"")."""
    if if_match is None:
        return None
    matched = _IF_MATCH.fullmatch(if_match.strip())
    if matched is None:
        raise InvalidInput(f'If-Match {if_match!r} is not an event number (e.g. "7")')
    return int(matched.group(2))


def camel(name: str) -> str:
    return "".join(part.title() for part in name.split("_"))


def handler_for(
    endpoint: Endpoint, service: LedgerService, user: Callable[..., str]
) -> Callable[..., JSONResponse]:
    function = getattr(Ledger, endpoint.method)
    params = parameters(function, endpoint)
    result = listed(result_type(function))
    adapter: TypeAdapter[Any] = TypeAdapter(result)
    in_path = set(endpoint.path_params)
    signature = [
        inspect.Parameter("request", inspect.Parameter.POSITIONAL_OR_KEYWORD, annotation=Request),
        inspect.Parameter(
            "who", inspect.Parameter.KEYWORD_ONLY, annotation=str, default=Depends(user)
        ),
    ]
    for param in params:
        if param.name in in_path:
            signature.append(
                inspect.Parameter(
                    param.name, inspect.Parameter.KEYWORD_ONLY, annotation=str, default=Path()
                )
            )
    body_fields = [p for p in params if p.name not in in_path]
    query = endpoint.in_query
    if query:
        for param in params:
            if param.name not in in_path:
                default = None if param.default is inspect.Parameter.empty else param.default
                required = param.default is inspect.Parameter.empty
                signature.append(
                    inspect.Parameter(
                        param.name,
                        inspect.Parameter.KEYWORD_ONLY,
                        annotation=param.annotation,
                        default=Query(... if required else default),
                    )
                )
    elif body_fields:
        model = create_model(  # type: ignore[call-overload]
            f"{camel(endpoint.method)}Request",
            __config__={"extra": "forbid"},
            **{
                p.name: (p.annotation, ... if p.default is inspect.Parameter.empty else p.default)
                for p in body_fields
            },
        )
        optional = all(p.default is not inspect.Parameter.empty for p in body_fields)
        signature.append(  # a body of optional fields alone may be left out
            inspect.Parameter(
                "body",
                inspect.Parameter.KEYWORD_ONLY,
                annotation=model | None if optional else model,
                default=Body(None) if optional else Body(),
            )
        )
    if endpoint.writes_client:
        signature.append(
            inspect.Parameter(
                "if_match",
                inspect.Parameter.KEYWORD_ONLY,
                annotation=str | None,
                default=Header(None, alias="If-Match", description=IF_MATCH_HELP),
            )
        )

    def handle(request: Request, who: str, **kwargs: Any) -> JSONResponse:
        expected = expected_number(kwargs.pop("if_match", None))
        body = kwargs.pop("body", None)
        arguments = {**kwargs, **(dict(body) if body is not None else {})}
        with service.use(expected) as ledger:
            value = getattr(ledger, endpoint.method)(actor=who, **arguments)
            if inspect.isgenerator(value) or isinstance(value, Iterator):
                value = list(value)
            headers = etag(ledger, who, arguments.get("ref"), endpoint)
            content = adapter.dump_python(value, mode="json")
            said = list(ledger.notices)
        if said:
            headers[notices.HEADER] = notices.header_value(said)
        return JSONResponse(content, headers=headers)

    handle.__signature__ = inspect.Signature(signature)  # type: ignore[attr-defined]
    handle.__name__ = endpoint.method
    handle.__doc__ = endpoint.summary
    return handle


def etag(ledger: Ledger, who: str, ref: Any, endpoint: Endpoint) -> dict[str, str]:
    """A client's last event number, as an ETag (for a later write's If-Match), where the
    reader's agency holds the client (`Ledger.last_event_held`)."""
    if not isinstance(ref, str) or endpoint.tag not in ("casework", "reads"):
        return {}
    try:
        number = ledger.last_event_held(ref, actor=who)
    except Exception:
        return {}
    return {} if number is None else {"ETag": f'"{number}"'}


def routed(path: str) -> str:
    """An endpoint's path as the server routes it: a client's reference may hold '/' (as
    the web pages take it, `{ref:path}`)."""
    return path.replace("{ref}", "{ref:path}")


def install(app: FastAPI, service: LedgerService, user: Callable[..., str]) -> None:
    route_class = authenticated_first(user)
    # a path ending with a reference after those that go on past it: GET /api/clients/A/7/
    # timeline is the timeline of A/7, not the client "A/7/timeline" (routes match in order)
    for endpoint in sorted(ENDPOINTS, key=lambda endpoint: endpoint.path.endswith("{ref}")):
        function = getattr(Ledger, endpoint.method)
        app.router.add_api_route(
            routed(endpoint.path),
            handler_for(endpoint, service, authenticated_user),
            methods=[endpoint.verb],
            summary=endpoint.summary,
            tags=[endpoint.tag],
            operation_id=endpoint.method,
            response_model=listed(result_type(function)),
            responses=ERROR_RESPONSES,
            dependencies=[Security(BEARER)],
            route_class_override=route_class,
        )
