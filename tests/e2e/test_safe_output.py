"""What the ledger prints for people cannot be forged by what was recorded: control
characters in a table or timeline are escaped, and CSV cells never run as formulas."""

from __future__ import annotations

import csv
import io
from datetime import UTC, date, datetime

import pytest
from click.testing import CliRunner, Result

from reentry_ledger.cli import cli
from reentry_ledger.cli.render import timeline_lines
from reentry_ledger.reports.output import as_csv, as_table
from reentry_ledger.timeline import TimelineEntry

FORGED = "met\n   99  2024-01-01  2024-01-01 00:00:00  admin      Discharged\r\tend"


@pytest.fixture
def run(db_url: str) -> object:
    runner = CliRunner()

    def invoke(*args: str) -> Result:
        env = {"REENTRY_LEDGER_DB": db_url, "REENTRY_LEDGER_ACTOR": "jdoe"}
        return runner.invoke(cli, list(args), env=env, catch_exceptions=False)

    return invoke


def enroll(run, agency: str = "GA") -> None:  # type: ignore[no-untyped-def]
    result = run(
        "enroll", "GA-1", "--agency", agency, "--officer", "o-17", "--supervision", "parole",
        "--start", "2024-01-10",
    )  # fmt: skip
    assert result.exit_code == 0, result.output


def test_a_note_with_a_newline_prints_on_one_line_escaped(run) -> None:  # type: ignore[no-untyped-def]
    enroll(run)
    assert run("contact", "GA-1", "--on", "2024-02-01", "--note", FORGED).exit_code == 0
    assert run("contact", "GA-1", "--on", "2024-02-01", "--note", "\x1b[2J").exit_code == 2
    out = run("timeline", "GA-1").stdout
    assert "\x1b" not in out
    assert len(out.splitlines()) == 4  # two events, two lines each
    note_line = out.splitlines()[3]
    assert "note=met\\n   99  2024-01-01" in note_line
    assert "Discharged\\r\\tend" in note_line
    assert not any(line.startswith("   99") for line in out.splitlines())


def test_a_goal_with_a_newline_shows_on_one_line_escaped(run) -> None:  # type: ignore[no-untyped-def]
    enroll(run)
    goal = "substance_use:get treatment\nstatus       discharged\rx"
    assert run("plan", "GA-1", "--on", "2024-01-16", "--goal", goal).exit_code == 0
    out = run("show", "GA-1").stdout
    assert "\x1b" not in out
    assert [line for line in out.splitlines() if line.startswith("status")] == [
        "status       active"
    ]
    assert "get treatment\\nstatus       discharged\\rx" in out


def test_a_csv_cell_that_looks_like_a_formula_comes_out_as_text(run) -> None:  # type: ignore[no-untyped-def]
    enroll(run, agency='=HYPERLINK("http://evil.example","x")')
    out = run("report", "violations", "--by", "agency", "--format", "csv").stdout
    rows = list(csv.DictReader(io.StringIO(out)))
    assert rows[0]["agency"] == '\'=HYPERLINK("http://evil.example","x")'
    table = run("report", "violations", "--by", "agency").stdout
    assert '=HYPERLINK("http://evil.example","x")' in table  # a table shows it as it is


@pytest.mark.parametrize("start", ["=", "+", "-", "@", "\t", "\r"])
def test_every_formula_start_is_neutralised_and_numbers_stay_numbers(start: str) -> None:
    out = as_csv(
        [{"text": f"{start}1+2", "count": -3, "rate": -1.5, "n": 0}], ["text", "count", "rate", "n"]
    )
    expected = f"'{start}1+2".replace("\r", "\n")  # a CR would end the row
    assert list(csv.reader(io.StringIO(out, newline="")))[1] == [expected, "-3", "-1.5", "0"]


def test_a_table_escapes_control_characters_in_every_cell() -> None:
    table = as_table([{"who": "a\nb", "what": "\x1b[31m\x00"}], ["who", "what"])
    assert table.splitlines()[1] == "a\\nb  \\x1b[31m\\x00"


def test_an_ansi_escape_stored_before_it_was_refused_prints_escaped() -> None:
    entry = TimelineEntry(
        number=2,
        type="ContactLogged",
        occurred_on=date(2024, 2, 1),
        recorded_at=datetime(2024, 2, 1, tzinfo=UTC),
        recorded_by="jd\x1b[8moe",
        data={"kind": {"code": "casework", "raw_text": "\x1b]0;x\x07"}, "note": "a\x1b[2Jb\x00"},
    )
    lines = "\n".join(timeline_lines([entry])).splitlines()
    assert len(lines) == 2
    assert "\x1b" not in "".join(lines) and "\x00" not in "".join(lines)
    assert "jd\\x1b[8moe" in lines[0]
    assert lines[1] == "      kind=casework [\\x1b]0;x\\x07]  note=a\\x1b[2Jb\\x00"
