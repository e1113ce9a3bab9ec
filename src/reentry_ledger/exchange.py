"""The ledger as JSON lines: every event with its metadata, in recorded order, and back.

One line per event: `{"position", "client_id", "number", "type", "topic", "state"}`, where
`state` is the event exactly as stored (every field, its class version beyond 1 and its hashes),
not upcast. Importing an export into an empty ledger stores the same states, so the copy has the
same hashes and digest, and exporting it gives the same lines. After the events come the
clients' personal-data keys, `{"client_key", "key"}`, so the copy reads what the original reads
(a sealed client has no key, and stays sealed in every copy).
"""

from __future__ import annotations

import base64
from collections.abc import Callable, Iterable, Iterator, Sequence
from typing import cast
from uuid import UUID

import orjson
from eventsourcing.persistence import MapperDeserialisationError, Notification, StoredEvent
from pydantic import ValidationError

from reentry_ledger.application import Ledger
from reentry_ledger.bulk import BulkWriter
from reentry_ledger.domain.errors import InvalidInput
from reentry_ledger.domain.events import ClientEvent
from reentry_ledger.persistence import STABLE_TOPICS, PydanticMapper

PAGE = 1000


def export_lines(ledger: Ledger, progress: Callable[[int], None] | None = None) -> Iterator[bytes]:
    """Stream the event log page by page; never the whole ledger in memory."""
    count = 0
    mapper: PydanticMapper = ledger.mapper
    for page in notification_pages(ledger):
        for notification in page:
            count += 1
            record = {
                "position": count,
                "client_id": str(notification.originator_id),
                "number": notification.originator_version,
                "type": notification.topic.rpartition(":")[2],
                "topic": notification.topic,
                "state": mapper.stored_state(notification),
            }
            yield orjson.dumps(record) + b"\n"
        if progress:
            progress(len(page))
    for client, key in ledger.keys.all():
        yield orjson.dumps({"client_key": client, "key": base64.b64encode(key).decode()}) + b"\n"


def notification_pages(ledger: Ledger) -> Iterator[Sequence[Notification]]:
    position = 0
    while page := ledger.recorder.select_notifications(
        start=position, limit=PAGE, inclusive_of_start=False
    ):
        yield page
        position = page[-1].id


def parse_line(ledger: Ledger, line: bytes, where: str) -> tuple[ClientEvent, StoredEvent]:
    """The event a line holds (checked as the ledger will read it), and the row to store."""
    try:
        record = orjson.loads(line)
        topic = record["topic"]
        if topic not in STABLE_TOPICS:
            raise InvalidInput(f"{where}: unknown event topic {topic!r}")
        if not isinstance(record["state"], dict):
            raise TypeError("state is not an object")
        stored = StoredEvent(
            originator_id=UUID(record["client_id"]),
            originator_version=int(record["number"]),
            topic=topic,
            state=ledger.mapper.seal(orjson.dumps(record["state"])),
        )
        event = cast(ClientEvent, ledger.mapper.ledger_event(stored))
        return event, stored
    except InvalidInput:
        raise
    except orjson.JSONDecodeError as error:
        raise InvalidInput(f"{where}: not a JSON object ({error})") from None
    except (KeyError, TypeError, ValueError, ValidationError, MapperDeserialisationError) as error:
        detail = str(error).splitlines()[0] if str(error) else type(error).__name__
        raise InvalidInput(f"{where}: malformed event ({detail})") from None


def import_lines(
    ledger: Ledger,
    lines: Iterable[bytes],
    source: str,
    progress: Callable[[int], None] | None = None,
) -> int:
    """Check every line and store them all in one transaction; any fault stores nothing."""
    writer = BulkWriter(ledger, progress)
    writer.require_empty()
    expected: dict[UUID, int] = {}
    with writer.transaction():
        for line_number, line in enumerate(lines, start=1):
            if not line.strip():
                continue
            where = f"{source}, line {line_number}"
            if line.startswith(b'{"client_key"'):
                writer.add_key(*parse_key(line, where))
                continue
            event, stored = parse_line(ledger, line, where)
            following = expected.get(event.originator_id, 1)
            if event.number != following:
                raise InvalidInput(
                    f"{where}: client {event.originator_id} event {event.number} "
                    f"where event {following} was expected"
                )
            expected[event.originator_id] = following + 1
            writer.add_stored([stored])
    return writer.written


def parse_key(line: bytes, where: str) -> tuple[str, bytes]:
    try:
        record = orjson.loads(line)
        return str(UUID(record["client_key"])), base64.b64decode(record["key"], validate=True)
    except (orjson.JSONDecodeError, KeyError, ValueError, TypeError) as error:
        raise InvalidInput(f"{where}: malformed client key ({error})") from None
