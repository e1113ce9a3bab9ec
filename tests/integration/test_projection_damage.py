"""Projections damaged behind the runner's back (rows edited or deleted by hand, a tracking
position moved past the head or rewound) are found, named, and fixed by a rebuild: never a
silent wrong report, a negative lag, or a driver's message."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from click.testing import CliRunner, Result

from reentry_ledger.application import Ledger
from reentry_ledger.cli import cli
from reentry_ledger.ingest.demo import build_demo
from reentry_ledger.projections.catalogue import PROJECTIONS
from reentry_ledger.projections.runner import ProjectionRunner
from reentry_ledger.projections.verify import SCRATCH, verify
from tests.builders import TODAY, execute, projection_contents

Run = Callable[..., Result]


@pytest.fixture
def built(db_url: str) -> Iterator[tuple[Ledger, Run]]:
    """A small demo ledger with every projection caught up, and a way to run the CLI on it."""
    ledger = Ledger(db_url, clock=lambda: TODAY)
    build_demo(ledger, clients=40, seed=3)
    ProjectionRunner(ledger, workers=0).catch_up()
    runner = CliRunner()

    def run(*args: str) -> Result:
        return runner.invoke(cli, ["--db", db_url, *args], catch_exceptions=False)

    yield ledger, run
    ledger.close()


def move_position(ledger: Ledger, name: str, to: int) -> None:
    store = ProjectionRunner(ledger, workers=0).store
    with store.transaction() as cursor:
        cursor.execute(
            store.sql(
                f"UPDATE {store.tracking_table} SET notification_id = ? WHERE application_name = ?"
            ),
            (to, name),
        )


def scratch_left(ledger: Ledger) -> list[Any]:
    store = ProjectionRunner(ledger, workers=0).store
    if store.postgres:
        statement = (
            "SELECT table_name FROM information_schema.tables WHERE table_name LIKE ? "
            "AND table_schema = current_schema()"
        )
    else:
        statement = "SELECT name FROM sqlite_master WHERE name LIKE ?"
    return store.rows(statement, (f"%{SCRATCH}%",))


def test_sound_projections_are_verified_and_no_scratch_tables_are_left(built: Any) -> None:
    ledger, run = built
    before = projection_contents(ledger)
    result = run("projections", "verify")
    assert result.exit_code == 0, result.output
    assert "projections verified" in result.output
    assert projection_contents(ledger) == before
    assert scratch_left(ledger) == []


def test_a_deleted_fact_row_is_found_by_projections_verify_and_named(built: Any) -> None:
    ledger, run = built
    execute(ledger, "DELETE FROM {audit_violations} WHERE number = 3", ["audit_violations"])
    execute(ledger, "DELETE FROM {audit_violations} WHERE client_id IN (SELECT client_id FROM "
            "{audit_violations} ORDER BY client_id LIMIT 1)", ["audit_violations"])  # fmt: skip
    assert ProjectionRunner(ledger, workers=0).status()[2].lag == 0  # status cannot see it

    result = run("projections", "verify")
    assert result.exit_code == 6, result.output
    assert "violations" in result.stderr and "audit_violations" in result.stderr
    assert "fix: reentry-ledger projections rebuild violations" in result.stderr
    assert "clients" not in result.stderr.replace("audit_violations", "")
    assert scratch_left(ledger) == []

    assert run("projections", "rebuild", "violations").exit_code == 0
    assert run("projections", "verify").exit_code == 0


def test_an_edited_fact_row_is_found_by_projections_verify_and_named(built: Any) -> None:
    ledger, run = built
    execute(ledger, "UPDATE {audit_clients} SET agency = 'XX' WHERE client_id IN (SELECT "
            "client_id FROM {audit_clients} ORDER BY client_id LIMIT 2)", ["audit_clients"])  # fmt: skip
    result = run("projections", "verify", "clients", "risk")
    assert result.exit_code == 6, result.output
    assert "projection clients is damaged" in result.stderr
    assert "fix: reentry-ledger projections rebuild clients" in result.stderr
    assert "risk" not in result.stderr
    assert run("projections", "rebuild", "clients").exit_code == 0
    assert run("projections", "verify").exit_code == 0


def test_a_tracking_position_past_the_head_is_reported_damaged_not_built(built: Any) -> None:
    ledger, run = built
    head = ProjectionRunner(ledger, workers=0).head()
    move_position(ledger, "risk", head + 500)

    table = run("projections", "status")
    assert table.exit_code == 0, table.output
    line = next(row for row in table.stdout.splitlines() if row.startswith("risk "))
    assert f"damaged (position {head + 500} past the head {head}): rebuild risk" in line
    assert "-500" not in line and " built" not in line
    rows = {row["name"]: row for row in json.loads(run("projections", "status", "--json").stdout)}
    assert rows["risk"]["lag"] is None and rows["risk"]["state"].startswith("damaged")
    assert rows["clients"]["state"] == "built"

    verified = run("projections", "verify")
    assert verified.exit_code == 6
    assert "fix: reentry-ledger projections rebuild risk" in verified.stderr
    report = run("report", "violations", "--by", "risk")
    assert report.exit_code == 6
    assert "projection risk is damaged" in report.stderr
    assert "reentry-ledger projections rebuild risk" in report.stderr

    assert run("projections", "rebuild", "risk").exit_code == 0
    assert run("report", "violations", "--by", "risk").exit_code == 0


def test_a_rewound_tracking_position_does_not_break_reports(built: Any) -> None:
    ledger, run = built
    move_position(ledger, "violations", 1)
    report = run("report", "violations", "--format", "json")
    assert report.exit_code == 6, report.output
    assert report.stderr.startswith("Error: projection violations is damaged")
    assert "run `reentry-ledger projections rebuild violations`" in report.stderr
    assert "UNIQUE" not in report.stderr and "unique" not in report.stderr
    assert "Traceback" not in report.output
    assert run("projections", "verify").exit_code == 6

    assert run("projections", "rebuild", "violations").exit_code == 0
    assert run("report", "violations", "--format", "json").exit_code == 0
    assert run("projections", "verify").exit_code == 0


def test_projections_verify_names_an_unknown_projection_and_writes_nothing(built: Any) -> None:
    ledger, run = built
    result = run("projections", "verify", "nonesuch")
    assert result.exit_code == 2
    assert "no projection named 'nonesuch'" in result.stderr
    assert scratch_left(ledger) == []


@pytest.mark.parametrize("staged", [False, True], ids=["paged in", "staged build"])
def test_verify_builds_its_scratch_copy_in_workers_and_by_staging_alike(
    built: Any, staged: bool, monkeypatch: pytest.MonkeyPatch
) -> None:
    ledger, _ = built
    monkeypatch.setattr("reentry_ledger.projections.runner.CHUNK", 100)
    runner = ProjectionRunner(ledger, page_size=300, workers=2, stage_from=1 if staged else 10**9)
    assert verify(runner) == []
    execute(ledger, "UPDATE {audit_matches} SET ending = 'x' WHERE number IN (SELECT MIN(number) "
            "FROM {audit_matches})", ["audit_matches"])  # fmt: skip
    found = verify(runner)
    assert [f.name for f in found] == ["volunteers"]
    assert scratch_left(ledger) == []
    assert {p.name for p in PROJECTIONS} >= {f.name for f in found}


def test_a_projection_never_built_is_reported_not_built(db_url: str) -> None:
    """`projections status` called a projection that had taken in no event of a ledger that
    holds some `built` (position 0, its whole log to go): an operator read it as ready."""
    ledger = Ledger(db_url, clock=lambda: TODAY)
    try:
        build_demo(ledger, clients=5, seed=3)
        run = CliRunner().invoke
        rows = json.loads(run(cli, ["--db", db_url, "projections", "status", "--json"]).stdout)
        assert {row["state"] for row in rows} == {"not built: the next catch-up builds it"}
        table = run(cli, ["--db", db_url, "projections", "status"]).stdout
        assert " built " not in table and table.count("not built") == len(PROJECTIONS)
        ProjectionRunner(ledger, workers=0).catch_up()
        rows = json.loads(run(cli, ["--db", db_url, "projections", "status", "--json"]).stdout)
        assert {row["state"] for row in rows} == {"built"}
    finally:
        ledger.close()
