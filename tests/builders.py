"""Small builders that tests share."""

from __future__ import annotations

from datetime import date
from typing import Any

from reentry_ledger.application import Ledger
from reentry_ledger.domain.client import Client, Stamp, coded
from reentry_ledger.projections.catalogue import PROJECTIONS
from reentry_ledger.projections.runner import ProjectionRunner
from reentry_ledger.projections.store import ANSWER_PARTS, ProjectionStore

TODAY = date(2026, 1, 15)
START = date(2025, 1, 10)


def stamp(on: date, by: str = "jdoe", today: date = TODAY) -> Stamp:
    return Stamp(on=on, by=by, today=today)


def new_client(ref: str = "GA-1", start: date = START) -> Client:
    return Client.enroll(
        ref,
        stamp(start),
        agency="GA",
        officer="o-17",
        supervision=coded("parole"),
        conditions=[coded("report_weekly"), coded("drug_testing")],
    )


def enroll_parolee(ledger: Ledger, ref: str = "GA-1", start: date = START) -> None:
    ledger.enroll(
        ref,
        actor="jdoe",
        start=start,
        agency="GA",
        officer="o-17",
        supervision="parole",
        conditions=("report_weekly", "drug_testing"),
    )


def execute(ledger: Ledger, statement: str, tables: list[str] | None = None) -> None:
    """Run `statement` on the projections' tables (`{table}`s among `tables`), as an operator
    with the database would."""
    store = ProjectionRunner(ledger, workers=0).store
    with store.transaction() as cursor:
        cursor.execute(store.sql(statement, tables or []))


def projection_contents(ledger: Ledger) -> dict[str, list[str]]:
    """Every row of every projection table, in a stable order: for comparing two builds."""
    store = ProjectionStore(ledger)
    return {
        table: sorted(map(repr, store.rows(f"SELECT * FROM {{{table}}}", tables=[table])))
        for projection in PROJECTIONS
        for table in projection.tables
    }


# A legacy-records mapping for CSV imports: intake rows and case notes.
CSV_MAPPING = """reference = "ref"
kind_column = "kind"
[kinds.intake]
command = "enroll"
agency = "agency"
officer = "officer"
supervision = "supervision"
[kinds.note]
command = "contact"
note = "note"
"""
CSV_HEADER = "ref,kind,date,agency,officer,supervision,note\n"


def recorded(exported: str) -> list[str]:
    """The lines of an export that hold the ledger's records: without the reads that the
    access log keeps (exports are logged, so each export adds one) and the closing record."""
    reads = ('"type":"ClientRecordRead"', '"type":"LedgerRead"')
    return [
        line
        for line in exported.splitlines()
        if not line.startswith('{"closing"') and not any(read in line for read in reads)
    ]


def kept_parts(ledger: Ledger) -> list[tuple[Any, ...]]:
    """Every kept part of a report's answers (reports/answers.py): its row (digest, part,
    sums...), as an operator reading the database finds them."""
    return [tuple(row) for row in ProjectionStore(ledger).rows(
        f"SELECT * FROM {{{ANSWER_PARTS}}} ORDER BY digest, part", tables=[ANSWER_PARTS])]  # fmt: skip
