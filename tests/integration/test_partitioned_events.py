"""A PostgreSQL event table partitioned by hash of the client id (`partitions=N` in the URL,
ADR 0028): made when the ledger is created, in N partitions that the events spread over, and
every command works on it unchanged: timelines, catch-up, `verify`, and reports equal to those
of a plain table holding the same events. A layout once chosen is never changed."""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator

import pytest
from click.testing import CliRunner, Result

from reentry_ledger.application import Ledger
from reentry_ledger.backends import connect_postgres, parse_db_url
from reentry_ledger.cli import cli
from reentry_ledger.domain.errors import InvalidInput
from tests.conftest import POSTGRES_URL, drop_schema, require_postgres

PARTITIONS = 4
TABLE = "reentryledger_events"
REPORT = ("report", "violations", "--by", "agency,risk", "--period", "year", "--format", "json")


def invoke(url: str, *args: str) -> Result:
    env = {"REENTRY_LEDGER_DB": url, "REENTRY_LEDGER_ACTOR": "jdoe", "REENTRY_LEDGER_URL": None}
    return CliRunner().invoke(cli, list(args), env=env, catch_exceptions=False)


def ok(url: str, *args: str) -> str:
    result = invoke(url, *args)
    assert result.exit_code == 0, result.output
    return result.stdout


def schema_url(schema: str, partitions: int | None = None) -> str:
    extra = f"&partitions={partitions}" if partitions else ""
    return f"{POSTGRES_URL}?schema={schema}{extra}"


@pytest.fixture(scope="module")
def ledgers() -> Iterator[tuple[str, str, str]]:
    """The same demo ledger twice: in a plain event table and in a partitioned one. Yields
    the plain ledger's URL, the partitioned one's as created, and its schema."""
    require_postgres()
    plain, partitioned = (f"t_{uuid.uuid4().hex[:12]}" for _ in range(2))
    try:
        for url in (schema_url(plain), schema_url(partitioned, PARTITIONS)):
            ok(url, "demo", "--clients", "40", "--seed", "3")
        yield schema_url(plain), schema_url(partitioned, PARTITIONS), partitioned
    finally:
        drop_schema(plain)
        drop_schema(partitioned)


def query(statement: str, *params: object) -> list[tuple[object, ...]]:
    with connect_postgres(parse_db_url(POSTGRES_URL)) as connection:
        return list(connection.execute(statement, params).fetchall())


def partitions_of(schema: str) -> list[tuple[object, ...]]:
    """The event table's partitioning strategy, and each partition with its events."""
    strategy = query(
        "SELECT p.partstrat FROM pg_partitioned_table p JOIN pg_class c ON c.oid = p.partrelid "
        "JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = %s AND c.relname = %s",
        schema,
        TABLE,
    )
    counts = query(
        f'SELECT tableoid::regclass::text, count(*) FROM "{schema}".{TABLE} GROUP BY 1 ORDER BY 1'
    )
    return [*strategy, *counts]


def partition_count(schema: str) -> int:
    found = query(
        "SELECT count(*) FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhparent "
        "JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = %s AND c.relname = %s",
        schema,
        TABLE,
    )
    return int(str(found[0][0]))


@pytest.mark.postgres
def test_the_event_table_is_made_in_hash_partitions_the_events_spread_over(
    ledgers: tuple[str, str, str],
) -> None:
    _, _, schema = ledgers
    assert partition_count(schema) == PARTITIONS
    strategy, *counts = partitions_of(schema)
    assert strategy == ("h",)  # by hash
    assert len(counts) == PARTITIONS  # every partition holds some of the 40 clients' events
    assert all(int(str(count)) > 0 for _, count in counts)


@pytest.mark.postgres
def test_a_report_on_the_partitioned_table_equals_the_plain_tables(
    ledgers: tuple[str, str, str],
) -> None:
    plain, partitioned, _ = ledgers
    assert json.loads(ok(partitioned, *REPORT)) == json.loads(ok(plain, *REPORT))


def first_client(url: str) -> str:
    ledger = Ledger(parse_db_url(url, read_only=True))
    try:
        return str(ledger.repository.get(min(ledger.client_ids())).ref)
    finally:
        ledger.close()


def shown(timeline: str) -> list[dict[str, object]]:
    """A timeline's events without the moment each was recorded (two demo runs differ)."""
    return [
        {key: value for key, value in event.items() if key != "recorded_at"}
        for event in json.loads(timeline)
    ]


@pytest.mark.postgres
def test_timelines_catch_up_and_verify_work_unchanged_on_the_partitioned_table(
    ledgers: tuple[str, str, str],
) -> None:
    plain, partitioned, schema = ledgers
    ref = first_client(partitioned)
    assert first_client(plain) == ref
    timeline = ok(partitioned, "timeline", ref, "--json")
    assert shown(timeline) == shown(ok(plain, "timeline", ref, "--json"))
    ok(partitioned, "contact", ref, "--note", "met at the office")
    assert "applied" in invoke(partitioned, "projections", "catch-up").stderr
    status = json.loads(ok(partitioned, "projections", "status", "--json"))
    assert {row["lag"] for row in status} == {0}
    assert ok(partitioned, "projections", "verify") == "projections verified\n"
    assert ok(partitioned, "verify").startswith("verified ")
    assert partition_count(schema) == PARTITIONS


@pytest.mark.postgres
def test_the_same_layout_given_again_opens_the_ledger_as_it_is(
    ledgers: tuple[str, str, str],
) -> None:
    _, partitioned, schema = ledgers
    without = partitioned.replace(f"&partitions={PARTITIONS}", "")
    assert ok(partitioned, "verify") == ok(without, "verify")
    assert partition_count(schema) == PARTITIONS


@pytest.mark.postgres
def test_a_layout_is_never_changed(ledgers: tuple[str, str, str]) -> None:
    plain, partitioned, schema = ledgers
    other = invoke(partitioned.replace(f"partitions={PARTITIONS}", "partitions=8"), *REPORT)
    assert other.exit_code == 2, other.output
    assert f"is in {PARTITIONS} partitions" in other.stderr
    assert "never changed" in other.stderr
    assert partition_count(schema) == PARTITIONS
    onto_plain = invoke(f"{plain}&partitions={PARTITIONS}", *REPORT)
    assert onto_plain.exit_code == 2, onto_plain.output
    assert "is not partitioned" in onto_plain.stderr
    assert "Traceback" not in other.output + onto_plain.output


@pytest.mark.parametrize("given", ["1", "0", "two", "1025", "4&partitions=4"])
def test_a_partition_count_that_is_not_2_to_1024_is_refused(given: str) -> None:
    with pytest.raises(InvalidInput, match="partitions"):
        parse_db_url(f"postgresql://postgres@127.0.0.1:5432/test?partitions={given}")
