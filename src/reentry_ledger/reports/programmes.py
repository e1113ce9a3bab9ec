"""Group programmes: `report programmes` (docs/metrics.md, "Programmes and contacts").

Per programme (its agency and name), over a range of dates:
- enrolled: places begun in the range;
- sessions_held: sessions the programme held in the range (its own events);
- attended, missed: clients' sessions in the range, as each client's record has them (a
  retracted one is not counted), and the attendance rate, attended / (attended + missed);
- places ended in the range: completed, dropped_out, removed, and ended_with_term (still open
  when the client's term ended); the completion rate is completed / (completed + dropped_out +
  removed): a place the term's end closed says nothing of the programme, so it is left out.

A place belongs to the programme of the client's agency on the day it began.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any

from reentry_ledger.domain.codes import ProgrammeOutcome
from reentry_ledger.reports.facts import ClientFacts, FactReader
from reentry_ledger.reports.known_at import known
from reentry_ledger.reports.paging import with_facts
from reentry_ledger.reports.violations import rounded

OUTCOMES = ("completed", "dropped_out", "removed")
COUNTS = ("enrolled", "attended", "missed", *OUTCOMES, "ended_with_term")
COLUMNS = ("agency", "programme", "service", "enrolled", "sessions_held", "attended", "missed",
           "attendance_rate", *OUTCOMES, "ended_with_term", "completion_rate")  # fmt: skip
DERIVED = {
    "attendance_rate": ("attended", "missed"),
    "completion_rate": OUTCOMES,
}


@dataclass
class Place:
    agency: str
    programme: str
    on: date
    number: int
    term_end: date | None  # the end of the term it began in, as known
    term_end_number: int | None
    outcome: str | None = None
    ended_on: date | None = None
    sessions: list[tuple[date, str]] = field(default_factory=list)  # (on, attended|missed)


def report(reader: FactReader, first: date, last: date) -> list[dict[str, Any]]:
    """One row per programme with a place, a session or a count in the range (and each
    programme added by `last`), by agency and name."""
    rows: dict[tuple[str, str], dict[str, Any]] = {}
    for (agency, name), (service, held) in programmes(reader, first, last).items():
        rows[agency, name] = blank(agency, name, service) | {"sessions_held": held}
    for client, facts in with_facts(reader, "audit_places", "programme, event, detail"):
        for place in places(client, facts):
            row = rows.setdefault((place.agency, place.programme),
                                  blank(place.agency, place.programme, None))  # fmt: skip
            count(row, place, first, last)
    for row in rows.values():
        seen = row["attended"] + row["missed"]
        ended = sum(row[outcome] for outcome in OUTCOMES)
        row["attendance_rate"] = rounded(row["attended"] / seen) if seen else None
        row["completion_rate"] = rounded(row["completed"] / ended) if ended else None
    return [rows[key] for key in sorted(rows)]


def blank(agency: str, name: str, service: str | None) -> dict[str, Any]:
    row: dict[str, Any] = dict.fromkeys(COLUMNS, 0)
    row.update(agency=agency, programme=name, service=service)
    return row


def count(row: dict[str, Any], place: Place, first: date, last: date) -> None:
    if first <= place.on <= last:
        row["enrolled"] += 1
    for on, kind in place.sessions:
        if first <= on <= last:
            row[kind] += 1
    if place.ended_on is not None and first <= place.ended_on <= last:
        term_ended = place.outcome == ProgrammeOutcome.TERM_ENDED
        row["ended_with_term" if term_ended else str(place.outcome)] += 1


def places(client: ClientFacts, facts: list[tuple]) -> list[Place]:
    """The client's places, each with its sessions and its end (its own, else its term's)."""
    found: list[Place] = []
    current: dict[str, Place] = {}
    for on_text, number, programme, event, detail in facts:
        on = date.fromisoformat(on_text)
        place = current.get(programme)
        if event == "enrolled":
            term = next((t for t in reversed(client.terms) if t.number < number), None)
            agency = client.officer_on(term, on)[0] if term else client.agency
            end, end_number = (term.end_on, term.end_number) if term else (None, None)
            current[programme] = place = Place(agency, programme, on, number, end, end_number)
            found.append(place)
        elif place is None or place.ended_on is not None:
            continue
        elif event == "ended":
            place.outcome, place.ended_on = detail, on
        else:
            place.sessions.append((on, event))
    for place in found:  # still open when its term ended: closed with the term
        if place.ended_on is None and place.term_end_number is not None:
            place.outcome, place.ended_on = ProgrammeOutcome.TERM_ENDED.value, place.term_end
    return found


def programmes(
    reader: FactReader, first: date, last: date
) -> dict[tuple[str, str], tuple[str, int]]:
    """Each programme added by `last`: its service and the sessions it held in the range."""
    moment = "?" if reader.known_at else None
    repeat = (reader.known_at,) * known(None, moment).count("?")
    rows = reader.store.rows(
        "SELECT a.agency, a.name, a.service, "
        "(SELECT COUNT(*) FROM {audit_programme_sessions} p WHERE p.client_id = a.client_id "
        f"AND p.occurred_on >= ? AND p.occurred_on <= ? AND {known('p', moment)}) "
        f"FROM {{audit_programmes}} a WHERE a.occurred_on <= ? AND {known('a', moment)}",
        (first.isoformat(), last.isoformat(), *repeat, last.isoformat(), *repeat),
        ["audit_programmes", "audit_programme_sessions"],
    )
    return {(agency, name): (service, int(n)) for agency, name, service, n in rows}
