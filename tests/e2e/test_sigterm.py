"""SIGTERM (a service manager's stop, `kill`) to any command ends it as Ctrl-C does, wound
down (rolled back, or kept whole where work is kept page by page), with one line and exit
143, as the CLI's help says. `projections rebuild`, `replay`, `verify` and `projections
verify` were killed outright by it, saying nothing (found by a new user's probe,
2026-12-07); `demo`, `import` and `export` said so already (tests/e2e/test_new_ledger_left_
unmade.py, test_output_files.py)."""

from __future__ import annotations

import signal
import subprocess
import sys
from pathlib import Path

from click.testing import CliRunner

from reentry_ledger.cli import cli

# the command's work held up where it has begun, so that the signal comes while it runs
HELD = """
import sys, time
from reentry_ledger.application.operations import Operations

def held(self, *args, **kwargs):
    print("begun", file=sys.stderr, flush=True)
    time.sleep(60)

Operations.replay = held
from reentry_ledger.cli import main
sys.argv = ["reentry-ledger", "--db", sys.argv[1], "--actor", "jdoe", "replay"]
main()
"""


def test_sigterm_during_a_command_ends_it_with_one_line_and_exit_143(tmp_path: Path) -> None:
    db, source = f"sqlite:///{tmp_path}/ledger.db", Path(__file__).parents[2] / "src"
    enroll = ["enroll", "GA-1", "--agency", "GA", "--officer", "o", "--supervision", "parole"]
    assert CliRunner().invoke(cli, ["--db", db, "--actor", "jdoe", *enroll]).exit_code == 0
    process = subprocess.Popen(
        [sys.executable, "-c", HELD, db],
        env={"PYTHONPATH": str(source), "PATH": "/usr/bin:/bin"},
        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
    )  # fmt: skip
    assert process.stderr is not None
    assert process.stderr.readline() == b"begun\n"
    process.send_signal(signal.SIGTERM)
    _, errors = process.communicate(timeout=30)
    assert process.returncode == 128 + signal.SIGTERM, errors
    assert errors == b"Error: stopped by SIGTERM.\n"
