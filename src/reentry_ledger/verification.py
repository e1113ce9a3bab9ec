"""Verifying the ledger: every client's hash chain, and the running digest over all events.

The running digest starts at 64 zeros and, for each event in recorded order, becomes
sha256(digest + event hash). `digest` publishes (position, digest); `verify --against` proves
that the first `position` events are exactly those the digest was taken over. Positions count
events from 1, so a copy made by export and import has the same positions and digests.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from reentry_ledger.access_store import StoredRead
from reentry_ledger.application import Ledger
from reentry_ledger.domain.access import WHOLE_LEDGER, ClientRecordRead, LedgerRead, access_log_id
from reentry_ledger.domain.errors import InvalidInput
from reentry_ledger.domain.events import Enrolled
from reentry_ledger.domain.integrity import content_hash
from reentry_ledger.export import notification_pages

GENESIS = "0" * 64
DIGEST_LINE = re.compile(r"reentry-ledger digest v1 position=(\d+) sha256=([0-9a-f]{64})")


@dataclass(frozen=True)
class Digest:
    position: int
    value: str

    def line(self) -> str:
        return f"reentry-ledger digest v1 position={self.position} sha256={self.value}"

    @classmethod
    def parse(cls, text: str) -> Digest:
        """From the line itself, or from a file holding it."""
        candidate = text.strip()
        line = "'reentry-ledger digest v1 position=N sha256=HEX'"
        found = DIGEST_LINE.fullmatch(candidate)
        if found:
            return cls(int(found.group(1)), found.group(2))
        path = Path(candidate)
        if path.is_file():
            with path.open(encoding="utf-8", errors="replace") as file:  # a line: not a ledger
                found = DIGEST_LINE.fullmatch(file.read(1_000).strip())
            if not found:
                raise InvalidInput(
                    f"--against: the file '{candidate}' holds no line printed by `digest` ({line})"
                )
            return cls(int(found.group(1)), found.group(2))
        if candidate and path.exists():  # a folder, a device
            raise InvalidInput(f"--against: '{candidate}' is not a file holding a digest line")
        if candidate and (path.suffix or len(path.parts) > 1):  # named as a file is
            raise InvalidInput(
                f"--against: no file '{candidate}', nor a line printed by `digest` ({line})"
            )
        raise InvalidInput(
            f"--against needs a line printed by `digest` (or a file holding it): {line}"
        )


@dataclass(frozen=True)
class Break:
    """The first broken link: where, and what is wrong."""

    position: int
    client: str
    number: int
    problem: str

    def __str__(self) -> str:
        return (
            f"position {self.position}, client {self.client}, event {self.number}: {self.problem}"
        )


@dataclass(frozen=True)
class Verification:
    events: int
    clients: int
    digest: Digest
    broken: Break | None = None

    @property
    def ok(self) -> bool:
        return self.broken is None


@dataclass
class ClientChain:
    """One aggregate's chain: a client's, or the user directory's, or an access log's."""

    ref: str
    number: int = 0
    last_hash: str = ""

    @property
    def is_client(self) -> bool:
        return not self.ref.startswith(
            ("the user directory", "the access log", "the policy", "the programme", "volunteer ")
        )


POLICY_TOPICS = "reentry_ledger.domain.policy:"
PROGRAMME_TOPICS = "reentry_ledger.domain.programme:"
VOLUNTEER_TOPICS = "reentry_ledger.domain.volunteer:"


def chain_label(topic: str, state: dict[str, Any], aggregate_id: str) -> str:
    if topic == Enrolled.TOPIC:
        return str(state["client_ref"])
    if topic.startswith("reentry_ledger.domain.directory:"):
        return "the user directory"
    if topic.startswith(POLICY_TOPICS):
        return f"the policy of agency {state.get('agency')}"
    if topic.startswith(PROGRAMME_TOPICS):
        return f"the programme {state.get('name')!r} of agency {state.get('agency')}"
    if topic.startswith(VOLUNTEER_TOPICS):
        return f"volunteer {state.get('volunteer_id')}"
    if topic in (ClientRecordRead.TOPIC, LedgerRead.TOPIC):
        return f"the access log of {state.get('recorded_by')}"
    return aggregate_id


def advance(digest: str, event_hash: str) -> str:
    return hashlib.sha256((digest + event_hash).encode()).hexdigest()


def verify(
    ledger: Ledger,
    against: Digest | None = None,
    progress: Callable[[int], None] | None = None,
) -> Verification:
    chains: dict[str, ClientChain] = {}
    digest, position = GENESIS, 0
    mapper = ledger.mapper

    def result(broken: Break | None = None) -> Verification:
        clients = sum(1 for chain in chains.values() if chain.is_client)
        return Verification(position, clients, Digest(position, digest), broken)

    if against and against.position == 0 and against.value != GENESIS:  # compared at each
        return result(Break(0, "-", 0, against_problem(against)))  # event, so never at 0
    for page in notification_pages(ledger):
        for notification in page:
            position += 1
            client_id, number = str(notification.originator_id), notification.originator_version
            state = mapper.stored_state(notification)
            chain = chains.get(client_id) or chains.setdefault(
                client_id, ClientChain(chain_label(notification.topic, state, client_id))
            )
            problem = link_problem(chain, number, state, notification.topic, client_id)
            if problem:
                return result(Break(position, chain.ref, number, problem))
            chain.number, chain.last_hash = number, state["event_hash"]
            digest = advance(digest, chain.last_hash)
            if against and position == against.position and digest != against.value:
                return result(Break(position, chain.ref, number, against_problem(against)))
        if progress:
            progress(len(page))
    if broken := access_log_break(ledger, chains, position):
        return result(broken)
    if against and position < against.position:
        return result(
            Break(
                position,
                "-",
                0,
                f"the ledger holds {position} events but the digest covers {against.position}: "
                "events were deleted",
            )
        )
    return result()


def access_log_break(ledger: Ledger, chains: dict[str, ClientChain], position: int) -> Break | None:
    """The first broken link in the access log's own store (ADR 0027): each reader's chain goes
    on from their reads in the event table, with the same hashing, and a row's columns must say
    what its hashed state says."""
    for row in ledger.access_store.rows():
        position += 1
        log_id = str(access_log_id(row.reader))
        chain = chains.get(log_id) or chains.setdefault(
            log_id, ClientChain(f"the access log of {row.reader}")
        )
        label = f"the access log of {row.reader}"
        problem = link_problem(chain, row.number, row.state, row.topic, log_id)
        if problem is None:
            problem = column_problem(row)
        if problem:
            return Break(position, label, row.number, problem)
        chain.number, chain.last_hash = row.number, row.event_hash
    return None


def column_problem(row: StoredRead) -> str | None:
    """A row whose columns differ from its hashed state (the reader, client, view or hash)."""
    state = row.state
    expected = {
        "reader": state.get("recorded_by"),
        "client_ref": state.get("client_ref", WHOLE_LEDGER),
        "view": state.get("view"),
        "event_hash": state.get("event_hash"),
        "previous_hash": state.get("previous_hash"),
    }
    for name, value in expected.items():
        if getattr(row, name) != value:
            return (
                f"its {name} ({getattr(row, name)!r}) differs from what its hash covers "
                f"({value!r}): the stored row was changed"
            )
    return None


def link_problem(
    chain: ClientChain, number: int, state: dict[str, Any], topic: str, client_id: str
) -> str | None:
    if number != chain.number + 1:
        if number > chain.number + 1:
            return f"events {chain.number + 1} to {number - 1} are missing"
        return f"event {number} comes after event {chain.number} (out of order)"
    if not state.get("event_hash"):
        return "the event carries no hash"
    if problem := previous_problem(chain.last_hash, state.get("previous_hash", "")):
        return problem
    if content_hash(client_id, number, topic, state) != state["event_hash"]:
        return "its content does not match its hash (the stored event was changed)"
    return None


def previous_problem(last_hash: str, previous_hash: str) -> str | None:
    if previous_hash != last_hash:
        return (
            "its previous-event hash does not match the event before it "
            "(an earlier event was changed or removed)"
        )
    return None


def against_problem(against: Digest) -> str:
    return (
        f"the running digest at position {against.position} differs from the published one "
        "(events up to it were changed, removed, inserted or reordered)"
    )


@dataclass
class Closing:
    """What a whole export holds, counted as it is written and again as it is read: its last
    line, so a file cut short, or changed, is known before anything of it is stored."""

    events: int = 0
    clients: int = 0
    keys: int = 0
    digest: str = GENESIS
    keys_digest: str = GENESIS  # the running digest over the keys, in file order
    custody: str = "plain"  # the keys: "plain", "wrapped" (a backup) or "none" (for audit)

    def event(self, topic: str, event_hash: str) -> None:
        self.events += 1
        self.clients += topic == Enrolled.TOPIC
        self.digest = advance(self.digest, event_hash)

    def events_of(self, topics: list[str], hashes: list[str]) -> None:
        """`event` of each topic and hash in turn, in one loop (a bulk load's every event)."""
        if len(topics) != len(hashes):
            raise ValueError("as many topics as hashes")
        digest = self.digest
        for event_hash in hashes:
            digest = advance(digest, event_hash)
        self.digest = digest
        self.events += len(hashes)
        self.clients += topics.count(Enrolled.TOPIC)

    def key(self, client: str, key: bytes) -> None:
        """A client's key: keys carry no hash of their own, so the closing record covers them."""
        self.keys += 1
        self.keys_digest = advance(self.keys_digest, f"{client}:{key.hex()}")

    def record(self) -> dict[str, Any]:
        digest = Digest(self.events, self.digest).line()
        return {"events": self.events, "clients": self.clients, "keys": self.keys,
                "digest": digest, "keys_digest": self.keys_digest,
                "key_custody": self.custody}  # fmt: skip

    def disagreement(self, written: dict[str, Any]) -> str | None:
        """How the closing record `written` differs from what was counted, if it does."""
        counted = self.record()
        for name in ("events", "clients", "keys"):
            if written.get(name) != counted[name]:
                return (
                    f"the closing record says {written.get(name)} {name}, the file holds "
                    f"{counted[name]}"
                )
        if written.get("digest") != counted["digest"]:
            return (
                "the running digest over the file's events differs from the closing record's "
                "(events were changed, removed, inserted or reordered)"
            )
        if written.get("keys_digest") != counted["keys_digest"]:
            return (
                "the digest over the file's client keys differs from the closing record's "
                "(a key was changed, removed, added or moved)"
            )
        return None
