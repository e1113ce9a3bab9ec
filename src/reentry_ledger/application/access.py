"""The access log: who read which client's record, and when. Each reader has a hash-chained
log of their own; it is never part of a client's timeline."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, datetime
from typing import Any, cast

from eventsourcing.persistence import IntegrityError, OperationalError

from reentry_ledger.application.base import PAGE_SIZE, LedgerBase
from reentry_ledger.authorization import Actor, Permission
from reentry_ledger.domain.access import ClientRecordRead, LedgerRead, access_log_id
from reentry_ledger.domain.client import Client
from reentry_ledger.domain.errors import Conflict
from reentry_ledger.domain.integrity import chained


class AccessLog(LedgerBase):
    def log_read(
        self,
        who: Actor,
        client: Client,
        view: str,
        as_of: date | None,
        known_at: datetime | None,
    ) -> None:
        """Log a read of one client's record: never in the client's timeline."""
        self._log(who, ClientRecordRead, client_ref=client.ref, view=view, as_of=as_of,
                  known_at=known_at)  # fmt: skip

    def log_ledger_read(self, who: Actor, view: str) -> None:
        """Log a read of the whole ledger (a replay, an export). A ledger no one may write (an
        archive) cannot keep the record: that is said (a notice), not hidden."""
        unwritable = f"this {view} is not in the access log: the ledger cannot be written"
        if self.backend.read_only:
            self.notices.append(unwritable)
            return
        try:
            self._log(who, LedgerRead, view=view)
        except OperationalError as error:
            if not cannot_write(error):
                raise
            self.notices.append(unwritable)

    def _log(self, who: Actor, kind: type[ClientRecordRead | LedgerRead], **fields: Any) -> None:
        """Append to the actor's access log, without loading it."""
        log_id = access_log_id(who.name)
        for _ in range(5):
            last = self.recorder.select_events(log_id, desc=True, limit=1)
            previous_hash = self.mapper.stored_state(last[0])["event_hash"] if last else ""
            event = kind(
                originator_id=log_id,
                originator_version=last[0].originator_version + 1 if last else 1,
                timestamp=self._now(),
                occurred_on=self.clock(),
                recorded_by=who.name,
                **fields,
            )
            try:
                self.recorder.insert_events(
                    [self.mapper.to_stored_event(chained(event, previous_hash))]
                )
                return
            except IntegrityError:
                continue  # another read by the same actor took that number: try the next
        raise Conflict("the access log stayed busy; the record was not shown: retry")

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
        return self._reads(client_ref, reader)

    def _reads(
        self, client_ref: str | None, reader: str | None
    ) -> Iterator[ClientRecordRead | LedgerRead]:
        position = 0
        while page := self.recorder.select_notifications(
            start=position,
            limit=PAGE_SIZE,
            topics=[ClientRecordRead.TOPIC, LedgerRead.TOPIC],
            inclusive_of_start=False,
        ):
            for notification in page:
                read = cast(ClientRecordRead | LedgerRead, self.mapper.ledger_event(notification))
                whole = isinstance(read, LedgerRead)
                if (client_ref is None or whole or read.client_ref == client_ref) and (
                    reader is None or read.recorded_by == reader
                ):
                    yield read
            position = page[-1].id


def cannot_write(error: Exception) -> bool:
    """SQLite's words for a file, or folder, that may not be written."""
    text = str(error).lower()
    return "readonly" in text or "read-only" in text or "unable to open" in text
