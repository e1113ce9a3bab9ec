"""Bad input is refused at the door, in one clear line with exit 2, and nothing is written:
control characters and padded names, malformed database URLs, dates outside the window."""

from __future__ import annotations

import json
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import orjson
import pytest
from click.testing import Result

from tests.builders import recorded
from tests.conftest import drop_schema


def enroll(run, ref: str = "GA-1", *extra: str) -> Result:  # type: ignore[no-untyped-def]
    return run(
        "enroll", ref, "--agency", "GA", "--officer", "o-17", "--supervision", "parole",
        "--start", "2024-01-10", *extra,
    )  # fmt: skip


def refused(result: Result, *fragments: str) -> None:
    assert result.exit_code == 2, result.output
    assert result.stderr.startswith("Error: "), result.stderr
    assert result.stderr.count("\n") == 1, result.stderr  # one line, never a traceback
    for fragment in fragments:
        assert fragment in result.stderr, result.stderr


@pytest.mark.parametrize(
    ("option", "value", "message"),
    [
        ("--agency", "G\x00A", "agency: contains the control character U+0000 (NUL)"),
        ("--officer", "o-17 ", "officer: 'o-17 ' has space at its start or end"),
        ("--officer", "\x1b[2J", "officer: contains the control character U+001B (ESCAPE)"),
        ("--agency", " ", "agency: is blank"),
    ],
)
def test_a_control_character_or_padding_in_an_enrolment_is_refused_and_nothing_is_written(
    run, option: str, value: str, message: str
) -> None:  # type: ignore[no-untyped-def]
    args = {"--agency": "GA", "--officer": "o-17", option: value}
    result = run(
        "enroll", "GA-1", "--agency", args["--agency"], "--officer", args["--officer"],
        "--supervision", "parole", "--start", "2024-01-10",
    )  # fmt: skip
    refused(result, message)
    assert_empty(run("export").stdout)


@pytest.mark.parametrize(
    ("command", "message"),
    [
        (("enroll", "GA-2", "--agency", "G" * 201, "--officer", "o-17", "--supervision",
          "parole", "--start", "2024-01-10"), "agency: is 201 characters long (at most 200)"),
        (("reassign", "GA-1", "--officer", "o" * 201, "--on", "2024-02-01"),
         "officer: is 201 characters long (at most 200)"),
        (("contact", "GA-1", "--on", "2024-02-01", "--note", "n" * 100_001),
         "note: is 100001 characters long (at most 100000)"),
        (("assess", "GA-1", "--on", "2024-02-01", "--instrument", "ORAS", "--risk", "high",
          "--instrument-version", "v" * 2_001),
         "instrument_version: is 2001 characters long (at most 2000)"),
    ],
)  # fmt: skip
def test_a_name_code_or_text_past_its_length_is_refused_and_nothing_is_written(
    run, command: tuple[str, ...], message: str
) -> None:  # type: ignore[no-untyped-def]
    """A 120,000-character agency was taken, and shown in every report (a trial's finding)."""
    assert enroll(run).exit_code == 0
    before = recorded_events(run("export").stdout)
    refused(run(*command), message)
    assert recorded_events(run("export").stdout) == before
    assert enroll(run, "GA-3", "--name", "N" * 200).exit_code == 0  # at the most: taken


@pytest.mark.parametrize(
    "command",
    [
        ("enroll", "R" * 100_000, "--agency", "GA", "--officer", "o-17", "--supervision",
         "parole", "--start", "2024-01-10"),
        ("timeline", "R" * 100_000),
    ],
)  # fmt: skip
def test_a_long_malformed_reference_is_quoted_by_its_start_and_length(
    run, command: tuple[str, ...]
) -> None:  # type: ignore[no-untyped-def]
    """The trial's 100,000-character reference came back whole, a 100,138-byte line."""
    assert enroll(run).exit_code == 0
    result = run(*command)
    refused(result, "client reference 'RRRR", "... (100,000 characters) is malformed")
    assert len(result.stderr) < 300


def recorded_events(export: str) -> list[str]:
    """An export's events but the reads the access log records (the export's own among them)."""
    return [line for line in export.splitlines() if ":LedgerRead" not in line
            and ":ClientRecordRead" not in line and not line.startswith('{"closing"')]  # fmt: skip


def test_a_nul_byte_in_a_note_is_refused_but_line_breaks_are_kept(run) -> None:  # type: ignore[no-untyped-def]
    assert enroll(run).exit_code == 0
    refused(run("contact", "GA-1", "--on", "2024-02-01", "--note", "a\x00b"), "note:")
    assert run("contact", "GA-1", "--on", "2024-02-01", "--note", "one\ntwo").exit_code == 0
    events = json.loads(run("timeline", "GA-1", "--json").stdout)
    assert [e["type"] for e in events] == ["Enrolled", "ContactLogged"]
    assert events[1]["data"]["note"] == "one\ntwo"


def test_a_nul_byte_in_an_imported_jsonl_line_is_refused_with_file_and_line(
    run, tmp_path: Path, db_url: str
) -> None:  # type: ignore[no-untyped-def]
    assert enroll(run).exit_code == 0
    assert run("contact", "GA-1", "--on", "2024-02-01", "--note", "met").exit_code == 0
    lines = run("export").stdout_bytes.splitlines()
    first = orjson.loads(lines[0])
    first["state"]["officer"] = "o\x00-17"
    lines[0] = orjson.dumps(first)
    exported = tmp_path / "nul.jsonl"
    exported.write_bytes(b"\n".join(lines) + b"\n")
    copy = (
        f"sqlite:///{tmp_path}/copy.db"
        if db_url.startswith("sqlite")
        else db_url.replace("schema=", "schema=c")
    )
    try:
        result = run("import", str(exported), "--format", "jsonl", "--db", copy)
        refused(result, f"{exported}, line 1:", "officer: contains the control character U+0000")
        # nothing written: not even the new ledger's tables (making.py)
        refused(run("export", "--db", copy), "no ledger")
    finally:
        if not db_url.startswith("sqlite"):  # the copy's schema, had the import left it
            drop_schema(parse_qs(urlsplit(copy).query)["schema"][0])


def assert_empty(exported: str) -> None:
    """An export of a ledger that holds nothing: its closing record alone."""
    [closing] = exported.splitlines()
    assert orjson.loads(closing)["closing"]["events"] == 0


ENROLL_GA_2 = ("enroll", "GA-2", "--agency", "GA", "--officer", "o-17", "--supervision", "parole")


@pytest.mark.parametrize(
    "args",
    [
        ("timeline", "GA-1", "--known-at", "9999-12-31T23:59:59-12:00"),
        ("timeline", "GA-1", "--as-of", "0001-01-01"),
        ("report", "violations", "--to", "9999-12-31", "--period", "month"),
        ("report", "violations", "--from", "1899-12-31"),
        ("report", "caseload", "--on", "2200-01-01"),
        ("report", "justice-counts", "--year", "2200"),
        ("contact", "GA-1", "--on", "0001-01-01"),
        (*ENROLL_GA_2, "--start", "0001-01-01"),
        (*ENROLL_GA_2, "--start", "2024-01-10", "--expected-end", "9999-12-31"),
    ],
)
def test_a_date_outside_the_window_is_bad_usage_and_writes_nothing(
    run, args: tuple[str, ...]
) -> None:  # type: ignore[no-untyped-def]
    assert enroll(run).exit_code == 0
    before = recorded(run("export").stdout)
    result = run(*args)
    assert result.exit_code == 2, result.output
    assert any(
        window in result.stderr
        for window in (
            "is outside the dates the ledger takes (1900-01-01 to 2199-12-31)",
            "is not in the range 1900<=x<=2199",  # --year
        )
    ), result.stderr
    assert "Traceback" not in result.output
    assert recorded(run("export").stdout) == before


@pytest.mark.parametrize(
    ("value", "said"),
    [
        # the form was said twice: "... of the form YYYY-MM-DD (expected exactly YYYY-MM-DD)"
        ("notadate", "'notadate' is not a date of the form YYYY-MM-DD\n"),
        ("20250101", "'20250101' is not a date of the form YYYY-MM-DD\n"),
        ("2025-1-011", "'2025-1-011' is not a date of the form YYYY-MM-DD\n"),
        ("2025-W01-1", "'2025-W01-1' is not a date of the form YYYY-MM-DD\n"),  # a week date
        # of the form, but no day: why, in Python's words (which differ between versions)
        ("2025-02-30", "'2025-02-30' is not a date (day "),
        ("2025-13-01", "'2025-13-01' is not a date (month "),
    ],
)
def test_a_malformed_date_is_named_once_with_what_is_wrong(  # type: ignore[no-untyped-def]
    run, value: str, said: str
) -> None:
    result = run("report", "violations", "--to", value)
    assert result.exit_code == 2, result.output
    line = result.stderr.splitlines(keepends=True)[-1]
    assert line.startswith(f"Error: Invalid value for '--to': {said}"), result.stderr
    assert line.count("YYYY-MM-DD") <= 1 and line.endswith(("YYYY-MM-DD\n", ")\n"))


def test_dates_at_the_edges_of_the_window_are_taken(run) -> None:  # type: ignore[no-untyped-def]
    assert enroll(run, "GA-1", "--expected-end", "2199-12-31").exit_code == 0
    for args in (
        ("timeline", "GA-1", "--known-at", "2199-12-31T23:59:59-12:00"),
        ("timeline", "GA-1", "--as-of", "1900-01-01"),
        # a report's --to stops at today (test_report_range_end)
        ("report", "violations", "--to", "1900-01-01", "--period", "year", "--format", "json"),
        ("report", "violations", "--from", "1900-01-01", "--to", "2024-12-31"),
        ("report", "justice-counts", "--year", "1900"),  # 2199: no month of it has ended
    ):
        result = run(*args)
        assert result.exit_code == 0, (args, result.output)
