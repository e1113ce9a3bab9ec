"""An agency's group programmes, kept on the ledger as events: one aggregate per programme (its
agency and name), opened by its `ProgrammeAdded`. A session held is counted here (how many
attended, how many missed) and written on each client as attended or missed, in one
transaction (application/programmes.py): the programme's own events name no client."""

# Annotations are evaluated as the module runs (no `from __future__ import annotations`):
# pydantic would otherwise compile and evaluate each field's string again for every model
# that inherits it, which made defining the models a large part of starting (ADR 0030).
from datetime import date
from typing import Any
from uuid import UUID, uuid5

from pydantic import Field

from reentry_ledger.domain.checks import Name
from reentry_ledger.domain.codes import Service
from reentry_ledger.domain.directory import OpenedAggregate, OpeningEvent
from reentry_ledger.domain.errors import InvalidInput, RuleViolated
from reentry_ledger.domain.events import LedgerEvent
from reentry_ledger.domain.recording import Stamp, keep, next_event
from reentry_ledger.domain.references import CLIENT_NAMESPACE

TOPIC_PREFIX = "reentry_ledger.domain.programme:"
MAX_SESSIONS = 1000


def programme_id(agency: str, name: str) -> UUID:
    return uuid5(CLIENT_NAMESPACE, f"programme {name} of agency {agency}")


class ProgrammeEvent(OpeningEvent):
    def opens(self) -> type[Any]:
        return Programme


class ProgrammeAdded(ProgrammeEvent):
    """One of the agency's group programmes, offering a service, with the sessions it plans
    (None: not said)."""

    TOPIC = TOPIC_PREFIX + "ProgrammeAdded"
    agency: Name = Field(min_length=1)
    name: Name = Field(min_length=1)
    service: Service
    sessions: int | None = Field(default=None, ge=1, le=MAX_SESSIONS)


class ProgrammeSessionHeld(ProgrammeEvent):
    """A session held on its date: how many of the clients holding a place attended and how
    many missed it (each client's own event says which)."""

    TOPIC = TOPIC_PREFIX + "ProgrammeSessionHeld"
    attended: int = Field(ge=0)
    missed: int = Field(ge=0)


class Programme(OpenedAggregate):
    def __init__(self) -> None:
        super().__init__()
        self.agency = ""
        self.name = ""
        self.service = ""
        self.sessions_planned: int | None = None
        self.added_on: date | None = None
        self.sessions: list[tuple[date, int, int]] = []  # (on, attended, missed)

    def append_to_history(self, event: LedgerEvent) -> None:
        super().append_to_history(event)
        if isinstance(event, ProgrammeAdded):
            self.agency, self.name, self.service = event.agency, event.name, event.service.value
            self.sessions_planned, self.added_on = event.sessions, event.occurred_on
        elif isinstance(event, ProgrammeSessionHeld):
            self.sessions.append((event.occurred_on, event.attended, event.missed))

    @property
    def exists(self) -> bool:
        return self.added_on is not None

    def add(
        self, stamp: Stamp, *, agency: str, name: str, service: str, sessions: int | None
    ) -> None:
        check_not_future(stamp)
        if self.exists:
            raise RuleViolated(
                f"agency {self.agency} already has a programme named {self.name!r} "
                f"(added on {self.added_on})"
            )
        keep(self, next_event(self, ProgrammeAdded, stamp, agency=agency, name=name,
                              service=service, sessions=sessions))  # fmt: skip

    def hold_session(self, stamp: Stamp, *, attended: int, missed: int) -> None:
        check_not_future(stamp)
        if self.added_on is not None and stamp.on < self.added_on:
            raise RuleViolated(
                f"programme {self.name!r} was added on {self.added_on}: no session before it"
            )
        if attended + missed == 0:
            raise InvalidInput(
                f"a session of programme {self.name!r} needs its clients: no one holds an "
                f"open place on {stamp.on} (give --attended)"
            )
        keep(self, next_event(self, ProgrammeSessionHeld, stamp, attended=attended,
                              missed=missed))  # fmt: skip


def check_not_future(stamp: Stamp) -> None:
    if stamp.on > stamp.today:
        raise InvalidInput(f"date {stamp.on} is in the future (today is {stamp.today}, UTC)")


def new_programme(agency: str, name: str, timestamp: Any) -> Programme:
    programme: Programme = Programme.empty(programme_id(agency, name), timestamp)
    return programme
