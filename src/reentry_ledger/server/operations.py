"""Endpoints beyond one client: reports, integrity (verify, digest), replay, exports, imports
and projections, each calling the application as the CLI's command does, as the user the
request comes from. What a report's table needs beside its JSON document (its columns, the
months an oversight range was snapped to) and an export's summary travel in headers, so the
CLI's client for a server prints exactly what the command prints against a database.

Not offered here, by design (ADR 0019): `demo`, `key`, restores (`import --format jsonl|iowa`),
the custodian's backup (`export --with-keys`) and `serve`: operators run them with the
database's credentials, on its machine.
"""

from __future__ import annotations

import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path, PurePath
from typing import Annotated, Any

import orjson
from fastapi import APIRouter, Depends, FastAPI, Query, Request, Security
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import FileResponse, JSONResponse, Response, StreamingResponse
from pydantic import AfterValidator, BaseModel, BeforeValidator, ConfigDict, Field, TypeAdapter
from pydantic_core import to_jsonable_python
from starlette.background import BackgroundTask

from reentry_ledger import notices
from reentry_ledger.application import Ledger
from reentry_ledger.contract import EXIT_BY_ERROR, STATUS_BY_ERROR
from reentry_ledger.domain.checks import EARLIEST, LATEST, EventDate, EventMoment, Line
from reentry_ledger.domain.codes import REVOCATION_WINDOW_DAYS
from reentry_ledger.domain.errors import LedgerError
from reentry_ledger.export.deidentified import Summary
from reentry_ledger.projections.verify import Finding as ProjectionFinding
from reentry_ledger.reports import contacts as contact_reports
from reentry_ledger.reports.cohorts import FOLLOW, START_PERIODS
from reentry_ledger.reports.dimensions import CLIENT_DIMENSIONS, DIMENSIONS
from reentry_ledger.reports.disparities import CODES, METRICS, DisparityRequest, parse_metrics
from reentry_ledger.reports.needs import parse_needs_dimensions
from reentry_ledger.reports.periods import UNITS
from reentry_ledger.reports.requests import check_range, parse_client_dimensions, parse_dimensions
from reentry_ledger.reports.service import CohortTable, Table
from reentry_ledger.reports.shown import DOCUMENT
from reentry_ledger.reports.snapping import Snapped
from reentry_ledger.reports.violations import ReportRequest
from reentry_ledger.server.auth import BEARER, authenticated_first, authenticated_user
from reentry_ledger.server.errors import ERROR_RESPONSES, ErrorBody, ErrorDetail, error_response
from reentry_ledger.server.service import LedgerService
from reentry_ledger.verification import DIGEST_LINE, Digest, Verification

# Headers beside a JSON answer (the CLI's client reads them back).
COLUMNS = "X-Report-Columns"  # a report table's columns, comma-separated
SNAPPED = "X-Report-Snapped"  # JSON: the range (and moment) a report was snapped to
SHOWN = "X-Report-Table-Columns"  # a cohort table's columns as a table shows them (fewer)
SUMMARY = "X-Export-Summary"  # JSON: what a de-identified export released and withheld
NDJSON = "application/x-ndjson"

SUMMARY_JSON: TypeAdapter[Summary] = TypeAdapter(Summary)

BY_HELP = f"Comma-separated: {','.join(DIMENSIONS)} (as the CLI's --by)."
CLIENT_BY_HELP = f"Comma-separated: {','.join(CLIENT_DIMENSIONS)}."
SUPPRESS_HELP = (
    "Hide counts from 1 to K-1, and every value or total that would give one away "
    "(oversight: K is at least 10)."
)


def none_if_blank(value: Any) -> Any:
    return None if value == "" else value


def one_of(allowed: tuple[str, ...]) -> Callable[[str | None], str | None]:
    def checked(value: str | None) -> str | None:
        if value is not None and value not in allowed:
            raise ValueError(f"must be one of {', '.join(allowed)}")
        return value

    return checked


calendar_unit = one_of(UNITS)


# Query parameters, as the CLI's options of the same names; one left blank (`from=`, as a
# form sends an empty field) is one not given.
Blank = BeforeValidator(none_if_blank)
First = Annotated[
    EventDate | None,
    Blank,
    Query(alias="from", description="First day, inclusive (default: the earliest enrolment)."),
]
Last = Annotated[
    EventDate | None,
    Blank,
    Query(
        alias="to",
        description="Last day, inclusive, not after today nor known_at's day (oversight: cut "
        "to the whole months ended by then) (default: known_at's day, else today, UTC).",
    ),
]
KnownAt = Annotated[
    EventMoment | None,
    Blank,
    Query(description="What the ledger said at that moment (ISO 8601)."),
]
Suppress = Annotated[Annotated[int, Field(ge=2)] | None, Blank, Query(description=SUPPRESS_HELP)]
RevocationWindow = Annotated[
    Annotated[int, Field(ge=1)] | None,
    Blank,
    Query(
        description="A revoked term is attributed to the most serious violation dated in the "
        f"days before its revocation decision (default: {REVOCATION_WINDOW_DAYS})."
    ),
]
ExcludeDismissed = Annotated[
    bool | None,
    Blank,
    Query(
        description="Set aside new offences whose charge was dismissed or acquitted: in the "
        "counts and in what revocations are attributed to."
    ),
]
By = Annotated[str | None, Query(description=BY_HELP)]
ClientBy = Annotated[str | None, Query(description=CLIENT_BY_HELP)]
Unit = Annotated[
    str | None,
    Blank,
    AfterValidator(calendar_unit),
    Query(description=f"Split by calendar period: {', '.join(UNITS)}."),
]
Day = Annotated[
    EventDate | None,
    Blank,
    Query(
        description="The day, not after today nor known_at's day (oversight: cut to the whole "
        "months ended by then) (default: known_at's day, else today, UTC)."
    ),
]
Compared = Annotated[
    str | None,
    Blank,
    Query(description=f"The groups compared: {', '.join(CODES)} (default: race)."),
]
Reference = Annotated[
    str | None,
    Blank,
    Query(
        description="The group the others are compared with (default: white for race, else "
        "the group with the most days at risk)."
    ),
]
Metrics = Annotated[
    list[str],
    Query(description=f"Repeatable: {', '.join(METRICS)}, all (default: all)."),
]
StartPeriod = Annotated[
    str | None,
    Blank,
    AfterValidator(one_of(START_PERIODS)),
    Query(
        description=f"Group terms by when they started: {', '.join(START_PERIODS)} "
        "(default: year; fiscal years run July to June, named by the year they end in)."
    ),
]
Follow = Annotated[
    Annotated[int, Field(ge=1, le=240)] | None,
    Blank,
    Query(description=f"Months each term is followed from its start (default: {FOLLOW})."),
]
ByMonth = Annotated[
    bool | None,
    Blank,
    Query(description="The cumulative counts and rates by month of follow-up instead."),
]
Year = Annotated[int, Query(ge=EARLIEST.year, le=LATEST.year, description="Calendar year.")]
Month = Annotated[
    Annotated[int, Field(ge=1, le=12)] | None,
    Blank,
    Query(description="Only this month's rows (1-12; default: the year's months and annual rows)."),
]
Names = Annotated[list[str], Query(description="Projections (default: all).")]
Project = Annotated[
    Line | None,  # no control character; blank or padded, the application says so
    Query(description="A research project (auditors): pseudonyms stable across its exports."),
]
K = Annotated[
    int | None,
    Query(
        ge=1,
        description="Every released combination holds at least K clients "
        "(default 5; oversight: at least 5).",
    ),
]
MappingText = Annotated[
    str,
    Query(
        max_length=64_000,
        description="The mapping (TOML text): which columns and rows "
        "make which events (docs/import.md).",
    ),
]
FileName = Annotated[str, Query(max_length=500, description="The file's name, as errors name it.")]


class ReportDocument(BaseModel):
    """A report, as `report ... --format json` prints it."""

    groups: list[dict[str, Any]] = Field(
        description='Each group\'s values; one hidden under the small-count rules is "withheld" '
        '(docs/metrics.md, "Small counts").'
    )
    definitions_version: str
    snapped_to_months: bool | None = Field(
        None, description="Present (true) when the range was snapped to whole months."
    )
    snapped: dict[str, str | None] | None = Field(
        None,
        description="Present when snapped: the range's first and last days and the moment "
        "known at (null when not given), as the X-Report-Snapped header says them.",
    )


class CohortDocument(ReportDocument):
    """A cohort report, as `report cohorts --format json` prints it."""

    start_period: str
    follow_months: int
    complete_by: str | None = Field(description="Terms whose follow-up ends later are left out.")


class DigestAnswer(BaseModel):
    position: int
    sha256: str
    line: str = Field(description="The line to publish, as `digest` prints it.")


class Whoami(BaseModel):
    name: str
    role: str | None
    agency: str | None


class Applied(BaseModel):
    applied: int = Field(description="Events read from the event log.")


class Imported(BaseModel):
    rows: int
    events: int


class ProjectionState(BaseModel):
    name: str
    description: str
    position: int
    head: int
    building: bool
    lag: int | None
    state: str


class VerifyRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")
    against: str | None = Field(
        None, description="A line printed by `digest`: prove the ledger up to its position."
    )


class ReplayRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")
    ref: str | None = Field(None, description="One client; default: every client.")


class ProjectionsRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")
    names: list[str] = Field(default_factory=list, description="Default: every projection.")
    page_size: int | None = Field(None, ge=1, description="Log positions per transaction.")


class ProjectionsVerified(BaseModel):
    verified: bool


class Finding(BaseModel):
    name: str
    why: str


class FindingsBody(ErrorBody):
    """A failed projection check: the error, and each damaged projection."""

    findings: list[Finding]


def answer(value: Any, ledger: Ledger, headers: dict[str, str] | None = None) -> JSONResponse:
    """The value as JSON, with the notices the command would print."""
    return JSONResponse(to_jsonable_python(value), headers=with_notices(ledger, headers))


def json_answer(text: str, ledger: Ledger, headers: dict[str, str] | None = None) -> Response:
    """JSON written already (a report read back as it was sent), as `answer` sends a value."""
    return Response(text, media_type="application/json", headers=with_notices(ledger, headers))


def with_notices(ledger: Ledger, headers: dict[str, str] | None) -> dict[str, str]:
    return {**(headers or {}), **noticed(ledger)}


def noticed(ledger: Ledger) -> dict[str, str]:
    return {notices.HEADER: notices.header_value(ledger.notices)} if ledger.notices else {}


def snapped_header(snapped: Snapped | None) -> dict[str, str]:
    return {SNAPPED: orjson.dumps(snapped.as_json()).decode()} if snapped else {}


def table_answer(table: Table, ledger: Ledger) -> JSONResponse:
    headers = {COLUMNS: ",".join(table.columns), **snapped_header(table.snapped)}
    if isinstance(table, CohortTable):
        headers[SHOWN] = ",".join(table.shown_columns)
    return answer(table.as_document(), ledger, headers)


def broken(result: Verification, ledger: Ledger) -> JSONResponse | None:
    """For a ledger that does not verify, the error the CLI reports (exit 6), with the
    notices it prints after it."""
    if result.broken is None:
        return None
    message = f"verification failed at {result.broken}"
    return error_response("verification_failed", message, noticed(ledger))


def digest_line(text: str) -> Digest:
    """A digest line as the API takes it: the line itself, never a file on the server (the
    CLI reads a file it is given and sends its line). Anything else gets `Digest.parse`'s own
    refusal: asked about "", it looks at no file ("" is the working folder)."""
    return Digest.parse(text if DIGEST_LINE.fullmatch(text.strip()) else "")


def install(app: FastAPI, service: LedgerService, user: Callable[..., str]) -> None:
    for router in (
        reports_router(service, user),
        audit_router(service, user),
        operations_router(service, user),
    ):
        app.include_router(router)


def api_router(prefix: str, tag: str, user: Callable[..., str]) -> APIRouter:
    """Routes that know who asks before they read a body (auth.authenticated_first)."""
    return APIRouter(
        prefix=prefix,
        tags=[tag],
        responses=ERROR_RESPONSES,
        route_class=authenticated_first(user),
        dependencies=[Security(BEARER)],
    )


def reports_router(service: LedgerService, user: Callable[..., str]) -> APIRouter:
    """Every `report` subcommand: caseworkers, supervisors, auditors and oversight."""
    router = api_router("/api/reports", "reports", user)

    @router.get(
        "/violations",
        response_model=ReportDocument,
        summary="Technical violations against new offences, and the revocations each drives, "
        "by group: the document `report violations --format json` prints.",
    )
    def violations(
        who: str = Depends(authenticated_user),
        by: By = None,
        period: Unit = None,
        first: First = None,
        last: Last = None,
        known_at: KnownAt = None,
        suppress_below: Suppress = None,
        window: RevocationWindow = None,
        exclude_dismissed: ExcludeDismissed = None,
    ) -> Response:
        with service.use() as ledger:
            request = ReportRequest(
                today=ledger.clock(),
                by=parse_dimensions(by),
                period=period,
                first=first,
                last=last,
                suppress_below=suppress_below,
                window=REVOCATION_WINDOW_DAYS if window is None else window,
                exclude_dismissed=bool(exclude_dismissed),
            )
            check_range(first, last)
            reports = ledger.reports(actor=who)
            shown, snapped = reports.violations_shown(request, known_at, output=DOCUMENT)
            # the document as sent before, read back while the projections stand (ADR 47)
            return json_answer(shown.text, ledger, snapped_header(snapped))

    @router.get(
        "/responses",
        response_model=ReportDocument,
        summary="Incentives beside sanctions per 100 person-years at risk, decisions by "
        "response and recommendations, by group: the document `report responses --format "
        "json` prints.",
    )
    def responses(
        who: str = Depends(authenticated_user),
        by: By = None,
        period: Unit = None,
        first: First = None,
        last: Last = None,
        known_at: KnownAt = None,
        suppress_below: Suppress = None,
    ) -> JSONResponse:
        check_range(first, last)
        with service.use() as ledger:
            request = ReportRequest(
                today=ledger.clock(),
                by=parse_dimensions(by),
                period=period,
                first=first,
                last=last,
                suppress_below=suppress_below,
            )
            table = ledger.reports(actor=who).responses(request, known_at)
            return table_answer(table, ledger)

    @router.get(
        "/disparities",
        response_model=ReportDocument,
        summary="Each group's rate per 100 person-years at risk beside a reference group's, "
        "with the rate ratio and its 95% interval: the document `report disparities "
        "--format json` prints.",
    )
    def disparities(
        who: str = Depends(authenticated_user),
        by: Compared = None,
        reference: Reference = None,
        metric: Metrics = [],  # noqa: B006 - FastAPI copies a query default; never mutated
        period: Unit = None,
        first: First = None,
        last: Last = None,
        known_at: KnownAt = None,
        suppress_below: Suppress = None,
    ) -> JSONResponse:
        check_range(first, last)
        with service.use() as ledger:
            request = DisparityRequest(
                today=ledger.clock(),
                by=by or "race",
                reference=reference,
                metrics=parse_metrics(metric),
                period=period,
                first=first,
                last=last,
                suppress_below=suppress_below,
            )
            table = ledger.reports(actor=who).disparities(request, known_at)
            return table_answer(table, ledger)

    @router.get(
        "/cohorts",
        response_model=CohortDocument,
        summary="Of the terms starting in each period, the share with a first technical "
        "violation, a first new offence and a revocation within the follow-up: the document "
        "`report cohorts --format json` prints.",
    )
    def cohorts(
        who: str = Depends(authenticated_user),
        start_period: StartPeriod = None,
        follow: Follow = None,
        by_month: ByMonth = None,
        known_at: KnownAt = None,
        suppress_below: Suppress = None,
    ) -> JSONResponse:
        unit, months = start_period or "year", follow or FOLLOW
        with service.use() as ledger:
            reports = ledger.reports(actor=who)
            table = reports.cohorts(unit, months, bool(by_month), known_at, suppress_below)
            return table_answer(table, ledger)

    @router.get(
        "/caseload",
        response_model=ReportDocument,
        summary="Clients under supervision on a day, per agency and officer (or other groups).",
    )
    def caseload(
        who: str = Depends(authenticated_user),
        on: Day = None,
        by: ClientBy = "agency,officer",
        known_at: KnownAt = None,
        suppress_below: Suppress = None,
    ) -> JSONResponse:
        dimensions = parse_client_dimensions(by)
        with service.use() as ledger:
            reports = ledger.reports(actor=who)
            table = reports.caseload(on, dimensions, known_at, suppress_below)
            return table_answer(table, ledger)

    def grouped_over_range(name: str, summary: str) -> None:
        """A casework report over a range, grouped as asked: discharges, volunteers."""

        @router.get(f"/{name}", response_model=ReportDocument, summary=summary, name=name)
        def report(
            who: str = Depends(authenticated_user),
            first: First = None,
            last: Last = None,
            by: ClientBy = None,
            known_at: KnownAt = None,
            suppress_below: Suppress = None,
        ) -> JSONResponse:
            check_range(first, last)
            dimensions = parse_client_dimensions(by)
            with service.use() as ledger:
                reports = ledger.reports(actor=who)
                table = reports.over_range(name, first, last, dimensions, known_at, suppress_below)
                return table_answer(table, ledger)

    grouped_over_range(
        "discharges", "Discharges by outcome, and as successful, neutral and unsuccessful."
    )
    grouped_over_range(
        "volunteers",
        "Volunteer matches begun and ended in the range, active at its end, median days matched.",
    )

    @router.get(
        "/referrals",
        response_model=ReportDocument,
        summary="Referrals made in the range, by service: accepted, started, completed, "
        "dropped, and the median days from referral to start.",
    )
    def referrals(
        who: str = Depends(authenticated_user),
        first: First = None,
        last: Last = None,
        known_at: KnownAt = None,
        suppress_below: Suppress = None,
    ) -> JSONResponse:
        check_range(first, last)
        with service.use() as ledger:
            reports = ledger.reports(actor=who)
            table = reports.referrals(first, last, known_at=known_at, suppress_below=suppress_below)
            return table_answer(table, ledger)

    @router.get(
        "/needs",
        response_model=ReportDocument,
        summary="Of clients assessed with each criminogenic need, the shares referred to a "
        "matching service within 30 and 90 days, started and completed, by risk level: the "
        "document `report needs --format json` prints.",
    )
    def needs(
        who: str = Depends(authenticated_user),
        first: First = None,
        last: Last = None,
        by: Annotated[
            str,
            Query(
                description="Comma-separated groups (risk, agency, officer, supervision, juvenile)."
            ),
        ] = "risk",
        known_at: KnownAt = None,
        suppress_below: Suppress = None,
    ) -> JSONResponse:
        check_range(first, last)
        dimensions = parse_needs_dimensions(by)
        with service.use() as ledger:
            reports = ledger.reports(actor=who)
            table = reports.needs(first, last, dimensions, known_at, suppress_below)
            return table_answer(table, ledger)

    @router.get(
        "/programmes",
        response_model=ReportDocument,
        summary="Per group programme: places begun, sessions held, attendance, places ended by "
        "outcome, attendance and completion rates.",
    )
    def programmes(
        who: str = Depends(authenticated_user),
        first: First = None,
        last: Last = None,
        known_at: KnownAt = None,
        suppress_below: Suppress = None,
    ) -> JSONResponse:
        check_range(first, last)
        with service.use() as ledger:
            reports = ledger.reports(actor=who)
            table = reports.programmes(first, last, known_at, suppress_below)
            return table_answer(table, ledger)

    @router.get(
        "/contacts",
        response_model=ReportDocument,
        summary="Client-months against the supervision level's contact standard, those that "
        "met it, and contacts by kind.",
    )
    def contacts(
        who: str = Depends(authenticated_user),
        first: First = None,
        last: Last = None,
        by: Annotated[
            str | None, Query(description="Comma-separated groups (officer, agency, level).")
        ] = None,
        known_at: KnownAt = None,
        suppress_below: Suppress = None,
    ) -> JSONResponse:
        check_range(first, last)
        dimensions = contact_reports.parse_dimensions(by)
        with service.use() as ledger:
            reports = ledger.reports(actor=who)
            table = reports.contacts(first, last, dimensions, known_at, suppress_below)
            return table_answer(table, ledger)

    @router.get(
        "/volunteer-supervision",
        response_model=ReportDocument,
        summary="Volunteers' supervision sessions per active volunteer-month, by agency if asked.",
    )
    def volunteer_supervision(
        who: str = Depends(authenticated_user),
        first: First = None,
        last: Last = None,
        by_agency: Annotated[bool, Query(description="Split by agency.")] = False,
        suppress_below: Suppress = None,
    ) -> JSONResponse:
        check_range(first, last)
        with service.use() as ledger:
            reports = ledger.reports(actor=who)
            by = ("agency",) if by_agency else ()
            table = reports.volunteer_supervision(first, last, by, suppress_below)
            return table_answer(table, ledger)

    @router.get(
        "/justice-counts",
        response_model=ReportDocument,
        summary="The Justice Counts supervision metrics the ledger can fill, month by month: "
        "the document `report justice-counts --format json` prints.",
    )
    def justice_counts(
        year: Year,
        who: str = Depends(authenticated_user),
        month: Month = None,
        known_at: KnownAt = None,
        suppress_below: Suppress = None,
    ) -> JSONResponse:
        with service.use() as ledger:
            reports = ledger.reports(actor=who)
            table = reports.justice_counts(year, month, known_at, suppress_below)
            return table_answer(table, ledger)

    return router


def second_ledger(service: LedgerService) -> Ledger:
    """A ledger of the request's own, on the served database: a long export reads through it
    without holding the service's lock (other requests go on meanwhile)."""
    return Ledger(service.ledger.backend, clock=service.ledger.clock)


# Bytes of lines sent at once: a line a send took a thread hop and a socket write each, some
# twelve times the CLI's export at a million events
CHUNK_BYTES = 256 * 1024


def closing(lines: Iterator[bytes], ledger: Ledger) -> Iterator[bytes]:
    """`lines` gathered into chunks of about `CHUNK_BYTES` (a stream still: one chunk held at a
    time; the first line sent alone, so the answer starts at once), then the ledger closed."""
    try:
        first = next(lines, None)
        if first is not None:
            yield first
        chunk: list[bytes] = []
        size = 0
        for line in lines:
            chunk.append(line)
            size += len(line)
            if size >= CHUNK_BYTES:
                yield b"".join(chunk)
                chunk, size = [], 0
        if chunk:
            yield b"".join(chunk)
    finally:
        ledger.close()


def audit_router(service: LedgerService, user: Callable[..., str]) -> APIRouter:
    """Integrity and exports: auditors (de-identified exports: oversight too); who am I."""
    router = api_router("/api", "audit", user)

    @router.get(
        "/whoami",
        response_model=Whoami,
        summary="The signed-in user: name, role and agency (every user).",
    )
    def whoami(who: str = Depends(authenticated_user)) -> JSONResponse:
        with service.use() as ledger:
            return answer(ledger.actor(who), ledger)

    @router.get(
        "/digest",
        response_model=DigestAnswer,
        summary="The ledger's head, to publish, once every hash verifies (as `digest`; "
        "auditors). A broken ledger answers verification_failed (exit 6).",
    )
    def digest(who: str = Depends(authenticated_user)) -> JSONResponse:
        with service.use() as ledger:
            result = ledger.verify(actor=who)
            head = result.digest
            found = {"position": head.position, "sha256": head.value, "line": head.line()}
            return broken(result, ledger) or answer(found, ledger)

    @router.post(
        "/verify",
        response_model=Verification,
        summary="Recompute every hash and the running digest, optionally against a published "
        "digest line (as `verify`; auditors). A broken ledger answers verification_failed "
        "(exit 6), naming the first broken link.",
    )
    def verify(
        who: str = Depends(authenticated_user), body: VerifyRequest | None = None
    ) -> JSONResponse:
        against = body.against if body else None
        reference = digest_line(against) if against else None
        with service.use() as ledger:
            result = ledger.verify(reference, actor=who)
            return broken(result, ledger) or answer(result, ledger)

    @router.get(
        "/export",
        response_class=StreamingResponse,
        summary="Every event as JSON lines, then the closing record: the auditor's export "
        "(as `export`, without client keys; auditors). Streamed.",
    )
    def export(who: str = Depends(authenticated_user)) -> StreamingResponse:
        ledger = second_ledger(service)
        try:
            lines = ledger.export_lines(actor=who)
        except BaseException:
            ledger.close()
            raise
        headers = noticed(ledger)
        return StreamingResponse(closing(lines, ledger), media_type=NDJSON, headers=headers)

    @router.get(
        "/export/deidentified",
        response_class=FileResponse,
        summary="The research export, as `export --deidentified` (auditors, oversight); what "
        f"it released and withheld in the {SUMMARY} header.",
    )
    def deidentified(
        who: str = Depends(authenticated_user), project: Project = None, k: K = None
    ) -> FileResponse:
        # The export sorts its records on disk before its first line, in one thread: they are
        # written to a file of the request's own, then sent from it, then the file removed.
        folder = tempfile.TemporaryDirectory(prefix="reentry-export-")
        target = Path(folder.name) / "deidentified.jsonl"
        ledger = second_ledger(service)
        try:
            research = ledger.deidentified_lines(project, k, actor=who)
            with target.open("wb") as stream:
                stream.writelines(research)
            summary = SUMMARY_JSON.dump_json(research.summary).decode()
            headers = {SUMMARY: summary, **noticed(ledger)}
        except BaseException:
            folder.cleanup()
            raise
        finally:
            ledger.close()
        cleanup = BackgroundTask(folder.cleanup)
        return FileResponse(target, media_type=NDJSON, headers=headers, background=cleanup)

    return router


def operations_router(service: LedgerService, user: Callable[..., str]) -> APIRouter:
    """Replay, projections and imports: supervisors and auditors (a CSV import: supervisors)."""
    router = api_router("/api", "operations", user)

    @router.post(
        "/replay",
        summary="Rebuild clients' state from their events: one client, or every client "
        "(as `replay`; supervisors, auditors).",
    )
    def replay(
        who: str = Depends(authenticated_user), body: ReplayRequest | None = None
    ) -> JSONResponse:
        with service.use() as ledger:
            return answer(ledger.replay(body.ref if body else None, actor=who), ledger)

    @router.get(
        "/projections",
        response_model=list[ProjectionState],
        summary="Each projection's position in the event log and its lag "
        "(as `projections status`; supervisors, auditors).",
    )
    def projections_status(
        who: str = Depends(authenticated_user),
        names: Names = [],  # noqa: B006 - FastAPI copies a query default; never mutated
    ) -> JSONResponse:
        with service.use() as ledger:
            statuses = ledger.projection_runner(tuple(names), actor=who).status()
            rows = [{**to_jsonable_python(s), "lag": s.lag, "state": s.state} for s in statuses]
            return answer(rows, ledger)

    @router.post(
        "/projections/catch-up",
        response_model=Applied,
        summary="Apply the events recorded since each projection's position "
        "(as `projections catch-up`; supervisors, auditors).",
    )
    def catch_up(
        who: str = Depends(authenticated_user), body: ProjectionsRequest | None = None
    ) -> JSONResponse:
        asked = body or ProjectionsRequest()
        with service.use() as ledger:
            runner = ledger.projection_runner(tuple(asked.names), asked.page_size, actor=who)
            return answer({"applied": runner.catch_up()}, ledger)

    @router.post(
        "/projections/rebuild",
        response_model=Applied,
        summary="Rebuild projections from the start of the event log "
        "(as `projections rebuild`; supervisors, auditors).",
    )
    def rebuild(
        who: str = Depends(authenticated_user), body: ProjectionsRequest | None = None
    ) -> JSONResponse:
        asked = body or ProjectionsRequest()
        with service.use() as ledger:
            runner = ledger.projection_runner(page_size=asked.page_size, actor=who)
            return answer({"applied": runner.rebuild(tuple(asked.names))}, ledger)

    @router.post(
        "/projections/verify",
        response_model=ProjectionsVerified,
        responses={409: {"model": FindingsBody}},
        summary="Check projections against the events (as `projections verify`; supervisors, "
        "auditors). Damaged ones answer verification_failed (exit 6), each named.",
    )
    def verify_projections(
        who: str = Depends(authenticated_user), body: ProjectionsRequest | None = None
    ) -> JSONResponse:
        asked = body or ProjectionsRequest()
        with service.use() as ledger:
            found = ledger.verify_projections(tuple(asked.names), asked.page_size, actor=who)
            if not found:
                return answer({"verified": True}, ledger)
        return damaged(found)

    @router.post(
        "/imports/csv",
        response_model=Imported,
        openapi_extra={
            "requestBody": {
                "required": True,
                "content": {"text/csv": {"schema": {"type": "string", "format": "binary"}}},
            }
        },
        summary="Import legacy records, all or nothing, as `import --format csv`: the CSV file "
        "as the request body (text/csv), its mapping as a query parameter (supervisors).",
    )
    async def import_csv(
        request: Request,
        mapping: MappingText,
        who: str = Depends(authenticated_user),
        filename: FileName = "upload.csv",
        mapping_filename: FileName = "mapping.toml",
        again: bool = False,
    ) -> JSONResponse:
        def may_import() -> None:  # before a byte is taken: a refused upload fills no disk
            with service.use() as ledger:
                ledger.csv_importer(who)

        await run_in_threadpool(may_import)
        with tempfile.TemporaryDirectory(prefix="reentry-import-") as folder:
            source, rules = Path(folder) / "upload.csv", Path(folder) / "mapping.toml"
            rules.write_text(mapping, encoding="utf-8")
            with source.open("wb") as stream:
                async for chunk in request.stream():
                    stream.write(chunk)

            token: str | None = getattr(request.state, "bearer", None)  # None: a proxy named who

            def run() -> JSONResponse:
                with service.use() as ledger:

                    def signed_in() -> bool:
                        return token is not None and ledger.authenticate_bearer(token) == who

                    rows, events = ledger.import_csv(
                        source, rules, actor=who, signed_in=signed_in if token else None,
                        again=again, name=PurePath(filename).name,
                    )  # fmt: skip
                    return answer({"rows": rows, "events": events}, ledger)

            try:
                return await run_in_threadpool(run)
            except LedgerError as error:
                stored = {str(source): filename, str(rules): mapping_filename}
                raise named(error, stored) from None

    return router


def named(error: LedgerError, names: dict[str, str]) -> LedgerError:
    """The error, naming the files as the client named them, not as this server stored them."""
    message = str(error)
    for stored, given in names.items():
        message = message.replace(stored, given)
    error.args = (message,)
    return error


def damaged(found: list[ProjectionFinding]) -> JSONResponse:
    """verification_failed, naming each damaged projection (the CLI prints a line for each)."""
    detail = ErrorDetail(
        type="verification_failed",
        exit_code=EXIT_BY_ERROR["verification_failed"],
        message="; ".join(finding.message for finding in found),
    )
    findings = [Finding(name=finding.name, why=finding.why) for finding in found]
    body = FindingsBody(error=detail, findings=findings)
    return JSONResponse(body.model_dump(), status_code=STATUS_BY_ERROR["verification_failed"])
