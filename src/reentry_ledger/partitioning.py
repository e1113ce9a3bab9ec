"""A PostgreSQL event table partitioned by hash of the client id (ADR 0028).

`postgresql://…/dbname?schema=agency_ga&partitions=16` creates a new ledger's event table as N
hash partitions of the client id (the library's `originator_id`), before the library creates
its plain one: the same columns, the same primary key (client id, number), notification ids
from the one sequence (`bigserial`), so the notification log keeps one order, and an index on
the notification id under the library's name. PostgreSQL refuses a unique index on a
partitioned table that leaves out the partition key, and checks that before it looks whether
the index exists, so the library's `CREATE UNIQUE INDEX IF NOT EXISTS` would fail on it: the
ledger's recorder (postgres_recorder.py) makes no index that exists, so leaves it out. The
sequence is what makes the ids unique, as it did before.

The layout is chosen once, when the ledger is created. Given again for a ledger whose table is
already so partitioned, it does nothing; for a ledger whose table is plain, or has another
number of partitions, it is refused: nothing is changed. Without the parameter, a partitioned
ledger opens as any other.
"""

from __future__ import annotations

from typing import Any

from reentry_ledger.domain.errors import InvalidInput

# The library's storage parameters for its event table (eventsourcing/postgres.py), set on each
# partition: a partitioned table holds no rows, so takes none.
STORAGE = (
    "autovacuum_enabled = true, autovacuum_vacuum_threshold = 100000000, "
    "autovacuum_vacuum_scale_factor = 0.5, autovacuum_analyze_threshold = 1000, "
    "autovacuum_analyze_scale_factor = 0.01"
)

LAYOUT = """
SELECT c.relkind, (SELECT count(*) FROM pg_inherits i WHERE i.inhparent = c.oid)
FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
WHERE n.nspname = %s AND c.relname = %s
"""


def partition_events(factory: Any, partitions: int) -> None:
    """Create the ledger's event table in `partitions` hash partitions of the client id, if it
    does not exist yet; if it does, check that it is so partitioned (InvalidInput if not).
    Runs under the set-up lock (backends.setting_up), before the library makes its tables."""
    from psycopg import sql

    datastore = factory.datastore
    schema: str = datastore.schema
    table = f"{factory.env.name.lower() or 'stored'}_events"
    with datastore.transaction(commit=True) as cursor:
        cursor.execute(LAYOUT, (schema, table))
        found = cursor.fetchone()
        if found is not None:
            kind, count = (found["relkind"], found["count"]) if isinstance(found, dict) else found
            check_layout(f"{schema}.{table}", str(kind), int(count), partitions)
            return
        name = sql.Identifier(schema, table)
        cursor.execute(
            sql.SQL(
                "CREATE TABLE {name} (originator_id {type} NOT NULL, "
                "originator_version bigint NOT NULL, topic text, state bytea, "
                "notification_id bigserial, PRIMARY KEY (originator_id, originator_version)) "
                "PARTITION BY HASH (originator_id)"
            ).format(name=name, type=sql.Identifier(datastore.originator_id_type))
        )
        for remainder in range(partitions):
            cursor.execute(
                sql.SQL(
                    "CREATE TABLE {part} PARTITION OF {name} "
                    "FOR VALUES WITH (MODULUS {modulus}, REMAINDER {remainder}) WITH ({storage})"
                ).format(
                    part=sql.Identifier(schema, f"{table}_p{remainder}"),
                    name=name,
                    modulus=sql.Literal(partitions),
                    remainder=sql.Literal(remainder),
                    storage=sql.SQL(STORAGE),
                )
            )
        cursor.execute(
            sql.SQL("CREATE INDEX {index} ON {name} (notification_id)").format(
                index=sql.Identifier(f"{table}_notification_id_idx"), name=name
            )
        )


def check_layout(table: str, kind: str, count: int, partitions: int) -> None:
    """An existing event table's layout against the one asked for: a layout is never changed."""
    if kind == "p" and count == partitions:
        return
    now = f"in {count} partitions" if kind == "p" else "not partitioned"
    raise InvalidInput(
        f"partitions={partitions}: the ledger's event table {table} exists and is {now}; "
        "a ledger's layout is chosen when it is created and never changed here (leave "
        "partitions= out to open it as it is, or export it and import it into a new schema "
        "created with the layout wanted)"
    )
