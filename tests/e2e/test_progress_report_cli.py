"""`report progress` from the command line, on both backends, on a ledger with users: who may
run it, confidential notes only for the client's own agency, PDF only to a file; each refusal
tried as the role that would try it, with its exit code and nothing written (not even a read
in the access log)."""

from __future__ import annotations

from pathlib import Path

import pytest
from pypdf import PdfReader

from tests.e2e.test_responses_cli import ENROL, Run, ok, refused
from tests.e2e.test_responses_cli import run as run
from tests.e2e.test_responses_cli import staffed as staffed


def noted(run: Run) -> Run:
    ok(run, "cw-ga", "contact", "GA-1", "--on", "2024-02-02", "--note", "talked about relapse")
    ok(run, "cw-ga", "violation", "GA-1", "--on", "2024-03-01", "--technical", "curfew")
    return run


def test_a_caseworker_prints_the_report_in_markdown_without_confidential_notes(
    staffed: Run,
) -> None:
    printed = ok(noted(staffed), "cw-ga", "report", "progress", "GA-1", "--as-of", "2024-06-30")
    text = printed.stdout
    assert text.startswith("# Progress report: client GA-1\n")
    assert "\n- Term 1 of 1: parole from 2024-01-10 (event 1)\n" in text
    assert "\n- Violation V1 on 2024-03-01 (technical): curfew (event 3)\n" in text
    assert "\n- 1 confidential case note left out of this report (event 2)\n" in text
    assert "relapse" not in text


def test_the_clients_own_supervisor_asks_for_confidential_notes_in_html(
    staffed: Run, tmp_path: Path
) -> None:
    page = tmp_path / "GA-1.html"
    printed = ok(noted(staffed), "sup-ga", "report", "progress", "GA-1", "--as-of",
                 "2024-06-30", "-o", str(page), "--include-confidential")  # fmt: skip
    assert printed.stdout == ""
    assert printed.stderr == f"progress report written to {page}\n"
    html = page.read_text()
    assert html.startswith("<!DOCTYPE html>")
    assert "<li>2024-02-02 casework: talked about relapse" in html


def test_the_pdf_goes_to_a_file_and_holds_the_reports_text(staffed: Run, tmp_path: Path) -> None:
    pdf = tmp_path / "GA-1.pdf"  # the format from the name
    ok(noted(staffed), "aud", "report", "progress", "GA-1", "--as-of", "2024-06-30", "-o", str(pdf))
    text = " ".join(" ".join(page.extract_text().split()) for page in PdfReader(pdf).pages)
    assert "Violation V1 on 2024-03-01 (technical): curfew (event 3)" in text
    assert "relapse" not in text


def test_the_reading_is_in_the_access_log(staffed: Run) -> None:
    ok(staffed, "cw-ga", "report", "progress", "GA-1", "--as-of", "2024-06-30")
    log = ok(staffed, "aud", "access-log", "--client", "GA-1").stdout
    assert "progress report  2024-06-30" in log


def test_a_pdf_without_a_file_is_refused_before_anything_is_read(staffed: Run, db_url: str) -> None:
    said = refused(staffed, db_url, "cw-ga", "report", "progress", "GA-1", "--format", "pdf",
                   code=2)  # fmt: skip
    assert said == "Error: --format pdf writes a file: give it with -o FILE.pdf\n"


@pytest.mark.parametrize("name", ["GA-1.docx", "GA-1.odt", "GA-1.PNG"])
def test_a_file_named_as_another_kind_of_document_is_refused_not_written_as_markdown(
    staffed: Run, db_url: str, tmp_path: Path, name: str
) -> None:
    """`-o GA-1.docx` wrote Markdown into a file a word processor could not open."""
    target = tmp_path / name
    said = refused(staffed, db_url, "cw-ga", "report", "progress", "GA-1", "-o", str(target),
                   code=2)  # fmt: skip
    assert f"-o {str(target)!r}: the report is written as Markdown (.md)" in said
    assert not target.exists()


@pytest.mark.parametrize(("name", "starts"), [("GA-1.txt", "# Progress"), ("GA-1", "# Progress"),
                                              ("GA-1.HTM", "<!DOCTYPE html>"),
                                              ("GA-1_as-of_2024.06.30", "# Progress")])  # fmt: skip
def test_a_file_named_as_text_or_without_a_suffix_is_written_as_markdown(
    staffed: Run, tmp_path: Path, name: str, starts: str
) -> None:
    target = tmp_path / name
    ok(staffed, "cw-ga", "report", "progress", "GA-1", "-o", str(target))
    assert target.read_text().startswith(starts)


def test_the_report_is_never_written_over_the_ledger(
    staffed: Run, db_url: str, tmp_path: Path
) -> None:
    if not db_url.startswith("sqlite:///"):
        return  # only a SQLite ledger is a file
    database = db_url.removeprefix("sqlite:///")
    said = refused(staffed, db_url, "cw-ga", "report", "progress", "GA-1", "-o", database,
                   code=2)  # fmt: skip
    assert "is the ledger's own database file" in said


def test_confidential_notes_asked_for_by_an_auditor_are_refused_not_left_out(
    staffed: Run, db_url: str
) -> None:
    said = refused(staffed, db_url, "aud", "report", "progress", "GA-1",
                   "--include-confidential")  # fmt: skip
    assert said == (
        "Error: aud (auditor) may not read the confidential case notes of client 'GA-1': "
        "only staff of its own agency may (ask without confidential notes)\n"
    )


def test_oversight_and_another_agency_are_refused(staffed: Run, db_url: str) -> None:
    said = refused(staffed, db_url, "ov", "report", "progress", "GA-1")
    assert said == "Error: ov (oversight) may not read client records\n"
    other = refused(staffed, db_url, "sup-gb", "report", "progress", "GA-1", code=4)
    assert other == "Error: no client with reference 'GA-1'\n"


def test_a_date_before_the_enrolment_is_refused(staffed: Run, db_url: str) -> None:
    said = refused(staffed, db_url, "cw-ga", "report", "progress", "GA-1", "--as-of",
                   "2023-12-31", code=2)  # fmt: skip
    assert said == (
        "Error: client 'GA-1' was enrolled on 2024-01-10, after 2023-12-31: it has no record "
        "by then (give --as-of on or after its enrolment)\n"
    )


def test_a_later_term_is_reported_by_the_agency_holding_it(staffed: Run) -> None:
    ok(staffed, "cw-ga", "discharge", "GA-1", "--on", "2024-06-30", "--outcome", "successful")
    ok(staffed, "cw-ga", "enroll", "GA-1", *ENROL[:-2], "--start", "2024-09-01")
    text = ok(staffed, "cw-ga", "report", "progress", "GA-1", "--format", "md").stdout
    assert "\n- Term 2 of 2: parole from 2024-09-01 (event 3)\n" in text
    assert "\n- Earlier term 1: parole from 2024-01-10 to 2024-06-30, outcome successful " \
           "(events 1, 2)\n" in text  # fmt: skip
