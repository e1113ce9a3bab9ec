"""The ledger as JSON lines: every event with its metadata, in recorded order, and back.

One line per event: `{"position", "client_id", "number", "type", "topic", "class_version",
"event"}`, where `event` holds every field of the event as stored (its `recorded_at`,
`recorded_by`, `occurred_on` included). Importing an export into an empty ledger reproduces it:
exporting the copy gives the same lines.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from typing import IO, Any
from uuid import UUID

import orjson
from eventsourcing.utils import resolve_topic
from pydantic import ValidationError

from reentry_ledger.application import Ledger
from reentry_ledger.bulk import BulkWriter
from reentry_ledger.domain.errors import InvalidInput
from reentry_ledger.domain.events import ClientEvent
from reentry_ledger.persistence import STABLE_TOPICS

PAGE = 1000
_IDENTITY = {"originator_id", "originator_version"}


def export_lines(ledger: Ledger, progress: Callable[[int], None] | None = None) -> Iterator[bytes]:
    """Stream the event log page by page; never the whole ledger in memory."""
    position = 0
    mapper = ledger.mapper
    while page := ledger.recorder.select_notifications(
        start=position, limit=PAGE, inclusive_of_start=False
    ):
        for notification in page:
            event: ClientEvent = mapper.to_domain_event(notification)  # type: ignore[assignment]
            yield orjson.dumps(export_record(notification.id, event)) + b"\n"
        position = page[-1].id
        if progress:
            progress(len(page))


def export_record(position: int, event: ClientEvent) -> dict[str, Any]:
    event_class = type(event)
    return {
        "position": position,
        "client_id": str(event.originator_id),
        "number": event.number,
        "type": event_class.__name__,
        "topic": event_class.TOPIC,
        "class_version": event_class.class_version,
        "event": event.model_dump(mode="json", by_alias=True, exclude=_IDENTITY),
    }


def parse_line(line: bytes, where: str) -> ClientEvent:
    try:
        record = orjson.loads(line)
        topic = record["topic"]
        if topic not in STABLE_TOPICS:
            raise InvalidInput(f"{where}: unknown event topic {topic!r}")
        event_class = resolve_topic(topic)
        if record.get("class_version", 1) != event_class.class_version:
            raise InvalidInput(
                f"{where}: {record['type']} version {record.get('class_version')} "
                f"is not this ledger's version {event_class.class_version}"
            )
        state = dict(record["event"])
        state["originator_id"] = UUID(record["client_id"])
        state["originator_version"] = record["number"]
        return event_class.model_validate(state)
    except InvalidInput:
        raise
    except orjson.JSONDecodeError as error:
        raise InvalidInput(f"{where}: not a JSON object ({error})") from None
    except (KeyError, TypeError, ValueError, ValidationError) as error:
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
            event = parse_line(line, where)
            following = expected.get(event.originator_id, 1)
            if event.number != following:
                raise InvalidInput(
                    f"{where}: client {event.originator_id} event {event.number} "
                    f"where event {following} was expected"
                )
            expected[event.originator_id] = following + 1
            writer.add([event])
    return writer.written


def read_lines(stream: IO[bytes]) -> Iterator[bytes]:
    yield from stream
