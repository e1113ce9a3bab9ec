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
from dataclasses import dataclass, field
from uuid import UUID

import orjson
from eventsourcing.persistence import MapperDeserialisationError, Notification
from pydantic import ValidationError

from reentry_ledger.application import Ledger
from reentry_ledger.bulk import BulkWriter, Row
from reentry_ledger.domain.errors import InvalidInput
from reentry_ledger.persistence import STABLE_TOPICS, PydanticMapper, event_from_state
from reentry_ledger.workers import available, chunked, ordered_map

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


CHUNK = 2000  # lines a worker checks at a time


@dataclass
class Parsed:
    """What a run of lines holds: rows to store (with their line numbers), client keys, and
    the fault that stopped the reading, if one did (every line before it was good)."""

    rows: list[Row] = field(default_factory=list)
    line_numbers: list[int] = field(default_factory=list)
    keys: list[tuple[str, bytes]] = field(default_factory=list)
    fault: str | None = None


def parse_lines(work: tuple[str, int, list[bytes]]) -> Parsed:
    """Check lines as the ledger will read them: each state must make its event, upcast and
    validated. Runs in a worker process: it takes and returns only plain data."""
    source, first, lines = work
    parsed = Parsed()
    ids: dict[str, UUID] = {}  # an export holds each client's events together
    for line_number, line in enumerate(lines, start=first):
        if not line.strip():
            continue
        try:
            if line.startswith(b'{"client_key"'):
                parsed.keys.append(parse_key(line))
            else:
                parsed.rows.append(parse_line(line, ids))
                parsed.line_numbers.append(line_number)
        except InvalidInput as fault:
            parsed.fault = f"{source}, line {line_number}: {fault}"
            break
    return parsed


def parse_line(line: bytes, ids: dict[str, UUID]) -> Row:
    """The row a line holds, once its event is known to read back."""
    try:
        record = orjson.loads(line)
        topic = record["topic"]
        event_class = STABLE_TOPICS.get(topic)
        if event_class is None:
            raise InvalidInput(f"unknown event topic {topic!r}")
        state = record["state"]
        if not isinstance(state, dict):
            raise TypeError("state is not an object")
        client = record["client_id"]
        originator_id = ids.get(client)
        if originator_id is None:
            ids.clear()
            originator_id = ids[client] = UUID(client)
        number = int(record["number"])
        row = (originator_id.hex, number, topic, orjson.dumps(state))
        event_from_state(event_class, state, originator_id, number)
        return row
    except InvalidInput:
        raise
    except orjson.JSONDecodeError as error:
        raise InvalidInput(f"not a JSON object ({error})") from None
    except (KeyError, TypeError, ValueError, ValidationError, MapperDeserialisationError) as error:
        detail = str(error).splitlines()[0] if str(error) else type(error).__name__
        raise InvalidInput(f"malformed event ({detail})") from None


def import_lines(
    ledger: Ledger,
    lines: Iterable[bytes],
    source: str,
    progress: Callable[[int], None] | None = None,
    workers: int | None = None,
) -> int:
    """Check every line and store them all in one transaction; any fault stores nothing.

    Worker processes check the lines, chunk by chunk; this one writes them in file order."""
    writer = BulkWriter(ledger, progress)
    writer.require_empty()
    work = ((source, 1 + index * CHUNK, chunk) for index, chunk in enumerate(chunked(lines, CHUNK)))
    expected: dict[str, int] = {}
    with writer.transaction():
        for parsed in ordered_map(parse_lines, work, workers or available()):
            for (client, number, _, _), line_number in zip(
                parsed.rows, parsed.line_numbers, strict=True
            ):
                following = expected.get(client, 1)
                if number != following:
                    raise InvalidInput(
                        f"{source}, line {line_number}: client {UUID(client)} event {number} "
                        f"where event {following} was expected"
                    )
                expected[client] = following + 1
            writer.add_rows(parsed.rows)
            for client, key in parsed.keys:
                writer.add_key(client, key)
            if parsed.fault:
                raise InvalidInput(parsed.fault)
    return writer.written


def parse_key(line: bytes) -> tuple[str, bytes]:
    try:
        record = orjson.loads(line)
        return str(UUID(record["client_key"])), base64.b64decode(record["key"], validate=True)
    except (orjson.JSONDecodeError, KeyError, ValueError, TypeError) as error:
        raise InvalidInput(f"malformed client key ({error})") from None
