"""Group programmes (domain/programme.py): an agency's programmes, the places its clients hold
in them, and the sessions held, each written on the programme and on every client it names in
one transaction, through the one write path (a Recording), so one refused client refuses the
whole session and nothing of it is written."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any
from uuid import UUID

from eventsourcing.application import AggregateNotFoundError

from reentry_ledger.application.access import AccessLog, refusals_logged
from reentry_ledger.application.base import PAGE_SIZE, CodeValue, Recorded, as_coded
from reentry_ledger.application.recording import Command, Recording
from reentry_ledger.authorization import Actor, NotPermitted, Permission
from reentry_ledger.domain.client import Client, coded
from reentry_ledger.domain.directory import OpenedAggregate
from reentry_ledger.domain.errors import Conflict, InvalidInput, RuleViolated
from reentry_ledger.domain.events import ProgrammeEnrolled
from reentry_ledger.domain.programme import (
    Programme,
    ProgrammeAdded,
    new_programme,
    programme_id,
)
from reentry_ledger.domain.recording import Stamp


@dataclass(frozen=True)
class ProgrammeSummary:
    """One of an agency's programmes: its service, the sessions it plans (None: not said),
    and the sessions held so far with their attendance."""

    agency: str
    name: str
    service: str
    added_on: date
    sessions_planned: int | None
    sessions_held: int
    attended: int
    missed: int


@dataclass(frozen=True)
class SessionRecorded:
    """A session held: the clients who attended and those who missed it, each with the number
    of the event written on it (in the order given)."""

    agency: str
    programme: str
    on: date
    attended: list[Recorded]
    missed: list[Recorded]


class Programmes(AccessLog):
    def add_programme(
        self,
        name: str,
        *,
        actor: str | None,
        service: str,
        agency: str | None = None,
        sessions: int | None = None,
        on: date | None = None,
    ) -> ProgrammeSummary:
        """One of the agency's group programmes (its staff add it; single-user mode names the
        agency)."""
        who = self.writer(actor)
        agency = self._own_agency(who, agency)
        programme = self.programme(agency, name) or new_programme(agency, name, self._now())
        programme.add(self.stamp(who.name, on), agency=agency, name=name, service=service,
                      sessions=sessions)  # fmt: skip
        self._store([programme], {}, f"programme {name!r}")
        return summary(programme)

    def enrol_in_programme(
        self, programme: str, refs: Sequence[str], *, actor: str | None, on: date | None = None
    ) -> list[Recorded]:
        """A place in one of their agency's programmes for each client, from `on`: all of them,
        or (one refused) none."""
        who = self.writer(actor)
        recording = Recording(self, who)
        check_distinct(refs, "client")
        for ref in refs:
            with self.refusal_logged(actor, ref, "programme enrol"):
                client = recording.client(ref)
            held = self._programme_of(client.state.agency, programme)
            if on is not None and on < (held.added_on or on):
                raise RuleViolated(
                    f"programme {programme!r} was added on {held.added_on}: no place before it"
                )
            recording.record(ref, on, enrolling(programme, coded(held.service)))
        self._store(recording.clients.values(), recording.new_keys, f"programme {programme!r}")
        return [Recorded.latest(recording.clients[ref]) for ref in refs]

    def record_programme_session(
        self,
        programme: str,
        *,
        actor: str | None,
        on: date | None = None,
        attended: Sequence[str] = (),
        missed: Sequence[str] | None = None,
        agency: str | None = None,
    ) -> SessionRecorded:
        """A session held on `on`: attended by `attended`, missed by `missed` (default: every
        other client holding an open place in the programme on that date). Written on the
        programme and on each client in one transaction: one refused client refuses it all."""
        who = self.writer(actor)
        recording = Recording(self, who)
        day = on or recording.today
        check_distinct([*attended, *(missed or ())], "client")
        named = []  # each seen first
        for ref in (*attended, *(missed or ())):
            with self.refusal_logged(actor, ref, "programme session"):
                named.append(recording.client(ref))
        if agency is None and who.agency is None and attended:
            agency = named[0].state.agency
        agency = self._own_agency(who, agency)
        held = self._programme_of(agency, programme)
        if missed is None:
            missed = [
                ref for ref in self.holders(who, agency, programme, day) if ref not in attended
            ]
        for refs, came in ((attended, True), (missed, False)):
            for ref in refs:
                self._check_in_agency(recording.client(ref), agency, programme)
                recording.record(ref, day, session(programme, came))
        stamp = Stamp(on=day, by=who.name, today=recording.today)
        held.hold_session(stamp, attended=len(attended), missed=len(missed))
        self._store([*recording.clients.values(), held], recording.new_keys,
                    f"programme {programme!r}")  # fmt: skip

        def written(refs: Sequence[str]) -> list[Recorded]:
            return [Recorded.latest(recording.clients[ref]) for ref in refs]

        return SessionRecorded(agency, programme, day, written(attended), written(missed))

    @refusals_logged("programme end")
    def end_programme_place(
        self,
        ref: str,
        programme: str,
        *,
        actor: str | None,
        on: date | None = None,
        outcome: CodeValue,
    ) -> Recorded:
        """The client's place in the programme ended: completed, dropped_out or removed."""
        recording = Recording(self, self.writer(actor))
        recording.record(ref, on, lambda client, stamp: client.end_programme(
            stamp, programme=programme, outcome=as_coded(outcome)))  # fmt: skip
        recording.save(ref)
        return Recorded.latest(recording.clients[ref])

    def list_programmes(
        self, *, actor: str | None, agency: str | None = None
    ) -> list[ProgrammeSummary]:
        """The programmes of the agencies the actor sees (one agency's, if named), in the
        order they were added."""
        who = self.require(actor, Permission.READ_CLIENT)
        found = []
        for programme_uuid, state in self._notified(ProgrammeAdded.TOPIC):
            if who.sees(state["agency"]) and agency in (None, state["agency"]):
                held = self.programme(state["agency"], state["name"])
                if held is not None and held.id == programme_uuid:
                    found.append(summary(held))
        return found

    # --- reading -------------------------------------------------------------------------------

    def programme(self, agency: str, name: str) -> Programme | None:
        try:
            programme: Programme = self.repository.get(programme_id(agency, name))
        except AggregateNotFoundError:
            return None
        return programme

    def holders(self, who: Actor, agency: str, name: str, on: date) -> Iterator[str]:
        """The clients (references) of `agency` the actor sees holding a place in the programme
        on `on` whose session that day is not yet recorded (sealed clients aside: nothing more
        is recorded on them): those enrolled in a programme of that name, read from the log,
        each checked on its record."""
        seen: set[UUID] = set()
        for client_uuid, state in self._notified(ProgrammeEnrolled.TOPIC):
            if state.get("programme") != name or client_uuid in seen:
                continue
            seen.add(client_uuid)
            client: Client = self.repository.get(client_uuid)
            place = client.state.programmes.get(name)
            in_agency = client.state.agency == agency and who.sees(agency)
            held = place is not None and place.open_on(on)
            recorded = place is not None and (on in place.attended or on in place.missed)
            if in_agency and not client.state.sealed and held and not recorded:
                yield client.ref

    def _notified(self, topic: str) -> Iterator[tuple[UUID, dict[str, Any]]]:
        """Each stored event of a topic: its aggregate's id and its state as stored."""
        position = 0
        while page := self.recorder.select_notifications(
            start=position, limit=PAGE_SIZE, topics=[topic], inclusive_of_start=False
        ):
            for notification in page:
                state = self.mapper.stored_state(notification)
                yield UUID(str(notification.originator_id)), state
            position = page[-1].id

    # --- checks and saving ---------------------------------------------------------------------

    def _own_agency(self, who: Actor, agency: str | None) -> str:
        """The agency whose programmes the actor works with: its own (staff), or the one named
        (single-user mode, where it must be)."""
        if who.agency is not None:
            if agency is not None and agency != who.agency:
                raise NotPermitted(
                    f"{who.name} may work with the programmes of agency {who.agency} only"
                )
            return who.agency
        if not agency:
            raise InvalidInput("name the programme's agency (--agency)")
        return agency

    def _programme_of(self, agency: str, name: str) -> Programme:
        programme = self.programme(agency, name)
        if programme is None:
            raise RuleViolated(
                f"agency {agency} has no programme named {name!r} (add it: `programme add`)"
            )
        return programme

    def _check_in_agency(self, client: Client, agency: str, name: str) -> None:
        if client.state.agency != agency:
            raise RuleViolated(
                f"client {client.ref!r} holds no place in agency {agency}'s programme {name!r}"
            )

    def _store(
        self, aggregates: Iterable[Client | OpenedAggregate], new_keys: dict[str, bytes], what: str
    ) -> None:
        """Every new event of these aggregates, with any client key made for them, in one
        transaction: all of it, or nothing."""
        events = [
            self.mapper.to_stored_event(event)
            for aggregate in aggregates
            for event in aggregate.collect_events()
        ]
        try:
            self.keys.store_with(events, new=new_keys)
        except Conflict:
            raise Conflict(
                f"another write to {what} or one of its clients was recorded first; "
                "nothing was written: look again and retry"
            ) from None


def enrolling(programme: str, service: dict[str, Any]) -> Command:
    def enrol(client: Client, stamp: Stamp) -> None:
        client.enrol_in_programme(stamp, programme=programme, service=service)

    return enrol


def session(programme: str, attended: bool) -> Command:
    def record(client: Client, stamp: Stamp) -> None:
        client.record_session(stamp, programme=programme, attended=attended)

    return record


def summary(programme: Programme) -> ProgrammeSummary:
    assert programme.added_on is not None
    return ProgrammeSummary(
        programme.agency,
        programme.name,
        programme.service,
        programme.added_on,
        programme.sessions_planned,
        len(programme.sessions),
        sum(attended for _, attended, _ in programme.sessions),
        sum(missed for _, _, missed in programme.sessions),
    )


def check_distinct(refs: Sequence[str], what: str) -> None:
    repeated = sorted({ref for ref in refs if list(refs).count(ref) > 1})
    if repeated:
        raise InvalidInput(f"{what} {', '.join(map(repr, repeated))} given twice")
