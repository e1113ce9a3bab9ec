"""Reading one client's record: its timeline and its case as it stands, as the actor may see
them (another agency's client is not found; confidential notes only for its own agency), with
personal fields decrypted under the client's key, and every reading logged."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace
from datetime import date, datetime
from itertools import islice
from typing import TYPE_CHECKING, cast
from uuid import UUID

from reentry_ledger.application.access import AccessLog, refusals_logged
from reentry_ledger.application.base import PAGE_SIZE, check_limit
from reentry_ledger.authorization import Actor, Permission
from reentry_ledger.domain.client import Client
from reentry_ledger.domain.errors import InvalidInput
from reentry_ledger.domain.events import ContactLogged, Enrolled
from reentry_ledger.domain.personal import decrypt, reveal_value
from reentry_ledger.domain.state import CaseState
from reentry_ledger.timeline import TimelineEntry, timeline

if TYPE_CHECKING:
    from reentry_ledger.application import Ledger

MAX_LISTED = 200  # clients in one page of `list_clients`


@dataclass(frozen=True)
class ClientSummary:
    """One line of a caseload: the client as it stands, and its last recorded event."""

    ref: str
    agency: str
    officer: str
    supervision: str
    status: str  # active or discharged
    sealed: bool
    risk_level: str | None  # None: not assessed
    last_event: int  # its number: the If-Match of a write
    last_event_type: str
    last_event_on: date  # when it took effect
    last_recorded_at: datetime


@dataclass(frozen=True)
class ClientList:
    clients: list[ClientSummary]
    next_after: int | None  # give as `after` for the next page; None when there is no more


def summary(client: Client) -> ClientSummary:
    state, last = client.state, client.history[-1]
    return ClientSummary(
        ref=client.ref,
        agency=state.agency,
        officer=state.officer,
        supervision=state.supervision,
        status=state.status,
        sealed=state.sealed,
        risk_level=state.risk_level.value if state.risk_level else None,
        last_event=last.number,
        last_event_type=type(last).__name__,
        last_event_on=last.occurred_on,
        last_recorded_at=last.timestamp,
    )


def holder(who: Actor, client: Client) -> str:
    """The agency whose record the actor reads: the client's own, or (for staff of an agency
    that held it before a move) the actor's, whose notes they are."""
    agency = client.state.agency
    return agency if who.sees(agency) or who.agency is None else who.agency


CONFIDENTIAL = "[confidential]"


def redacted(entry: TimelineEntry) -> TimelineEntry:
    """A confidential case note, as someone outside the client's agency sees it: each of its
    personal fields (`ContactLogged.PERSONAL`: the note, the group session's name, the kind in
    the agency's own words) that holds anything, marked confidential."""
    if entry.type != ContactLogged.__name__ or not entry.data.get("confidential"):
        return entry
    data = dict(entry.data)
    for path in ContactLogged.PERSONAL:
        name, _, inner = path.partition(".")
        value = data.get(name)
        if inner and isinstance(value, dict) and value.get(inner) is not None:
            data[name] = {**value, inner: CONFIDENTIAL}
        elif not inner and value not in (None, ""):
            data[name] = CONFIDENTIAL
    data["note"] = CONFIDENTIAL  # said even of an empty note, as before
    return replace(entry, data=data)


class Reads(AccessLog):
    @refusals_logged("timeline")
    def timeline(
        self,
        ref: str,
        *,
        actor: str | None = None,
        as_of: date | None = None,
        known_at: datetime | None = None,
    ) -> list[TimelineEntry]:
        """The client's timeline, as the actor may see it; the reading is logged."""
        who = self.require(actor, Permission.READ_CLIENT)
        client = self.client_for(who, ref)
        self.log_read(who, client, "timeline", as_of, known_at)
        reveal = self.revealer(str(client.id))
        entries = [
            replace(entry, data={k: reveal_value(v, reveal) for k, v in entry.data.items()})
            for entry in timeline(client.history, as_of=as_of, known_at=known_at)
        ]
        if who.reads_confidential(holder(who, client)):
            return entries
        return [redacted(entry) for entry in entries]

    @refusals_logged("show")
    def client_state(self, ref: str, *, actor: str | None = None) -> CaseState:
        """The case as it stands, every personal field decrypted; the reading is logged."""
        who = self.require(actor, Permission.READ_CLIENT)
        client = self.client_for(who, ref)
        self.log_read(who, client, "show", None, None)
        state: CaseState = reveal_value(client.state, self.revealer(str(client.id)))
        return state

    def list_clients(self, *, actor: str | None, after: int = 0, limit: int = 50) -> ClientList:
        """The clients the actor may see (an agency's staff: its own; auditors: every one), in
        order of enrolment, `limit` at a time: `after` is the `next_after` of the page before.
        No personal data is listed; each listed client's reading is logged (view `caseload`)."""
        who = self.require(actor, Permission.READ_CLIENT)
        check_limit(limit, MAX_LISTED, "clients a page")
        if not 0 <= after < 2**63:  # the databases' integers: beyond them no position is
            raise InvalidInput(f"after {after}: give 0 or the next_after of a page")
        found = list(islice(self._visible_clients(who, after), limit + 1))  # one more: is there?
        listed = [client for _, client in found[:limit]]
        self.log_reads(who, [client.ref for client in listed], "caseload", None, None)
        next_after = found[limit - 1][0] if len(found) > limit else None
        return ClientList([summary(client) for client in listed], next_after)

    def _visible_clients(self, who: Actor, after: int) -> Iterator[tuple[int, Client]]:
        """(position, client) of each client the actor may see, enrolled after `position`:
        read only where the projections, as they stand, say the client could be the reader's
        (`listing_candidates`)."""
        wanted = self.listing_candidates(who)
        position = after
        while page := self.recorder.select_notifications(
            start=position, limit=PAGE_SIZE, topics=[Enrolled.TOPIC], inclusive_of_start=False
        ):
            for notification in page:
                if wanted is not None and not wanted(UUID(str(notification.originator_id))):
                    continue
                enrolled = cast(Enrolled, self.mapper.ledger_event(notification))
                client = self.get_client(enrolled.client_ref)
                if who.sees(client.state.agency):  # the agency holding it now
                    yield notification.id, client
            position = page[-1].id

    def listing_candidates(self, who: Actor) -> Callable[[UUID], bool] | None:
        """The clients a caseload of `who`'s need read (ADR 53, as the work list's: those the
        projections, as they stand, ever put with the reader's agency, and those with events
        they have not taken in), or None: every one."""
        from reentry_ledger.reports.due import readable_candidates

        return readable_candidates(cast("Ledger", self), who, None)

    def records_casework(self, actor: str | None) -> bool:
        """May the actor record casework at all (for a front end to offer its forms)?"""
        return self.actor(actor).may(Permission.WRITE)

    def revealer(self, client: str) -> Callable[[str], str]:
        """Decrypts with the client's key: [sealed] once it is destroyed."""
        key = self.keys.get(client)
        return lambda value: decrypt(key, client, value)
