"""Key custody: no role takes out, by any command, what decrypts what it may not read. An
auditor's export carries no client keys; a backup is the custodian's, its keys wrapped under a
key the custodian holds; whole-ledger reads are in the access log."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import orjson
import pytest
from click.testing import CliRunner, Result

from reentry_ledger.cli import cli

Run = Callable[..., Result]
NOTE = "talked about the family court"


@pytest.fixture
def staffed(db_url: str) -> Run:
    runner = CliRunner()

    def invoke(actor: str, *args: str, db: str = db_url) -> Result:
        return runner.invoke(cli, ["--db", db, "--actor", actor, *args], catch_exceptions=False)

    for name, role, agency in (("aud", "auditor", None), ("sup", "supervisor", "GA"),
                               ("cust", "custodian", None), ("ov", "oversight", None)):  # fmt: skip
        add = ["users", "add", name, "--role", role] + (["--agency", agency] if agency else [])
        assert invoke("aud", *add).exit_code == 0
    enroll = ["enroll", "GA-1", "--agency", "GA", "--officer", "o", "--supervision", "parole",
              "--start", "2024-01-01", "--name", "Ada Lovelace"]  # fmt: skip
    assert invoke("sup", *enroll).exit_code == 0
    assert invoke("sup", "contact", "GA-1", "--on", "2024-01-15", "--note", NOTE).exit_code == 0
    return invoke


def key_file(folder: Path, name: str = "backup.key") -> Path:
    path = folder / name
    path.write_text(CliRunner().invoke(cli, ["key", "new"]).stdout)
    return path


def lines(result: Result) -> list[dict]:
    assert result.exit_code == 0, result.output
    return [orjson.loads(line) for line in result.stdout_bytes.splitlines()]


def test_an_auditors_export_carries_no_client_keys(staffed: Run) -> None:
    exported = lines(staffed("aud", "export"))
    assert not [line for line in exported if "client_key" in line]
    assert exported[-1]["closing"]["key_custody"] == "none"


def test_an_auditor_cannot_take_a_backup_with_keys(staffed: Run, tmp_path: Path) -> None:
    refused = staffed("aud", "export", "--with-keys", "--wrap-key-file", str(key_file(tmp_path)))
    assert refused.exit_code == 3 and "back up the ledger" in refused.stderr
    assert refused.stdout == ""


def test_a_custodian_reads_no_client_and_backs_up_only_wrapped(
    staffed: Run, tmp_path: Path
) -> None:
    assert staffed("cust", "show", "GA-1").exit_code == 3
    assert staffed("cust", "export").exit_code == 3  # not an auditor's export either
    unwrapped = staffed("cust", "export", "--with-keys")
    assert unwrapped.exit_code == 2 and "--wrap-key-file" in unwrapped.stderr
    backup = lines(staffed("cust", "export", "--with-keys", "--wrap-key-file",
                           str(key_file(tmp_path))))  # fmt: skip
    keys = [line for line in backup if "client_key" in line]
    assert keys and all("wrapped_key" in key and "key" not in key for key in keys)


def test_a_backup_restores_whole_with_its_wrap_key_and_not_without(
    staffed: Run, tmp_path: Path
) -> None:
    wrap = key_file(tmp_path)
    backup = tmp_path / "backup.jsonl"
    made = staffed("cust", "export", "--with-keys", "--wrap-key-file", str(wrap), "-o", str(backup))
    assert made.exit_code == 0, made.output
    copy = f"sqlite:///{tmp_path}/copy.db"
    restore = ["import", str(backup), "--format", "jsonl"]
    without = staffed("anyone", *restore, db=copy)
    assert without.exit_code == 2 and "wrapped" in without.stderr
    wrong = staffed(
        "anyone", *restore, "--wrap-key-file", str(key_file(tmp_path, "o.key")), db=copy
    )
    assert wrong.exit_code == 2 and "not the one" in wrong.stderr
    assert staffed("anyone", *restore, "--wrap-key-file", str(wrap), db=copy).exit_code == 0
    shown = json.loads(staffed("sup", "show", "GA-1", "--json", db=copy).stdout)
    assert shown["name"] == "Ada Lovelace"


def test_an_auditors_export_restores_nothing(staffed: Run, tmp_path: Path) -> None:
    exported = tmp_path / "audit.jsonl"
    assert staffed("aud", "export", "-o", str(exported)).exit_code == 0
    copy = f"sqlite:///{tmp_path}/copy.db"
    refused = staffed("anyone", "import", str(exported), "--format", "jsonl", db=copy)
    assert refused.exit_code == 2 and "carries no client keys" in refused.stderr


def test_whole_ledger_reads_are_in_the_access_log(staffed: Run, tmp_path: Path) -> None:
    staffed("sup", "replay")
    staffed("aud", "export")
    staffed("ov", "export", "--deidentified")
    staffed("cust", "export", "--with-keys", "--wrap-key-file", str(key_file(tmp_path)))
    log = json.loads(staffed("aud", "access-log", "--client", "GA-1", "--json").stdout)
    assert [(read["actor"], read["view"], read["client"]) for read in log] == [
        ("sup", "replay", "(whole ledger)"),
        ("aud", "export", "(whole ledger)"),
        ("ov", "export --deidentified (k=5)", "(whole ledger)"),
        ("cust", "export with keys", "(whole ledger)"),
    ]


def test_verify_warns_when_a_ledger_with_users_has_no_ledger_key(staffed: Run) -> None:
    verified = staffed("aud", "verify")
    assert verified.exit_code == 0
    assert "no ledger key" in verified.stderr and "plaintext" in verified.stderr
