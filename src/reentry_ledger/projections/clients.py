"""Clients, their terms and discharges: who was under supervision where, from when to when."""

from __future__ import annotations

from collections.abc import Iterable

from reentry_ledger.domain.events import (
    Corrected,
    Discharged,
    Enrolled,
    TermStarted,
    ViolationResponded,
)
from reentry_ledger.projections.base import FACT_COLUMNS, Projection, Recorded, Statement


class ClientsProjection(Projection):
    name = "clients"
    description = (
        "enrolments (juvenile, first start), terms (agency, officer, supervision, start) and "
        "discharges (a revocation decision's end of its term among them)"
    )
    topics = (
        Enrolled.TOPIC,
        TermStarted.TOPIC,
        Discharged.TOPIC,
        ViolationResponded.TOPIC,
        Corrected.TOPIC,
    )
    version = 5  # 4: terms; 5: revocation decisions end terms
    tables = {
        "audit_clients": (
            "client_id TEXT PRIMARY KEY, agency TEXT NOT NULL, officer TEXT NOT NULL, "
            "supervision TEXT NOT NULL, juvenile INTEGER NOT NULL, start_on TEXT NOT NULL, "
            "expected_end TEXT, recorded_at TEXT NOT NULL, discharged_on TEXT"
        ),
        # Each end of a term: a discharge, or a revocation decision that ended its term (then
        # `revoked_by` is the violation it decided, and the row's number the decision's).
        "audit_discharges": f"{FACT_COLUMNS}, outcome TEXT NOT NULL, revoked_by TEXT, "
        "PRIMARY KEY (client_id, number)",
        # Each term's start: the enrolment is term 1's, a TermStarted a later one's. A term ends
        # with the first discharge after its start (and before the next term's start).
        "audit_terms": f"{FACT_COLUMNS}, term INTEGER NOT NULL, agency TEXT NOT NULL, "
        "officer TEXT NOT NULL, supervision TEXT NOT NULL, start_reason TEXT, expected_end TEXT, "
        "PRIMARY KEY (client_id, number)",
    }
    fact_tables = ("audit_discharges", "audit_terms")
    # the earliest start, where a report's range begins by default (a scan of every client
    # took 20-30 ms of each report at ten million events)
    indexes = ("audit_clients(start_on)",)
    # The client's discharge date as it now stands: its latest discharge not retracted (kept
    # on the client's row, so a report over every client reads it without a lookup).
    DISCHARGED_ON = (
        "UPDATE {audit_clients} AS target SET discharged_on = (SELECT d.occurred_on FROM "
        "{audit_discharges} d WHERE d.client_id = target.client_id AND d.retracted_at IS NULL "
        "ORDER BY d.number DESC LIMIT 1)"
    )
    refresh = (DISCHARGED_ON,)

    def facts(self, event: Recorded) -> Iterable[Statement]:
        if event.topic == Enrolled.TOPIC:
            client_id, _, start_on, recorded_at = event.key()
            yield (
                "INSERT INTO {audit_clients} VALUES (?, ?, ?, ?, ?, ?, ?, ?, NULL)",
                (
                    client_id,
                    event["agency"],
                    event["officer"],
                    event.code("supervision"),
                    int(event["juvenile"]),
                    start_on,
                    event["expected_end"],
                    recorded_at,
                ),
            )
        if event.topic in (Enrolled.TOPIC, TermStarted.TOPIC):
            yield (
                "INSERT INTO {audit_terms} VALUES (?, ?, ?, ?, NULL, ?, ?, ?, ?, ?, ?)",
                (
                    *event.key(),
                    event.state.get("term", 1),
                    event["agency"],
                    event["officer"],
                    event.code("supervision"),
                    event.code("start_reason"),
                    event["expected_end"],
                ),
            )
        ended = event.topic == Discharged.TOPIC or (
            event.topic == ViolationResponded.TOPIC and event["term_outcome"] is not None
        )
        if ended:
            revocation = event.topic == ViolationResponded.TOPIC
            yield (
                "INSERT INTO {audit_discharges} VALUES (?, ?, ?, ?, NULL, ?, ?)",
                (
                    *event.key(),
                    event["term_outcome"] if revocation else event.code("outcome"),
                    event["violation_id"] if revocation else None,
                ),
            )
            yield self.refreshed(self.DISCHARGED_ON, event.client_id)

    def retract(self, correction: Recorded) -> Iterable[Statement]:
        yield from super().retract(correction)
        yield self.refreshed(self.DISCHARGED_ON, correction.client_id)
