"""`report progress` through the server (REENTRY_LEDGER_URL): the server answers the report's
document (GET /api/clients/{ref}/progress-report) and the CLI renders it, so Markdown, HTML and
PDF all work through it and print what they print from the database; refusals exit alike."""

from __future__ import annotations

import re
from pathlib import Path

from pypdf import PdfReader

from tests.server.test_remote_cli import casework, local, outcome, remote, same
from tests.serving import Live

AS_OF = ("--as-of", "2025-06-30")


def undated(text: str) -> str:
    """Without the day it was prepared: the server's clock is the tests' fixed day."""
    text = re.sub(r"Prepared on \d{4}-\d\d-\d\d", "Prepared on DAY", text)
    return re.sub(r'"prepared_on": "[0-9-]+"', '"prepared_on": "DAY"', text)


def test_the_progress_report_prints_the_same_through_the_server(live: Live) -> None:
    casework(live.ledger)
    for args in ((), ("--format", "html"), ("--format", "json"), ("--include-confidential",)):
        here = local(live, "cw-ga", "report", "progress", "GA-1", *AS_OF, *args)
        there = remote(live, "cw-ga", "report", "progress", "GA-1", *AS_OF, *args)
        assert here.exit_code == there.exit_code == 0, there.output
        assert undated(there.stdout) == undated(here.stdout)
    shown = remote(live, "cw-ga", "report", "progress", "GA-1", *AS_OF, "--include-confidential")
    assert "Discussed housing" in shown.stdout


def test_the_pdf_is_drawn_from_the_servers_document(live: Live, tmp_path: Path) -> None:
    casework(live.ledger)
    pdf = tmp_path / "GA-1.pdf"
    result = remote(live, "aud", "report", "progress", "GA-1", *AS_OF, "-o", str(pdf))
    assert outcome(result) == (0, "", f"progress report written to {pdf}\n")
    text = " ".join(" ".join(page.extract_text().split()) for page in PdfReader(pdf).pages)
    assert "Violation V1 on 2025-03-01 (technical): failure_to_report (event 6)" in text


def test_refused_progress_reports_are_refused_alike_through_the_server(live: Live) -> None:
    casework(live.ledger)
    same(live, "aud", "report", "progress", "GA-1", *AS_OF, "--include-confidential", code=3)
    same(live, "ovs", "report", "progress", "GA-1", *AS_OF, code=3)
    same(live, "cw-gb", "report", "progress", "GA-1", *AS_OF, code=4)
    same(live, "cw-ga", "report", "progress", "GA-1", "--format", "pdf", code=2)
