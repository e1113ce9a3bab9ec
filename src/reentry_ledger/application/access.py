"""The access log: who read which client's record, and when. Each reader has a hash-chained
log of their own; it is never part of a client's timeline."""

from __future__ import annotations

import re
import sqlite3
from collections import deque
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date, datetime
from functools import wraps
from itertools import islice
from typing import Any, ParamSpec, TypeVar, cast
from uuid import UUID

from eventsourcing.persistence import OperationalError

from reentry_ledger.access_store import AccessStore, StoredRead
from reentry_ledger.application.base import PAGE_SIZE, LedgerBase, check_limit
from reentry_ledger.authorization import Actor, NotPermitted, Permission
from reentry_ledger.domain.access import ClientRecordRead, LedgerRead, access_log_id
from reentry_ledger.domain.checks import shown
from reentry_ledger.domain.client import Client
from reentry_ledger.domain.errors import (
    ClientAlreadyEnrolled,
    ClientNotFound,
    Conflict,
    InvalidInput,
    LedgerError,
    RuleViolated,
)
from reentry_ledger.domain.integrity import chained, stored_state
from reentry_ledger.domain.references import check_reference
from reentry_ledger.event_reads import none_there, reads_after
from reentry_ledger.persistence import event_from_state

LATEST_MOST = 1000  # reads a page may hold
# Where a page of the access log ends (`ReadsPage.next_after`): after a read kept in the event
# table (its notification id), or in the log's store (its position). The event table's come
# first: those from before the store, and an import's.
EVENTS, LOG = "events", "log"
PAGE_END = re.compile(rf"({EVENTS}|{LOG}):([0-9]{{1,19}})")


@dataclass(frozen=True)
class ReadsPage:
    reads: list[ClientRecordRead | LedgerRead]
    next_after: str | None  # give as `after` for the next page; None when there is no more


def page_start(after: str | None) -> tuple[str, int]:
    """Where a page starts: after the read `after` names (none: the first of all)."""
    if after is None:
        return EVENTS, 0
    found = PAGE_END.fullmatch(after)
    if found is None or int(found[2]) >= 2**63:  # the databases' integers
        raise InvalidInput(
            f"after {shown(after)}: give the next_after of a page ({EVENTS}:N or {LOG}:N)"
        )
    return found[1], int(found[2])


class AccessLog(LedgerBase):
    # Whether reads may be logged though the ledger was opened read-only (`timeline`, `show`):
    # the access log has a store of its own (ADR 0027). None: only if the ledger is writable.
    logs_reads: bool | None = None
    _access_store: AccessStore | None = None

    @property
    def access_store(self) -> AccessStore:
        if self._access_store is None:
            writable = self.logs_reads
            if writable is None:
                writable = not self.backend.read_only
            self._access_store = AccessStore(self.backend, writable)
        return self._access_store

    def close(self) -> None:
        if self._access_store is not None:
            self._access_store.close()
        super().close()

    def log_read(
        self,
        who: Actor,
        client: Client,
        view: str,
        as_of: date | None,
        known_at: datetime | None,
    ) -> None:
        """Log a read of one client's record: never in the client's timeline. A read that
        cannot be logged is not shown."""
        self.log_reads(who, [client.ref], view, as_of, known_at)

    def log_reads(
        self,
        who: Actor,
        refs: Sequence[str],
        view: str,
        as_of: date | None,
        known_at: datetime | None,
    ) -> None:
        """Log reads of several clients' records (by their references) at once (a page of a
        caseload, a work list), in the order given: all in one transaction, or none, and then
        none is shown."""
        if not refs:
            return
        try:
            self._log_all(who, ClientRecordRead, [
                {"client_ref": ref, "view": view, "as_of": as_of, "known_at": known_at}
                for ref in refs
            ])  # fmt: skip
        except (OperationalError, sqlite3.OperationalError) as error:
            if not cannot_write(error):
                raise
            raise RuleViolated(  # every read is logged: not a conflict a retry clears
                f"the access log cannot be written ({error}); the record was not shown"
            ) from None

    @contextmanager
    def refusal_logged(self, actor: str | None, ref: str, view: str) -> Iterator[None]:
        """Work on the client `ref` whose refusal, as not found or not permitted, is logged;
        so is an enrolment of a reference already enrolled, which tells another agency's
        staff that it is taken (a reference is one person across agencies)."""
        try:
            yield
        except (ClientNotFound, NotPermitted, ClientAlreadyEnrolled):
            self.log_refused(actor, ref, view)
            raise

    def log_refused(self, actor: str | None, ref: str, view: str) -> None:
        """Log an attempt to read or write a client's record that was refused (view `refused
        VIEW`): a client of another agency, one that does not exist (the two are refused
        alike), or a role that may not. CJIS asks that unsuccessful attempts be logged as
        well as reads. Only a user's: a name no user has keeps no log, nor does a ledger
        without users (single-user mode refuses only clients not there; a new ledger's log
        would then hold a read that a restore into it numbers again). The refusal stands
        whether or not it can be logged (a ledger no one may write; the log busy)."""
        try:
            who = self.actor(actor)
            if who.role is None:
                return
            check_reference(ref)
            self._log(who, ClientRecordRead, client_ref=ref, view=f"refused {view}", as_of=None,
                      known_at=None)  # fmt: skip
        except (LedgerError, OperationalError, sqlite3.OperationalError) as error:
            if isinstance(error, LedgerError) or cannot_write(error):
                return
            raise

    def log_ledger_read(self, who: Actor, view: str) -> None:
        """Log a read of the whole ledger (a replay, an export). A ledger no one may write (an
        archive) cannot keep the record: that is said (a notice), not hidden."""
        unwritable = f"this {view} is not in the access log: the ledger cannot be written"
        if self.backend.read_only and not self.logs_reads:
            self.notices.append(unwritable)
            return
        try:
            self._log(who, LedgerRead, view=view)
        except (OperationalError, sqlite3.OperationalError) as error:
            if not cannot_write(error):
                raise
            self.notices.append(unwritable)

    def _log(self, who: Actor, kind: type[ClientRecordRead | LedgerRead], **fields: Any) -> None:
        self._log_all(who, kind, [fields])

    def _log_all(
        self, who: Actor, kind: type[ClientRecordRead | LedgerRead], reads: list[dict[str, Any]]
    ) -> None:
        """Append `reads` (each one's fields) to the actor's access log, chained in order and
        stored at once, in its own store (never the event table, whose writers a reader would
        wait for), without loading it. Its chain goes on from the reads a ledger stored in the
        event table before the store existed."""
        log_id = access_log_id(who.name)
        store = self.access_store
        for _ in range(5):
            last = store.last(who.name) or self._last_in_event_table(log_id)
            number, previous_hash = last if last else (0, "")
            numbered = []
            for fields in reads:
                number += 1
                event = kind(
                    originator_id=log_id,
                    originator_version=number,
                    timestamp=self._now(),
                    occurred_on=self.clock(),
                    recorded_by=who.name,
                    **fields,
                )
                state = stored_state(chained(event, previous_hash))
                numbered.append((number, state))
                previous_hash = state["event_hash"]
            if store.insert(who.name, kind.TOPIC, numbered):
                return
            # another read by the same actor took one of those numbers: try the next
        raise Conflict("the access log stayed busy; the record was not shown: retry")

    def _last_in_event_table(self, log_id: UUID) -> tuple[int, str] | None:
        last = self.recorder.select_events(log_id, desc=True, limit=1)
        if not last:
            return None
        return last[0].originator_version, self.mapper.stored_state(last[0])["event_hash"]

    def access_log(
        self,
        *,
        actor: str | None,
        client_ref: str | None = None,
        reader: str | None = None,
    ) -> Iterator[ClientRecordRead | LedgerRead]:
        """Every read of a client record (of that client, by that reader), in recorded order,
        read page by page: for auditors. Reads of the whole ledger count as reads of each
        client."""
        self.require(actor, Permission.AUDIT)
        checked(client_ref)
        return (read for _, _, read in self._listed(client_ref, reader))

    def latest_reads(
        self,
        *,
        actor: str | None,
        client_ref: str | None = None,
        reader: str | None = None,
        limit: int = 200,
    ) -> list[ClientRecordRead | LedgerRead]:
        """The last `limit` reads `access_log` lists, newest first, read from the end of the
        log (for a page of the latest reads: not a walk of every read). The reads an event
        table holds (from before the log had a store of its own, or imported) come before
        every read in the store: they are walked only where the store holds fewer."""
        self.require(actor, Permission.AUDIT)
        check_limit(limit, LATEST_MOST, "reads")
        checked(client_ref)
        latest = [stored_read(row) for row in self.access_store.latest(limit, client_ref, reader)]
        if len(latest) < limit:
            older = deque(self._event_table_reads(client_ref, reader), maxlen=limit - len(latest))
            latest += (read for _, read in reversed(older))
        return latest

    def access_log_page(
        self,
        *,
        actor: str | None,
        client_ref: str | None = None,
        reader: str | None = None,
        after: str | None = None,
        limit: int = LATEST_MOST,
    ) -> ReadsPage:
        """The reads `access_log` lists, `limit` at a time (1 to 1000), in recorded order:
        `after` is the `next_after` of the page before (none: from the first)."""
        self.require(actor, Permission.AUDIT)
        check_limit(limit, LATEST_MOST, "reads a page")
        checked(client_ref)
        source, position = page_start(after)
        listed = list(islice(self._listed(client_ref, reader, source, position), limit + 1))
        next_after = None
        if len(listed) > limit:
            source, position, _ = listed[limit - 1]
            next_after = f"{source}:{position}"
        return ReadsPage([read for _, _, read in listed[:limit]], next_after)

    def _listed(
        self, client_ref: str | None, reader: str | None, source: str = EVENTS, position: int = 0
    ) -> Iterator[tuple[str, int, ClientRecordRead | LedgerRead]]:
        """Each read after `position` of `source`, with where it is (its source and position,
        as `next_after` names them): the event table's reads first, then the store's."""
        if source == EVENTS:
            for at, read in self._event_table_reads(client_ref, reader, position):
                yield EVENTS, at, read
            position = 0
        for row in self.access_store.rows(client_ref, reader, after=position):
            yield LOG, row.position, stored_read(row)

    def _event_table_reads(
        self, client_ref: str | None, reader: str | None, position: int = 0
    ) -> Iterator[tuple[int, ClientRecordRead | LedgerRead]]:
        """The reads kept in the event table after `position`, in recorded order, with their
        positions (where the index of reads says there are any)."""
        in_event_table = not none_there(self)  # the reads logged there before, or imported
        while in_event_table and (page := reads_after(self, position, PAGE_SIZE)):
            for notification in page:
                read = cast(ClientRecordRead | LedgerRead, self.mapper.ledger_event(notification))
                whole = isinstance(read, LedgerRead)
                if (client_ref is None or whole or read.client_ref == client_ref) and (
                    reader is None or read.recorded_by == reader
                ):
                    yield notification.id, read
            position = page[-1].id


Read = TypeVar("Read")
Given = ParamSpec("Given")


def refusals_logged(
    view: str,
) -> Callable[[Callable[Given, Read]], Callable[Given, Read]]:
    """A read or write of the client `ref` (the method's argument, given by place or by name,
    as `actor` asks it) whose refusal is logged as `view` (`AccessLog.refusal_logged`)."""

    def logging(work: Callable[Given, Read]) -> Callable[Given, Read]:
        @wraps(work)
        def logged(*args: Given.args, **kwargs: Given.kwargs) -> Read:
            ledger, ref = args[0], args[1] if len(args) > 1 else kwargs.get("ref")
            if not isinstance(ledger, AccessLog) or not isinstance(ref, str):
                return work(*args, **kwargs)
            with ledger.refusal_logged(cast(str | None, kwargs.get("actor")), ref, view):
                return work(*args, **kwargs)

        logged.logs_refusals_as = view  # type: ignore[attr-defined]  # looked for by a test
        return logged

    return logging


def cannot_write(error: Exception) -> bool:
    """SQLite's words for a file, or folder, that may not be written."""
    text = str(error).lower()
    return "readonly" in text or "read-only" in text or "unable to open" in text


def stored_read(row: StoredRead) -> ClientRecordRead | LedgerRead:
    """A row of the access log's store as the read event it holds."""
    event_class = ClientRecordRead if row.topic == ClientRecordRead.TOPIC else LedgerRead
    state, log_id = {**row.state}, access_log_id(row.reader)
    return cast(
        ClientRecordRead | LedgerRead,
        event_from_state(event_class, state, log_id, row.number, stored=True),
    )


def checked(client_ref: str | None) -> None:
    """A client's reads are asked for by a reference a client can have (a slip in it would
    list none, as of a record no one read)."""
    if client_ref is not None:
        check_reference(client_ref)
