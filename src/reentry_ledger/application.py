"""The ledger's commands and queries: the service agencies and operators call.

Each command loads one client, asks the aggregate to record one event, and saves it. Values
arrive as plain strings and dates; a coded value may also be a dict {"code": ..., "raw_text": ...}
to keep the agency's original wording.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any
from uuid import UUID

from eventsourcing.application import AggregateNotFoundError, Application
from eventsourcing.persistence import IntegrityError, Mapper, OperationalError

from reentry_ledger.backends import Backend, parse_db_url, setting_up
from reentry_ledger.domain.client import Client, Stamp, coded
from reentry_ledger.domain.errors import ClientAlreadyEnrolled, ClientNotFound, Conflict
from reentry_ledger.domain.events import Enrolled
from reentry_ledger.domain.references import client_id
from reentry_ledger.persistence import OrjsonTranscoder, PydanticMapper
from reentry_ledger.timeline import TimelineEntry, timeline

CodeValue = str | dict[str, Any]
PAGE_SIZE = 1000


def utc_today() -> date:
    return datetime.now(UTC).date()


def as_coded(value: CodeValue) -> dict[str, Any]:
    return value if isinstance(value, dict) else coded(value)


def as_coded_list(values: list[CodeValue] | tuple[CodeValue, ...]) -> list[dict[str, Any]]:
    return [as_coded(value) for value in values]


@dataclass(frozen=True)
class Recorded:
    """What a command recorded: the event's number and type, and any id it assigned."""

    ref: str
    number: int
    event_type: str
    new_id: str | None = None

    @classmethod
    def latest(cls, client: Client, new_id: str | None = None) -> Recorded:
        event = client.history[-1]
        return cls(client.ref, event.number, type(event).__name__, new_id)


@dataclass(frozen=True)
class ReplayReport:
    clients: int
    events: int


class Ledger(Application[UUID]):
    """An event-sourced ledger of clients under community supervision."""

    name = "ReentryLedger"

    def __init__(self, backend: Backend | str, clock: Callable[[], date] = utc_today) -> None:
        self.backend = parse_db_url(backend) if isinstance(backend, str) else backend
        self.clock = clock
        with setting_up(self.backend):
            super().__init__(env=self.backend.env)

    def construct_mapper(self) -> Mapper[UUID]:
        return PydanticMapper(
            transcoder=OrjsonTranscoder(),
            compressor=self.factory.compressor(),
            cipher=self.factory.cipher(),
        )

    # --- commands ----------------------------------------------------------------------------

    def enroll(
        self,
        ref: str,
        *,
        actor: str,
        start: date,
        agency: str,
        officer: str,
        supervision: CodeValue,
        conditions: tuple[CodeValue, ...] = (),
        expected_end: date | None = None,
        juvenile: bool = False,
        details: dict[str, str] | None = None,
    ) -> Recorded:
        if self._exists(ref):
            raise ClientAlreadyEnrolled(ref)
        client = Client.enroll(
            ref,
            self._stamp(actor, start),
            agency=agency,
            officer=officer,
            supervision=as_coded(supervision),
            conditions=as_coded_list(conditions),
            expected_end=expected_end,
            juvenile=juvenile,
            details=details or {},
        )
        self._save(client)
        return Recorded.latest(client)

    def assess(
        self,
        ref: str,
        *,
        actor: str,
        on: date | None = None,
        instrument: str,
        risk_level: CodeValue,
        needs: tuple[CodeValue, ...] = (),
        score: float | None = None,
        instrument_version: str | None = None,
        responsivity: tuple[str, ...] = (),
        strengths: tuple[str, ...] = (),
    ) -> Recorded:
        return self._apply(
            ref,
            lambda client: client.assess(
                self._stamp(actor, on),
                instrument=instrument,
                instrument_version=instrument_version,
                score=score,
                risk_level=as_coded(risk_level),
                needs=as_coded_list(needs),
                responsivity=responsivity,
                strengths=strengths,
            ),
        )

    def revise_plan(
        self,
        ref: str,
        *,
        actor: str,
        on: date | None = None,
        goals: Sequence[tuple[CodeValue, str]],
        model: CodeValue | None = None,
    ) -> Recorded:
        """Goals are (need, description) pairs in order of priority."""
        plan = [
            {"priority": rank, "need": as_coded(need), "description": text}
            for rank, (need, text) in enumerate(goals, start=1)
        ]
        return self._apply(
            ref,
            lambda client: client.revise_plan(
                self._stamp(actor, on), goals=plan, model=as_coded(model) if model else None
            ),
        )

    def refer(
        self,
        ref: str,
        *,
        actor: str,
        on: date | None = None,
        service: CodeValue,
        provider: str | None = None,
    ) -> Recorded:
        return self._apply(
            ref,
            lambda client: client.refer(
                self._stamp(actor, on), service=as_coded(service), provider=provider
            ),
        )

    def update_referral(
        self, ref: str, referral_id: str, status: CodeValue, *, actor: str, on: date | None = None
    ) -> Recorded:
        return self._apply(
            ref,
            lambda client: client.update_referral(
                self._stamp(actor, on), referral_id, as_coded(status)
            ),
        )

    def log_contact(
        self,
        ref: str,
        *,
        actor: str,
        on: date | None = None,
        kind: CodeValue = "casework",
        note: str = "",
        confidential: bool = True,
        group_session: str | None = None,
    ) -> Recorded:
        return self._apply(
            ref,
            lambda client: client.log_contact(
                self._stamp(actor, on),
                kind=as_coded(kind),
                note=note,
                confidential=confidential,
                group_session=group_session,
            ),
        )

    def match_volunteer(
        self,
        ref: str,
        *,
        actor: str,
        on: date | None = None,
        volunteer: str,
        needs: tuple[CodeValue, ...] = (),
    ) -> Recorded:
        return self._apply(
            ref,
            lambda client: client.match_volunteer(
                self._stamp(actor, on), volunteer=volunteer, needs=as_coded_list(needs)
            ),
        )

    def end_volunteer_match(
        self,
        ref: str,
        *,
        actor: str,
        on: date | None = None,
        ending: CodeValue,
        reason: str | None = None,
    ) -> Recorded:
        return self._apply(
            ref,
            lambda client: client.end_volunteer_match(
                self._stamp(actor, on), ending=as_coded(ending), reason=reason
            ),
        )

    def record_violation(
        self,
        ref: str,
        *,
        actor: str,
        on: date | None = None,
        technical: tuple[CodeValue, ...] = (),
        absconding: bool = False,
        new_offence: CodeValue | None = None,
        violent: bool = False,
        description: str | None = None,
    ) -> Recorded:
        offence = None
        if new_offence is not None:
            offence = {"severity": as_coded(new_offence), "violent": violent}
        return self._apply(
            ref,
            lambda client: client.record_violation(
                self._stamp(actor, on),
                technical=as_coded_list(technical),
                absconding=absconding,
                new_offence=offence,
                description=description,
            ),
        )

    def respond_to_violation(
        self,
        ref: str,
        violation_id: str,
        response: CodeValue,
        *,
        actor: str,
        on: date | None = None,
        custody_days: int | None = None,
        decided_by: CodeValue = "officer",
    ) -> Recorded:
        return self._apply(
            ref,
            lambda client: client.respond_to_violation(
                self._stamp(actor, on),
                violation_id,
                response=as_coded(response),
                custody_days=custody_days,
                decided_by=as_coded(decided_by),
            ),
        )

    def discharge(
        self,
        ref: str,
        *,
        actor: str,
        on: date | None = None,
        outcome: CodeValue,
        note: str | None = None,
    ) -> Recorded:
        return self._apply(
            ref,
            lambda client: client.discharge(
                self._stamp(actor, on), outcome=as_coded(outcome), note=note
            ),
        )

    def correct(
        self, ref: str, number: int, *, actor: str, reason: str, on: date | None = None
    ) -> Recorded:
        return self._apply(
            ref, lambda client: client.correct(self._stamp(actor, on), number, reason)
        )

    # --- queries -----------------------------------------------------------------------------

    def get_client(self, ref: str) -> Client:
        try:
            client: Client = self.repository.get(client_id(ref))
        except AggregateNotFoundError:
            raise ClientNotFound(ref) from None
        return client

    def timeline(
        self, ref: str, *, as_of: date | None = None, known_at: datetime | None = None
    ) -> list[TimelineEntry]:
        return timeline(self.get_client(ref).history, as_of=as_of, known_at=known_at)

    def client_ids(self) -> Iterator[UUID]:
        """Every enrolled client's id, in order of enrolment, read page by page."""
        position = 0
        while page := self.recorder.select_notifications(
            start=position, limit=PAGE_SIZE, topics=[Enrolled.TOPIC], inclusive_of_start=False
        ):
            for notification in page:
                yield UUID(str(notification.originator_id))
            position = page[-1].id

    def replay(
        self, ref: str | None = None, progress: Callable[[int], None] | None = None
    ) -> ReplayReport:
        """Rebuild clients' state from their events; one client in memory at a time."""
        ids: Iterator[UUID] = iter([client_id(ref)]) if ref else self.client_ids()
        clients = events = 0
        for aggregate_id in ids:
            client = self.get_client(ref) if ref else self.repository.get(aggregate_id)
            client.state  # noqa: B018 - folding the events is the work being done
            clients += 1
            events += client.version
            if progress:
                progress(client.version)
        return ReplayReport(clients=clients, events=events)

    # --- plumbing ------------------------------------------------------------------------------

    def _exists(self, ref: str) -> bool:
        return bool(self.recorder.select_events(client_id(ref), limit=1))

    def _stamp(self, actor: str, on: date | None) -> Stamp:
        today = self.clock()
        return Stamp(on=on or today, by=actor, today=today)

    def _apply(self, ref: str, command: Callable[[Client], str | None]) -> Recorded:
        """Load the client, run one command on it, save the one event it records."""
        client = self.get_client(ref)
        new_id = command(client)
        self._save(client)
        return Recorded.latest(client, new_id)

    def _save(self, client: Client) -> None:
        try:
            self.save(client)
        except IntegrityError:
            raise Conflict(
                f"another write to client {client.ref!r} was recorded first; "
                "nothing was written: look at the client again and retry"
            ) from None
        except OperationalError as error:
            if "locked" in str(error) or "busy" in str(error):
                raise Conflict(
                    f"the database stayed busy; nothing was written for {client.ref!r}: retry"
                ) from None
            raise
