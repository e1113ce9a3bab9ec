"""Encryption at rest: with a key, the database holds no plaintext names or notes."""

from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner

from reentry_ledger.cli import cli
from reentry_ledger.encryption import new_key


def run(db: str, *args: str, key: str | None = None, key_file: Path | None = None):  # type: ignore[no-untyped-def]
    env = {"REENTRY_LEDGER_ACTOR": "jdoe", "REENTRY_LEDGER_KEY": key or "",
           "REENTRY_LEDGER_KEY_FILE": str(key_file) if key_file else ""}  # fmt: skip
    return CliRunner().invoke(cli, ["--db", db, *args], env=env)


def test_an_encrypted_ledger_holds_no_plaintext_and_reads_back_with_its_key(tmp_path: Path) -> None:
    db_file = tmp_path / "ledger.db"
    db, key = f"sqlite:///{db_file}", new_key()
    assert run(db, "enroll", "E-1", "--name", "Jane Doe", "--agency", "GA", "--officer", "o",
               "--supervision", "parole", "--start", "2024-01-01", key=key).exit_code == 0  # fmt: skip
    note = "discussed the custody hearing for her children"
    assert run(db, "contact", "E-1", "--on", "2024-02-01", "--note", note, key=key).exit_code == 0
    assert run(db, "report", "violations", key=key).exit_code == 0  # projections written too
    raw = db_file.read_bytes()
    for secret in (b"Jane Doe", b"custody hearing", b"E-1"):
        assert secret not in raw
    events = json.loads(run(db, "timeline", "E-1", "--json", key=key).stdout)
    assert events[0]["data"]["name"] == "Jane Doe" and events[1]["data"]["note"] == note
    assert run(db, "verify", key=key).exit_code == 0


def test_a_missing_or_wrong_key_is_a_clear_error(tmp_path: Path) -> None:
    db, key = f"sqlite:///{tmp_path}/ledger.db", new_key()
    run(db, "enroll", "E-1", "--agency", "GA", "--officer", "o", "--supervision", "parole", key=key)
    for other in (None, new_key()):
        result = run(db, "show", "E-1", key=other)
        assert result.exit_code == 2
        assert "the stored events cannot be read" in result.stderr
    assert "not base64" in run(db, "show", "E-1", key="not a key!").stderr
    assert "must be 16, 24 or 32" in run(db, "show", "E-1", key="c2hvcnQ=").stderr


def test_the_key_can_come_from_a_file(tmp_path: Path) -> None:
    key_file = tmp_path / "ledger.key"
    key_file.write_text(CliRunner().invoke(cli, ["key", "new"]).stdout)
    db = f"sqlite:///{tmp_path}/ledger.db"
    run(
        db,
        "enroll",
        "E-1",
        "--agency",
        "GA",
        "--officer",
        "o",
        "--supervision",
        "parole",
        key_file=key_file,
    )
    assert run(db, "show", "E-1", key_file=key_file).exit_code == 0
    assert run(db, "show", "E-1").exit_code == 2
