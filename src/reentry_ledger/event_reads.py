"""The reads an event table holds, and an index of them that says at once whether it holds any
(ADR 52).

Reads have a store of their own (ADR 27). The event table still holds those a ledger logged
before, and those an import of an export brings (an export writes the store's reads as event
lines, and an import stores every line in the event table). To list the access log, those come
first; finding them meant walking the whole event table (2.7 s at a million events, none
there). A partial index of the event table's reads, made with the table while it is empty (a
new ledger, an import's copy), holds only them: where it is, a ledger that holds no read is
known to at once, and its event table is not walked. A ledger set up before it has none, and
is walked as before (making the index on a full table would read it all, at whichever command
opened it first).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from reentry_ledger.domain.access import ClientRecordRead, LedgerRead

if TYPE_CHECKING:
    from reentry_ledger.application.base import LedgerBase

INDEX = "stored_events_reads_idx"
# the topics as literals (our own constants): a partial index serves a query whose condition
# is the index's own, which a bound parameter is not
WHERE = f"topic IN ('{ClientRecordRead.TOPIC}', '{LedgerRead.TOPIC}')"


def qualified(recorder: Any, name: str) -> str:
    """`name` (the event table, the index) as the recorder's database finds it."""
    schema = getattr(recorder.datastore, "schema", None)  # PostgreSQL's
    return f'"{schema}"."{name}"' if schema else f'"{name}"'


def index_if_new(recorder: Any) -> None:
    """Make the index of reads where the event table is empty (a new ledger) and has none: at
    once. Looked for in the catalogue first, which takes no lock: `CREATE INDEX IF NOT EXISTS`
    waits for the table's lock before it looks, and an import into a new ledger holds it, its
    rows not yet seen (ADR 58). Then the table looked at, and the index made in a transaction
    of its own that starts by writing: SQLite refuses at once, rather than waiting, a read
    turned into a write while another connection wrote; PostgreSQL waits no longer than a
    write would."""
    if index_there(recorder.datastore):
        return
    table = qualified(recorder, recorder.events_table_name)
    with recorder.datastore.transaction(commit=False) as cursor:
        cursor.execute(f"SELECT 1 FROM {table} LIMIT 1")
        if cursor.fetchone() is not None:
            return
    with recorder.datastore.transaction(commit=True) as cursor:  # empty a moment ago: quick
        if hasattr(recorder.datastore, "lock_timeout"):  # PostgreSQL's
            cursor.execute(f"SET LOCAL lock_timeout = '{int(recorder.datastore.lock_timeout)}s'")
        cursor.execute(f"CREATE INDEX IF NOT EXISTS {INDEX} ON {table} (topic) WHERE {WHERE}")


def indexed(ledger: LedgerBase) -> bool:
    """Whether the ledger's event table has the index of reads."""
    return index_there(ledger.recorder.datastore)  # type: ignore[attr-defined]


def index_there(datastore: Any) -> bool:
    """Whether the index of reads is in the datastore's catalogue (PostgreSQL's: its schema)."""
    with datastore.transaction(commit=False) as cursor:
        schema = getattr(datastore, "schema", None)
        if schema is not None:
            look = "SELECT 1 FROM pg_indexes WHERE schemaname = %s AND indexname = %s"
            cursor.execute(look, (schema, INDEX))
        else:
            cursor.execute(
                "SELECT 1 FROM sqlite_master WHERE type = 'index' AND name = ?", (INDEX,)
            )
        return cursor.fetchone() is not None


def none_there(ledger: LedgerBase) -> bool:
    """True where the index of reads says the event table holds none; False where it holds
    some, or cannot say (a ledger set up before the index)."""
    if not indexed(ledger):
        return False
    recorder: Any = ledger.recorder
    table = qualified(recorder, recorder.events_table_name)
    with recorder.datastore.transaction(commit=False) as cursor:
        cursor.execute(f"SELECT 1 FROM {table} WHERE {WHERE} LIMIT 1")
        return cursor.fetchone() is None


def reads_after(ledger: LedgerBase, position: int, limit: int) -> list[Any]:
    """The next `limit` reads the event table holds after `position`, as the recorder's
    notifications, found by the index of reads: its condition written in, as the index's own
    (the recorder's `select_notifications` binds the topics, which no partial index serves:
    on a ledger restored from an export, every page of the access log walked the event table,
    0.6-1 s at a million events). Where there is no index, the same rows, the slower way."""
    from eventsourcing.persistence import Notification

    recorder: Any = ledger.recorder
    statement = reads_statement(recorder)
    with recorder.datastore.transaction(commit=False) as cursor:
        cursor.execute(statement, (position, limit))
        rows = cursor.fetchall()
    convert = getattr(recorder, "convert_originator_id", lambda value: value)
    return [  # rows by name: PostgreSQL's are dicts, SQLite's `Row`s
        Notification(
            id=row["position"],
            originator_id=convert(row["originator_id"]),
            originator_version=row["originator_version"],
            topic=row["topic"],
            state=bytes(row["state"]),
        )
        for row in rows
    ]


def reads_statement(recorder: Any) -> str:
    """The reads the event table holds after a position (its parameter), `LIMIT` the other:
    the index of reads' condition written in."""
    table = qualified(recorder, recorder.events_table_name)
    postgres = hasattr(recorder.datastore, "schema")
    key, mark = ("notification_id", "%s") if postgres else ("rowid", "?")
    return (
        f"SELECT {key} AS position, originator_id, originator_version, topic, state FROM {table} "
        f"WHERE {WHERE} AND {key} > {mark} ORDER BY {key} LIMIT {mark}"
    )
