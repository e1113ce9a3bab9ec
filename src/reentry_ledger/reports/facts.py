"""Each client's facts as the projections hold them, as known at a moment, one page at a time.

A fact counts when it had been recorded by the moment asked about and had not yet been
retracted then (without a moment: every fact not retracted). A response counts only while the
violation it answers counts: a retracted violation takes its responses with it.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta

from reentry_ledger.domain.codes import age_band
from reentry_ledger.projections.store import ProjectionStore
from reentry_ledger.reports.known_at import enrolled, known, positional

CLIENT_PAGE = 2000
UNSET_LEVEL = "unset"  # a term's level before any is set


@dataclass(frozen=True)
class Assessment:
    on: date
    number: int
    risk_level: str


@dataclass
class Violation:
    on: date
    number: int
    violation_id: str
    category: str  # its most serious kind as recorded: new_offence, absconding, technical
    technical: bool = False  # names a technical breach
    absconding: bool = False
    new_offence: str | None = None  # the new offence's severity, if it has one
    basis: str | None = None  # arrest, charge, conviction (None: not said)
    offence_type: str | None = None  # the latest disposition's type, else the recorded one
    dispositions: list[tuple[date, int, str]] = field(default_factory=list)  # (on, number, code)

    @property
    def disposition(self) -> str | None:
        """The current disposition: the latest by date, then number, as known."""
        return max(self.dispositions)[2] if self.dispositions else None


@dataclass(frozen=True)
class ResponseFact:
    on: date
    number: int
    violation_id: str
    response: str
    custody_days: int | None
    decided_by: str = "officer"
    recommendation: bool = False
    term_outcome: str | None = None  # a revocation decision that ended its term: its outcome


@dataclass(frozen=True)
class IncentiveFact:
    on: date
    number: int
    kind: str


@dataclass(frozen=True)
class Discharge:
    """The end of a term: a discharge, or a revocation decision that ended it (`revoked_by`:
    the violation decided)."""

    on: date
    number: int
    outcome: str
    revoked_by: str | None = None


@dataclass
class TermFact:
    """One term: the values it started with, and its end as known (None: still open). Its
    days run from its first (its start; the day after, where the term before ended on that
    day: the day is the ending term's) through its end (`ends`)."""

    term: int
    number: int  # its starting event's
    start_on: date
    agency: str
    officer: str
    supervision: str
    start_reason: str | None
    age_band: str = "unknown"
    end_on: date | None = None
    outcome: str | None = None
    end_number: int | None = None  # the discharge's event number
    first_on: date | None = None  # its first day, where not its start (`ends`)
    next_number: int | None = None  # the next term's starting event's number

    @property
    def first_day(self) -> date:
        return self.start_on if self.first_on is None else self.first_on

    def covers(self, day: date) -> bool:
        return self.first_day <= day and (self.end_on is None or day <= self.end_on)


@dataclass(frozen=True)
class StatusFact:
    """A change of status in force from its date (projections/status.py): officer (and
    agency), level, custody (its reason; '' when it ends), absconded ('absconded'; '')."""

    on: date
    number: int
    kind: str
    value: str
    agency: str | None


@dataclass
class ReferralFact:
    referral_id: str
    service: str
    made_on: date
    statuses: list[tuple[date, str]] = field(default_factory=list)  # in recorded order


@dataclass
class MatchFact:
    matched_on: date
    ended_on: date | None = None
    ending: str | None = None


@dataclass
class ClientFacts:
    client_id: str
    agency: str
    officer: str
    supervision: str
    juvenile: bool
    start_on: date
    discharged_on: date | None = None
    outcome: str | None = None
    assessments: list[Assessment] = field(default_factory=list)
    violations: list[Violation] = field(default_factory=list)
    responses: list[ResponseFact] = field(default_factory=list)
    incentives: list[IncentiveFact] = field(default_factory=list)
    referrals: list[ReferralFact] = field(default_factory=list)
    matches: list[MatchFact] = field(default_factory=list)
    terms: list[TermFact] = field(default_factory=list)  # in order
    discharges: list[Discharge] = field(default_factory=list)  # every term's, in order
    status: list[StatusFact] = field(default_factory=list)  # in order of effect
    sex: str = "unknown"
    race: str = "unknown"
    ethnicity: str = "unknown"
    birth_year: int | None = None

    def supervised_on(self, day: date) -> bool:
        return self.term_on(day) is not None

    def term_on(self, day: date) -> TermFact | None:
        """The term the client was under on that day, if any."""
        for term in reversed(self.terms):
            if term.first_day <= day:
                return term if term.covers(day) else None
        return None

    def latest(self, term: TermFact, kind: str, day: date) -> StatusFact | None:
        """The term's latest change of one kind in force on `day` (None: as the term began)."""
        found = None
        for change in self.status:
            if change.on > day:
                break
            if (
                change.kind == kind
                and change.number > term.number
                and (term.next_number is None or change.number < term.next_number)
                and change.on >= term.start_on
            ):
                found = change
        return found

    def officer_on(self, term: TermFact, day: date) -> tuple[str, str]:
        """(agency, officer) responsible on that day: the term's, as reassigned."""
        change = self.latest(term, "officer", day)
        return (
            (term.agency, term.officer) if change is None else (change.agency or "", change.value)
        )

    def level_on(self, term: TermFact, day: date) -> str:
        change = self.latest(term, "level", day)
        return UNSET_LEVEL if change is None else change.value

    def status_on(self, term: TermFact, day: date) -> str:
        """`custody`, `absconded` or `active` on that day (a period runs through the day
        before its end: the client is at risk again on the day of release or return)."""
        custody = self.latest(term, "custody", day)
        if custody is not None and custody.value:
            return "custody"
        absconded = self.latest(term, "absconded", day)
        return "absconded" if absconded is not None and absconded.value else "active"

    def age_band(self, term: TermFact) -> str:
        if term.age_band != "unknown" or self.birth_year is None:
            return term.age_band
        return age_band(self.birth_year, term.start_on.year).value


def following(part: str) -> str | None:
    """The first id of the part after `part` (hexadecimal, as long), as the bound of the ids
    that start with `part` (None: the last part, which every later id starts with). In
    hexadecimal digits, which sort alike in every collation (a bound such as ':' after '9'
    sorts before the digits in PostgreSQL's ICU and glibc collations)."""
    number = int(part, 16) + 1
    return None if number == 16 ** len(part) else f"{number:0{len(part)}x}"


class FactReader:
    def __init__(
        self,
        store: ProjectionStore,
        known_at: str | None,
        casework: bool = False,
        parts: Sequence[str] = (),
    ) -> None:
        self.store = store
        self.known_at = known_at
        self.casework = casework  # also read referrals and volunteer matches
        # `clients` gives only the clients whose ids start with one of these (none: every one)
        self.parts = tuple(sorted(parts))

    def of_parts(self, parts: Sequence[str]) -> FactReader:
        """The same facts, of the clients whose ids start with one of `parts` (reports/
        answers.py: the first characters of the ids as the projections key them, hexadecimal
        in lower case)."""
        return FactReader(self.store, self.known_at, self.casework, parts)

    def earliest_start(self) -> date | None:
        where, params = self._clients_filter()
        rows = self.store.rows(
            f"SELECT MIN(start_on) FROM {{audit_clients}} WHERE {where}", params, ["audit_clients"]
        )
        return date.fromisoformat(rows[0][0]) if rows and rows[0][0] else None

    def clients(self) -> Iterator[ClientFacts]:
        for page in self.pages():
            yield from page

    def pages(self) -> Iterator[list[ClientFacts]]:
        """The clients a page at a time, in the order of their ids; a page never holds
        clients of two of `parts` (the ids between its first and last are of one part)."""
        if not self.parts:
            yield from self._pages_between("", None)
        for part in self.parts:  # the ids that start so: from the part to the next after it
            yield from self._pages_between(part, following(part))

    def _pages_between(self, last: str, bound: str | None) -> Iterator[list[ClientFacts]]:
        """The clients whose ids come after `last` (a part: every id that starts with it comes
        after it) and before `bound` (None: every one after), a page at a time."""
        before, bounds = ("", ()) if bound is None else ("client_id < ? AND ", (bound,))
        while True:
            where, params = self._clients_filter()
            page = self.store.rows(
                "SELECT client_id, agency, officer, supervision, juvenile, start_on "
                f"FROM {{audit_clients}} WHERE client_id > ? AND {before}{where} "
                "ORDER BY client_id LIMIT ?",
                (last, *bounds, *params, CLIENT_PAGE),
                ["audit_clients"],
            )
            if not page:
                return
            clients = {
                row[0]: ClientFacts(
                    row[0], row[1], row[2], row[3], bool(row[4]), date.fromisoformat(row[5])
                )
                for row in page
            }
            self._attach(clients, page[0][0], page[-1][0])
            yield list(clients.values())
            last = page[-1][0]

    def _clients_filter(self) -> tuple[str, tuple[str, ...]]:
        return positional(enrolled, self.known_at)

    def _facts(self, table: str, columns: str, first: str, last: str) -> list[tuple]:
        where, params = positional(known, self.known_at)
        return self.store.rows(
            f"SELECT client_id, occurred_on, number, {columns} FROM {{{table}}} "
            f"WHERE client_id >= ? AND client_id <= ? AND {where} ORDER BY client_id, number",
            (first, last, *params),
            [table],
        )

    def _attach(self, clients: dict[str, ClientFacts], first: str, last: str) -> None:
        for client_id, on, number, outcome, revoked_by in self._facts(
            "audit_discharges", "outcome, revoked_by", first, last
        ):
            client = clients[client_id]
            client.discharged_on, client.outcome = date.fromisoformat(on), outcome
            client.discharges.append(Discharge(client.discharged_on, number, outcome, revoked_by))
        self._attach_terms(clients, first, last)
        for client_id, on, number, level in self._facts(
            "audit_assessments", "risk_level", first, last
        ):
            clients[client_id].assessments.append(Assessment(date.fromisoformat(on), number, level))
        counted: dict[str, dict[str, Violation]] = defaultdict(dict)
        for client_id, on, number, violation_id, category, *kinds in self._facts(
            "audit_violations",
            "violation_id, category, technical, absconding, new_offence, basis, offence_type",
            first,
            last,
        ):
            technical, absconding, new_offence, basis, offence_type = kinds
            violation = Violation(
                date.fromisoformat(on), number, violation_id, category, bool(technical),
                bool(absconding), new_offence, basis, offence_type,
            )  # fmt: skip
            clients[client_id].violations.append(violation)
            counted[client_id][violation_id] = violation
        for client_id, on, number, violation_id, *decision in self._facts(
            "audit_responses",
            "violation_id, response, custody_days, decided_by, recommendation, term_outcome",
            first,
            last,
        ):
            response, days, decided_by, recommendation, term_outcome = decision
            if violation_id in counted[client_id]:
                clients[client_id].responses.append(
                    ResponseFact(
                        date.fromisoformat(on),
                        number,
                        violation_id,
                        response,
                        days,
                        decided_by,
                        bool(recommendation),
                        term_outcome,
                    )
                )
        for client_id, on, number, violation_id, disposition, offence_type in self._facts(
            "audit_dispositions", "violation_id, disposition, offence_type", first, last
        ):
            found = counted[client_id].get(violation_id)
            if found is not None:
                found.dispositions.append((date.fromisoformat(on), number, disposition))
                found.offence_type = offence_type or found.offence_type
        for client_id, on, number, kind in self._facts("audit_incentives", "kind", first, last):
            clients[client_id].incentives.append(
                IncentiveFact(date.fromisoformat(on), number, kind)
            )
        if self.casework:
            self._attach_casework(clients, first, last)

    def _attach_terms(self, clients: dict[str, ClientFacts], first: str, last: str) -> None:
        bands = {
            (client_id, number): band
            for client_id, number, band in self.store.rows(
                "SELECT client_id, number, age_band FROM {audit_age_bands} "
                "WHERE client_id >= ? AND client_id <= ?",
                (first, last),
                ["audit_age_bands"],
            )
        }
        for client_id, on, number, term, agency, officer, supervision, reason in self._facts(
            "audit_terms", "term, agency, officer, supervision, start_reason", first, last
        ):
            clients[client_id].terms.append(
                TermFact(
                    term,
                    number,
                    date.fromisoformat(on),
                    agency,
                    officer,
                    supervision,
                    reason,
                    bands.get((client_id, number), "unknown"),
                )
            )
        for client in clients.values():
            ends(client)
        for client_id, on, number, kind, value, agency in self._facts(
            "audit_status", "kind, value, agency", first, last
        ):
            clients[client_id].status.append(
                StatusFact(date.fromisoformat(on), number, kind, value, agency)
            )
        for client in clients.values():
            client.status.sort(key=lambda change: (change.on, change.number))
        for client_id, sex, race, ethnicity, birth_year in self.store.rows(
            "SELECT client_id, sex, race, ethnicity, birth_year FROM {audit_people} "
            "WHERE client_id >= ? AND client_id <= ?",
            (first, last),
            ["audit_people"],
        ):
            if client_id in clients:
                client = clients[client_id]
                client.sex, client.race, client.ethnicity = sex, race, ethnicity
                client.birth_year = birth_year

    def _attach_casework(self, clients: dict[str, ClientFacts], first: str, last: str) -> None:
        referrals: dict[tuple[str, str], ReferralFact] = {}
        for client_id, on, _n, referral_id, service in self._facts(
            "audit_referrals", "referral_id, service", first, last
        ):
            referral = ReferralFact(referral_id, service, date.fromisoformat(on))
            referrals[client_id, referral_id] = referral
            clients[client_id].referrals.append(referral)
        for client_id, on, _n, referral_id, status in self._facts(
            "audit_referral_updates", "referral_id, status", first, last
        ):
            if (client_id, referral_id) in referrals:
                referrals[client_id, referral_id].statuses.append((date.fromisoformat(on), status))
        for client_id, on, _n, kind, ending in self._facts(
            "audit_matches", "event, ending", first, last
        ):
            client = clients[client_id]
            if kind == "matched":
                client.matches.append(MatchFact(date.fromisoformat(on)))
            elif client.matches and client.matches[-1].ended_on is None:
                client.matches[-1].ended_on = date.fromisoformat(on)
                client.matches[-1].ending = ending


def ends(client: ClientFacts) -> None:
    """Each term's end: its discharge (the first recorded after its start and before the next
    term's start), never past the next term's start; without one, the day before the next
    term's start. A term that ended on the day the next one starts keeps that day (its end,
    and all else dated that day, are its own): the next term's days begin the day after."""
    client.terms.sort(key=lambda term: term.number)
    for position, term in enumerate(client.terms):
        following = client.terms[position + 1] if position + 1 < len(client.terms) else None
        for discharge in client.discharges:
            if discharge.number > term.number and (
                following is None or discharge.number < following.number
            ):
                term.end_on, term.outcome = discharge.on, discharge.outcome
                term.end_number = discharge.number
                break
        if following is not None:
            term.next_number = following.number
            if term.end_on is None:
                term.end_on = following.start_on - timedelta(days=1)
            else:
                term.end_on = min(term.end_on, following.start_on)
            if term.end_on >= following.first_day:
                following.first_on = term.end_on + timedelta(days=1)
