"""What `export -o` and `report violations --chart` write: a whole file or none, and never
over the ledger they read (its database file, or the SQLite files beside it)."""

from __future__ import annotations

import errno
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import BinaryIO

import pytest
from click.testing import CliRunner

from reentry_ledger.application import Ledger
from reentry_ledger.cli import cli
from reentry_ledger.cli.files import write_whole
from reentry_ledger.domain.errors import LedgerError
from reentry_ledger.ingest.demo import build_demo
from reentry_ledger.reports import chart
from tests.builders import TODAY

SCRIPT = Path(sys.executable).parent / "reentry-ledger"


@pytest.fixture
def sqlite_ledger(tmp_path: Path) -> Path:
    """A small demo ledger on SQLite, closed again; its database file."""
    path = tmp_path / "ledger.db"
    ledger = Ledger(f"sqlite:///{path}", clock=lambda: TODAY)
    build_demo(ledger, clients=20, seed=4)
    ledger.close()
    return path


def aimed_at(database: Path, how: str) -> Path:
    """An output path that is the ledger's database (or a file beside it), reached `how`."""
    if how == "the file itself":
        return database
    if how == "another spelling of it":
        return database.parent / "." / ".." / database.parent.name / database.name
    if how == "a symlink to it":
        link = database.parent / "out.jsonl"
        link.symlink_to(database)
        return link
    if how == "a hard link to it":
        link = database.parent / "out.jsonl"
        os.link(database, link)
        return link
    sidecar = Path(f"{database}{how.removeprefix('its ')}")
    sidecar.touch(exist_ok=True)
    return sidecar


WAYS = [
    "the file itself",
    "another spelling of it",
    "a symlink to it",
    "a hard link to it",
    "its -wal",
    "its -shm",
    "its -journal",
]


def contents(folder: Path) -> dict[str, bytes]:
    return {path.name: path.read_bytes() for path in folder.iterdir() if path.is_file()}


@pytest.mark.parametrize("how", WAYS)
def test_an_export_never_writes_over_its_own_ledger(sqlite_ledger: Path, how: str) -> None:
    target = aimed_at(sqlite_ledger, how)
    before = contents(sqlite_ledger.parent)
    result = CliRunner().invoke(
        cli, ["--db", f"sqlite:///{sqlite_ledger}", "export", "-o", str(target)]
    )
    assert result.exit_code == 2, result.output
    assert f"-o {str(target)!r} is the ledger's own database" in result.stderr
    assert "Traceback" not in result.output
    assert contents(sqlite_ledger.parent) == before
    verified = CliRunner().invoke(cli, ["--db", f"sqlite:///{sqlite_ledger}", "verify"])
    assert verified.exit_code == 0, verified.output


@pytest.mark.parametrize("how", ["a symlink to it", "a hard link to it"])
def test_a_chart_never_writes_over_its_own_ledger(sqlite_ledger: Path, how: str) -> None:
    target = aimed_at(sqlite_ledger, how).rename(sqlite_ledger.parent / "rates.png")
    before = contents(sqlite_ledger.parent)
    result = CliRunner().invoke(
        cli,
        ["--db", f"sqlite:///{sqlite_ledger}", "report", "violations", "--chart", str(target)],
    )
    assert result.exit_code == 2, result.output
    assert f"--chart {str(target)!r} is the ledger's own database" in result.stderr
    assert contents(sqlite_ledger.parent) == before


def test_a_chart_that_fails_part_way_leaves_no_file(
    sqlite_ledger: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    target = sqlite_ledger.parent / "rates.png"
    target.write_bytes(b"the chart from before")

    def fail_part_way(rows, dimensions, stream, kind):  # type: ignore[no-untyped-def]
        stream.write(b"\x89PNG half a chart")
        raise OSError("disk full")

    monkeypatch.setattr(chart, "draw", fail_part_way)
    result = CliRunner().invoke(
        cli,
        ["--db", f"sqlite:///{sqlite_ledger}", "report", "violations", "--chart", str(target)],
    )
    assert result.exit_code == 1, result.output
    assert target.read_bytes() == b"the chart from before"
    assert "disk full" in result.stderr
    assert not temporary_files(sqlite_ledger.parent, target.name)


def test_a_chart_is_written_whole_under_its_name(sqlite_ledger: Path) -> None:
    target = sqlite_ledger.parent / "rates.svg"
    result = CliRunner().invoke(
        cli,
        ["--db", f"sqlite:///{sqlite_ledger}", "report", "violations", "--chart", str(target)],
    )
    assert result.exit_code == 0, result.output
    assert target.read_bytes().lstrip().startswith(b"<?xml")
    assert not [path for path in sqlite_ledger.parent.iterdir() if path.name.startswith(".")]


def test_a_chart_is_readable_as_the_umask_allows_and_an_export_by_its_owner_only(
    sqlite_ledger: Path,
) -> None:
    """A chart holds aggregates: made as any file is (0666 less the umask; it had been 0600,
    the temporary file's mode). An export holds every client's events: its owner's only."""
    chart_file, exported = sqlite_ledger.parent / "rates.svg", sqlite_ledger.parent / "all.jsonl"
    before = os.umask(0o022)
    try:
        for args in (["report", "violations", "--chart", str(chart_file)],
                     ["export", "-o", str(exported)]):  # fmt: skip
            result = CliRunner().invoke(cli, ["--db", f"sqlite:///{sqlite_ledger}", *args])
            assert result.exit_code == 0, result.output
    finally:
        os.umask(before)
    assert chart_file.stat().st_mode & 0o777 == 0o644
    assert exported.stat().st_mode & 0o777 == 0o600


def temporary_files(folder: Path, name: str) -> list[Path]:
    return [path for path in folder.iterdir() if path.name.startswith(f".{name}.")]


@pytest.mark.skipif(not SCRIPT.exists(), reason=f"the console script is not installed ({SCRIPT})")
def test_an_export_stopped_by_sigterm_leaves_no_file(tmp_path: Path) -> None:
    database = tmp_path / "ledger.db"
    ledger = Ledger(f"sqlite:///{database}", clock=lambda: TODAY)
    build_demo(ledger, clients=3000, seed=6)  # some seconds to export
    ledger.close()
    target = tmp_path / "out.jsonl"
    process = subprocess.Popen(
        [str(SCRIPT), "--db", f"sqlite:///{database}", "export", "-o", str(target)],
        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
    )  # fmt: skip
    while not temporary_files(tmp_path, target.name) and process.poll() is None:
        time.sleep(0.005)
    process.send_signal(signal.SIGTERM)
    _, stderr = process.communicate(timeout=60)
    assert process.returncode not in (0, None), "the export finished before it was stopped"
    assert process.returncode == 128 + signal.SIGTERM, stderr
    assert b"Traceback" not in stderr
    assert b"stopped" in stderr
    assert not target.exists()
    assert not temporary_files(tmp_path, target.name)


def test_a_sqlite_uri_cannot_hide_the_ledger_from_the_check(sqlite_ledger: Path) -> None:
    before = sqlite_ledger.read_bytes()
    uri = f"sqlite:///file:{sqlite_ledger}"
    result = CliRunner().invoke(cli, ["--db", uri, "export", "-o", str(sqlite_ledger)])
    assert result.exit_code == 2 and "give the file's path" in result.stderr
    assert sqlite_ledger.read_bytes() == before


def test_an_export_never_writes_over_the_ledgers_key_file(tmp_path: Path) -> None:
    key_file = tmp_path / "ledger.key"
    key_file.write_text(CliRunner().invoke(cli, ["key", "new"]).stdout)
    env = {"REENTRY_LEDGER_KEY_FILE": str(key_file), "REENTRY_LEDGER_KEY": None}
    db = ["--db", f"sqlite:///{tmp_path}/ledger.db", "--actor", "aud"]
    enroll = ["enroll", "GA-1", "--agency", "GA", "--officer", "o", "--supervision", "parole"]
    assert CliRunner().invoke(cli, [*db, *enroll], env=env).exit_code == 0
    key = key_file.read_bytes()
    result = CliRunner().invoke(cli, [*db, "export", "-o", str(key_file)], env=env)
    assert result.exit_code == 2 and "the ledger's own key file" in result.stderr
    assert key_file.read_bytes() == key


def test_a_chart_of_more_groups_than_one_draws_is_refused_before_anything_is_written(
    sqlite_ledger: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A chart draws a row per group: by officer and month at a million events, 11,000 rows
    took 69 s to draw (and 29 MB). Past `MOST_GROUPS` it is refused, saying how many there
    are, before the report is printed or the chart file touched."""
    monkeypatch.setattr(chart, "MOST_GROUPS", 3)
    target = sqlite_ledger.parent / "rates.svg"
    target.write_bytes(b"the chart from before")
    result = CliRunner().invoke(
        cli,
        ["--db", f"sqlite:///{sqlite_ledger}", "report", "violations", "--by", "agency,risk",
         "--chart", str(target)],
    )  # fmt: skip
    assert result.exit_code == 2, result.output
    assert "--chart draws at most 3 groups" in result.stderr
    assert "Traceback" not in result.output
    assert result.stdout == ""
    assert target.read_bytes() == b"the chart from before"
    ungrouped = CliRunner().invoke(
        cli, ["--db", f"sqlite:///{sqlite_ledger}", "report", "violations", "--chart", str(target)]
    )
    assert ungrouped.exit_code == 0, ungrouped.output  # one group: drawn
    assert target.read_bytes().lstrip().startswith(b"<?xml")


def test_an_export_to_a_folder_is_refused_before_anything_is_read(sqlite_ledger: Path) -> None:
    """It read the whole ledger, then failed with exit 1, "the database could not be used:
    [Errno 21] Is a directory" (found by an operator's probe)."""
    folder = sqlite_ledger.parent / "exports"
    folder.mkdir()
    result = CliRunner().invoke(
        cli, ["--db", f"sqlite:///{sqlite_ledger}", "export", "-o", str(folder)]
    )
    assert result.exit_code == 2, result.output
    assert f"-o {str(folder)!r} is a folder: give a file's name" in result.stderr
    assert list(folder.iterdir()) == [] and not list(sqlite_ledger.parent.glob(".exports.*"))


def test_an_export_where_no_file_may_be_made_names_the_file_not_the_database(
    sqlite_ledger: Path,
) -> None:
    """/proc takes no new files: the message named the database ("the database could not be
    used: [Errno 2] ...") and a temporary name the user never gave."""
    result = CliRunner().invoke(
        cli, ["--db", f"sqlite:///{sqlite_ledger}", "export", "-o", "/proc/ledger.jsonl"]
    )
    assert result.exit_code == 2, result.output
    assert "-o '/proc/ledger.jsonl': cannot write in its folder" in result.stderr
    assert "database" not in result.stderr


def test_a_file_that_fails_part_way_is_named_and_nothing_is_left(tmp_path: Path) -> None:
    """A disk that fills as the file is written: the target named, the part written removed,
    the file that was there before kept."""
    target = tmp_path / "report.svg"
    target.write_text("before")

    def fill(stream: BinaryIO) -> None:
        stream.write(b"<svg")
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    with pytest.raises(LedgerError) as refused:
        write_whole(target, fill, option="--chart")
    assert str(refused.value) == (
        f"--chart {str(target)!r} could not be written (No space left on device): "
        "nothing was written"
    )
    assert list(tmp_path.iterdir()) == [target] and target.read_text() == "before"


@pytest.mark.parametrize("suffix", ["", "-wal", "-shm", "-journal"])
def test_no_output_writes_over_the_ledgers_access_log(sqlite_ledger: Path, suffix: str) -> None:
    """`report progress REF -o ledger.db.access-log`, which anyone who may read a client may
    ask, replaced the access log with the report: every read logged was gone, and every
    later read failed on a file that is not a database."""
    url = f"sqlite:///{sqlite_ledger}"
    read = CliRunner().invoke(cli, ["--db", url, "--actor", "cw", "timeline", "DEMO-0000001"])
    assert read.exit_code == 0, read.output
    target = Path(f"{sqlite_ledger}.access-log{suffix}")
    target.touch(exist_ok=True)
    before = contents(sqlite_ledger.parent)
    for command in (["report", "progress", "DEMO-0000001"], ["export"]):
        result = CliRunner().invoke(
            cli, ["--db", url, "--actor", "cw", *command, "-o", str(target)]
        )
        assert result.exit_code == 2, result.output
        assert f"-o {str(target)!r} is the ledger's own access log file" in result.stderr
        assert contents(sqlite_ledger.parent) == before
    verified = CliRunner().invoke(cli, ["--db", url, "verify"])
    assert verified.exit_code == 0, verified.output
    listed = CliRunner().invoke(cli, ["--db", url, "--actor", "aud", "access-log", "--json"])
    assert [read["view"] for read in json.loads(listed.stdout)] == ["timeline"]
