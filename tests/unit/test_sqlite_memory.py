"""The command runs SQLite without its memory statistics (ADR 0031): each check runs in a
process of its own, as the command does it before any connection is open."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from reentry_ledger.cli.serve import SETTINGS_ENV_VAR

# SQLite's memory in use, as its statistics count it, after some work on a connection
MEMORY_USED = """
import ctypes, importlib.util, sqlite3
{before}
connection = sqlite3.connect(":memory:")
connection.execute("CREATE TABLE t (x)")
connection.executemany("INSERT INTO t VALUES (?)", [(str(n) * 20,) for n in range(1000)])
connection.execute("SELECT x FROM t ORDER BY x").fetchall()
library = ctypes.CDLL(importlib.util.find_spec("_sqlite3").origin)
library.sqlite3_memory_used.restype = ctypes.c_int64
print(library.sqlite3_memory_used())
"""
TURNED_OFF = """
from reentry_ledger.sqlite_memory import without_memory_statistics
assert without_memory_statistics()
"""


def memory_used(before: str) -> int:
    found = subprocess.run(
        [sys.executable, "-c", MEMORY_USED.format(before=before)],
        capture_output=True, text=True, check=True,
    )  # fmt: skip
    return int(found.stdout)


def test_sqlite_counts_no_memory_once_the_statistics_are_off() -> None:
    assert statistics_kept()
    assert memory_used(TURNED_OFF) == 0


def statistics_kept() -> bool:
    """Does this Python's SQLite count its memory, to be turned off? (Skips, with the reason,
    where it does not: outside CI only.)"""
    if memory_used("") == 0:  # nothing to turn off: a SQLite built without the statistics
        problem = "this Python's SQLite was built without memory statistics"
        if os.environ.get("CI") == "true":
            pytest.fail(f"CI=true requires SQLite's memory statistics to turn off: {problem}")
        pytest.skip(reason=problem)
    return True


def test_a_server_worker_process_runs_without_the_statistics(tmp_path: Path) -> None:
    # `serve --workers N` starts each worker as a process of its own, from the app factory,
    # not through the command's entry point: the factory turns them off before its ledger opens
    assert statistics_kept()
    settings = {"db": f"sqlite:///{tmp_path / 'ledger.db'}", "session_minutes": 30,
                "proxy_user_header": None, "trusted_proxies": [], "secure_cookies": False}  # fmt: skip
    before = (
        "import json, os\n"
        f"os.environ[{SETTINGS_ENV_VAR!r}] = {json.dumps(settings)!r}\n"
        "from reentry_ledger.server.app import from_environment\n"
        "from_environment()\n"
    )
    assert memory_used(before) == 0


def test_turning_the_statistics_off_twice_shuts_sqlite_down_once() -> None:
    # SQLite may only be shut down with no connection open: once asked (the command's entry
    # point; then, under `serve --workers 1`, the app factory in the same process, with
    # connections opened in between), asking again returns the first answer and leaves
    # SQLite running
    script = (
        "from unittest import mock\n"
        "from reentry_ledger.sqlite_memory import without_memory_statistics\n"
        "with mock.patch('ctypes.CDLL') as library:\n"
        "    library.return_value.sqlite3_shutdown.return_value = 0\n"
        "    library.return_value.sqlite3_config.return_value = 0\n"
        "    library.return_value.sqlite3_initialize.return_value = 0\n"
        "    answers = [without_memory_statistics(), without_memory_statistics()]\n"
        "print(*answers, library.return_value.sqlite3_shutdown.call_count)\n"
    )
    found = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True)
    assert found.stdout.split() == ["True", "True", "1"], found.stderr


def test_the_command_turns_the_statistics_off_before_it_runs() -> None:
    # the entry point turns them off before click reads the arguments: a command that ends
    # at once (`--version`) has already done it
    script = (
        "import sys\n"
        "from unittest import mock\n"
        "import reentry_ledger.cli as cli\n"
        "calls = []\n"
        "with mock.patch.object(cli, 'without_memory_statistics', lambda: calls.append(1)):\n"
        "    sys.argv = ['reentry-ledger', '--version']\n"
        "    try:\n"
        "        cli.main()\n"
        "    except SystemExit:\n"
        "        pass\n"
        "print(len(calls))\n"
    )
    found = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True)
    assert found.stdout.strip().splitlines()[-1] == "1"
