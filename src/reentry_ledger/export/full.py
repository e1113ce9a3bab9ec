"""The ledger as JSON lines: every event with its metadata, in recorded order.

One line per event: `{"position", "client_id", "number", "type", "topic", "state"}`, where
`state` is the event exactly as stored (every field, its class version beyond 1 and its hashes),
not upcast. Importing an export into an empty ledger (`reentry_ledger.ingest.jsonl`) stores the
same states, so the copy has the same hashes and digest, and exporting it gives the same lines.
After the events come the clients' personal-data keys, `{"client_key", "key"}`, so the copy
reads what the original reads (a sealed client has no key, and stays sealed in every copy).
Last comes the closing record, `{"closing": {"events", "clients", "keys", "digest",
"keys_digest"}}`: the counts of the lines before it, the running digest over their events (as
`digest` prints it), and one over the keys.
An import refuses a file that does not end with it or does not agree with it.
The reads in the access log's own store (ADR 0027) follow the event table's events, as event
lines of the same form (a copy holds them in its event table, as ledgers did before the store).
"""

from __future__ import annotations

import base64
from collections.abc import Callable, Iterator
from dataclasses import dataclass

import orjson

from reentry_ledger.application import Ledger
from reentry_ledger.domain.access import access_log_id
from reentry_ledger.encryption import wrap
from reentry_ledger.export import notification_pages
from reentry_ledger.persistence import PydanticMapper
from reentry_ledger.verification import Closing


@dataclass(frozen=True)
class KeyCustody:
    """What an export does with the clients' keys: leaves them out (an auditor's export, for
    verification), wraps them under a key its custodian holds (a backup), or carries them
    plain (single-user mode: one person's own ledger)."""

    mode: str = "plain"  # "plain", "wrapped" or "none"
    wrap_key: bytes | None = None

    def line(self, client: str, key: bytes) -> bytes:
        if self.wrap_key is not None:
            return orjson.dumps(
                {"client_key": client, "wrapped_key": wrap(self.wrap_key, client, key)}
            )
        return orjson.dumps({"client_key": client, "key": base64.b64encode(key).decode()})


def export_lines(
    ledger: Ledger,
    progress: Callable[[int], None] | None = None,
    custody: KeyCustody = KeyCustody(),
    upto: int | None = None,
    reads_upto: int | None = None,
) -> Iterator[bytes]:
    """Stream the event log page by page, up to position `upto` (default: all of it), then the
    access log's store up to its position `reads_upto` (default: all of it); never the whole
    ledger in memory."""
    closing = Closing(custody=custody.mode)
    mapper: PydanticMapper = ledger.mapper
    for page in notification_pages(ledger, upto):
        for notification in page:
            state = mapper.stored_state(notification)
            closing.event(notification.topic, state.get("event_hash", ""))
            record = {
                "position": closing.events,
                "client_id": str(notification.originator_id),
                "number": notification.originator_version,
                "type": notification.topic.rpartition(":")[2],
                "topic": notification.topic,
                "state": state,
            }
            yield orjson.dumps(record) + b"\n"
        if progress:
            progress(len(page))
    # the access log's own store (ADR 0027), after the event table's events
    for read in ledger.access_store.rows(upto=reads_upto):
        closing.event(read.topic, read.event_hash)
        record = {
            "position": closing.events,
            "client_id": str(access_log_id(read.reader)),
            "number": read.number,
            "type": read.topic.rpartition(":")[2],
            "topic": read.topic,
            "state": read.state,
        }
        yield orjson.dumps(record) + b"\n"
    if custody.mode != "none":
        for client, key in ledger.keys.all():
            closing.key(client, key)
            yield custody.line(client, key) + b"\n"
    yield closing_line(closing)


def closing_line(closing: Closing) -> bytes:
    return orjson.dumps({"closing": closing.record()}) + b"\n"
