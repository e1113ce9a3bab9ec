"""Each client's facts as the projections hold them, as known at a moment, one page at a time.

A fact counts when it had been recorded by the moment asked about and had not yet been
retracted then (without a moment: every fact not retracted). A response counts only while the
violation it answers counts: a retracted violation takes its responses with it.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date

from reentry_ledger.projections.store import ProjectionStore
from reentry_ledger.reports.known_at import enrolled, known, positional

CLIENT_PAGE = 2000


@dataclass(frozen=True)
class Assessment:
    on: date
    number: int
    risk_level: str


@dataclass(frozen=True)
class Violation:
    on: date
    number: int
    violation_id: str
    category: str


@dataclass(frozen=True)
class ResponseFact:
    on: date
    number: int
    violation_id: str
    response: str
    custody_days: int | None


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
    referrals: list[ReferralFact] = field(default_factory=list)
    matches: list[MatchFact] = field(default_factory=list)

    def supervised_on(self, day: date) -> bool:
        return self.start_on <= day and (self.discharged_on is None or day <= self.discharged_on)


class FactReader:
    def __init__(
        self, store: ProjectionStore, known_at: str | None, casework: bool = False
    ) -> None:
        self.store = store
        self.known_at = known_at
        self.casework = casework  # also read referrals and volunteer matches

    def earliest_start(self) -> date | None:
        where, params = self._clients_filter()
        rows = self.store.rows(
            f"SELECT MIN(start_on) FROM {{audit_clients}} WHERE {where}", params, ["audit_clients"]
        )
        return date.fromisoformat(rows[0][0]) if rows and rows[0][0] else None

    def clients(self) -> Iterator[ClientFacts]:
        last = ""
        while True:
            where, params = self._clients_filter()
            page = self.store.rows(
                "SELECT client_id, agency, officer, supervision, juvenile, start_on "
                f"FROM {{audit_clients}} WHERE client_id > ? AND {where} "
                "ORDER BY client_id LIMIT ?",
                (last, *params, CLIENT_PAGE),
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
            yield from clients.values()
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
        for client_id, on, _number, outcome in self._facts(
            "audit_discharges", "outcome", first, last
        ):
            client = clients[client_id]
            client.discharged_on, client.outcome = date.fromisoformat(on), outcome
        for client_id, on, number, level in self._facts(
            "audit_assessments", "risk_level", first, last
        ):
            clients[client_id].assessments.append(Assessment(date.fromisoformat(on), number, level))
        counted: dict[str, set[str]] = defaultdict(set)
        for client_id, on, number, violation_id, category in self._facts(
            "audit_violations", "violation_id, category", first, last
        ):
            clients[client_id].violations.append(
                Violation(date.fromisoformat(on), number, violation_id, category)
            )
            counted[client_id].add(violation_id)
        for client_id, on, number, violation_id, response, days in self._facts(
            "audit_responses", "violation_id, response, custody_days", first, last
        ):
            if violation_id in counted[client_id]:
                clients[client_id].responses.append(
                    ResponseFact(date.fromisoformat(on), number, violation_id, response, days)
                )
        if self.casework:
            self._attach_casework(clients, first, last)

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
