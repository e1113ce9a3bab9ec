"""Legacy CSV import through a mapping: good files import; every kind of bad file is refused
with its file, line and column named, and the ledger is left exactly as it was."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from reentry_ledger.cli import cli
from tests.builders import recorded

EXAMPLES = Path(__file__).resolve().parents[2] / "examples" / "legacy"
MAPPING = EXAMPLES / "mapping.toml"
GOOD = (EXAMPLES / "records.csv").read_text(encoding="utf-8")
HEADER, *ROWS = GOOD.splitlines()


@pytest.fixture
def run(db_url: str):  # type: ignore[no-untyped-def]
    runner = CliRunner()
    env = {"REENTRY_LEDGER_DB": db_url, "REENTRY_LEDGER_ACTOR": "migrator"}

    def invoke(*args: str) -> Result:
        return runner.invoke(cli, list(args), env=env, catch_exceptions=False)

    return invoke


def import_csv(run, path: Path, mapping: Path = MAPPING) -> Result:  # type: ignore[no-untyped-def]
    return run("import", str(path), "--format", "csv", "--mapping", str(mapping))


def test_the_example_imports_with_codes_translated_and_wording_kept(run, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    result = import_csv(run, EXAMPLES / "records.csv")
    assert result.exit_code == 0, result.output
    assert "imported 11 rows as 11 events" in result.stderr
    events = json.loads(run("timeline", "NW-0101", "--json").stdout)
    assert [e["type"] for e in events] == [
        "Enrolled",
        "Assessed",
        "ViolationRecorded",
        "ViolationResponded",
        "Discharged",
    ]
    assert events[0]["occurred_on"] == "2024-01-02"  # 02/01/2024, day first
    assert events[0]["data"]["supervision"] == {"code": "probation", "raw_text": "PROB"}
    assert events[2]["data"]["technical"] == [{"code": "positive_drug_test", "raw_text": "UA+"}]
    assert events[3]["data"]["violation_id"] == "V1"  # the agency's B-17, linked
    assert events[3]["data"]["custody_days"] == 3
    assert events[3]["data"]["response"] == {"code": "custody_sanction", "raw_text": "S"}
    assert events[3]["data"]["decided_by"] == {"code": "officer", "raw_text": "PO"}
    # NW-0102: the officer recommends revocation, the board decides it (ending the term),
    # and the court's conviction follows the term's end.
    other = json.loads(run("timeline", "NW-0102", "--json").stdout)
    assert [e["type"] for e in other][2:] == [
        "ViolationRecorded",
        "ViolationResponded",
        "ViolationResponded",
        "DispositionRecorded",
    ]
    recommended, decided = other[3]["data"], other[4]["data"]
    assert (recommended["recommendation"], recommended["term_outcome"]) == (True, None)
    assert decided["recommendation"] is False
    assert decided["decided_by"] == {"code": "parole_board", "raw_text": "BOARD"}
    assert decided["term_outcome"] == "revoked_new_offence"
    assert other[5]["occurred_on"] == "2024-06-30"
    assert other[5]["data"]["disposition"] == {"code": "convicted", "raw_text": "CONV"}
    report = json.loads(run("report", "violations", "--format", "json").stdout)["groups"][0]
    # One revoked term (NW-0102's): the officer's recommendation is not a decision.
    assert (
        report["technical_violations"],
        report["new_offences"],
        report["revocations_new_offence"],
    ) == (1, 1, 1)


def test_later_files_add_to_clients_already_in_the_ledger(run, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    first = tmp_path / "intake.csv"
    first.write_text("\n".join([HEADER, ROWS[0]]) + "\n", encoding="utf-8")
    assert import_csv(run, first).exit_code == 0
    later = tmp_path / "later.csv"
    later.write_text("\n".join([HEADER, ROWS[2], ROWS[4], ROWS[5]]) + "\n", encoding="utf-8")
    result = import_csv(run, later)
    assert result.exit_code == 0, result.output
    assert len(json.loads(run("timeline", "NW-0101", "--json").stdout)) == 4


def replace_row(index: int, old: str, new: str) -> str:
    rows = list(ROWS)
    rows[index] = rows[index].replace(old, new, 1)
    return "\n".join([HEADER, *rows]) + "\n"


BAD_FILES = {
    "malformed date": (
        replace_row(2, "10/01/2024", "2024-01-10"),
        "line 4, column 'date': '2024-01-10' is not a date of the form %d/%m/%Y",
    ),
    "impossible date": (
        replace_row(2, "10/01/2024", "31/02/2024"),
        "line 4, column 'date': '31/02/2024' is not a date (day is out of range for month)",
    ),
    "unknown code": (
        replace_row(3, ",M,", ",MED,"),
        "line 5, column 'detail': 'MED' is not in the mapping's codes.risk",
    ),
    "unknown condition": (
        replace_row(0, "drug_testing", "drug_tests"),
        "line 2, column 'list': enroll NW-0101: conditions.1: Input should be",
    ),
    "unknown kind": (
        replace_row(4, "BREACH", "BREECH"),
        "line 6, column 'record': unknown kind 'BREECH'",
    ),
    "violation before enrolment": (
        replace_row(4, "01/03/2024", "01/12/2023"),
        "line 6: violation NW-0101: date 2023-12-01 is before enrolment (2024-01-02)",
    ),
    "response before violation": (
        replace_row(5, "05/03/2024", "28/02/2024"),
        "line 7: respond NW-0101: date 2024-02-28 is before violation V1",
    ),
    "event after discharge": (
        "\n".join([HEADER, *ROWS, "NW-0101,ASSESS,01/02/2025,,ORAS,L,,,"]) + "\n",
        "line 13: assess NW-0101: client 'NW-0101' was discharged",
    ),
    "no intake": (
        "\n".join([HEADER, ROWS[2]]) + "\n",
        "line 2, column 'case_no': assess NW-0101: client 'NW-0101' is not enrolled",
    ),
    "response to an unknown incident": (
        replace_row(5, "B-17", "B-99"),
        "line 7, column 'ref_no': respond NW-0101: no earlier violation 'B-99'",
    ),
    "duplicate row": (
        "\n".join([HEADER, *ROWS[:5], ROWS[4], *ROWS[5:]]) + "\n",
        "line 7: repeats line 6 exactly",
    ),
    "intake while a term is open": (
        "\n".join([HEADER, ROWS[0], ROWS[0].replace("02/01/2024", "03/01/2024"), *ROWS[1:]]) + "\n",
        "line 3: enroll NW-0101: client 'NW-0101' is already enrolled and still under "
        "supervision (term 1, since 2024-01-02): a new term starts only after this one ends",
    ),
    "later term dated before the last ended": (
        "\n".join([HEADER, *ROWS, ROWS[0].replace("02/01/2024", "03/01/2024")]) + "\n",
        "line 13: enroll NW-0101: date 2024-01-03 is before the end of term 1 (2024-12-31)",
    ),
    "truncated file": (
        "\n".join([HEADER, *ROWS])[:-12] + "\n",
        "line 12: 3 fields where the header has 9",
    ),
    "missing column": (GOOD.replace("detail", "details", 1), "line 1: missing column(s): detail"),
    "empty file": ("", "line 1: the file is empty"),
    "bad reference": (replace_row(1, "NW-0102", "NW 0102"), "line 3, column 'case_no'"),
    "NUL in an officer": (
        replace_row(0, ",jt,", ",j\x00t,"),
        "line 2, column 'officer': enroll NW-0101: officer: contains the control character "
        "U+0000 (NUL) at character 2",
    ),
    "NUL in an agency": (
        replace_row(1, "North", "Nor\x00th"),
        "line 3, column 'office': enroll NW-0102: agency: contains the control character "
        "U+0000 (NUL) at character 4",
    ),
    "escape in an instrument": (
        replace_row(2, "ORAS", "OR\x1b[2JAS"),
        # a tool not in the list keeps its typed name as instrument_name (personal data)
        "line 4, column 'officer': assess NW-0101: instrument_name: contains the control "
        "character U+001B (ESCAPE) at character 3",
    ),
    "date before 1900": (
        replace_row(0, "02/01/2024", "02/01/0001"),
        "line 2, column 'date': enroll NW-0101: occurred_on: 0001-01-02 is outside the dates "
        "the ledger takes (1900-01-01 to 2199-12-31)",
    ),
    "bad number": (
        replace_row(5, ",3", ",three"),
        "line 7, column 'days': 'three' is not a whole number",
    ),
    # a column named twice: the values were read from the last (blank), the custody days lost
    "repeated column": (
        "\n".join([HEADER + ",days", *(row + "," for row in ROWS)]) + "\n",
        "line 1, column 'days': the header names it twice",
    ),
    # a quote opened and never closed reads on to the end of the file
    "unclosed quote": (
        replace_row(2, ",ORAS,", ',"ORAS,'),
        "line 4: malformed CSV (unexpected end of data): a quote opened on this line is not closed",
    ),
}


# Rows the command they stand for would refuse (exit 3); the rest are malformed (exit 2).
REFUSED = {"violation before enrolment", "response before violation", "event after discharge",
           "no intake", "intake while a term is open",
           "later term dated before the last ended"}  # fmt: skip


@pytest.mark.parametrize("name", sorted(BAD_FILES))
def test_a_bad_file_is_refused_whole_and_the_ledger_is_unchanged(
    run, tmp_path: Path, name: str
) -> None:  # type: ignore[no-untyped-def]
    existing = tmp_path / "existing.csv"
    existing.write_text(
        HEADER + "\nGA-7,INTAKE,01/06/2023,South,kb,PAR,curfew,,\n", encoding="utf-8"
    )
    assert import_csv(run, existing).exit_code == 0
    before = recorded(run("export").stdout)

    text, message = BAD_FILES[name]
    bad = tmp_path / "bad.csv"
    bad.write_text(text, encoding="utf-8")
    result = import_csv(run, bad)
    assert result.exit_code == (3 if name in REFUSED else 2), result.output
    assert f"{bad}, {message}" in result.stderr, result.stderr
    assert "Traceback" not in result.output
    assert recorded(run("export").stdout) == before


def test_a_file_saved_with_a_byte_order_mark_imports(run, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    """As a spreadsheet saves UTF-8: the mark was read into the first column's name, and the
    file refused for a missing column that is there."""
    marked = tmp_path / "marked.csv"
    marked.write_bytes(b"\xef\xbb\xbf" + GOOD.encode("utf-8"))
    result = import_csv(run, marked)
    assert result.exit_code == 0, result.output
    assert "imported 11 rows as 11 events" in result.stderr


def test_a_file_in_the_wrong_encoding_is_refused(run, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    latin = tmp_path / "latin1.csv"
    latin.write_bytes(replace_row(0, "North", "Nörth").encode("latin-1"))
    result = import_csv(run, latin)
    assert result.exit_code == 2
    assert "not valid utf-8 text" in result.stderr
    no_ledger = run("export")  # nothing written: not even the new ledger's tables
    assert no_ledger.exit_code == 2 and "no ledger" in no_ledger.stderr, no_ledger.output


def test_a_byte_not_in_the_encoding_is_named_by_its_line_and_place_in_the_file(
    run, tmp_path: Path
) -> None:  # type: ignore[no-untyped-def]
    """Deep in a file, past the reader's first chunk: the byte was named by its place in the
    chunk the reader had decoded (byte 2672 of a file where it was at byte 100,976)."""
    rows = [row.replace("NW-01", f"NW-{n:04d}") for n in range(300) for row in ROWS]
    rows[1999] = rows[1999].replace("NW-", "NW-\N{LATIN SMALL LETTER E WITH ACUTE}")
    text = "\n".join([HEADER, *rows]) + "\n"
    latin = tmp_path / "deep.csv"
    latin.write_bytes(text.encode("latin-1"))
    at = text.encode("latin-1").index(b"\xe9")
    result = import_csv(run, latin)
    assert result.exit_code == 2
    assert f"deep.csv, line 2001: not valid utf-8 text at byte {at:,} " in result.stderr
    no_ledger = run("export")
    assert no_ledger.exit_code == 2 and "no ledger" in no_ledger.stderr, no_ledger.output


@pytest.mark.parametrize(
    ("mapping", "message"),
    [
        ("reference = 'case_no'\n", "missing kind_column, kinds"),
        (
            "reference = 'case_no'\nkind_column = 'record'\n[kinds.X]\ncommand = 'teleport'\n",
            "kinds.X.command is 'teleport'",
        ),
        (
            "reference = 'case_no'\nkind_column = 'record'\n[kinds.X]\ncommand = 'assess'\nrisk = 'detail'\n",
            "kinds.X.risk is not a field of assess",
        ),
        ("reference = [", "not valid TOML"),
        (
            "reference = 'case_no'\nkind_column = 'record'\n[kinds.X]\ncommand = 'enroll'\nofficer = 'officer'\n",
            "kinds.X (enroll) must name the column of agency, supervision",
        ),
        (
            "reference = 'case_no'\nkind_column = 'record'\nencoding = 'rot13'\n[kinds.X]\ncommand = 'abscond'\n",
            "encoding 'rot13' is not a text encoding",
        ),
        (
            "reference = 'case_no'\nkind_column = 'record'\nencoding = 8\n[kinds.X]\ncommand = 'abscond'\n",
            "encoding 8 is not a text encoding",
        ),
        (
            "reference = 'case_no'\nkind_column = 'record'\nencoding = 'undefined'\n[kinds.X]\ncommand = 'abscond'\n",
            "encoding 'undefined' is not a text encoding",
        ),
        (
            "reference = 'case_no'\nkind_column = 'record'\nencoding = 'utf-8\\u0000'\n[kinds.X]\ncommand = 'abscond'\n",
            "is not a text encoding",
        ),
    ],
)
def test_a_bad_mapping_is_refused(run, tmp_path: Path, mapping: str, message: str) -> None:  # type: ignore[no-untyped-def]
    path = tmp_path / "mapping.toml"
    path.write_text(mapping, encoding="utf-8")
    result = import_csv(run, EXAMPLES / "records.csv", path)
    assert result.exit_code == 2
    assert message in result.stderr
    assert "unexpected" not in result.stderr


EXAMPLE_MAPPING = MAPPING.read_text(encoding="utf-8")


@pytest.mark.parametrize(
    ("old", "new", "message"),
    [
        ('date_format = "%d/%m/%Y"', "date_format = 5", "date_format 5 is not text"),
        ('date_format = "%d/%m/%Y"', 'date_format = "%d/%m/%Q"',
         "date_format '%d/%m/%Q' is not a date format ('Q' is a bad directive"),
        ('reference = "case_no"', 'reference = ["a"]', "reference ['a'] is not a column name"),
        ('kind_column = "record"', "kind_column = 1", "kind_column 1 is not a column name"),
        ('risk_level = { column = "detail", codes = "risk" }',
         'risk_level = { column = "detail", codes = "rsk" }',
         "kinds.ASSESS.risk_level.codes: no table [codes.rsk]"),
        ('risk_level = { column = "detail", codes = "risk" }',
         'risk_level = { column = "detail", codes = "risk", split = 1 }',
         "kinds.ASSESS.risk_level.split 1 is not text"),
    ],
)  # fmt: skip
def test_a_mapping_value_of_the_wrong_kind_is_refused_naming_it(
    run, tmp_path: Path, old: str, new: str, message: str
) -> None:  # type: ignore[no-untyped-def]
    """Each stopped the import with "unexpected TypeError" (exit 1), or only at the first row
    using it (found by an operator's probe)."""
    assert old in EXAMPLE_MAPPING
    path = tmp_path / "mapping.toml"
    path.write_text(EXAMPLE_MAPPING.replace(old, new), encoding="utf-8")
    result = import_csv(run, EXAMPLES / "records.csv", path)
    assert result.exit_code == 2, result.output
    assert f"mapping {path}: {message}" in result.stderr
    assert "unexpected" not in result.stderr


def test_a_contact_rule_without_a_kind_column_records_casework_contacts(
    run, tmp_path: Path
) -> None:  # type: ignore[no-untyped-def]
    """As `contact` does without --kind (the rule's fields are optional but its command's
    reason, docs/import.md): it stopped the import with "unexpected TypeError"."""
    mapping = tmp_path / "mapping.toml"
    mapping.write_text(
        "reference = 'ref'\nkind_column = 'kind'\n[kinds.I]\ncommand = 'enroll'\n"
        "agency = 'agency'\nsupervision = 'supervision'\n[kinds.C]\ncommand = 'contact'\n"
        "note = 'note'\n[kinds.K]\ncommand = 'contact'\nnote = 'note'\n"
        "kind = 'supervision'\n",
        encoding="utf-8",
    )
    rows = tmp_path / "rows.csv"
    rows.write_text(
        "ref,kind,date,agency,supervision,note\n"
        "GA-9,I,2025-01-10,GA,parole,\nGA-9,C,2025-01-20,,,called in\n"
        "GA-9,K,2025-01-21,,,called again\n"  # a kind column left blank: the same
        "GA-9,K,2025-01-22,,,\n",  # and a note left blank: none, as `contact` takes it
        encoding="utf-8",
    )
    result = import_csv(run, rows, mapping)
    assert result.exit_code == 0, result.output
    events = json.loads(run("timeline", "GA-9", "--json").stdout)
    contacts = [e for e in events if e["type"] == "ContactLogged"]
    assert [c["data"]["kind"]["code"] for c in contacts] == ["casework"] * 3


def test_csv_without_a_mapping_is_bad_usage(run) -> None:  # type: ignore[no-untyped-def]
    result = run("import", str(EXAMPLES / "records.csv"), "--format", "csv")
    assert result.exit_code == 2
    assert "--mapping" in result.stderr


def test_a_nul_byte_in_an_officer_is_refused_and_reports_keep_working(run, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    assert import_csv(run, EXAMPLES / "records.csv").exit_code == 0
    assert run("projections", "catch-up").exit_code == 0
    bad = tmp_path / "nul.csv"
    bad.write_text(
        HEADER + "\nGA-7,INTAKE,01/06/2023,South,k\x00b,PAR,curfew,,\n", encoding="utf-8"
    )
    result = import_csv(run, bad)
    assert result.exit_code == 2, result.output
    assert result.stderr.count("\n") == 1, result.stderr  # one line, no traceback
    assert f"{bad}, line 2, column 'officer':" in result.stderr
    assert run("show", "GA-7").exit_code == 4  # nothing stored
    for args in (
        ("report", "violations", "--format", "json"),
        ("report", "caseload", "--on", "2024-06-30"),
        ("projections", "rebuild"),
        ("projections", "catch-up"),
    ):
        assert run(*args).exit_code == 0, (args, run(*args).output)


def test_a_csv_import_into_a_ledger_in_memory_is_refused_at_once_naming_why(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A CSV import reads the ledger as it writes (a returning client's terms, an agency's
    policy): a ledger in memory is one connection, which the import's write holds, so each
    read waited five seconds for it and the import failed saying the writer was not returned.
    Refused before a row is read, saying what to do; a JSON Lines import works there."""
    monkeypatch.chdir(tmp_path)
    db = "sqlite:///:memory:"
    runner = CliRunner()
    result = runner.invoke(
        cli,
        ["--db", db, "--actor", "migrator", "import",
         str(EXAMPLES / "records.csv"), "--format", "csv", "--mapping", str(MAPPING)],
    )  # fmt: skip
    assert result.exit_code == 2, result.output
    assert db in result.stderr
    assert "import into a file" in result.stderr
    assert "Timed out" not in result.output
    assert "imported" not in result.output
    assert list(tmp_path.iterdir()) == []


def test_a_fault_after_progress_starts_its_own_line_and_nothing_is_called_imported(
    run, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:  # type: ignore[no-untyped-def]
    """On a terminal, a fault found after 2,000 events had been checked was printed on the
    progress line, after `events imported: 2,000`, of events that were then not imported."""
    from reentry_ledger.cli.render import Progress

    made = Progress.__init__

    def on_a_terminal(self: Progress, *args: object, **kwargs: object) -> None:
        made(self, *args, **kwargs)  # type: ignore[arg-type]
        self.enabled = True

    monkeypatch.setattr(Progress, "__init__", on_a_terminal)
    rows = [f"C-{n},INTAKE,02/01/2024,North,jt,PROB,report_weekly,," for n in range(2100)]
    late = tmp_path / "late.csv"
    late.write_text("\n".join([HEADER, *rows, "Z-9,ASSESS,10/01/2024,,ORAS,H,,,"]) + "\n")
    result = import_csv(run, late)
    assert result.exit_code == 3, result.output
    assert "events checked: 2,000\nError: " in result.stderr
    assert "client 'Z-9' is not enrolled" in result.stderr
    assert "imported" not in result.stderr
