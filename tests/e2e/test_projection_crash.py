"""A catch-up killed part-way (SIGKILL, a real subprocess) and run again ends with exactly the
numbers, and the rows, of a clean rebuild."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from datetime import date, timedelta
from pathlib import Path

import pytest

from reentry_ledger.application import Ledger
from reentry_ledger.projections.catalogue import PROJECTIONS
from reentry_ledger.projections.runner import ProjectionRunner
from reentry_ledger.reports.service import Reports
from reentry_ledger.reports.violations import ReportRequest
from tests.builders import TODAY

SCRIPT = Path(sys.executable).parent / "reentry-ledger"
CLIENTS = 150


def populate(ledger: Ledger) -> None:
    for n in range(CLIENTS):
        ref = f"GA-{n:04d}"
        start = date(2024, 1, 1) + timedelta(days=n % 90)
        ledger.enroll(
            ref,
            actor="t",
            start=start,
            agency=f"A{n % 3}",
            officer=f"o{n % 7}",
            supervision="parole",
        )
        ledger.assess(
            ref,
            actor="t",
            on=start + timedelta(days=5),
            instrument="ORAS",
            risk_level=["low", "high"][n % 2],
        )
        violation = ledger.record_violation(
            ref,
            actor="t",
            on=start + timedelta(days=40),
            technical=("curfew",),
            new_offence="felony" if n % 5 == 0 else None,
        )
        ledger.respond_to_violation(  # a court's decision: it ends the term
            ref,
            violation.new_id or "",
            "revocation",
            actor="t",
            on=start + timedelta(days=45),
            decided_by="court",
        )
        if n % 4 == 0:  # a reinstatement, then the violation retracted too
            ledger.correct(ref, 4, actor="t", reason="overturned")
            ledger.correct(ref, 3, actor="t", reason="mistake")


def all_rows(runner: ProjectionRunner) -> dict[str, list[tuple]]:
    return {
        table: sorted(runner.store.rows(f"SELECT * FROM {{{table}}}", tables=[table]))
        for projection in PROJECTIONS
        for table in projection.tables
    }


@pytest.mark.skipif(not SCRIPT.exists(), reason=f"the console script is not installed ({SCRIPT})")
def test_a_killed_catch_up_resumes_to_the_numbers_of_a_clean_rebuild(db_url: str) -> None:
    ledger = Ledger(db_url, clock=lambda: TODAY)
    populate(ledger)
    runner = ProjectionRunner(ledger)
    head = runner.head()

    env = {**os.environ, "REENTRY_LEDGER_DB": db_url}
    command = [str(SCRIPT), "projections", "catch-up", "--page-size", "1"]
    process = subprocess.Popen(
        command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    deadline = time.monotonic() + 60
    try:
        while time.monotonic() < deadline:
            positions = [s.position for s in runner.status()]
            if positions[0] >= head // 4:
                break
            time.sleep(0.02)
    finally:
        process.kill()
        process.wait(timeout=30)
    interrupted = [s.lag for s in runner.status()]
    assert any(lag > 0 for lag in interrupted), "the catch-up finished before it could be killed"

    resumed = subprocess.run([*command[:3]], env=env, capture_output=True, text=True, timeout=300)
    assert resumed.returncode == 0, resumed.stderr
    assert all(s.lag == 0 for s in runner.status())

    request = ReportRequest(today=TODAY, by=("agency", "risk"), period="quarter")
    after_crash = Reports(ledger).violations(request)
    rows_after_crash = all_rows(runner)
    runner.rebuild()
    assert Reports(ledger).violations(request) == after_crash
    assert all_rows(runner) == rows_after_crash
    assert (
        sum(g["technical_violations"] + g["new_offences"] for g in after_crash["groups"])
        == CLIENTS - (CLIENTS + 3) // 4
    )
    ledger.close()
