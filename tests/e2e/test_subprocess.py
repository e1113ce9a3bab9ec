"""The installed `reentry-ledger` script, run as a user runs it: a shell session."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

SCRIPT = Path(sys.executable).parent / "reentry-ledger"

SESSION = r"""
set -u
reentry-ledger enroll GA-1 --agency GA --officer o-17 --supervision parole --start 2024-01-10 --condition report_weekly --condition drug_testing
reentry-ledger assess GA-1 --on 2024-01-15 --instrument ORAS --risk high --need substance_use --need school_work
R=$(reentry-ledger refer GA-1 --on 2024-01-20 --service housing)
V=$(reentry-ledger violation GA-1 --on 2024-03-01 --technical failure_to_report)
reentry-ledger respond GA-1 "$V" sanction --on 2024-03-05 --custody-days 3
reentry-ledger violation GA-1 --on 2024-06-01 --new-offence misdemeanor > /dev/null
reentry-ledger correct GA-1 6 --reason "entered on the wrong client"
reentry-ledger discharge GA-1 --on 2024-12-31 --outcome successful
echo "ids $R $V"
reentry-ledger violation GA-1 --on 2025-01-05 --technical curfew; echo "exit $?"
reentry-ledger assess GA-1 --on 2024-13-01 --instrument ORAS --risk high; echo "exit $?"
reentry-ledger show GA-404; echo "exit $?"
reentry-ledger timeline GA-1 --json > timeline.json
"""


@pytest.mark.skipif(not SCRIPT.exists(), reason=f"the console script is not installed ({SCRIPT})")
def test_the_acceptance_session_in_a_real_shell(db_url: str, tmp_path: Path) -> None:
    env = {
        **os.environ,
        "PATH": f"{SCRIPT.parent}{os.pathsep}{os.environ.get('PATH', '')}",
        "REENTRY_LEDGER_ACTOR": "jdoe",
        "REENTRY_LEDGER_DB": db_url,
    }
    done = subprocess.run(
        ["bash", "-c", SESSION], cwd=tmp_path, env=env, capture_output=True, text=True, timeout=120
    )
    lines = done.stdout.splitlines()
    assert "ids R1 V1" in lines
    assert lines[-3:] == ["exit 3", "exit 2", "exit 4"]
    assert "Traceback" not in done.stderr
    assert "Error: client 'GA-1' was discharged on 2024-12-31" in done.stderr
    events = json.loads((tmp_path / "timeline.json").read_text())
    assert [event["number"] for event in events] == list(range(1, 9))
    assert events[5]["retracted_by"] == 7


@pytest.mark.skipif(not SCRIPT.exists(), reason=f"the console script is not installed ({SCRIPT})")
def test_the_default_ledger_is_a_sqlite_file_in_the_current_folder(tmp_path: Path) -> None:
    env = {key: value for key, value in os.environ.items() if not key.startswith("REENTRY_")}
    enroll = [str(SCRIPT), "--actor", "jdoe", "enroll", "GA-1", "--agency", "GA",
              "--officer", "o-1", "--supervision", "probation", "--start", "2024-01-01"]  # fmt: skip
    subprocess.run(enroll, cwd=tmp_path, env=env, check=True, capture_output=True, timeout=60)
    assert (tmp_path / "reentry-ledger.db").exists()
