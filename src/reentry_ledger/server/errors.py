"""Errors as JSON: every refusal the CLI reports with an exit code, the server reports with a
status and a body naming the same kind, exit code and message (`contract.STATUS_BY_ERROR`).
Nothing else leaves the server: an unexpected error is logged, and answered as `failed`."""

from __future__ import annotations

import logging

from eventsourcing.domain import OriginatorVersionError
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ValidationError
from starlette.exceptions import HTTPException

from reentry_ledger.application.base import sequence_broken
from reentry_ledger.authorization import NotPermitted
from reentry_ledger.cli.errors import STORAGE_ERRORS, is_locked
from reentry_ledger.contract import EXIT_BY_ERROR, STATUS_BY_ERROR
from reentry_ledger.domain.errors import (
    ClientNotFound,
    Conflict,
    InvalidInput,
    LedgerError,
    NotOnRecord,
    RuleViolated,
    VerificationFailed,
)
from reentry_ledger.domain.recording import describe

log = logging.getLogger("reentry_ledger.server")


class ErrorDetail(BaseModel):
    type: str
    exit_code: int
    message: str


class ErrorBody(BaseModel):
    """Every error's body."""

    error: ErrorDetail


def error_kind(error: LedgerError) -> str:
    if isinstance(error, NotPermitted):
        return "not_permitted"
    for kind, name in (
        (InvalidInput, "invalid_input"),
        (NotOnRecord, "not_found"),  # a refusal, told as not found: before RuleViolated
        (RuleViolated, "refused"),
        (ClientNotFound, "not_found"),
        (Conflict, "conflict"),
        (VerificationFailed, "verification_failed"),
    ):
        if isinstance(error, kind):
            return name
    return "failed"


def error_response(kind: str, message: str, headers: dict[str, str] | None = None) -> JSONResponse:
    body = ErrorBody(error=ErrorDetail(type=kind, exit_code=EXIT_BY_ERROR[kind], message=message))
    return JSONResponse(body.model_dump(), status_code=STATUS_BY_ERROR[kind], headers=headers)


class BodyTooLarge(Exception):
    """A request's body passed its endpoint's limit (server/limits.py)."""


class Unauthenticated(Exception):
    def __init__(self, message: str) -> None:
        super().__init__(message)


# Every error an endpoint may answer, for the OpenAPI document.
ERROR_RESPONSES: dict[int | str, dict[str, object]] = {
    status: {
        "model": ErrorBody,
        "description": ", ".join(kind for kind, code in STATUS_BY_ERROR.items() if code == status),
    }
    for status in sorted(set(STATUS_BY_ERROR.values()))
}


def install(app: FastAPI) -> None:
    @app.exception_handler(LedgerError)
    async def ledger_error(_: Request, error: LedgerError) -> JSONResponse:
        return error_response(error_kind(error), str(error))

    @app.exception_handler(ValidationError)
    async def invalid_value(_: Request, error: ValidationError) -> JSONResponse:
        """A value the domain's models refused (e.g. a date outside the ledger's window)
        where the application did not turn the refusal into InvalidInput itself."""
        return error_response("invalid_input", describe(error))

    @app.exception_handler(BodyTooLarge)
    async def body_too_large(_: Request, error: BodyTooLarge) -> JSONResponse:
        return error_response("too_large", str(error))

    @app.exception_handler(Unauthenticated)
    async def unauthenticated(_: Request, error: Unauthenticated) -> JSONResponse:
        return error_response("unauthenticated", str(error), {"WWW-Authenticate": "Bearer"})

    @app.exception_handler(RequestValidationError)
    async def invalid_request(_: Request, error: RequestValidationError) -> JSONResponse:
        problems = []
        for item in error.errors()[:5]:
            where = ".".join(str(part) for part in item.get("loc", ()))
            problems.append(f"{where}: {item.get('msg', 'invalid')}")
        return error_response("invalid_input", "; ".join(problems) or "invalid request")

    @app.exception_handler(HTTPException)
    async def http_error(request: Request, error: HTTPException) -> JSONResponse:
        if isinstance(error.__cause__, BodyTooLarge):  # FastAPI wraps what reading raised
            return error_response("too_large", str(error.__cause__))
        if error.status_code in (404, 405) and error.detail in ("Not Found", "Method Not Allowed"):
            # no route: say so, not a bare "Not Found" that reads as a missing client
            response = error_response(
                "not_found" if error.status_code == 404 else "invalid_input",
                f"this server has no {request.method} {request.url.path}: the API is under "
                "/api/ at the server's root (see /docs)",
            )
            response.status_code = error.status_code
            return response
        kind = {
            401: "unauthenticated",
            403: "not_permitted",
            404: "not_found",
            405: "invalid_input",
            409: "conflict",
        }.get(error.status_code, "invalid_input")
        response = error_response(kind, str(error.detail))
        response.status_code = error.status_code
        return response

    @app.exception_handler(Exception)
    async def unexpected(request: Request, error: Exception) -> JSONResponse:
        if isinstance(error, OriginatorVersionError):  # as the CLI reports it (cli/errors.py)
            return await ledger_error(request, sequence_broken(error, "the ledger"))
        if is_locked(error):
            return error_response(
                "conflict",
                "the ledger is busy: another process held it longer than we waited; try again",
            )
        if isinstance(error, STORAGE_ERRORS):
            log.error("database error on %s %s: %s", request.method, request.url.path, error)
            return error_response("failed", "the database could not be used")
        log.exception("unexpected error on %s %s", request.method, request.url.path)
        return error_response("failed", "unexpected error: the server's log has the details")
