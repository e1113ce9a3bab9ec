"""The reports an agency or oversight body asks for; each catches its projections up first, or
(on a read replica) reads them as they stand and says how far they reach."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import date, datetime, timedelta
from functools import partialmethod, wraps
from itertools import groupby
from typing import Any, Concatenate, ParamSpec, TypeVar
from uuid import UUID

from reentry_ledger import __version__
from reentry_ledger.application import Ledger
from reentry_ledger.authorization import NotPermitted, Permission, raised_floor_note
from reentry_ledger.domain.client import Client
from reentry_ledger.domain.codes import REVOCATION_WINDOW_DAYS
from reentry_ledger.domain.errors import Conflict, InvalidInput
from reentry_ledger.projections.base import moment
from reentry_ledger.projections.runner import ProjectionRunner
from reentry_ledger.projections.standing import LIVE, Standing, as_they_stand
from reentry_ledger.projections.store import ProjectionStore
from reentry_ledger.reports import answers, casework, cohorts, contacts, needs, programmes, tallies
from reentry_ledger.reports import volunteers as volunteer_reports
from reentry_ledger.reports.disparities import DisparityRequest, disparities
from reentry_ledger.reports.due import WorkList, in_order, readable_candidates, work_list
from reentry_ledger.reports.facts import ClientFacts, FactReader
from reentry_ledger.reports.justice_counts import (
    COLUMNS,
    justice_counts,
    last_of_month,
    suppressed,
)
from reentry_ledger.reports.kept import kept_segments
from reentry_ledger.reports.output import shows_safely
from reentry_ledger.reports.responses import COLUMNS as RESPONSE_COLUMNS
from reentry_ledger.reports.responses import report as responses_report
from reentry_ledger.reports.shown import Shown, kept_rows, kept_shown, reports_code, shown_as
from reentry_ledger.reports.snapping import Snapped, moment_start, month_end, month_start
from reentry_ledger.reports.suppression import suppress, threshold
from reentry_ledger.reports.tallies import Sums
from reentry_ledger.reports.violations import (
    DEFINITIONS_VERSION,
    ReportRequest,
    report,
    shown_columns,
)
from reentry_ledger.timeline import as_utc

Asked = TypeVar("Asked", ReportRequest, DisparityRequest)
Made = TypeVar("Made")
Given = ParamSpec("Given")
# The start of the statements a report's sums by part of the clients are kept under
# (`Reports.sums_by_part`): no statement of the violation report's starts so
BY_PART = "sums by part of the clients: "
READINGS = 2  # a report read again once where a rebuild cleared its projections meanwhile


def parts_by(dimensions: Sequence[str]) -> tuple[str, ...]:
    """The parts of the clients a report by `dimensions` is kept in (`Reports.sums_by_part`):
    by officer 16, else 256; some 3,000 officers at ten million events, in each of 256 parts,
    would be too many groups to keep by part (answers.PART_GROUPS_MOST)."""
    return answers.PARTS if "officer" in dimensions else answers.FINE_PARTS


def by_parts(
    sums_of: Callable[[Iterable[ClientFacts]], Sums],
) -> Callable[[FactReader, int], dict[str, Sums]]:
    """What counts a report by part of the clients (`Reports.sums_by_part`) where `sums_of`
    gives the sums of any clients' facts: each part's from its own clients (the first
    `length` characters of their ids; "" for every client)."""

    def count(facts: FactReader, length: int) -> dict[str, Sums]:
        parts = groupby(facts.clients(), key=lambda client: client.client_id[:length])
        return {part: sums_of(clients) for part, clients in parts}

    return count


def settled(
    make: Callable[Concatenate[Reports, Given], Made],
) -> Callable[Concatenate[Reports, Given], Made]:
    """A report made from projections no rebuild cleared while it read them.

    A report catches its projections up, then reads them in several transactions; a
    `projections rebuild` elsewhere may clear them in between, and the report read emptied
    tables (it printed "(no groups)", exit 0). So the projections' count of clears is read
    as the report's reading begins (before its catch-up; as they stand, before their
    positions) and again once it is made: where it moved, the report is made again, its
    catch-up joining the rebuild to its end; where it moves again, or the projections are
    read as they stand (nothing to catch up), Conflict (busy, exit 5): nothing is shown from
    them. The notes the first reading told are told once (ADR 59)."""

    @wraps(make)
    def made(reports: Reports, /, *args: Given.args, **kwargs: Given.kwargs) -> Made:
        if reports.reading:  # a report made through another: checked once, by the outer one
            return make(reports, *args, **kwargs)
        reports.reading = True
        notices = len(reports.ledger.notices)
        try:
            for _ in range(READINGS if reports.catches_up else 1):
                del reports.ledger.notices[notices:]  # a report read again tells them once
                reports.cleared_at = None if reports.standing is None else reports.standing.clears
                result = make(reports, *args, **kwargs)
                if reports.cleared_at is None or reports.clears() == reports.cleared_at:
                    return result
        finally:
            reports.reading = False
        raise Conflict(
            "the projections were rebuilt while the report read them (a `projections "
            "rebuild` is under way): nothing is shown from them; report again when it ends"
        )

    return made


@dataclass(frozen=True)
class Table:
    columns: tuple[str, ...]
    rows: list[dict[str, Any]]
    snapped: Snapped | None = None

    def as_document(self) -> dict[str, Any]:
        return document(self.rows, self.snapped)


def last_begun(moment: datetime | None, today: date) -> date:
    """The last day begun before `moment` (a moment at midnight: the day before), not after
    today; today without a moment."""
    if moment is None:
        return today
    return min((as_utc(moment) - timedelta(microseconds=1)).date(), today)


def too_late(option: str, day: date, today: date, ended: date) -> str | None:
    """Why `day`, given as `option`, is after a range's last day at the latest (`ended`:
    today, or the last day begun before --known-at); None when it is not."""
    if day > today:
        return (
            f"{option} {day} is after today ({today}): a report counts only days that have passed"
        )
    if day > ended:
        return (
            f"{option} {day} is after {ended}, the last day begun before --known-at: the ledger "
            "then knew nothing of the days after it"
        )
    return None


def with_standing(document: dict[str, Any], standing: Standing | None) -> dict[str, Any]:
    """A report's document saying where projections read as they stand reach (`projections`)."""
    return document if standing is None else {**document, "projections": standing.as_metadata()}


def document(rows: list[dict[str, Any]], snapped: Snapped | None) -> dict[str, Any]:
    result: dict[str, Any] = {"groups": rows, "definitions_version": DEFINITIONS_VERSION}
    if snapped:
        result["snapped_to_months"] = True
        result["snapped"] = snapped.as_json()
    return result


@dataclass(frozen=True)
class CaseworkReport:
    columns: tuple[str, ...]
    counts: tuple[str, ...]
    derived: Mapping[str, Sequence[str]] = field(default_factory=dict)
    totals: tuple[tuple[str, tuple[str, ...]], ...] = ()
    casework_facts: bool = True  # referrals and matches read too


CASEWORK = {
    "discharges": CaseworkReport(
        casework.DISCHARGE_COLUMNS,
        casework.DISCHARGE_COLUMNS,
        totals=casework.DISCHARGE_TOTALS,
        casework_facts=False,
    ),
    "referrals": CaseworkReport(
        casework.REFERRAL_COLUMNS,
        casework.REFERRAL_COUNTS,
        casework.REFERRAL_DERIVED,
        casework.REFERRAL_LINKED,
    ),
    "volunteers": CaseworkReport(
        casework.VOLUNTEER_COLUMNS,
        casework.VOLUNTEER_COUNTS,
        casework.VOLUNTEER_DERIVED,
        casework.VOLUNTEER_LINKED,
    ),
}


class Reports:
    """Every report, for one actor: refused without the REPORT permission. For the oversight
    role small counts are hidden (K = 10 unless it asks for more) and ranges snap to whole
    calendar months; others hide small counts when they ask (`suppress_below`).

    Each report catches the projections up first; with `catch_up=False` (a read replica) it
    reads them as they stand, creating and writing nothing, and `standing` says how far they
    reach (projections never built are refused: projections/standing.py)."""

    def __init__(self, ledger: Ledger, actor: str | None = None, *, catch_up: bool = True) -> None:
        self.ledger = ledger
        self.who = ledger.require(actor, Permission.REPORT)
        self.catches_up = catch_up
        self._runner: ProjectionRunner | None = None
        self._store: ProjectionStore | None = None
        self.standing: Standing | None = None
        if not catch_up:
            self._store, self.standing = as_they_stand(ledger)
        self.reading = False  # a report is being made (`settled`)
        self.cleared_at: list[tuple[str, int]] | None = None  # the clears its reading began at
        # the role whose reports are always suppressed (oversight) gets whole months too
        self.snaps = self.who.default_suppression is not None

    @property
    def runner(self) -> ProjectionRunner | None:
        """What catches the projections up (None for the projections as they stand), made
        when a report first needs it: the work list reads no projection, and a runner may
        write as it is made (the projections' secret, on a ledger that has none yet)."""
        if self._runner is None and self.catches_up:
            self._runner = ProjectionRunner(self.ledger)
        return self._runner

    @property
    def store(self) -> ProjectionStore:
        if self._store is None:
            runner = self.runner
            assert runner is not None  # as they stand: found at construction
            self._store = runner.store
        return self._store

    def below(self, asked: int | None) -> int | None:
        """The K the report is shown with (`threshold`); a K asked below the role's floor is
        raised to it, and the user told so."""
        note = raised_floor_note(self.who.role, asked, "--suppress-below")
        if note:
            self.ledger.notices.append(note)
        return threshold(asked, self.who.default_suppression)

    def known(self, known_at: datetime | None) -> datetime | None:
        return moment_start(known_at) if known_at and self.snaps else known_at

    def last_day(
        self,
        last: date | None,
        known_at: datetime | None,
        option: str = "--to",
        first: date | None = None,
    ) -> date:
        """The range's last day when none is given: the day of `--known-at` (so the report
        says what the ledger said then, with no day after it), else today; never past today.
        The moment is the one the report reads as of (for oversight, snapped to the start of
        its month), and its day the last one begun before it: a moment at midnight ends the
        range on the day before. A day given (`option`) after that day is refused: an open
        term's exposure runs to the range's end, so days to come, or days the ledger knew
        nothing of yet, would dilute every rate. Oversight's is cut to it instead, then to the
        whole months ended by it, and says so (`range`). A `first` day after the last day begun
        before the moment as given (not snapped) is refused, for every role: a range of no day
        had answered as if nothing had happened in it. (Oversight's range may still hold no
        whole month, and says so; a `first` after a `last` given is refused by every front
        end: `check_range`.)"""
        today = self.ledger.clock()
        ended = last_begun(self.known(known_at), today)
        if first and (late := too_late("--from", first, today, last_begun(known_at, today))):
            raise InvalidInput(late)
        if last and not self.snaps and (late := too_late(option, last, today, ended)):
            raise InvalidInput(late)
        return ended if last is None else min(last, ended)

    def range(
        self, first: date | None, last: date, known_at: datetime | None
    ) -> tuple[date | None, date, Snapped | None]:
        if not self.snaps:
            return first, last, None
        # not past today either: a range ending later would grow day by day
        first = month_start(first) if first else None
        last = month_end(min(last, self.ledger.clock()))
        return first, last, Snapped(first, last, self.known(known_at))

    def reader(self, known_at: datetime | None, casework: bool = False) -> FactReader:
        """Catch up first, so a report always reflects every event recorded before it (unless
        it reads the projections as they stand)."""
        self.catch_up()
        known_at = self.known(known_at)
        moment_text = moment(as_utc(known_at)) if known_at else None
        return FactReader(self.store, moment_text, casework=casework)

    def catch_up(self) -> None:
        if self.runner is not None:
            if self.cleared_at is None:  # before: a clear during the catch-up is seen too
                self.cleared_at = self.clears()
            self.runner.catch_up()

    def clears(self) -> list[tuple[str, int]]:
        """How many times each projection was cleared (a rebuild), as it stands; not the
        scratch projections of `projections verify`, cleared on every run."""
        with self.store.transaction(commit=False) as cursor:
            return self.store.resets(cursor, LIVE)

    @property
    def reader_key(self) -> list[str | None]:
        """The reader's role and agency, in the key a report is kept under: what it may be
        shown (no report is cut by agency today; a reader's own would never be another's)."""
        return [self.who.role.value if self.who.role else None, self.who.agency]

    def rows_kept(
        self,
        name: str,
        known_at: datetime | None,
        arguments: tuple[Any, ...],
        make: Callable[[], list[dict[str, Any]]],
    ) -> list[dict[str, Any]]:
        """The rows of report `name`, worked out by `make` from the clients' facts as known at
        `known_at`, with `arguments` (as run: its range and options, snapped for oversight):
        read back where the same reader asked the same at the projections' current state,
        else made and kept (ADR 51). Read as the projections stand: made, not kept."""
        if self.standing is not None:
            return make()
        known = self.known(known_at)
        asked = {
            "report": name,
            "arguments": repr(arguments),
            "known_at": known.isoformat() if known else None,
            "reader": self.reader_key,  # as for a report's text (ADR 47)
        }
        return kept_rows(self.store, asked, make)

    def sums_by_part(
        self,
        name: str,
        known_at: datetime | None,
        arguments: tuple[Any, ...],
        reader: FactReader,
        count: Callable[[FactReader, int], dict[str, Sums]],
        parts: tuple[str, ...],
    ) -> Sums:
        """The sums of report `name`, by group, that `count` gives over the clients of
        `reader` (with `arguments`, as run: its range and options, snapped for oversight):
        each a sum over clients, by part of them (`count(reader, length)`: the sums of each
        part, the first `length` characters of its clients' ids; "" for every client). Kept
        as the violation report's answers are (reports/answers.py, ADR 63): read back where
        the same reader asked the same at the projections' current state; after new events,
        the `parts` (answers.PARTS or FINE_PARTS) none of whose clients has an event since
        read back and the others counted again, on a ledger of more than `PARTS_FROM` events
        (below, counted whole). Read as the projections stand: counted, not kept."""

        def whole() -> Sums:
            return count(reader, 0).get("", {})

        def count_parts(asked: Sequence[str]) -> dict[str, Sums]:
            if not asked:
                return {}  # every part read back
            found = count(reader.of_parts(asked), len(asked[0]))
            return {part: found.get(part, {}) for part in asked}

        if self.standing is not None:
            return whole()
        known = self.known(known_at)
        asked = {
            "arguments": repr(arguments),
            "known_at": known.isoformat() if known else None,
            "reader": self.reader_key,  # as for a report's text (ADR 47)
            "version": __version__,
        }
        many = tallies.projected(self.store) > tallies.PARTS_FROM
        parted = (parts, count_parts) if many else None
        # the code of the reports and the domain they are counted by (ADR 51, `reports_code`)
        statements = [f"{BY_PART}{name}", reports_code()]
        return answers.answered(self.store, statements, asked, whole, parted)

    def counted_rows(
        self,
        name: str,
        known_at: datetime | None,
        arguments: tuple[Any, ...],
        reader: FactReader,
        make: Callable[[Iterable[ClientFacts]], list[dict[str, Any]]],
        dimensions: Sequence[str],
        columns: Sequence[str],
    ) -> list[dict[str, Any]]:
        """The rows of a report of counts alone: `make` gives, from some clients' facts, a row
        of `columns` (each a sum over those clients) for each group of values of `dimensions`.
        Kept by part of the clients (`sums_by_part`), each part's rows made from its clients
        alone, then added up by group, in the order of their values."""
        names = (name,)

        def sums_of(clients: Iterable[ClientFacts]) -> Sums:
            rows = make(clients)
            return {names: {tuple(row[d] for d in dimensions): [row[c] for c in columns]
                            for row in rows}}  # fmt: skip

        groups = self.sums_by_part(
            name, known_at, arguments, reader, by_parts(sums_of), parts_by(dimensions)
        ).get(names, {})
        return [
            {**dict(zip(dimensions, key, strict=True)), **dict(zip(columns, values, strict=True))}
            for key, values in sorted(groups.items())
        ]

    @settled
    def violations(
        self, request: ReportRequest, known_at: datetime | None = None
    ) -> dict[str, Any]:
        return self.violations_snapped(request, known_at)[0]

    @settled
    def violations_snapped(
        self, request: ReportRequest, known_at: datetime | None = None
    ) -> tuple[dict[str, Any], Snapped | None]:
        """The violation report's document, and what its range was snapped to (if it was)."""
        request, reader, earliest, snapped = self.violations_asked(request, known_at)
        groups = report(reader.store, request, reader.known_at, earliest)
        return document(groups, snapped), snapped

    @settled
    def violations_shown(
        self,
        request: ReportRequest,
        known_at: datetime | None = None,
        output: str = "table",
        keep: bool = True,
    ) -> tuple[Shown, Snapped | None]:
        """The violation report as `output` (table, csv, json, or the server's compact JSON
        document, `shown.DOCUMENT`) shows it, and what its range was snapped to: read back
        where the same report was shown at the projections' current state, else made and kept
        (reports/shown.py). With `keep=False` (a chart, which draws the rows), or read as they
        stand, made and not kept."""
        request, reader, earliest, snapped = self.violations_asked(request, known_at)

        def show() -> Shown:
            groups = report(reader.store, request, reader.known_at, earliest)
            made = with_standing(document(groups, snapped), self.standing)
            return shown_as(made, shown_columns(request.dimensions, output), output)

        if not keep or self.standing is not None:
            return show(), snapped
        if reader.known_at is None:  # brought up first, as counting does: their state is read
            kept_segments(reader.store)
        asked = {
            "report": "violations",
            "request": repr(request),
            "known_at": reader.known_at,
            "earliest": repr(earliest),
            "snapped": snapped.as_json() if snapped else None,
            "reader": self.reader_key,
            "output": output,
        }
        safe = shows_safely if output == "table" else (lambda text: True)
        return kept_shown(reader.store, asked, show, safe), snapped

    def violations_asked(
        self, request: ReportRequest, known_at: datetime | None
    ) -> tuple[ReportRequest, FactReader, date | None, Snapped | None]:
        """`asked`, for the violation report: refused to oversight with --exclude-dismissed
        or another --window."""
        if self.snaps and request.exclude_dismissed:
            raise NotPermitted(
                "the oversight role counts every new offence, with its current disposition: "
                "the report with and without --exclude-dismissed, compared, would give away "
                "dismissed and acquitted charges hidden below the floor"
            )
        if self.snaps and request.window != REVOCATION_WINDOW_DAYS:
            raise NotPermitted(
                f"the oversight role counts revocations in the default --window of "
                f"{REVOCATION_WINDOW_DAYS} days: reports with windows a day apart, compared, "
                "would tell one revoked term's violations apart"
            )
        return self.asked(request, known_at)

    def asked(
        self, request: Asked, known_at: datetime | None
    ) -> tuple[Asked, FactReader, date | None, Snapped | None]:
        """A request over a range of effective dates, as it is run: its suppression floor,
        its last day (without `--to`: the date of `known_at`, so the report says what the
        ledger said then; else today), snapped for oversight; the facts, the earliest start."""
        request = replace(request, suppress_below=self.below(request.suppress_below))
        ends = self.last_day(request.last, known_at, first=request.first)
        if request.last is not None or known_at:
            request = replace(request, last=ends)
        reader = self.reader(known_at)
        earliest = reader.earliest_start()
        first, last, snapped = self.range(
            request.first or earliest, request.last or request.today, known_at
        )
        if snapped:
            request = replace(request, first=first, last=last)
        return request, reader, earliest, snapped

    @settled
    def responses(self, request: ReportRequest, known_at: datetime | None = None) -> Table:
        """Incentives beside sanctions per 100 person-years at risk, decisions by code and
        recommendations (reports/responses.py), over the violation report's groups and range
        (snapped for oversight, ending at `known_at`)."""
        request, reader, earliest, snapped = self.asked(request, known_at)
        rows = responses_report(reader.store, request, reader.known_at, earliest)
        return Table((*request.dimensions, *RESPONSE_COLUMNS), rows, snapped)

    @settled
    def disparities(self, request: DisparityRequest, known_at: datetime | None = None) -> Table:
        """Each group's rate beside the reference group's, with their ratio (disparities.py);
        its range is the violation report's (snapped for oversight, ending at `known_at`)."""
        request, reader, earliest, snapped = self.asked(request, known_at)
        rows = disparities(reader.store, request, reader.known_at, earliest)
        return Table(request.columns, rows, snapped)

    @settled
    def caseload(
        self,
        on: date | None,
        by: Sequence[str],
        known_at: datetime | None = None,
        suppress_below: int | None = None,
    ) -> Table:
        """Clients supervised on a day (default: the date of `known_at`, else today)."""
        _, on, snapped = self.range(None, self.last_day(on, known_at, "--on"), known_at)
        reader = self.reader(known_at)
        rows = self.counted_rows(
            "caseload", known_at, (on, tuple(by)), reader,
            lambda clients: casework.caseload(clients, on, by), by, casework.CASELOAD_COUNTS,
        )  # fmt: skip
        table = Table((*by, "active_clients"), rows, snapped)
        return self.shown(table, suppress_below, casework.CASELOAD_COUNTS)

    @settled
    def over_range(
        self,
        name: str,
        first: date | None,
        last: date | None,
        by: Sequence[str] = (),
        known_at: datetime | None = None,
        suppress_below: int | None = None,
    ) -> Table:
        """A casework report over a range (`CASEWORK`): discharges, referrals, volunteers."""
        spec = CASEWORK[name]
        reader, start, end, snapped = self.span(first, last, known_at, spec.casework_facts)
        if name == "referrals":  # by service, always
            by = ("service",)
        if start > end:  # a range snapped for oversight that holds no day
            rows: list[dict[str, Any]] = []
        elif name == "discharges":  # counts alone, each a sum over clients: kept by part
            rows = self.counted_rows(
                name, known_at, (start, end, tuple(by)), reader,
                lambda some: casework.discharges(some, start, end, by), by, spec.columns,
            )  # fmt: skip
        elif name == "referrals":
            rows = self.rows_kept(
                name, known_at, (start, end),
                lambda: casework.referrals(reader.clients(), start, end),
            )  # fmt: skip
        else:
            rows = self.rows_kept(
                name, known_at, (start, end, tuple(by)),
                lambda: list(getattr(casework, name)(reader.clients(), start, end, by)),
            )  # fmt: skip
        table = Table((*by, *spec.columns), rows, snapped)
        return self.shown(table, suppress_below, spec.counts, spec.derived, spec.totals)

    discharges = partialmethod(over_range, "discharges")
    referrals = partialmethod(over_range, "referrals", by=())
    volunteers = partialmethod(over_range, "volunteers")

    @settled
    def volunteer_supervision(
        self,
        first: date | None,
        last: date | None,
        by: Sequence[str] = (),
        suppress_below: int | None = None,
    ) -> Table:
        """Volunteers' supervision sessions per active volunteer-month (reports/volunteers.py),
        over a range (from the first month of the register unless told), by agency if asked.
        For every role, over whole calendar months (as oversight's ranges are): from the first
        day of the first month to the last day of the last month ended by the range's last
        day. Volunteers are supervised monthly: a month cut short (this one, not over yet)
        counted its volunteers without the sessions still to come, or outside the range."""
        last = self.last_day(last, None, first=first)
        self.catch_up()
        start = month_start(first or volunteer_reports.earliest(self.store) or last)
        end = month_end(last)
        rows = self.rows_kept(
            "volunteer_supervision", None, (start, end, tuple(by)),
            lambda: volunteer_reports.supervision(self.store, start, end, by)
            if start <= end else [],
        )  # fmt: skip
        table = Table((*by, *volunteer_reports.COLUMNS), rows, Snapped(start, end, None))
        return self.shown(table, suppress_below, volunteer_reports.COUNTS,
                          volunteer_reports.DERIVED, volunteer_reports.TOTALS)  # fmt: skip

    @settled
    def needs(
        self,
        first: date | None,
        last: date | None,
        by: Sequence[str] = ("risk",),
        known_at: datetime | None = None,
        suppress_below: int | None = None,
    ) -> Table:
        """Of clients assessed with each need in the range, the shares referred to a matching
        service within 30 and 90 days, started, completed (reports/needs.py). Follow-ups are
        complete by the report's day: the date of `known_at`, else today; for oversight, the
        end of the last whole month, the range snapped to whole months."""
        _, as_of, _ = self.range(None, self.last_day(None, known_at), known_at)
        first, last, snapped = self.range(
            first, self.last_day(last, known_at, first=first), known_at
        )
        reader = self.reader(known_at)
        request = needs.NeedsRequest(first, last, as_of, tuple(by))
        empty = first is not None and first > last  # a snapped range holding no day
        # kept by part of the clients (ADR 63): each part's counts from its own clients
        rows = [] if empty else needs.rows(by, self.sums_by_part(
            "needs", known_at, (request,), reader,
            lambda facts, _: needs.counted(facts.store, request, facts.known_at, facts.parts),
            parts_by(by),
        ))  # fmt: skip
        rows = needs.suppressed(rows, by, self.below(suppress_below))
        return Table(("need", *by, *needs.COLUMNS[1:]), rows, snapped)

    @settled
    def justice_counts(
        self,
        year: int,
        month: int | None = None,
        known_at: datetime | None = None,
        suppress_below: int | None = None,
    ) -> Table:
        """The Justice Counts rows of one month, or of a year's twelve and its annual ones.
        Only months that ended by today (or by `known_at`'s day) are shown: a month's
        population is counted on its last day. The annual ones once the year has; a year or
        month with none is refused. For oversight, `known_at` is snapped to its month, and
        nothing refused."""
        first = date(year, month or 1, 1)
        last = last_of_month(year, month or 12)
        day = self.last_day(None, known_at)
        ended, snapped = last, None
        if self.snaps:
            _, ended, snapped = self.range(first, min(last, day), known_at)
        elif last > day:
            ended = month_end(day)
            snapped = Snapped(first, ended, known_at)
        months = [
            m for m in ([month] if month else range(1, 13)) if last_of_month(year, m) <= ended
        ]
        annual = month is None and ended >= last
        if not months and not self.snaps:
            asked = f"--year {year} --month {month}" if month else f"--year {year}"
            gone = "the month has not" if month else "no month of it has"
            by = (
                f"today is {day}"
                if day == self.ledger.clock()
                else f"by {day}, the last day begun before --known-at"
            )
            raise InvalidInput(f"{asked}: {gone} ended ({by})")
        reader = self.reader(known_at)
        rows = self.rows_kept(
            "justice_counts", known_at, (year, tuple(months), annual),
            lambda: list(justice_counts(reader.clients(), year, months, annual)),
        )  # fmt: skip
        return Table(COLUMNS, suppressed(rows, self.below(suppress_below)), snapped)

    def shown(
        self,
        table: Table,
        asked: int | None,
        counts: Iterable[str],
        derived: Mapping[str, Sequence[str]] | None = None,
        totals: Iterable[tuple[str, Sequence[str]]] = (),
    ) -> Table:
        """The table with its small counts hidden, and all that would give them away."""
        below, counts = self.below(asked), tuple(counts)
        rows = [suppress(row, below, counts, derived or {}, tuple(totals)) for row in table.rows]
        return replace(table, rows=rows)

    # --- programmes and contacts (docs/metrics.md, "Programmes and contacts") ------------

    @settled
    def programmes(
        self,
        first: date | None,
        last: date | None,
        known_at: datetime | None = None,
        suppress_below: int | None = None,
    ) -> Table:
        """Per programme: places begun, sessions held, attendance, places ended by outcome,
        with the attendance and completion rates (reports/programmes.py)."""
        reader, start, end, snapped = self.span(first, last, known_at)
        rows = self.rows_kept(
            "programmes", known_at, (start, end),
            lambda: list(programmes.report(reader, start, end)) if start <= end else [],
        )  # fmt: skip
        table = Table(programmes.COLUMNS, rows, snapped)
        return self.shown(table, suppress_below, programmes.COUNTS, programmes.DERIVED)

    @settled
    def contacts(
        self,
        first: date | None,
        last: date | None,
        by: Sequence[str] = (),
        known_at: datetime | None = None,
        suppress_below: int | None = None,
    ) -> Table:
        """Client-months measured against their level's contact standard and those that met
        it, and contacts by kind, by officer, agency or level (reports/contacts.py)."""
        reader, start, end, snapped = self.span(first, last, known_at)
        rows = [] if start > end else contacts.rows(self.sums_by_part(
            "contacts", known_at, (start, end, tuple(by)), reader,
            lambda facts, length: contacts.counted(facts, start, end, by, length), parts_by(by),
        ), by)  # fmt: skip
        table = Table((*by, *contacts.COLUMNS), rows, snapped)
        return self.shown(table, suppress_below, contacts.COUNTS, contacts.DERIVED,
                          contacts.TOTALS)  # fmt: skip

    def span(
        self,
        first: date | None,
        last: date | None,
        known_at: datetime | None,
        casework: bool = False,
    ) -> tuple[FactReader, date, date, Snapped | None]:
        """The facts (`casework`: with referrals and volunteer matches) and the range of a
        report (from the earliest enrolment unless told, to `last_day`), snapped for oversight
        (a snapped range may hold no day: it starts after it ends)."""
        end = self.last_day(last, known_at, first=first)
        reader = self.reader(known_at, casework)
        start, end, snapped = self.range(first or reader.earliest_start() or end, end, known_at)
        return reader, start or end, end, snapped

    # --- cohorts (docs/metrics.md, "Cohorts") ---------------------------------------------

    @settled
    def cohorts(
        self,
        unit: str,
        follow: int = cohorts.FOLLOW,
        by_month: bool = False,
        known_at: datetime | None = None,
        suppress_below: int | None = None,
    ) -> CohortTable:
        """Terms by start period, followed `follow` months: complete by the report's day
        (known_at's date, or today; for oversight the end of the last whole month)."""
        cohorts.known_unit(unit)  # before any client is read: a ledger may have none
        if self.snaps and follow != cohorts.FOLLOW:
            raise NotPermitted(
                f"the oversight role follows terms {cohorts.FOLLOW} months only: cohorts "
                "followed for different lengths, compared, would give away counts hidden "
                "below the floor"
            )
        _, as_of, snapped = self.range(None, self.last_day(None, known_at), known_at)
        reader = self.reader(known_at)
        rows_of = cohorts.month_rows if by_month else cohorts.summary_rows
        names = ("cohorts",)

        def sums_of(clients: Iterable[ClientFacts]) -> Sums:
            """Some clients' cohorts (each a sum over their terms), as sums by period."""
            made = cohorts.cohorts(clients, unit, follow, as_of)
            return {names: {(period,): cohorts.summed(cohort, follow)
                            for period, cohort in made.items()}}  # fmt: skip

        # kept by part of the clients (ADR 63), the same sums for either form of the report;
        # in 16 parts: a cohort is some 3 x `follow` sums, and monthly cohorts many
        sums = self.sums_by_part("cohorts", known_at, (unit, follow, as_of), reader,
                                 by_parts(sums_of), answers.PARTS).get(names, {})  # fmt: skip
        found = {key[0]: cohorts.of_sums(values, follow) for key, values in sorted(sums.items())}
        rows = rows_of(found, follow)
        below = self.below(suppress_below)
        if by_month:
            rows = cohorts.hidden_months(rows, below)
            columns = (*cohorts.MONTH_COLUMNS[:3], *cohorts.COLUMNS[3:])
            shown = cohorts.MONTH_COLUMNS
        else:
            rows = [cohorts.hidden_summary(r, below) for r in rows]
            columns, shown = cohorts.COLUMNS, cohorts.TABLE_COLUMNS
        return CohortTable(columns, rows, snapped, shown, unit, follow, as_of)

    # --- the work list (docs/casework.md, "The work list") -----------------------------------

    def due(self, on: date | None = None, officer: str | None = None) -> WorkList:
        """What is overdue on `on` (default today) for the clients the actor may read, per
        officer (reports/due.py). It names clients: refused to roles that may not read client
        records (oversight); each client listed is logged as read (view `due`)."""
        if not self.who.may(Permission.READ_CLIENT):
            raise NotPermitted(
                f"{self.who.name} ({self.who.role}) may not {Permission.READ_CLIENT}: "
                "the work list names clients"
            )
        day = on or self.ledger.clock()
        ledger, rows, listed = self.ledger, [], []
        ids: Iterable[UUID] = ledger.client_ids()
        if (wanted := self.due_candidates(officer)) is not None:  # in order of enrolment still
            ids = filter(wanted, ids)
        seen: Iterator[Client] = (ledger.repository.get(id_) for id_ in ids)
        visible = (client for client in seen if self.who.sees(client.state.agency))
        for client, found in work_list(visible, day, officer):
            listed.append(client.ref)
            rows += found
        # logged at once, in the order read (one commit: one per client took most of a list's
        # time), before any is shown
        ledger.log_reads(self.who, listed, "due", day, None)
        return WorkList(day, officer, in_order(rows))

    def due_candidates(self, officer: str | None) -> Callable[[UUID], bool] | None:
        """The clients the work list need read (`due.candidates`: those the projections, as
        they stand, ever put with the reader's agency and the officer), or None: all of them
        (an auditor's whole list, or projections that cannot say)."""
        return readable_candidates(self.ledger, self.who, officer)


@dataclass(frozen=True)
class CohortTable(Table):
    """A cohort report: its table columns are fewer (no interval limits) than CSV's."""

    shown_columns: tuple[str, ...] = ()
    start_period: str = "year"
    follow_months: int = cohorts.FOLLOW
    complete_by: date | None = None

    def as_document(self) -> dict[str, Any]:
        return {
            **document(self.rows, self.snapped),
            "start_period": self.start_period,
            "follow_months": self.follow_months,
            "complete_by": self.complete_by.isoformat() if self.complete_by else None,
        }
