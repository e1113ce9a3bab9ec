"""Caseload, discharge outcomes, referral outcomes and volunteer matches, by group."""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from datetime import date
from statistics import median
from typing import Any

from reentry_ledger.domain.codes import (
    DischargeOutcome,
    MatchEnding,
    ReferralStatus,
    Service,
    values,
)
from reentry_ledger.reports.facts import ClientFacts, TermFact
from reentry_ledger.reports.suppression import linked

OUTCOME_CLASS = {
    "successful": "successful",
    "early": "successful",
    "transferred": "neutral",
    "death": "neutral",
    "other": "neutral",
    "revoked_technical": "unsuccessful",
    "revoked_new_offence": "unsuccessful",
    "absconded": "unsuccessful",
}


def client_key(client: ClientFacts, dimensions: Sequence[str]) -> tuple[Any, ...]:
    return tuple(getattr(client, d) for d in dimensions)


def term_key(
    client: ClientFacts, term: TermFact, day: date, dimensions: Sequence[str]
) -> tuple[Any, ...]:
    """A client's group on a day of one term: the agency and officer responsible that day
    (after reassignments), the term's supervision type."""
    agency, officer = client.officer_on(term, day)
    of_term = {"agency": agency, "officer": officer, "supervision": term.supervision}
    return tuple(of_term[d] if d in of_term else getattr(client, d) for d in dimensions)


def rows_of(
    counters: dict[tuple[Any, ...], Counter[str]], dimensions: Sequence[str], columns: Sequence[str]
) -> list[dict[str, Any]]:
    rows = []
    for key in sorted(counters):
        row: dict[str, Any] = dict(zip(dimensions, key, strict=True))
        row.update({column: counters[key][column] for column in columns})
        rows.append(row)
    return rows


CASELOAD_COUNTS = ("active_clients",)


def caseload(clients: Iterable[ClientFacts], on: date, dimensions: Sequence[str]) -> list[dict]:
    """Clients under supervision on a date (a term covers it), each under the agency and
    officer responsible that day and the supervision type of that term."""
    counters: dict[tuple[Any, ...], Counter[str]] = defaultdict(Counter)
    for client in clients:
        term = client.term_on(on)
        if term is not None:
            counters[term_key(client, term, on, dimensions)]["active_clients"] += 1
    return rows_of(counters, dimensions, CASELOAD_COUNTS)


DISCHARGE_COLUMNS = (*values(DischargeOutcome), "successful_total", "neutral", "unsuccessful")
# Each class is the sum of its outcomes: a total is hidden with any of its parts.
DISCHARGE_TOTALS = tuple(
    (
        "successful_total" if kind == "successful" else kind,
        tuple(outcome for outcome, of in OUTCOME_CLASS.items() if of == kind),
    )
    for kind in ("successful", "neutral", "unsuccessful")
)


def discharges(
    clients: Iterable[ClientFacts], first: date, last: date, dimensions: Sequence[str]
) -> list[dict]:
    """Each term's discharge dated first..last, by outcome and by class (transfers count as
    neutral), under the agency and officer responsible on the day it ended."""
    counters: dict[tuple[Any, ...], Counter[str]] = defaultdict(Counter)
    for client in clients:
        for term in client.terms:
            if term.outcome and term.end_on and first <= term.end_on <= last:
                counter = counters[term_key(client, term, term.end_on, dimensions)]
                counter[term.outcome] += 1
                kind = OUTCOME_CLASS[term.outcome]
                counter["successful_total" if kind == "successful" else kind] += 1
    return rows_of(counters, dimensions, DISCHARGE_COLUMNS)


REFERRAL_COLUMNS = (*values(ReferralStatus), "median_days_to_start")
# Where each referral stands now, besides declined and completed (shown): not shown, but any
# difference of the shown counts that is a count of referrals is a sum of these (made 74,
# accepted 57, declined 16: one awaiting a decision; started 22, completed 21: one started
# and not completed, whether running or dropped)
REFERRAL_STANDING = (
    "_awaiting_decision",
    "_accepted_not_started",
    "_dropped_before_starting",
    "_running",
    "_dropped_after_starting",
)
# A median is shown only over enough people: how many clients the waits are of.
REFERRAL_COUNTS = (*values(ReferralStatus), "_started_clients", *REFERRAL_STANDING)
REFERRAL_DERIVED = {"median_days_to_start": ("started", "_started_clients")}
# A referral made reaches at most one of accepted or declined, then started or dropped, and
# once started completed or dropped (domain/client.py, NEXT_REFERRAL_STATUSES): each count
# bounds the others (made - accepted = 1 pins a hidden declined to 1), and every sum of where
# the referrals stand is a difference of them, so where any is small all are hidden: a sum of
# counts each 0 or at least K is 0 or at least K.
REFERRAL_LINKED = linked(*values(ReferralStatus), *REFERRAL_STANDING)
STANDING = {
    ReferralStatus.MADE: "_awaiting_decision",
    ReferralStatus.ACCEPTED: "_accepted_not_started",
    ReferralStatus.STARTED: "_running",
}


def referrals(clients: Iterable[ClientFacts], first: date, last: date) -> list[dict]:
    """Referrals made first..last by service: how many reached each status; days to start."""
    counts: dict[str, Counter[str]] = defaultdict(Counter)
    waits: dict[str, list[int]] = defaultdict(list)
    waiting: dict[str, set[str]] = defaultdict(set)
    for client in clients:
        for referral in client.referrals:
            if not first <= referral.made_on <= last:
                continue
            counter = counts[referral.service]
            counter["made"] += 1
            reached = [status for _, status in referral.statuses]
            for on, status in referral.statuses:
                counter[status] += 1
                if status == "started":
                    waits[referral.service].append((on - referral.made_on).days)
                    waiting[referral.service].add(client.client_id)
            if (now := standing(reached)) is not None:
                counter[now] += 1
    rows = []
    for service in values(Service):
        if service in counts:
            row: dict[str, Any] = {"service": service}
            row.update({s: counts[service][s] for s in values(ReferralStatus)})
            row["median_days_to_start"] = median(waits[service]) if waits[service] else None
            row["_started_clients"] = len(waiting[service])
            row.update({name: counts[service][name] for name in REFERRAL_STANDING})
            rows.append(row)
    return rows


def standing(reached: Sequence[str]) -> str | None:
    """Where a referral that reached `reached` (after being made, in order) stands now: one
    of `REFERRAL_STANDING`, or None where its last status is shown (declined, completed)."""
    last = ReferralStatus(reached[-1]) if reached else ReferralStatus.MADE
    if last == ReferralStatus.DROPPED:
        started = ReferralStatus.STARTED in reached
        return "_dropped_after_starting" if started else "_dropped_before_starting"
    return STANDING.get(last)


# Matches ended by how: taken_back is the professional taking the case back; term_ended,
# the client's term ending with the match still open.
ENDINGS = tuple(f"ended_{ending}" for ending in values(MatchEnding))
VOLUNTEER_COLUMNS = ("matched", "ended", "active_at_end", "median_days_matched", *ENDINGS)
VOLUNTEER_COUNTS = (*VOLUNTEER_COLUMNS[:3], *ENDINGS, "_ended_clients")
VOLUNTEER_DERIVED = {"median_days_matched": ("ended", "_ended_clients")}
# Active at the end = active at the start + matched - ended, and from the first enrolment on
# nothing is active at the start: any two give the third. The endings by kind sum to `ended`:
# hidden with any of them, and each hidden with it (shown, they would add up to it).
VOLUNTEER_LINKED = (
    *linked("matched", "ended", "active_at_end"),
    ("ended", ENDINGS),
    *((ending, ("ended",)) for ending in ENDINGS),
)


def volunteers(
    clients: Iterable[ClientFacts], first: date, last: date, dimensions: Sequence[str]
) -> list[dict]:
    """Matches begun and ended in first..last (by how they ended, a term's end among them),
    those still active on the last day, durations."""
    counters: dict[tuple[Any, ...], Counter[str]] = defaultdict(Counter)
    durations: dict[tuple[Any, ...], list[int]] = defaultdict(list)
    ending: dict[tuple[Any, ...], set[str]] = defaultdict(set)
    for client in clients:
        key = client_key(client, dimensions)
        for match in client.matches:
            counter = counters[key]
            counter["matched"] += first <= match.matched_on <= last
            if match.ended_on and first <= match.ended_on <= last:
                counter["ended"] += 1
                counter[f"ended_{match.ending}"] += 1
                durations[key].append((match.ended_on - match.matched_on).days)
                ending[key].add(client.client_id)
            counter["active_at_end"] += match.matched_on <= last and (
                match.ended_on is None or match.ended_on > last
            )
    rows = []
    for key in sorted(counters):
        row: dict[str, Any] = dict(zip(dimensions, key, strict=True))
        row.update({c: counters[key][c] for c in VOLUNTEER_COLUMNS[:3]})
        row["median_days_matched"] = median(durations[key]) if durations[key] else None
        row.update({c: counters[key][c] for c in ENDINGS})
        row["_ended_clients"] = len(ending[key])
        rows.append(row)
    return rows
