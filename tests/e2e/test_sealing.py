"""Sealing a client: personal data unreadable for good; reports and verification unchanged."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from reentry_ledger.cli import cli


@pytest.fixture
def run(db_url: str):  # type: ignore[no-untyped-def]
    runner = CliRunner()
    env = {"REENTRY_LEDGER_DB": db_url, "REENTRY_LEDGER_ACTOR": "sup", "REENTRY_LEDGER_KEY": ""}

    def invoke(*args: str) -> str:
        result = runner.invoke(cli, list(args), env=env, catch_exceptions=False)
        assert result.exit_code == 0, result.output
        return result.stdout

    invoke("enroll", "S-1", "--name", "Jane Doe", "--agency", "GA", "--officer", "o",
           "--supervision", "parole", "--start", "2024-01-01")  # fmt: skip
    invoke("contact", "S-1", "--on", "2024-02-01", "--note", "her new address is 12 Elm St")
    invoke(
        "violation",
        "S-1",
        "--on",
        "2024-03-01",
        "--technical",
        "curfew",
        "--description",
        "seen at Elm St",
    )
    invoke("enroll", "S-2", "--name", "John Roe", "--agency", "GA", "--officer", "o",
           "--supervision", "probation", "--start", "2024-01-01")  # fmt: skip
    return invoke


def test_personal_data_is_not_stored_in_plain_text_even_without_a_ledger_key(
    tmp_path: Path,
) -> None:
    db_file = tmp_path / "plain.db"
    env = {
        "REENTRY_LEDGER_DB": f"sqlite:///{db_file}",
        "REENTRY_LEDGER_ACTOR": "sup",
        "REENTRY_LEDGER_KEY": "",
    }
    for args in (
        ["enroll", "S-1", "--name", "Jane Doe", "--agency", "GA", "--officer", "o", "--supervision", "parole", "--start", "2024-01-01"],
        ["contact", "S-1", "--on", "2024-02-01", "--note", "her new address is 12 Elm St"],
    ):  # fmt: skip
        assert CliRunner().invoke(cli, args, env=env).exit_code == 0
    raw = db_file.read_bytes()
    for secret in (b"Jane Doe", b"12 Elm St"):
        assert secret not in raw


def test_a_sealed_client_is_unreadable_but_still_counted_and_verified(run) -> None:  # type: ignore[no-untyped-def]
    before = json.loads(run("report", "violations", "--format", "json"))
    digest = run("digest").strip()
    run("seal", "S-1", "--reason", "expungement order 2026/114")

    events = json.loads(run("timeline", "S-1", "--json"))
    assert events[0]["data"]["name"] == "[sealed]"
    assert events[1]["data"]["note"] == "[sealed]"
    assert events[2]["data"]["description"] == "[sealed]"
    assert events[-1]["type"] == "ClientSealed"
    assert json.loads(run("show", "S-1", "--json"))["sealed"] is True
    assert "Jane Doe" not in run("show", "S-1")
    assert json.loads(run("timeline", "S-2", "--json"))[0]["data"]["name"] == "John Roe"

    after = json.loads(run("report", "violations", "--format", "json"))
    assert after == before  # the sealing event counts for nothing, the client still counts
    assert run("verify", "--against", digest).startswith("verified")


def test_nothing_more_is_recorded_for_a_sealed_client(run, db_url: str) -> None:  # type: ignore[no-untyped-def]
    run("seal", "S-1", "--reason", "order")
    result = CliRunner().invoke(cli, ["--db", db_url, "--actor", "sup", "contact", "S-1"])
    assert result.exit_code == 3 and "is sealed" in result.stderr


def test_a_copy_keeps_what_the_original_can_read_and_what_it_cannot(run, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    run("seal", "S-1", "--reason", "order")
    exported = tmp_path / "ledger.jsonl"
    run("export", "-o", str(exported))
    copy = f"sqlite:///{tmp_path}/copy.db"
    assert (
        CliRunner()
        .invoke(cli, ["--db", copy, "import", str(exported), "--format", "jsonl"])
        .exit_code
        == 0
    )
    recopied = CliRunner().invoke(cli, ["--db", copy, "export"]).stdout_bytes
    assert recopied == exported.read_bytes()  # before any read: reads are logged

    def name(ref: str) -> str:
        result = CliRunner().invoke(cli, ["--db", copy, "timeline", ref, "--json"])
        return str(json.loads(result.stdout)[0]["data"]["name"])

    assert name("S-1") == "[sealed]"
    assert name("S-2") == "John Roe"
