"""A JSON-lines export (reentry_ledger.export.full) taken back into an empty ledger.

Every line is checked as the ledger will read it, in worker processes, block by block; the
events are stored in file order in one transaction, with the clients' keys. The copy stores the
same states, so it has the same hashes and digest, and exporting it gives the same lines.
"""

from __future__ import annotations

import base64
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any, BinaryIO
from uuid import UUID

import orjson
from eventsourcing.persistence import MapperDeserialisationError
from pydantic import ValidationError

from reentry_ledger.application import Ledger
from reentry_ledger.domain.errors import (
    InvalidInput,
    LedgerError,
    RuleViolated,
    VerificationFailed,
)
from reentry_ledger.domain.integrity import content_hash
from reentry_ledger.encryption import unwrap
from reentry_ledger.ingest.bulk import BulkWriter, Row, encoded
from reentry_ledger.persistence import STABLE_TOPICS, event_from_state
from reentry_ledger.verification import ClientChain, Closing, link_problem, previous_problem
from reentry_ledger.workers import available, chunked, ordered_map

CHUNK = 2000  # lines a worker checks at a time, read from a file as one block of about:
BLOCK = 1 << 20  # bytes


def blocks(lines: Iterable[bytes] | BinaryIO) -> Iterator[tuple[int, bytes]]:
    """The lines as blocks of whole lines, each with the number of its first line. A file is
    read a block at a time, so this process, which also writes every row, never splits it
    into lines: the workers do."""
    read = getattr(lines, "read", None)
    if read is None:
        first = 1
        for chunk in chunked(lines, CHUNK):
            yield first, b"".join(line if line.endswith(b"\n") else line + b"\n" for line in chunk)
            first += len(chunk)
        return
    first, rest = 1, b""
    while piece := read(BLOCK):
        cut = piece.rfind(b"\n") + 1
        if not cut:  # no line ends in it: a line longer than a block
            rest += piece
            continue
        block, rest = rest + piece[:cut], piece[cut:]
        yield first, block
        first += block.count(b"\n")
    if rest:
        yield first, rest


@dataclass(slots=True)
class Run:
    """Consecutive events of one client, from `first` to before `following`, the first of
    them on line `line`; each linked to the one before it. `previous` is the hash the first
    names as its predecessor's, `last` the last one's own hash."""

    client: str
    first: int
    following: int
    line: int
    previous: str
    last: str


@dataclass
class Parsed:
    """What a block of lines holds: rows to store (their runs of consecutive events of one
    client, and each event's hash), client keys, the closing record and its line if the block
    has it, the block's first line that holds anything, and the fault that stopped the
    reading, if one did (every line before it was good)."""

    rows: list[Row] = field(default_factory=list)
    hashes: list[str] = field(default_factory=list)
    runs: list[Run] = field(default_factory=list)
    keys: list[tuple[str, bytes | str]] = field(default_factory=list)  # str: still wrapped
    closing: tuple[int, dict[str, Any]] | None = None
    first_line: int | None = None
    fault: LedgerError | None = None


def parse_lines(work: tuple[str, int, bytes]) -> Parsed:
    """Check lines as the ledger will read them: each state must make its event, upcast and
    validated, and match its hash and the hash of the event before it in its run. Runs in a
    worker process: it takes and returns only plain data."""
    source, first, block = work
    parsed = Parsed()
    ids: dict[str, tuple[UUID, str, str]] = {}  # an export holds each client's events together
    run = Run("", 0, 0, 0, "", "")
    for line_number, line in enumerate(block.split(b"\n"), start=first):
        if not line or line.isspace():  # blank (as `not line.strip()`, without a copy)
            continue
        if parsed.first_line is None:
            parsed.first_line = line_number
        try:
            if parsed.closing:
                raise InvalidInput("a line after the closing record (the export's last line)")
            if line.startswith(b'{"client_key"'):
                parsed.keys.append(parse_key(line))
                continue
            if line.startswith(b'{"closing"'):
                parsed.closing = line_number, parse_closing(line)
                continue
            row, state, originator_id = parse_line(line, ids)
            client, number = row[0], row[1]
            if client != run.client or number != run.following:  # a run starts
                previous = state.get("previous_hash", "")
                run = Run(client, number, number, line_number, previous, previous)
            event_hash = state.get("event_hash")
            linked = (
                number == run.following
                and event_hash
                and state.get("previous_hash", "") == run.last
                and content_hash(originator_id, number, row[2], state) == event_hash
            )  # what `link_problem` checks, without a chain made for each line
            if not linked:
                chain = ClientChain(client, run.following - 1, run.last)
                if problem := link_problem(chain, number, state, row[2], originator_id):
                    raise VerificationFailed(problem)
        except (InvalidInput, VerificationFailed) as fault:
            parsed.fault = type(fault)(f"{source}, line {line_number}: {fault}")
            break
        if run.following == run.first:
            parsed.runs.append(run)
        run.following, run.last = number + 1, state["event_hash"]
        parsed.rows.append(row)
        parsed.hashes.append(run.last)
    return parsed


def parse_line(
    line: bytes, ids: dict[str, tuple[UUID, str, str]]
) -> tuple[Row, dict[str, Any], str]:
    """The row a line holds, once its event is known to read back, its state and its client's
    id (as text, as hashes are made of it). `ids` holds the last client's id, as a UUID, as the
    ledger stores it and as text: made once a client, not once an event."""
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
        known = ids.get(client)
        if known is None:
            ids.clear()
            uuid = UUID(client)
            known = ids[client] = uuid, uuid.hex, str(uuid)
        originator_id, stored_id, text = known
        number = int(record["number"])
        row = (stored_id, number, topic, encoded(state))
        event_from_state(event_class, {**state}, originator_id, number)  # it takes the top
        # level apart (upcasting replaces whole fields): the state is kept for its hashes
        return row, state, text
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
    wrap_key: bytes | None = None,
) -> int:
    """Check every line and store them all in one transaction; any fault stores nothing.
    A backup's client keys are unwrapped with `wrap_key`.

    Worker processes check the lines, chunk by chunk, and each event's hash and its link to
    the event before it within their chunk; this one links each client's runs across chunks,
    keeps the running digest and the counts, and writes the rows in file order. Nothing is
    committed unless the file ends with its closing record and agrees with it."""
    writer = BulkWriter(ledger, progress)
    writer.require_empty()
    if ledger.access_store.holds_reads():  # the restored reads are numbered as they were
        raise RuleViolated(
            f"the ledger at {ledger.backend.display} holds no events, but its access log holds "
            "reads made since it was made (an export of it, say): restore into a new ledger "
            "(another path or schema); nothing was written"
        )
    work = ((source, first, block) for first, block in blocks(lines))
    chains: dict[str, tuple[int, str]] = {}  # each client's next number and last hash
    counted = Closing()
    keyed: set[str] = set()  # the clients whose key has come: one each
    closing: tuple[int, dict[str, Any]] | None = None
    with writer.transaction():
        for parsed in ordered_map(parse_lines, work, workers or available()):
            if closing and parsed.first_line:
                raise InvalidInput(
                    f"{source}, line {parsed.first_line}: a line after the closing record "
                    "(the export's last line)"
                )
            for run in parsed.runs:  # each client's events numbered on from where they were
                following, last = chains.get(run.client, (1, ""))
                if run.first != following:  # an event removed, or moved: an edited file
                    raise VerificationFailed(
                        f"{source}, line {run.line}: client {UUID(run.client)} event "
                        f"{run.first} where event {following} was expected"
                    )
                if problem := previous_problem(last, run.previous):
                    raise VerificationFailed(f"{source}, line {run.line}: {problem}")
                chains[run.client] = run.following, run.last
            counted.events_of([row[2] for row in parsed.rows], parsed.hashes)
            writer.add_rows(parsed.rows)
            for client, stored_key in parsed.keys:
                if client in keyed:
                    raise VerificationFailed(f"{source}: client {client} has two keys")
                keyed.add(client)
                key = unwrapped(source, client, stored_key, wrap_key)
                counted.key(client, key)
                writer.add_key(client, key)
            if parsed.fault:
                raise parsed.fault
            closing = closing or parsed.closing
        if closing is None:
            raise InvalidInput(
                f"{source}: no closing record at its end: the file was cut short, or is not "
                "a whole export"
            )
        line, written = closing
        if written.get("key_custody") == "none":
            raise InvalidInput(
                f"{source}, line {line}: this export carries no client keys (an auditor's, "
                "for verification): a copy could not read its clients' personal data; restore "
                "from a backup (`export --with-keys`)"
            )
        if problem := counted.disagreement(written):
            raise VerificationFailed(f"{source}, line {line}: {problem}")
    return writer.written


def parse_closing(line: bytes) -> dict[str, Any]:
    try:
        closing = orjson.loads(line)["closing"]
        if not isinstance(closing, dict):
            raise TypeError("not an object")
        return closing
    except (orjson.JSONDecodeError, KeyError, TypeError) as error:
        raise InvalidInput(f"malformed closing record ({error})") from None


def parse_key(line: bytes) -> tuple[str, bytes | str]:
    """A client's key: its bytes, or (from a backup) the text it is wrapped in."""
    try:
        record = orjson.loads(line)
        client = str(UUID(record["client_key"]))
        if "wrapped_key" in record:
            return client, str(record["wrapped_key"])
        return client, base64.b64decode(record["key"], validate=True)
    except (orjson.JSONDecodeError, KeyError, ValueError, TypeError) as error:
        raise InvalidInput(f"malformed client key ({error})") from None


def unwrapped(source: str, client: str, key: bytes | str, wrap_key: bytes | None) -> bytes:
    if isinstance(key, bytes):
        return key
    if wrap_key is None:
        raise InvalidInput(
            f"{source}: its client keys are wrapped (a backup): give the key they were "
            "wrapped under (--wrap-key-file)"
        )
    return unwrap(wrap_key, client, key)
