"""Database URLs: a malformed one is refused at once, saying what was meant, and nothing is
opened or created."""

from __future__ import annotations

import uuid
from pathlib import Path

import psycopg
import pytest
from click.testing import CliRunner

from reentry_ledger.cli import cli
from tests.conftest import POSTGRES_URL, drop_schema, require_postgres
from tests.e2e.test_input_hygiene import refused


@pytest.mark.parametrize(
    ("url", "message"),
    [
        (
            "sqlite://ledger.db",
            "has two slashes, so 'ledger.db' would be a host, which SQLite has not: a file is "
            "sqlite:///PATH (three slashes), e.g. 'sqlite:///ledger.db'",
        ),
        ("sqlite://", "names no file: use sqlite:///PATH"),
        ("sqlite:///", "names no file"),
        ("sqlite:ledger.db", "lacks '//' after 'sqlite:'"),
        ("sqlite:///ledger.db?mode=ro", "SQLite takes no '?mode=ro', only a path"),
        ("mysql://localhost/x", "unknown scheme 'mysql'"),
        # given bare, a SQLite URI (the library opened it as one: in memory, or a file
        # named `file::memory:` in the working folder)
        ("file:memdb1?mode=memory&cache=shared", "names a SQLite URI"),
        ("file::memory:", "names a SQLite URI"),
        ("sqlite:///mode=memory.db", "would be taken for a ledger in memory"),
        ("sqlite:///x:memory:.db", "would be taken for a ledger in memory"),
        (
            "postgresql://postgres@127.0.0.1:5432/test?schema=Probe_Up",
            "schema 'Probe_Up' in 'postgresql://postgres@127.0.0.1:5432/test?schema=Probe_Up' "
            "has capitals, which PostgreSQL folds to lower case: write it as 'probe_up'",
        ),
        ("postgresql://postgres@127.0.0.1:5432/test?schema=a-b", "is not a plain name"),
        ("postgresql://postgres@127.0.0.1:5432/test?schem=x", "unknown 'schem'"),
        ("postgresql://postgres@127.0.0.1:5432/", "names no database"),
    ],
)
def test_a_malformed_database_url_is_refused_saying_what_was_meant(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, url: str, message: str
) -> None:
    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(
        cli,
        ["--db", url, "enroll", "GA-1", "--agency", "GA", "--officer", "o", "--supervision",
         "parole", "--start", "2024-01-10"],
        env={"REENTRY_LEDGER_ACTOR": "jdoe", "REENTRY_LEDGER_DB": None},
    )  # fmt: skip
    refused(result, message)
    assert list(tmp_path.iterdir()) == []  # no ledger file made anywhere


@pytest.mark.postgres
def test_client_ids_kept_as_text_are_refused_before_anything_is_made(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The library's own setting `ORIGINATOR_ID_TYPE=text` makes a PostgreSQL event table keep
    ids as text, where the ledger's are uuids: every read of a client then failed with the
    database's "operator does not exist: text = uuid" (the first enrolment, reading the
    directory). Refused at once, naming the setting, with no schema or table made."""
    require_postgres()
    schema = f"t_{uuid.uuid4().hex[:12]}"
    monkeypatch.setenv("ORIGINATOR_ID_TYPE", "text")
    try:
        result = CliRunner().invoke(
            cli,
            ["--db", f"{POSTGRES_URL}?schema={schema}", "enroll", "GA-1", "--agency", "GA",
             "--officer", "o", "--supervision", "parole", "--start", "2024-01-10"],
            env={"REENTRY_LEDGER_ACTOR": "jdoe", "REENTRY_LEDGER_DB": None},
        )  # fmt: skip
        refused(result, "ORIGINATOR_ID_TYPE", "REENTRYLEDGER_ORIGINATOR_ID_TYPE", "'text'")
        with psycopg.connect(POSTGRES_URL) as connection:
            found = connection.execute(
                "SELECT count(*) FROM pg_namespace WHERE nspname = %s", (schema,)
            ).fetchone()
        assert found == (0,), "no schema left behind, nor a table in it"
    finally:
        drop_schema(schema)


@pytest.mark.postgres
def test_a_ledger_opened_with_client_ids_as_text_is_refused_and_left_as_it_was(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    require_postgres()
    schema = f"t_{uuid.uuid4().hex[:12]}"
    url = f"{POSTGRES_URL}?schema={schema}"
    enroll = ["--db", url, "enroll", "GA-1", "--agency", "GA", "--officer", "o",
              "--supervision", "parole", "--start", "2024-01-10"]  # fmt: skip
    env = {"REENTRY_LEDGER_ACTOR": "jdoe", "REENTRY_LEDGER_DB": None}
    try:
        assert CliRunner().invoke(cli, enroll, env=env).exit_code == 0
        monkeypatch.setenv("ORIGINATOR_ID_TYPE", "text")
        refused(CliRunner().invoke(cli, ["--db", url, "show", "GA-1"], env=env), "uuid")
        monkeypatch.delenv("ORIGINATOR_ID_TYPE")
        shown = CliRunner().invoke(cli, ["--db", url, "show", "GA-1"], env=env)
        assert shown.exit_code == 0 and "GA-1" in shown.output, shown.output
    finally:
        drop_schema(schema)
