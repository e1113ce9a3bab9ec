"""The ledger's commands and queries: the service agencies and operators call.

Each command loads one client, asks the aggregate to record one event, and saves it. Values
arrive as plain strings and dates; a coded value may also be a dict {"code": ..., "raw_text": ...}
to keep the agency's original wording.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime
from typing import Any, cast
from uuid import UUID

from eventsourcing.application import AggregateNotFoundError, Application
from eventsourcing.persistence import (
    IntegrityError,
    MapperDeserialisationError,
    OperationalError,
)

from reentry_ledger.authorization import Actor, NotPermitted, Permission, actor_named
from reentry_ledger.backends import Backend, parse_db_url, setting_up
from reentry_ledger.domain.access import ClientRecordRead, access_log_id
from reentry_ledger.domain.client import Client, coded
from reentry_ledger.domain.directory import (
    AGENCY_ROLES,
    DIRECTORY_ID,
    Directory,
    Role,
    new_directory,
)
from reentry_ledger.domain.errors import (
    ClientAlreadyEnrolled,
    ClientNotFound,
    Conflict,
    InvalidInput,
)
from reentry_ledger.domain.events import ContactLogged, Enrolled
from reentry_ledger.domain.integrity import sealed
from reentry_ledger.domain.personal import Protect, decrypt, encrypt, reveal_value
from reentry_ledger.domain.recording import Stamp
from reentry_ledger.domain.references import client_id
from reentry_ledger.domain.state import CaseState
from reentry_ledger.encryption import KEY_ENV_VAR, KEY_FILE_ENV_VAR, cipher_settings
from reentry_ledger.keys import KeyStore
from reentry_ledger.persistence import OrjsonTranscoder, PydanticMapper
from reentry_ledger.timeline import TimelineEntry, timeline

CodeValue = str | dict[str, Any]
PAGE_SIZE = 1000


def redacted(entry: TimelineEntry) -> TimelineEntry:
    """A confidential case note, as someone outside the client's agency sees it."""
    if entry.type != ContactLogged.__name__ or not entry.data.get("confidential"):
        return entry
    return replace(entry, data={**entry.data, "note": "[confidential]"})


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
    mapper: PydanticMapper

    def __init__(self, backend: Backend | str, clock: Callable[[], date] = utc_today) -> None:
        self.backend = parse_db_url(backend) if isinstance(backend, str) else backend
        self.clock = clock
        with setting_up(self.backend):
            super().__init__(env={**self.backend.env, **cipher_settings()})
        self.check_readable()
        self.keys = KeyStore(self)

    def check_readable(self) -> None:
        """Fail at once, and clearly, when the stored events cannot be read with this key."""
        first = self.recorder.select_notifications(start=None, limit=1)
        if first:
            try:
                self.mapper.stored_state(first[0])
            except MapperDeserialisationError:
                raise InvalidInput(
                    "the stored events cannot be read: the ledger is encrypted and "
                    f"{KEY_ENV_VAR} (or {KEY_FILE_ENV_VAR}) is missing or not its key, "
                    "or it is not encrypted and a key was given"
                ) from None

    def construct_mapper(self) -> PydanticMapper:
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
        name: str | None = None,
    ) -> Recorded:
        who = self.actor(actor).require(Permission.WRITE)
        if who.role in AGENCY_ROLES and agency != who.agency:
            raise NotPermitted(f"{who.name} may enroll clients of agency {who.agency} only")
        if self._exists(ref):
            raise ClientAlreadyEnrolled(ref)
        client = Client.enroll(
            ref,
            self._stamp(actor, start, ref),
            agency=agency,
            officer=officer,
            supervision=as_coded(supervision),
            conditions=as_coded_list(conditions),
            expected_end=expected_end,
            juvenile=juvenile,
            details=details or {},
            name=name,
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
                self._stamp(actor, on, ref),
                instrument=instrument,
                instrument_version=instrument_version,
                score=score,
                risk_level=as_coded(risk_level),
                needs=as_coded_list(needs),
                responsivity=responsivity,
                strengths=strengths,
            ),
            actor,
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
                self._stamp(actor, on, ref), goals=plan, model=as_coded(model) if model else None
            ),
            actor,
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
                self._stamp(actor, on, ref), service=as_coded(service), provider=provider
            ),
            actor,
        )

    def update_referral(
        self, ref: str, referral_id: str, status: CodeValue, *, actor: str, on: date | None = None
    ) -> Recorded:
        return self._apply(
            ref,
            lambda client: client.update_referral(
                self._stamp(actor, on, ref), referral_id, as_coded(status)
            ),
            actor,
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
                self._stamp(actor, on, ref),
                kind=as_coded(kind),
                note=note,
                confidential=confidential,
                group_session=group_session,
            ),
            actor,
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
                self._stamp(actor, on, ref), volunteer=volunteer, needs=as_coded_list(needs)
            ),
            actor,
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
                self._stamp(actor, on, ref), ending=as_coded(ending), reason=reason
            ),
            actor,
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
                self._stamp(actor, on, ref),
                technical=as_coded_list(technical),
                absconding=absconding,
                new_offence=offence,
                description=description,
            ),
            actor,
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
                self._stamp(actor, on, ref),
                violation_id,
                response=as_coded(response),
                custody_days=custody_days,
                decided_by=as_coded(decided_by),
            ),
            actor,
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
                self._stamp(actor, on, ref), outcome=as_coded(outcome), note=note
            ),
            actor,
        )

    def seal(self, ref: str, *, actor: str, reason: str) -> Recorded | None:
        """Erase the client's personal data: record that, then destroy its key."""
        who = self.actor(actor).require(Permission.CORRECT)
        client = self.client_for(who, ref)
        recorded = None
        if not client.state.sealed:
            client.seal(self._stamp(actor, None, ref), reason)
            self._save(client)
            recorded = Recorded.latest(client)
        self.keys.destroy(str(client.id))
        return recorded

    def correct(
        self, ref: str, number: int, *, actor: str, reason: str, on: date | None = None
    ) -> Recorded:
        return self._apply(
            ref,
            lambda client: client.correct(self._stamp(actor, on, ref), number, reason),
            actor,
            Permission.CORRECT,
        )

    # --- queries -----------------------------------------------------------------------------

    def get_client(self, ref: str) -> Client:
        try:
            client: Client = self.repository.get(client_id(ref))
        except AggregateNotFoundError:
            raise ClientNotFound(ref) from None
        return client

    def timeline(
        self,
        ref: str,
        *,
        actor: str | None = None,
        as_of: date | None = None,
        known_at: datetime | None = None,
    ) -> list[TimelineEntry]:
        """The client's timeline, as the actor may see it; the reading is logged."""
        who = self.actor(actor).require(Permission.READ_CLIENT)
        client = self.client_for(who, ref)
        self.log_read(who, client, "timeline", as_of, known_at)
        entries = self.revealed(
            str(client.id), timeline(client.history, as_of=as_of, known_at=known_at)
        )
        if who.reads_confidential(client.enrolment.agency):
            return entries
        return [redacted(entry) for entry in entries]

    def client_state(self, ref: str, *, actor: str | None = None) -> CaseState:
        who = self.actor(actor).require(Permission.READ_CLIENT)
        client = self.client_for(who, ref)
        self.log_read(who, client, "show", None, None)
        name = client.state.name
        if name:
            return replace(
                client.state, name=decrypt(self.keys.get(str(client.id)), str(client.id), name)
            )
        return client.state

    # --- actors and users ----------------------------------------------------------------------

    def directory(self) -> Directory | None:
        try:
            directory: Directory = self.repository.get(DIRECTORY_ID)
        except AggregateNotFoundError:
            return None
        return directory

    def actor(self, name: str | None) -> Actor:
        """Who acts; in single-user mode (no users yet) anyone named, or unnamed for reads."""
        directory = self.directory()
        if name is None or not name.strip():
            if directory is not None and directory.users:
                raise InvalidInput("no actor: this ledger has users; say who you are (--actor)")
            return Actor("(unnamed)", None)
        return actor_named(name.strip(), directory)

    def require(self, actor: str | None, permission: Permission) -> Actor:
        return self.actor(actor).require(permission)

    def client_for(self, who: Actor, ref: str) -> Client:
        """The client, if the actor may see it; otherwise exactly as if it did not exist."""
        client = self.get_client(ref)
        if not who.sees(client.enrolment.agency):
            raise ClientNotFound(ref)
        return client

    def add_user(self, name: str, role: str, agency: str | None, *, actor: str | None) -> None:
        directory = self.directory()
        if directory is not None and directory.users:
            who = self.actor(actor).require(Permission.MANAGE_USERS)
            if who.role == Role.SUPERVISOR and (role not in AGENCY_ROLES or agency != who.agency):
                raise NotPermitted(
                    f"{who.name} (supervisor) may add caseworkers and supervisors "
                    f"of agency {who.agency} only"
                )
        directory = directory or new_directory(self._now())
        directory.add_user(self._stamp(actor or "(unnamed)", None), name, role, agency)
        self._save(directory)

    def remove_user(self, name: str, *, actor: str | None, reason: str | None = None) -> None:
        self.actor(actor).require(Permission.MANAGE_USERS)
        directory = self.directory()
        if directory is None:
            raise InvalidInput(f"no user {name!r}: this ledger has no users")
        directory.remove_user(self._stamp(actor or "(unnamed)", None), name, reason)
        self._save(directory)

    def log_read(
        self,
        who: Actor,
        client: Client,
        view: str,
        as_of: date | None,
        known_at: datetime | None,
    ) -> None:
        """Append to the actor's access log, without loading it: never in a client's timeline."""
        log_id = access_log_id(who.name)
        for _ in range(5):
            last = self.recorder.select_events(log_id, desc=True, limit=1)
            previous_hash = self.mapper.stored_state(last[0])["event_hash"] if last else ""
            event = ClientRecordRead(
                originator_id=log_id,
                originator_version=last[0].originator_version + 1 if last else 1,
                timestamp=self._now(),
                occurred_on=self.clock(),
                recorded_by=who.name,
                client_ref=client.ref,
                view=view,
                as_of=as_of,
                known_at=known_at,
            )
            try:
                self.recorder.insert_events(
                    [self.mapper.to_stored_event(sealed(event, previous_hash))]
                )
                return
            except IntegrityError:
                continue  # another read by the same actor took that number: try the next
        raise Conflict("the access log stayed busy; the record was not shown: retry")

    def client_ids(self) -> Iterator[UUID]:
        """Every enrolled client's id, in order of enrolment, read page by page."""
        position = 0
        while page := self.recorder.select_notifications(
            start=position, limit=PAGE_SIZE, topics=[Enrolled.TOPIC], inclusive_of_start=False
        ):
            for notification in page:
                yield UUID(str(notification.originator_id))
            position = page[-1].id

    def access_log(self) -> Iterator[ClientRecordRead]:
        """Every read of a client record, in recorded order, read page by page."""
        position = 0
        while page := self.recorder.select_notifications(
            start=position,
            limit=PAGE_SIZE,
            topics=[ClientRecordRead.TOPIC],
            inclusive_of_start=False,
        ):
            for notification in page:
                yield cast(ClientRecordRead, self.mapper.ledger_event(notification))
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

    def _now(self) -> datetime:
        return ClientRecordRead.create_timestamp()

    def _stamp(self, actor: str, on: date | None, ref: str | None = None) -> Stamp:
        today = self.clock()
        protect = self.protector(str(client_id(ref))) if ref else None
        return Stamp(on=on or today, by=actor, today=today, protect=protect)

    def protector(self, client: str) -> Protect:
        """Encrypts under the client's key, made on first use."""
        return lambda text: encrypt(self.keys.get_or_create(client), client, text)

    def revealed(self, client: str, entries: list[TimelineEntry]) -> list[TimelineEntry]:
        """Personal fields decrypted with the client's key, or [sealed] once it is destroyed."""
        key = self.keys.get(client)
        reveal = lambda value: decrypt(key, client, value)  # noqa: E731
        return [
            replace(entry, data={k: reveal_value(v, reveal) for k, v in entry.data.items()})
            for entry in entries
        ]

    def _apply(
        self,
        ref: str,
        command: Callable[[Client], str | None],
        actor: str,
        permission: Permission = Permission.WRITE,
    ) -> Recorded:
        """Load the client, run one command on it, save the one event it records."""
        client = self.client_for(self.actor(actor).require(permission), ref)
        new_id = command(client)
        self._save(client)
        return Recorded.latest(client, new_id)

    def _save(self, aggregate: Client | Directory) -> None:
        what = f"client {aggregate.ref!r}" if isinstance(aggregate, Client) else "the users"
        try:
            self.save(aggregate)
        except IntegrityError:
            raise Conflict(
                f"another write to {what} was recorded first; "
                "nothing was written: look again and retry"
            ) from None
        except OperationalError as error:
            if "locked" in str(error) or "busy" in str(error):
                raise Conflict(
                    f"the database stayed busy; nothing was written for {what}: retry"
                ) from None
            raise
