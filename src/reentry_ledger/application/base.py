"""The ledger application's core: storage, who acts, loading and saving aggregates.

Every other part of the application (casework, reads, users, the access log, operations) is a
mixin over this one, and every permission is checked in them, never in a front end.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any
from uuid import UUID

from eventsourcing.application import AggregateNotFoundError, Application, Repository
from eventsourcing.domain import OriginatorVersionError
from eventsourcing.persistence import (
    ApplicationRecorder,
    IntegrityError,
    MapperDeserialisationError,
    OperationalError,
)

from reentry_ledger.authorization import Actor, Permission, actor_named
from reentry_ledger.backends import Backend, parse_db_url, pool_ready, setting_up
from reentry_ledger.contention import lock_not_got
from reentry_ledger.domain.access import ClientRecordRead
from reentry_ledger.domain.client import Client, coded
from reentry_ledger.domain.directory import DIRECTORY_ID, Directory, OpenedAggregate
from reentry_ledger.domain.errors import (
    ClientNotFound,
    Conflict,
    InvalidInput,
    VerificationFailed,
)
from reentry_ledger.domain.events import Enrolled
from reentry_ledger.domain.recording import Stamp
from reentry_ledger.domain.references import client_id, well_formed
from reentry_ledger.encryption import KEY_ENV_VAR, KEY_FILE_ENV_VAR, cipher_settings
from reentry_ledger.keys import KeyStore
from reentry_ledger.persistence import OrjsonTranscoder, PydanticMapper

CodeValue = str | dict[str, Any]


@dataclass(frozen=True)
class Latest:
    """A client's last event, as a form that lost a race is told of it."""

    number: int
    kind: str
    recorded_by: str
    recorded_at: datetime


PAGE_SIZE = 1000
STORED_AMONG = 500  # clients asked of at once (under SQLite's old limit of 999 parameters)


def utc_today() -> date:
    return datetime.now(UTC).date()


def as_coded(value: CodeValue) -> dict[str, Any]:
    return value if isinstance(value, dict) else coded(value)


def as_coded_list(values: list[CodeValue] | tuple[CodeValue, ...]) -> list[dict[str, Any]]:
    return [as_coded(value) for value in values]


def sequence_broken(error: OriginatorVersionError, subject: str) -> VerificationFailed:
    """Events of one aggregate read back that are not numbered on from one another, as
    `verify` would fail on them (exit 6): wherever an aggregate is read (`unbroken` names the
    client; the CLI and the server take any other read's the same way)."""
    found, expected = (*error.args, "?", "?")[:2]
    return VerificationFailed(
        f"{subject}: event {found} where event {expected} was expected (an event was deleted "
        "or moved in the database): run `reentry-ledger verify`"
    )


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


def mutated(aggregate: Any, events: Iterable[Any]) -> Any:
    """The aggregate with each event applied in turn: the library's `project_aggregate`
    without its assertion that each event satisfies a runtime-checkable protocol, which
    `typing` checks attribute by attribute, some half of the time a client's read took. Every
    event the ledger stores is one of its own models, decoded by its topic (one that is not
    fails at `mutate`, as it does where Python runs with assertions off)."""
    for event in events:
        aggregate = event.mutate(aggregate)
    return aggregate


class LedgerRepository(Repository[UUID]):
    """The library's repository, reading an aggregate through `mutated` unless told."""

    def get(self, aggregate_id: UUID, *, projector_func: Any = mutated, **options: Any) -> Any:
        return super().get(aggregate_id, projector_func=projector_func, **options)


class LedgerBase(Application[UUID]):
    """An event-sourced ledger of clients under community supervision."""

    mapper: PydanticMapper

    def __init__(self, backend: Backend | str, clock: Callable[[], date] = utc_today) -> None:
        self.backend = parse_db_url(backend) if isinstance(backend, str) else backend
        self.clock = clock
        with setting_up(self.backend):
            super().__init__(env={**self.backend.env, **cipher_settings()})
        self.check_readable()
        self.keys = KeyStore(self)
        self.notices: list[str] = []  # what a front end should tell the user, besides results
        self._known_directory: tuple[int, Directory | None] | None = None

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

    def construct_recorder(self) -> ApplicationRecorder:
        """The library's recorder; on PostgreSQL with `partitions=N`, over an event table in N
        hash partitions of the client id, made first if the ledger is new (partitioning.py)."""
        if self.backend.kind == "postgresql":
            datastore = self.factory.datastore  # type: ignore[attr-defined]
            if datastore.originator_id_type != "uuid":  # before the library makes its tables
                datastore.close()
                raise InvalidInput(
                    f"the event library's setting ORIGINATOR_ID_TYPE (or {self.name.upper()}_"
                    f"ORIGINATOR_ID_TYPE), from the environment, is "
                    f"{datastore.originator_id_type!r}: it would keep client ids as text, "
                    "where the ledger's are uuids, which it could not then read back; unset "
                    "it, or set it to uuid"
                )
            pool_ready(datastore)
        if self.backend.partitions and not self.backend.read_only:
            from reentry_ledger.partitioning import partition_events

            partition_events(self.factory, self.backend.partitions)
        recorder = super().construct_recorder()
        if not self.backend.read_only:  # made with the table, while it is empty (ADR 52)
            from reentry_ledger.event_reads import index_if_new

            index_if_new(recorder)
        return recorder

    def construct_repository(self) -> Repository[UUID]:
        """The library's repository as it is configured, reading aggregates through the
        ledger's own projector (`LedgerRepository`)."""
        library = super().construct_repository()
        cache = library.cache  # None, unbounded (0) or of a size, as configured
        return LedgerRepository(
            event_store=library.event_store,
            snapshot_store=library.snapshot_store,
            cache_maxsize=None if cache is None else getattr(cache, "maxsize", 0),
            fastforward=library.fastforward,
            fastforward_skipping=library.fastforward_skipping,
            deepcopy_from_cache=library.deepcopy_from_cache,
        )

    def construct_mapper(self) -> PydanticMapper:
        return PydanticMapper(
            transcoder=OrjsonTranscoder(),
            compressor=self.factory.compressor(),
            cipher=self.factory.cipher(),
        )

    # --- who acts ------------------------------------------------------------------------------

    def directory(self) -> Directory | None:
        """The users' directory, rebuilt from its events: for a change to it."""
        try:
            directory: Directory = self.repository.get(DIRECTORY_ID)
        except AggregateNotFoundError:
            return None
        return directory

    def known_directory(self) -> Directory | None:
        """The users' directory as last stored, to read who is who (never to change): rebuilt
        only when an event was stored since, else one indexed query. A server asks it on
        every request, and the directory grows by an event for each user, token and
        password."""
        last = self.recorder.select_events(DIRECTORY_ID, desc=True, limit=1)
        version = last[0].originator_version if last else 0
        known = self._known_directory
        if known is None or known[0] != version:
            known = self._known_directory = (version, self.directory())
        return known[1]

    def actor(self, name: str | None) -> Actor:
        """Who acts. Until the first user is added (single-user mode) anyone named, or unnamed
        for reads; once a ledger has had users, only its users, for good."""
        directory = self.known_directory()
        if name is None or not name.strip():
            if directory is not None:
                raise InvalidInput("no actor: this ledger has users; say who you are (--actor)")
            return Actor("(unnamed)", None)
        if name != name.strip():
            raise InvalidInput(f"actor {name!r} has space at its start or end")
        return actor_named(name, directory)

    def require(self, actor: str | None, permission: Permission) -> Actor:
        """The actor, refused unless they hold the permission."""
        return self.actor(actor).require(permission)

    def writer(self, actor: str | None, permission: Permission = Permission.WRITE) -> Actor:
        """An actor who records: named (writes always say who records them) and permitted."""
        if actor is None or not actor.strip():
            raise InvalidInput(
                "no actor: writes must say who records them (--actor NAME or REENTRY_LEDGER_ACTOR)"
            )
        return self.require(actor, permission)

    # --- clients -------------------------------------------------------------------------------

    def get_client(self, ref: str) -> Client:
        """The client, whoever asks: for the application's own use, never handed to a reader
        without `client_for`."""
        try:
            with self.unbroken(client_id(ref), ref):
                client: Client = self.repository.get(client_id(ref))
        except AggregateNotFoundError:
            raise ClientNotFound(ref) from None
        return client

    @contextmanager
    def unbroken(self, aggregate_id: UUID, ref: str | None = None) -> Iterator[None]:
        """A client's events read back that are not numbered on from one another (one deleted
        or moved in the database) fail as `verify` fails (exit 6), naming the client."""
        try:
            yield
        except OriginatorVersionError as error:
            subject = f"client {ref or self.client_named(aggregate_id)}"
            raise sequence_broken(error, subject) from None

    def client_named(self, aggregate_id: UUID) -> str:
        """A client's reference, from its enrolment as stored (its id where that is gone)."""
        first = next(iter(self.events.get(aggregate_id, lte=1)), None)
        return str(getattr(first, "client_ref", None) or aggregate_id)

    def client_for(self, who: Actor, ref: str, writing: bool = False) -> Client:
        """The client, if the actor may see it; otherwise exactly as if it did not exist.
        Staff of an agency that held the client before it moved to another may read the
        record as it stood up to the move (and not write to it)."""
        client = self.get_client(ref)
        if who.sees(client.state.agency):
            return client
        view = None if writing or who.agency is None else client.as_held_by(who.agency)
        if view is None or not who.sees(who.agency or ""):
            raise ClientNotFound(ref)
        return view

    def latest_held(self, ref: str, *, actor: str | None) -> Latest | None:
        """The client's last event as a lost race tells of it (its number, its kind, who
        recorded it and when: nothing it says), where the actor sees the agency holding the
        client (as `last_event_held`)."""
        client = self.get_client(ref)
        if not self.actor(actor).sees(client.state.agency):
            return None
        last = client.history[-1]
        return Latest(client.version, type(last).__name__, last.recorded_by, last.timestamp)

    def moved_away_from(self, ref: str, *, actor: str | None) -> bool:
        """Whether the client moved to another agency from the actor's, which reads it as it
        stood at the move (`client_for`) and may not write to it."""
        who = self.actor(actor)
        try:
            client = self.get_client(ref)
        except ClientNotFound:
            return False
        if who.sees(client.state.agency) or who.agency is None:
            return False
        return client.as_held_by(who.agency) is not None

    def last_event_held(self, ref: str, *, actor: str | None) -> int | None:
        """The number of the client's last event, for a later write's If-Match, where the
        actor sees the agency holding the client now; None where it reads the record as it
        stood when the client moved away (the number would say how much the agency holding
        it has recorded since). Asked only after the actor was let read the client."""
        client = self.get_client(ref)
        return client.version if self.actor(actor).sees(client.state.agency) else None

    def client_ids(self) -> Iterator[UUID]:
        """Every enrolled client's id, in order of enrolment, read page by page."""
        position = 0
        while page := self.recorder.select_notifications(
            start=position, limit=PAGE_SIZE, topics=[Enrolled.TOPIC], inclusive_of_start=False
        ):
            for notification in page:
                yield UUID(str(notification.originator_id))
            position = page[-1].id

    def exists(self, ref: str) -> bool:
        return bool(self.recorder.select_events(client_id(ref), limit=1))

    def stored_among(self, refs: list[str]) -> set[str]:
        """Those of `refs` that are clients on this ledger, as `exists` says of each: asked
        of a few hundred at a time (an import's clients, where a query each, on PostgreSQL,
        took most of the import's time)."""
        from reentry_ledger.event_reads import qualified

        recorder: Any = self.recorder
        table = qualified(recorder, recorder.events_table_name)
        postgres = self.backend.kind == "postgresql"
        found: set[str] = set()
        params: tuple[Any, ...]
        refs = [ref for ref in refs if well_formed(ref)]  # the others are no one's
        for start in range(0, len(refs), STORED_AMONG):
            ids = {client_id(ref): ref for ref in refs[start : start + STORED_AMONG]}
            if postgres:
                where, params = "= ANY(%s)", (list(ids),)
            else:  # as the library's SQLite recorder keeps an id: its hex
                where, params = f"IN ({', '.join('?' * len(ids))})", tuple(i.hex for i in ids)
            statement = (
                f"SELECT originator_id FROM {table} WHERE originator_version = 1 "
                f"AND originator_id {where}"
            )
            with recorder.datastore.transaction(commit=False) as cursor:
                cursor.execute(statement, params)
                for row in cursor.fetchall():
                    stored = row["originator_id"] if isinstance(row, dict) else row[0]
                    found.add(ids[stored if isinstance(stored, UUID) else UUID(stored)])
        return found

    # --- plumbing ------------------------------------------------------------------------------

    def _now(self) -> datetime:
        return ClientRecordRead.create_timestamp()

    def stamp(self, actor: str, on: date | None) -> Stamp:
        """For events with nothing personal to encrypt (the users' directory)."""
        today = self.clock()
        return Stamp(on=on or today, by=actor, today=today)

    def save_with_keys(self, client: Client, new_keys: dict[str, bytes]) -> None:
        """The client's new events, with the key they were encrypted under if it is new."""
        key = new_keys.get(str(client.id))
        if key is None:
            self._save(client)
            return
        events = [self.mapper.to_stored_event(event) for event in client.collect_events()]
        with refused_as_conflict(f"client {client.ref!r}"):
            self.keys.store_with(events, new={str(client.id): key})

    def _save(self, aggregate: Client | OpenedAggregate, **kwargs: Any) -> None:
        what = (
            f"client {aggregate.ref!r}"
            if isinstance(aggregate, Client)
            else "the users"
            if isinstance(aggregate, Directory)
            else "the agency's policy"
        )
        with refused_as_conflict(what):
            self.save(aggregate, **kwargs)


@contextmanager
def refused_as_conflict(what: str) -> Iterator[None]:
    """A write refused because another got there first (a race lost), or because another
    connection held the ledger past the wait (an import; SQLite's busy wait, PostgreSQL's lock
    timeout), as a Conflict saying so: nothing was written, and trying again may succeed."""
    try:
        yield
    except (IntegrityError, Conflict):
        raise Conflict(
            f"another write to {what} was recorded first; nothing was written: look again and retry"
        ) from None
    except OperationalError as error:
        if "locked" in str(error) or "busy" in str(error) or lock_not_got(error):
            raise Conflict(
                f"the database stayed busy; nothing was written for {what}: retry"
            ) from None
        raise


def check_limit(limit: int, most: int, what: str) -> None:
    """A count of things asked for at once (a page): 1 to `most` `what`, else refused."""
    if not 1 <= limit <= most:
        raise InvalidInput(f"limit {limit}: give 1 to {most} {what}")
