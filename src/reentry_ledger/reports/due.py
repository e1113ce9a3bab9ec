"""The work list (`report due`): what is overdue on a day, per officer, read from the live
client records an actor may see (docs/casework.md, "The work list").

Three kinds of item, for each client whose term is open on the day (and not sealed):
- `reassessment`: the next assessment was due before the day (CaseState.reassessment_due):
  REASSESSMENT_MONTHS after the term's latest assessment, by the risk level it found; with no
  assessment in the term (a new term, whatever the last term found), an intake assessment
  INTAKE_ASSESSMENT_DAYS after the term's start.
- `contacts`: fewer contacts with the client (collateral ones do not count) in the `months`
  months ending on the day than the supervision level in force asks (CONTACT_STANDARDS). Not
  asked of a client with no level set, at a level that asks none, in custody or absconded on
  the day, or whose term began inside those months.
- `goal`: a goal of the current plan past its target and still open.

An item is overdue the day after it fell due. Clients are read one at a time, as of the day
(events that took effect by then); only the items found are kept. Goal texts are personal and
stay out of the list: `show REF` gives them.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from datetime import date, timedelta
from typing import TYPE_CHECKING, Any
from uuid import UUID

from reentry_ledger.domain.client import Client
from reentry_ledger.domain.codes import (
    CONTACT_STANDARDS,
    INTAKE_ASSESSMENT_DAYS,
    REASSESSMENT_MONTHS,
)
from reentry_ledger.domain.state import CaseState, add_months, case_state
from reentry_ledger.projections.base import keyed_client_id
from reentry_ledger.projections.store import ProjectionStore

if TYPE_CHECKING:
    from reentry_ledger.application import Ledger
    from reentry_ledger.authorization import Actor

FIRST_ASSESSMENT_DAYS = INTAKE_ASSESSMENT_DAYS
ITEMS = ("reassessment", "contacts", "goal")  # their order within a client
COLUMNS = (
    "agency", "officer", "client", "item", "due", "days_overdue",
    "risk_level", "assessed_on", "level", "contacts", "asked", "since", "goal_id", "need",
    "detail",
)  # fmt: skip
TABLE_COLUMNS = ("agency", "officer", "client", "item", "due", "days_overdue", "detail")
AWAY = ("in_custody", "absconded")  # no contact is asked of a client who is


@dataclass(frozen=True)
class WorkList:
    """The items overdue on a day, in order (`in_order`), for one officer or every one."""

    on: date
    officer: str | None
    rows: list[dict[str, Any]]
    columns: tuple[str, ...] = COLUMNS

    def as_document(self) -> dict[str, Any]:
        return {"on": self.on.isoformat(), "officer": self.officer, "items": self.rows}


def as_of(client: Client, on: date) -> CaseState | None:
    """The client's case as it stood on `on` (what had taken effect by then); None before
    its enrolment."""
    state = client.state
    if state.last_effective_on is not None and state.last_effective_on <= on:
        return state
    if client.enrolment.occurred_on > on:
        return None
    taken = (event for event in client.effective_events() if event.occurred_on <= on)
    return case_state(client.enrolment, taken)


def items(state: CaseState, on: date) -> list[dict[str, Any]]:
    """What is overdue for this client on `on`, in the order of ITEMS."""
    if state.is_discharged or state.sealed:
        return []
    found = [*reassessment(state, on), *contacts(state, on), *goals(state, on)]
    return [{column: item.get(column) for column in COLUMNS} for item in found]


def reassessment(state: CaseState, on: date) -> Iterator[dict[str, Any]]:
    due = state.reassessment_due
    if due is None:
        return
    if not state.assessed_in_term:
        detail = f"not assessed in this term: due {FIRST_ASSESSMENT_DAYS} days after its start"
    else:
        months = REASSESSMENT_MONTHS[state.risk_level or ""]
        detail = f"last assessed {state.assessed_on} ({state.risk_level}): every {months} months"
    if due < on:
        yield item(state, on, "reassessment", due, detail, risk_level=state.risk_level,
                   assessed_on=state.assessed_on)  # fmt: skip


def contacts(state: CaseState, on: date) -> Iterator[dict[str, Any]]:
    asked, months = CONTACT_STANDARDS.get(state.level or "", (0, 1))
    since = add_months(on, -months) + timedelta(days=1)
    if asked == 0 or state.status in AWAY or state.start > since:
        return
    made = state.client_contacts(since, on)
    if made < asked:
        span = "month" if months == 1 else f"{months} months"
        detail = (
            f"{made} of {asked} client contacts in the {span} {since} to {on} (level {state.level})"
        )
        yield item(state, on, "contacts", None, detail, level=state.level, contacts=made,
                   asked=asked, since=since)  # fmt: skip


def goals(state: CaseState, on: date) -> Iterator[dict[str, Any]]:
    for priority, goal in enumerate(state.plan_goals, start=1):
        if goal.overdue_on(on):
            detail = f"priority {priority}, {goal.status}" + (
                f" since {goal.status_on}" if goal.status_on else ""
            )
            yield item(state, on, "goal", goal.target, detail, goal_id=goal.goal_id,
                       need=goal.need)  # fmt: skip


def item(
    state: CaseState, on: date, kind: str, due: date | None, detail: str, **facts: Any
) -> dict[str, Any]:
    return {
        "agency": state.agency,
        "officer": state.officer,
        "client": state.ref,
        "item": kind,
        "due": due,
        "days_overdue": (on - due).days if due else None,
        "detail": detail,
        **{name: str(value) if isinstance(value, str) else value for name, value in facts.items()},
    }


def work_list(
    clients: Iterable[Client], on: date, officer: str | None = None
) -> Iterator[tuple[Client, list[dict[str, Any]]]]:
    """Each client with something overdue on `on` (of `officer`, if given), with its items."""
    for client in clients:
        state = as_of(client, on)
        if state is None or (officer is not None and state.officer != officer):
            continue
        found = items(state, on)
        if found:
            yield client, found


def in_order(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """By agency, officer and client, then each client's items in the order of ITEMS."""
    return sorted(
        rows,
        key=lambda row: (row["agency"], row["officer"], row["client"], ITEMS.index(row["item"])),
    )


# Events the projections have not taken in past which the work list reads every client: the
# walk of the log to find their clients would cost more than reading them all
FAR_BEHIND = 20_000


def readable_candidates(
    ledger: Ledger, who: Actor, officer: str | None
) -> Callable[[UUID], bool] | None:
    """`candidates` of the clients `who` may read (and of `officer`, if asked), for the work
    list and a caseload (`Ledger.list_clients`), or None: all of them (a reader of every
    agency asking for no officer, or projections that cannot be read as they stand)."""
    from eventsourcing.persistence import PersistenceError

    every_agency = who.sees_every_agency
    if every_agency and officer is None:
        return None
    try:  # as they stand: these reads catch nothing up, and may not write
        return candidates(ProjectionStore(ledger), None if every_agency else who.agency, officer)
    except PersistenceError:
        return None


def candidates(
    store: ProjectionStore, agency: str | None, officer: str | None
) -> Callable[[UUID], bool] | None:
    """Which clients a work list of `agency`'s (None: every agency's) and `officer`'s (None:
    every officer's) need be read for: each that a term or a reassignment ever put with the
    agency and (not necessarily the same) with the officer, as the projections hold them
    (under their keyed ids), and each with an event they have not taken in yet. None (read
    every client) where the projections cannot say: their tables missing or of another
    version of their code, no secret to key ids with, cleared or rebuilt while read, or far
    behind. The clients are still read whole and listed or not as before: this leaves out
    only those that could not be listed (ADR 53)."""
    from reentry_ledger.ledger_secrets import PROJECTION_IDS, LedgerSecrets
    from reentry_ledger.projections.clients import ClientsProjection
    from reentry_ledger.projections.status import StatusProjection

    projections = [ClientsProjection(), StatusProjection()]
    secret = LedgerSecrets(store.ledger).stored(PROJECTION_IDS)
    if secret is None or not store.made(projections):  # tables, indexes, versions all there
        return None
    recorder = store.ledger.recorder
    before = standing_of(store, projections)
    since, head = min(before[1]), recorder.max_notification_id() or 0
    if head - since > FAR_BEHIND:
        return None  # quicker to read every client than to walk the log for theirs
    if max(before[1]) > head:  # a position past the head: damaged (projections status), so
        return None  # the events after the head would be taken as taken in
    # Each asked apart: a client listed for an officer on a past day may be with another
    # agency now (the agency is the one holding it now, the officer the one on the day)
    keyed: set[str] | None = None
    for term, status, value in (("agency", "agency", agency), ("officer", "value", officer)):
        if value is not None:
            ever = {str(row[0]) for row in store.rows(
                f"SELECT client_id FROM {{audit_terms}} WHERE {term} = ? UNION SELECT client_id "
                f"FROM {{audit_status}} WHERE kind = 'officer' AND {status} = ?",
                (value, value), ("audit_terms", "audit_status"))}  # fmt: skip
            keyed = ever if keyed is None else keyed & ever
    if keyed is None or standing_of(store, projections) != before:  # nothing asked; cleared
        return None  # or rebuilt meanwhile
    moved: set[str] = set()  # the clients of the events the projections have not taken in
    while page := recorder.select_notifications(start=since, limit=1000, inclusive_of_start=False):
        moved.update(str(notification.originator_id) for notification in page)
        since = page[-1].id
    return lambda client: str(client) in moved or keyed_client_id(secret, client) in keyed


def standing_of(store: ProjectionStore, projections: list[Any]) -> tuple[Any, list[int]]:
    """The projections' clears and positions: read again after their rows, so that a clear or
    a rebuild committed between (PostgreSQL reads each statement at its own moment) is seen."""
    with store.transaction(commit=False) as cursor:
        return store.resets(cursor), list(store.positions(projections, cursor).values())
