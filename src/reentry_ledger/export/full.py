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
"""

from __future__ import annotations

import base64
from collections.abc import Callable, Iterator

import orjson

from reentry_ledger.application import Ledger
from reentry_ledger.export import notification_pages
from reentry_ledger.persistence import PydanticMapper
from reentry_ledger.verification import Closing


def export_lines(ledger: Ledger, progress: Callable[[int], None] | None = None) -> Iterator[bytes]:
    """Stream the event log page by page; never the whole ledger in memory."""
    closing = Closing()
    mapper: PydanticMapper = ledger.mapper
    for page in notification_pages(ledger):
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
    for client, key in ledger.keys.all():
        closing.key(client, key)
        yield orjson.dumps({"client_key": client, "key": base64.b64encode(key).decode()}) + b"\n"
    yield closing_line(closing)


def closing_line(closing: Closing) -> bytes:
    return orjson.dumps({"closing": closing.record()}) + b"\n"
