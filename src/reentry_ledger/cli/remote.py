"""The CLI as a client of a server: with REENTRY_LEDGER_URL set, `LedgerContext.ledger` is a
`RemoteLedger`, offering the methods the commands call on a `Ledger`, with the same names and
parameters, over the server's JSON API (ADR 0019). Results come back as the same Python
objects, so every command renders them unchanged; an error comes back as the same kind of
error with the same message, so the CLI prints the same line and exits with the same code.

The calls for one client's casework and reads, users and the access log are made from
`contract.ENDPOINTS`, as the server makes its endpoints; the rest (reports, verify, exports,
replay, projections, the CSV import) from server/operations.py's endpoints. Who acts is the
user the token (REENTRY_LEDGER_TOKEN) names: `--actor` and `--db` are refused, and
REENTRY_LEDGER_ACTOR and REENTRY_LEDGER_DB ignored.

Loaded only when REENTRY_LEDGER_URL is set (it imports httpx); it never imports FastAPI.
"""

from __future__ import annotations

import inspect
import ipaddress
from collections.abc import Callable, Iterator, Sequence
from datetime import date, datetime
from functools import partialmethod
from pathlib import Path
from typing import Any, cast
from urllib.parse import quote, urlsplit

import httpx
from pydantic import TypeAdapter

from reentry_ledger import __version__, notices
from reentry_ledger.application import Ledger, ReplayReport, utc_today
from reentry_ledger.application.access import ReadsPage
from reentry_ledger.authorization import NotPermitted
from reentry_ledger.cli.context import TOKEN_ENV_VAR, URL_ENV_VAR
from reentry_ledger.contract import ENDPOINTS, Endpoint, listed, parameters, result_type
from reentry_ledger.domain.access import ClientRecordRead, LedgerRead
from reentry_ledger.domain.errors import (
    ClientNotFound,
    Conflict,
    InvalidInput,
    LedgerError,
    RuleViolated,
    VerificationFailed,
)
from reentry_ledger.export.deidentified import Summary
from reentry_ledger.projections.runner import Status
from reentry_ledger.projections.verify import Finding
from reentry_ledger.reports.cohorts import FOLLOW
from reentry_ledger.reports.disparities import DisparityRequest
from reentry_ledger.reports.service import CohortTable, Table
from reentry_ledger.reports.shown import Shown, shown_as
from reentry_ledger.reports.snapping import Snapped
from reentry_ledger.reports.violations import ReportRequest, shown_columns
from reentry_ledger.verification import Digest, Verification

Progress = Callable[[int], None] | None
Moment = datetime | None
Below = int | None
LOOPBACK_NAMES = ("localhost",)
# Connecting gives up after 10 s; an answer may take as long as the command does locally.
TIMEOUT = httpx.Timeout(None, connect=10.0)
READS_A_PAGE = 1000  # the access log is asked for a page at a time: the most the server sends

# Commands an operator runs on the database's machine, with its credentials (ADR 0019).
ON_THE_DATABASE = f"unset {URL_ENV_VAR} and run it there with --db"
OPERATOR_ONLY = {
    "demo": "demo builds a ledger into an empty database: it is not offered over HTTP; "
    f"an operator runs it on the database's machine ({ON_THE_DATABASE})",
    "key": "key makes a ledger's encryption key, which stays with the database: it is not "
    f"offered over HTTP ({ON_THE_DATABASE})",
    "serve": f"serve runs the server itself, on the database's machine: {ON_THE_DATABASE}",
    "import --format jsonl": "a restore (import --format jsonl) goes into an empty ledger: "
    f"it is not offered over HTTP; an operator runs it on the database's machine "
    f"({ON_THE_DATABASE})",
    "import --format iowa": "import --format iowa loads an empty ledger: it is not offered "
    f"over HTTP; an operator runs it on the database's machine ({ON_THE_DATABASE})",
    "export --with-keys": "a backup (export --with-keys) is the custodian's, its keys "
    "wrapped under a key file the custodian holds: it is not offered over HTTP; run it on "
    f"the database's machine ({ON_THE_DATABASE})",
}


def operator_only(what: str) -> InvalidInput:
    return InvalidInput(OPERATOR_ONLY[what])


def refuse_operator_commands(name: str | None, args: list[str]) -> None:
    """Refuse a top-level command that is not offered over HTTP (its --help still shows)."""
    if name in OPERATOR_ONLY and not {"-h", "--help"} & set(args):
        raise operator_only(name)


def refuse_option(option: str) -> InvalidInput:
    return InvalidInput(
        f"{option} is refused with {URL_ENV_VAR} set: commands go to that server, as the user "
        f"{TOKEN_ENV_VAR} names (unset {URL_ENV_VAR} to work on a database directly)"
    )


# --- errors ----------------------------------------------------------------------------------


class NotSignedIn(RuleViolated):
    """The server did not take the token (exit 3, as a refusal)."""


class NotFound(ClientNotFound):
    """Not found, in the server's words."""

    def __init__(self, message: str) -> None:
        LedgerError.__init__(self, message)
        self.ref = ""


ERRORS: dict[str, type[LedgerError]] = {
    "unauthenticated": NotSignedIn,
    "not_permitted": NotPermitted,
}
ERRORS_BY_EXIT: dict[int, type[LedgerError]] = {
    2: InvalidInput,
    3: RuleViolated,
    4: NotFound,
    5: Conflict,
    6: VerificationFailed,
}


def error_from(response: httpx.Response, url: str) -> LedgerError:
    """The error an error answer carries, as the CLI's own kind (by its exit code)."""
    try:
        detail = response.json()["error"]
        kind, code, message = str(detail["type"]), int(detail["exit_code"]), str(detail["message"])
    except (ValueError, KeyError, TypeError):
        return LedgerError(
            f"the server at {url} answered {response.status_code} {response.reason_phrase}, "
            f"not as the ledger's API does: is {URL_ENV_VAR} right?"
        )
    if kind == "unauthenticated":
        message += f" ({TOKEN_ENV_VAR})"
    return ERRORS.get(kind, ERRORS_BY_EXIT.get(code, LedgerError))(message)


# --- the server ------------------------------------------------------------------------------


def checked_url(url: str) -> str:
    """The server's base URL: https, or plain http to this machine only (TLS is terminated
    by a proxy in front of the server; a token must not cross a network in the clear)."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise InvalidInput(
            f"{URL_ENV_VAR} {url!r} is not a server's address: give https://HOST[:PORT] "
            "(or http://127.0.0.1:PORT on this machine)"
        )
    if parts.scheme == "http" and not loopback(parts.hostname):
        raise InvalidInput(
            f"{URL_ENV_VAR} {url!r}: plain http:// to {parts.hostname} would send your token "
            "unencrypted; use https:// (the server's TLS proxy)"
        )
    return url.rstrip("/")


def loopback(host: str) -> bool:
    if host.lower() in LOOPBACK_NAMES:
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def checked_token(token: str | None) -> str:
    token = (token or "").strip()
    if not token:
        raise InvalidInput(
            f"{URL_ENV_VAR} is set but {TOKEN_ENV_VAR} is not: the server acts as the user "
            "a token names (`users token NAME`, issued by whoever manages your account)"
        )
    if not token.isascii() or not token.isprintable() or " " in token:
        raise InvalidInput(f"{TOKEN_ENV_VAR} is not a token (one word, as `users token` printed)")
    return token


class Server:
    """The server's API, as the user a token names."""

    def __init__(self, url: str, token: str) -> None:
        self.url = checked_url(url)
        self.http = httpx.Client(
            base_url=self.url,
            headers={
                "Authorization": f"Bearer {checked_token(token)}",
                "User-Agent": f"reentry-ledger/{__version__}",
            },
            timeout=TIMEOUT,
            # Plain http:// is taken to this machine only: never through a proxy the
            # environment names (HTTP_PROXY), which would be handed the token in the clear.
            trust_env=urlsplit(self.url).scheme == "https",
        )
        self.notices: list[str] = []

    def request(self, verb: str, path: str, *, stream: bool = False, **kwargs: Any) -> Any:
        """The answer, whatever its status (an error's body read); the server's notices kept."""
        request = self.http.build_request(verb, path, **kwargs)
        try:
            response = self.http.send(request, stream=stream)
            if response.is_error and stream:
                response.read()
                response.close()
        except httpx.ConnectError as error:
            raise LedgerError(f"the server at {self.url} could not be reached: {error}") from None
        except httpx.TransportError as error:
            raise LedgerError(
                f"the connection to the server at {self.url} failed: {error}"
            ) from None
        sent = response.headers.get(notices.HEADER)
        if sent:
            self.notices.extend(notices.notices_of(sent))
        return response

    def checked(self, response: httpx.Response) -> httpx.Response:
        if response.is_error:
            raise error_from(response, self.url)
        return response

    def call(self, verb: str, path: str, **kwargs: Any) -> Any:
        """The JSON of a successful answer; an error answer raised as the CLI's error."""
        response = self.checked(self.request(verb, path, **kwargs))
        try:
            return response.json()
        except ValueError:
            raise LedgerError(
                f"the server at {self.url} answered {path} with something other than the "
                f"ledger's JSON: is {URL_ENV_VAR} right?"
            ) from None

    def stream(self, path: str, **kwargs: Any) -> httpx.Response:
        """A successful answer, to be read as it comes."""
        return self.checked(self.request("GET", path, stream=True, **kwargs))

    def lines(self, response: httpx.Response) -> Iterator[bytes]:
        """The answer's bytes as they come (in chunks, not lines: they are written as they
        are); a connection lost part way is an error, never a file cut short in silence."""
        try:
            yield from response.iter_bytes()
        except httpx.TransportError as error:
            raise LedgerError(
                f"the connection to the server at {self.url} was lost: {error}"
            ) from None
        finally:
            response.close()

    def close(self) -> None:
        self.http.close()


# --- calls made from the contract ------------------------------------------------------------


def remote_call(endpoint: Endpoint) -> Callable[..., Any]:
    """The Ledger method `endpoint` serves, as a call to it: same name, same parameters."""
    function = getattr(Ledger, endpoint.method)
    signature = inspect.signature(function)
    offered = {p.name: TypeAdapter(p.annotation) for p in parameters(function, endpoint)}
    result: TypeAdapter[Any] = TypeAdapter(listed(result_type(function)))
    query = endpoint.in_query

    def call(self: RemoteLedger, *args: Any, **kwargs: Any) -> Any:
        given = signature.bind(self, *args, **kwargs).arguments
        values = {}
        for name, value in given.items():
            if name in offered:
                values[name] = offered[name].dump_python(value, mode="json")
            elif name in endpoint.omit and value is not None:
                raise InvalidInput(f"{name} is not offered over HTTP ({endpoint.method})")
        path = endpoint.path.format(
            **{name: quote(str(values.pop(name)), safe="") for name in endpoint.path_params}
        )
        if query:
            found = {name: value for name, value in values.items() if value is not None}
            answer = self.server.call(endpoint.verb, path, params=found)
        else:
            answer = self.server.call(endpoint.verb, path, json=values)
        return result.validate_python(answer)

    call.__name__ = call.__qualname__ = endpoint.method
    call.__doc__ = function.__doc__
    call.__signature__ = signature  # type: ignore[attr-defined]
    return call


# --- the rest: reports, integrity, exports, imports, operations ------------------------------

VERIFICATION: TypeAdapter[Verification] = TypeAdapter(Verification)
REPLAY: TypeAdapter[ReplayReport] = TypeAdapter(ReplayReport)
STATUSES: TypeAdapter[list[Status]] = TypeAdapter(list[Status])
SNAPPED: TypeAdapter[Snapped] = TypeAdapter(Snapped)
SUMMARY: TypeAdapter[Summary] = TypeAdapter(Summary)


def query(**values: Any) -> dict[str, Any]:
    """Query parameters: the given ones, dates and moments as ISO 8601."""
    return {
        name: value.isoformat() if hasattr(value, "isoformat") else value
        for name, value in values.items()
        if value is not None
    }


def snapped(response: httpx.Response) -> Snapped | None:
    text = response.headers.get("X-Report-Snapped")
    return SNAPPED.validate_json(text) if text else None


def columns(response: httpx.Response) -> tuple[str, ...]:
    return tuple(response.headers.get("X-Report-Columns", "").split(","))


def joined(by: Sequence[str]) -> str | None:
    return ",".join(by) or None


class RemoteReports:
    """`Reports`, over the server: each report's document, its table's columns, and the
    months an oversight range was snapped to."""

    standing = None  # the server catches its projections up: no position to state

    def __init__(self, server: Server) -> None:
        self.server = server

    def report(self, name: str, **values: Any) -> httpx.Response:
        path = f"/api/reports/{name}"
        return self.server.checked(self.server.request("GET", path, params=query(**values)))

    def table(self, name: str, **values: Any) -> Table:
        response = self.report(name, **values)
        return Table(columns(response), response.json()["groups"], snapped(response))

    def violations(self, request: ReportRequest, known_at: Moment = None) -> dict[str, Any]:
        return self.violations_snapped(request, known_at)[0]

    def violations_snapped(
        self, request: ReportRequest, known_at: Moment = None
    ) -> tuple[dict[str, Any], Snapped | None]:
        # Without --to the server ends the range as the service does: at --known-at's date,
        # else today.
        span = {"from": request.first, "to": request.last}
        response = self.report(
            "violations",
            by=joined(request.by),
            period=request.period,
            known_at=known_at,
            suppress_below=request.suppress_below,
            **span,
        )
        return response.json(), snapped(response)

    def violations_shown(
        self,
        request: ReportRequest,
        known_at: Moment = None,
        output: str = "table",
        keep: bool = True,
    ) -> tuple[Shown, Snapped | None]:
        """The server's document, shown here (the server keeps its answers, not this text)."""
        document, found = self.violations_snapped(request, known_at)
        return shown_as(document, shown_columns(request.dimensions, output), output), found

    def responses(self, request: ReportRequest, known_at: Moment = None) -> Table:
        span = {"from": request.first, "to": request.last}
        return self.table(
            "responses",
            by=joined(request.by),
            period=request.period,
            known_at=known_at,
            suppress_below=request.suppress_below,
            **span,
        )

    def disparities(self, request: DisparityRequest, known_at: Moment = None) -> Table:
        span = {"from": request.first, "to": request.last}
        return self.table(
            "disparities",
            by=request.by,
            reference=request.reference,
            metric=list(request.metrics),
            period=request.period,
            known_at=known_at,
            suppress_below=request.suppress_below,
            **span,
        )

    def cohorts(
        self,
        unit: str,
        follow: int = FOLLOW,
        by_month: bool = False,
        known_at: Moment = None,
        suppress_below: Below = None,
    ) -> CohortTable:
        response = self.report(
            "cohorts",
            start_period=unit,
            follow=follow,
            by_month=by_month or None,
            known_at=known_at,
            suppress_below=suppress_below,
        )
        document = response.json()
        complete_by = document["complete_by"]
        return CohortTable(
            columns(response),
            document["groups"],
            snapped(response),
            tuple(response.headers.get("X-Report-Table-Columns", "").split(",")),
            document["start_period"],
            document["follow_months"],
            date.fromisoformat(complete_by) if complete_by else None,
        )

    def caseload(
        self, on: date, by: Sequence[str], known_at: Moment = None, suppress_below: Below = None
    ) -> Table:
        return self.table(
            "caseload", on=on, by=",".join(by), known_at=known_at, suppress_below=suppress_below
        )

    def over_range(
        self,
        name: str,
        first: date | None,
        last: date,
        by: Sequence[str] = (),
        known_at: Moment = None,
        suppress_below: Below = None,
    ) -> Table:
        span = {"from": first, "to": last}
        return self.table(
            name, by=joined(by), known_at=known_at, suppress_below=suppress_below, **span
        )

    # as the Reports service names them (reports/service.py)
    discharges = partialmethod(over_range, "discharges")
    referrals = partialmethod(over_range, "referrals", by=())
    volunteers = partialmethod(over_range, "volunteers")

    def needs(
        self,
        first: date | None,
        last: date | None,
        by: Sequence[str] = ("risk",),
        known_at: Moment = None,
        suppress_below: Below = None,
    ) -> Table:
        span = {"from": first, "to": last}
        return self.table(
            "needs", by=joined(by), known_at=known_at, suppress_below=suppress_below, **span
        )

    def programmes(
        self,
        first: date | None,
        last: date | None,
        known_at: Moment = None,
        suppress_below: Below = None,
    ) -> Table:
        span = {"from": first, "to": last}
        return self.table("programmes", known_at=known_at, suppress_below=suppress_below, **span)

    def contacts(
        self,
        first: date | None,
        last: date | None,
        by: Sequence[str] = (),
        known_at: Moment = None,
        suppress_below: Below = None,
    ) -> Table:
        span = {"from": first, "to": last}
        return self.table(
            "contacts", by=joined(by), known_at=known_at, suppress_below=suppress_below, **span
        )

    def volunteer_supervision(
        self,
        first: date | None,
        last: date | None,
        by: Sequence[str] = (),
        suppress_below: Below = None,
    ) -> Table:
        span = {"from": first, "to": last}
        return self.table(
            "volunteer-supervision",
            by_agency="agency" in by or None,
            suppress_below=suppress_below,
            **span,
        )

    def justice_counts(
        self,
        year: int,
        month: int | None = None,
        known_at: Moment = None,
        suppress_below: Below = None,
    ) -> Table:
        return self.table(
            "justice-counts",
            year=year,
            month=month,
            known_at=known_at,
            suppress_below=suppress_below,
        )


class RemoteRunner:
    """`ProjectionRunner`, over the server: status, catch-up and rebuild."""

    def __init__(self, server: Server, names: tuple[str, ...], page_size: int | None) -> None:
        self.server, self.names, self.page_size = server, names, page_size

    def status(self) -> list[Status]:
        answer = self.server.call("GET", "/api/projections", params={"names": list(self.names)})
        return STATUSES.validate_python(answer)

    def catch_up(self, progress: Progress = None) -> int:
        body = {"names": list(self.names), "page_size": self.page_size}
        return int(self.server.call("POST", "/api/projections/catch-up", json=body)["applied"])

    def rebuild(self, names: Any = (), progress: Progress = None) -> int:
        body = {"names": list(names), "page_size": self.page_size}
        return int(self.server.call("POST", "/api/projections/rebuild", json=body)["applied"])


class RemoteResearch:
    """A de-identified export's lines, and its summary (known before the first line)."""

    def __init__(self, server: Server, response: httpx.Response) -> None:
        self.server, self.response = server, response
        self.summary = SUMMARY.validate_json(response.headers["X-Export-Summary"])

    def __iter__(self) -> Iterator[bytes]:
        return self.server.lines(self.response)


CLOSING = b'{"closing":'


def closed(chunks: Iterator[bytes], url: str) -> Iterator[bytes]:
    """The export's bytes, then an error if they do not end with its closing record: a server
    that fails part way ends its answer early, and a short export must not pass for whole."""
    tail = b""
    for chunk in chunks:
        tail = (tail + chunk)[-65536:]
        yield chunk
    if not tail.rstrip(b"\n").rpartition(b"\n")[2].startswith(CLOSING):
        raise LedgerError(
            f"the export from the server at {url} stopped before its closing record: it is "
            "incomplete (the server's log says why)"
        )


class RemoteLedger:
    """The methods the CLI calls on a Ledger, over a server's API, as the token's user:
    their `actor` is never sent (the server knows who the token names)."""

    access_log_page: Callable[..., ReadsPage]  # as every endpoint's call, set below

    def __init__(self, server: Server) -> None:
        self.server = server
        self.clock = utc_today  # a command's "today" is the user's, in UTC, as locally

    @property
    def notices(self) -> list[str]:
        return self.server.notices

    def close(self) -> None:
        self.server.close()

    def access_log(
        self, *, actor: str | None, client_ref: str | None = None, reader: str | None = None
    ) -> Iterator[ClientRecordRead | LedgerRead]:
        """Every read, as `Ledger.access_log` lists them: the server's pages, one after another
        (it sends the log a page at a time). The first is asked at once, so a refusal is
        raised here, as the ledger's own is."""
        asked = {"actor": actor, "client_ref": client_ref, "reader": reader, "limit": READS_A_PAGE}
        page = self.access_log_page(**asked)

        def reads(page: ReadsPage) -> Iterator[ClientRecordRead | LedgerRead]:
            yield from page.reads
            while page.next_after is not None:
                page = self.access_log_page(**asked, after=page.next_after)
                yield from page.reads

        return reads(page)

    def reports(self, *, actor: str | None, catch_up: bool = True) -> RemoteReports:
        """The server's reports: it catches its projections up (--no-catch-up is refused
        before this is called)."""
        del catch_up
        return RemoteReports(self.server)

    def verify(
        self, against: Digest | None = None, progress: Progress = None, *, actor: str | None
    ) -> Verification:
        body = {"against": against.line() if against else None}
        return VERIFICATION.validate_python(self.server.call("POST", "/api/verify", json=body))

    def replay(
        self, ref: str | None = None, progress: Progress = None, *, actor: str | None
    ) -> ReplayReport:
        return REPLAY.validate_python(self.server.call("POST", "/api/replay", json={"ref": ref}))

    def projection_runner(
        self, names: tuple[str, ...] = (), page_size: int | None = None, *, actor: str | None
    ) -> RemoteRunner:
        return RemoteRunner(self.server, tuple(names), page_size)

    def verify_projections(
        self, names: tuple[str, ...] = (), page_size: int | None = None, *, actor: str | None
    ) -> list[Finding]:
        body = {"names": list(names), "page_size": page_size}
        response = self.server.request("POST", "/api/projections/verify", json=body)
        if response.status_code == 409 and "findings" in response.json():
            return [Finding(f["name"], f["why"]) for f in response.json()["findings"]]
        self.server.checked(response)
        return []

    def export_lines(
        self,
        progress: Progress = None,
        *,
        actor: str | None,
        with_keys: bool = False,
        wrap_key_file: Path | None = None,
    ) -> Iterator[bytes]:
        if with_keys:
            raise operator_only("export --with-keys")
        return closed(self.server.lines(self.server.stream("/api/export")), self.server.url)

    def deidentified_lines(
        self,
        research_project: str | None = None,
        k: int | None = None,
        progress: Progress = None,
        *,
        actor: str | None,
    ) -> RemoteResearch:
        values = query(project=research_project, k=k)
        return RemoteResearch(
            self.server, self.server.stream("/api/export/deidentified", params=values)
        )

    def import_csv(
        self,
        source: Path,
        mapping: Path,
        progress: Progress = None,
        *,
        actor: str | None,
        signed_in: Callable[[], bool] | None = None,
        again: bool = False,
        name: str | None = None,
    ) -> tuple[int, int]:
        """`signed_in` is the server's to ask, of the token this client sent: none here; the
        file's `name` is sent as `filename` (its own, unless given)."""
        from reentry_ledger.ingest.mapped import load_mapping

        load_mapping(mapping)  # a bad mapping is refused here, naming the file as given
        values: dict[str, Any] = {
            "mapping": mapping.read_text(encoding="utf-8"),
            "filename": name or str(source),
            "mapping_filename": str(mapping),
        }
        if again:
            values["again"] = "true"
        with source.open("rb") as body:
            answer = self.server.call(
                "POST",
                "/api/imports/csv",
                params=values,
                content=body,
                headers={"Content-Type": "text/csv"},
            )
        return int(answer["rows"]), int(answer["events"])

    def import_jsonl(self, *args: Any, **kwargs: Any) -> int:
        raise operator_only("import --format jsonl")

    def import_iowa(self, *args: Any, **kwargs: Any) -> Any:
        raise operator_only("import --format iowa")

    def build_demo(self, *args: Any, **kwargs: Any) -> Any:
        raise operator_only("demo")


for _endpoint in ENDPOINTS:
    setattr(RemoteLedger, _endpoint.method, remote_call(_endpoint))


def connect(url: str, token: str | None) -> Ledger:
    """The ledger a server serves, as the user `token` names, for the CLI's commands."""
    return cast(Ledger, RemoteLedger(Server(url, token or "")))
