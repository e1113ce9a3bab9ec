"""Projection runners as separate processes against one database: they share the work, and
every event counts once, exactly as a single rebuild counts it."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from reentry_ledger.application import Ledger
from reentry_ledger.ingest.demo import build_demo
from reentry_ledger.projections.runner import ProjectionRunner
from tests.builders import TODAY, projection_contents

SCRIPT = Path(sys.executable).parent / "reentry-ledger"


@pytest.mark.slow
@pytest.mark.skipif(not SCRIPT.exists(), reason=f"the console script is not installed ({SCRIPT})")
def test_runners_in_separate_processes_apply_each_event_once(db_url: str) -> None:
    ledger = Ledger(db_url, clock=lambda: TODAY)
    build_demo(ledger, clients=600, seed=11)
    ProjectionRunner(ledger)  # the tables exist before the runners race for them
    env = {**os.environ, "REENTRY_LEDGER_DB": db_url}
    command = [str(SCRIPT), "projections", "catch-up", "--page-size", "50"]
    runners = [
        subprocess.Popen(
            command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True
        )
        for _ in range(3)
    ]
    outputs = [runner.communicate(timeout=300)[1] for runner in runners]
    assert [runner.returncode for runner in runners] == [0, 0, 0], outputs
    applied = [int(re.search(r"applied (\d+) events", out).group(1)) for out in outputs]  # type: ignore[union-attr]
    shared = projection_contents(ledger)
    assert all(p.lag == 0 for p in ProjectionRunner(ledger).status())

    alone = ProjectionRunner(ledger).rebuild()
    assert projection_contents(ledger) == shared, (
        "the runners together must build what one rebuild builds"
    )
    assert sum(applied) >= alone, "every page was read by one runner or another"
    ledger.close()


@pytest.mark.skipif(not SCRIPT.exists(), reason=f"the console script is not installed ({SCRIPT})")
def test_a_following_worker_keeps_up_and_stops_cleanly_when_told(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path}/ledger.db"
    ledger = Ledger(url, clock=lambda: TODAY)
    build_demo(ledger, clients=20, seed=2)
    worker = subprocess.Popen(
        [str(SCRIPT), "--db", url, "projections", "catch-up", "--follow", "0.2"],
        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    try:
        deadline = time.monotonic() + 30
        while any(s.lag for s in ProjectionRunner(ledger).status()):
            assert time.monotonic() < deadline, "the worker did not catch up"
            time.sleep(0.2)
        ledger.enroll("GA-late", actor="t", start=TODAY, agency="GA", officer="o-1",
                      supervision="probation")  # fmt: skip
        while any(s.lag for s in ProjectionRunner(ledger).status()):
            assert time.monotonic() < deadline, "the worker did not take the new event"
            time.sleep(0.2)
    finally:
        worker.send_signal(signal.SIGTERM)
        _, errors = worker.communicate(timeout=30)
    assert worker.returncode == 0, errors
    assert "stopped" in errors
    ledger.close()
