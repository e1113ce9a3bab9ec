"""A legacy file's rows may list clients in any order, each client's rows in the order they
happened: however the clients are interleaved (an export by date, by client, or any other),
the import records the same events. The import reads the file client by client (so that a
file of millions of rows is held one client at a time), and this pins that it changes
nothing a user sees."""

from __future__ import annotations

import itertools
import json
from pathlib import Path

from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from reentry_ledger.cli import cli

EXAMPLES = Path(__file__).resolve().parents[2] / "examples" / "legacy"
MAPPING = EXAMPLES / "mapping.toml"
HEADER, *EXAMPLE = (EXAMPLES / "records.csv").read_text(encoding="utf-8").splitlines()
# Three clients: the example's two, and a third with the first's history under its own
# reference (its own agency ids, B-17, are its own: ids are per client).
ROWS = [*EXAMPLE, *(row.replace("NW-0101", "NW-0103") for row in EXAMPLE if "NW-0101" in row)]
CLIENTS = sorted({row.split(",")[0] for row in ROWS})
BY_CLIENT = {ref: [row for row in ROWS if row.startswith(ref + ",")] for ref in CLIENTS}
made = itertools.count()


def imported(folder: Path, rows: list[str]) -> dict[str, object]:
    """Each client's timeline (less when it was recorded) and the violation report, of a new
    ledger that imported `rows`."""
    runner = CliRunner()
    env = {"REENTRY_LEDGER_DB": f"sqlite:///{folder}/order-{next(made)}.db",
           "REENTRY_LEDGER_ACTOR": "migrator"}  # fmt: skip
    source = folder / f"records-{next(made)}.csv"
    source.write_text("\n".join([HEADER, *rows]) + "\n", encoding="utf-8")
    result = runner.invoke(
        cli, ["import", str(source), "--format", "csv", "--mapping", str(MAPPING)], env=env
    )
    assert result.exit_code == 0, result.output
    seen: dict[str, object] = {}
    for ref in CLIENTS:
        timeline = json.loads(runner.invoke(cli, ["timeline", ref, "--json"], env=env).stdout)
        seen[ref] = [{k: v for k, v in event.items() if k != "recorded_at"} for event in timeline]
    report = runner.invoke(cli, ["report", "violations", "--format", "json"], env=env)
    seen["report"] = json.loads(report.stdout)["groups"]
    return seen


@st.composite
def interleavings(draw: st.DrawFn) -> list[str]:
    """The rows with the clients interleaved at random, each client's rows in their order."""
    turns = draw(st.permutations([ref for ref in CLIENTS for _ in BY_CLIENT[ref]]))
    queues = {ref: iter(rows) for ref, rows in BY_CLIENT.items()}
    return [next(queues[ref]) for ref in turns]


def test_rows_by_client_and_by_date_import_the_same_events(tmp_path: Path) -> None:
    grouped = [row for ref in CLIENTS for row in BY_CLIENT[ref]]
    assert imported(tmp_path, grouped) == imported(tmp_path, ROWS)


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow,
          HealthCheck.function_scoped_fixture])  # fmt: skip
@given(rows=interleavings())
def test_any_interleaving_of_clients_imports_the_same_events(
    tmp_path: Path, rows: list[str]
) -> None:
    assert imported(tmp_path, rows) == imported(tmp_path, ROWS)


def test_the_import_holds_one_client_at_a_time(tmp_path: Path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    """However interleaved the file, each client's events go to the writer before the next
    client's rows are read: memory does not grow with the file (ADR 57; before, every client
    of a file was held to its end, 3.9 GB for a million rows)."""
    from reentry_ledger.ingest.mapped import MappedImport

    held: list[int] = []
    apply = MappedImport.apply

    def counting(self: MappedImport, line: int, row: dict[str, str]) -> None:
        apply(self, line, row)
        held.append(len(self.recording.clients))

    monkeypatch.setattr(MappedImport, "apply", counting)
    by_date = sorted(ROWS, key=lambda row: row.split(",")[2][6:] + row.split(",")[2][3:5])
    imported(tmp_path, by_date)
    assert len(held) == len(ROWS) and max(held) == 1


def test_a_cell_of_any_text_its_encoding_decodes_to_is_set_aside_and_read_back(
    tmp_path: Path,
) -> None:
    """A lone surrogate (UTF-7's +2AA-) in a column no rule reads: the import stopped with
    "unexpected TypeError" (the rows set aside as JSON) where it had imported."""
    mapping = tmp_path / "utf7.toml"
    mapping.write_text(MAPPING.read_text().replace('encoding = "utf-8"', 'encoding = "utf-7"'))
    source = tmp_path / "records.csv"
    source.write_text(
        f"{HEADER},extra\n"
        "A-1,INTAKE,02/01/2024,North,jt,PROB,report_weekly,,,x+2AA-\n"
        "A-1,ASSESS,10/01/2024,,ORAS,H,,,,\n"
    )
    env = {"REENTRY_LEDGER_DB": f"sqlite:///{tmp_path}/utf7.db", "REENTRY_LEDGER_ACTOR": "m"}
    result = CliRunner().invoke(
        cli, ["import", str(source), "--format", "csv", "--mapping", str(mapping)], env=env
    )
    assert result.exit_code == 0, result.output
    assert "imported 2 rows as 2 events" in result.stderr
