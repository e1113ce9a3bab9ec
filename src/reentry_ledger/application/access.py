"""The access log: who read which client's record, and when. Each reader has a hash-chained
log of their own; it is never part of a client's timeline."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, datetime
from typing import cast

from eventsourcing.persistence import IntegrityError

from reentry_ledger.application.base import PAGE_SIZE, LedgerBase
from reentry_ledger.authorization import Actor, Permission
from reentry_ledger.domain.access import ClientRecordRead, access_log_id
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
    ) -> Iterator[ClientRecordRead]:
        """Every read of a client record (of that client, by that reader), in recorded order,
        read page by page: for auditors."""
        self.require(actor, Permission.AUDIT)
        return self._reads(client_ref, reader)

    def _reads(self, client_ref: str | None, reader: str | None) -> Iterator[ClientRecordRead]:
        position = 0
        while page := self.recorder.select_notifications(
            start=position,
            limit=PAGE_SIZE,
            topics=[ClientRecordRead.TOPIC],
            inclusive_of_start=False,
        ):
            for notification in page:
                read = cast(ClientRecordRead, self.mapper.ledger_event(notification))
                if (client_ref is None or read.client_ref == client_ref) and (
                    reader is None or read.recorded_by == reader
                ):
                    yield read
            position = page[-1].id
